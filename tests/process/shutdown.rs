//! Shutdown with half-sent requests: SIGTERM while clients hold half a head, half a body, or an
//! idle keep-alive connection (moved from the API crate's `hostile_http`: they signal the process
//! and check its exit).

use std::time::{Duration, Instant};

use crate::support::*;

/// A server process with extra flags; the process stops before the database goes.
struct Server {
    process: ServeProcess,
    db: TestDb,
    token: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let db = TestDb::new();
        let token = create_token(db.url(), "acme", None);
        let process = ServeProcess::spawn(&db, args, &[]);
        Server { process, db, token }
    }

    fn conn(&self) -> RawConn {
        RawConn::connect(self.process.port)
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

// ---------------------------------------------------------------------------------------------
// Shutdown with half-sent requests
// ---------------------------------------------------------------------------------------------

fn exits_within(s: &mut Server, within: Duration) -> Duration {
    let started = Instant::now();
    s.process.signal("TERM");
    let status = s
        .process
        .wait_timeout(within)
        .unwrap_or_else(|| panic!("still running {within:?} after SIGTERM"));
    assert_eq!(status.code(), Some(0), "{}", s.process.stderr());
    started.elapsed()
}

#[test]
fn sigterm_exits_while_a_client_holds_half_a_request_head() {
    let mut s = Server::start(&[
        "--shutdown-timeout-secs",
        "2",
        "--header-timeout-secs",
        "60",
    ]);
    let mut c = s.conn();
    c.send(format!("POST {API}/companies HTTP/1.1\r\nHost: x\r\nContent-Le").as_bytes());
    std::thread::sleep(Duration::from_millis(300));
    let took = exits_within(&mut s, Duration::from_secs(5));
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(c.closed_within(Duration::from_secs(2)));
}

#[test]
fn sigterm_exits_within_the_deadline_while_a_client_holds_half_a_body() {
    let mut s = Server::start(&["--shutdown-timeout-secs", "2", "--body-timeout-secs", "60"]);
    let auth = s.auth();
    let mut c = s.conn();
    c.send(
        format!(
            "POST {API}/companies HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{\"name\": \"Ha"
        )
        .as_bytes(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let took = exits_within(&mut s, Duration::from_secs(2 + 4));
    assert!(
        took >= Duration::from_millis(1500),
        "did not wait for the request: {took:?}"
    );
    // Nothing was stored: a new server on the same database finds no company.
    let process = ServeProcess::spawn(&s.db, &[], &[]);
    let mut c = RawConn::connect(process.port);
    c.request(
        "GET",
        &format!("{API}/companies"),
        &[("Authorization", &auth)],
        b"",
    );
    let r = c.response().expect("a response");
    assert_eq!(r.body["meta"]["total"], json!(0), "{r:#?}");
}

#[test]
fn sigterm_lets_an_idle_keep_alive_connection_go_at_once() {
    let mut s = Server::start(&["--shutdown-timeout-secs", "10"]);
    let mut c = s.conn();
    c.request("GET", "/health", &[], b"");
    assert_eq!(c.response().expect("health").status, 200);
    let took = exits_within(&mut s, Duration::from_secs(5));
    assert!(took < Duration::from_secs(3), "{took:?}");
}
