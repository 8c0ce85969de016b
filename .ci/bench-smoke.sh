#!/usr/bin/env bash
# A seconds-long run of the benchmark (not a measurement): 2,000 contacts, 1 s per workload,
# the storage-layer ceiling, a SIGKILL crash test; fails on any error. Keeps rolodex-bench working.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi

cargo build --release --locked --bins
./target/release/rolodex-bench --smoke --json target/rolodex-bench/smoke.json
