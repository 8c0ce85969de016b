//! Tenants and tokens through the admin API; its authentication; reset and deletion.

use reqwest::Method;

use super::{ADMIN, Sandbox, everything, populate};
use crate::support::*;

#[tokio::test]
async fn the_admin_api_is_404_without_an_admin_token() {
    let s = TestServer::start().await;
    for token in [None, Some(ADMIN), Some(s.token.as_str())] {
        let r = s
            .raw_request(Method::GET, "/admin/v1/tenants", token, None, None, &[])
            .await;
        r.expect(404);
        assert_eq!(r.body, json!({"message": "Not found."}));
    }
    let r = s
        .raw_request(
            Method::POST,
            "/admin/v1/tenants",
            Some(ADMIN),
            Some(b"{\"slug\":\"t1\"}".to_vec()),
            Some("application/json"),
            &[],
        )
        .await;
    r.expect(404);
}

#[tokio::test]
async fn tenant_tokens_and_wrong_tokens_are_401_on_the_admin_api_and_the_admin_token_on_the_tenant_api()
 {
    let sb = Sandbox::start();
    let wrong = format!("{ADMIN}x");
    for token in [
        None,
        Some(wrong.as_str()),
        Some(sb.s.token.as_str()),
        Some(""),
    ] {
        assert_401(&sb.admin_as(Method::GET, "/tenants", token, None).await);
        assert_401(
            &sb.admin_as(
                Method::POST,
                "/tenants",
                token,
                Some(&json!({"slug": "t1"})),
            )
            .await,
        );
    }
    // Unknown admin paths stay 404 and wrong methods 405 (as on the tenant API).
    sb.admin_as(Method::GET, "/nowhere", None, None)
        .await
        .expect(404);
    assert_401(&sb.s.get_as("/contacts", ADMIN).await);
    // Nothing was created by the refused requests.
    let listed = sb.get("/tenants").await;
    listed.expect(200);
    let slugs: Vec<&str> = listed
        .data()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["acme"]);
}

#[tokio::test]
async fn a_tenant_is_created_with_a_working_token_and_listed_with_its_counts() {
    let sb = Sandbox::start();
    let r = sb.post("/tenants", &json!({"slug": "t1"})).await;
    r.expect(201);
    assert_eq!(r.data()["slug"], json!("t1"));
    let token = r.data()["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("rdx_") && token.len() == 44, "{token}");
    let company = sb.s.create_company_as(&token, "Acme").await;
    sb.s.create_contact_as(
        &token,
        json!({"first_name": "Ann", "company_id": company, "tags": ["x"]}),
    )
    .await;

    let listed = sb.get("/tenants").await;
    listed.expect(200);
    let t1 = listed
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "t1")
        .cloned()
        .unwrap_or_else(|| panic!("t1 not listed: {listed:#?}"));
    assert!(is_timestamp(t1["created_at"].as_str().unwrap()));
    assert_eq!(t1["tokens"], json!(1));
    assert_eq!(t1["snapshots"], json!(0));
    assert_eq!(t1["records"]["contacts"], json!(1));
    assert_eq!(t1["records"]["companies"], json!(1));
    assert_eq!(t1["records"]["tags"], json!(1));
    assert_eq!(t1["records"]["custom_fields"], json!(0));
    let one = sb.get("/tenants/t1").await;
    one.expect(200);
    assert_eq!(one.data(), &t1);
    // The other tenant's counts are its own.
    let acme = sb.get("/tenants/acme").await;
    assert_eq!(acme.data()["records"]["contacts"], json!(0));
}

#[tokio::test]
async fn creating_a_tenant_reports_every_bad_slug_and_a_taken_one() {
    let sb = Sandbox::start();
    let cases = [
        (json!({}), "The slug field is required."),
        (json!({"slug": null}), "The slug field is required."),
        (json!({"slug": 7}), "The slug field must be a string."),
        (
            json!({"slug": "Not_A_Slug"}),
            "The slug field must only contain lowercase letters, digits and dashes.",
        ),
        (
            json!({"slug": "x".repeat(64)}),
            "The slug field must not be greater than 63 characters.",
        ),
        (json!({"slug": "acme"}), "The slug has already been taken."),
    ];
    for (body, message) in cases {
        let r = sb.post("/tenants", &body).await;
        assert_422(&r, &["slug"]);
        assert_eq!(r.body["message"], json!(message), "{body}");
    }
    let r =
        sb.s.raw_request(
            Method::POST,
            "/admin/v1/tenants",
            Some(ADMIN),
            Some(b"[1]".to_vec()),
            Some("application/json"),
            &[],
        )
        .await;
    assert_error(&r, 400);
    sb.post("/tenants", &json!({"slug": "x".repeat(63)}))
        .await
        .expect(201);
}

#[tokio::test]
async fn unknown_or_malformed_slugs_are_404_on_every_route() {
    let sb = Sandbox::start();
    let body = json!({"name": "n", "path": "/x", "status": 500, "slug": "s"});
    for slug in ["nobody", "Bad_Slug"] {
        let routes = [
            (Method::GET, format!("/tenants/{slug}")),
            (Method::DELETE, format!("/tenants/{slug}")),
            (Method::GET, format!("/tenants/{slug}/tokens")),
            (Method::POST, format!("/tenants/{slug}/tokens")),
            (Method::DELETE, format!("/tenants/{slug}/tokens/1")),
            (Method::POST, format!("/tenants/{slug}/reset")),
            (Method::POST, format!("/tenants/{slug}/seed")),
            (Method::GET, format!("/tenants/{slug}/snapshots")),
            (Method::POST, format!("/tenants/{slug}/snapshots")),
            (Method::DELETE, format!("/tenants/{slug}/snapshots/n")),
            (Method::POST, format!("/tenants/{slug}/snapshots/n/restore")),
            (Method::GET, format!("/tenants/{slug}/requests")),
            (Method::DELETE, format!("/tenants/{slug}/requests")),
            (Method::GET, format!("/tenants/{slug}/faults")),
            (Method::POST, format!("/tenants/{slug}/faults")),
            (Method::DELETE, format!("/tenants/{slug}/faults")),
            (Method::DELETE, format!("/tenants/{slug}/faults/1")),
        ];
        for (method, path) in routes {
            let r = sb.admin(method.clone(), &path, Some(&body)).await;
            assert_eq!(r.status, 404, "{method} {path}: {r:#?}");
            assert_eq!(r.body, json!({"message": "Not found."}));
        }
    }
    // Unknown ids and names under a real tenant are 404 too.
    for path in [
        "/tenants/acme/tokens/999",
        "/tenants/acme/tokens/x",
        "/tenants/acme/faults/9",
        "/tenants/acme/snapshots/nope",
        "/tenants/acme/snapshots/a%20b",
    ] {
        sb.delete(path).await.expect(404);
    }
}

#[tokio::test]
async fn tokens_are_created_listed_without_secrets_and_revoked_at_once() {
    let sb = Sandbox::start();
    sb.tenant("t1").await;
    let r = sb.post("/tenants/t1/tokens", &json!({"name": "ci"})).await;
    r.expect(201);
    let (id, token) = (
        r.data()["id"].as_i64().unwrap(),
        r.data()["token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(r.data()["name"], json!("ci"));
    sb.s.get_as("/contacts", &token).await.expect(200);
    let unnamed = sb.admin(Method::POST, "/tenants/t1/tokens", None).await;
    unnamed.expect(201);
    assert_eq!(unnamed.data()["name"], json!(null));

    let listed = sb.get("/tenants/t1/tokens").await;
    listed.expect(200);
    let tokens = listed.data().as_array().unwrap();
    assert_eq!(tokens.len(), 3, "{listed:#?}");
    assert!(!listed.text.contains(&token), "a secret was listed");
    let ci = tokens.iter().find(|t| t["id"] == json!(id)).unwrap();
    assert_eq!(ci["prefix"], json!(&token[..8]));
    assert_eq!(ci["revoked_at"], json!(null));
    assert!(ci.get("token").is_none());

    // Another tenant's path does not reach it.
    sb.delete(&format!("/tenants/acme/tokens/{id}"))
        .await
        .expect(404);
    sb.delete(&format!("/tenants/t1/tokens/{id}"))
        .await
        .expect(204);
    assert_401(&sb.s.get_as("/contacts", &token).await);
    sb.delete(&format!("/tenants/t1/tokens/{id}"))
        .await
        .expect(404);
    let listed = sb.get("/tenants/t1/tokens").await;
    let ci = listed
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == json!(id))
        .cloned()
        .unwrap();
    assert!(is_timestamp(ci["revoked_at"].as_str().unwrap()));

    let r = sb.post("/tenants/t1/tokens", &json!({"name": 5})).await;
    assert_422(&r, &["name"]);
    assert_eq!(r.body["message"], json!("The name field must be a string."));
}

#[tokio::test]
async fn a_reset_removes_every_record_and_keeps_tokens_snapshots_and_other_tenants() {
    let sb = Sandbox::start();
    let token = sb.tenant("t1").await;
    populate(&sb.s, &token).await;
    populate(&sb.s, &sb.s.token).await;
    let acme_before = everything(&sb.s, &sb.s.token).await;
    sb.post("/tenants/t1/snapshots", &json!({"name": "kept"}))
        .await
        .expect(201);

    sb.admin(Method::POST, "/tenants/t1/reset", None)
        .await
        .expect(204);

    // As new: nothing but a Main Warehouse (every tenant has at least one).
    let rows = sb.rows("t1").await;
    assert_eq!(rows.row_count(), 1, "{rows:#?}");
    let t1 = sb.get("/tenants/t1").await;
    let records = t1.data()["records"].as_object().unwrap();
    assert!(
        records
            .iter()
            .all(|(table, n)| n == &json!(if table == "warehouses" { 1 } else { 0 })),
        "{t1:#?}"
    );
    let warehouses = sb.s.get_as("/warehouses", &token).await;
    warehouses.expect(200);
    assert_eq!(warehouses.data().as_array().map(Vec::len), Some(1));
    assert_eq!(warehouses.data()[0]["name"], json!("Main Warehouse"));
    assert_eq!(
        (t1.data()["tokens"].clone(), t1.data()["snapshots"].clone()),
        (json!(1), json!(1))
    );
    let contacts = sb.s.get_as("/contacts", &token).await;
    contacts.expect(200);
    assert_eq!(contacts.body["meta"]["total"], json!(0));
    assert_eq!(everything(&sb.s, &sb.s.token).await, acme_before);
    // The tenant is usable again at once.
    let company = sb.s.create_company_as(&token, "Again").await;
    sb.s.create_contact_as(&token, json!({"first_name": "Ann", "company_id": company}))
        .await;
}

#[tokio::test]
async fn deleting_a_tenant_removes_every_record_token_and_snapshot() {
    let sb = Sandbox::start();
    let token = sb.tenant("t1").await;
    populate(&sb.s, &token).await;
    populate(&sb.s, &sb.s.token).await;
    let acme_before = everything(&sb.s, &sb.s.token).await;
    sb.post("/tenants/t1/snapshots", &json!({"name": "s"}))
        .await
        .expect(201);
    let t1 = sb.tenant_id("t1").await;

    sb.delete("/tenants/t1").await.expect(204);

    assert_401(&sb.s.get_as("/contacts", &token).await);
    sb.get("/tenants/t1").await.expect(404);
    sb.delete("/tenants/t1").await.expect(404);
    // Not a row of it is left, in any table.
    let left =
        sb.s.server
            .database()
            .read::<_, rolodex::store::StoreError>(async move |tx| {
                let mut left = Vec::new();
                for table in rolodex::store::tables::TABLES {
                    let sql = format!(
                        "SELECT COUNT(*) FROM {} WHERE {}",
                        table.name,
                        table.tenant_condition()
                    );
                    let n = tx.query_one(&sql, &[t1.into()]).await?.int(0)?;
                    if n > 0 {
                        left.push(format!("{}: {n}", table.name));
                    }
                }
                Ok(left)
            })
            .await
            .unwrap();
    assert!(left.is_empty(), "rows left: {left:?}");
    assert_eq!(everything(&sb.s, &sb.s.token).await, acme_before);
    // The slug is free again.
    sb.tenant("t1").await;
}
