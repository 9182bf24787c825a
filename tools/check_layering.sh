#!/usr/bin/env bash
# Fails if a layer includes what it must not (STYLE.md 9.2): gRPC only in services/ and the
# binaries above them; RocksDB only in eventstore/rocksdb/ (and the benchmark's yardstick).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
status=0
if hits=$(grep -rnE '#include\s*[<"]grpc(pp|\+\+)?/' base domain eventstore projections policy config identity app 2>/dev/null); then
  echo "gRPC included below services/:"; echo "$hits"; status=1
fi
if hits=$(grep -rnE '#include\s*[<"]rocksdb/' --include='*.h' --include='*.cc' . 2>/dev/null |
          grep -vE '^\./(eventstore/rocksdb/|tests/bench/|build[^/]*/)'); then
  echo "RocksDB included outside eventstore/rocksdb/:"; echo "$hits"; status=1
fi
if hits=$(grep -rnE '#include\s*"(services|projections|policy|tools)/' base domain eventstore 2>/dev/null); then
  echo "A lower layer includes a higher one:"; echo "$hits"; status=1
fi
# config/ (configuration files) and identity/ (who is calling) sit below the services and
# policy: they include neither, nor the read side.
if hits=$(grep -rnE '#include\s*"(services|projections|policy|tools|identity)/' config 2>/dev/null;
          grep -rnE '#include\s*"(services|projections|policy|tools)/' identity 2>/dev/null); then
  echo "config/ or identity/ includes a higher layer:"; echo "$hits"; status=1
fi
# app/ is the application layer the front doors call: it knows no door (no gRPC, no HTTP).
if hits=$(grep -rnE '#include\s*("services|"tools|[<"]httplib|[<"]boost/beast|"[^"]*\.grpc\.pb\.h")' app 2>/dev/null); then
  echo "app/ includes a front door:"; echo "$hits"; status=1
fi
[ $status -eq 0 ] && echo "layering OK"
exit $status
