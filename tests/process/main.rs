//! Tests that need the `rolodex` binary as a process: the command line, start-up flags and the
//! environment, signals and exit codes, what goes to stdout and stderr, SIGKILL durability,
//! `rolodex copy`, and PostgreSQL scenarios with several instances, outages or PgBouncer. Each
//! spawns `rolodex serve` (and the CLI) as the user would. API behaviour is tested in process by
//! the `api` crate instead.

mod backup;
mod cli;
mod cli_commands;
mod copy;
mod crash;
mod db_unreachable;
mod http_niceties;
mod metrics;
mod observe;
mod pg_common;
mod pg_console;
mod pg_multi;
mod pg_outage;
mod pg_pooler;
mod pg_schema;
mod pg_statements;
mod pg_tls;
mod rate_limit;
mod sandbox;
mod shutdown;
mod support;
mod systemd;
mod tls;

// The crash scenario of `rolodex-bench --crash`, shared through `#[path]`. Its modules refer to
// each other from the crate root (`crate::server`), so they are declared here. The bench uses
// parts this test does not.
#[path = "../../src/bin/rolodex-bench/crash.rs"]
#[allow(
    dead_code,
    reason = "the bench uses parts of these modules this test does not"
)]
mod bench_crash;
#[path = "../../src/bin/rolodex-bench/seed.rs"]
#[allow(
    dead_code,
    reason = "the bench uses parts of these modules this test does not"
)]
mod bench_seed;
#[path = "../../src/bin/rolodex-bench/server.rs"]
#[allow(
    dead_code,
    reason = "the bench uses parts of these modules this test does not"
)]
mod server;
