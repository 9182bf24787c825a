#!/usr/bin/env bash
# Makes a set of credentials for a TRIAL of the hub with mutual TLS and signed tokens:
#
#   deploy/make-trial-credentials.sh OUT_DIR
#
# TRIALS ONLY. NEVER USE THESE FOR REAL DATA: the CA key and the token signing key sit in
# plain files beside everything else, and the tokens carry whatever roles you ask for. A live
# partnership uses its own PKI for agency certificates and its identity provider for tokens.
#
# What it makes in OUT_DIR (EC P-256 keys throughout; keys are chmod 600):
#   ca.pem, ca.key            a local CA: hubd --tls_client_ca=ca.pem; clients trust it for
#                             the server. ca.key signs the certificates below, nothing else.
#   server.pem, server.key    hubd's certificate (--tls_cert, --tls_key): DNS:localhost,
#                             IP:127.0.0.1, IP:::1; serverAuth
#   agencies/ID.pem, ID.key   one client certificate per agency of
#                             deploy/partnership.example.textproto: CN=ID, URI:urn:hub:agency:ID,
#                             clientAuth, 365 days (what deploy/access.example.textproto matches)
#   operator.pem, operator.key
#                             the hub operators' client certificate: URI:urn:hub:operator:northshire
#   signing.key               the trial identity provider's token signing key: hubctl token
#   jwks.json                 its public key as a JWKS, kid "trial-1": hubd --jwks
#
# Idempotent: what OUT_DIR already holds is kept (a certificate not issued by ca.pem is
# reported); only what is missing is made, and each thing made is printed. Needs the openssl
# command-line tool and hubctl (built into ./build if missing; or set HUBCTL=/path/to/hubctl).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
partnership="$root/deploy/partnership.example.textproto"

if [[ $# -ne 1 || "$1" == -* ]]; then
  sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out="$1"
command -v openssl >/dev/null || { echo "$0: needs the openssl tool (apt-get install openssl)" >&2; exit 1; }

umask 077  # keys are created private; certificates are made readable below
mkdir -p "$out/agencies"
made=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# OpenSSL configuration for the requests and extensions, so that nothing depends on the
# system's openssl.cnf. The per-certificate SAN comes from the environment.
cat >"$work/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $ENV::HUB_CN
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = $ENV::HUB_SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
export HUB_CN="" HUB_SAN=""

new_key() {  # new_key FILE: an EC P-256 private key (PKCS#8), mode 600
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  chmod 600 "$1"
}

# issue NAME CN EXTENSIONS SAN DAYS: NAME.key and NAME.pem signed by the CA, unless both exist.
issue() {
  local name="$1" cn="$2" ext="$3" san="$4" days="$5"
  if [[ -e "$name.pem" && -e "$name.key" ]]; then
    if ! openssl verify -CAfile "$out/ca.pem" "$name.pem" >/dev/null 2>&1; then
      echo "warning: $name.pem does not verify against $out/ca.pem (another CA, or expired);" \
           "delete $name.pem and $name.key to issue it again" >&2
    fi
    return
  fi
  if [[ -e "$name.pem" || -e "$name.key" ]]; then
    echo "$0: only one of $name.pem and $name.key exists; delete it to issue both again" >&2
    exit 1
  fi
  new_key "$name.key.tmp"
  HUB_CN="$cn" HUB_SAN="$san" openssl req -new -config "$work/openssl.cnf" \
    -key "$name.key.tmp" -out "$work/request.csr"
  HUB_CN="$cn" HUB_SAN="$san" openssl x509 -req -in "$work/request.csr" \
    -CA "$out/ca.pem" -CAkey "$out/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days "$days" -sha256 -extfile "$work/openssl.cnf" -extensions "$ext" \
    -out "$name.pem.tmp" 2>/dev/null
  chmod 644 "$name.pem.tmp"
  mv "$name.key.tmp" "$name.key"
  mv "$name.pem.tmp" "$name.pem"
  echo "made ${name#"$out"/}.pem and .key (CN=$cn${san:+, $san})"
  made=$((made + 1))
}

# The CA. Remaking it would orphan every certificate issued so far, so half a CA is an error.
if [[ -e "$out/ca.pem" && -e "$out/ca.key" ]]; then
  :
elif [[ -e "$out/ca.pem" || -e "$out/ca.key" ]]; then
  echo "$0: only one of ca.pem and ca.key exists in $out; restore the other or delete both" >&2
  exit 1
else
  new_key "$out/ca.key.tmp"
  HUB_CN="Northshire hub TRIAL CA - not for real data" openssl req -new -x509 \
    -config "$work/openssl.cnf" -extensions ca_ext -key "$out/ca.key.tmp" -sha256 -days 1825 \
    -set_serial "0x$(openssl rand -hex 16)" -out "$out/ca.pem.tmp"
  chmod 644 "$out/ca.pem.tmp"
  mv "$out/ca.key.tmp" "$out/ca.key"
  mv "$out/ca.pem.tmp" "$out/ca.pem"
  echo "made ca.pem and ca.key (trial CA, 5 years)"
  made=$((made + 1))
fi

issue "$out/server" "localhost" server_ext "" 365
issue "$out/operator" "hub-operator" client_ext "URI:urn:hub:operator:northshire" 365

# Agency ids: the agency_id of each top-level `agencies { ... }` block of the partnership
# (comments dropped; braces counted so that ids elsewhere in the file are not picked up).
mapfile -t agencies < <(awk '
  { line = $0; sub(/#.*/, "", line) }
  depth == 0 && line ~ /^[[:space:]]*agencies[[:space:]]*\{/ { in_agency = 1 }
  in_agency && depth <= 1 {
    rest = line
    while (match(rest, /agency_id:[[:space:]]*"[^"]*"/)) {
      id = substr(rest, RSTART, RLENGTH)
      sub(/^agency_id:[[:space:]]*"/, "", id); sub(/"$/, "", id)
      print id
      rest = substr(rest, RSTART + RLENGTH)
    }
  }
  {
    depth += gsub(/\{/, "{", line) - gsub(/\}/, "}", line)
    if (depth == 0) in_agency = 0
  }' "$partnership")
if [[ ${#agencies[@]} -eq 0 ]]; then
  echo "$0: found no agencies in $partnership" >&2
  exit 1
fi
for id in "${agencies[@]}"; do
  # Ids become file names and certificate names: keep to what the partnership file allows.
  if [[ ! "$id" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "$0: agency id '$id' in $partnership is not lower-case letters, digits and '-'" >&2
    exit 1
  fi
  issue "$out/agencies/$id" "$id" client_ext "URI:urn:hub:agency:$id" 365
done

# The token signing key and its public JWKS.
if [[ ! -e "$out/signing.key" ]]; then
  rm -f "$out/jwks.json"  # a JWKS of some earlier key would not verify the new key's tokens
  new_key "$out/signing.key.tmp"
  mv "$out/signing.key.tmp" "$out/signing.key"
  echo "made signing.key (token signing key, ES256)"
  made=$((made + 1))
fi
if [[ ! -e "$out/jwks.json" ]]; then
  hubctl="${HUBCTL:-}"
  if [[ -z "$hubctl" ]]; then
    if [[ -x "$root/build/tools/hubctl/hubctl" ]]; then
      hubctl="$root/build/tools/hubctl/hubctl"
    elif command -v hubctl >/dev/null; then
      hubctl="$(command -v hubctl)"
    else
      "$root/deploy/build.sh" --target hubctl >/dev/null
      hubctl="$root/build/tools/hubctl/hubctl"
    fi
  fi
  "$hubctl" jwks --signing_key="$out/signing.key" --kid=trial-1 >"$out/jwks.json.tmp"
  chmod 644 "$out/jwks.json.tmp"
  mv "$out/jwks.json.tmp" "$out/jwks.json"
  echo "made jwks.json (public key of signing.key, kid trial-1)"
  made=$((made + 1))
fi

if [[ $made -eq 0 ]]; then
  echo "nothing to make: $out already holds a complete set"
fi
cat <<EOF
TRIALS ONLY: never use these credentials for real data. A token for a practitioner:
  hubctl token --signing_key=$out/signing.key --kid=trial-1 \\
    --issuer=https://idp.northshire.example/trial --audience=northshire-safeguarding-hub \\
    --user=sw-0042 --agency=asc-northshire --roles=mash_triage --ttl=1h
EOF
