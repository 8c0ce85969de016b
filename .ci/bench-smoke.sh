#!/usr/bin/env bash
# A seconds-long run of the benchmark (not a measurement): 2,000 contacts, 1 s per workload,
# the storage-layer ceiling, a SIGKILL crash test, the idle release; fails on any error. Then the
# noisy-neighbour smoke (~30 s), which fails only if the tool breaks, not on missed targets. Keeps
# rolodex-bench working.
# Debug binaries: the test run has built the dev profile already (.ci/run runs this last), so this
# build is near-free, where a release build took about 10 minutes of CI. rolodex-bench starts the
# `rolodex` next to itself, i.e. target/debug/rolodex.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi

cargo build --locked --bins
./target/debug/rolodex-bench --smoke --json target/rolodex-bench/smoke.json
./target/debug/rolodex-bench --noisy-neighbour --smoke --json target/rolodex-bench/noisy-smoke.json
