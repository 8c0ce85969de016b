//! §4.4: `POST /contacts/{id}` (and `PUT`/`PATCH`), the founding endpoint.

use crate::support::*;
use reqwest::Method;
use serde_json::Value;

fn path(c: &Value) -> String {
    format!("/contacts/{}", cid(c))
}

/// A server with companies Alpha, Beta, Gamma and a full contact linked to Alpha (primary) and Beta.
struct Fixture {
    s: TestServer,
    alpha: i64,
    beta: i64,
    gamma: i64,
    c: Value,
}

async fn fixture() -> Fixture {
    let s = TestServer::start().await;
    let alpha = s.create_company("Alpha").await;
    let beta = s.create_company("Beta").await;
    let gamma = s.create_company("Gamma").await;
    let c = s
        .create_contact(json!({
            "first_name": "John", "last_name": "Smith", "email": "john@example.com",
            "phone_1": "555-1", "phone_2": "555-2", "receiving_bank_name": "Bank",
            "receiving_bank_address": "Bank St", "company_ids": [alpha, beta],
            "receive_quotation_pdf": true, "tags": ["a", "b"]
        }))
        .await;
    Fixture {
        s,
        alpha,
        beta,
        gamma,
        c,
    }
}

/// Fields that a successful update may legitimately change, besides the ones it names.
fn without(c: &Value, keys: &[&str]) -> Value {
    let mut c = c.clone();
    let obj = c.as_object_mut().unwrap();
    obj.remove("updated_at");
    for k in keys {
        obj.remove(*k);
    }
    c
}

#[tokio::test]
async fn update_is_partial() {
    let f = fixture().await;
    let r =
        f.s.post(&path(&f.c), &json!({"email": "newemail@example.com"}))
            .await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["email"], json!("newemail@example.com"));
    assert_eq!(without(u, &["email"]), without(&f.c, &["email"]));
    assert_eq!(f.s.contact(&cid(&f.c)).await, *u);
}

#[tokio::test]
async fn post_put_and_patch_mean_the_same() {
    let f = fixture().await;
    for (m, name) in [
        (Method::POST, "Post"),
        (Method::PUT, "Put"),
        (Method::PATCH, "Patch"),
    ] {
        let r =
            f.s.send(m.clone(), &path(&f.c), Some(&json!({"last_name": name})))
                .await;
        r.expect(200);
        assert_eq!(r.data()["last_name"], json!(name), "{m}");
        // PUT is partial too: nothing else was cleared.
        assert_eq!(r.data()["email"], json!("john@example.com"), "{m}");
        assert_eq!(r.data()["tags"], f.c["tags"], "{m}");
        assert_eq!(r.data()["companies"], f.c["companies"], "{m}");
    }
}

#[tokio::test]
async fn null_and_empty_string_clear_optional_strings() {
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({
                "last_name": null, "email": "", "phone_1": "  ", "phone_2": null,
                "receiving_bank_name": "", "receiving_bank_address": null
            }),
        )
        .await;
    r.expect(200);
    let u = r.data();
    for k in [
        "last_name",
        "email",
        "phone",
        "phone_1",
        "phone_2",
        "receiving_bank_name",
        "receiving_bank_address",
    ] {
        assert_eq!(u[k], Value::Null, "{k}: {u}");
    }
    assert_eq!(u["full_name"], json!("John"));
}

#[tokio::test]
async fn strings_are_set_and_trimmed() {
    let f = fixture().await;
    let r =
        f.s.patch(
            &path(&f.c),
            &json!({"first_name": " Jim ", "last_name": " Beam", "phone_1": "999 "}),
        )
        .await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["first_name"], json!("Jim"));
    assert_eq!(u["full_name"], json!("Jim Beam"));
    assert_eq!(u["phone"], json!("999"));
    assert_eq!(u["phone_1"], json!("999"));
}

#[tokio::test]
async fn first_name_cannot_be_cleared() {
    let f = fixture().await;
    for bad in [
        json!(null),
        json!(""),
        json!("   "),
        json!("x".repeat(256)),
        json!(7),
    ] {
        let r = f.s.post(&path(&f.c), &json!({"first_name": bad})).await;
        assert_422(&r, &["first_name"]);
    }
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn optional_strings_are_validated_on_update() {
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({"last_name": "é".repeat(256), "email": "nope", "phone_2": 12}),
        )
        .await;
    assert_422(&r, &["email", "last_name", "phone_2"]);
    let r =
        f.s.post(&path(&f.c), &json!({"last_name": "é".repeat(255)}))
            .await;
    r.expect(200);
}

#[tokio::test]
async fn company_id_cannot_be_null_empty_or_unknown() {
    let f = fixture().await;
    for bad in [
        json!(null),
        json!(""),
        json!(f.gamma + 1000),
        json!("abc"),
        json!(false),
    ] {
        let r = f.s.post(&path(&f.c), &json!({"company_id": bad})).await;
        assert_422(&r, &["company_id"]);
    }
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn company_id_moves_the_contact() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"company_id": f.gamma})).await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["company_id"], json!(f.gamma.to_string()));
    assert_eq!(
        u["company"],
        json!({"id": f.gamma.to_string(), "name": "Gamma"})
    );
    // The old primary link (Alpha) is replaced; the other link (Beta) stays.
    assert_eq!(company_ids(u), vec![f.gamma, f.beta]);
}

#[tokio::test]
async fn company_id_as_digit_string_moves_the_contact() {
    let f = fixture().await;
    let r =
        f.s.post(&path(&f.c), &json!({"company_id": f.gamma.to_string()}))
            .await;
    r.expect(200);
    assert_eq!(company_ids(r.data()), vec![f.gamma, f.beta]);
}

#[tokio::test]
async fn company_id_of_an_already_linked_company_makes_it_primary_and_drops_the_old() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"company_id": f.beta})).await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["company_id"], json!(f.beta.to_string()));
    assert_eq!(company_ids(u), vec![f.beta]);
}

#[tokio::test]
async fn company_id_equal_to_the_primary_keeps_the_links() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"company_id": f.alpha})).await;
    r.expect(200);
    assert_eq!(company_ids(r.data()), vec![f.alpha, f.beta]);
}

#[tokio::test]
async fn company_ids_replace_the_links_keeping_the_primary() {
    let f = fixture().await;
    let r =
        f.s.post(&path(&f.c), &json!({"company_ids": [f.gamma, f.alpha]}))
            .await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["company_id"], json!(f.alpha.to_string()));
    assert_eq!(company_ids(u), vec![f.alpha, f.gamma]);
    // The primary link kept its flags.
    assert_eq!(u["receive_quotation_pdf"], json!(true));
    assert_eq!(u["companies"][0]["receive_quotation_pdf"], json!(true));
}

#[tokio::test]
async fn company_ids_without_the_primary_make_the_first_primary() {
    let f = fixture().await;
    let r =
        f.s.post(&path(&f.c), &json!({"company_ids": [f.gamma, f.beta]}))
            .await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["company_id"], json!(f.gamma.to_string()));
    assert_eq!(
        u["company"],
        json!({"id": f.gamma.to_string(), "name": "Gamma"})
    );
    assert_eq!(company_ids(u), vec![f.gamma, f.beta]);
}

#[tokio::test]
async fn company_ids_errors() {
    let f = fixture().await;
    let p = path(&f.c);
    assert_422(
        &f.s.post(&p, &json!({"company_ids": []})).await,
        &["company_ids"],
    );
    assert_422(
        &f.s.post(&p, &json!({"company_ids": null})).await,
        &["company_ids"],
    );
    assert_422(
        &f.s.post(&p, &json!({"company_ids": [f.alpha, f.gamma + 99]}))
            .await,
        &["company_ids.1"],
    );
    assert_422(
        &f.s.post(&p, &json!({"company_id": f.alpha, "company_ids": [f.beta]}))
            .await,
        &["company_ids"],
    );
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn flags_apply_to_the_primary_link() {
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({"receive_purchase_order_pdf": "1", "is_primary": true}),
        )
        .await;
    r.expect(200);
    let u = r.data();
    assert_eq!(u["receive_purchase_order_pdf"], json!(true));
    assert_eq!(u["is_primary"], json!(true));
    assert_eq!(u["companies"][0]["receive_purchase_order_pdf"], json!(true));
    assert_eq!(u["companies"][0]["is_primary"], json!(true));
    assert_eq!(
        u["companies"][1]["receive_purchase_order_pdf"],
        json!(false)
    );
    assert_eq!(u["companies"][1]["is_primary"], json!(false));
}

#[tokio::test]
async fn null_flag_means_false() {
    let f = fixture().await;
    assert_eq!(f.c["receive_quotation_pdf"], json!(true));
    let r =
        f.s.post(&path(&f.c), &json!({"receive_quotation_pdf": null}))
            .await;
    r.expect(200);
    assert_eq!(r.data()["receive_quotation_pdf"], json!(false));
    assert_eq!(
        r.data()["companies"][0]["receive_quotation_pdf"],
        json!(false)
    );
}

#[tokio::test]
async fn bad_flag_is_422() {
    let f = fixture().await;
    let r =
        f.s.post(&path(&f.c), &json!({"receive_quotation_pdf": "yes"}))
            .await;
    assert_422(&r, &["receive_quotation_pdf"]);
}

#[tokio::test]
async fn absent_flags_keep_their_values() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"last_name": "X"})).await;
    r.expect(200);
    assert_eq!(r.data()["receive_quotation_pdf"], json!(true));
}

#[tokio::test]
async fn is_primary_on_update_clears_the_other_contact() {
    let f = fixture().await;
    let other = f
        .s
        .create_contact(json!({"first_name": "Other", "company_id": f.alpha, "is_primary": true}))
        .await;
    let r = f.s.post(&path(&f.c), &json!({"is_primary": 1})).await;
    r.expect(200);
    assert_eq!(r.data()["is_primary"], json!(true));
    let other = f.s.contact(&cid(&other)).await;
    assert_eq!(other["is_primary"], json!(false));
}

#[tokio::test]
async fn tags_replace_the_contacts_tags() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"tags": ["c", "B"]})).await;
    r.expect(200);
    // "B" reuses the existing tag "b".
    assert_eq!(tag_names(r.data()), vec!["b", "c"]);
    let b_before = f.c["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "b")
        .unwrap()["id"]
        .clone();
    assert_eq!(r.data()["tags"][0]["id"], b_before);
}

#[tokio::test]
async fn empty_or_null_tags_remove_them_all() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"tags": []})).await;
    r.expect(200);
    assert_eq!(r.data()["tags"], json!([]));

    f.s.post(&path(&f.c), &json!({"tags": ["x"]}))
        .await
        .expect(200);
    let r = f.s.post(&path(&f.c), &json!({"tags": null})).await;
    r.expect(200);
    assert_eq!(r.data()["tags"], json!([]));
}

#[tokio::test]
async fn bad_tags_on_update_are_indexed() {
    let f = fixture().await;
    let r = f.s.post(&path(&f.c), &json!({"tags": ["ok", "", 3]})).await;
    assert_422(&r, &["tags.1", "tags.2"]);
    assert_eq!(tag_names(&f.s.contact(&cid(&f.c)).await), vec!["a", "b"]);
}

#[tokio::test]
async fn password_creates_a_login_with_the_stored_email() {
    let f = fixture().await;
    let r =
        f.s.post(&path(&f.c), &json!({"password": "secret-pass"}))
            .await;
    r.expect(200);
    assert_eq!(r.data()["has_portal_login"], json!(true));
    assert!(r.data().get("password").is_none());
}

#[tokio::test]
async fn password_rotates_an_existing_login() {
    let f = fixture().await;
    f.s.post(&path(&f.c), &json!({"password": "secret-pass"}))
        .await
        .expect(200);
    let r =
        f.s.post(&path(&f.c), &json!({"password": "another-pass"}))
            .await;
    r.expect(200);
    assert_eq!(r.data()["has_portal_login"], json!(true));
}

#[tokio::test]
async fn password_requires_an_email() {
    let s = TestServer::start().await;
    let c = s.quick_contact("NoMail").await;
    let r = s.post(&path(&c), &json!({"password": "secret-pass"})).await;
    assert_422(&r, &["email"]);
    // Clearing the email in the same body is no better.
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({"password": "secret-pass", "email": null}),
        )
        .await;
    assert_422(&r, &["email"]);
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn password_with_email_in_the_same_body() {
    let s = TestServer::start().await;
    let c = s.quick_contact("NoMail").await;
    let r = s
        .post(
            &path(&c),
            &json!({"password": "secret-pass", "email": "new@example.com"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["email"], json!("new@example.com"));
    assert_eq!(r.data()["has_portal_login"], json!(true));
}

#[tokio::test]
async fn password_length_on_update() {
    let f = fixture().await;
    for bad in [json!("short"), json!("x".repeat(256)), json!(123456789)] {
        let r = f.s.post(&path(&f.c), &json!({"password": bad})).await;
        assert_422(&r, &["password"]);
    }
    assert_eq!(
        f.s.contact(&cid(&f.c)).await["has_portal_login"],
        json!(false)
    );
}

#[tokio::test]
async fn email_change_moves_the_login_email() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "old@example.com", "password": "password-a"
        }))
        .await;
    let r = s
        .post(&path(&a), &json!({"email": "new@example.com"}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["has_portal_login"], json!(true));

    // The new address is now taken by A's login...
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co, "email": "NEW@example.com"}))
        .await;
    let r = s.post(&path(&b), &json!({"password": "password-b"})).await;
    assert_422(&r, &["email"]);
    // ...and the old one is free.
    let r = s
        .post(
            &path(&b),
            &json!({"email": "old@example.com", "password": "password-b"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["has_portal_login"], json!(true));
}

#[tokio::test]
async fn email_change_to_another_logins_email_is_422_and_changes_nothing() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "a@example.com", "password": "password-a"
    }))
    .await;
    let b = s
        .create_contact(json!({
            "first_name": "B", "company_id": co, "email": "b@example.com", "password": "password-b"
        }))
        .await;
    let r = s
        .post(
            &path(&b),
            &json!({"email": "A@EXAMPLE.COM", "last_name": "Changed", "tags": ["t"]}),
        )
        .await;
    assert_422(&r, &["email"]);
    assert_eq!(s.contact(&cid(&b)).await, b);
}

#[tokio::test]
async fn email_of_a_contact_without_login_may_equal_a_login_email() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "a@example.com", "password": "password-a"
    }))
    .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co}))
        .await;
    let r = s.post(&path(&b), &json!({"email": "a@example.com"})).await;
    r.expect(200);
    assert_eq!(r.data()["email"], json!("a@example.com"));
}

#[tokio::test]
async fn clearing_the_email_of_a_contact_with_a_login_is_422() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": "password-a"
        }))
        .await;
    for bad in [json!(null), json!(""), json!("  ")] {
        let r = s.post(&path(&a), &json!({"email": bad})).await;
        assert_422(&r, &["email"]);
    }
    assert_eq!(s.contact(&cid(&a)).await, a);
}

#[tokio::test]
async fn noop_update_keeps_updated_at() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r =
        f.s.post(
            &path(&f.c),
            &json!({
                "first_name": "John", "last_name": " Smith ", "email": "john@example.com",
                "company_id": f.alpha, "tags": ["b", "A"], "receive_quotation_pdf": true,
                "is_primary": false
            }),
        )
        .await;
    r.expect(200);
    assert_eq!(*r.data(), f.c);
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn empty_update_returns_the_contact_unchanged() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r = f.s.post(&path(&f.c), &json!({})).await;
    r.expect(200);
    assert_eq!(*r.data(), f.c);
}

#[tokio::test]
async fn real_change_moves_updated_at() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r = f.s.post(&path(&f.c), &json!({"phone_2": "changed"})).await;
    r.expect(200);
    let before = f.c["updated_at"].as_str().unwrap();
    let after = r.data()["updated_at"].as_str().unwrap();
    assert!(is_timestamp(after));
    assert!(after > before, "updated_at {before} -> {after}");
    assert_eq!(r.data()["created_at"], f.c["created_at"]);
}

#[tokio::test]
async fn tag_change_moves_updated_at() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r = f.s.post(&path(&f.c), &json!({"tags": ["a"]})).await;
    r.expect(200);
    assert!(r.data()["updated_at"].as_str().unwrap() > f.c["updated_at"].as_str().unwrap());
}

#[tokio::test]
async fn failed_update_changes_nothing() {
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({
                "last_name": "New", "company_id": f.gamma, "tags": ["zzz"],
                "receive_quotation_pdf": false, "email": "broken"
            }),
        )
        .await;
    assert_422(&r, &["email"]);
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn update_of_missing_contact_is_404() {
    let f = fixture().await;
    let id: i64 = cid(&f.c).parse().unwrap();
    let r =
        f.s.post(
            &format!("/contacts/{}", id + 1000),
            &json!({"last_name": "X"}),
        )
        .await;
    assert_error(&r, 404);
}

#[tokio::test]
async fn validation_errors_are_all_reported_on_update() {
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({
                "first_name": "", "email": "x", "company_id": null, "tags": [[]],
                "is_primary": "perhaps", "password": "1"
            }),
        )
        .await;
    assert_422(
        &r,
        &[
            "company_id",
            "email",
            "first_name",
            "is_primary",
            "password",
            "tags.0",
        ],
    );
}

#[tokio::test]
async fn changing_the_case_of_the_own_login_email_is_not_a_conflict() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "me@example.com", "password": "password-a"
        }))
        .await;
    let r = s.post(&path(&a), &json!({"email": "ME@Example.com"})).await;
    r.expect(200);
    assert_eq!(r.data()["email"], json!("ME@Example.com"));
    let r = s
        .post(
            &path(&a),
            &json!({"email": "me@example.com", "password": "password-new"}),
        )
        .await;
    r.expect(200);
}

#[tokio::test]
async fn password_with_an_email_taken_by_another_login_is_422() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    s.create_contact(json!({
        "first_name": "A", "company_id": co, "email": "a@example.com", "password": "password-a"
    }))
    .await;
    // New email in the same body.
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co}))
        .await;
    let r = s
        .post(
            &path(&b),
            &json!({"email": "a@EXAMPLE.com", "password": "password-b"}),
        )
        .await;
    assert_422(&r, &["email"]);
    assert_eq!(s.contact(&cid(&b)).await, b);
    // Stored email.
    let c = s
        .create_contact(json!({"first_name": "C", "company_id": co, "email": "A@example.com"}))
        .await;
    let r = s
        .post(
            &path(&c),
            &json!({"password": "password-c", "last_name": "Z"}),
        )
        .await;
    assert_422(&r, &["email"]);
    assert_eq!(s.contact(&cid(&c)).await, c);
}

#[tokio::test]
async fn is_primary_with_a_move_clears_the_new_companys_primary() {
    let f = fixture().await;
    let other = f
        .s
        .create_contact(json!({"first_name": "Other", "company_id": f.gamma, "is_primary": true}))
        .await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({"company_id": f.gamma, "is_primary": true}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["is_primary"], json!(true));
    assert_eq!(r.data()["companies"][0]["id"], json!(f.gamma));
    assert_eq!(f.s.contact(&cid(&other)).await["is_primary"], json!(false));
}

#[tokio::test]
async fn same_company_ids_are_a_noop() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r =
        f.s.post(&path(&f.c), &json!({"company_ids": [f.alpha, f.beta]}))
            .await;
    r.expect(200);
    assert_eq!(*r.data(), f.c);
}

#[tokio::test]
async fn reordered_company_ids_are_a_noop() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r =
        f.s.post(&path(&f.c), &json!({"company_ids": [f.beta, f.alpha]}))
            .await;
    r.expect(200);
    assert_eq!(*r.data(), f.c);
}

#[tokio::test]
async fn link_changes_move_updated_at() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r =
        f.s.post(&path(&f.c), &json!({"company_ids": [f.alpha]}))
            .await;
    r.expect(200);
    let before = f.c["updated_at"].as_str().unwrap();
    assert!(r.data()["updated_at"].as_str().unwrap() > before);
    assert_eq!(company_ids(r.data()), vec![f.alpha]);
}

#[tokio::test]
async fn flag_change_moves_updated_at() {
    let f = fixture().await;
    f.s.clock().advance(1);
    let r =
        f.s.post(&path(&f.c), &json!({"receive_purchase_order_pdf": true}))
            .await;
    r.expect(200);
    assert!(r.data()["updated_at"].as_str().unwrap() > f.c["updated_at"].as_str().unwrap());
}

#[tokio::test]
async fn moving_keeps_the_other_links_flags_and_order() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = s.create_company("B").await;
    let c = s.create_company("C").await;
    let d = s.create_company("D").await;
    let x = s
        .create_contact(json!({"first_name": "X", "company_ids": [a, c, b]}))
        .await;
    assert_eq!(company_ids(&x), vec![a, c, b]);
    let r = s.post(&path(&x), &json!({"company_id": d})).await;
    r.expect(200);
    assert_eq!(company_ids(r.data()), vec![d, c, b]);
    // company_ids: the kept primary first, then the others in link order.
    let r = s.post(&path(&x), &json!({"company_ids": [b, a, d]})).await;
    r.expect(200);
    assert_eq!(r.data()["company_id"], json!(d.to_string()));
    let got = company_ids(r.data());
    assert_eq!(got[0], d);
    assert_eq!(got.len(), 3);
    assert!(got.contains(&a) && got.contains(&b));
}

#[tokio::test]
async fn update_body_over_one_mib_is_413_and_changes_nothing() {
    let f = fixture().await;
    let r =
        f.s.post(
            &path(&f.c),
            &json!({"last_name": "Big", "junk": "z".repeat(1024 * 1024 + 1)}),
        )
        .await;
    assert_error(&r, 413);
    assert_eq!(f.s.contact(&cid(&f.c)).await, f.c);
}

#[tokio::test]
async fn failed_update_rolls_back_tags_and_primary_changes() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let primary = s
        .create_contact(json!({"first_name": "P", "company_id": co, "is_primary": true}))
        .await;
    s.create_contact(json!({
        "first_name": "L", "company_id": co, "email": "login@example.com", "password": "password-l"
    }))
    .await;
    let b = s
        .create_contact(json!({
            "first_name": "B", "company_id": co, "email": "b@example.com", "password": "password-b"
        }))
        .await;
    let r = s
        .post(
            &path(&b),
            &json!({"is_primary": true, "tags": ["brand-new"], "email": "LOGIN@example.com"}),
        )
        .await;
    assert_422(&r, &["email"]);
    assert_eq!(s.contact(&cid(&b)).await, b);
    assert_eq!(s.contact(&cid(&primary)).await, primary);
    let c = s
        .create_contact(json!({"first_name": "C", "company_id": co, "tags": ["BRAND-NEW"]}))
        .await;
    assert_eq!(
        tag_names(&c),
        vec!["BRAND-NEW"],
        "tag leaked from a failed update"
    );
}

#[tokio::test]
async fn email_and_password_together_move_the_login() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({
            "first_name": "A", "company_id": co, "email": "old@example.com", "password": "password-a"
        }))
        .await;
    s.post(
        &path(&a),
        &json!({"email": "new@example.com", "password": "password-a2"}),
    )
    .await
    .expect(200);
    let b = s
        .create_contact(json!({
            "first_name": "B", "company_id": co, "email": "old@example.com", "password": "password-b"
        }))
        .await;
    assert_eq!(b["has_portal_login"], json!(true));
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "C", "company_id": co, "email": "new@example.com", "password": "password-c"
            }),
        )
        .await;
    assert_422(&r, &["email"]);
}

#[tokio::test]
async fn unicode_login_emails_conflict_case_insensitively() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "A", "company_id": co, "email": "élodie@example.com", "password": "password-a"
            }),
        )
        .await;
    // Internationalised local parts are valid addresses (RFC 6531).
    r.expect(201);
    let r = s
        .post(
            "/contacts",
            &json!({
                "first_name": "B", "company_id": co, "email": "ÉLODIE@EXAMPLE.COM", "password": "password-b"
            }),
        )
        .await;
    assert_422(&r, &["email"]);
}
