//! §5.6 custom-field definitions and §5.5 `GET`/`PUT /companies/{id}/custom-fields`.

use crate::support::*;
use serde_json::Value;

async fn define(s: &TestServer, body: Value) -> Value {
    let r = s.post("/custom-fields", &body).await;
    r.expect(201);
    r.data().clone()
}

fn id_of(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id is not an integer: {v}"))
}

/// A tenant with one definition of each type and a company.
async fn setup(s: &TestServer) -> i64 {
    define(s, json!({"label": "Employees", "type": "number"})).await;
    define(s, json!({"label": "Founded", "type": "date"})).await;
    define(
        s,
        json!({"label": "Motto", "type": "string", "options": {"maxLength": 10}}),
    )
    .await;
    define(
        s,
        json!({"label": "Region", "type": "dropdown", "options": {"choices": ["North", "South"]}}),
    )
    .await;
    s.create_company("Acme").await
}

#[tokio::test]
async fn definitions_crud() {
    let s = TestServer::start().await;
    let d = define(
        &s,
        json!({"label": " Region ", "type": "Dropdown", "object_types": ["companies"],
               "options": {"choices": ["North", " South ", "north"], "hint": "pick one"}}),
    )
    .await;
    let mut keys: Vec<&String> = d.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "id",
            "label",
            "object_types",
            "options",
            "type",
            "updated_at"
        ]
    );
    assert_eq!(d["label"], "Region");
    assert_eq!(d["type"], "dropdown");
    assert_eq!(d["object_types"], json!(["companies"]));
    assert_eq!(
        d["options"],
        json!({"choices": ["North", "South"], "hint": "pick one"})
    );
    let plain = define(&s, json!({"label": "Notes2", "type": "string"})).await;
    assert_eq!(plain["object_types"], json!(["companies"]));
    assert_eq!(plain["options"], json!({}));

    let id = id_of(&d);
    let path = format!("/custom-fields/{id}");
    assert_eq!(s.get(&path).await.data(), &d);
    let r = s.get("/custom-fields").await;
    r.expect(200);
    assert!(r.body.get("meta").is_none());
    assert_eq!(r.data().as_array().map(Vec::len), Some(2));
    assert_eq!(
        s.get("/custom-fields?object_type=companies")
            .await
            .data()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        s.get("/custom-fields?object_type=contacts").await.data(),
        &json!([])
    );

    for verb in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
    ] {
        let r = s
            .send(
                verb.clone(),
                &path,
                Some(&json!({"label": format!("Region {verb}")})),
            )
            .await;
        r.expect(200);
        assert_eq!(r.data()["label"], format!("Region {verb}"));
        assert_eq!(r.data()["type"], "dropdown");
    }
    let r = s
        .post(&path, &json!({"options": {"choices": ["East"]}}))
        .await;
    assert_eq!(r.data()["options"], json!({"choices": ["East"]}));

    s.delete(&path).await.expect(204);
    assert_error(&s.get(&path).await, 404);
    assert_error(&s.delete(&path).await, 404);
}

#[tokio::test]
async fn definition_validation() {
    let s = TestServer::start().await;
    define(&s, json!({"label": "Region", "type": "string"})).await;
    assert_422(
        &s.post("/custom-fields", &json!({})).await,
        &["label", "type"],
    );
    assert_422(
        &s.post(
            "/custom-fields",
            &json!({"label": "region", "type": "number"}),
        )
        .await,
        &["label"],
    );
    assert_422(
        &s.post("/custom-fields", &json!({"label": "X", "type": "text"}))
            .await,
        &["type"],
    );
    assert_422(
        &s.post(
            "/custom-fields",
            &json!({"label": "x".repeat(256), "type": "date"}),
        )
        .await,
        &["label"],
    );
    assert_422(
        &s.post("/custom-fields", &json!({"label": "X", "type": "dropdown"}))
            .await,
        &["options.choices"],
    );
    assert_422(
        &s.post(
            "/custom-fields",
            &json!({"label": "X", "type": "dropdown", "options": {"choices": []}}),
        )
        .await,
        &["options.choices"],
    );
    assert_422(
        &s.post(
            "/custom-fields",
            &json!({"label": "X", "type": "dropdown", "options": {"choices": ["a", 3, ""]}}),
        )
        .await,
        &["options.choices.1", "options.choices.2"],
    );
    assert_422(
        &s.post(
            "/custom-fields",
            &json!({"label": "X", "type": "string", "options": {"maxLength": 0}}),
        )
        .await,
        &["options.maxLength"],
    );
    assert_422(
        &s.post(
            "/custom-fields",
            &json!({"label": "X", "type": "string", "options": [1]}),
        )
        .await,
        &["options"],
    );
    let r = s
        .post(
            "/custom-fields",
            &json!({"label": "X", "type": "string", "object_types": ["companies", "contacts"]}),
        )
        .await;
    assert_422(&r, &["object_types.1"]);
    assert_eq!(
        r.body["errors"]["object_types.1"],
        json!([
            "The selected object_types.1 is invalid. Use one of: companies, products, sales-orders, \
                sales-order-items, sales-order-line-items, purchase-orders, purchase-order-items, invoices, suppliers."
        ])
    );
    for bad in [json!("companies"), json!([5]), json!([""])] {
        let r = s
            .post(
                "/custom-fields",
                &json!({"label": "X", "type": "string", "object_types": bad}),
            )
            .await;
        assert!(
            r.status == 422 && r.error_keys()[0].starts_with("object_types"),
            "{r:?}"
        );
    }
    assert_eq!(
        s.get("/custom-fields")
            .await
            .data()
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let other = id_of(&define(&s, json!({"label": "Other", "type": "string"})).await);
    let path = format!("/custom-fields/{other}");
    assert_422(
        &s.post(&path, &json!({"label": "REGION"})).await,
        &["label"],
    );
    assert_422(
        &s.post(&path, &json!({"label": null, "type": ""})).await,
        &["label", "type"],
    );
    assert_422(
        &s.post(&path, &json!({"type": "dropdown"})).await,
        &["options.choices"],
    );
    // Its own label in another case is fine.
    let r = s.post(&path, &json!({"label": "OTHER"})).await;
    assert_eq!(r.data()["label"], "OTHER");
}

#[tokio::test]
async fn definitions_are_per_tenant() {
    let s = TestServer::start().await;
    let d = define(&s, json!({"label": "Region", "type": "string"})).await;
    let token = s.token("globex");
    let path = format!("/custom-fields/{}", id_of(&d));
    assert_error(&s.get_as(&path, &token).await, 404);
    assert_error(
        &s.post_as(&path, &token, &json!({"label": "Mine"})).await,
        404,
    );
    assert_error(&s.delete_as(&path, &token).await, 404);
    assert_eq!(s.get_as("/custom-fields", &token).await.data(), &json!([]));
    // The same label is free in another tenant, and its companies cannot use ours.
    let r = s
        .post_as(
            "/custom-fields",
            &token,
            &json!({"label": "Other", "type": "string"}),
        )
        .await;
    r.expect(201);
    let r = s
        .post_as(
            "/companies",
            &token,
            &json!({"name": "G", "custom_fields": {"Region": "x"}}),
        )
        .await;
    assert_422(&r, &["custom_fields.Region"]);
    assert_eq!(s.get(&path).await.data()["label"], "Region");
}

#[tokio::test]
async fn values_are_checked_against_their_type() {
    let s = TestServer::start().await;
    let co = setup(&s).await;
    let path = format!("/companies/{co}/custom-fields");
    let r = s.get(&path).await;
    r.expect(200);
    assert_eq!(r.body, json!({"data": {}}));

    let r = s
        .put(&path, &json!({"Employees": 12.5, "Founded": "1999-12-31", "Motto": " Go far ", "region": "south"}))
        .await;
    r.expect(200);
    assert_eq!(
        r.data(),
        &json!({"Employees": 12.5, "Founded": "1999-12-31", "Motto": "Go far", "Region": "South"})
    );
    assert_eq!(s.get(&path).await.data(), r.data());
    assert_eq!(
        s.get(&format!("/companies/{co}")).await.data()["custom_fields"],
        *r.data()
    );

    let r = s
        .put(
            &path,
            &json!({"Employees": "1e3", "Founded": "1999-02-30", "Motto": "far too long for ten", "Region": "East",
                    "Unknown": 1}),
        )
        .await;
    assert_422(&r, &["Employees", "Founded", "Motto", "Region", "Unknown"]);
    for bad in [
        json!({"Employees": true}),
        json!({"Founded": "31/12/1999"}),
        json!({"Founded": 19991231}),
        json!({"Motto": 5}),
        json!({"Region": ["North"]}),
    ] {
        let key = bad
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        assert_422(&s.put(&path, &bad).await, &[key.as_str()]);
    }
    // Nothing of the failed requests was stored.
    assert_eq!(s.get(&path).await.data()["Employees"], json!(12.5));
}

#[tokio::test]
async fn put_merges_and_null_removes() {
    let s = TestServer::start().await;
    let co = setup(&s).await;
    let path = format!("/companies/{co}/custom-fields");
    s.put(&path, &json!({"Employees": 5, "Region": "North"}))
        .await
        .expect(200);
    let r = s.put(&path, &json!({"Motto": "Hi"})).await;
    assert_eq!(
        r.data(),
        &json!({"Employees": 5, "Motto": "Hi", "Region": "North"})
    );
    let r = s.put(&path, &json!({"Employees": null, "Motto": ""})).await;
    assert_eq!(r.data(), &json!({"Region": "North"}));
    // POST and PATCH are accepted as PUT.
    let r = s.post(&path, &json!({"Employees": 7})).await;
    assert_eq!(r.data()["Employees"], 7);
    let r = s.patch(&path, &json!({})).await;
    assert_eq!(r.data(), &json!({"Employees": 7, "Region": "North"}));
    assert_error(&s.put(&path, &json!([1])).await, 400);
    assert_error(&s.delete(&path).await, 405);
}

#[tokio::test]
async fn company_bodies_key_value_errors_under_custom_fields() {
    let s = TestServer::start().await;
    let co = setup(&s).await;
    let r = s.post("/companies", &json!({"name": "B", "custom_fields": {"Employees": "many", "Region": "West", "Nope": 1}})).await;
    assert_422(
        &r,
        &[
            "custom_fields.Employees",
            "custom_fields.Region",
            "custom_fields.Nope",
        ],
    );
    let r = s
        .post(
            &format!("/companies/{co}"),
            &json!({"custom_fields": "Region=North"}),
        )
        .await;
    assert_422(&r, &["custom_fields"]);
    let r = s
        .post(
            &format!("/companies/{co}"),
            &json!({"custom_fields": {"Region": "North", "Founded": "2020-01-01"}}),
        )
        .await;
    r.expect(200);
    assert_eq!(
        r.data()["custom_fields"],
        json!({"Founded": "2020-01-01", "Region": "North"})
    );
}

#[tokio::test]
async fn unknown_and_foreign_companies_are_404() {
    let s = TestServer::start().await;
    let co = setup(&s).await;
    let token = s.token("globex");
    let path = format!("/companies/{co}/custom-fields");
    assert_error(&s.get_as(&path, &token).await, 404);
    assert_error(
        &s.send_as(reqwest::Method::PUT, &path, &token, Some(&json!({})))
            .await,
        404,
    );
    assert_error(&s.get("/companies/999999/custom-fields").await, 404);
    assert_error(
        &s.put(
            "/companies/999999/custom-fields",
            &json!({"Region": "North"}),
        )
        .await,
        404,
    );
    assert_error(&s.get("/contacts/1/custom-fields").await, 404);
}

#[tokio::test]
async fn deleting_a_definition_removes_its_values() {
    let s = TestServer::start().await;
    let region = define(&s, json!({"label": "Region", "type": "string"})).await;
    define(&s, json!({"label": "Size", "type": "number"})).await;
    let r = s
        .post(
            "/companies",
            &json!({"name": "A", "custom_fields": {"Region": "West", "Size": 3}}),
        )
        .await;
    let co = id_of(r.data());
    let before = r.data()["updated_at"].clone();
    s.clock().advance(1);
    s.delete(&format!("/custom-fields/{}", id_of(&region)))
        .await
        .expect(204);
    let c = s.get(&format!("/companies/{co}")).await;
    assert_eq!(c.data()["custom_fields"], json!({"Size": 3}));
    assert_ne!(c.data()["updated_at"], before);
    // A new field with the old label starts empty.
    define(&s, json!({"label": "Region", "type": "string"})).await;
    assert_eq!(
        s.get(&format!("/companies/{co}/custom-fields"))
            .await
            .data(),
        &json!({"Size": 3})
    );
}

#[tokio::test]
async fn redefining_a_field_must_fit_its_stored_values() {
    let s = TestServer::start().await;
    let co = setup(&s).await;
    let defs = s.get("/custom-fields").await.data().clone();
    let find = |label: &str| {
        defs.as_array()
            .and_then(|a| a.iter().find(|d| d["label"] == label))
            .map(id_of)
            .unwrap_or_else(|| panic!("no {label}"))
    };
    s.put(
        &format!("/companies/{co}/custom-fields"),
        &json!({"Region": "North", "Motto": "Onward", "Employees": 3}),
    )
    .await
    .expect(200);
    let region = format!("/custom-fields/{}", find("Region"));
    assert_422(
        &s.post(&region, &json!({"options": {"choices": ["South"]}}))
            .await,
        &["options"],
    );
    let r = s
        .post(&region, &json!({"options": {"choices": ["North", "East"]}}))
        .await;
    r.expect(200);
    let motto = format!("/custom-fields/{}", find("Motto"));
    assert_422(
        &s.post(&motto, &json!({"options": {"maxLength": 3}})).await,
        &["options"],
    );
    assert_422(
        &s.post(&motto, &json!({"type": "number", "options": {}}))
            .await,
        &["type"],
    );
    let r = s
        .post(
            &motto,
            &json!({"type": "dropdown", "options": {"choices": ["onward"]}}),
        )
        .await;
    assert_422(&r, &["type"]);
    let employees = format!("/custom-fields/{}", find("Employees"));
    assert_422(
        &s.post(&employees, &json!({"type": "string"})).await,
        &["type"],
    );
    // An unused field may change freely.
    let founded = format!("/custom-fields/{}", find("Founded"));
    let r = s.post(&founded, &json!({"type": "string"})).await;
    assert_eq!(r.data()["type"], "string");
    assert_eq!(
        s.get(&format!("/companies/{co}/custom-fields"))
            .await
            .data(),
        &json!({"Employees": 3, "Motto": "Onward", "Region": "North"})
    );
}

/// The official CLI sends every value as a string (`--field Employees=12`): a number field takes a
/// plain decimal string, stored and returned as a number; anything else is the usual 422.
#[tokio::test]
async fn number_fields_take_numeric_strings() {
    let s = TestServer::start().await;
    let co = setup(&s).await;
    let path = format!("/companies/{co}/custom-fields");
    let r = s.put(&path, &json!({"Employees": "12"})).await;
    r.expect(200);
    assert_eq!(r.data()["Employees"], json!(12));
    assert!(r.text.contains(r#""Employees":12"#), "{}", r.text);
    let r = s.put(&path, &json!({"Employees": "-3.5"})).await;
    assert_eq!(r.data()["Employees"], json!(-3.5));
    for bad in ["1e3", "0x1", " 12 ", "", "+1", "12abc", ".5", "NaN"] {
        let r = s.put(&path, &json!({"Employees": bad})).await;
        assert_422(&r, &["Employees"]);
        assert_eq!(
            r.body["errors"]["Employees"],
            json!(["The Employees field must be a number."]),
            "{bad:?}"
        );
    }
    assert_eq!(s.get(&path).await.data()["Employees"], json!(-3.5));
    // Company bodies, on create and update, read values the same way.
    let r = s
        .post(
            "/companies",
            &json!({"name": "B", "custom_fields": {"Employees": "250"}}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.data()["custom_fields"], json!({"Employees": 250}));
    let b = id_of(r.data());
    let r = s
        .post(
            &format!("/companies/{b}"),
            &json!({"custom_fields": {"Employees": "7.25"}}),
        )
        .await;
    assert_eq!(r.data()["custom_fields"], json!({"Employees": 7.25}));
    let r = s
        .post(
            &format!("/companies/{b}"),
            &json!({"custom_fields": {"Employees": "0x1"}}),
        )
        .await;
    assert_422(&r, &["custom_fields.Employees"]);
    assert_eq!(
        r.body["message"],
        "The custom_fields.Employees field must be a number."
    );
    let r = s
        .post(
            "/companies",
            &json!({"name": "C", "custom_fields": {"Employees": " 12 "}}),
        )
        .await;
    assert_422(&r, &["custom_fields.Employees"]);
    // A numeric string stored as a number fits a later redefinition check like any number.
    let defs = s.get("/custom-fields").await.data().clone();
    let employees = defs
        .as_array()
        .and_then(|a| a.iter().find(|d| d["label"] == "Employees"))
        .map(id_of)
        .expect("Employees");
    let r = s
        .post(
            &format!("/custom-fields/{employees}"),
            &json!({"options": {"unit": "people"}}),
        )
        .await;
    r.expect(200);
}

/// `object_types` takes the hosted API's logical names (and their morph-map aliases); values exist
/// for companies only.
#[tokio::test]
async fn object_types_take_the_documented_names() {
    let s = TestServer::start().await;
    let d = define(
        &s,
        json!({"label": "Industry", "type": "dropdown", "options": {"choices": ["Retail", "DTC"]},
               "object_types": ["companies", "products", "Sales-Orders", "sales_order", "invoice", "products"]}),
    )
    .await;
    assert_eq!(
        d["object_types"],
        json!(["companies", "products", "sales-orders", "invoices"])
    );
    let p = define(
        &s,
        json!({"label": "Shelf", "type": "string", "object_types": ["products", "purchase-orders", "suppliers",
               "sales-order-items", "sales-order-line-items", "purchase_order_item"]}),
    )
    .await;
    assert_eq!(
        p["object_types"],
        json!([
            "products",
            "purchase-orders",
            "suppliers",
            "sales-order-items",
            "sales-order-line-items",
            "purchase-order-items"
        ])
    );
    let labels = |r: &Resp| -> Vec<String> {
        r.data()
            .as_array()
            .expect("array")
            .iter()
            .map(|d| d["label"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    for (query, want) in [
        ("companies", vec!["Industry"]),
        ("company", vec!["Industry"]),
        ("products", vec!["Industry", "Shelf"]),
        ("sales-orders", vec!["Industry"]),
        ("sales_order", vec!["Industry"]),
        ("suppliers", vec!["Shelf"]),
        ("contacts", vec![]),
    ] {
        let r = s.get(&format!("/custom-fields?object_type={query}")).await;
        r.expect(200);
        assert_eq!(labels(&r), want, "{query}");
    }
    // Values only for fields that apply to companies.
    let co = s.create_company("Acme").await;
    let r = s
        .put(
            &format!("/companies/{co}/custom-fields"),
            &json!({"Industry": "retail", "Shelf": "A1"}),
        )
        .await;
    assert_422(&r, &["Shelf"]);
    assert_eq!(
        r.body["errors"]["Shelf"],
        json!(["The custom field Shelf does not apply to companies."])
    );
    let r = s
        .post(
            "/companies",
            &json!({"name": "B", "custom_fields": {"shelf": "A1"}}),
        )
        .await;
    assert_422(&r, &["custom_fields.shelf"]);
}

/// `[]` unlinks every type: the definition stays, its company values are kept but hidden (and
/// cannot be written) until it applies to companies again.
#[tokio::test]
async fn an_empty_object_types_unlinks_and_hides_values_until_relinked() {
    let s = TestServer::start().await;
    let region = define(&s, json!({"label": "Region", "type": "string"})).await;
    define(&s, json!({"label": "Size", "type": "number"})).await;
    let r = s
        .post(
            "/companies",
            &json!({"name": "A", "custom_fields": {"Region": "West", "Size": 3}}),
        )
        .await;
    let co = id_of(r.data());
    let company_path = format!("/companies/{co}");
    let values_path = format!("/companies/{co}/custom-fields");
    let region_path = format!("/custom-fields/{}", id_of(&region));

    let r = s.put(&region_path, &json!({"object_types": []})).await;
    r.expect(200);
    assert_eq!(r.data()["object_types"], json!([]));
    assert_eq!(r.data()["label"], "Region");
    assert_eq!(s.get(&region_path).await.data()["object_types"], json!([]));
    assert_eq!(s.get(&values_path).await.data(), &json!({"Size": 3}));
    assert_eq!(
        s.get(&company_path).await.data()["custom_fields"],
        json!({"Size": 3})
    );
    let listed = s.get("/companies").await;
    assert_eq!(listed.data()[0]["custom_fields"], json!({"Size": 3}));
    assert_eq!(
        s.get("/custom-fields?object_type=companies")
            .await
            .data()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_422(
        &s.put(&values_path, &json!({"Region": "East"})).await,
        &["Region"],
    );
    // Linked again, the kept value shows.
    let r = s
        .post(&region_path, &json!({"object_types": ["companies"]}))
        .await;
    r.expect(200);
    assert_eq!(
        s.get(&values_path).await.data(),
        &json!({"Region": "West", "Size": 3})
    );
    // A definition may also be created linked to nothing.
    let r = s
        .post(
            "/custom-fields",
            &json!({"label": "Spare", "type": "date", "object_types": []}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.data()["object_types"], json!([]));
    // `null` on update links companies, as on create.
    let spare = format!("/custom-fields/{}", id_of(r.data()));
    let r = s.patch(&spare, &json!({"object_types": null})).await;
    assert_eq!(r.data()["object_types"], json!(["companies"]));
}
