//! §1: authentication, hosts and tenant isolation.

use crate::support::*;
use reqwest::Method;

#[tokio::test]
async fn health_needs_no_token() {
    let s = TestServer::start().await;
    let r = s
        .raw_request(Method::GET, "/health", None, None, None, &[])
        .await;
    r.expect(200);
    assert_eq!(r.body, json!({"status": "ok"}));
}

#[tokio::test]
async fn missing_token_is_401() {
    let s = TestServer::start().await;
    for path in ["/contacts", "/contacts/1", "/companies/1"] {
        let r = s.request(Method::GET, path, None, None, None, &[]).await;
        assert_401(&r);
    }
    let r = s
        .request(
            Method::POST,
            "/contacts",
            None,
            Some(br#"{"first_name":"A","company_id":1}"#.to_vec()),
            Some("application/json"),
            &[],
        )
        .await;
    assert_401(&r);
}

#[tokio::test]
async fn malformed_authorization_headers_are_401() {
    let s = TestServer::start().await;
    let token = s.token.clone();
    let basic = format!("Basic {token}");
    let lower = format!("Token {token}");
    let values: Vec<&str> = vec![
        "Bearer", "Bearer ", &token, // no scheme
        &basic, &lower, "",
    ];
    for v in values {
        let r = s
            .request(
                Method::GET,
                "/contacts",
                None,
                None,
                None,
                &[("Authorization", v)],
            )
            .await;
        assert_401(&r);
    }
}

#[tokio::test]
async fn unknown_token_is_401() {
    let s = TestServer::start().await;
    let r = s.get_as("/contacts", "definitely-not-a-token").await;
    assert_401(&r);
    // A token that differs from a real one in its last character.
    let mut bad = s.token.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'a' { 'b' } else { 'a' });
    let r = s.get_as("/contacts", &bad).await;
    assert_401(&r);
}

#[tokio::test]
async fn valid_token_is_accepted() {
    let s = TestServer::start().await;
    s.get("/contacts").await.expect(200);
}

#[tokio::test]
async fn revoked_token_is_401() {
    let s = TestServer::start().await;
    let token = s.named_token("acme", "to-revoke-xyz");
    s.get_as("/contacts", &token).await.expect(200);

    let list = cli(&["tokens", "list", "--database", s.database_url()]);
    assert!(list.status.success(), "{}", stderr_of(&list));
    let id = token_id_from_list(&stdout_of(&list), "to-revoke-xyz");
    let out = cli(&["tokens", "revoke", &id, "--database", s.database_url()]);
    assert!(out.status.success(), "revoke failed: {}", stderr_of(&out));
    // The server may remember a token check for a moment (at most about a second).
    sleep_secs(1.2).await;

    assert_401(&s.get_as("/contacts", &token).await);
    // The other token of the tenant still works.
    s.get("/contacts").await.expect(200);
}

#[tokio::test]
async fn host_with_own_tenant_slug_is_accepted() {
    let s = TestServer::start().await;
    let token = s.token.clone();
    let r = s
        .request(
            Method::GET,
            "/contacts",
            Some(&token),
            None,
            None,
            &[("Host", "acme.api.example.com")],
        )
        .await;
    r.expect(200);
}

#[tokio::test]
async fn host_with_other_tenant_slug_is_401() {
    let s = TestServer::start().await;
    // globex exists as a tenant too.
    let _ = s.token("globex");
    let token = s.token.clone();
    for host in ["globex.api.example.com", "nosuch.api.joinluminous.com"] {
        let r = s
            .request(
                Method::GET,
                "/contacts",
                Some(&token),
                None,
                None,
                &[("Host", host)],
            )
            .await;
        assert_401(&r);
    }
}

#[tokio::test]
async fn other_hosts_are_accepted() {
    let s = TestServer::start().await;
    let token = s.token.clone();
    for host in [
        "localhost",
        "127.0.0.1",
        "crm.example.com",
        "globex.example.com",
    ] {
        let r = s
            .request(
                Method::GET,
                "/contacts",
                Some(&token),
                None,
                None,
                &[("Host", host)],
            )
            .await;
        assert_eq!(r.status, 200, "host {host}: {r:#?}");
    }
}

#[tokio::test]
async fn other_tenants_contact_is_404_everywhere() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let c = s.quick_contact("Alice").await;
    let id = cid(&c);
    let path = format!("/contacts/{id}");

    assert_error(&s.get_as(&path, &globex).await, 404);
    let body = json!({"last_name": "Hacked"});
    for m in [Method::POST, Method::PUT, Method::PATCH] {
        let r = s.send_as(m, &path, &globex, Some(&body)).await;
        assert_error(&r, 404);
    }
    let pw = json!({"password": "secret-password"});
    assert_error(
        &s.post_as(&format!("{path}/password"), &globex, &pw).await,
        404,
    );
    assert_error(
        &s.post_as(&format!("{path}/b2b-portal-password"), &globex, &pw)
            .await,
        404,
    );
    assert_error(&s.delete_as(&path, &globex).await, 404);

    // Nothing happened to the contact.
    let after = s.contact(&id).await;
    assert_eq!(after, c);
}

#[tokio::test]
async fn other_tenants_contacts_are_not_listed() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    s.quick_contact("Alice").await;
    let r = s.get_as("/contacts", &globex).await;
    r.expect(200);
    assert_eq!(r.data(), &json!([]));
    assert_eq!(r.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn other_tenants_company_is_404() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let co = s.create_company("Acme Inc").await;
    assert_error(&s.get_as(&format!("/companies/{co}"), &globex).await, 404);
    s.get(&format!("/companies/{co}")).await.expect(200);
}

#[tokio::test]
async fn other_tenants_company_id_is_422_on_create() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let theirs = s.create_company_as(&globex, "Globex Corp").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": theirs}),
        )
        .await;
    assert_422(&r, &["company_id"]);
    let ours = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_ids": [ours, theirs]}),
        )
        .await;
    assert_422(&r, &["company_ids.1"]);
}

#[tokio::test]
async fn other_tenants_company_id_is_422_on_update() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let theirs = s.create_company_as(&globex, "Globex Corp").await;
    let c = s.quick_contact("Alice").await;
    let path = format!("/contacts/{}", cid(&c));
    assert_422(
        &s.post(&path, &json!({"company_id": theirs})).await,
        &["company_id"],
    );
    assert_422(
        &s.post(&path, &json!({"company_ids": [theirs]})).await,
        &["company_ids.0"],
    );
    assert_eq!(s.contact(&cid(&c)).await, c);
}

#[tokio::test]
async fn tags_are_not_shared_between_tenants() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let ours = s.create_company("Acme").await;
    let theirs = s.create_company_as(&globex, "Globex").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": ours, "tags": ["vip"]}))
        .await;
    let g = s
        .create_contact_as(
            &globex,
            json!({"first_name": "G", "company_id": theirs, "tags": ["VIP"]}),
        )
        .await;
    // Not reused across tenants: globex's tag keeps its own spelling and id.
    assert_eq!(tag_names(&g), vec!["VIP"]);
    assert_ne!(a["tags"][0]["id"], g["tags"][0]["id"]);
}

#[tokio::test]
async fn login_emails_are_unique_per_tenant_only() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let ours = s.create_company("Acme").await;
    let theirs = s.create_company_as(&globex, "Globex").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": ours,
        "email": "same@example.com", "password": "password-1"
    }))
    .await;
    let g = s
        .create_contact_as(
            &globex,
            json!({
                "first_name": "G", "company_id": theirs,
                "email": "same@example.com", "password": "password-2"
            }),
        )
        .await;
    assert_eq!(g["has_portal_login"], json!(true));
}

#[tokio::test]
async fn host_with_port_is_matched_by_slug() {
    let s = TestServer::start().await;
    let token = s.token.clone();
    for (host, want) in [
        ("acme.api.example.com:8080", 200),
        ("globex.api.example.com:8080", 401),
        ("acme.api.joinluminous.com", 200),
    ] {
        let r = s
            .request(
                Method::GET,
                "/contacts",
                Some(&token),
                None,
                None,
                &[("Host", host)],
            )
            .await;
        assert_eq!(r.status, want, "host {host}: {r:#?}");
    }
}

#[tokio::test]
async fn token_of_the_host_tenant_works_on_its_host() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let r = s
        .request(
            Method::GET,
            "/contacts",
            Some(&globex),
            None,
            None,
            &[("Host", "globex.api.example.com")],
        )
        .await;
    r.expect(200);
    let r = s
        .request(
            Method::GET,
            "/contacts",
            Some(&globex),
            None,
            None,
            &[("Host", "acme.api.example.com")],
        )
        .await;
    assert_401(&r);
}

#[tokio::test]
async fn other_tenants_contact_looks_like_a_missing_one_even_with_a_bad_body() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let c = s.quick_contact("Alice").await;
    let id: i64 = cid(&c).parse().unwrap();
    let bad = json!({"first_name": "", "email": "nope"});
    let theirs = s.post_as(&format!("/contacts/{id}"), &globex, &bad).await;
    let missing = s
        .post_as(&format!("/contacts/{}", id + 1000), &globex, &bad)
        .await;
    assert_eq!(theirs.status, missing.status, "{theirs:#?} vs {missing:#?}");
    assert_eq!(theirs.body, missing.body);
}

#[tokio::test]
async fn a_tenant_cannot_move_its_contact_into_another_tenants_login_space() {
    // Login emails of another tenant never conflict, also on update and password endpoints.
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let theirs = s.create_company_as(&globex, "Globex").await;
    s.create_contact_as(
        &globex,
        json!({"first_name": "G", "company_id": theirs, "email": "x@example.com", "password": "password-g"}),
    )
    .await;
    let c = s.quick_contact("A").await;
    let r = s
        .post(
            &format!("/contacts/{}", cid(&c)),
            &json!({"email": "X@example.com", "password": "password-a"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["has_portal_login"], json!(true));
}

#[tokio::test]
async fn auth_headers_on_every_401() {
    let s = TestServer::start().await;
    let r = s
        .request(Method::DELETE, "/contacts/1", Some("nope"), None, None, &[])
        .await;
    assert_401(&r);
    let r = s
        .request(
            Method::POST,
            "/contacts/1/password",
            None,
            Some(b"{}".to_vec()),
            Some("application/json"),
            &[],
        )
        .await;
    assert_401(&r);
}

/// Paths under the API base that name no route.
const UNKNOWN_API_PATHS: [&str; 6] = [
    "/external/api/v1",
    "/external/api/v1/",
    "/external/api/v1/nope",
    "/external/api/v1/contact",
    "/external/api/v1/contacts/1/nope",
    "/external/api/v1/warehouses/1/stock",
];

/// Known routes asked with a method they do not take.
const WRONG_METHODS: [(Method, &str); 3] = [
    (Method::DELETE, "/external/api/v1/contacts"),
    (Method::PUT, "/external/api/v1/warehouses"),
    (
        Method::GET,
        "/external/api/v1/contacts/1/b2b-portal-password",
    ),
];

/// Authentication comes first under the API base, as on Laravel's `auth:api` group: without a
/// valid token an unknown path is 401 (not 404) and a wrong method 401 (not 405).
#[tokio::test]
async fn without_a_valid_token_unknown_api_paths_and_wrong_methods_are_401() {
    let s = TestServer::start().await;
    for token in [None, Some("rdx_not-a-real-token")] {
        for path in UNKNOWN_API_PATHS {
            for method in [Method::GET, Method::POST, Method::DELETE] {
                let r = s
                    .raw_request(method.clone(), path, token, None, None, &[])
                    .await;
                assert_eq!(r.status, 401, "{method} {path}");
                assert_401(&r);
            }
        }
        for (method, path) in WRONG_METHODS {
            let r = s.raw_request(method, path, token, None, None, &[]).await;
            assert_401(&r);
            assert_eq!(r.header("allow"), None, "{r:#?}");
        }
    }
    // A token of another tenant's host is no valid token either.
    let r = s
        .raw_request(
            Method::GET,
            "/external/api/v1/nope",
            Some(&s.token.clone()),
            None,
            None,
            &[("Host", "globex.api.example.com")],
        )
        .await;
    assert_401(&r);
}

#[tokio::test]
async fn with_a_valid_token_unknown_api_paths_are_404_and_wrong_methods_405() {
    let s = TestServer::start().await;
    let token = s.token.clone();
    for path in UNKNOWN_API_PATHS {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let r = s
                .raw_request(method.clone(), path, Some(&token), None, None, &[])
                .await;
            r.expect(404);
            assert_eq!(r.body, json!({"message": "Not found."}), "{method} {path}");
        }
    }
    for (method, path) in WRONG_METHODS {
        let r = s
            .raw_request(method.clone(), path, Some(&token), None, None, &[])
            .await;
        assert_error(&r, 405);
        assert_eq!(
            r.body["message"],
            json!(format!(
                "The {method} method is not supported for this route."
            )),
            "{r:#?}"
        );
        assert!(r.header("allow").is_some(), "{r:#?}");
    }
}

/// Outside the API base nothing changes: no token is asked for.
#[tokio::test]
async fn paths_outside_the_api_base_need_no_token() {
    let s = TestServer::start().await;
    for path in [
        "/nope",
        "/external",
        "/external/api",
        "/external/api/v2/contacts",
        "/external/api/v1nope",
        "/contacts",
    ] {
        let r = s
            .raw_request(Method::GET, path, None, None, None, &[])
            .await;
        r.expect(404);
        assert_eq!(r.body, json!({"message": "Not found."}), "{path}");
    }
    for path in ["/health", "/health/live", "/health/ready"] {
        s.raw_request(Method::GET, path, None, None, None, &[])
            .await
            .expect(200);
    }
}
