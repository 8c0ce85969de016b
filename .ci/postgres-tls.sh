#!/usr/bin/env bash
# Makes the local PostgreSQL (127.0.0.1:5432, user postgres, trust) accept TLS with a certificate
# the TLS tests (tests/process/pg_tls.rs) can check, idempotently:
#   - ssl = on;
#   - the server certificate (ssl_cert_file) is valid, names `localhost`, is not a CA, and the last
#     certificate in its file is the root it chains to. Debian's snakeoil certificate passes when it
#     was made for `localhost`; otherwise (made for the machine's hostname, say) a throwaway CA and
#     a server certificate for `localhost` signed by it are generated into the data directory, the
#     file holding the server certificate and then the CA, and the server reloads.
# The tests read ssl_cert_file from the server and take its last certificate as sslrootcert.
# Called by .ci/run after .ci/postgres.sh; safe to run by hand any number of times.
set -euo pipefail

PORT="${ROLODEX_PG_PORT:-5432}"
ADMIN="postgres://postgres@127.0.0.1:$PORT/postgres"
log() { printf '[postgres-tls.sh] %s\n' "$*"; }
q() { psql "$ADMIN" -Atqc "$1"; }

data=$(q 'SHOW data_directory')
absolute() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$data" "$1" ;; esac; }

# Whether $1 is a certificate file the tests can use (see above).
usable() {
  local file=$1 work last
  [ -r "$file" ] || return 1
  openssl x509 -in "$file" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  openssl x509 -in "$file" -noout -checkhost localhost 2>/dev/null | grep -q 'does match' || return 1
  # rustls refuses a CA certificate as the server's own.
  if openssl x509 -in "$file" -noout -ext basicConstraints 2>/dev/null | grep -q 'CA:TRUE'; then
    return 1
  fi
  work=$(mktemp -d)
  last="$work/last.pem"
  awk -v out="$last" '/-----BEGIN CERTIFICATE-----/ { buf = "" } { buf = buf $0 "\n" }
    /-----END CERTIFICATE-----/ { printf "%s", buf > out; close(out) }' "$file"
  local ok=1
  openssl verify -CAfile "$last" "$file" >/dev/null 2>&1 || ok=0
  rm -rf "$work"
  [ "$ok" = 1 ]
}

cert=$(absolute "$(q 'SHOW ssl_cert_file')")
want=$cert
if ! usable "$cert"; then
  dir="$data/rolodex-tls"
  log "$cert is not usable for the TLS tests; generating a CA and a localhost certificate in $dir"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=Rolodex CI test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n' \
    >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
  cat "$dir/server.pem" "$dir/ca.pem" >"$dir/server-chain.pem"
  rm -f "$dir/ca.key" "$dir/server.csr" "$dir/server.ext"
  chown -R postgres:postgres "$dir"
  chmod 700 "$dir"
  chmod 600 "$dir/server.key"
  q "ALTER SYSTEM SET ssl_cert_file = '$dir/server-chain.pem'"
  q "ALTER SYSTEM SET ssl_key_file = '$dir/server.key'"
  want="$dir/server-chain.pem"
  usable "$want" || { log "the generated certificate is not usable"; exit 1; }
fi

if [ "$(q 'SHOW ssl')" != on ] || [ "$cert" != "$want" ]; then
  q "ALTER SYSTEM SET ssl = on"
  q "SELECT pg_reload_conf()" >/dev/null
fi

# A reload reaches new sessions a moment later; wait until one of them is encrypted with the
# certificate wanted.
for _ in $(seq 1 50); do
  if [ "$(absolute "$(q 'SHOW ssl_cert_file')")" = "$want" ] \
    && [ "$(psql "postgres://postgres@localhost:$PORT/postgres?sslmode=require" -Atqc \
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>/dev/null)" = t ]; then
    log "TLS on with $(q 'SHOW ssl_cert_file')"
    exit 0
  fi
  sleep 0.2
done
log "PostgreSQL does not accept TLS connections; its log may say why"
exit 1
