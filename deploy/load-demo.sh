#!/usr/bin/env bash
# Loads four fictional demo cases into a RUNNING hub (e.g. one started by deploy/run-hub.sh):
# generates the Python gRPC stubs into build/py_stubs and runs tests/e2e/python/load_demo.py.
#
#   deploy/load-demo.sh [--server HOST:PORT] [--dev]     (default 127.0.0.1:50051)
#
# Calls are made over mutual TLS with the trial credentials run-hub.sh made
# (var/trial-credentials: each agency's client certificate, practitioners' tokens minted by
# hubctl token). --dev for a hub started with --dev_identity_from_metadata instead.
# Needs protoc, grpc_python_plugin and /usr/bin/python3 with python3-grpcio and
# python3-protobuf (all in deploy/debian-packages.txt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server="127.0.0.1:50051"
dev=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --server) server="${2:?--server needs HOST:PORT}"; shift 2 ;;
    --server=*) server="${1#--server=}"; shift ;;
    --dev) dev=1; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown argument $1 (only --server HOST:PORT and --dev)" >&2; exit 2 ;;
  esac
done
stubs="$root/build/py_stubs"
rm -rf "$stubs"
"$root/tests/e2e/python/gen_stubs.sh" "$stubs" "$root"
identity=(--credentials "$root/var/trial-credentials" --hubctl "$root/build/tools/hubctl/hubctl")
if [[ $dev -eq 1 ]]; then
  identity=()
elif [[ ! -e "$root/var/trial-credentials/jwks.json" ]]; then
  echo "$0: no trial credentials in var/trial-credentials: start the hub with deploy/run-hub.sh" >&2
  exit 1
fi
exec /usr/bin/python3 "$root/tests/e2e/python/load_demo.py" --stubs "$stubs" --server "$server" \
  "${identity[@]}"
