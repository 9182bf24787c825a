#!/usr/bin/env bash
# ctest entry point: generates the Python stubs into a temp dir, then runs scenario (c)
# against the given hubd. Usage: run_scenario.sh HUBD REPO_ROOT
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 HUBD REPO_ROOT" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
hubd="$1"
repo="$2"
python=/usr/bin/python3  # not a pyenv shim: the Debian grpcio and protobuf live here
if ! "$python" -c 'import grpc, google.protobuf' 2>/dev/null; then
  echo "$0: $python cannot import grpc and protobuf (apt-get install python3-grpcio python3-protobuf)" >&2
  exit 1
fi
stubs="$(mktemp -d "${TMPDIR:-/tmp}/hub-py-stubs.XXXXXX")"
trap 'rm -rf "$stubs"' EXIT
"$here/gen_stubs.sh" "$stubs" "$repo"
"$python" "$here/scenario_advocacy.py" --stubs "$stubs" "$hubd" "$repo"
