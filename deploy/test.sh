#!/usr/bin/env bash
# Quick start 2: install what is missing, build everything, run the whole test suite.
# Ends with ctest's summary line. Benchmarks are separate: see docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/build.sh"
cd "$root/build"
exec ctest --output-on-failure -j"${HUB_JOBS:-$(nproc)}" --timeout 600
