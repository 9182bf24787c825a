#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run hubd in the foreground on
# 127.0.0.1:50051 over the embedded RocksDB data directory ./var/data, with the example
# (fictional) partnership. Ctrl-C stops it cleanly. Extra arguments go to hubd.
#
# Until mutual TLS and signed practitioner tokens land, callers identify themselves with
# development metadata (x-hub-agency, x-hub-user, x-hub-roles); hubd allows that only on a
# loopback address and says so in its log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/build.sh" --target hubd hubctl
mkdir -p "$root/var/data"
exec "$root/build/services/hubd/hubd" --listen=127.0.0.1:50051 --data_dir="$root/var/data" \
  --partnership="$root/deploy/partnership.example.textproto" \
  --agreement="$root/deploy/agreement.example.textproto" --dev_identity_from_metadata "$@"
