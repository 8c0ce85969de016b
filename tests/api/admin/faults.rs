//! Fault rules: forced 429/500/503 answers (before the handler, so nothing changes) and delays,
//! for the next `times` matching requests of one tenant.

use std::time::{Duration, Instant};

use reqwest::Method;

use super::Sandbox;
use crate::support::*;

async fn contact_total(sb: &Sandbox, token: &str) -> i64 {
    let r = sb.s.get_as("/contacts", token).await;
    r.expect(200);
    r.body["meta"]["total"].as_i64().unwrap()
}

#[tokio::test]
async fn a_429_rule_answers_the_next_matching_requests_and_changes_nothing() {
    let sb = Sandbox::start();
    let company = sb.s.create_company("Acme").await;
    let rule = json!({"method": "POST", "path": "/contacts*", "status": 429, "retry_after": 2,
                      "delay_ms": 0, "times": 2, "probability": 1.0});
    let r = sb.post("/tenants/acme/faults", &rule).await;
    r.expect(201);
    let id = r.data()["id"].as_i64().unwrap();
    assert_eq!(r.data()["remaining"], json!(2));
    assert_eq!(r.data()["path"], json!("/contacts*"));
    assert_eq!(r.data()["method"], json!("POST"));

    let body = json!({"first_name": "Ann", "company_id": company});
    for _ in 0..2 {
        let r = sb.s.post("/contacts", &body).await;
        r.expect(429);
        assert_eq!(r.body, json!({"message": "Too Many Attempts."}));
        assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    }
    assert_eq!(
        contact_total(&sb, &sb.s.token).await,
        0,
        "a faulted request changed something"
    );
    sb.s.post("/contacts", &body).await.expect(201);
    let listed = sb.get("/tenants/acme/faults").await;
    listed.expect(200);
    assert_eq!(listed.data()[0]["id"], json!(id));
    assert_eq!(listed.data()[0]["remaining"], json!(0));
}

#[tokio::test]
async fn forced_500_and_503_have_the_apis_bodies() {
    let sb = Sandbox::start();
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 500, "times": 1}),
    )
    .await
    .expect(201);
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 503, "times": 1}),
    )
    .await
    .expect(201);
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 503, "retry_after": 7, "times": 1}),
    )
    .await
    .expect(201);
    let r = sb.s.get("/companies").await;
    r.expect(500);
    assert_eq!(r.body, json!({"message": "Server Error"}));
    assert_eq!(r.header("retry-after"), None);
    let r = sb.s.get("/companies").await;
    r.expect(503);
    assert_eq!(r.body, json!({"message": "Service Unavailable"}));
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    let r = sb.s.get("/companies").await;
    r.expect(503);
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
    sb.s.get("/companies").await.expect(200);
}

#[tokio::test]
async fn a_rule_matches_by_method_and_path_glob_only() {
    let sb = Sandbox::start();
    let company = sb.s.create_company("Acme").await;
    let contact =
        sb.s.create_contact(json!({"first_name": "Ann", "company_id": company}))
            .await;
    let id = cid(&contact);
    sb.post(
        "/tenants/acme/faults",
        &json!({"method": "delete", "path": "/contacts/*", "status": 500}),
    )
    .await
    .expect(201);
    sb.s.get(&format!("/contacts/{id}")).await.expect(200);
    sb.s.get("/contacts").await.expect(200);
    sb.s.get(&format!("/contacts/{id}/tags")).await.expect(200);
    sb.s.delete(&format!("/companies/{company}/tags/x")).await;
    sb.s.delete(&format!("/contacts/{id}")).await.expect(500);
    sb.s.get(&format!("/contacts/{id}")).await.expect(200);
    // `**` crosses segments.
    sb.delete("/tenants/acme/faults").await.expect(204);
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/contacts/**", "status": 503}),
    )
    .await
    .expect(201);
    sb.s.get(&format!("/contacts/{id}/tags")).await.expect(503);
    sb.s.get("/contacts").await.expect(200);
}

#[tokio::test]
async fn a_rule_without_status_only_delays_and_the_request_runs() {
    let sb = Sandbox::start();
    let company = sb.s.create_company("Acme").await;
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/contacts", "delay_ms": 400, "times": 1}),
    )
    .await
    .expect(201);
    let started = Instant::now();
    let r =
        sb.s.post(
            "/contacts",
            &json!({"first_name": "Ann", "company_id": company}),
        )
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    r.expect(201);
    assert_eq!(contact_total(&sb, &sb.s.token).await, 1);
    let started = Instant::now();
    sb.s.get("/contacts").await.expect(200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "the rule was used up"
    );
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_does() {
    let sb = Sandbox::start();
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 500, "times": 3, "probability": 0.0}),
    )
    .await
    .expect(201);
    for _ in 0..30 {
        sb.s.get("/companies").await.expect(200);
    }
    assert_eq!(
        sb.get("/tenants/acme/faults").await.data()[0]["remaining"],
        json!(3)
    );
    sb.delete("/tenants/acme/faults").await.expect(204);
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 500, "probability": 1}),
    )
    .await
    .expect(201);
    for _ in 0..30 {
        sb.s.get("/companies").await.expect(500);
    }
    assert_eq!(
        sb.get("/tenants/acme/faults").await.data()[0]["remaining"],
        json!(null)
    );
}

#[tokio::test]
async fn rules_are_checked_listed_deleted_and_bounded() {
    let sb = Sandbox::start();
    let r = sb
        .post(
            "/tenants/acme/faults",
            &json!({"method": "TRACE", "path": "contacts", "status": 404,
        "retry_after": 3601, "delay_ms": 30001, "times": 0, "probability": 2}),
        )
        .await;
    assert_422(
        &r,
        &[
            "method",
            "path",
            "status",
            "retry_after",
            "delay_ms",
            "times",
            "probability",
        ],
    );
    assert_eq!(
        r.body["message"],
        json!(
            "The selected method is invalid. Use GET, POST, PUT, PATCH or DELETE. (and 6 more errors)"
        )
    );
    assert_eq!(
        r.body["errors"]["path"],
        json!(["The path field must start with /."])
    );
    assert_eq!(
        r.body["errors"]["status"],
        json!(["The selected status is invalid. Use 429, 500 or 503."])
    );
    assert_eq!(
        r.body["errors"]["delay_ms"],
        json!(["The delay_ms field must be between 0 and 30000."])
    );
    let r = sb.post("/tenants/acme/faults", &json!({})).await;
    assert_422(&r, &["path", "status"]);
    assert_eq!(
        r.body["errors"]["path"],
        json!(["The path field is required."])
    );
    assert_eq!(
        r.body["errors"]["status"],
        json!(["The status field is required when delay ms is absent or 0."])
    );
    let r = sb
        .post(
            "/tenants/acme/faults",
            &json!({"path": "/x", "status": 500, "retry_after": 1}),
        )
        .await;
    assert_422(&r, &["retry_after"]);
    assert!(
        sb.get("/tenants/acme/faults")
            .await
            .data()
            .as_array()
            .unwrap()
            .is_empty()
    );

    let a = sb
        .post(
            "/tenants/acme/faults",
            &json!({"path": "/a", "status": 500}),
        )
        .await;
    let a = a.data()["id"].as_i64().unwrap();
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/b", "status": 500}),
    )
    .await
    .expect(201);
    sb.delete(&format!("/tenants/acme/faults/{a}"))
        .await
        .expect(204);
    sb.delete(&format!("/tenants/acme/faults/{a}"))
        .await
        .expect(404);
    let listed = sb.get("/tenants/acme/faults").await;
    assert_eq!(listed.data().as_array().unwrap().len(), 1);
    assert_eq!(listed.data()[0]["path"], json!("/b"));
    sb.delete("/tenants/acme/faults").await.expect(204);
    assert!(
        sb.get("/tenants/acme/faults")
            .await
            .data()
            .as_array()
            .unwrap()
            .is_empty()
    );
    for _ in 0..100 {
        sb.post(
            "/tenants/acme/faults",
            &json!({"path": "/a", "status": 500}),
        )
        .await
        .expect(201);
    }
    let r = sb
        .post(
            "/tenants/acme/faults",
            &json!({"path": "/a", "status": 500}),
        )
        .await;
    assert_error(&r, 409);
}

#[tokio::test]
async fn one_tenants_faults_never_touch_another() {
    let sb = Sandbox::start();
    let t1 = sb.tenant("t1").await;
    sb.post("/tenants/t1/faults", &json!({"path": "/**", "status": 503}))
        .await
        .expect(201);
    sb.s.get_as("/contacts", &t1).await.expect(503);
    sb.s.get("/contacts").await.expect(200);
    sb.s.create_company("Acme").await;
    assert!(
        sb.get("/tenants/acme/faults")
            .await
            .data()
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A tenant deleted takes its rules along; one made again under the slug starts clean.
    sb.delete("/tenants/t1").await.expect(204);
    let t1 = sb.tenant("t1").await;
    sb.s.get_as("/contacts", &t1).await.expect(200);
    let _ = Method::GET;
}
