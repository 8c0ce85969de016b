//! Issue 10: `/price-levels` (list and one level as the hosted API has them, bare; create, update
//! and delete as a Rolodex extension), and the company's `price_level` / `price_level_id`.

use crate::support::*;
use serde_json::Value;

const LEVEL_KEYS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "status",
    "name",
    "type",
    "percent_increase",
];

async fn level(s: &TestServer, body: Value) -> Value {
    let r = s.post("/price-levels", &body).await;
    r.expect(201);
    r.body.clone()
}

fn id_of(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id is not an integer: {v}"))
}

/// The keys of a flat object in the order the server sent them: `Value` sorts its keys, so each
/// key is found in the raw text.
fn key_order(text: &str) -> Vec<String> {
    let parsed: Value = serde_json::from_str(text).expect("JSON");
    let mut keys: Vec<(usize, String)> = parsed
        .as_object()
        .expect("an object")
        .keys()
        .map(|k| {
            let at = text.find(&format!("\"{k}\":")).unwrap_or(usize::MAX);
            (at, k.clone())
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[tokio::test]
async fn get_create_update_and_delete_answer_the_bare_object() {
    let s = TestServer::start().await;
    let r = s
        .post(
            "/price-levels",
            &json!({"name": " Wholesale ", "type": "percentage", "percent_increase": 15.5}),
        )
        .await;
    r.expect(201);
    let created = r.body.clone();
    assert!(created.get("data").is_none(), "{created}");
    assert_eq!(key_order(&r.text), LEVEL_KEYS);
    assert_eq!(created["name"], "Wholesale");
    assert_eq!(created["status"], "active");
    assert_eq!(created["type"], "percentage");
    assert_eq!(created["percent_increase"], json!(15.5));
    assert!(r.text.contains(r#""percent_increase":15.5"#), "{}", r.text);
    assert!(is_timestamp(created["created_at"].as_str().unwrap_or("")));
    assert_eq!(created["created_at"], created["updated_at"]);

    let id = id_of(&created);
    let path = format!("/price-levels/{id}");
    let r = s.get(&path).await;
    r.expect(200);
    assert_eq!(r.body, created);
    assert_eq!(key_order(&r.text), LEVEL_KEYS);

    // Defaults: active, percentage, 0.
    let plain = level(&s, json!({"name": "Retail"})).await;
    assert_eq!(
        (&plain["status"], &plain["type"], &plain["percent_increase"]),
        (&json!("active"), &json!("percentage"), &json!(0.0))
    );

    // Update is partial, with every verb, and answers bare too.
    s.clock().advance(1);
    let r = s.put(&path, &json!({"percent_increase": "-12.5"})).await;
    r.expect(200);
    assert!(r.body.get("data").is_none());
    assert_eq!(r.body["percent_increase"], json!(-12.5));
    assert_eq!(r.body["name"], "Wholesale");
    assert_ne!(r.body["updated_at"], created["updated_at"]);
    assert_eq!(r.body["created_at"], created["created_at"]);
    let r = s.patch(&path, &json!({"status": "INACTIVE"})).await;
    assert_eq!(r.body["status"], "inactive");
    let r = s
        .post(&path, &json!({"type": "Fixed", "name": "Trade"}))
        .await;
    assert_eq!(
        (
            &r.body["type"],
            &r.body["name"],
            &r.body["percent_increase"]
        ),
        (&json!("fixed"), &json!("Trade"), &json!(-12.5))
    );
    assert_eq!(s.get(&path).await.body, r.body);

    s.delete(&path).await.expect(204);
    let r = s.get(&path).await;
    assert_error(&r, 404);
    assert_eq!(r.body, json!({"message": "Not found."}));
    assert_error(&s.delete(&path).await, 404);
    assert_error(&s.post(&path, &json!({"name": "X"})).await, 404);
    assert_error(&s.get("/price-levels/abc").await, 404);
    assert_error(&s.get("/price-levels/99999999").await, 404);
}

#[tokio::test]
async fn updated_at_moves_only_when_something_changed() {
    let s = TestServer::start().await;
    let l = level(&s, json!({"name": "A", "percent_increase": 5})).await;
    let path = format!("/price-levels/{}", id_of(&l));
    s.clock().advance(1);
    let r = s
        .post(
            &path,
            &json!({"name": "A", "percent_increase": "5", "status": "active", "type": "percentage"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body, l);
    let r = s.post(&path, &json!({})).await;
    assert_eq!(r.body, l);
    let r = s.post(&path, &json!({"name": "a"})).await;
    assert_eq!(r.body["name"], "a");
    assert_ne!(r.body["updated_at"], l["updated_at"]);
}

#[tokio::test]
async fn every_bad_input_is_a_422_with_its_message() {
    let s = TestServer::start().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "name", "The name field is required."),
        (json!({"name": "  "}), "name", "The name field is required."),
        (
            json!({"name": 5}),
            "name",
            "The name field must be a string.",
        ),
        (
            json!({"name": "x".repeat(256)}),
            "name",
            "The name field must not be greater than 255 characters.",
        ),
        (
            json!({"name": "A", "status": "archived"}),
            "status",
            "The selected status is invalid. Use active or inactive.",
        ),
        (
            json!({"name": "A", "status": true}),
            "status",
            "The status field must be a string.",
        ),
        (
            json!({"name": "A", "type": "tiered"}),
            "type",
            "The selected type is invalid. Use percentage or fixed.",
        ),
        (
            json!({"name": "A", "percent_increase": -100}),
            "percent_increase",
            "The percent increase field must be greater than -100.",
        ),
        (
            json!({"name": "A", "percent_increase": "-100.0"}),
            "percent_increase",
            "The percent increase field must be greater than -100.",
        ),
        (
            json!({"name": "A", "percent_increase": 10000.5}),
            "percent_increase",
            "The percent increase field must not be greater than 10000.",
        ),
        (
            json!({"name": "A", "percent_increase": "1e3"}),
            "percent_increase",
            "The percent increase field must be a number.",
        ),
        (
            json!({"name": "A", "percent_increase": " 5 "}),
            "percent_increase",
            "The percent increase field must be a number.",
        ),
        (
            json!({"name": "A", "percent_increase": [5]}),
            "percent_increase",
            "The percent increase field must be a number.",
        ),
    ];
    for (body, key, message) in cases {
        let r = s.post("/price-levels", &body).await;
        assert_422(&r, &[key]);
        assert_eq!(r.body["message"], message, "{body}");
        assert_eq!(r.body["errors"][key], json!([message]), "{body}");
    }
    // Every error at once, in body order.
    let r = s
        .post(
            "/price-levels",
            &json!({"status": "x", "type": "y", "percent_increase": -200}),
        )
        .await;
    assert_422(&r, &["name", "status", "type", "percent_increase"]);
    assert_eq!(
        r.body["message"],
        "The name field is required. (and 3 more errors)"
    );
    // Bounds are inclusive where they say so.
    let edge = level(&s, json!({"name": "Edge", "percent_increase": 10000})).await;
    assert_eq!(edge["percent_increase"], json!(10000.0));
    let edge = level(&s, json!({"name": "Low", "percent_increase": -99.99})).await;
    assert_eq!(edge["percent_increase"], json!(-99.99));
    // Not JSON, or not an object.
    assert_error(&s.post("/price-levels", &json!([1])).await, 400);

    // Names are unique per tenant, case-insensitively.
    let r = s.post("/price-levels", &json!({"name": "EDGE"})).await;
    assert_422(&r, &["name"]);
    assert_eq!(r.body["message"], "The name has already been taken.");

    // On update nothing may be cleared; a rename may not take another level's name.
    let path = format!("/price-levels/{}", id_of(&edge));
    let r = s
        .post(
            &path,
            &json!({"name": null, "status": "", "type": null, "percent_increase": null}),
        )
        .await;
    assert_422(&r, &["name", "status", "type", "percent_increase"]);
    assert_eq!(
        r.body["errors"],
        json!({"name": ["The name field is required."], "status": ["The status field is required."],
               "type": ["The type field is required."],
               "percent_increase": ["The percent increase field is required."]})
    );
    let r = s.post(&path, &json!({"name": "edge"})).await;
    assert_422(&r, &["name"]);
    assert_eq!(s.get(&path).await.body["name"], "Low");
    // On create, null means the default.
    let r = s
        .post(
            "/price-levels",
            &json!({"name": "Nulls", "status": null, "type": null, "percent_increase": null}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["percent_increase"], json!(0.0));
}

#[tokio::test]
async fn the_list_is_paged_filtered_and_sorted() {
    let s = TestServer::start().await;
    let wholesale = id_of(&level(&s, json!({"name": "Wholesale", "percent_increase": 15.5})).await);
    s.clock().advance(1);
    let retail = id_of(&level(&s, json!({"name": "Retail", "type": "fixed"})).await);
    s.clock().advance(1);
    let old = id_of(&level(&s, json!({"name": "Old", "status": "inactive"})).await);
    let ids = |r: &Resp| -> Vec<i64> {
        r.body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("no data array: {r:?}"))
            .iter()
            .map(id_of)
            .collect()
    };
    let r = s.get("/price-levels").await;
    r.expect(200);
    assert_eq!(ids(&r), [wholesale, retail, old]);
    assert_eq!(
        r.body["meta"],
        json!({"current_page": 1, "from": 1, "last_page": 1, "per_page": 10, "to": 3, "total": 3})
    );
    assert_eq!(
        r.body["data"][0],
        s.get(&format!("/price-levels/{wholesale}")).await.body
    );
    let r = s.get("/price-levels?per_page=2&page=2").await;
    assert_eq!(ids(&r), [old]);
    assert_eq!(r.body["meta"]["last_page"], 2);
    for (query, want) in [
        ("name=Retail", vec![retail]),
        ("name[contains]=ale", vec![wholesale]),
        ("name[in]=Old,Retail", vec![retail, old]),
        ("status=inactive", vec![old]),
        ("status[neq]=inactive", vec![wholesale, retail]),
        ("type=fixed", vec![retail]),
        ("type[notin]=fixed", vec![wholesale, old]),
        (&format!("id[gt]={wholesale}"), vec![retail, old]),
        ("sort=name", vec![old, retail, wholesale]),
        ("sort=name:desc", vec![wholesale, retail, old]),
        ("sort=created_at:desc", vec![old, retail, wholesale]),
        ("sort=updated_at,id:desc", vec![wholesale, retail, old]),
        ("sort=id:desc", vec![old, retail, wholesale]),
    ] {
        let r = s.get(&format!("/price-levels?{query}")).await;
        r.expect(200);
        assert_eq!(ids(&r), want, "{query}");
    }
    let r = s
        .get("/price-levels?percent_increase=1&name[gt]=a&sort=type")
        .await;
    assert_422(&r, &["percent_increase", "name[gt]", "sort"]);
    assert_422(&s.get("/price-levels?per_page=101").await, &["per_page"]);
}

#[tokio::test]
async fn price_levels_belong_to_their_tenant() {
    let s = TestServer::start().await;
    let ours = level(&s, json!({"name": "Wholesale"})).await;
    let path = format!("/price-levels/{}", id_of(&ours));
    let token = s.token("globex");
    assert_error(&s.get_as(&path, &token).await, 404);
    assert_error(
        &s.post_as(&path, &token, &json!({"name": "Mine"})).await,
        404,
    );
    assert_error(&s.delete_as(&path, &token).await, 404);
    let r = s.get_as("/price-levels", &token).await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["meta"]["total"], 0);
    // The same name is free in another tenant, and its companies cannot use our levels.
    let r = s
        .post_as("/price-levels", &token, &json!({"name": "wholesale"}))
        .await;
    r.expect(201);
    let r = s
        .post_as(
            "/companies",
            &token,
            &json!({"name": "G", "price_level_id": id_of(&ours)}),
        )
        .await;
    assert_422(&r, &["price_level_id"]);
    assert_eq!(r.body["message"], "The selected price level id is invalid.");
    assert_eq!(s.get(&path).await.body, ours);
    // No token: 401 on every method.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    ] {
        let r = s.request(method, &path, None, None, None, &[]).await;
        assert_401(&r);
    }
    assert_401(
        &s.request(reqwest::Method::GET, "/price-levels", None, None, None, &[])
            .await,
    );
}

#[tokio::test]
async fn companies_always_show_their_price_level() {
    let s = TestServer::start().await;
    let wholesale = level(
        &s,
        json!({"name": "Wholesale", "type": "percentage", "percent_increase": 15.5}),
    )
    .await;
    let wid = id_of(&wholesale);

    // Create: the level object, right after due_date_days as on the Luminous Company page.
    let r = s
        .post(
            "/companies",
            &json!({"name": "Acme", "payment_term": "Net 30", "price_level_id": wid}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.data()["price_level"], wholesale);
    assert!(
        r.text
            .contains(r#""due_date_days":30,"price_level":{"id":"#),
        "{}",
        r.text
    );
    let acme = id_of(r.data());
    let company_path = format!("/companies/{acme}");

    // A company without a level has `price_level: null`, on every answer.
    let r = s.post("/companies", &json!({"name": "Bare"})).await;
    assert!(r.text.contains(r#""price_level":null"#), "{}", r.text);
    let bare = id_of(r.data());

    // Get and list.
    assert_eq!(s.get(&company_path).await.data()["price_level"], wholesale);
    let list = s.get("/companies?sort=id").await;
    assert_eq!(list.data()[0]["price_level"], wholesale);
    assert_eq!(list.data()[1]["price_level"], Value::Null);

    // Update: an id as a digit string, then null clears it.
    let retail = level(&s, json!({"name": "Retail", "type": "fixed"})).await;
    s.clock().advance(1);
    let r = s
        .post(
            &format!("/companies/{bare}"),
            &json!({"price_level_id": retail["id"].to_string()}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["price_level"], retail);
    let r = s
        .patch(
            &format!("/companies/{bare}"),
            &json!({"price_level_id": null}),
        )
        .await;
    assert_eq!(r.data()["price_level"], Value::Null);
    // Leaving it out keeps it.
    let r = s.put(&company_path, &json!({"city": "Austin"})).await;
    assert_eq!(r.data()["price_level"], wholesale);

    // Editing the level changes what its companies show (nothing is copied onto the company,
    // whose own updated_at stays).
    let before = s.get(&company_path).await.data().clone();
    s.clock().advance(1);
    let edited = s
        .post(
            &format!("/price-levels/{wid}"),
            &json!({"name": "Wholesale Plus", "percent_increase": 20}),
        )
        .await
        .body
        .clone();
    let after = s.get(&company_path).await.data().clone();
    assert_eq!(after["price_level"], edited);
    assert_eq!(after["price_level"]["percent_increase"], json!(20.0));
    assert_eq!(after["updated_at"], before["updated_at"]);
    assert_eq!(
        s.get("/companies?sort=id").await.data()[0]["price_level"],
        edited
    );

    // Setting a level moves the company's updated_at; setting the same one does not.
    s.clock().advance(1);
    let r = s.post(&company_path, &json!({"price_level_id": wid})).await;
    assert_eq!(r.data()["updated_at"], before["updated_at"]);
    let r = s
        .post(&company_path, &json!({"price_level_id": id_of(&retail)}))
        .await;
    assert_ne!(r.data()["updated_at"], before["updated_at"]);
}

#[tokio::test]
async fn price_level_id_must_name_a_level_of_the_tenant() {
    let s = TestServer::start().await;
    let l = level(&s, json!({"name": "Wholesale"})).await;
    let acme = s.create_company("Acme").await;
    for (bad, message) in [
        (json!(999999), "The selected price level id is invalid."),
        (json!("abc"), "The price level id field must be an integer."),
        (json!(1.5), "The price level id field must be an integer."),
        (
            json!({"id": 1}),
            "The price level id field must be an integer.",
        ),
    ] {
        let r = s
            .post("/companies", &json!({"name": "B", "price_level_id": bad}))
            .await;
        assert_422(&r, &["price_level_id"]);
        assert_eq!(r.body["message"], message, "{bad}");
        let r = s
            .post(
                &format!("/companies/{acme}"),
                &json!({"price_level_id": bad}),
            )
            .await;
        assert_422(&r, &["price_level_id"]);
    }
    // With other errors, all at once; nothing is stored.
    let r = s
        .post(
            &format!("/companies/{acme}"),
            &json!({"price_level_id": 999999, "tax_rate": 500, "name": "Renamed"}),
        )
        .await;
    assert_422(&r, &["tax_rate", "price_level_id"]);
    let c = s.get(&format!("/companies/{acme}")).await;
    assert_eq!(c.data()["name"], "Acme");
    assert_eq!(c.data()["price_level"], Value::Null);
    // A deleted level is unknown.
    let path = format!("/price-levels/{}", id_of(&l));
    s.delete(&path).await.expect(204);
    let r = s
        .post(
            "/companies",
            &json!({"name": "C", "price_level_id": id_of(&l)}),
        )
        .await;
    assert_422(&r, &["price_level_id"]);
}

#[tokio::test]
async fn deleting_a_level_in_use_is_409() {
    let s = TestServer::start().await;
    let l = level(&s, json!({"name": "Wholesale"})).await;
    let id = id_of(&l);
    let path = format!("/price-levels/{id}");
    let a = id_of(
        s.post("/companies", &json!({"name": "A", "price_level_id": id}))
            .await
            .data(),
    );
    let b = id_of(
        s.post("/companies", &json!({"name": "B", "price_level_id": id}))
            .await
            .data(),
    );
    let r = s.delete(&path).await;
    assert_error(&r, 409);
    assert_eq!(
        r.body,
        json!({"message": "The price level cannot be deleted: 2 companies use it. Give them another price level first."})
    );
    s.post(&format!("/companies/{a}"), &json!({"price_level_id": null}))
        .await
        .expect(200);
    let r = s.delete(&path).await;
    assert_eq!(
        r.body["message"],
        "The price level cannot be deleted: 1 company uses it. Give them another price level first."
    );
    assert_eq!(s.get(&path).await.body, l);
    // A deleted company no longer holds it.
    s.delete(&format!("/companies/{b}")).await.expect(204);
    s.delete(&path).await.expect(204);
}

#[tokio::test]
async fn companies_filter_on_price_level_id() {
    let s = TestServer::start().await;
    let w = id_of(&level(&s, json!({"name": "Wholesale"})).await);
    let r = id_of(&level(&s, json!({"name": "Retail"})).await);
    let mut ids = Vec::new();
    for (name, lvl) in [
        ("A", json!(w)),
        ("B", json!(r)),
        ("C", Value::Null),
        ("D", json!(w)),
    ] {
        let c = s
            .post("/companies", &json!({"name": name, "price_level_id": lvl}))
            .await;
        c.expect(201);
        ids.push(id_of(c.data()));
    }
    let (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3]);
    let company_ids = |resp: &Resp| -> Vec<i64> {
        resp.data()
            .as_array()
            .unwrap_or_else(|| panic!("{resp:?}"))
            .iter()
            .map(id_of)
            .collect()
    };
    for (query, want) in [
        (format!("price_level_id={w}"), vec![a, d]),
        (format!("price_level_id[eq]={r}"), vec![b]),
        (format!("price_level_id[in]={w},{r}"), vec![a, b, d]),
        (format!("price_level_id[neq]={w}"), vec![b, c]),
        ("price_level_id[notset]".to_owned(), vec![c]),
        ("price_level_id[set]".to_owned(), vec![a, b, d]),
        (format!("price_level_id={w}&name=D"), vec![d]),
    ] {
        let resp = s.get(&format!("/companies?{query}")).await;
        resp.expect(200);
        assert_eq!(company_ids(&resp), want, "{query}");
    }
    assert_422(
        &s.get("/companies?price_level_id=abc").await,
        &["price_level_id"],
    );
    assert_422(
        &s.get("/companies?price_level_id[contains]=1").await,
        &["price_level_id[contains]"],
    );
}
