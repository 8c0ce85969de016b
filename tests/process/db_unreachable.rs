//! When PostgreSQL cannot be reached, the command line's error and the server's start-up failure
//! name the cause (refused, unknown host, timeout, authentication, no such database, a bad TLS
//! setting) and never the password. Refused, unknown host, timeout and URL errors need no server;
//! the authentication cases need the test server.

use std::time::{Duration, Instant};

use crate::pg_common::pg_server;
use crate::support::{cli, stderr_of, stdout_of};

const SECRET: &str = "s3cretpw";

/// Runs `migrate` and `serve` with `url`; both must fail, without the password. Returns what
/// each printed.
fn both_fail(url: &str) -> Vec<String> {
    [
        &["migrate", "--database", url][..],
        &["serve", "--database", url, "--listen", "127.0.0.1:0"],
    ]
    .iter()
    .map(|args| {
        let out = cli(args);
        let printed = format!("{}{}", stdout_of(&out), stderr_of(&out));
        assert!(!out.status.success(), "{args:?} succeeded: {printed}");
        assert!(!printed.contains(SECRET), "{args:?}: {printed}");
        printed
    })
    .collect()
}

#[test]
fn a_refused_connection_is_named() {
    for printed in both_fail("postgres://u:s3cretpw@127.0.0.1:1/db") {
        assert!(
            printed.contains(
                "rolodex: error: cannot open database postgres://u:***@127.0.0.1:1/db: the database \
                 is unavailable: connection refused by 127.0.0.1:1: is PostgreSQL running and \
                 listening there?"
            ),
            "{printed}"
        );
    }
}

#[test]
fn an_unknown_host_is_named() {
    // `.invalid` never resolves (RFC 2606).
    for printed in both_fail("postgres://u:s3cretpw@no-such-host.invalid:5432/db") {
        assert!(
            printed.contains(
                "unknown host: the name in no-such-host.invalid:5432 does not resolve (DNS:"
            ),
            "{printed}"
        );
    }
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    // Accepts connections and says nothing, like a host behind a black hole.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        listener.set_nonblocking(true).expect("nonblocking");
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            match listener.accept() {
                Ok((socket, _)) => open.push(socket),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let url = format!("postgres://u:s3cretpw@127.0.0.1:{port}/db");
    let started = Instant::now();
    let out = cli(&["migrate", "--database", &url]);
    let printed = stderr_of(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(
        printed.contains(&format!(
            "timed out connecting to 127.0.0.1:{port} (no answer within 3 s"
        )),
        "{printed}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    held.join().expect("listener thread");
}

#[test]
fn a_bad_tls_setting_is_named_before_connecting() {
    for (query, says) in [
        (
            "sslmode=verify_full",
            "invalid database URL: unknown sslmode \"verify_full\": use disable, prefer, require, verify-ca or verify-full",
        ),
        (
            "sslmode=verify-full",
            "invalid database URL: sslmode=verify-full needs sslrootcert=PATH",
        ),
        (
            "sslmode=require&sslrootcert=/nonexistent/root.pem",
            "invalid database URL: cannot read sslrootcert /nonexistent/root.pem:",
        ),
        (
            "sslmode=require&sslrootcert=system",
            "invalid database URL: sslmode=require may not be used with sslrootcert=system (use verify-full)",
        ),
    ] {
        // Port 1 refuses: reaching it would say "connection refused" instead.
        let url = format!("postgres://u:s3cretpw@127.0.0.1:1/db?{query}");
        for printed in both_fail(&url) {
            assert!(printed.contains(says), "{query}: {printed}");
            assert!(
                printed.contains("postgres://u:***@127.0.0.1:1/db?"),
                "{printed}"
            );
        }
    }
}

#[test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
fn an_unknown_role_is_an_authentication_failure() {
    let server = pg_server("an_unknown_role_is_an_authentication_failure");
    let mut url = url::Url::parse(&format!("{server}/postgres")).expect("server URL");
    url.set_username("rolodex_no_such_role").expect("user");
    url.set_password(Some(SECRET)).expect("password");
    for printed in both_fail(url.as_str()) {
        assert!(
            printed.contains("the database is unavailable: authentication failed at ")
                && printed.contains("role \"rolodex_no_such_role\" does not exist"),
            "{printed}"
        );
    }
}

#[test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
fn an_unknown_database_is_named() {
    let server = pg_server("an_unknown_database_is_named");
    for printed in both_fail(&format!("{server}/rolodex_no_such_database")) {
        assert!(
            printed.contains("the database is unavailable: no such database at ")
                && printed.contains("database \"rolodex_no_such_database\" does not exist"),
            "{printed}"
        );
    }
}
