//! §2: envelopes, status codes and error bodies.

use crate::support::*;
use reqwest::Method;
use serde_json::Value;

/// All 422 messages in order, and the message the contract derives from them.
fn expected_message(body: &Value) -> (usize, String) {
    let errors = body["errors"].as_object().expect("errors object");
    let all: Vec<&str> = errors
        .values()
        .flat_map(|v| v.as_array().unwrap().iter().map(|m| m.as_str().unwrap()))
        .collect();
    let first = all[0].to_string();
    let n = all.len() - 1;
    let msg = match n {
        0 => first,
        1 => format!("{first} (and 1 more error)"),
        n => format!("{first} (and {n} more errors)"),
    };
    (all.len(), msg)
}

async fn post_raw(s: &TestServer, path: &str, body: &[u8], ct: Option<&str>) -> Resp {
    let token = s.token.clone();
    s.request(
        Method::POST,
        path,
        Some(&token),
        Some(body.to_vec()),
        ct,
        &[],
    )
    .await
}

#[tokio::test]
async fn single_validation_error_message_has_no_suffix() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": co, "email": "bad"}),
        )
        .await;
    assert_422(&r, &["email"]);
    let (count, msg) = expected_message(&r.body);
    assert_eq!(count, 1, "{r:#?}");
    assert_eq!(r.body["message"], json!(msg));
    assert_eq!(r.body["message"], r.body["errors"]["email"][0]);
}

#[tokio::test]
async fn two_validation_errors_use_the_singular_suffix() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "", "company_id": co, "email": "bad"}),
        )
        .await;
    assert_422(&r, &["email", "first_name"]);
    let (count, msg) = expected_message(&r.body);
    assert_eq!(count, 2, "one message per field expected here: {r:#?}");
    assert!(msg.ends_with(" (and 1 more error)"));
    assert_eq!(r.body["message"], json!(msg));
}

#[tokio::test]
async fn many_validation_errors_use_the_plural_suffix() {
    let s = TestServer::start().await;
    let r = s
        .post(
            "/contacts",
            &json!({"last_name": 1, "phone_1": true, "phone_2": [], "email": "x"}),
        )
        .await;
    assert_422(
        &r,
        &[
            "company_id",
            "email",
            "first_name",
            "last_name",
            "phone_1",
            "phone_2",
        ],
    );
    let (count, msg) = expected_message(&r.body);
    assert!(count >= 6);
    assert!(msg.ends_with(&format!(" (and {} more errors)", count - 1)));
    assert_eq!(r.body["message"], json!(msg));
}

#[tokio::test]
async fn invalid_json_is_400() {
    let s = TestServer::start().await;
    for body in [&b"{not json"[..], b"{\"first_name\": \"A\",}", b"\xff\xfe"] {
        let r = post_raw(&s, "/contacts", body, Some("application/json")).await;
        assert_error(&r, 400);
    }
}

#[tokio::test]
async fn non_object_json_is_400() {
    let s = TestServer::start().await;
    for body in [&b"[1,2]"[..], b"\"string\"", b"42", b"null", b"true"] {
        let r = post_raw(&s, "/contacts", body, Some("application/json")).await;
        assert_error(&r, 400);
    }
    let c = s.quick_contact("A").await;
    let r = post_raw(
        &s,
        &format!("/contacts/{}", cid(&c)),
        b"[]",
        Some("application/json"),
    )
    .await;
    assert_error(&r, 400);
}

#[tokio::test]
async fn unknown_route_is_404_json() {
    let s = TestServer::start().await;
    for path in ["/nope", "/contacts/1/nope", "/contact"] {
        let r = s.get(path).await;
        assert_error(&r, 404);
    }
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let s = TestServer::start().await;
    let token = s.token.clone();
    for (m, path) in [
        (Method::DELETE, "/contacts"),
        (Method::PUT, "/contacts"),
        (Method::PATCH, "/contacts"),
    ] {
        let r = s
            .request(m.clone(), path, Some(&token), None, None, &[])
            .await;
        assert_error(&r, 405);
        let allow = r.header("allow").unwrap_or_default().to_uppercase();
        assert!(allow.contains("GET"), "{m} {path}: Allow {allow:?}");
        assert!(allow.contains("POST"), "{m} {path}: Allow {allow:?}");
        assert!(!allow.contains(m.as_str()), "{m} {path}: Allow {allow:?}");
    }
    let c = s.quick_contact("A").await;
    let path = format!("/contacts/{}/password", cid(&c));
    let r = s
        .request(Method::GET, &path, Some(&token), None, None, &[])
        .await;
    assert_error(&r, 405);
    let allow = r.header("allow").unwrap_or_default().to_uppercase();
    assert!(allow.contains("POST"), "Allow {allow:?}");
}

#[tokio::test]
async fn body_over_one_mib_is_413() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let body = json!({
        "first_name": "A", "company_id": co, "junk": "a".repeat(1024 * 1024 + 10)
    });
    let r = post_raw(
        &s,
        "/contacts",
        &serde_json::to_vec(&body).unwrap(),
        Some("application/json"),
    )
    .await;
    assert_error(&r, 413);
    let list = s.get("/contacts").await;
    assert_eq!(list.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn body_just_under_one_mib_is_accepted() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let body = json!({
        "first_name": "A", "company_id": co, "junk": "a".repeat(1024 * 1024 - 200)
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!(bytes.len() < 1024 * 1024);
    let r = post_raw(&s, "/contacts", &bytes, Some("application/json")).await;
    r.expect(201);
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let body = serde_json::to_vec(&json!({"first_name": "A", "company_id": co})).unwrap();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let r = post_raw(&s, "/contacts", &body, Some(ct)).await;
        assert_error(&r, 415);
    }
    let list = s.get("/contacts").await;
    assert_eq!(list.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn missing_content_type_is_accepted() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let body = serde_json::to_vec(&json!({"first_name": "A", "company_id": co})).unwrap();
    let r = post_raw(&s, "/contacts", &body, None).await;
    r.expect(201);
    assert_eq!(r.data()["first_name"], json!("A"));
}

#[tokio::test]
async fn json_content_type_with_charset_is_accepted() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let body = serde_json::to_vec(&json!({"first_name": "A", "company_id": co})).unwrap();
    let r = post_raw(
        &s,
        "/contacts",
        &body,
        Some("application/json; charset=utf-8"),
    )
    .await;
    r.expect(201);
}

#[tokio::test]
async fn responses_are_json() {
    let s = TestServer::start().await;
    let c = s.quick_contact("A").await;
    for r in [
        s.get(&format!("/contacts/{}", cid(&c))).await,
        s.get("/contacts").await,
        s.get("/contacts/999999").await,
        s.post("/contacts", &json!({})).await,
    ] {
        let ct = r.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{r:#?}");
    }
}

#[tokio::test]
async fn created_is_201_read_200_delete_204() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post("/contacts", &json!({"first_name": "A", "company_id": co}))
        .await;
    r.expect(201);
    let id = cid(r.data());
    s.get(&format!("/contacts/{id}")).await.expect(200);
    s.post(&format!("/contacts/{id}"), &json!({"last_name": "B"}))
        .await
        .expect(200);
    let r = s.delete(&format!("/contacts/{id}")).await;
    r.expect(204);
    assert_eq!(r.text, "");
}

#[tokio::test]
async fn failed_update_changes_nothing() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let co2 = s.create_company("Other").await;
    let c = s
        .create_contact(json!({"first_name": "A", "company_id": co, "tags": ["x"]}))
        .await;
    let r = s
        .post(
            &format!("/contacts/{}", cid(&c)),
            &json!({"first_name": "B", "company_id": co2, "tags": ["y"], "phone_1": []}),
        )
        .await;
    assert_422(&r, &["phone_1"]);
    assert_eq!(s.contact(&cid(&c)).await, c);
}

#[tokio::test]
async fn unknown_path_outside_the_api_is_404_json() {
    let s = TestServer::start().await;
    let r = s
        .raw_request(Method::GET, "/nope", None, None, None, &[])
        .await;
    assert_error(&r, 404);
}

#[tokio::test]
async fn password_endpoints_only_take_post() {
    let s = TestServer::start().await;
    let c = s.quick_contact("A").await;
    let token = s.token.clone();
    for m in [Method::PUT, Method::PATCH, Method::DELETE] {
        let r = s
            .request(
                m.clone(),
                &format!("/contacts/{}/b2b-portal-password", cid(&c)),
                Some(&token),
                Some(br#"{"password":"12345678"}"#.to_vec()),
                Some("application/json"),
                &[],
            )
            .await;
        assert_error(&r, 405);
        assert!(
            r.header("allow").unwrap_or_default().contains("POST"),
            "{r:#?}"
        );
    }
}
