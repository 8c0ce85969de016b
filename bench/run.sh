#!/usr/bin/env bash
# The benchmark, in one command: builds in release mode, then runs rolodex-bench with your options.
#   bench/run.sh                                  # SQLite, 100,000 contacts, 64 connections, 10 s each
#   bench/run.sh --contacts 1000000               # a million contacts
#   bench/run.sh --database postgres://postgres@127.0.0.1:5432/postgres
#   bench/run.sh --peer --crash 10                # + json-server 0.17.4, + SIGKILL durability test
#   bench/run.sh --noisy-neighbour                # tenant A's hostile patterns vs tenant B's latency
#   bench/run.sh --noisy-neighbour --contacts 20000 --duration 5 --patterns password_storm,slow_clients
# Needs Debian's wrk (apt-get install -y wrk; not for --noisy-neighbour); --peer needs node 20 + npm. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
noisy=0
for a in "$@"; do [ "$a" = --noisy-neighbour ] && noisy=1; done
if [ "$noisy" = 0 ] && ! command -v wrk >/dev/null 2>&1; then
  echo "rolodex-bench needs wrk: apt-get update && apt-get install -y wrk" >&2
  exit 1
fi
cargo build --release --bins
exec ./target/release/rolodex-bench "$@"
