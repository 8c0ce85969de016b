//! Concurrency and hostile inputs: the server answers with the contract's statuses, never a 500,
//! and never leaks internals.

use crate::support::*;
use reqwest::Method;
use serde_json::Value;

fn assert_no_leak(r: &Resp) {
    let lower = r.text.to_lowercase();
    for word in [
        "sqlite",
        "postgres",
        "panicked",
        "select ",
        "constraint",
        "syntax error",
    ] {
        assert!(
            !lower.contains(word),
            "internal detail {word:?} leaked: {r:#?}"
        );
    }
}

#[tokio::test]
async fn concurrent_logins_with_the_same_email_admit_exactly_one() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let reqs = (0..8)
        .map(|i| {
            let body = json!({
                "first_name": format!("C{i}"), "company_id": co,
                "email": if i % 2 == 0 { "race@example.com" } else { "RACE@example.com" },
                "password": "password-race"
            });
            (Method::POST, "/contacts".to_string(), Some(body))
        })
        .collect();
    let results = s.send_many(reqs).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    for r in &results {
        assert!(r.status == 201 || r.status == 422, "{r:#?}");
        if r.status == 422 {
            assert_422(r, &["email"]);
        }
    }
    assert_eq!(created, 1, "{results:#?}");
    let list = s.get("/contacts?has_portal_login=true").await;
    assert_eq!(list.body["meta"]["total"], json!(1));
}

#[tokio::test]
async fn concurrent_new_tags_are_created_once() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let reqs = (0..8)
        .map(|i| {
            let body = json!({
                "first_name": format!("C{i}"), "company_id": co,
                "tags": [if i % 2 == 0 { "Fresh" } else { "fresh" }, format!("own{i}")]
            });
            (Method::POST, "/contacts".to_string(), Some(body))
        })
        .collect();
    let results = s.send_many(reqs).await;
    let mut fresh_ids = Vec::new();
    for r in &results {
        r.expect(201);
        let tag = r.data()["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"].as_str().unwrap().eq_ignore_ascii_case("fresh"))
            .cloned()
            .unwrap();
        fresh_ids.push(tag["id"].clone());
    }
    fresh_ids.dedup();
    assert_eq!(fresh_ids.len(), 1, "{fresh_ids:?}");
    let r = s.get("/contacts?tag[in]=Fresh,fresh").await;
    assert_eq!(r.body["meta"]["total"], json!(8));
}

#[tokio::test]
async fn concurrent_primary_contacts_leave_exactly_one() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let reqs = (0..8)
        .map(|i| {
            let body = json!({"first_name": format!("P{i}"), "company_id": co, "is_primary": true});
            (Method::POST, "/contacts".to_string(), Some(body))
        })
        .collect();
    for r in s.send_many(reqs).await {
        r.expect(201);
    }
    let r = s.get("/contacts?is_primary=true").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(1), "{r:#?}");
}

#[tokio::test]
async fn concurrent_updates_and_deletes_never_500() {
    let s = TestServer::start().await;
    let c = s.quick_contact("A").await;
    let p = format!("/contacts/{}", cid(&c));
    let reqs = (0..10)
        .map(|i| {
            if i == 5 {
                (Method::DELETE, p.clone(), None)
            } else {
                let body = json!({"last_name": format!("L{i}"), "tags": [format!("t{i}")]});
                (Method::POST, p.clone(), Some(body))
            }
        })
        .collect();
    for r in s.send_many(reqs).await {
        assert!([200, 204, 404].contains(&r.status), "unexpected {r:#?}");
        assert_no_leak(&r);
    }
    assert_error(&s.get(&p).await, 404);
}

#[tokio::test]
async fn huge_page_numbers_do_not_overflow() {
    let s = TestServer::start().await;
    s.quick_contact("A").await;
    for q in [
        "page=9223372036854775807",
        "page=9223372036854775807&per_page=100",
        "page=4611686018427387904&per_page=100",
    ] {
        let r = s.get(&format!("/contacts?{q}")).await;
        assert_no_leak(&r);
        match r.status {
            200 => {
                assert_eq!(r.data(), &json!([]), "{q}");
                assert_eq!(r.body["meta"]["total"], json!(1));
                assert_eq!(r.body["meta"]["from"], Value::Null);
            }
            422 => assert_422(&r, &["page"]),
            _ => panic!("{q}: {r:#?}"),
        }
    }
    let r = s.get("/contacts?page=99999999999999999999").await;
    assert_422(&r, &["page"]);
}

#[tokio::test]
async fn hostile_filter_values_are_harmless() {
    let s = TestServer::start().await;
    s.quick_contact("O'Brien").await;
    for (q, n) in [
        (format!("first_name={}", enc("O'Brien")), 1),
        (format!("first_name={}", enc("' OR 1=1 --")), 0),
        (format!("first_name[contains]={}", enc("'")), 1),
        (format!("first_name[contains]={}", enc("\\")), 0),
        (format!("first_name[in]={}", enc("a','b")), 0),
        (format!("last_name[contains]={}", enc("%")), 0),
    ] {
        let r = s.get(&format!("/contacts?{q}")).await;
        assert_eq!(r.status, 200, "{q}: {r:#?}");
        assert_eq!(r.body["meta"]["total"], json!(n), "{q}");
    }
    let r = s
        .get(&format!(
            "/contacts?sort={}",
            enc("id; DROP TABLE contacts")
        ))
        .await;
    assert_422(&r, &["sort"]);
    assert_no_leak(&r);
    s.get("/contacts").await.expect(200);
}

#[tokio::test]
async fn huge_ids_in_filters_are_422_not_500() {
    let s = TestServer::start().await;
    for q in [
        "id=99999999999999999999",
        "company_id[in]=1,99999999999999999999",
    ] {
        let r = s.get(&format!("/contacts?{q}")).await;
        assert_eq!(r.status, 422, "{q}: {r:#?}");
        assert_no_leak(&r);
    }
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A", "company_id": "99999999999999999999"}),
        )
        .await;
    assert_422(&r, &["company_id"]);
    let r = s
        .post(
            "/contacts",
            &serde_json::from_str::<Value>(
                r#"{"first_name": "A", "company_id": 99999999999999999999}"#,
            )
            .unwrap(),
        )
        .await;
    assert_422(&r, &["company_id"]);
}

#[tokio::test]
async fn deeply_nested_json_is_rejected_cleanly() {
    let s = TestServer::start().await;
    let body = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let token = s.token.clone();
    let r = s
        .request(
            Method::POST,
            "/contacts",
            Some(&token),
            Some(body.into_bytes()),
            Some("application/json"),
            &[],
        )
        .await;
    assert!([400, 422].contains(&r.status), "{r:#?}");
    assert_no_leak(&r);
    s.get("/contacts").await.expect(200);
}

#[tokio::test]
async fn nul_and_control_characters_round_trip_or_are_rejected() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let r = s
        .post(
            "/contacts",
            &json!({"first_name": "A\u{0}B", "last_name": "x\u{7}y", "company_id": co}),
        )
        .await;
    assert_no_leak(&r);
    match r.status {
        201 => {
            let back = s.contact(&cid(r.data())).await;
            assert_eq!(back["first_name"], json!("A\u{0}B"));
        }
        422 => {}
        _ => panic!("{r:#?}"),
    }
}
