//! §3, §4.1, §4.2: the contact object and `POST /contacts`.

use crate::support::*;
use serde_json::Value;

const CONTACT_KEYS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "status",
    "first_name",
    "last_name",
    "email",
    "phone",
    "phone_1",
    "phone_2",
    "full_name",
    "receiving_bank_name",
    "receiving_bank_address",
    "company_id",
    "company",
    "is_primary",
    "receive_quotation_pdf",
    "receive_purchase_order_pdf",
    "receive_purchase_order_invoice_pdf",
    "has_portal_login",
    "companies",
    "tags",
];

const LINK_KEYS: &[&str] = &[
    "id",
    "name",
    "is_primary",
    "receive_quotation_pdf",
    "receive_purchase_order_pdf",
    "receive_purchase_order_invoice_pdf",
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

#[tokio::test]
async fn create_returns_201_with_every_field() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme Corporation").await;
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "John",
                "last_name": "Smith",
                "email": "john.smith@acmecorp.com",
                "phone_1": "555-987-6543",
                "phone_2": "555-555-5555",
                "receiving_bank_name": "First Bank",
                "receiving_bank_address": "1 Bank St",
                "company_id": co,
                "is_primary": true,
                "receive_quotation_pdf": true,
                "receive_purchase_order_pdf": false,
                "receive_purchase_order_invoice_pdf": true,
                "tags": ["sales"]
            }),
        )
        .await;
    r.expect(201);
    assert_eq!(sorted_keys(&r.body), vec!["data"], "envelope: {r:#?}");
    let c = r.data();
    assert_eq!(sorted_keys(c), sorted(CONTACT_KEYS));

    let id = c["id"].as_str().expect("id is a string");
    assert!(id.parse::<i64>().unwrap() > 0, "id {id}");
    assert!(is_timestamp(c["created_at"].as_str().unwrap()), "{c}");
    assert!(is_timestamp(c["updated_at"].as_str().unwrap()), "{c}");
    assert_eq!(c["status"], json!("active"));
    assert_eq!(c["first_name"], json!("John"));
    assert_eq!(c["last_name"], json!("Smith"));
    assert_eq!(c["full_name"], json!("John Smith"));
    assert_eq!(c["email"], json!("john.smith@acmecorp.com"));
    assert_eq!(c["phone"], json!("555-987-6543"));
    assert_eq!(c["phone_1"], json!("555-987-6543"));
    assert_eq!(c["phone_2"], json!("555-555-5555"));
    assert_eq!(c["receiving_bank_name"], json!("First Bank"));
    assert_eq!(c["receiving_bank_address"], json!("1 Bank St"));
    assert_eq!(c["company_id"], json!(co.to_string()));
    assert_eq!(
        c["company"],
        json!({"id": co.to_string(), "name": "Acme Corporation"})
    );
    assert_eq!(c["is_primary"], json!(true));
    assert_eq!(c["receive_quotation_pdf"], json!(true));
    assert_eq!(c["receive_purchase_order_pdf"], json!(false));
    assert_eq!(c["receive_purchase_order_invoice_pdf"], json!(true));
    assert_eq!(c["has_portal_login"], json!(false));

    let companies = c["companies"].as_array().unwrap();
    assert_eq!(companies.len(), 1);
    assert_eq!(sorted_keys(&companies[0]), sorted(LINK_KEYS));
    assert_eq!(
        companies[0],
        json!({
            "id": co, "name": "Acme Corporation", "is_primary": true,
            "receive_quotation_pdf": true, "receive_purchase_order_pdf": false,
            "receive_purchase_order_invoice_pdf": true
        })
    );

    let tags = c["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(
        sorted_keys(&tags[0]),
        sorted(&["id", "name", "description", "icon", "color"])
    );
    assert!(tags[0]["id"].as_i64().unwrap() > 0);
    assert_eq!(tags[0]["name"], json!("sales"));
    assert_eq!(tags[0]["description"], Value::Null);
    assert_eq!(tags[0]["icon"], Value::Null);
    assert_eq!(tags[0]["color"], Value::Null);
}

#[tokio::test]
async fn minimal_create_has_nulls_and_false_defaults() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({"first_name": "Jane", "company_id": co}))
        .await;
    assert_eq!(sorted_keys(&c), sorted(CONTACT_KEYS));
    for k in [
        "last_name",
        "email",
        "phone",
        "phone_1",
        "phone_2",
        "receiving_bank_name",
        "receiving_bank_address",
    ] {
        assert_eq!(c[k], Value::Null, "{k} in {c}");
    }
    for k in [
        "is_primary",
        "receive_quotation_pdf",
        "receive_purchase_order_pdf",
        "receive_purchase_order_invoice_pdf",
        "has_portal_login",
    ] {
        assert_eq!(c[k], json!(false), "{k} in {c}");
    }
    assert_eq!(c["full_name"], json!("Jane"));
    assert_eq!(c["tags"], json!([]));
    assert_eq!(c["created_at"], c["updated_at"]);
}

#[tokio::test]
async fn created_contact_reads_back_identically() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(
            json!({"first_name": "Jane", "last_name": "Doe", "company_id": co, "tags": ["b", "a"]}),
        )
        .await;
    assert_eq!(s.contact(&cid(&c)).await, c);
}

#[tokio::test]
async fn ids_are_distinct_strings() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co}))
        .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co}))
        .await;
    assert_ne!(cid(&a), cid(&b));
}

#[tokio::test]
async fn first_name_is_required() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for body in [
        json!({"company_id": co}),
        json!({"first_name": null, "company_id": co}),
        json!({"first_name": "", "company_id": co}),
        json!({"first_name": "   ", "company_id": co}),
    ] {
        assert_422(&s.post("/contacts", &body).await, &["first_name"]);
    }
}

#[tokio::test]
async fn first_name_max_255_characters_not_bytes() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let ok = "é".repeat(255); // 510 bytes
    let c = s
        .create_contact(json!({"first_name": ok, "company_id": co}))
        .await;
    assert_eq!(c["first_name"], json!(ok));
    let ok_ascii = "a".repeat(255);
    s.create_contact(json!({"first_name": ok_ascii, "company_id": co}))
        .await;

    for bad in ["é".repeat(256), "a".repeat(256), "😀".repeat(256)] {
        let r = s
            .post("/contacts", &json!({"first_name": bad, "company_id": co}))
            .await;
        assert_422(&r, &["first_name"]);
    }
}

#[tokio::test]
async fn optional_strings_max_255() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let long = "x".repeat(256);
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "A", "company_id": co,
                "last_name": long, "phone_1": long, "phone_2": long,
                "receiving_bank_name": long, "receiving_bank_address": long,
                "email": format!("{}@example.com", "a".repeat(250)),
            }),
        )
        .await;
    assert_422(
        &r,
        &[
            "last_name",
            "phone_1",
            "phone_2",
            "receiving_bank_name",
            "receiving_bank_address",
            "email",
        ],
    );
    let ok = "ü".repeat(255);
    let c = s
        .create_contact(
            json!({"first_name": "A", "company_id": co, "last_name": ok, "phone_2": ok}),
        )
        .await;
    assert_eq!(c["last_name"], json!(ok));
    assert_eq!(c["phone_2"], json!(ok));
}

#[tokio::test]
async fn strings_are_trimmed() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "  Ann \t", "last_name": "\n Lee ", "company_id": co,
            "email": "  ann@example.com ", "phone_1": " 555 ", "tags": ["  vip  "]
        }))
        .await;
    assert_eq!(c["first_name"], json!("Ann"));
    assert_eq!(c["last_name"], json!("Lee"));
    assert_eq!(c["full_name"], json!("Ann Lee"));
    assert_eq!(c["email"], json!("ann@example.com"));
    assert_eq!(c["phone"], json!("555"));
    assert_eq!(c["phone_1"], json!("555"));
    assert_eq!(tag_names(&c), vec!["vip"]);
}

#[tokio::test]
async fn blank_optional_strings_become_null() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "Ann", "last_name": "   ", "company_id": co,
            "email": "", "phone_1": " ", "phone_2": "", "receiving_bank_name": "\t"
        }))
        .await;
    for k in [
        "last_name",
        "email",
        "phone",
        "phone_1",
        "phone_2",
        "receiving_bank_name",
    ] {
        assert_eq!(c[k], Value::Null, "{k}: {c}");
    }
    assert_eq!(c["full_name"], json!("Ann"));
}

#[tokio::test]
async fn string_fields_reject_non_strings() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": 42, "company_id": co,
                "last_name": true, "email": ["a@b.co"], "phone_1": {"n": "1"},
                "phone_2": 5.5, "receiving_bank_name": false
            }),
        )
        .await;
    assert_422(
        &r,
        &[
            "email",
            "first_name",
            "last_name",
            "phone_1",
            "phone_2",
            "receiving_bank_name",
        ],
    );
    let msg = r.body["errors"]["last_name"][0].as_str().unwrap();
    assert!(msg.contains("string"), "message {msg:?}");
}

#[tokio::test]
async fn email_syntax_is_validated() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for bad in [
        "not-an-email",
        "a@b",
        "a b@example.com",
        "@example.com",
        "ann@",
        "ann@exa mple.com",
    ] {
        let r = s
            .post(
                "/contacts",
                &json!({"first_name": "A", "company_id": co, "email": bad}),
            )
            .await;
        assert_422(&r, &["email"]);
    }
    for good in ["x.y+z@sub.example.org", "ann@example.com"] {
        let c = s
            .create_contact(json!({"first_name": "A", "company_id": co, "email": good}))
            .await;
        assert_eq!(c["email"], json!(good));
    }
}

#[tokio::test]
async fn integer_fields_accept_digit_strings() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let co2 = s.create_company("Beta").await;
    let c = s
        .create_contact(json!({"first_name": "A", "company_id": co.to_string()}))
        .await;
    assert_eq!(c["company_id"], json!(co.to_string()));
    let c = s
        .create_contact(json!({"first_name": "A", "company_ids": [co2.to_string(), co]}))
        .await;
    assert_eq!(company_ids(&c), vec![co2, co]);
}

#[tokio::test]
async fn integer_fields_reject_other_values() {
    let s = TestServer::start().await;
    s.create_company("Acme").await;
    for bad in [
        json!("abc"),
        json!(1.5),
        json!(true),
        json!([1]),
        json!({"id": 1}),
        json!(-1),
        json!(0),
        json!("1x"),
    ] {
        let r = s
            .post("/contacts", &json!({"first_name": "A", "company_id": bad}))
            .await;
        assert_422(&r, &["company_id"]);
    }
}

#[tokio::test]
async fn boolean_fields_accept_the_documented_forms() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let cases = [
        (json!(true), true),
        (json!(false), false),
        (json!(1), true),
        (json!(0), false),
        (json!("1"), true),
        (json!("0"), false),
        (json!("true"), true),
        (json!("false"), false),
    ];
    for (input, want) in cases {
        let c = s
            .create_contact(json!({
                "first_name": "A", "company_id": co,
                "receive_quotation_pdf": input, "receive_purchase_order_pdf": input
            }))
            .await;
        assert_eq!(c["receive_quotation_pdf"], json!(want), "input {input}");
        assert_eq!(
            c["receive_purchase_order_pdf"],
            json!(want),
            "input {input}"
        );
        assert_eq!(
            c["companies"][0]["receive_quotation_pdf"],
            json!(want),
            "input {input}"
        );
    }
}

#[tokio::test]
async fn boolean_fields_reject_other_values() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for bad in [
        json!("yes"),
        json!(2),
        json!("2"),
        json!("TRUEISH"),
        json!([true]),
        json!({}),
    ] {
        let r = s
            .post(
                "/contacts",
                &json!({"first_name": "A", "company_id": co, "is_primary": bad}),
            )
            .await;
        assert_422(&r, &["is_primary"]);
    }
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "A", "company_id": co,
                "receive_quotation_pdf": "yes", "receive_purchase_order_pdf": "no",
                "receive_purchase_order_invoice_pdf": 7
            }),
        )
        .await;
    assert_422(
        &r,
        &[
            "receive_purchase_order_invoice_pdf",
            "receive_purchase_order_pdf",
            "receive_quotation_pdf",
        ],
    );
}

#[tokio::test]
async fn a_company_is_required() {
    let s = TestServer::start().await;
    s.create_company("Acme").await;
    assert_422(
        &s.post("/contacts", &json!({"first_name": "A"})).await,
        &["company_id"],
    );
    assert_422(
        &s.post("/contacts", &json!({"first_name": "A", "company_id": null}))
            .await,
        &["company_id"],
    );
}

#[tokio::test]
async fn company_id_and_company_ids_together_is_422_on_company_ids() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": co, "company_ids": [co]}),
        )
        .await;
    assert_422(&r, &["company_ids"]);
}

#[tokio::test]
async fn unknown_company_id_is_422() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": co + 1000}),
        )
        .await;
    assert_422(&r, &["company_id"]);
}

#[tokio::test]
async fn company_ids_errors_are_indexed() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_ids": [co, co + 1000, co, co + 2000]}),
        )
        .await;
    assert_422(&r, &["company_ids.1", "company_ids.3"]);
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_ids": [co, "x", co, []]}),
        )
        .await;
    assert_422(&r, &["company_ids.1", "company_ids.3"]);
}

#[tokio::test]
async fn unknown_and_malformed_company_ids_are_reported_together() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_ids": [co, co + 1000, "x", co + 2000]}),
        )
        .await;
    assert_422(&r, &["company_ids.1", "company_ids.2", "company_ids.3"]);
}

#[tokio::test]
async fn unknown_company_is_reported_with_other_field_errors() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": co + 1000, "email": "bad"}),
        )
        .await;
    assert_422(&r, &["company_id", "email"]);
}

#[tokio::test]
async fn company_ids_must_be_a_non_empty_array() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for bad in [json!([]), json!(co), json!("1,2"), json!({"0": co})] {
        let r = s
            .post("/contacts", &json!({"first_name": "A", "company_ids": bad}))
            .await;
        assert_422(&r, &["company_ids"]);
    }
}

#[tokio::test]
async fn company_ids_first_is_primary_and_order_is_kept() {
    let s = TestServer::start().await;
    let a = s.create_company("Alpha").await;
    let b = s.create_company("Beta").await;
    let c = s.create_company("Gamma").await;
    let contact = s
        .create_contact(json!({
            "first_name": "A", "company_ids": [b, c, a], "receive_quotation_pdf": true
        }))
        .await;
    assert_eq!(contact["company_id"], json!(b.to_string()));
    assert_eq!(
        contact["company"],
        json!({"id": b.to_string(), "name": "Beta"})
    );
    assert_eq!(company_ids(&contact), vec![b, c, a]);
    let links = contact["companies"].as_array().unwrap();
    assert_eq!(links[0]["name"], json!("Beta"));
    assert_eq!(links[1]["name"], json!("Gamma"));
    // Flags go to the primary link only.
    assert_eq!(links[0]["receive_quotation_pdf"], json!(true));
    assert_eq!(links[1]["receive_quotation_pdf"], json!(false));
    assert_eq!(links[2]["receive_quotation_pdf"], json!(false));
    assert_eq!(contact["receive_quotation_pdf"], json!(true));
}

#[tokio::test]
async fn repeated_company_ids_count_once() {
    let s = TestServer::start().await;
    let a = s.create_company("Alpha").await;
    let b = s.create_company("Beta").await;
    let contact = s
        .create_contact(json!({"first_name": "A", "company_ids": [a, b, a, b.to_string()]}))
        .await;
    assert_eq!(company_ids(&contact), vec![a, b]);
    assert_eq!(contact["company_id"], json!(a.to_string()));
}

#[tokio::test]
async fn flags_set_the_primary_link() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "is_primary": true,
            "receive_quotation_pdf": true, "receive_purchase_order_pdf": true,
            "receive_purchase_order_invoice_pdf": true
        }))
        .await;
    for k in [
        "is_primary",
        "receive_quotation_pdf",
        "receive_purchase_order_pdf",
        "receive_purchase_order_invoice_pdf",
    ] {
        assert_eq!(c[k], json!(true), "{k}");
        assert_eq!(c["companies"][0][k], json!(true), "companies.0.{k}");
    }
}

#[tokio::test]
async fn is_primary_clears_the_previous_primary_contact_of_the_company() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let other = s.create_company("Other").await;
    let first = s
        .create_contact(json!({"first_name": "First", "company_id": co, "is_primary": true}))
        .await;
    let elsewhere = s
        .create_contact(json!({"first_name": "Elsewhere", "company_id": other, "is_primary": true}))
        .await;
    let second = s
        .create_contact(json!({"first_name": "Second", "company_id": co, "is_primary": true}))
        .await;
    assert_eq!(second["is_primary"], json!(true));
    let first = s.contact(&cid(&first)).await;
    assert_eq!(first["is_primary"], json!(false));
    assert_eq!(first["companies"][0]["is_primary"], json!(false));
    // Another company's primary contact is untouched.
    assert_eq!(s.contact(&cid(&elsewhere)).await["is_primary"], json!(true));
}

#[tokio::test]
async fn is_primary_false_does_not_clear_the_primary_contact() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let first = s
        .create_contact(json!({"first_name": "First", "company_id": co, "is_primary": true}))
        .await;
    s.create_contact(json!({"first_name": "Second", "company_id": co, "is_primary": false}))
        .await;
    assert_eq!(s.contact(&cid(&first)).await["is_primary"], json!(true));
}

#[tokio::test]
async fn tags_are_ordered_by_name() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(
            json!({"first_name": "A", "company_id": co, "tags": ["zeta", "alpha", "mid"]}),
        )
        .await;
    assert_eq!(tag_names(&c), vec!["alpha", "mid", "zeta"]);
}

#[tokio::test]
async fn known_tags_are_reused_case_insensitively() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co, "tags": ["VIP"]}))
        .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "tags": ["vip"]}))
        .await;
    assert_eq!(tag_names(&b), vec!["VIP"], "existing spelling kept");
    assert_eq!(a["tags"][0]["id"], b["tags"][0]["id"]);
}

#[tokio::test]
async fn repeated_tags_count_once() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(
            json!({"first_name": "A", "company_id": co, "tags": ["new", "New", "new", " NEW "]}),
        )
        .await;
    assert_eq!(c["tags"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(tag_names(&c), vec!["new"]);
}

#[tokio::test]
async fn bad_tag_elements_are_422_on_their_index() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "A", "company_id": co,
                "tags": ["ok", 5, "", "  ", null, "x".repeat(256), ["a"], "fine"]
            }),
        )
        .await;
    assert_422(
        &r,
        &["tags.1", "tags.2", "tags.3", "tags.4", "tags.5", "tags.6"],
    );
}

#[tokio::test]
async fn tags_must_be_an_array() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": co, "tags": "vip"}),
        )
        .await;
    assert_422(&r, &["tags"]);
}

#[tokio::test]
async fn password_creates_a_portal_login() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": "12345678"
        }))
        .await;
    assert_eq!(c["has_portal_login"], json!(true));
    assert!(c.get("password").is_none(), "password leaked: {c}");
}

#[tokio::test]
async fn password_requires_email_in_the_same_body() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for body in [
        json!({"first_name": "A", "company_id": co, "password": "long-enough"}),
        json!({"first_name": "A", "company_id": co, "password": "long-enough", "email": ""}),
        json!({"first_name": "A", "company_id": co, "password": "long-enough", "email": null}),
    ] {
        assert_422(&s.post("/contacts", &body).await, &["email"]);
    }
}

#[tokio::test]
async fn password_length_is_8_to_255() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for (i, bad) in [json!("1234567"), json!("p".repeat(256)), json!(12345678)]
        .into_iter()
        .enumerate()
    {
        let r = s
            .post(
                "/contacts",
                &json!({
                    "first_name": "A", "company_id": co,
                    "email": format!("p{i}@example.com"), "password": bad
                }),
            )
            .await;
        assert_422(&r, &["password"]);
    }
    let c = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "max@example.com",
            "password": "é".repeat(255)
        }))
        .await;
    assert_eq!(c["has_portal_login"], json!(true));
}

#[tokio::test]
async fn password_is_not_trimmed() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    // 9 characters as sent, 3 after trimming: accepted because passwords are not trimmed.
    let c = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": "   abc   "
        }))
        .await;
    assert_eq!(c["has_portal_login"], json!(true));
}

#[tokio::test]
async fn login_email_conflict_is_422_case_insensitive_and_creates_nothing() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "taken@example.com", "password": "password-a"
    }))
    .await;
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "B", "company_id": co, "email": "TAKEN@Example.com",
                "password": "password-b", "tags": ["fresh-tag"]
            }),
        )
        .await;
    assert_422(&r, &["email"]);
    let list = s.get("/contacts").await;
    assert_eq!(list.body["meta"]["total"], json!(1), "{list:#?}");
    // The tag of the failed request was not created either.
    let c = s
        .create_contact(json!({"first_name": "C", "company_id": co, "tags": ["FRESH-TAG"]}))
        .await;
    assert_eq!(tag_names(&c), vec!["FRESH-TAG"]);
}

#[tokio::test]
async fn same_email_without_password_is_allowed() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "shared@example.com", "password": "password-a"
    }))
    .await;
    let c = s
        .create_contact(json!({"first_name": "B", "company_id": co, "email": "shared@example.com"}))
        .await;
    assert_eq!(c["has_portal_login"], json!(false));
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "nickname": "Al", "id": "999999",
            "status": "archived", "has_portal_login": true, "full_name": "Zed"
        }))
        .await;
    assert_ne!(cid(&c), "999999");
    assert_eq!(c["status"], json!("active"));
    assert_eq!(c["has_portal_login"], json!(false));
    assert_eq!(c["full_name"], json!("A"));
}

#[tokio::test]
async fn all_errors_are_reported_at_once() {
    let s = TestServer::start().await;
    let r = s
        .post(
            "/contacts",
            &json!({"email": "bad", "tags": [1], "is_primary": "maybe"}),
        )
        .await;
    assert_422(
        &r,
        &["company_id", "email", "first_name", "is_primary", "tags.0"],
    );
}

#[tokio::test]
async fn failed_create_changes_nothing() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": co, "email": "bad", "tags": ["ghost"]}),
        )
        .await;
    assert_422(&r, &["email"]);
    let list = s.get("/contacts").await;
    list.expect(200);
    assert_eq!(list.body["meta"]["total"], json!(0));
    let c = s
        .create_contact(json!({"first_name": "B", "company_id": co, "tags": ["GHOST"]}))
        .await;
    assert_eq!(
        tag_names(&c),
        vec!["GHOST"],
        "tag leaked from a failed request"
    );
}

#[tokio::test]
async fn full_name_joins_first_and_last_name() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(
            json!({"first_name": "Mary Ann", "last_name": "van Dyke", "company_id": co}),
        )
        .await;
    assert_eq!(c["full_name"], json!("Mary Ann van Dyke"));
}

#[tokio::test]
async fn is_primary_with_company_ids_applies_to_the_first_company_only() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = s.create_company("B").await;
    let primary_of_b = s
        .create_contact(json!({"first_name": "PB", "company_id": b, "is_primary": true}))
        .await;
    let c = s
        .create_contact(json!({"first_name": "C", "company_ids": [a, b], "is_primary": true}))
        .await;
    assert_eq!(c["companies"][0]["is_primary"], json!(true));
    assert_eq!(c["companies"][1]["is_primary"], json!(false));
    assert_eq!(
        s.contact(&cid(&primary_of_b)).await["is_primary"],
        json!(true)
    );
}

#[tokio::test]
async fn email_of_255_characters_is_accepted() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let email = format!(
        "{}@{}.{}.{}.com",
        "a".repeat(64),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(58)
    );
    assert_eq!(email.chars().count(), 255);
    let c = s
        .create_contact(json!({"first_name": "A", "company_id": co, "email": email}))
        .await;
    assert_eq!(c["email"], json!(email));
}

#[tokio::test]
async fn tag_names_keep_unicode_and_max_255_characters() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let long = "ß".repeat(255);
    let c = s
        .create_contact(json!({"first_name": "A", "company_id": co, "tags": [long, "café"]}))
        .await;
    assert_eq!(c["tags"].as_array().unwrap().len(), 2);
    assert!(tag_names(&c).contains(&"café".to_string()));
    assert!(tag_names(&c).contains(&long));
}

#[tokio::test]
async fn tag_reuse_is_case_insensitive_beyond_ascii() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co, "tags": ["ÉTÉ"]}))
        .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "tags": ["été"]}))
        .await;
    assert_eq!(tag_names(&b), vec!["ÉTÉ"]);
    assert_eq!(a["tags"][0]["id"], b["tags"][0]["id"]);
}

#[tokio::test]
async fn unicode_white_space_is_trimmed() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let c = s
        .create_contact(json!({
            "first_name": "\u{00A0}Ann\u{2003}", "last_name": "\u{3000}", "company_id": co
        }))
        .await;
    assert_eq!(c["first_name"], json!("Ann"));
    assert_eq!(c["last_name"], serde_json::Value::Null);
}
