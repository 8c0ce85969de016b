//! §5.5: `/companies/{id}/shipping-addresses` and the default-address rules.

use crate::support::*;
use serde_json::Value;

fn base(company: i64) -> String {
    format!("/companies/{company}/shipping-addresses")
}

async fn add(s: &TestServer, company: i64, body: Value) -> Value {
    let r = s.post(&base(company), &body).await;
    r.expect(201);
    r.data().clone()
}

fn id_of(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id is not an integer: {v}"))
}

/// `(id, is_default)` of every address of the company, oldest first.
async fn defaults(s: &TestServer, company: i64) -> Vec<(i64, bool)> {
    let r = s.get(&format!("{}?per_page=100", base(company))).await;
    r.expect(200);
    r.data()
        .as_array()
        .expect("array")
        .iter()
        .map(|a| (id_of(a), a["is_default"].as_bool().expect("boolean")))
        .collect()
}

#[tokio::test]
async fn create_read_and_list_addresses() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = add(
        &s,
        co,
        json!({"address_1": " 1 Dock Rd ", "address_2": "Bay 2", "city": "Houston", "state": "TX", "zip": "77001",
               "country": "USA", "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.test", "phone": "555"}),
    )
    .await;
    assert_eq!(a["company_id"], json!(co));
    assert_eq!(a["company_name"], "Acme");
    assert_eq!(a["address"], "1 Dock Rd");
    assert_eq!(a["address_line_2"], "Bay 2");
    assert_eq!(a["postal_code"], "77001");
    assert_eq!(a["full_name"], "Ann Lee");
    assert_eq!(
        a["full_address"],
        "1 Dock Rd, Bay 2, Houston, TX 77001, USA"
    );
    assert!(is_timestamp(a["created_at"].as_str().unwrap_or("")));
    // The first address of a company is its default, even when flagged otherwise.
    assert_eq!(a["is_default"], true);
    let b = add(
        &s,
        co,
        json!({"address": "2 Port Way", "city": "Dallas", "is_default": false}),
    )
    .await;
    assert_eq!(b["is_default"], false);
    assert_eq!(b["full_name"], Value::Null);

    let r = s.get(&format!("{}/{}", base(co), id_of(&a))).await;
    r.expect(200);
    assert_eq!(r.data(), &a);
    let r = s.get(&base(co)).await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], 2);
    assert_eq!(r.body["meta"]["per_page"], 10);
    let r = s.get(&format!("{}?city=Dallas", base(co))).await;
    assert_eq!(r.body["meta"]["total"], 1);
    assert_eq!(r.data()[0]["id"], b["id"]);
    let r = s
        .get(&format!(
            "{}?is_default=true&sort=city:desc&limit=1",
            base(co)
        ))
        .await;
    assert_eq!(r.data()[0]["id"], a["id"]);
    assert_422(&s.get(&format!("{}?name=x", base(co))).await, &["name"]);

    // The company object shows the default nested and flattened.
    let c = s.get(&format!("/companies/{co}")).await;
    assert_eq!(c.data()["default_shipping"]["id"], a["id"]);
    assert_eq!(c.data()["shipping_address"], "1 Dock Rd");
    assert_eq!(
        c.data()["shipping_full_address"],
        "1 Dock Rd, Houston, TX 77001, USA"
    );
    assert_eq!(
        c.data()["shipping_addresses"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_new_default_replaces_the_old_one() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = id_of(&add(&s, co, json!({"address_1": "1", "city": "X"})).await);
    let b = id_of(
        &add(
            &s,
            co,
            json!({"address_1": "2", "city": "Y", "is_default": true}),
        )
        .await,
    );
    assert_eq!(defaults(&s, co).await, [(a, false), (b, true)]);
    // Updating is_default moves it back.
    let r = s
        .post(&format!("{}/{a}", base(co)), &json!({"is_default": "1"}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["is_default"], true);
    assert_eq!(defaults(&s, co).await, [(a, true), (b, false)]);
    // Unsetting the default hands it to the oldest other address.
    let c = id_of(&add(&s, co, json!({"address_1": "3", "city": "Z"})).await);
    let r = s
        .patch(&format!("{}/{a}", base(co)), &json!({"is_default": false}))
        .await;
    assert_eq!(r.data()["is_default"], false);
    assert_eq!(defaults(&s, co).await, [(a, false), (b, true), (c, false)]);
    assert_eq!(
        s.get(&format!("/companies/{co}")).await.data()["shipping_city"],
        "Y"
    );
}

#[tokio::test]
async fn an_only_address_stays_the_default() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = id_of(&add(&s, co, json!({"address_1": "1", "city": "X"})).await);
    let r = s
        .put(&format!("{}/{a}", base(co)), &json!({"is_default": false}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["is_default"], true);
}

#[tokio::test]
async fn deleting_the_default_promotes_the_oldest_remaining() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = id_of(&add(&s, co, json!({"address_1": "1", "city": "X"})).await);
    let b = id_of(&add(&s, co, json!({"address_1": "2", "city": "Y"})).await);
    let c = id_of(
        &add(
            &s,
            co,
            json!({"address_1": "3", "city": "Z", "is_default": true}),
        )
        .await,
    );
    let r = s.delete(&format!("{}/{c}", base(co))).await;
    r.expect(204);
    assert!(r.text.is_empty());
    assert_eq!(defaults(&s, co).await, [(a, true), (b, false)]);
    // Deleting a non-default leaves the default alone.
    s.delete(&format!("{}/{b}", base(co))).await.expect(204);
    assert_eq!(defaults(&s, co).await, [(a, true)]);
    s.delete(&format!("{}/{a}", base(co))).await.expect(204);
    assert_eq!(defaults(&s, co).await, []);
    let company = s.get(&format!("/companies/{co}")).await;
    assert_eq!(company.data()["default_shipping"], Value::Null);
    assert_eq!(company.data()["shipping_full_address"], Value::Null);
    assert_error(&s.delete(&format!("{}/{a}", base(co))).await, 404);
}

#[tokio::test]
async fn update_is_partial_and_keeps_required_fields() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = add(
        &s,
        co,
        json!({"address_1": "1 Main", "city": "Austin", "state": "TX", "phone": "1"}),
    )
    .await;
    let path = format!("{}/{}", base(co), id_of(&a));
    let r = s
        .post(
            &path,
            &json!({"zip": "78701", "phone": null, "address_2": "Unit 9"}),
        )
        .await;
    r.expect(200);
    let d = r.data();
    assert_eq!(d["address"], "1 Main");
    assert_eq!(d["postal_code"], "78701");
    assert_eq!(d["phone"], Value::Null);
    assert_eq!(d["full_address"], "1 Main, Unit 9, Austin, TX 78701");
    let r = s
        .post(
            &path,
            &json!({"postal_code": "73301", "address_line_2": null}),
        )
        .await;
    assert_eq!(r.data()["postal_code"], "73301");
    assert_eq!(r.data()["address_line_2"], Value::Null);
    assert_422(
        &s.post(&path, &json!({"address_1": "", "city": null})).await,
        &["address_1", "city"],
    );
    assert_422(
        &s.post(&path, &json!({"email": "nope", "state": 5})).await,
        &["email", "state"],
    );
    assert_eq!(s.get(&path).await.data()["city"], "Austin");
}

#[tokio::test]
async fn create_validates_every_field_at_once() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            &base(co),
            &json!({"email": "x@", "first_name": 1, "zip": "z".repeat(256), "is_default": "no"}),
        )
        .await;
    assert_422(
        &r,
        &[
            "address_1",
            "city",
            "email",
            "first_name",
            "zip",
            "is_default",
        ],
    );
    assert_eq!(
        r.body["message"],
        "The address 1 field is required. (and 5 more errors)"
    );
    assert_error(&s.post(&base(co), &json!([])).await, 400);
    assert_eq!(defaults(&s, co).await, []);
}

#[tokio::test]
async fn addresses_belong_to_their_company_and_tenant() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let other_co = s.create_company("Other").await;
    let a = id_of(&add(&s, co, json!({"address_1": "1", "city": "X"})).await);
    // Another company's path does not reach the address.
    for r in [
        s.get(&format!("{}/{a}", base(other_co))).await,
        s.post(&format!("{}/{a}", base(other_co)), &json!({"city": "Y"}))
            .await,
        s.delete(&format!("{}/{a}", base(other_co))).await,
        s.get(&format!("{}/abc", base(co))).await,
        s.get(&base(999_999)).await,
        s.post(&base(999_999), &json!({"address_1": "1", "city": "X"}))
            .await,
        s.post(&base(999_999), &json!({})).await,
    ] {
        assert_error(&r, 404);
    }
    let token = s.token("globex");
    for r in [
        s.get_as(&base(co), &token).await,
        s.get_as(&format!("{}/{a}", base(co)), &token).await,
        s.post_as(&base(co), &token, &json!({"address_1": "1", "city": "X"}))
            .await,
        s.post_as(&format!("{}/{a}", base(co)), &token, &json!({"city": "Y"}))
            .await,
        s.delete_as(&format!("{}/{a}", base(co)), &token).await,
    ] {
        assert_error(&r, 404);
    }
    assert_eq!(defaults(&s, co).await, [(a, true)]);
    assert_eq!(
        s.get(&format!("{}/{a}", base(co))).await.data()["city"],
        "X"
    );
}

#[tokio::test]
async fn address_changes_move_the_company_updated_at() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let before = s.get(&format!("/companies/{co}")).await.data()["updated_at"].clone();
    s.clock().advance(1);
    add(&s, co, json!({"address_1": "1", "city": "X"})).await;
    let after = s.get(&format!("/companies/{co}")).await.data()["updated_at"].clone();
    assert_ne!(before, after);
}
