//! `--rate-limit N`: requests per minute per token, answered like Laravel's ThrottleRequests.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::*;

struct Limited {
    server: RunningServer,
    db: TestDb,
    token: String,
    client: reqwest::Client,
}

impl Limited {
    fn start(args: &[&str]) -> Limited {
        let db = TestDb::new();
        let server = RunningServer::start(&db, args);
        let token = server.create_token("acme", None);
        Limited {
            server,
            db,
            token,
            client: client(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.server.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if path.ends_with("/companies") {
            req = req.json(&json!({"name": "Acme"}));
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(reqwest::Method::GET, path, Some(token)).await
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn the_limit_counts_down_then_answers_429_with_every_header() {
    let s = Limited::start(&["--rate-limit", "3"]);
    let list = format!("{API}/contacts");
    for remaining in ["2", "1", "0"] {
        let r = s.get(&list, &s.token).await;
        r.expect(200);
        assert_eq!(
            r.header("x-ratelimit-limit").as_deref(),
            Some("3"),
            "{r:#?}"
        );
        assert_eq!(
            r.header("x-ratelimit-remaining").as_deref(),
            Some(remaining),
            "{r:#?}"
        );
        assert_eq!(r.header("retry-after"), None, "{r:#?}");
    }
    // Over the limit: a write is refused too, and stores nothing.
    let r = s
        .send(
            reqwest::Method::POST,
            &format!("{API}/companies"),
            Some(&s.token),
        )
        .await;
    r.expect(429);
    assert_eq!(r.body, json!({"message": "Too Many Attempts."}));
    assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    let retry_after: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After: {r:#?}"));
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let reset: u64 = r
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("X-RateLimit-Reset: {r:#?}"));
    let expected = unix_now() + retry_after;
    assert!(
        reset.abs_diff(expected) <= 2,
        "reset {reset}, expected about {expected}"
    );
    assert!(
        r.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json"))
    );
    // Still limited; once the limit is off (another server), nothing was stored.
    s.get(&list, &s.token).await.expect(429);
    let Limited {
        server, db, token, ..
    } = s;
    drop(server);
    let open = Limited {
        server: RunningServer::start(&db, &[]),
        db,
        token,
        client: client(),
    };
    let r = open.get(&format!("{API}/companies"), &open.token).await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn each_token_has_its_own_budget() {
    let s = Limited::start(&["--rate-limit", "2"]);
    let second = s.server.create_token("acme", Some("second"));
    let list = format!("{API}/contacts");
    for _ in 0..2 {
        s.get(&list, &s.token).await.expect(200);
    }
    s.get(&list, &s.token).await.expect(429);
    let r = s.get(&list, &second).await;
    r.expect(200);
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("1"));
}

#[tokio::test]
async fn health_and_unauthenticated_requests_are_not_limited_nor_counted() {
    let s = Limited::start(&["--rate-limit", "2"]);
    for _ in 0..5 {
        let r = s.send(reqwest::Method::GET, "/health", None).await;
        r.expect(200);
        assert_eq!(r.header("x-ratelimit-limit"), None, "{r:#?}");
    }
    for _ in 0..5 {
        let r = s
            .send(reqwest::Method::GET, &format!("{API}/contacts"), None)
            .await;
        assert_error(&r, 401);
        assert_eq!(r.header("x-ratelimit-limit"), None, "{r:#?}");
        let r = s
            .get(&format!("{API}/contacts"), "rdx_not-a-real-token")
            .await;
        assert_error(&r, 401);
    }
    // Unknown routes are 404 without counting either, and 401 without a token.
    assert_error(&s.get(&format!("{API}/nope"), &s.token).await, 404);
    let r = s
        .send(reqwest::Method::GET, &format!("{API}/nope"), None)
        .await;
    assert_error(&r, 401);
    assert_eq!(r.header("x-ratelimit-limit"), None, "{r:#?}");
    let r = s.get(&format!("{API}/contacts"), &s.token).await;
    r.expect(200);
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("1"));
}

#[tokio::test]
async fn errors_of_counted_requests_carry_the_headers() {
    let s = Limited::start(&["--rate-limit", "5"]);
    let r = s.get(&format!("{API}/contacts/999"), &s.token).await;
    assert_error(&r, 404);
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("4"));
    // A wrong method on an API route is counted too.
    let r = s
        .send(
            reqwest::Method::DELETE,
            &format!("{API}/contacts"),
            Some(&s.token),
        )
        .await;
    assert_error(&r, 405);
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("3"));
}

#[tokio::test]
async fn without_the_flag_there_are_no_rate_limit_headers() {
    let s = Limited::start(&[]);
    for _ in 0..70 {
        let r = s.get(&format!("{API}/contacts"), &s.token).await;
        r.expect(200);
        assert_eq!(r.header("x-ratelimit-limit"), None, "{r:#?}");
        assert_eq!(r.header("x-ratelimit-remaining"), None, "{r:#?}");
    }
}
