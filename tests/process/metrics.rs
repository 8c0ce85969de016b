//! `serve --metrics-listen` (issue 11): Prometheus text on a listener of its own, scraped and
//! parsed; the counts move with the requests served.

use std::collections::BTreeMap;

use reqwest::Method;

use crate::support::*;

/// One scrape: `name{labels}` (labels as rendered, sorted by the exporter) → value.
type Samples = BTreeMap<String, f64>;

fn metrics_url(server: &ServeProcess) -> String {
    let line = server
        .stdout_before_listening
        .iter()
        .find_map(|l| l.strip_prefix("rolodex metrics on "))
        .unwrap_or_else(|| panic!("no metrics line in {:?}", server.stdout_before_listening));
    line.to_owned()
}

async fn scrape(url: &str) -> Samples {
    let r = client().get(url).send().await.expect("scrape");
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = r.text().await.expect("text");
    let mut samples = Samples::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line:?}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}

fn value(samples: &Samples, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_scraped_and_move_with_the_requests() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let server = ServeProcess::spawn(
        &db,
        &["--metrics-listen", "127.0.0.1:0", "--rate-limit", "6"],
        &[],
    );
    let url = metrics_url(&server);
    let before = scrape(&url).await;
    assert_eq!(
        value(
            &before,
            &format!(
                "rolodex_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        1.0,
        "{before:#?}"
    );

    let http = client();
    let api = |path: &str| format!("{}{API}{path}", server.base);
    let company: serde_json::Value = http
        .post(api("/companies"))
        .bearer_auth(&token)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = http
        .post(api("/contacts"))
        .bearer_auth(&token)
        .json(
            &json!({"first_name": "Ann", "company_id": company["data"]["id"],
                      "email": "ann@example.com", "password": "a-secret-pass-1"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for _ in 0..3 {
        let r = http
            .get(api("/contacts"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = http
        .get(api("/contacts/999999"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http.get(api("/contacts")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .request(
            Method::from_bytes(b"BREW").unwrap(),
            format!("{}/health", server.base),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    // 6 a minute: the requests above used 6, so this one is refused.
    let r = http
        .get(api("/contacts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);

    let after = scrape(&url).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        moved(
            r#"rolodex_http_requests_total{method="GET",route="/external/api/v1/contacts",status="200"}"#
        ),
        3.0,
        "{after:#?}"
    );
    assert_eq!(
        moved(
            r#"rolodex_http_requests_total{method="GET",route="/external/api/v1/contacts/{id}",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        moved(
            r#"rolodex_http_requests_total{method="GET",route="/external/api/v1/*",status="401"}"#
        ),
        1.0
    );
    assert_eq!(
        moved(r#"rolodex_http_requests_total{method="other",route="/health",status="405"}"#),
        1.0
    );
    assert_eq!(
        moved(
            r#"rolodex_http_requests_total{method="GET",route="/external/api/v1/contacts",status="429"}"#
        ),
        1.0
    );
    assert_eq!(moved("rolodex_http_rate_limited_total"), 1.0);
    assert_eq!(
        moved(
            r#"rolodex_http_request_duration_seconds_count{method="GET",route="/external/api/v1/contacts"}"#
        ),
        4.0
    );
    assert_eq!(
        moved(
            r#"rolodex_http_request_duration_seconds_bucket{method="GET",route="/external/api/v1/contacts",le="+Inf"}"#
        ),
        4.0
    );
    // Only the scrape itself is in flight, and it is served by the other listener.
    assert_eq!(value(&after, "rolodex_http_requests_in_flight"), 0.0);
    assert_eq!(value(&after, "rolodex_password_hashes_in_progress"), 0.0);
    assert!(after.contains_key("rolodex_password_hashes_in_progress"));
    // No raw path ever becomes a label.
    assert!(!after.keys().any(|k| k.contains("999999")), "{after:#?}");
    if db.is_postgres() {
        assert!(value(&after, "rolodex_postgres_pool_max_connections") >= 1.0);
        assert!(value(&after, "rolodex_postgres_pool_connections") >= 1.0);
        assert!(after.contains_key("rolodex_postgres_pool_waiting"));
        assert!(moved("rolodex_postgres_pool_wait_seconds_count") >= 6.0);
    } else {
        // Two writes (the company, the contact), in one or two commits.
        assert!(
            moved("rolodex_sqlite_write_batch_size_sum") >= 2.0,
            "{after:#?}"
        );
        assert!(moved("rolodex_sqlite_commit_seconds_count") >= 1.0);
        assert!(moved("rolodex_sqlite_reader_wait_seconds_count") >= 4.0);
        assert!(after.contains_key("rolodex_sqlite_writer_queue_depth"));
        assert!(after.contains_key("rolodex_sqlite_reader_queue_depth"));
        // The connections that served the requests above hold pages (released only after an
        // idle spell, see store::idle).
        assert!(value(&after, "rolodex_sqlite_page_cache_bytes") > 0.0);
    }
}

#[tokio::test]
async fn without_the_flag_there_is_no_metrics_listener() {
    let db = TestDb::new();
    let server = ServeProcess::spawn(&db, &[], &[]);
    assert!(
        !server
            .stdout_before_listening
            .iter()
            .any(|l| l.contains("metrics")),
        "{:?}",
        server.stdout_before_listening
    );
    // Nor a /metrics on the API's listener.
    let r = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[test]
fn a_metrics_address_in_use_stops_serve() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let db = TestDb::new();
    let out = cli(&[
        "serve",
        "--database",
        db.url(),
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        &address,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains(&format!("cannot listen on {address} for metrics")),
        "{}",
        stderr_of(&out)
    );
}
