#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into ./build-fuzz, and runs each for SECONDS (default 30) on a
# scratch copy of its corpus (tests/fuzz/corpus/<target>/ plus tests/fuzz/regressions/<target>/).
# Exits 1 if any target crashes, leaks, times out or runs out of memory, saying where the input
# was saved and how to make it a regression test. See docs/fuzzing-and-sanitizers.md.
#
#   deploy/fuzz.sh [SECONDS]           e.g. deploy/fuzz.sh 3600 for an hour per target
#   HUB_FUZZ_TARGETS="fuzz_event_decode"   only these targets
#   HUB_FUZZ_UPDATE_CORPUS=1           merge inputs that reach new code into tests/fuzz/corpus/
#   HUB_FUZZ_FLAGS="-entropic=1 ..."   extra libFuzzer flags (after the defaults, so they win)
#   HUB_JOBS=N                         build jobs and targets run at once (default: nproc)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: deploy/fuzz.sh [SECONDS]   (a whole number of seconds per target, >= 1)" >&2
  exit 2
fi
jobs="${HUB_JOBS:-$(nproc)}"
read -r -a targets <<<"${HUB_FUZZ_TARGETS:-fuzz_event_decode fuzz_request_translate fuzz_agreement_parse}"
build="$root/build-fuzz"
fuzz_src="$root/tests/fuzz"

"$root/deploy/install-deps.sh"

# The whole project is instrumented (coverage for the fuzzer, ASan and UBSan for the bugs);
# only the fuzz targets link libFuzzer itself. UB aborts (no recovery), so the fuzzer saves it.
# -O1 and line tables: the usual fuzzing trade between speed, compile time and stack traces.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
started=$SECONDS
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$sanitize" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DHUB_BUILD_FUZZ=ON -DHUB_BUILD_TESTS=OFF -DHUB_BUILD_BENCH=OFF >/dev/null
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  cat "$build/fuzz-build.log" >&2
  echo "fuzz: build failed (log above)" >&2
  exit 1
fi
echo "fuzz: built ${targets[*]} in $((SECONDS - started)) s"

# Stack traces with file:line: llvm-symbolizer when installed (package llvm-14), else binutils'
# addr2line, which build-essential brings.
symbolizer="$(command -v llvm-symbolizer || command -v /usr/lib/llvm-14/bin/llvm-symbolizer ||
              command -v addr2line || true)"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1${symbolizer:+:external_symbolizer_path=$symbolizer}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${symbolizer:+:external_symbolizer_path=$symbolizer}"

runs="$build/runs"
rm -rf "$runs"
# Runs one target; its log goes to $runs/<target>/log.
run_target() {
  local t="$1" dir="$runs/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$fuzz_src/corpus/$t"/* "$dir/corpus/" 2>/dev/null || true
  local dict=()
  [ -f "$fuzz_src/dict/$t.dict" ] && dict=(-dict="$fuzz_src/dict/$t.dict")
  # The scratch corpus comes first (new inputs go there); regressions are read only.
  # -entropic=0: the entropic schedule spent most of the time ranking tens of thousands of
  # features; without it each target ran 1.4-4x the inputs in 20 s and reached as much code.
  # -timeout=10: an input is milliseconds; seconds mean a hang. -rss_limit_mb: the default,
  # stated: ASan's quarantine takes a few hundred MB of it.
  # shellcheck disable=SC2086
  "$build/tests/fuzz/$t" "$dir/corpus" "$fuzz_src/regressions/$t" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -entropic=0 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" ${HUB_FUZZ_FLAGS:-} >"$dir/log" 2>&1
}

started=$SECONDS
pids=()
for t in "${targets[@]}"; do
  run_target "$t" & pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
done
status=()
for pid in "${pids[@]}"; do
  if wait "$pid"; then status+=(0); else status+=($?); fi
done

failed=0
printf 'fuzz: %-24s %10s %9s %8s %8s %7s  %s\n' target runs "exec/s" cov features corpus result
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  log="$runs/$t/log"
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  done_line="$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")"
  artifacts=("$runs/$t/artifacts"/*)
  if [ "${status[$i]}" -eq 0 ] && [ ! -e "${artifacts[0]}" ]; then
    result="ok"
  else
    result="FAILED (exit ${status[$i]})"
    failed=1
  fi
  printf 'fuzz: %-24s %10s %9s %8s %8s %7s  %s\n' "$t" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done

for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  artifacts=("$runs/$t/artifacts"/*)
  [ "${status[$i]}" -eq 0 ] && [ ! -e "${artifacts[0]}" ] && continue
  echo
  echo "==== $t: the end of its log ($runs/$t/log) ===="
  grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$runs/$t/log" | tail -60
  for a in "${artifacts[@]}"; do
    [ -e "$a" ] || continue
    cat <<EOF

The input was saved as $a
  reproduce:   $build/tests/fuzz/$t $a
  keep it:     cp $a $fuzz_src/regressions/$t/<what-it-broke>
               (the default build's ctest then replays it: ctest -R ${t}_replay)
EOF
  done
done

if [ "${HUB_FUZZ_UPDATE_CORPUS:-0}" = 1 ] && [ "$failed" -eq 0 ]; then
  for t in "${targets[@]}"; do
    "$build/tests/fuzz/$t" -merge=1 "$fuzz_src/corpus/$t" "$runs/$t/corpus" >"$runs/$t/merge.log" 2>&1
  done
  echo "fuzz: merged new coverage into tests/fuzz/corpus/ (review and commit it)"
fi

if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED: a target found a bug (details above)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets x ${seconds} s in $((SECONDS - started)) s: no crash"
