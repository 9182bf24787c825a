#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer:
# builds with g++ into ./build-asan and runs ctest there. Any report fails its test: UB is not
# recoverable (-fno-sanitize-recover=all) and the first error aborts. Not part of CI (it takes
# much longer than deploy/test.sh); run it before a release or after touching memory-sensitive
# code. Extra arguments go to ctest (e.g. -R projections). See docs/fuzzing-and-sanitizers.md.
#
# g++ rather than clang: it is the compiler the project is built and warned with, and its
# libasan/libubsan come with build-essential; Debian's gRPC, Protobuf, RocksDB and Abseil are
# not instrumented, which ASan tolerates (their memory errors are not caught, only ours).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${HUB_JOBS:-$(nproc)}"
build="$root/build-asan"

"$root/deploy/install-deps.sh"

# -O1 -g1: fast enough to run the suite, line numbers in reports; asserts stay on (no NDEBUG).
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
started=$SECONDS
cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$sanitize" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DHUB_BUILD_TESTS=ON -DHUB_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$jobs"
echo "sanitize: built in $((SECONDS - started)) s"

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$root/deploy/lsan.supp:print_suppressions=0"

started=$SECONDS
cd "$build"
# Sanitized code runs several times slower: longer per-test timeouts than deploy/test.sh.
if ctest --output-on-failure -j"$jobs" --timeout 1800 "$@"; then
  echo "sanitize: the suite ran clean under ASan+LSan+UBSan in $((SECONDS - started)) s"
else
  echo "sanitize: FAILED: a test failed or a sanitizer reported (output above)" >&2
  exit 1
fi
