#!/usr/bin/env bash
# Quick start 2: install what is missing, build everything, run the whole test suite, then fuzz
# each libFuzzer target briefly (deploy/fuzz.sh; HUB_FUZZ_SECONDS per target, default 30, 0
# skips). Ends with ctest's summary line, then the fuzzers' one-line verdict. Benchmarks and the
# sanitizer suite are separate: docs/benchmarks.md, docs/fuzzing-and-sanitizers.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/build.sh"
cd "$root/build"
ctest --output-on-failure -j"${HUB_JOBS:-$(nproc)}" --timeout 600
if [ "${HUB_FUZZ_SECONDS:-30}" != 0 ]; then
  exec "$root/deploy/fuzz.sh" "${HUB_FUZZ_SECONDS:-30}"
fi
