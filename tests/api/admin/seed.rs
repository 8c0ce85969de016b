//! Seeding: realistic records through the API's rules, the same for the same seed, bounded.

use reqwest::Method;
use serde_json::Value;

use super::Sandbox;
use crate::support::*;

/// `value` without what differs between two tenants seeded alike: ids (global) and references
/// to them.
fn without_ids(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !(k.as_str() == "id" || k.ends_with("_id") || k.ends_with("_ids")))
                .map(|(k, v)| (k.clone(), without_ids(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_ids).collect()),
        other => other.clone(),
    }
}

async fn records(sb: &Sandbox, token: &str) -> (Value, Value) {
    let contacts =
        sb.s.get_as("/contacts?per_page=100&sort=id:asc", token)
            .await;
    contacts.expect(200);
    let companies =
        sb.s.get_as("/companies?per_page=100&sort=id:asc", token)
            .await;
    companies.expect(200);
    (contacts.body.clone(), companies.body.clone())
}

#[tokio::test]
async fn the_same_seed_on_two_empty_tenants_makes_the_same_records_in_the_same_order() {
    let sb = Sandbox::start();
    let (t1, t2, t3) = (
        sb.tenant("t1").await,
        sb.tenant("t2").await,
        sb.tenant("t3").await,
    );
    let body = json!({"contacts": 60, "companies": 12, "seed": 42});
    for slug in ["t1", "t2"] {
        let r = sb.post(&format!("/tenants/{slug}/seed"), &body).await;
        r.expect(201);
        assert_eq!(
            r.data(),
            &json!({"seed": 42, "companies": 12, "contacts": 60})
        );
    }
    sb.post(
        "/tenants/t3/seed",
        &json!({"contacts": 60, "companies": 12, "seed": 43}),
    )
    .await
    .expect(201);
    let (a, b, c) = (
        records(&sb, &t1).await,
        records(&sb, &t2).await,
        records(&sb, &t3).await,
    );
    assert_eq!(a.0["meta"]["total"], json!(60));
    assert_eq!(a.1["meta"]["total"], json!(12));
    assert_ne!(a.0["data"][0]["id"], b.0["data"][0]["id"], "ids are global");
    assert_eq!(without_ids(&a.0), without_ids(&b.0), "contacts differ");
    assert_eq!(without_ids(&a.1), without_ids(&b.1), "companies differ");
    assert_ne!(
        without_ids(&a.0),
        without_ids(&c.0),
        "another seed gave the same contacts"
    );
    let defs = |t: &str| {
        let t = t.to_owned();
        let sb = &sb;
        async move { without_ids(&sb.s.get_as("/custom-fields", &t).await.body) }
    };
    assert_eq!(defs(&t1).await, defs(&t2).await);
}

#[tokio::test]
async fn seeded_records_are_varied_and_follow_the_apis_rules() {
    let sb = Sandbox::start();
    let token = sb.tenant("t1").await;
    let r = sb
        .post(
            "/tenants/t1/seed",
            &json!({"contacts": 200, "companies": 40, "seed": 7}),
        )
        .await;
    r.expect(201);
    let contacts: Vec<Value> = {
        let mut all = Vec::new();
        for page in 1..=2 {
            let r =
                sb.s.get_as(&format!("/contacts?per_page=100&page={page}"), &token)
                    .await;
            r.expect(200);
            all.extend(r.data().as_array().unwrap().iter().cloned());
        }
        all
    };
    assert_eq!(contacts.len(), 200);
    assert!(
        contacts
            .iter()
            .all(|c| c["email"].as_str().is_some_and(|e| e.contains('@')))
    );
    assert!(contacts.iter().all(|c| c["phone_1"].is_string()));
    assert!(
        contacts
            .iter()
            .any(|c| !c["tags"].as_array().unwrap().is_empty())
    );
    assert!(
        contacts
            .iter()
            .any(|c| c["companies"].as_array().unwrap().len() > 1),
        "several companies per contact"
    );
    let primaries = contacts
        .iter()
        .flat_map(|c| c["companies"].as_array().unwrap().clone())
        .filter(|l| l["is_primary"] == json!(true))
        .count();
    assert!(primaries >= 10, "primary contacts: {primaries}");
    let companies = sb.s.get_as("/companies?per_page=100", &token).await;
    let companies = companies.data().as_array().unwrap().clone();
    assert_eq!(companies.len(), 40);
    assert!(companies.iter().any(|c| {
        c["custom_fields"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
    }));
    assert!(
        companies
            .iter()
            .any(|c| !c["shipping_addresses"].as_array().unwrap().is_empty())
    );
    assert!(companies.iter().any(|c| c["parent_company_id"].is_i64()));
    assert!(companies.iter().any(|c| c["type"].is_string()));
    let names: std::collections::HashSet<&str> = companies
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names.len(), 40);
    // The API's own filters find them as they would any record.
    let found =
        sb.s.get_as("/contacts?email[contains]=example.com&per_page=1", &token)
            .await;
    found.expect(200);
    assert_eq!(found.body["meta"]["total"], json!(200));
    let t1 = sb.get("/tenants/t1").await;
    assert_eq!(t1.data()["records"]["contacts"], json!(200));
    assert_eq!(t1.data()["records"]["custom_fields"], json!(4));
    // Seeding again adds to what is there, reusing the definitions and tags.
    sb.post("/tenants/t1/seed", &json!({"contacts": 5, "companies": 1}))
        .await
        .expect(201);
    let t1 = sb.get("/tenants/t1").await;
    assert_eq!(t1.data()["records"]["contacts"], json!(205));
    assert_eq!(t1.data()["records"]["custom_fields"], json!(4));
}

#[tokio::test]
async fn seed_requests_are_bounded_and_report_every_error() {
    let sb = Sandbox::start();
    let r = sb
        .post(
            "/tenants/acme/seed",
            &json!({"contacts": 10001, "companies": -1, "seed": "x"}),
        )
        .await;
    assert_422(&r, &["contacts", "companies", "seed"]);
    assert_eq!(
        r.body["message"],
        json!("The contacts field must be between 0 and 10000. (and 2 more errors)")
    );
    assert_eq!(
        r.body["errors"]["companies"],
        json!(["The companies field must be between 0 and 2000."])
    );
    assert_eq!(
        r.body["errors"]["seed"],
        json!(["The seed field must be an integer."])
    );
    let r = sb.post("/tenants/acme/seed", &json!({"contacts": 1})).await;
    assert_422(&r, &["companies"]);
    assert_eq!(
        r.body["message"],
        json!("The companies field must be at least 1 when contacts are requested.")
    );
    let r = sb
        .post(
            "/tenants/acme/seed",
            &json!({"companies": 2001, "seed": -1}),
        )
        .await;
    assert_422(&r, &["companies", "seed"]);
    // Nothing was made by the refused requests.
    assert_eq!(
        sb.get("/tenants/acme").await.data()["records"]["companies"],
        json!(0)
    );

    // Without a seed, the server picks one and says which: it reproduces the records.
    let r = sb
        .admin(
            Method::POST,
            "/tenants/acme/seed",
            Some(&json!({"contacts": 3, "companies": 2})),
        )
        .await;
    r.expect(201);
    let seed = r.data()["seed"].as_u64().unwrap();
    let t2 = sb.tenant("t2").await;
    sb.post(
        "/tenants/t2/seed",
        &json!({"contacts": 3, "companies": 2, "seed": seed}),
    )
    .await
    .expect(201);
    assert_eq!(
        without_ids(&records(&sb, &sb.s.token).await.0),
        without_ids(&records(&sb, &t2).await.0)
    );
    // An empty body seeds nothing.
    let r = sb.admin(Method::POST, "/tenants/t2/seed", None).await;
    r.expect(201);
    assert_eq!(
        (r.data()["companies"].clone(), r.data()["contacts"].clone()),
        (json!(0), json!(0))
    );
}

#[tokio::test]
async fn seeding_one_tenant_never_touches_another() {
    let sb = Sandbox::start();
    super::populate(&sb.s, &sb.s.token).await;
    let before = sb.rows("acme").await;
    sb.tenant("t1").await;
    sb.post(
        "/tenants/t1/seed",
        &json!({"contacts": 30, "companies": 5, "seed": 1}),
    )
    .await
    .expect(201);
    assert_eq!(sb.rows("acme").await, before);
}
