#!/usr/bin/env bash
# Runs the examples of README.md's "Rolodex in your test suite" exactly as written: the pytest
# block (in a virtualenv under target/, with pytest and requests from PyPI) and, when Node is
# installed, the node:test block, both against the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[sandbox-examples] %s\n' "$*"; }

cargo build --locked --bin rolodex
export ROLODEX_BIN="$PWD/target/debug/rolodex"
WORK=target/sandbox-examples
rm -rf "$WORK" && mkdir -p "$WORK"

# The block between the markers, without its ``` fences.
extract() {
  awk -v start="<!-- $1:start -->" -v end="<!-- $1:end -->" \
    '$0 == start {on = 1; next} $0 == end {on = 0} on && !/^```/' README.md
}

extract pytest-example >"$WORK/test_readme_example.py"
test -s "$WORK/test_readme_example.py" || { log "no pytest example in README.md"; exit 1; }
VENV=target/sandbox-venv
if [ ! -x "$VENV/bin/pytest" ] || ! "$VENV/bin/python" -c 'import requests' 2>/dev/null; then
  log "creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check pytest requests
fi
log "pytest example"
(cd "$WORK" && "../../$VENV/bin/pytest" -p no:cacheprovider -q test_readme_example.py)

if command -v node >/dev/null 2>&1; then
  extract node-example >"$WORK/readme-example.test.mjs"
  test -s "$WORK/readme-example.test.mjs" || { log "no node example in README.md"; exit 1; }
  log "node example ($(node --version))"
  node --test "$WORK/readme-example.test.mjs"
else
  log "node is not installed: the node example is skipped"
fi
