//! Hostile input, as an attacker holding one valid token would send it: every request that could
//! make the server do unbounded work gets a clear 422 in Laravel's wording, quickly, and nothing is
//! stored. (The HTTP-level limits — timeouts, header and URI sizes, keep-alive — are in
//! tests/hostile_http.rs.)

use crate::support::*;
use serde_json::Value;

/// `meta.total` of `GET /contacts?...`.
async fn contact_total(s: &TestServer, query: &str) -> u64 {
    let r = s.get(&format!("/contacts?{query}")).await;
    r.expect(200);
    r.body["meta"]["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no total: {r:#?}"))
}

/// The 422's single field and its messages.
fn only_error(r: &Resp) -> (String, Vec<String>) {
    r.expect(422);
    let errors = r.body["errors"].as_object().expect("errors object");
    assert_eq!(errors.len(), 1, "{r:#?}");
    let (k, v) = errors.iter().next().expect("one error");
    let messages = v
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m.as_str().unwrap_or_default().to_owned())
        .collect();
    (k.clone(), messages)
}

fn numbers(n: usize) -> Vec<Value> {
    (0..n).map(|i| json!(i)).collect()
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test]
async fn a_body_of_80000_bad_tags_is_one_error_and_stores_nothing() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "Ann", "company_id": co, "tags": numbers(80_000)}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "tags");
    assert_eq!(
        messages,
        ["The tags field must not have more than 100 items."]
    );
    assert_eq!(
        r.body["message"],
        json!("The tags field must not have more than 100 items.")
    );
    assert_eq!(contact_total(&s, "").await, 0);

    // Exactly at the bound is fine.
    let c = s
        .create_contact(json!({"first_name": "Bo", "company_id": co, "tags": names("t", 100)}))
        .await;
    assert_eq!(tag_names(&c).len(), 100);
}

#[tokio::test]
async fn many_bad_fields_are_reported_up_to_a_bound_with_the_true_count() {
    let s = TestServer::start().await;
    // 100 tags (at the bound), every one of the wrong type: one error each, all reported.
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "Ann", "company_id": co, "tags": numbers(100)}),
        )
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"].as_object().map(|o| o.len()), Some(100));
    assert_eq!(
        r.body["message"],
        json!("The tags.0 field must be a string. (and 99 more errors)")
    );
    // A custom-field values body with 5,000 unknown labels: at most 100 fields are listed, but the
    // summary still counts every error.
    let body: serde_json::Map<String, Value> =
        (0..5_000).map(|i| (format!("L{i}"), json!("x"))).collect();
    let r = s
        .put(
            &format!("/companies/{co}/custom-fields"),
            &Value::Object(body),
        )
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"].as_object().map(|o| o.len()), Some(100));
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(message.ends_with("(and 4999 more errors)"), "{message}");
}

#[tokio::test]
async fn tags_on_every_tag_endpoint_and_on_companies_are_bounded() {
    let s = TestServer::start().await;
    let c = s.quick_contact("Ann").await;
    let id = cid(&c);
    let co = s.create_company("Tagged").await;
    for path in [
        format!("/contacts/{id}/tags"),
        format!("/companies/{co}/tags"),
    ] {
        for method in [reqwest::Method::POST, reqwest::Method::PUT] {
            let r = s
                .send(method, &path, Some(&json!({"tags": names("x", 101)})))
                .await;
            let (field, messages) = only_error(&r);
            assert_eq!(field, "tags");
            assert_eq!(
                messages,
                ["The tags field must not have more than 100 items."]
            );
        }
    }
    let r = s
        .post(
            "/companies",
            &json!({"name": "Big", "tags": names("x", 101)}),
        )
        .await;
    assert_eq!(only_error(&r).0, "tags");
    assert!(tag_names(&s.contact(&id).await).is_empty());
    let r = s.get(&format!("/companies/{co}/tags")).await;
    r.expect(200);
    assert_eq!(r.data().as_array().map(Vec::len), Some(0), "{r:#?}");
    let r = s.get("/companies?name=Big").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn a_record_carries_at_most_500_tags() {
    let s = TestServer::start().await;
    let c = s.quick_contact("Ann").await;
    let id = cid(&c);
    for round in 0..5 {
        let r = s
            .post(
                &format!("/contacts/{id}/tags"),
                &json!({"tags": names(&format!("r{round}-"), 100)}),
            )
            .await;
        r.expect(200);
    }
    assert_eq!(tag_names(&s.contact(&id).await).len(), 500);
    // Adding tags it already has is fine; one more new tag is not, and none of the request's
    // tags are added.
    s.post(
        &format!("/contacts/{id}/tags"),
        &json!({"tags": ["r0-1", "r4-99"]}),
    )
    .await
    .expect(200);
    let r = s
        .post(
            &format!("/contacts/{id}/tags"),
            &json!({"tags": ["r0-1", "one-too-many"]}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "tags");
    assert_eq!(messages, ["The record must not have more than 500 tags."]);
    let after = tag_names(&s.contact(&id).await);
    assert_eq!(after.len(), 500);
    assert!(!after.iter().any(|t| t == "one-too-many"));
}

#[tokio::test]
async fn company_ids_are_bounded_never_a_server_error() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for n in [101, 40_000] {
        let ids: Vec<i64> = (1..=n).collect();
        let r = s
            .post(
                "/contacts",
                &json!({"first_name": "Ann", "company_ids": ids}),
            )
            .await;
        let (field, messages) = only_error(&r);
        assert_eq!(field, "company_ids");
        assert_eq!(
            messages,
            ["The company ids field must not have more than 100 items."]
        );
    }
    // 100 ids, 99 of them unknown: each unknown one is reported.
    let mut ids: Vec<i64> = (1_000..1_099).collect();
    ids.push(co);
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "Ann", "company_ids": ids}),
        )
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"].as_object().map(|o| o.len()), Some(99));
    assert_eq!(contact_total(&s, "").await, 0);
}

#[tokio::test]
async fn dropdown_choices_are_bounded_and_deduplicated() {
    let s = TestServer::start().await;
    let r = s
        .post(
            "/custom-fields",
            &json!({"label": "Region", "type": "dropdown", "options": {"choices": names("c", 20_000)}}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "options.choices");
    assert_eq!(
        messages,
        ["The options.choices field must not have more than 1000 items."]
    );
    let r = s.get("/custom-fields").await;
    r.expect(200);
    assert_eq!(r.data().as_array().map(Vec::len), Some(0));

    // 1,000 choices where every name comes twice (in another case): 500 distinct ones are kept.
    let mut choices = names("Choice", 500);
    choices.extend(names("CHOICE", 500));
    let r = s
        .post(
            "/custom-fields",
            &json!({"label": "Big", "type": "dropdown", "options": {"choices": choices}}),
        )
        .await;
    r.expect(201);
    let field_id = r.data()["id"].clone();
    let kept = r.data()["options"]["choices"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(kept, 500);

    // A value outside so many choices is refused without listing all of them.
    let co = s.create_company("Acme").await;
    let r = s
        .put(
            &format!("/companies/{co}/custom-fields"),
            &json!({"Big": "nope"}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "Big");
    assert_eq!(
        messages,
        ["The selected Big is invalid. Choose one of the field's 500 choices."]
    );
    // Redefining the field checks every stored value against the choices in one pass.
    s.put(
        &format!("/companies/{co}/custom-fields"),
        &json!({"Big": "choice7"}),
    )
    .await
    .expect(200);
    let definition = format!("/custom-fields/{field_id}");
    let r = s
        .post(
            &definition,
            &json!({"options": {"choices": names("Other", 1_000)}}),
        )
        .await;
    r.expect(422);
    let r = s
        .post(
            &definition,
            &json!({"options": {"choices": names("Choice", 1_000)}}),
        )
        .await;
    r.expect(200);
}

#[tokio::test]
async fn shipping_addresses_per_request_are_bounded() {
    let s = TestServer::start().await;
    let addresses: Vec<Value> = (0..101)
        .map(|i| json!({"address_1": format!("{i} Main St"), "city": "Austin"}))
        .collect();
    let r = s
        .post(
            "/companies",
            &json!({"name": "Acme", "shipping_addresses": addresses}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "shipping_addresses");
    assert_eq!(
        messages,
        ["The shipping addresses field must not have more than 100 items."]
    );
    let r = s.get("/companies").await;
    assert_eq!(r.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn filters_per_list_and_values_per_in_list_are_bounded() {
    let s = TestServer::start().await;
    let a = s.quick_contact("Ann").await;
    let b = s.quick_contact("Bo").await;

    // 50 filters is fine; 51, or a thousand (which once overflowed SQLite's expression depth), is
    // a 422 on `filters`. (A thousand short ones, to stay under the query-string bound.)
    let filters = |n: usize| {
        (0..n)
            .map(|i| format!("company.name[notcontains]=zz{i}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    assert_eq!(contact_total(&s, &filters(50)).await, 2);
    for query in [filters(51), vec!["id=1"; 1_000].join("&")] {
        let r = s.get(&format!("/contacts?{query}")).await;
        let (field, messages) = only_error(&r);
        assert_eq!(field, "filters");
        assert_eq!(
            messages,
            ["The filters field must not have more than 50 items."]
        );
    }

    // An `in` list of 500 values (two of them real) finds the two; 501 values are refused.
    let mut ids: Vec<String> = (1_000_000..1_000_498).map(|i| i.to_string()).collect();
    ids.push(cid(&a));
    ids.push(cid(&b));
    let mut found = s.list_ids(&format!("id[in]={}", ids.join(","))).await;
    found.sort();
    let mut expected = vec![cid(&a), cid(&b)];
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(
        s.list_ids(&format!("id[notin]={}", ids.join(",")))
            .await
            .len(),
        0
    );
    ids.push("1".into());
    let r = s.get(&format!("/contacts?id[in]={}", ids.join(","))).await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "id[in]");
    assert_eq!(
        messages,
        ["The id[in] filter must not have more than 500 items."]
    );
    // Distinct long lists, one after another, all answer (each is the same cached statement).
    for k in 0..20 {
        let list: Vec<String> = (0..400).map(|i| (k * 1_000 + i).to_string()).collect();
        s.get(&format!("/contacts?id[in]={}", list.join(",")))
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn a_password_for_a_missing_contact_is_a_404() {
    let s = TestServer::start().await;
    for path in [
        "/contacts/999999/password",
        "/contacts/999999/b2b-portal-password",
    ] {
        let r = s
            .post(path, &json!({"password": "long enough secret"}))
            .await;
        assert_error(&r, 404);
    }
    let r = s
        .post(
            "/contacts/999999",
            &json!({"password": "long enough secret"}),
        )
        .await;
    assert_error(&r, 404);
}

#[tokio::test]
async fn a_password_with_a_taken_login_email_is_refused_with_every_error() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({"first_name": "Ann", "company_id": co, "email": "ann@example.com", "password": "password-one"}))
        .await;
    // On create: the e-mail conflict and the unknown company, together.
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "Bo", "company_ids": [co, 999_999], "email": "ANN@example.com", "password": "password-two"}),
        )
        .await;
    r.expect(422);
    assert_eq!(r.error_keys(), ["company_ids.1", "email"]);
    // On the password endpoint of a contact whose email is taken.
    let bo = s
        .create_contact(json!({"first_name": "Bo", "company_id": co, "email": "bo@example.com"}))
        .await;
    let bo_id = cid(&bo);
    let r = s
        .post(
            &format!("/contacts/{bo_id}"),
            &json!({"email": "ann@example.com", "password": "password-two"}),
        )
        .await;
    r.expect(422);
    assert_eq!(r.error_keys(), ["email"]);
    let after = s.contact(&bo_id).await;
    assert_eq!(after["email"], json!("bo@example.com"));
    assert_eq!(contact_total(&s, "has_portal_login=true").await, 1);
}

#[tokio::test]
async fn login_emails_that_look_the_same_are_the_same_or_invalid() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    // NFC and NFD spellings of one address are one login.
    let composed = "\u{e9}lodie@example.com";
    let decomposed = "e\u{301}lodie@example.com";
    let first = s
        .create_contact(json!({"first_name": "A", "company_id": co, "email": decomposed, "password": "password-one"}))
        .await;
    assert_eq!(first["email"], json!(composed), "stored in NFC form");
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "B", "company_id": co, "email": composed, "password": "password-two"}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "email");
    assert_eq!(
        messages,
        ["The email has already been taken by another portal login."]
    );
    // Invisible and compatibility characters make an address invalid.
    for bad in [
        "\u{e9}lo\u{200b}die@example.com",
        "\u{feff}elodie@example.com",
        "\u{ff45}lodie@example.com",
        "elodie@exa\u{ad}mple.com",
    ] {
        let r = s
            .post(
                "/contacts",
                &json!({"first_name": "C", "company_id": co, "email": bad, "password": "password-three"}),
            )
            .await;
        let (field, messages) = only_error(&r);
        assert_eq!(field, "email", "{bad:?}");
        assert_eq!(messages, ["The email field must be a valid email address."]);
    }
    assert_eq!(contact_total(&s, "").await, 1);
}

#[tokio::test]
async fn company_hierarchies_are_bounded_in_depth() {
    let s = TestServer::start().await;
    // A chain: each company the parent of the next. The parent of a new company may have at most
    // 50 companies above it.
    let mut parent = s.create_company("Level 0").await;
    for level in 1..=51 {
        let r = s
            .post(
                "/companies",
                &json!({"name": format!("Level {level}"), "parent_company_id": parent}),
            )
            .await;
        r.expect(201);
        parent = r.data()["id"].as_i64().expect("id");
    }
    let r = s
        .post(
            "/companies",
            &json!({"name": "Too deep", "parent_company_id": parent}),
        )
        .await;
    let (field, messages) = only_error(&r);
    assert_eq!(field, "parent_company_id");
    assert_eq!(
        messages,
        ["The parent company id must not have more than 50 companies above it."]
    );
    // Moving a company under the deepest one is refused the same way.
    let other = s.create_company("Other").await;
    let r = s
        .post(
            &format!("/companies/{other}"),
            &json!({"parent_company_id": parent}),
        )
        .await;
    assert_eq!(only_error(&r).0, "parent_company_id");
    let r = s.get("/companies?name=Too%20deep").await;
    assert_eq!(r.body["meta"]["total"], json!(0));
}

#[tokio::test]
async fn large_bodies_are_parsed_like_small_ones() {
    // Bodies over 32 KiB are parsed off the async workers; the answers are the same.
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let padding = "x".repeat(200);
    let notes: Vec<String> = (0..300).map(|i| format!("{i}{padding}")).collect();
    // A large valid body (unknown keys are ignored): created.
    let mut body = serde_json::Map::new();
    body.insert("first_name".into(), json!("Big"));
    body.insert("company_id".into(), json!(co));
    body.insert("ignored".into(), json!(notes));
    let c = s.create_contact(Value::Object(body)).await;
    assert_eq!(c["first_name"], json!("Big"));
    // A large malformed one: the same 400 as a small one.
    let mut bad =
        serde_json::to_vec(&json!({"first_name": "Big", "ignored": notes})).expect("json");
    bad.truncate(bad.len() - 1);
    assert!(bad.len() > 32 * 1024);
    let r = s
        .request(
            reqwest::Method::POST,
            "/contacts",
            Some(&s.token),
            Some(bad),
            Some("application/json"),
            &[],
        )
        .await;
    r.expect(400);
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("The request body is not a valid JSON object"),
        "{r:#?}"
    );
    assert_eq!(contact_total(&s, "").await, 1);
}
