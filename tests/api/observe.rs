//! `X-Request-Id` (issue 11): a client's sane id is kept, anything else replaced by a generated
//! one, and every answer carries it: successes, 401, 404, 405, 413, 422, 429, an injected fault, a
//! request timeout, the probes. The journal records the same id.

use reqwest::Method;

use crate::admin::Sandbox;
use crate::support::*;

const ID: &str = "x-request-id";

/// A server-made id: 128 random bits in hex.
fn generated(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[track_caller]
fn id_of(r: &Resp) -> String {
    r.header(ID)
        .unwrap_or_else(|| panic!("no X-Request-Id on a {}: {r:#?}", r.status))
}

#[tokio::test]
async fn every_answer_carries_a_request_id_generated_when_none_was_sent() {
    let sb = Sandbox::start_with(&[
        "--journal",
        "10",
        "--body-limit",
        "1024",
        "--rate-limit",
        "10",
        "--request-timeout-secs",
        "1",
    ]);
    let s = &sb.s;
    let limited = s.token("acme");
    let mut answers = vec![
        s.raw_request(Method::GET, "/health", None, None, None, &[])
            .await
            .expect(200)
            .clone(),
        s.raw_request(Method::GET, "/nope", None, None, None, &[])
            .await
            .expect(404)
            .clone(),
        s.request(Method::GET, "/contacts", None, None, None, &[])
            .await
            .expect(401)
            .clone(),
        s.get("/contacts").await.expect(200).clone(),
        s.get("/contacts/999999").await.expect(404).clone(),
        s.get("/nothing-here").await.expect(404).clone(),
        s.delete("/contacts").await.expect(405).clone(),
        s.post("/contacts", &json!({})).await.expect(422).clone(),
        s.request(
            Method::POST,
            "/contacts",
            Some(&s.token),
            Some(vec![b'x'; 4096]),
            Some("application/json"),
            &[],
        )
        .await
        .expect(413)
        .clone(),
    ];
    for _ in 0..10 {
        s.get_as("/custom-fields", &limited).await.expect(200);
    }
    answers.push(
        s.get_as("/custom-fields", &limited)
            .await
            .expect(429)
            .clone(),
    );
    // An injected fault, then a request that outlasts the request timeout (1 s).
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 503, "times": 1}),
    )
    .await
    .expect(201);
    answers.push(s.get("/companies").await.expect(503).clone());
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "delay_ms": 1500, "times": 1}),
    )
    .await
    .expect(201);
    let timed_out = s.get("/companies").await;
    timed_out.expect(503);
    assert_eq!(
        timed_out.body["message"],
        json!("The request took too long and was cancelled.")
    );
    answers.push(timed_out);

    let mut ids: Vec<String> = answers.iter().map(id_of).collect();
    for (id, r) in ids.iter().zip(&answers) {
        assert!(generated(id), "{id:?} on a {}", r.status);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), answers.len(), "ids repeat: {ids:?}");
}

#[tokio::test]
async fn a_sane_client_id_is_kept_anything_else_is_replaced() {
    let s = TestServer::start().await;
    let long_ok = "a".repeat(128);
    for kept in [
        "req-42",
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "a",
        &long_ok,
    ] {
        let r = s
            .request(
                Method::GET,
                "/contacts",
                Some(&s.token),
                None,
                None,
                &[(ID, kept)],
            )
            .await;
        r.expect(200);
        assert_eq!(id_of(&r), kept);
        // Also on an error that never reaches a handler.
        let r = s
            .request(Method::GET, "/contacts", None, None, None, &[(ID, kept)])
            .await;
        r.expect(401);
        assert_eq!(id_of(&r), kept);
    }
    // Over a raw connection: reqwest refuses to send some of these.
    let too_long = "a".repeat(129);
    let mut conn = RawConn::connect(s.server.port);
    for replaced in [
        &b"two words"[..],
        b"",
        too_long.as_bytes(),
        b"tab\there",
        b"caf\xc3\xa9",
    ] {
        let mut head = format!(
            "GET {API}/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n",
            s.token
        )
        .into_bytes();
        head.extend_from_slice(b"X-Request-Id: ");
        head.extend_from_slice(replaced);
        head.extend_from_slice(b"\r\n\r\n");
        conn.send(&head);
        let r = conn.response().expect("a response");
        assert_eq!(r.status, 200);
        let id = r.header(ID).expect("an id");
        assert!(
            generated(id),
            "{:?} was answered with {id:?}",
            String::from_utf8_lossy(replaced)
        );
    }
}

#[tokio::test]
async fn the_journal_records_the_id_the_client_got() {
    let sb = Sandbox::start_with(&["--journal", "10"]);
    let sent =
        sb.s.request(
            Method::GET,
            "/contacts",
            Some(&sb.s.token),
            None,
            None,
            &[(ID, "mine-1")],
        )
        .await;
    sent.expect(200);
    let given = sb.s.get("/contacts/424242").await;
    given.expect(404);
    let given_id = id_of(&given);
    assert!(generated(&given_id));
    let r = sb.get("/tenants/acme/requests").await;
    r.expect(200);
    assert_eq!(r.data()[0]["request_id"], json!(given_id));
    assert_eq!(r.data()[1]["request_id"], json!("mine-1"));
}
