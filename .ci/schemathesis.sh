#!/usr/bin/env bash
# Contract fuzzing (issue 11): schemathesis (from PyPI, pinned, in a virtualenv reused across
# runs) against the OpenAPI document the real binary serves, on a fresh SQLite file with a little
# data and a valid token. Exits non-zero on any server error (5xx) and on any response the
# document does not describe: its status, content type or body schema.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[schemathesis] %s\n' "$*"; }

SCHEMATHESIS_VERSION=4.32.5
# The bounds: test cases per operation, and the whole run in seconds (the fuzzing and stateful
# phases repeat until it is spent). The seed makes a run repeatable.
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-20}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-240}"
SEED="${SCHEMATHESIS_SEED:-1}"

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/rolodex-schemathesis-$SCHEMATHESIS_VERSION"
if ! "$VENV/bin/schemathesis" --version >/dev/null 2>&1; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --locked --bin rolodex
BIN="$PWD/target/debug/rolodex"
WORK="$PWD/target/schemathesis"
rm -rf "$WORK" && mkdir -p "$WORK"
DB="sqlite://$WORK/rolodex.db"

TOKEN=$("$BIN" --database "$DB" tokens create --tenant fuzz --name schemathesis | tail -n 1)
"$BIN" --database "$DB" seed --tenant fuzz --contacts 20 --companies 5 --seed 11 >/dev/null

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$BIN" --database "$DB" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "$BASE/health" >/dev/null && break
  sleep 0.1
done
curl -sf "$BASE/health" >/dev/null || { log "the server did not start:"; cat "$WORK/server.log"; exit 1; }

# What the seed does not make: one record of every other kind, so reads find something.
api() {
  if ! curl -sS --fail-with-body -o "$WORK/seed.out" -X "$1" "$BASE/external/api/v1$2" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$3"; then
    log "seeding $1 $2 failed:"; cat "$WORK/seed.out"; echo; exit 1
  fi
}
api POST /custom-fields '{"label": "Fuzz region", "type": "dropdown", "options": {"choices": ["North", "South"]}}'
api POST /price-levels '{"name": "Fuzz level", "percent_increase": 10}'
api POST /warehouses '{"name": "Fuzz dock", "parent_id": 1}'
api POST /companies/1/shipping-addresses '{"address_1": "9 Port Way", "city": "Dallas", "is_default": true}'
api POST /contacts/1/tags '{"tags": ["fuzz"]}'
api PUT /companies/1/custom-fields '{"Fuzz region": "North"}'

log "schemathesis $SCHEMATHESIS_VERSION: at most $MAX_EXAMPLES cases per operation, ${MAX_TIME}s, seed $SEED"
# From $WORK: schemathesis keeps its cache (.schemathesis/) in the current directory.
(cd "$WORK" && "$VENV/bin/schemathesis" run "$BASE/external/api/v1/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --seed "$SEED" \
  --workers 2 --no-color --report junit --report-dir "$WORK/report")

# A panic is answered (500) and would have failed a check; say so plainly if one was logged.
if grep -q "panicked" "$WORK/server.log"; then
  log "the server logged a panic:"
  grep -A5 "panicked" "$WORK/server.log"
  exit 1
fi
log "passed"
