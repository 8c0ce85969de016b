//! §4.3 read, §4.5 delete, §4.6 portal login endpoints.

use crate::support::*;
use serde_json::Value;

fn path(c: &Value) -> String {
    format!("/contacts/{}", cid(c))
}

const PASSWORD_PATHS: [&str; 2] = ["password", "b2b-portal-password"];

#[tokio::test]
async fn read_returns_the_contact_in_a_data_envelope() {
    let s = TestServer::start().await;
    let c = s.quick_contact("Ann").await;
    let r = s.get(&path(&c)).await;
    r.expect(200);
    assert_eq!(r.body, json!({ "data": c }));
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
}

#[tokio::test]
async fn read_of_missing_contact_is_404() {
    let s = TestServer::start().await;
    let c = s.quick_contact("Ann").await;
    let id: i64 = cid(&c).parse().unwrap();
    assert_error(&s.get(&format!("/contacts/{}", id + 1)).await, 404);
}

#[tokio::test]
async fn non_numeric_or_out_of_range_ids_are_404() {
    let s = TestServer::start().await;
    s.quick_contact("Ann").await;
    for id in [
        "abc",
        "99999999999999999999",
        "9223372036854775808",
        "-1",
        "0",
        "1.0",
        "1e3",
        "%20",
    ] {
        let r = s.get(&format!("/contacts/{id}")).await;
        assert_error(&r, 404);
        let r = s
            .post(&format!("/contacts/{id}"), &json!({"last_name": "x"}))
            .await;
        assert_error(&r, 404);
        let r = s.delete(&format!("/contacts/{id}")).await;
        assert_error(&r, 404);
    }
}

#[tokio::test]
async fn delete_returns_204_with_empty_body_and_then_404() {
    let s = TestServer::start().await;
    let c = s.quick_contact("Ann").await;
    let r = s.delete(&path(&c)).await;
    r.expect(204);
    assert!(r.text.is_empty(), "204 body: {:?}", r.text);
    assert_error(&s.get(&path(&c)).await, 404);
    assert_error(&s.delete(&path(&c)).await, 404);
    assert_error(&s.post(&path(&c), &json!({"last_name": "x"})).await, 404);
    let list = s.get("/contacts").await;
    assert_eq!(list.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn delete_keeps_the_company_and_other_contacts() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co, "tags": ["t"]}))
        .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "tags": ["t"]}))
        .await;
    s.delete(&path(&a)).await.expect(204);
    s.get(&format!("/companies/{co}")).await.expect(200);
    assert_eq!(s.contact(&cid(&b)).await, b);
}

#[tokio::test]
async fn delete_removes_the_portal_login() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": "password-a"
        }))
        .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "email": "a@example.com"}))
        .await;
    // While A's login exists, B cannot take its email.
    assert_422(
        &s.post(
            &format!("{}/password", path(&b)),
            &json!({"password": "password-b"}),
        )
        .await,
        &["email"],
    );
    s.delete(&path(&a)).await.expect(204);
    let r = s
        .post(
            &format!("{}/password", path(&b)),
            &json!({"password": "password-b"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["has_portal_login"], json!(true));
}

#[tokio::test]
async fn password_endpoints_create_a_login() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for (i, p) in PASSWORD_PATHS.iter().enumerate() {
        let c = s
            .create_contact(json!({
                "first_name": "A", "company_id": co, "email": format!("p{i}@example.com")
            }))
            .await;
        assert_eq!(c["has_portal_login"], json!(false));
        let r = s
            .post(
                &format!("{}/{p}", path(&c)),
                &json!({"password": "12345678"}),
            )
            .await;
        r.expect(200);
        assert_eq!(r.data()["has_portal_login"], json!(true), "{p}");
        assert_eq!(r.data()["id"], c["id"]);
        assert!(r.data().get("password").is_none());
        assert_eq!(s.contact(&cid(&c)).await["has_portal_login"], json!(true));
    }
}

#[tokio::test]
async fn password_endpoints_rotate_an_existing_login() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": "first-pass"
        }))
        .await;
    for p in PASSWORD_PATHS {
        let r = s
            .post(
                &format!("{}/{p}", path(&c)),
                &json!({"password": "second-pass"}),
            )
            .await;
        r.expect(200);
        assert_eq!(r.data()["has_portal_login"], json!(true));
    }
}

#[tokio::test]
async fn password_endpoints_require_an_email() {
    let s = TestServer::start().await;
    let c = s.quick_contact("NoMail").await;
    for p in PASSWORD_PATHS {
        let r = s
            .post(
                &format!("{}/{p}", path(&c)),
                &json!({"password": "12345678"}),
            )
            .await;
        assert_422(&r, &["email"]);
        // An email in this body does not count: the contact must already have one.
        let r = s
            .post(
                &format!("{}/{p}", path(&c)),
                &json!({"password": "12345678", "email": "x@example.com"}),
            )
            .await;
        assert_422(&r, &["email"]);
    }
    assert_eq!(s.contact(&cid(&c)).await, c);
}

#[tokio::test]
async fn password_endpoints_validate_the_password() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({"first_name": "A", "company_id": co, "email": "a@example.com"}))
        .await;
    for p in PASSWORD_PATHS {
        for body in [
            json!({}),
            json!({"password": null}),
            json!({"password": ""}),
            json!({"password": "1234567"}),
            json!({"password": "x".repeat(256)}),
            json!({"password": 123456789}),
        ] {
            let r = s.post(&format!("{}/{p}", path(&c)), &body).await;
            assert_422(&r, &["password"]);
        }
        let r = s
            .post(
                &format!("{}/{p}", path(&c)),
                &json!({"password": "ß".repeat(255)}),
            )
            .await;
        r.expect(200);
    }
}

#[tokio::test]
async fn password_endpoints_reject_an_email_taken_by_another_login() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "Same@Example.com", "password": "password-a"
    }))
    .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "email": "same@example.COM"}))
        .await;
    for p in PASSWORD_PATHS {
        let r = s
            .post(
                &format!("{}/{p}", path(&b)),
                &json!({"password": "password-b"}),
            )
            .await;
        assert_422(&r, &["email"]);
    }
    assert_eq!(s.contact(&cid(&b)).await["has_portal_login"], json!(false));
}

#[tokio::test]
async fn password_endpoints_on_missing_contact_are_404() {
    let s = TestServer::start().await;
    let c = s.quick_contact("A").await;
    let id: i64 = cid(&c).parse().unwrap();
    for p in PASSWORD_PATHS {
        let r = s
            .post(
                &format!("/contacts/{}/{p}", id + 50),
                &json!({"password": "12345678"}),
            )
            .await;
        assert_error(&r, 404);
    }
}

#[tokio::test]
async fn has_portal_login_is_reported_on_list() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "a@example.com", "password": "password-a"
    }))
    .await;
    let r = s.get("/contacts").await;
    r.expect(200);
    assert_eq!(r.data()[0]["has_portal_login"], json!(true));
}

#[tokio::test]
async fn company_read_minimal() {
    let s = TestServer::start().await;
    let r = s
        .post(
            "/companies",
            &json!({"name": "  Acme Corporation ", "city": "Austin", "phone": "555"}),
        )
        .await;
    r.expect(201);
    let co = r.data().clone();
    assert!(co["id"].as_i64().unwrap() > 0);
    assert_eq!(co["name"], json!("Acme Corporation"));
    assert_eq!(co["status"], json!("active"));
    assert_eq!(co["city"], json!("Austin"));
    assert!(is_timestamp(co["created_at"].as_str().unwrap()));
    let r = s.get(&format!("/companies/{}", co["id"])).await;
    r.expect(200);
    assert_eq!(r.data(), &co);
}

#[tokio::test]
async fn company_name_is_required() {
    let s = TestServer::start().await;
    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": null}),
        json!({"name": 5}),
    ] {
        assert_422(&s.post("/companies", &body).await, &["name"]);
    }
}

#[tokio::test]
async fn contact_shows_its_company_names() {
    let s = TestServer::start().await;
    let co = s.create_company("Old Name").await;
    let c = s
        .create_contact(json!({"first_name": "A", "company_id": co}))
        .await;
    assert_eq!(c["company"]["name"], json!("Old Name"));
    assert_eq!(c["companies"][0]["name"], json!("Old Name"));
}

#[tokio::test]
async fn delete_keeps_the_tenants_tags() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co, "tags": ["keep"]}))
        .await;
    s.delete(&path(&a)).await.expect(204);
    let r = s.get("/contacts?tag=keep").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(0));
    // The tag itself stays in the tenant: a new contact reuses it (id and spelling).
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "tags": ["KEEP"]}))
        .await;
    assert_eq!(b["tags"][0]["id"], a["tags"][0]["id"]);
    assert_eq!(tag_names(&b), vec!["keep"]);
}

#[tokio::test]
async fn company_with_bad_id_is_404() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for id in [
        "abc".to_string(),
        "99999999999999999999".to_string(),
        (co + 100).to_string(),
    ] {
        assert_error(&s.get(&format!("/companies/{id}")).await, 404);
    }
}

#[tokio::test]
async fn password_endpoints_with_bad_ids_are_404() {
    let s = TestServer::start().await;
    for p in PASSWORD_PATHS {
        let r = s
            .post(
                &format!("/contacts/abc/{p}"),
                &json!({"password": "12345678"}),
            )
            .await;
        assert_error(&r, 404);
    }
}

#[tokio::test]
async fn ids_of_deleted_contacts_are_never_reused() {
    let s = TestServer::start().await;
    let first = s.quick_contact("First").await;
    let newest = s.quick_contact("Newest").await;
    s.delete(&path(&newest)).await.expect(204);
    let next = s.quick_contact("Next").await;
    let id = |c: &serde_json::Value| cid(c).parse::<i64>().expect("numeric id");
    assert!(
        id(&next) > id(&newest),
        "{} reused after deleting {}",
        id(&next),
        id(&newest)
    );
    assert!(id(&first) < id(&newest));
}

/// On PostgreSQL a contact's view is read by one statement: behind a pooler (the default) the
/// `contact_views` function, whose plan PostgreSQL keeps per server connection; with
/// `--postgres-pooler none` the same SELECT written out (tests/process/pg_statements.rs checks
/// which runs where). Both servers, on one database, answer the same: by id, in lists, in a
/// company's page, and in a write's answer. (On SQLite the flag changes nothing: it holds too.)
#[tokio::test]
async fn views_are_the_same_with_and_without_prepared_statements() {
    let s = TestServer::start().await;
    let prepared = RunningServer::start(&s.db, &["--postgres-pooler", "none"]);
    let prepared_url = |path: &str| format!("{}/external/api/v1{path}", prepared.base);
    let first = s.create_company("First Co").await;
    let second = s.create_company("Second Co").await;
    let mut made = Vec::new();
    for (name, tags, companies) in [
        ("Ada", json!(["vip", "lead"]), json!([first, second])),
        ("Brook", json!(["vip"]), json!([second])),
        ("Cyd", json!([]), json!([first])),
    ] {
        let c = s
            .create_contact(
                json!({"first_name": name, "last_name": "Views", "tags": tags,
                                   "company_ids": companies}),
            )
            .await;
        made.push(cid(&c));
    }
    let paths = [
        format!("/contacts/{}", made[0]),
        format!("/contacts/{}", made[2]),
        "/contacts?sort=first_name:desc&per_page=2".to_owned(),
        "/contacts?last_name[eq]=Views&sort=first_name&page=2&per_page=2".to_owned(),
        "/contacts?tag[eq]=vip".to_owned(),
        format!("/companies/{second}/contacts"),
    ];
    for path in &paths {
        let by_default = s.get(path).await;
        by_default.expect(200);
        let response = s
            .client
            .get(prepared_url(path))
            .bearer_auth(&s.token)
            .send()
            .await
            .expect("GET from the second server");
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body, by_default.body, "{path}");
    }
    // A write answers with the view read after it, by the same statement: each server's answer
    // is what the other one reads.
    let update = json!({"first_name": "Adele"});
    let by_default = s.post(&format!("/contacts/{}", made[0]), &update).await;
    by_default.expect(200);
    let read_back: Value = s
        .client
        .get(prepared_url(&format!("/contacts/{}", made[0])))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("GET from the second server")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(read_back, by_default.body);
    let response = s
        .client
        .post(prepared_url(&format!("/contacts/{}", made[1])))
        .bearer_auth(&s.token)
        .json(&update)
        .send()
        .await
        .expect("POST to the second server");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["data"]["first_name"], "Adele");
    assert_eq!(body["data"], s.contact(&made[1]).await);
}
