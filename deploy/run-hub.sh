#!/usr/bin/env bash
# Quick start 1: install what is missing, build, make local TRIAL credentials if there are
# none (deploy/make-trial-credentials.sh into ./var/trial-credentials), and run hubd in the
# foreground on 127.0.0.1:50051 serving mutual TLS over the embedded RocksDB data directory
# ./var/data, with the example (fictional) partnership, agreement and access configuration.
# Ctrl-C stops it cleanly. Extra arguments go to hubd.
#
# Callers present an agency's client certificate (var/trial-credentials/agencies/ID.pem) and,
# for a practitioner, a token (hubctl token ...; see the README). The trial credentials are
# for trials only: never for real data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/build.sh" --target hubd hubctl
creds="$root/var/trial-credentials"
HUBCTL="$root/build/tools/hubctl/hubctl" "$root/deploy/make-trial-credentials.sh" "$creds" >&2
mkdir -p "$root/var/data"
exec "$root/build/services/hubd/hubd" --listen=127.0.0.1:50051 --admin_listen=127.0.0.1:50052 \
  --data_dir="$root/var/data" --backup_dir="$root/var/backups" \
  --partnership="$root/deploy/partnership.example.textproto" \
  --agreement="$root/deploy/agreement.example.textproto" \
  --access="$root/deploy/access.example.textproto" \
  --tls_cert="$creds/server.pem" --tls_key="$creds/server.key" \
  --tls_client_ca="$creds/ca.pem" --jwks="$creds/jwks.json" "$@"
