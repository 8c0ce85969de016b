//! Hostile and sloppy HTTP: keep-alive after early answers, slow heads and bodies, idle
//! connections, the connection cap, oversized heads, undecodable paths and query strings (shutdown
//! with half-sent requests is in the `process` crate). Raw sockets where the exact bytes matter.

use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

/// A server with extra flags; the server stops before the database goes.
struct Server {
    server: RunningServer,
    db: TestDb,
    token: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_on(TestDb::new(), args)
    }

    fn start_on(db: TestDb, args: &[&str]) -> Server {
        let server = RunningServer::start(&db, args);
        let token = server.create_token("acme", None);
        Server { server, db, token }
    }

    fn conn(&self) -> RawConn {
        RawConn::connect(self.server.port)
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// `GET {API}{path}` with the token on a fresh connection.
    fn get(&self, path: &str) -> RawResp {
        let mut c = self.conn();
        let auth = self.auth();
        c.request(
            "GET",
            &format!("{API}{path}"),
            &[("Authorization", &auth)],
            b"",
        );
        c.response().expect("a response")
    }

    /// `meta.total` of a list.
    fn total(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "{r:#?}");
        r.body["meta"]["total"].clone()
    }
}

#[track_caller]
fn assert_json(r: &RawResp, status: u16, message: &str) {
    assert_eq!(r.status, status, "{r:#?}");
    assert_eq!(r.body["message"], json!(message), "{r:#?}");
    assert!(
        r.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "{r:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Keep-alive after answers that do not need the body
// ---------------------------------------------------------------------------------------------

#[test]
fn keep_alive_survives_415_401_404_and_405_with_bodies() {
    let s = Server::start(&[]);
    let auth = s.auth();
    let body = br#"{"name": "Acme", "first_name": "A", "company_id": 1}"#;
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, u16);
    let cases: Vec<Case> = vec![
        (
            "POST",
            format!("{API}/companies"),
            vec![("Authorization", &auth), ("Content-Type", "text/plain")],
            415,
        ),
        (
            "POST",
            format!("{API}/companies"),
            vec![("Content-Type", "application/json")],
            401,
        ),
        (
            "POST",
            format!("{API}/nope"),
            vec![
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            404,
        ),
        (
            "POST",
            format!("{API}/contacts/1/tags/x"),
            vec![
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            405,
        ),
    ];
    for (method, path, headers, status) in cases {
        let mut c = s.conn();
        c.request(method, &path, &headers, body);
        let first = c.response().expect("first response");
        assert_eq!(first.status, status, "{path}: {first:#?}");
        assert!(first.body["message"].is_string(), "{first:#?}");
        assert!(
            !first.closes(),
            "{path}: the connection need not close: {first:#?}"
        );
        // The same connection carries the next request, which succeeds.
        c.request(
            "GET",
            &format!("{API}/companies"),
            &[("Authorization", &auth)],
            b"",
        );
        let second = c
            .response()
            .unwrap_or_else(|| panic!("{path}: connection closed after {status}"));
        assert_eq!(second.status, 200, "{path}: {second:#?}");
        assert_eq!(second.body["meta"]["total"], json!(0));
    }
    assert_eq!(s.total("/companies"), json!(0));
}

#[test]
fn two_requests_pipelined_in_one_write_are_both_answered() {
    let s = Server::start(&[]);
    let auth = s.auth();
    let req = |ct: &str| {
        format!(
            "POST {API}/companies HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Type: {ct}\r\nContent-Length: 16\r\n\r\n{{\"name\": \"Acme\"}}"
        )
    };
    let mut c = s.conn();
    c.send(format!("{}{}", req("text/plain"), req("application/json")).as_bytes());
    assert_eq!(c.response().expect("first").status, 415);
    let second = c.response().expect("second");
    assert_eq!(second.status, 201, "{second:#?}");
    assert_eq!(s.total("/companies"), json!(1));
}

// ---------------------------------------------------------------------------------------------
// Bodies: too large, too slow, broken
// ---------------------------------------------------------------------------------------------

#[test]
fn body_over_the_limit_is_413_json_and_closes() {
    let s = Server::start(&["--body-limit", "1000"]);
    let auth = s.auth();
    let body = format!(r#"{{"name": "{}"}}"#, "x".repeat(1500));
    let mut c = s.conn();
    c.request(
        "POST",
        &format!("{API}/companies"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    let r = c.response().expect("a response");
    assert_json(&r, 413, "The request body is too large.");
    assert!(r.closes(), "{r:#?}");
    assert!(c.closed_within(Duration::from_secs(5)));
    assert_eq!(s.total("/companies"), json!(0));
}

#[test]
fn slow_body_is_408_json_and_closes() {
    let s = Server::start(&["--body-timeout-secs", "1"]);
    let auth = s.auth();
    let mut c = s.conn();
    let head = format!(
        "POST {API}/companies HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": "
    );
    let started = Instant::now();
    c.send(head.as_bytes());
    let r = c.response().expect("a response");
    assert_json(&r, 408, "The request body was not received in time.");
    assert!(r.closes(), "{r:#?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.total("/companies"), json!(0));
}

#[test]
fn slow_body_of_an_unauthenticated_request_is_408_too() {
    // The body is read before anything answers, so a 401 never leaves it unread.
    let s = Server::start(&["--body-timeout-secs", "1"]);
    let mut c = s.conn();
    c.send(
        format!("POST {API}/companies HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{{\"na")
            .as_bytes(),
    );
    let r = c.response().expect("a response");
    assert_json(&r, 408, "The request body was not received in time.");
}

#[test]
fn broken_chunked_body_is_400_json() {
    let s = Server::start(&[]);
    let auth = s.auth();
    let mut c = s.conn();
    c.send(
        format!(
            "POST {API}/companies HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Transfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    );
    let r = c.response().expect("a response");
    assert_json(&r, 400, "The request body could not be read.");
    assert!(r.closes(), "{r:#?}");
    assert_eq!(s.total("/companies"), json!(0));
}

// ---------------------------------------------------------------------------------------------
// Heads and idle connections
// ---------------------------------------------------------------------------------------------

#[test]
fn slow_request_head_closes_the_connection() {
    let s = Server::start(&["--header-timeout-secs", "1"]);
    let mut c = s.conn();
    c.send(format!("GET {API}/companies HTTP/1.1\r\nHost: x\r\nX-Slow: ").as_bytes());
    let started = Instant::now();
    assert!(c.closed_within(Duration::from_secs(5)), "still open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "closed too early: {took:?}"
    );
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let s = Server::start(&["--header-timeout-secs", "1", "--idle-timeout-secs", "30"]);
    let mut c = s.conn();
    assert!(c.closed_within(Duration::from_secs(5)), "still open");
}

#[test]
fn idle_keep_alive_outlives_the_header_timeout_and_closes_after_the_idle_timeout() {
    let s = Server::start(&["--header-timeout-secs", "1", "--idle-timeout-secs", "3"]);
    let auth = s.auth();
    let mut c = s.conn();
    c.request(
        "GET",
        &format!("{API}/companies"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(c.response().expect("first").status, 200);
    // Idle for longer than the head timeout: the connection is still usable.
    std::thread::sleep(Duration::from_millis(1800));
    c.request(
        "GET",
        &format!("{API}/companies"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(c.response().expect("second, after idling").status, 200);
    // Idle for longer than the idle timeout: closed.
    let started = Instant::now();
    assert!(c.closed_within(Duration::from_secs(8)), "still open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "closed too early: {took:?}"
    );
}

#[test]
fn the_connection_cap_holds_new_connections_until_one_closes() {
    let s = Server::start(&["--max-connections", "2"]);
    let auth = s.auth();
    let mut first = s.conn();
    let mut second = s.conn();
    for c in [&mut first, &mut second] {
        c.request("GET", "/health", &[], b"");
        assert_eq!(c.response().expect("health").status, 200);
    }
    // The third is not served while two are open...
    let mut third = s.conn();
    third.request(
        "GET",
        &format!("{API}/companies"),
        &[("Authorization", &auth)],
        b"",
    );
    assert!(!third.closed_within(Duration::from_millis(1000)));
    // ...and is as soon as one closes.
    drop(first);
    third.set_read_timeout(Duration::from_secs(10));
    let r = third.response().expect("served after a slot freed");
    assert_eq!(r.status, 200, "{r:#?}");
    second.request("GET", "/health", &[], b"");
    assert_eq!(second.response().expect("still served").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Head limits (JSON) and hyper's own
// ---------------------------------------------------------------------------------------------

fn get_with_headers(s: &Server, extra: &[(String, String)]) -> RawResp {
    let auth = s.auth();
    let mut headers: Vec<(&str, &str)> = vec![("Authorization", &auth)];
    headers.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut c = s.conn();
    c.request("GET", &format!("{API}/companies"), &headers, b"");
    c.response().expect("a response")
}

fn numbered_headers(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("X-H{i}"), "v".to_string()))
        .collect()
}

#[test]
fn too_many_header_fields_are_431_json() {
    let s = Server::start(&[]);
    // Host + Authorization + 62 = 64 fields: fine.
    let ok = get_with_headers(&s, &numbered_headers(62));
    assert_eq!(ok.status, 200, "{ok:#?}");
    for n in [63, 95] {
        let r = get_with_headers(&s, &numbered_headers(n));
        assert_json(&r, 431, "Request Header Fields Too Large");
        assert!(r.closes(), "{r:#?}");
    }
}

#[test]
fn too_many_header_bytes_are_431_json() {
    let s = Server::start(&[]);
    let ok = get_with_headers(&s, &[("X-Big".into(), "v".repeat(15 * 1024))]);
    assert_eq!(ok.status, 200, "{ok:#?}");
    let r = get_with_headers(&s, &[("X-Big".into(), "v".repeat(16 * 1024))]);
    assert_json(&r, 431, "Request Header Fields Too Large");
    let r = get_with_headers(&s, &[("X-Big".into(), "v".repeat(100 * 1024))]);
    assert_json(&r, 431, "Request Header Fields Too Large");
}

#[test]
fn beyond_hypers_own_limits_the_answer_is_hypers() {
    let s = Server::start(&[]);
    // More fields than hyper parses at all (100), or a head larger than its buffer (256 KiB):
    // hyper's own empty 431.
    let r = get_with_headers(&s, &numbered_headers(300));
    assert_eq!(r.status, 431, "{r:#?}");
    // (hyper stops reading at its limit and closes, so the client may see a reset instead.)
    let auth = s.auth();
    let big = "v".repeat(300 * 1024);
    let mut c = s.conn();
    c.request(
        "GET",
        "/health",
        &[("Authorization", &auth), ("X-Big", &big)],
        b"",
    );
    if let Some(r) = c.response() {
        assert_eq!(r.status, 431, "{r:#?}");
    }
    // A URI over 65534 bytes: hyper's empty 414.
    let mut c = s.conn();
    c.request(
        "GET",
        &format!("{API}/companies/{}", "1".repeat(70_000)),
        &[],
        b"",
    );
    assert_eq!(c.response().expect("a response").status, 414);
    // The server is fine afterwards.
    assert_eq!(s.get("/companies").status, 200);
}

#[test]
fn long_path_is_414_json() {
    let s = Server::start(&[]);
    let auth = s.auth();
    let mut c = s.conn();
    let long = format!("{API}/companies/{}", "1".repeat(8 * 1024));
    c.request("GET", &long, &[("Authorization", &auth)], b"");
    let r = c.response().expect("a response");
    assert_json(&r, 414, "URI Too Long");
    // Just under the limit: an ordinary 404 (no such company).
    let mut c = s.conn();
    let path = format!("{API}/companies/9{}", "0".repeat(8 * 1024 - API.len() - 12));
    assert!(path.len() <= 8 * 1024);
    c.request("GET", &path, &[("Authorization", &auth)], b"");
    assert_json(&c.response().expect("a response"), 404, "Not found.");
}

#[test]
fn long_query_string_is_422_json() {
    let s = Server::start(&[]);
    let message = "The query string must not be greater than 8192 characters.";
    let r = s.get(&format!("/contacts?first_name={}", "a".repeat(8200)));
    assert_json(&r, 422, message);
    assert_eq!(r.body["errors"], json!({"query": [message]}), "{r:#?}");
    let q = format!("first_name={}", "a".repeat(8192 - 11));
    assert_eq!(q.len(), 8192);
    let r = s.get(&format!("/contacts?{q}"));
    assert_ne!(r.status, 422, "{r:#?}");
    assert_ne!(
        r.body["errors"].get("query"),
        Some(&json!([message])),
        "{r:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Undecodable paths and query strings
// ---------------------------------------------------------------------------------------------

#[test]
fn paths_with_invalid_utf8_or_nul_are_404_json() {
    let s = Server::start(&[]);
    let auth = s.auth();
    let c_id = {
        let mut c = s.conn();
        c.request(
            "POST",
            &format!("{API}/companies"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            br#"{"name": "Acme", "tags": ["ab"]}"#,
        );
        let r = c.response().expect("created");
        assert_eq!(r.status, 201, "{r:#?}");
        r.body["data"]["id"].clone()
    };
    for (method, path) in [
        ("GET", format!("{API}/contacts/%FF")),
        ("GET", format!("{API}/contacts/1%00")),
        ("GET", format!("{API}/companies/%C3")),
        ("DELETE", format!("{API}/contacts/1/tags/a%00b")),
        ("DELETE", format!("{API}/companies/{c_id}/tags/a%00b")),
        ("DELETE", format!("{API}/companies/{c_id}/tags/%FF%FE")),
        ("GET", "/health%00".to_string()),
    ] {
        let mut c = s.conn();
        c.request(method, &path, &[("Authorization", &auth)], b"");
        let r = c.response().expect("a response");
        assert_json(&r, 404, "Not found.");
    }
    // The company and its tag are untouched.
    let r = s.get(&format!("/companies/{c_id}/tags"));
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1), "{r:#?}");
}

#[test]
fn query_strings_with_invalid_utf8_or_nul_are_400_json() {
    let s = Server::start(&[]);
    let message = "The query string is not valid UTF-8 or contains a NUL byte.";
    for q in [
        "first_name=%FF",
        "first_name=a%00b",
        "first_name%00=a",
        "sort=%C3",
        "page=1&email[contains]=%E2%82",
    ] {
        let r = s.get(&format!("/contacts?{q}"));
        assert_json(&r, 400, message);
        let r = s.get(&format!("/companies?{q}"));
        assert_json(&r, 400, message);
    }
    // Valid UTF-8 still works.
    assert_eq!(s.get("/contacts?first_name=%C3%A9").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Request timeout
// ---------------------------------------------------------------------------------------------

#[test]
fn a_request_over_the_request_timeout_is_503_json() {
    // Always on SQLite (whatever ROLODEX_TEST_POSTGRES says): another connection holds SQLite's
    // write lock, so the server's write waits (busy timeout) past the request timeout.
    let s = Server::start_on(TestDb::sqlite(), &["--request-timeout-secs", "1"]);
    let path = s.db.url().trim_start_matches("sqlite://").to_string();
    let locker = rusqlite::Connection::open(&path).expect("open the database");
    locker
        .execute_batch("BEGIN IMMEDIATE;")
        .expect("take the write lock");
    let auth = s.auth();
    let mut c = s.conn();
    let started = Instant::now();
    c.request(
        "POST",
        &format!("{API}/companies"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"name": "Slow"}"#,
    );
    let r = c.response().expect("a response");
    assert_json(&r, 503, "The request took too long and was cancelled.");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "{took:?}");
    // The connection stays usable (the body had been read).
    c.request("GET", "/health", &[], b"");
    let health = c.response().expect("health on the same connection");
    assert_eq!(health.status, 200, "{health:#?}");
    locker
        .execute_batch("ROLLBACK;")
        .expect("release the write lock");
    drop(locker);
    assert_eq!(s.get("/companies").status, 200);
}
