//! §5.1–§5.3: the company object, `POST /companies`, read, update and delete.

use crate::support::*;
use serde_json::Value;

const COMPANY_KEYS: &[&str] = &[
    "id",
    "status",
    "name",
    "created_at",
    "updated_at",
    "type",
    "parent_company_id",
    "phone",
    "address",
    "address_line_2",
    "city",
    "state",
    "postal_code",
    "country",
    "full_address",
    "fein",
    "tax_exempt",
    "tax_rate",
    "notes",
    "payment_term",
    "due_date_days",
    "price_level",
    "tags",
    "custom_fields",
    "default_shipping",
    "shipping_addresses",
    "shipping_first_name",
    "shipping_last_name",
    "shipping_email",
    "shipping_phone",
    "shipping_address",
    "shipping_city",
    "shipping_state",
    "shipping_postal_code",
    "shipping_country",
    "shipping_full_address",
];

const ADDRESS_KEYS: &[&str] = &[
    "id",
    "company_id",
    "company_name",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "address",
    "address_line_2",
    "city",
    "state",
    "postal_code",
    "country",
    "full_address",
    "is_default",
    "created_at",
    "updated_at",
];

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

async fn create(s: &TestServer, body: Value) -> Value {
    let r = s.post("/companies", &body).await;
    r.expect(201);
    r.data().clone()
}

async fn company(s: &TestServer, id: i64) -> Value {
    let r = s.get(&format!("/companies/{id}")).await;
    r.expect(200);
    r.data().clone()
}

async fn define_field(s: &TestServer, body: Value) -> Value {
    let r = s.post("/custom-fields", &body).await;
    r.expect(201);
    r.data().clone()
}

fn id_of(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id is not an integer: {v}"))
}

#[tokio::test]
async fn create_returns_201_with_the_full_company_object() {
    let s = TestServer::start().await;
    define_field(
        &s,
        json!({"label": "Region", "type": "dropdown", "options": {"choices": ["North", "South"]}}),
    )
    .await;
    define_field(&s, json!({"label": "Employees", "type": "number"})).await;
    let parent = s.create_company("Parent Holdings").await;
    let r = s
        .post(
            "/companies",
            &json!({
                "name": "  Acme Corporation ",
                "client_type": {"name": "Wholesale"},
                "parent_company_id": parent.to_string(),
                "address": "123 Main St",
                "address_line_2": "Suite 500",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
                "country": "USA",
                "phone": "555-123-4567",
                "fein": "12-3456789",
                "tax_exempt": "1",
                "tax_rate": 8.25,
                "notes": "Key account",
                "payment_term": "net 30",
                "tags": ["vip", "Wholesale"],
                "custom_fields": {"Region": "north", "Employees": 250},
                "shipping_addresses": [
                    {"address_1": "1 Dock Rd", "city": "Houston", "state": "TX", "zip": "77001", "country": "USA"},
                    {"address_1": "9 Port Way", "address_2": "Gate 4", "city": "Dallas", "state": "TX", "zip": "75201",
                     "country": "USA", "first_name": "Sam", "last_name": "Lee", "email": "sam@acme.test",
                     "phone": "555-000-1111", "is_default": true}
                ]
            }),
        )
        .await;
    r.expect(201);
    let c = r.data();
    assert_eq!(sorted_keys(c), sorted(COMPANY_KEYS));
    assert!(c["id"].is_i64());
    assert_eq!(c["status"], "active");
    assert_eq!(c["name"], "Acme Corporation");
    assert!(is_timestamp(c["created_at"].as_str().unwrap_or("")));
    assert!(is_timestamp(c["updated_at"].as_str().unwrap_or("")));
    assert_eq!(c["type"], "Wholesale");
    assert_eq!(c["parent_company_id"], json!(parent));
    assert_eq!(
        c["full_address"],
        "123 Main St, Suite 500, Austin, TX 78701, USA"
    );
    assert_eq!(c["tax_exempt"], true);
    assert_eq!(c["tax_rate"], json!(8.25));
    assert_eq!(c["notes"], "Key account");
    assert_eq!(c["payment_term"], "Net 30");
    assert_eq!(c["due_date_days"], 30);
    assert_eq!(tag_names(c), ["vip", "Wholesale"]);
    assert_eq!(c["tags"][0].as_object().map(|o| o.len()), Some(5));
    assert_eq!(
        c["custom_fields"],
        json!({"Region": "North", "Employees": 250})
    );
    let addresses = c["shipping_addresses"].as_array().expect("array");
    assert_eq!(addresses.len(), 2);
    for a in addresses {
        assert_eq!(sorted_keys(a), sorted(ADDRESS_KEYS));
        assert_eq!(a["company_id"], c["id"]);
        assert_eq!(a["company_name"], "Acme Corporation");
    }
    assert_eq!(addresses[0]["is_default"], false);
    assert_eq!(addresses[1]["is_default"], true);
    let d = &c["default_shipping"];
    assert_eq!(d["id"], addresses[1]["id"]);
    assert_eq!(d["full_name"], "Sam Lee");
    assert_eq!(
        d["full_address"],
        "9 Port Way, Gate 4, Dallas, TX 75201, USA"
    );
    assert_eq!(c["shipping_first_name"], "Sam");
    assert_eq!(c["shipping_last_name"], "Lee");
    assert_eq!(c["shipping_email"], "sam@acme.test");
    assert_eq!(c["shipping_phone"], "555-000-1111");
    assert_eq!(c["shipping_address"], "9 Port Way");
    assert_eq!(c["shipping_city"], "Dallas");
    assert_eq!(c["shipping_state"], "TX");
    assert_eq!(c["shipping_postal_code"], "75201");
    assert_eq!(c["shipping_country"], "USA");
    assert_eq!(
        c["shipping_full_address"],
        "9 Port Way, Dallas, TX 75201, USA"
    );
    // A read returns the same object.
    assert_eq!(&company(&s, id_of(c)).await, c);
}

#[tokio::test]
async fn a_minimal_company_has_nulls_and_empty_relations() {
    let s = TestServer::start().await;
    let c = create(&s, json!({"name": "Solo"})).await;
    assert_eq!(sorted_keys(&c), sorted(COMPANY_KEYS));
    for key in COMPANY_KEYS {
        let expected = match *key {
            "id" | "status" | "name" | "created_at" | "updated_at" => continue,
            "tax_exempt" => json!(false),
            "tags" | "shipping_addresses" => json!([]),
            "custom_fields" => json!({}),
            _ => Value::Null,
        };
        assert_eq!(c[*key], expected, "{key}");
    }
}

#[tokio::test]
async fn full_address_leaves_out_absent_parts() {
    let s = TestServer::start().await;
    let c = create(
        &s,
        json!({"name": "A", "city": "Austin", "postal_code": "78701"}),
    )
    .await;
    assert_eq!(c["full_address"], "Austin, 78701");
    let c = create(
        &s,
        json!({"name": "B", "address": "1 Main", "state": "TX", "country": "USA"}),
    )
    .await;
    assert_eq!(c["full_address"], "1 Main, TX, USA");
}

#[tokio::test]
async fn create_reports_every_error_at_once_with_dotted_paths() {
    let s = TestServer::start().await;
    let r = s
        .post(
            "/companies",
            &json!({
                "name": "",
                "client_type": "Retail",
                "parent_company_id": "abc",
                "city": 12,
                "phone": "x".repeat(256),
                "notes": "n".repeat(65_536),
                "tax_exempt": "maybe",
                "tax_rate": 101,
                "payment_term": "Net 31",
                "due_date_days": 4000,
                "tags": ["ok", ""],
                "custom_fields": {"Region": "x"},
                "shipping_addresses": [
                    {"address_1": "1 A St", "city": "X"},
                    {"address_1": "2 B St", "email": "not-an-email"},
                    "nope"
                ]
            }),
        )
        .await;
    assert_422(
        &r,
        &[
            "name",
            "client_type",
            "parent_company_id",
            "city",
            "phone",
            "notes",
            "tax_exempt",
            "tax_rate",
            "payment_term",
            "due_date_days",
            "tags.1",
            "custom_fields.Region",
            "shipping_addresses.1.city",
            "shipping_addresses.1.email",
            "shipping_addresses.2",
        ],
    );
    assert_eq!(
        r.body["message"],
        "The name field is required. (and 14 more errors)"
    );
    // Nothing was created.
    let list = s.get("/companies").await;
    assert_eq!(list.body["meta"]["total"], 0);
}

#[tokio::test]
async fn name_is_required_and_bodies_must_be_objects() {
    let s = TestServer::start().await;
    assert_422(&s.post("/companies", &json!({})).await, &["name"]);
    assert_422(
        &s.post("/companies", &json!({"name": null})).await,
        &["name"],
    );
    assert_422(&s.post("/companies", &json!({"name": 5})).await, &["name"]);
    assert_error(&s.post("/companies", &json!([1])).await, 400);
    let r = s
        .request(
            reqwest::Method::POST,
            "/companies",
            Some(&s.token),
            Some(b"{oops".to_vec()),
            Some("application/json"),
            &[],
        )
        .await;
    assert_error(&r, 400);
}

#[tokio::test]
async fn client_type_by_name_creates_it_and_by_id_reuses_it() {
    let s = TestServer::start().await;
    let a = create(&s, json!({"name": "A", "client_type": {"name": "Retail"}})).await;
    assert_eq!(a["type"], "Retail");
    let types = s.get("/client-types").await;
    types.expect(200);
    assert!(types.body.get("meta").is_none());
    let list = types.data().as_array().expect("array").clone();
    assert_eq!(list.len(), 1);
    assert_eq!(sorted_keys(&list[0]), ["id", "name"]);
    let type_id = list[0]["id"].as_i64().expect("integer id");
    // The same name in another case is the same type.
    let b = create(&s, json!({"name": "B", "client_type": {"name": "RETAIL"}})).await;
    assert_eq!(b["type"], "Retail");
    let c = create(&s, json!({"name": "C", "client_type": {"id": type_id}})).await;
    assert_eq!(c["type"], "Retail");
    let d = create(
        &s,
        json!({"name": "D", "client_type": {"id": type_id.to_string()}}),
    )
    .await;
    assert_eq!(d["type"], "Retail");
    create(
        &s,
        json!({"name": "E", "client_type": {"name": "Distributor"}}),
    )
    .await;
    let names: Vec<String> = s
        .get("/client-types")
        .await
        .data()
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["Distributor", "Retail"]);

    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "client_type": {"id": 9999}}),
        )
        .await,
        &["client_type.id"],
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "client_type": {"id": "x"}}),
        )
        .await,
        &["client_type.id"],
    );
    assert_422(
        &s.post("/companies", &json!({"name": "X", "client_type": {}}))
            .await,
        &["client_type"],
    );
    assert_422(
        &s.post("/companies", &json!({"name": "X", "client_type": 5}))
            .await,
        &["client_type"],
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "client_type": {"name": "y".repeat(256)}}),
        )
        .await,
        &["client_type.name"],
    );

    // Another tenant's type id is unknown here.
    let other = s.token("globex");
    let r = s
        .post_as(
            "/companies",
            &other,
            &json!({"name": "G", "client_type": {"id": type_id}}),
        )
        .await;
    assert_422(&r, &["client_type.id"]);
    let r = s.get_as("/client-types", &other).await;
    assert_eq!(r.data(), &json!([]));

    // Updating clears or changes the type.
    let a_id = id_of(&a);
    let r = s
        .post(&format!("/companies/{a_id}"), &json!({"client_type": null}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["type"], Value::Null);
}

#[tokio::test]
async fn payment_terms_and_due_date_days() {
    let s = TestServer::start().await;
    let terms = [
        ("Due on receipt", 0),
        ("Net 7", 7),
        ("Net 10", 10),
        ("Net 15", 15),
        ("NET 30", 30),
        ("net 45", 45),
        ("Net 60", 60),
        ("Net 90", 90),
    ];
    for (term, days) in terms {
        let c = create(&s, json!({"name": term, "payment_term": term})).await;
        assert_eq!(
            c["payment_term"].as_str().map(str::to_lowercase),
            Some(term.to_lowercase())
        );
        assert_eq!(c["due_date_days"], days, "{term}");
    }
    let c = create(
        &s,
        json!({"name": "Net30", "payment_term": "Net 30", "due_date_days": 30}),
    )
    .await;
    assert_eq!(c["due_date_days"], 30);
    let c = create(
        &s,
        json!({"name": "Custom", "payment_term": "custom", "due_date_days": "21"}),
    )
    .await;
    assert_eq!(
        (c["payment_term"].clone(), c["due_date_days"].clone()),
        (json!("Custom"), json!(21))
    );
    let id = id_of(&c);

    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "payment_term": "Custom"}),
        )
        .await,
        &["due_date_days"],
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "payment_term": "Net 30", "due_date_days": 31}),
        )
        .await,
        &["due_date_days"],
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "payment_term": "Custom", "due_date_days": 3651}),
        )
        .await,
        &["due_date_days"],
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "payment_term": "Custom", "due_date_days": -1}),
        )
        .await,
        &["due_date_days"],
    );
    assert_422(
        &s.post("/companies", &json!({"name": "X", "due_date_days": 5}))
            .await,
        &["due_date_days"],
    );
    assert_422(
        &s.post("/companies", &json!({"name": "X", "payment_term": "Net 5"}))
            .await,
        &["payment_term"],
    );
    assert_422(
        &s.post("/companies", &json!({"name": "X", "payment_term": 30}))
            .await,
        &["payment_term"],
    );

    // Update: Custom keeps its days, changing days alone works, a Net term implies its days,
    // and clearing the term clears the days.
    let path = format!("/companies/{id}");
    let r = s.post(&path, &json!({"notes": "x"})).await;
    assert_eq!(r.data()["due_date_days"], 21);
    let r = s.post(&path, &json!({"due_date_days": 3650})).await;
    assert_eq!(r.data()["due_date_days"], 3650);
    let r = s.post(&path, &json!({"payment_term": "Net 15"})).await;
    assert_eq!(
        (
            r.data()["payment_term"].clone(),
            r.data()["due_date_days"].clone()
        ),
        (json!("Net 15"), json!(15))
    );
    assert_422(
        &s.post(&path, &json!({"due_date_days": 20})).await,
        &["due_date_days"],
    );
    assert_422(
        &s.post(&path, &json!({"payment_term": "Custom"})).await,
        &["due_date_days"],
    );
    let r = s.post(&path, &json!({"payment_term": null})).await;
    assert_eq!(
        (
            r.data()["payment_term"].clone(),
            r.data()["due_date_days"].clone()
        ),
        (Value::Null, Value::Null)
    );
}

#[tokio::test]
async fn tax_rate_and_tax_exempt_rules() {
    let s = TestServer::start().await;
    for (rate, expected) in [
        (json!(0), 0.0),
        (json!(100), 100.0),
        (json!("7.5"), 7.5),
        (json!(12.125), 12.125),
    ] {
        let c = create(&s, json!({"name": "T", "tax_rate": rate})).await;
        assert_eq!(c["tax_rate"].as_f64(), Some(expected));
    }
    for bad in [
        json!(100.01),
        json!(-1),
        json!("abc"),
        json!(true),
        json!([1]),
    ] {
        assert_422(
            &s.post("/companies", &json!({"name": "T", "tax_rate": bad}))
                .await,
            &["tax_rate"],
        );
    }
    for (flag, expected) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(1), true),
        (json!("0"), false),
    ] {
        let c = create(&s, json!({"name": "T", "tax_exempt": flag})).await;
        assert_eq!(c["tax_exempt"], expected);
    }
    assert_422(
        &s.post("/companies", &json!({"name": "T", "tax_exempt": "yes"}))
            .await,
        &["tax_exempt"],
    );
    let id = id_of(&create(&s, json!({"name": "T", "tax_exempt": true, "tax_rate": 5})).await);
    let r = s
        .post(
            &format!("/companies/{id}"),
            &json!({"tax_exempt": null, "tax_rate": null}),
        )
        .await;
    assert_eq!(
        (r.data()["tax_exempt"].clone(), r.data()["tax_rate"].clone()),
        (json!(false), Value::Null)
    );
}

#[tokio::test]
async fn strings_are_trimmed_and_limited_to_255_characters() {
    let s = TestServer::start().await;
    let c = create(
        &s,
        json!({"name": "é".repeat(255), "city": "  Austin  ", "state": "", "notes": "n".repeat(65_535)}),
    )
    .await;
    assert_eq!(c["city"], "Austin");
    assert_eq!(c["state"], Value::Null);
    assert_eq!(c["notes"].as_str().map(str::len), Some(65_535));
    for key in [
        "name",
        "address",
        "address_line_2",
        "city",
        "state",
        "postal_code",
        "country",
        "phone",
        "fein",
    ] {
        let mut body = json!({"name": "N"});
        body[key] = json!("x".repeat(256));
        assert_422(&s.post("/companies", &body).await, &[key]);
        body[key] = json!(["x"]);
        assert_422(&s.post("/companies", &body).await, &[key]);
    }
}

#[tokio::test]
async fn create_shipping_addresses_follow_the_default_rule() {
    let s = TestServer::start().await;
    // Without a flag the first item is the default; response names are accepted too.
    let c = create(
        &s,
        json!({"name": "A", "shipping_addresses": [
            {"address": "1 A St", "address_line_2": "Unit 1", "postal_code": "111", "city": "X"},
            {"address_1": "2 B St", "city": "Y", "is_default": false}
        ]}),
    )
    .await;
    let list = c["shipping_addresses"].as_array().expect("array");
    assert_eq!(list[0]["is_default"], true);
    assert_eq!(list[0]["address_line_2"], "Unit 1");
    assert_eq!(list[0]["postal_code"], "111");
    assert_eq!(list[1]["is_default"], false);
    assert_eq!(c["default_shipping"]["address"], "1 A St");
    assert_eq!(c["shipping_full_address"], "1 A St, X, 111");

    let r = s
        .post(
            "/companies",
            &json!({"name": "B", "shipping_addresses": [
                {"address_1": "1", "city": "X", "is_default": true},
                {"address_1": "2", "city": "Y", "is_default": "1"}
            ]}),
        )
        .await;
    assert_422(&r, &["shipping_addresses"]);
    let r = s
        .post("/companies", &json!({"name": "B", "shipping_addresses": [{"city": "X"}, {"address_1": "2", "city": ""}]}))
        .await;
    assert_422(
        &r,
        &[
            "shipping_addresses.0.address_1",
            "shipping_addresses.1.city",
        ],
    );
    assert_eq!(
        r.body["errors"]["shipping_addresses.1.city"][0],
        "The shipping_addresses.1.city field is required."
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "B", "shipping_addresses": {"a": 1}}),
        )
        .await,
        &["shipping_addresses"],
    );
    let r = s
        .post(
            "/companies",
            &json!({"name": "B", "shipping_addresses": [{"address_1": "1", "city": "X", "is_default": "perhaps", "zip": 5}]}),
        )
        .await;
    assert_422(
        &r,
        &[
            "shipping_addresses.0.is_default",
            "shipping_addresses.0.zip",
        ],
    );
}

#[tokio::test]
async fn read_is_404_for_unknown_malformed_and_foreign_ids() {
    let s = TestServer::start().await;
    let id = s.create_company("Mine").await;
    for path in [
        "/companies/999999",
        "/companies/abc",
        "/companies/0",
        "/companies/-1",
        "/companies/99999999999999999999",
    ] {
        assert_error(&s.get(path).await, 404);
    }
    let other = s.token("globex");
    let path = format!("/companies/{id}");
    assert_error(&s.get_as(&path, &other).await, 404);
    assert_error(
        &s.post_as(&path, &other, &json!({"name": "Stolen"})).await,
        404,
    );
    assert_error(&s.delete_as(&path, &other).await, 404);
    assert_eq!(company(&s, id).await["name"], "Mine");
    let r = s.get_as("/companies", &other).await;
    assert_eq!(r.body["meta"]["total"], 0);
    let r = s.delete("/companies").await;
    r.expect(405);
    assert!(r.header("allow").is_some());
}

#[tokio::test]
async fn update_is_partial_with_every_verb() {
    let s = TestServer::start().await;
    let c = create(
        &s,
        json!({"name": "Acme", "city": "Austin", "phone": "1", "tags": ["a"]}),
    )
    .await;
    let id = id_of(&c);
    let path = format!("/companies/{id}");
    let r = s.post(&path, &json!({"city": "Dallas"})).await;
    r.expect(200);
    assert_eq!(
        (r.data()["name"].clone(), r.data()["city"].clone()),
        (json!("Acme"), json!("Dallas"))
    );
    assert_eq!(r.data()["phone"], "1");
    assert_eq!(tag_names(r.data()), ["a"]);
    let r = s.put(&path, &json!({"phone": null, "state": "TX"})).await;
    r.expect(200);
    assert_eq!(
        (r.data()["phone"].clone(), r.data()["state"].clone()),
        (Value::Null, json!("TX"))
    );
    let r = s
        .patch(&path, &json!({"name": "Acme Inc", "country": ""}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["name"], "Acme Inc");
    assert_eq!(r.data()["country"], Value::Null);
    assert_eq!(r.data()["full_address"], "Dallas, TX");
    // The name cannot be cleared.
    assert_422(&s.post(&path, &json!({"name": ""})).await, &["name"]);
    assert_422(&s.post(&path, &json!({"name": null})).await, &["name"]);
    // An empty body changes nothing.
    let r = s.send(reqwest::Method::POST, &path, None).await;
    r.expect(200);
    assert_eq!(r.data()["name"], "Acme Inc");
}

#[tokio::test]
async fn update_replaces_tags_and_addresses_and_merges_custom_fields() {
    let s = TestServer::start().await;
    define_field(&s, json!({"label": "Region", "type": "string"})).await;
    define_field(&s, json!({"label": "Size", "type": "number"})).await;
    let c = create(
        &s,
        json!({"name": "A", "tags": ["a", "b"], "custom_fields": {"Region": "West", "Size": 3},
               "shipping_addresses": [{"address_1": "1", "city": "X"}]}),
    )
    .await;
    let id = id_of(&c);
    let path = format!("/companies/{id}");
    // A known tag is reused in its stored spelling.
    let r = s.post(&path, &json!({"tags": ["c", "A"]})).await;
    assert_eq!(tag_names(r.data()), ["a", "c"]);
    let r = s.post(&path, &json!({"custom_fields": {"Size": 4}})).await;
    assert_eq!(
        r.data()["custom_fields"],
        json!({"Region": "West", "Size": 4})
    );
    let r = s
        .post(&path, &json!({"custom_fields": {"Region": null}}))
        .await;
    assert_eq!(r.data()["custom_fields"], json!({"Size": 4}));
    let r = s
        .post(
            &path,
            &json!({"shipping_addresses": [{"address_1": "7", "city": "Q"}, {"address_1": "8", "city": "R", "is_default": true}]}),
        )
        .await;
    let list = r.data()["shipping_addresses"]
        .as_array()
        .expect("array")
        .clone();
    assert_eq!(list.len(), 2);
    assert_eq!(r.data()["shipping_city"], "R");
    assert_eq!(list[1]["is_default"], true);
    let r = s
        .post(&path, &json!({"tags": [], "shipping_addresses": []}))
        .await;
    assert_eq!(r.data()["tags"], json!([]));
    assert_eq!(r.data()["shipping_addresses"], json!([]));
    assert_eq!(r.data()["default_shipping"], Value::Null);
    assert_eq!(r.data()["shipping_city"], Value::Null);
    let r = s.post(&path, &json!({"tags": null})).await;
    r.expect(200);
    assert_422(
        &s.post(&path, &json!({"custom_fields": {"Size": "four"}}))
            .await,
        &["custom_fields.Size"],
    );
}

#[tokio::test]
async fn updated_at_moves_only_when_something_changed() {
    let s = TestServer::start().await;
    let c = create(&s, json!({"name": "A", "city": "X", "tags": ["t"], "shipping_addresses": [{"address_1": "1", "city": "X"}]}))
        .await;
    let id = id_of(&c);
    let path = format!("/companies/{id}");
    s.clock().advance(1);
    let same = json!({"name": "A", "city": "X", "tags": ["T"], "shipping_addresses": [{"address_1": "1", "city": "X"}]});
    let r = s.post(&path, &same).await;
    assert_eq!(r.data()["updated_at"], c["updated_at"]);
    // Re-sending the same addresses keeps their ids.
    assert_eq!(
        r.data()["shipping_addresses"][0]["id"],
        c["shipping_addresses"][0]["id"]
    );
    let r = s.post(&path, &json!({"tags": ["t", "u"]})).await;
    assert_ne!(r.data()["updated_at"], c["updated_at"]);
    assert_eq!(r.data()["created_at"], c["created_at"]);
}

#[tokio::test]
async fn parent_company_must_exist_and_make_no_cycle() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = create(&s, json!({"name": "B", "parent_company_id": a})).await;
    let b = id_of(&b);
    let c = id_of(&create(&s, json!({"name": "C", "parent_company_id": b})).await);
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "parent_company_id": 999999}),
        )
        .await,
        &["parent_company_id"],
    );
    assert_422(
        &s.post(
            "/companies",
            &json!({"name": "X", "parent_company_id": [1]}),
        )
        .await,
        &["parent_company_id"],
    );
    // A → B → C: making A a child of C (or of itself) closes a loop.
    assert_422(
        &s.post(&format!("/companies/{a}"), &json!({"parent_company_id": c}))
            .await,
        &["parent_company_id"],
    );
    assert_422(
        &s.post(&format!("/companies/{a}"), &json!({"parent_company_id": a}))
            .await,
        &["parent_company_id"],
    );
    assert_eq!(company(&s, a).await["parent_company_id"], Value::Null);
    // Re-parenting without a loop works; null clears.
    let r = s
        .post(&format!("/companies/{c}"), &json!({"parent_company_id": a}))
        .await;
    assert_eq!(r.data()["parent_company_id"], json!(a));
    let r = s
        .post(
            &format!("/companies/{c}"),
            &json!({"parent_company_id": null}),
        )
        .await;
    assert_eq!(r.data()["parent_company_id"], Value::Null);
    // Another tenant's company is not a valid parent.
    let other = s.token("globex");
    let r = s
        .post_as(
            "/companies",
            &other,
            &json!({"name": "G", "parent_company_id": a}),
        )
        .await;
    assert_422(&r, &["parent_company_id"]);
}

#[tokio::test]
async fn a_failed_request_changes_nothing() {
    let s = TestServer::start().await;
    define_field(&s, json!({"label": "Size", "type": "number"})).await;
    let r = s
        .post("/companies", &json!({"name": "A", "client_type": {"name": "Brand New"}, "tags": ["fresh"], "tax_rate": 500}))
        .await;
    assert_422(&r, &["tax_rate"]);
    assert_eq!(s.get("/client-types").await.data(), &json!([]));
    let c = create(
        &s,
        json!({"name": "A", "tags": ["keep"], "custom_fields": {"Size": 1}}),
    )
    .await;
    let id = id_of(&c);
    let r = s
        .post(
            &format!("/companies/{id}"),
            &json!({"name": "B", "tags": ["new"], "client_type": {"name": "Other"}, "custom_fields": {"Size": 2},
                    "shipping_addresses": [{"address_1": "1", "city": "X"}], "parent_company_id": 999999}),
        )
        .await;
    assert_422(&r, &["parent_company_id"]);
    let after = company(&s, id).await;
    assert_eq!(after, c);
    assert_eq!(s.get("/client-types").await.data(), &json!([]));
}

#[tokio::test]
async fn delete_is_409_while_a_contact_has_no_other_company() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = s.create_company("B").await;
    s.create_contact(json!({"first_name": "Only", "company_id": a}))
        .await;
    s.create_contact(json!({"first_name": "Also", "company_id": a}))
        .await;
    s.create_contact(json!({"first_name": "Both", "company_ids": [a, b]}))
        .await;
    let r = s.delete(&format!("/companies/{a}")).await;
    assert_error(&r, 409);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("2 contacts"),
        "{r:#?}"
    );
    company(&s, a).await;
    // B can go: its only contact also has A.
    let r = s.delete(&format!("/companies/{b}")).await;
    r.expect(204);
    assert!(r.text.is_empty());
    assert_error(&s.get(&format!("/companies/{b}")).await, 404);
    assert_error(&s.delete(&format!("/companies/{b}")).await, 404);
}

#[tokio::test]
async fn delete_relinks_contacts_and_orphans_children() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = s.create_company("B").await;
    let c = s.create_company("C").await;
    let child = id_of(&create(&s, json!({"name": "Child", "parent_company_id": a})).await);
    let x = s
        .create_contact(
            json!({"first_name": "X", "company_ids": [a, c, b], "is_primary": true, "tags": ["t"]}),
        )
        .await;
    let y = s
        .create_contact(json!({"first_name": "Y", "company_ids": [b, a]}))
        .await;
    let doomed = create(
        &s,
        json!({"name": "Doomed", "tags": ["t"], "shipping_addresses": [{"address_1": "1", "city": "X"}]}),
    )
    .await;
    s.clock().advance(1);
    s.delete(&format!("/companies/{a}")).await.expect(204);
    // X's primary company was A: the earliest remaining link (C) becomes primary.
    let x2 = s.contact(&cid(&x)).await;
    assert_eq!(x2["company_id"], json!(c.to_string()));
    assert_eq!(x2["company"]["name"], "C");
    assert_eq!(company_ids(&x2), [c, b]);
    assert_ne!(x2["updated_at"], x["updated_at"]);
    // Y only loses the link.
    let y2 = s.contact(&cid(&y)).await;
    assert_eq!(y2["company_id"], json!(b.to_string()));
    assert_eq!(company_ids(&y2), [b]);
    assert_ne!(y2["updated_at"], y["updated_at"]);
    // The child loses its parent; lists no longer show A.
    assert_eq!(company(&s, child).await["parent_company_id"], Value::Null);
    let r = s.get(&format!("/contacts?company_id={a}")).await;
    assert_eq!(r.body["meta"]["total"], 0);
    assert_error(&s.get(&format!("/companies/{a}/contacts")).await, 404);
    // A company with addresses and tags deletes cleanly.
    let doomed = id_of(&doomed);
    s.delete(&format!("/companies/{doomed}")).await.expect(204);
    let r = s.get("/companies?tag=t").await;
    assert_eq!(r.body["meta"]["total"], 0);
}

#[tokio::test]
async fn contacts_show_renamed_and_relinked_companies() {
    let s = TestServer::start().await;
    let a = s.create_company("Old Name").await;
    let b = s.create_company("Other").await;
    let x = s
        .create_contact(json!({"first_name": "X", "company_ids": [a, b]}))
        .await;
    s.post(&format!("/companies/{a}"), &json!({"name": "New Name"}))
        .await
        .expect(200);
    let x2 = s.contact(&cid(&x)).await;
    assert_eq!(x2["company"]["name"], "New Name");
    assert_eq!(x2["companies"][0]["name"], "New Name");
    assert_eq!(x2["companies"][1]["name"], "Other");
    s.post(&format!("/companies/{b}"), &json!({"name": "Renamed Too"}))
        .await
        .expect(200);
    let r = s.get(&format!("/companies/{a}/contacts")).await;
    assert_eq!(r.data()[0]["companies"][1]["name"], "Renamed Too");
    // Relink the contact: its company data follows.
    let c = s.create_company("Third").await;
    let r = s
        .post(&format!("/contacts/{}", cid(&x)), &json!({"company_id": c}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["company"]["name"], "Third");
    s.delete(&format!("/companies/{a}")).await.expect(204);
    assert_eq!(company_ids(&s.contact(&cid(&x)).await), [c, b]);
}
