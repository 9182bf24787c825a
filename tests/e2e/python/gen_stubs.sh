#!/usr/bin/env bash
# Generates the Python gRPC stubs for the hub's API (every .proto under proto/hub) into OUT.
#
#   gen_stubs.sh OUT [REPO_ROOT]
#
# OUT ends up with importable packages hub/<context>/v1/*_pb2.py and *_pb2_grpc.py (with empty
# __init__.py files). The google/protobuf well-known types are not generated: they come with
# the python3-protobuf package. Needs /usr/bin/protoc and /usr/bin/grpc_python_plugin
# (Debian: protobuf-compiler, protobuf-compiler-grpc).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 OUT [REPO_ROOT]" >&2
  exit 2
fi
out="$1"
root="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
protoc="${PROTOC:-/usr/bin/protoc}"
plugin="${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}"

for tool in "$protoc" "$plugin"; do
  if [[ ! -x "$tool" ]]; then
    echo "$0: $tool not found (apt-get install protobuf-compiler protobuf-compiler-grpc)" >&2
    exit 1
  fi
done
if [[ ! -d "$root/proto/hub" ]]; then
  echo "$0: $root/proto/hub not found: pass the repository root as the second argument" >&2
  exit 1
fi

mkdir -p "$out"
# Paths relative to proto/, so that the generated modules import each other as
# hub.common.v1.reference_pb2 and so on.
mapfile -t protos < <(cd "$root/proto" && find hub -name '*.proto' | LC_ALL=C sort)
if [[ ${#protos[@]} -eq 0 ]]; then
  echo "$0: no .proto files under $root/proto/hub" >&2
  exit 1
fi
(cd "$root/proto" && "$protoc" -I"$root/proto" -I/usr/include \
  --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" "${protos[@]}")

# Regular packages (not namespace packages): an unrelated "hub" elsewhere on sys.path cannot
# shadow half of them.
find "$out/hub" -type d -print0 | while IFS= read -r -d '' dir; do
  [[ -e "$dir/__init__.py" ]] || : >"$dir/__init__.py"
done
echo "generated Python stubs for ${#protos[@]} protos in $out" >&2
