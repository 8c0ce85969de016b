//! The request log of the binary (issue 11): one INFO line per request, in text or JSON, carrying
//! the request id the client got back, the route template (never the raw path, a query value, a
//! body or a token), the status, the latency, the tenant and the size; no colour codes into a
//! file.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// Waits until the server's stderr has a line containing `needle` (the log is written as the
/// request ends, just after its answer).
fn log_line_with(server: &ServeProcess, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stderr = server.stderr();
        if let Some(line) = stderr.lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no log line with {needle:?} in:\n{stderr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A contact of tenant `acme`, then `GET /contacts/{id}?password=...` with the id `sent` (or none):
/// the answer's status, request id and the contact's id.
async fn get_contact(
    server: &ServeProcess,
    token: &str,
    sent: Option<&str>,
) -> (u16, String, String) {
    let http = client();
    let company: Value = http
        .post(format!("{}{API}/companies", server.base))
        .bearer_auth(token)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let company = company["data"]["id"].clone();
    let created: Value = http
        .post(format!("{}{API}/contacts", server.base))
        .bearer_auth(token)
        .json(&json!({"first_name": "Ann", "company_id": company,
                     "email": "ann@example.com", "password": "created-secret-1"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["data"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no contact: {created}"))
        .to_owned();
    let mut req = http
        .get(format!(
            "{}{API}/contacts/{id}?password=query-secret-2",
            server.base
        ))
        .bearer_auth(token);
    if let Some(sent) = sent {
        req = req.header("X-Request-Id", sent);
    }
    let r = req.send().await.expect("get");
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an X-Request-Id")
        .to_owned();
    (r.status().as_u16(), request_id, id)
}

fn assert_no_secrets(stderr: &str, token: &str) {
    for secret in [token, "created-secret-1", "query-secret-2"] {
        assert!(!stderr.contains(secret), "{secret:?} logged:\n{stderr}");
    }
}

#[tokio::test]
async fn text_log_lines_carry_the_request_id_and_the_route_template_without_colours() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let server = ServeProcess::spawn(&db, &[], &[("ROLODEX_LOG_FORMAT", "text")]);
    let (status, request_id, contact) = get_contact(&server, &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(request_id.len(), 32, "{request_id}");

    let line = log_line_with(&server, &format!("request_id={request_id}"));
    for part in [
        " INFO ",
        "method=GET",
        "route=/external/api/v1/contacts/{id}",
        "status=200",
        "latency_ms=",
        "tenant=",
        "bytes=",
    ] {
        assert!(line.contains(part), "{part:?} not in {line:?}");
    }
    assert!(
        !line.contains(&format!("/contacts/{contact}")),
        "the raw path: {line}"
    );

    // A request refused before routing: no tenant, the API's catch-all as its route.
    let r = client()
        .get(format!("{}{API}/contacts/{contact}", server.base))
        .header("X-Request-Id", "unauthenticated-1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let line = log_line_with(&server, "request_id=unauthenticated-1");
    assert!(line.contains("status=401"), "{line}");
    assert!(line.contains("route=/external/api/v1/*"), "{line}");
    assert!(!line.contains("tenant="), "{line}");

    let stderr = server.stderr();
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI codes in a file:\n{stderr}"
    );
    assert_no_secrets(&stderr, &token);
}

#[tokio::test]
async fn json_log_lines_carry_the_request_id_in_every_field_set() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut server = ServeProcess::spawn(&db, &["--log-format", "json"], &[]);
    let (status, request_id, _) = get_contact(&server, &token, Some("trace-me-7")).await;
    assert_eq!(status, 200);
    assert_eq!(request_id, "trace-me-7");
    log_line_with(&server, "trace-me-7");
    server.stop();

    let stderr = server.stderr();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect();
    let ours: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == json!("trace-me-7"))
        .collect();
    assert_eq!(ours.len(), 1, "{stderr}");
    let fields = &ours[0]["fields"];
    assert_eq!(ours[0]["level"], json!("INFO"));
    assert_eq!(fields["message"], json!("request"));
    assert_eq!(fields["method"], json!("GET"));
    assert_eq!(fields["route"], json!("/external/api/v1/contacts/{id}"));
    assert_eq!(fields["status"], json!(200));
    assert!(fields["tenant"].as_i64().is_some(), "{fields}");
    assert!(fields["bytes"].as_u64().unwrap() > 10, "{fields}");
    assert!(fields["latency_ms"].as_f64().unwrap() >= 0.0, "{fields}");
    // The start-up lines are JSON too.
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == json!("listening")),
        "{stderr}"
    );
    assert_no_secrets(&stderr, &token);
}

#[test]
fn an_unknown_log_format_is_refused() {
    let out = cli(&["serve", "--log-format", "xml", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("xml"), "{}", stderr_of(&out));
}

/// Lines are written in batches (`log_writer`): at exit every pending line is out, in the order
/// the requests were answered, none lost or torn.
#[tokio::test]
async fn every_request_line_is_written_in_order_before_exit() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut server = ServeProcess::spawn(&db, &[], &[("ROLODEX_LOG_FORMAT", "text")]);
    let http = client();
    const REQUESTS: usize = 400;
    for i in 0..REQUESTS {
        let r = http
            .get(format!("{}{API}/contacts?per_page=1", server.base))
            .bearer_auth(&token)
            .header("X-Request-Id", format!("batch-{i:04}"))
            .send()
            .await
            .expect("list");
        assert_eq!(r.status(), 200);
    }
    // Stopped at once: the last lines are still pending in memory when the signal arrives.
    assert!(server.stop().success());
    let stderr = server.stderr();
    let seen: Vec<usize> = stderr
        .lines()
        .filter_map(|l| l.split("request_id=batch-").nth(1))
        .filter_map(|rest| rest.get(..4)?.parse().ok())
        .collect();
    assert_eq!(
        seen,
        (0..REQUESTS).collect::<Vec<_>>(),
        "in order, none lost"
    );
    for line in stderr.lines().filter(|l| l.contains("request_id=batch-")) {
        let whole = line.starts_with(|c: char| c.is_ascii_digit())
            && line.contains("status=200")
            && line.contains("bytes=");
        assert!(whole, "torn: {line:?}");
    }
}
