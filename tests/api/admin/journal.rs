//! The request journal: each tenant's last N exchanges, newest first, secrets redacted.

use reqwest::Method;

use super::Sandbox;
use crate::support::*;

#[tokio::test]
async fn the_journal_keeps_the_last_n_exchanges_newest_first_with_secrets_redacted() {
    let sb = Sandbox::start_with(&["--journal", "3"]);
    let company = sb.s.create_company("Acme").await;
    let created =
        sb.s.request(
            Method::POST,
            "/contacts?token=leak&page=1",
            Some(&sb.s.token),
            Some(
                serde_json::to_vec(&json!({"first_name": "Ann", "company_id": company,
                "email": "ann@example.com", "password": "hunter2hunter2"}))
                .unwrap(),
            ),
            Some("application/json"),
            &[("X-Request-Id", "req-42")],
        )
        .await;
    created.expect(201);
    let id = cid(created.data());
    sb.s.get(&format!("/contacts/{id}")).await.expect(200);
    sb.s.get("/contacts/999999").await.expect(404);

    let r = sb.get("/tenants/acme/requests?limit=50").await;
    r.expect(200);
    let entries = r.data().as_array().unwrap();
    assert_eq!(
        entries.len(),
        3,
        "the oldest (the company) fell out: {r:#?}"
    );
    assert!(
        !r.text.contains("hunter2hunter2")
            && !r.text.contains("leak")
            && !r.text.contains(&sb.s.token),
        "{}",
        r.text
    );
    let (newest, create) = (&entries[0], &entries[2]);
    assert_eq!(newest["status"], json!(404));
    assert_eq!(newest["path"], json!("/external/api/v1/contacts/999999"));
    assert_eq!(newest["response_body"], json!({"message": "Not found."}));
    assert_eq!(newest["request_body"], json!(null));
    assert_eq!(newest["query"], json!(null));
    assert!(newest["id"].as_u64().unwrap() > entries[1]["id"].as_u64().unwrap());
    assert_eq!(create["method"], json!("POST"));
    assert_eq!(create["path"], json!("/external/api/v1/contacts"));
    assert_eq!(create["query"], json!("token=***&page=1"));
    assert_eq!(create["status"], json!(201));
    assert_eq!(create["request_id"], json!("req-42"));
    assert_eq!(create["request_body"]["password"], json!("***"));
    assert_eq!(create["request_body"]["first_name"], json!("Ann"));
    assert_eq!(create["response_body"]["data"]["id"], json!(id));
    assert!(create["duration_ms"].as_f64().unwrap() >= 0.0);
    let at = create["at"].as_str().unwrap();
    assert!(at.len() == 24 && at.ends_with('Z'), "{at}");

    let one = sb.get("/tenants/acme/requests?limit=1").await;
    assert_eq!(one.data().as_array().unwrap().len(), 1);
    assert_eq!(one.data()[0]["status"], json!(404));
    for bad in ["0", "1001", "x"] {
        let r = sb.get(&format!("/tenants/acme/requests?limit={bad}")).await;
        assert_422(&r, &["limit"]);
        assert_eq!(
            r.body["message"],
            json!("The limit field must be an integer between 1 and 1000.")
        );
    }
    sb.delete("/tenants/acme/requests").await.expect(204);
    assert_eq!(sb.get("/tenants/acme/requests").await.data(), &json!([]));
}

#[tokio::test]
async fn the_journal_is_per_tenant_records_faulted_requests_and_skips_refused_ones() {
    let sb = Sandbox::start();
    let t1 = sb.tenant("t1").await;
    sb.s.get_as("/contacts", &t1).await.expect(200);
    sb.post(
        "/tenants/acme/faults",
        &json!({"path": "/companies", "status": 429, "times": 1}),
    )
    .await
    .expect(201);
    sb.s.get("/companies").await.expect(429);
    assert_401(&sb.s.get_as("/contacts", "rdx_not-a-token").await);
    let acme = sb.get("/tenants/acme/requests").await;
    let entries = acme.data().as_array().unwrap();
    assert_eq!(entries.len(), 1, "{acme:#?}");
    assert_eq!(entries[0]["status"], json!(429));
    assert_eq!(
        entries[0]["response_body"],
        json!({"message": "Too Many Attempts."})
    );
    let t1 = sb.get("/tenants/t1/requests").await;
    assert_eq!(t1.data().as_array().unwrap().len(), 1);
    assert_eq!(t1.data()[0]["path"], json!("/external/api/v1/contacts"));
    // Admin requests are not journaled.
    assert!(
        sb.get("/tenants/t1/requests")
            .await
            .data()
            .as_array()
            .unwrap()
            .len()
            == 1
    );
}

#[tokio::test]
async fn without_journal_the_requests_endpoint_says_it_is_off() {
    let sb = Sandbox::start_with(&[]);
    sb.s.get("/contacts").await.expect(200);
    let r = sb.get("/tenants/acme/requests").await;
    assert_error(&r, 409);
    assert_eq!(
        r.body["message"],
        json!("The request journal is off: start the server with --journal N (ROLODEX_JOURNAL).")
    );
}
