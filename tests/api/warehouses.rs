//! Warehouses (issue 10): `/warehouses` list, get, create, update, delete; the default warehouse of
//! every tenant; unique names; parents without cycles; the 409s of delete; tenant isolation.

use crate::support::*;
use reqwest::Method;
use serde_json::Value;

const MAIN: &str = "Main Warehouse";
const NAME_TAKEN: &str = "The name has already been taken.";
const PARENT_INVALID: &str = "The selected parent id is invalid.";
const STATUS_INVALID: &str = "The selected status is invalid. Use active or inactive.";
const DELETE_LAST: &str = "The warehouse cannot be deleted: it is the only warehouse, and there must \
                           always be one. Create another warehouse first.";

async fn create(s: &TestServer, body: Value) -> Value {
    let r = s.post("/warehouses", &body).await;
    r.expect(201);
    r.data().clone()
}

async fn create_as(s: &TestServer, token: &str, body: Value) -> Value {
    let r = s.post_as("/warehouses", token, &body).await;
    r.expect(201);
    r.data().clone()
}

fn id_of(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id is not an integer: {v}"))
}

/// The tenant's warehouses, in the default order.
async fn all(s: &TestServer, token: &str) -> Vec<Value> {
    let r = s.get_as("/warehouses?per_page=100", token).await;
    r.expect(200);
    r.data().as_array().cloned().unwrap_or_default()
}

/// The id of the tenant's "Main Warehouse".
async fn main_id(s: &TestServer, token: &str) -> i64 {
    let list = all(s, token).await;
    let main = list
        .iter()
        .find(|w| w["name"] == MAIN)
        .unwrap_or_else(|| panic!("no {MAIN}: {list:?}"));
    id_of(main)
}

/// Names of a list answer, in order.
fn names(r: &Resp) -> Vec<String> {
    r.expect(200);
    r.data()
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| w["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A 422 whose `errors` is exactly `errors` and whose `message` is the first message, followed by
/// Laravel's count of the others.
#[track_caller]
fn assert_errors(r: &Resp, errors: Value) {
    r.expect(422);
    assert_eq!(r.body["errors"], errors, "{r:#?}");
    let messages: Vec<&str> = errors
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
        .flat_map(|v| v.as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let summary = match messages.len() {
        0 => String::new(),
        1 => messages[0].to_owned(),
        2 => format!("{} (and 1 more error)", messages[0]),
        n => format!("{} (and {} more errors)", messages[0], n - 1),
    };
    assert_eq!(r.body["message"], json!(summary), "{r:#?}");
}

#[tokio::test]
async fn every_new_tenant_has_a_main_warehouse() {
    let s = TestServer::start().await;
    let list = all(&s, &s.token).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let main = &list[0];
    let mut keys: Vec<&String> = main.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "id",
            "name",
            "parent_id",
            "status",
            "updated_at"
        ]
    );
    assert_eq!(main["name"], MAIN);
    assert_eq!(main["status"], "active");
    assert_eq!(main["parent_id"], Value::Null);
    assert!(main["id"].is_i64(), "{main}");
    for field in ["created_at", "updated_at"] {
        let t = main[field].as_str().unwrap_or_default();
        assert!(is_timestamp(t), "{field}: {t:?}");
    }
    // Another tenant gets its own.
    let globex = s.token("globex");
    let theirs = all(&s, &globex).await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["name"], MAIN);
    assert_ne!(theirs[0]["id"], main["id"]);
    // A second token of an existing tenant adds none.
    let again = s.token("acme");
    assert_eq!(all(&s, &again).await, list);
}

#[tokio::test]
async fn create_get_update_delete() {
    let s = TestServer::start().await;
    let main = main_id(&s, &s.token).await;
    let r = s
        .post(
            "/warehouses",
            &json!({"name": "  Dock 4 ", "id": 999, "created_at": "2000-01-01T00:00:00Z", "junk": [1]}),
        )
        .await;
    r.expect(201);
    let w = r.data().clone();
    assert_eq!(w["name"], "Dock 4");
    assert_eq!(w["status"], "active");
    assert_eq!(w["parent_id"], Value::Null);
    assert_ne!(w["id"], json!(999));
    assert_eq!(w["created_at"], w["updated_at"]);
    assert_ne!(w["created_at"], "2000-01-01T00:00:00Z");
    let id = id_of(&w);
    let path = format!("/warehouses/{id}");
    let r = s.get(&path).await;
    r.expect(200);
    assert_eq!(r.data(), &w);

    let child = create(
        &s,
        json!({"name": "Shelf", "status": "inactive", "parent_id": id}),
    )
    .await;
    assert_eq!(child["status"], "inactive");
    assert_eq!(child["parent_id"], json!(id));

    // POST, PUT and PATCH update alike, partially.
    for (verb, name) in [
        (Method::POST, "Dock A"),
        (Method::PUT, "Dock B"),
        (Method::PATCH, "Dock C"),
    ] {
        let r = s.send(verb, &path, Some(&json!({"name": name}))).await;
        r.expect(200);
        assert_eq!(r.data()["name"], name);
        assert_eq!(r.data()["status"], "active");
        assert_eq!(r.data()["id"], json!(id));
    }
    let r = s
        .patch(&path, &json!({"status": "inactive", "parent_id": main}))
        .await;
    r.expect(200);
    assert_eq!(r.data()["name"], "Dock C");
    assert_eq!(r.data()["status"], "inactive");
    assert_eq!(r.data()["parent_id"], json!(main));
    // A digit string is an id too; null clears the parent.
    let r = s.put(&path, &json!({"parent_id": main.to_string()})).await;
    assert_eq!(r.expect(200).data()["parent_id"], json!(main));
    let r = s.put(&path, &json!({"parent_id": null})).await;
    assert_eq!(r.expect(200).data()["parent_id"], Value::Null);
    assert_eq!(s.get(&path).await.data(), r.data());

    // An empty body changes nothing.
    let before = s.get(&path).await.data().clone();
    let token = s.token.clone();
    let r = s
        .request(Method::POST, &path, Some(&token), None, None, &[])
        .await;
    assert_eq!(r.expect(200).data(), &before);

    let child_path = format!("/warehouses/{}", id_of(&child));
    let r = s.delete(&child_path).await;
    r.expect(204);
    assert_eq!(r.text, "");
    assert_error(&s.get(&child_path).await, 404);
    assert_error(&s.delete(&child_path).await, 404);
    assert_error(&s.post(&child_path, &json!({"name": "Back"})).await, 404);
    s.delete(&path).await.expect(204);
    assert_eq!(all(&s, &s.token).await.len(), 1);
}

#[tokio::test]
async fn bad_ids_in_the_path_are_404() {
    let s = TestServer::start().await;
    for id in ["0", "-1", "abc", "1.5", "99999999999999999999", "%20"] {
        assert_error(&s.get(&format!("/warehouses/{id}")).await, 404);
        assert_error(
            &s.post(&format!("/warehouses/{id}"), &json!({"name": "X"}))
                .await,
            404,
        );
        assert_error(&s.delete(&format!("/warehouses/{id}")).await, 404);
    }
}

#[tokio::test]
async fn create_validation_reports_every_error_with_its_message() {
    let s = TestServer::start().await;
    let required = json!({"name": ["The name field is required."]});
    for body in [
        json!({}),
        json!({"name": null}),
        json!({"name": ""}),
        json!({"name": "   "}),
    ] {
        assert_errors(&s.post("/warehouses", &body).await, required.clone());
    }
    assert_errors(
        &s.post("/warehouses", &json!({"name": 5})).await,
        json!({"name": ["The name field must be a string."]}),
    );
    assert_errors(
        &s.post("/warehouses", &json!({"name": "x".repeat(256)}))
            .await,
        json!({"name": ["The name field must not be greater than 255 characters."]}),
    );
    assert_errors(
        &s.post("/warehouses", &json!({"name": "a\u{0}b"})).await,
        json!({"name": ["The name field must not contain NUL characters."]}),
    );
    // 255 characters (not bytes) are fine.
    let long = create(&s, json!({"name": "é".repeat(255)})).await;
    assert_eq!(long["name"].as_str().map(|n| n.chars().count()), Some(255));

    for status in ["closed", "Active ish", "0"] {
        assert_errors(
            &s.post("/warehouses", &json!({"name": "W", "status": status}))
                .await,
            json!({"status": [STATUS_INVALID]}),
        );
    }
    for status in [json!(1), json!(true), json!(["active"])] {
        assert_errors(
            &s.post("/warehouses", &json!({"name": "W", "status": status}))
                .await,
            json!({"status": ["The status field must be a string."]}),
        );
    }
    for parent in [
        json!("x"),
        json!(1.5),
        json!("-1"),
        json!(true),
        json!({"id": 1}),
    ] {
        assert_errors(
            &s.post("/warehouses", &json!({"name": "W", "parent_id": parent}))
                .await,
            json!({"parent_id": ["The parent id field must be an integer."]}),
        );
    }
    for parent in [json!(999_999), json!(0), json!(-4)] {
        assert_errors(
            &s.post("/warehouses", &json!({"name": "W", "parent_id": parent}))
                .await,
            json!({"parent_id": [PARENT_INVALID]}),
        );
    }
    // Everything at once, in field order; then the store's checks.
    assert_errors(
        &s.post("/warehouses", &json!({"status": "nope", "parent_id": "x"}))
            .await,
        json!({
            "name": ["The name field is required."],
            "status": [STATUS_INVALID],
            "parent_id": ["The parent id field must be an integer."],
        }),
    );
    assert_errors(
        &s.post(
            "/warehouses",
            &json!({"name": "main warehouse", "parent_id": 999_999}),
        )
        .await,
        json!({"name": [NAME_TAKEN], "parent_id": [PARENT_INVALID]}),
    );
    // Nothing of the refused requests was stored.
    assert_eq!(all(&s, &s.token).await.len(), 2);
}

#[tokio::test]
async fn update_validation() {
    let s = TestServer::start().await;
    let w = create(&s, json!({"name": "Dock"})).await;
    let path = format!("/warehouses/{}", id_of(&w));
    for body in [json!({"name": null}), json!({"name": " "})] {
        assert_errors(
            &s.post(&path, &body).await,
            json!({"name": ["The name field is required."]}),
        );
    }
    assert_errors(
        &s.patch(
            &path,
            &json!({"name": [], "status": "gone", "parent_id": "two"}),
        )
        .await,
        json!({
            "name": ["The name field must be a string."],
            "status": [STATUS_INVALID],
            "parent_id": ["The parent id field must be an integer."],
        }),
    );
    assert_eq!(s.get(&path).await.data(), &w);
}

#[tokio::test]
async fn status_is_active_or_inactive_read_case_insensitively() {
    let s = TestServer::start().await;
    let w = create(&s, json!({"name": "A", "status": " INACTIVE "})).await;
    assert_eq!(w["status"], "inactive");
    let path = format!("/warehouses/{}", id_of(&w));
    let r = s.post(&path, &json!({"status": "Active"})).await;
    assert_eq!(r.expect(200).data()["status"], "active");
    s.post(&path, &json!({"status": "inactive"}))
        .await
        .expect(200);
    // null (or an empty string) means the default, active.
    let r = s.post(&path, &json!({"status": null})).await;
    assert_eq!(r.expect(200).data()["status"], "active");
    s.post(&path, &json!({"status": "inactive"}))
        .await
        .expect(200);
    let r = s.post(&path, &json!({"status": ""})).await;
    assert_eq!(r.expect(200).data()["status"], "active");
    let w = create(&s, json!({"name": "B", "status": null})).await;
    assert_eq!(w["status"], "active");
}

#[tokio::test]
async fn names_are_unique_per_tenant_case_insensitively() {
    let s = TestServer::start().await;
    let dock = create(&s, json!({"name": "Dock"})).await;
    let yard = create(&s, json!({"name": "Yard"})).await;
    for name in ["Dock", "dock", " DOCK ", MAIN, "MAIN WAREHOUSE"] {
        assert_errors(
            &s.post("/warehouses", &json!({"name": name})).await,
            json!({"name": [NAME_TAKEN]}),
        );
    }
    let yard_path = format!("/warehouses/{}", id_of(&yard));
    assert_errors(
        &s.post(&yard_path, &json!({"name": "dOCK"})).await,
        json!({"name": [NAME_TAKEN]}),
    );
    assert_eq!(s.get(&yard_path).await.data(), &yard);
    // A warehouse may change the case of its own name.
    let dock_path = format!("/warehouses/{}", id_of(&dock));
    let r = s.post(&dock_path, &json!({"name": "DOCK"})).await;
    assert_eq!(r.expect(200).data()["name"], "DOCK");
    // Names of other tenants do not count; a freed name is free again.
    let globex = s.token("globex");
    create_as(&s, &globex, json!({"name": "dock"})).await;
    s.delete(&yard_path).await.expect(204);
    create(&s, json!({"name": "yard"})).await;
}

#[tokio::test]
async fn parents_are_warehouses_of_the_tenant_and_never_form_a_loop() {
    let s = TestServer::start().await;
    let a = id_of(&create(&s, json!({"name": "A"})).await);
    let b = id_of(&create(&s, json!({"name": "B", "parent_id": a})).await);
    let c = id_of(&create(&s, json!({"name": "C", "parent_id": b})).await);
    let path_a = format!("/warehouses/{a}");
    assert_errors(
        &s.post(&path_a, &json!({"parent_id": a})).await,
        json!({"parent_id": ["The parent id must be another warehouse than this one."]}),
    );
    for descendant in [b, c] {
        assert_errors(
            &s.post(&path_a, &json!({"parent_id": descendant})).await,
            json!({"parent_id": ["The parent id would make the warehouse its own ancestor."]}),
        );
    }
    // Another tenant's warehouse is no parent, and that tenant cannot hang its own under ours.
    let globex = s.token("globex");
    let theirs = main_id(&s, &globex).await;
    assert_errors(
        &s.post(&path_a, &json!({"parent_id": theirs})).await,
        json!({"parent_id": [PARENT_INVALID]}),
    );
    assert_errors(
        &s.post("/warehouses", &json!({"name": "X", "parent_id": theirs}))
            .await,
        json!({"parent_id": [PARENT_INVALID]}),
    );
    assert_errors(
        &s.post_as(
            "/warehouses",
            &globex,
            &json!({"name": "X", "parent_id": a}),
        )
        .await,
        json!({"parent_id": [PARENT_INVALID]}),
    );
    // Moving a subtree elsewhere is fine.
    let r = s
        .post(&format!("/warehouses/{c}"), &json!({"parent_id": a}))
        .await;
    assert_eq!(r.expect(200).data()["parent_id"], json!(a));
    let r = s
        .post(&format!("/warehouses/{b}"), &json!({"parent_id": c}))
        .await;
    assert_eq!(r.expect(200).data()["parent_id"], json!(c));
}

#[tokio::test]
async fn hierarchies_are_at_most_fifty_warehouses_deep() {
    let s = TestServer::start().await;
    // The main warehouse, then 51 below it in a chain: the last has 51 warehouses above it.
    let mut parent = main_id(&s, &s.token).await;
    for i in 0..51 {
        parent = id_of(
            &create(
                &s,
                json!({"name": format!("Level {i}"), "parent_id": parent}),
            )
            .await,
        );
    }
    let deepest = parent;
    assert_errors(
        &s.post(
            "/warehouses",
            &json!({"name": "Too deep", "parent_id": deepest}),
        )
        .await,
        json!({"parent_id": ["The parent id must not have more than 50 warehouses above it."]}),
    );
    // Under a parent with 50 above it is still fine.
    let list = all(&s, &s.token).await;
    let level_49 = list
        .iter()
        .find(|w| w["name"] == "Level 49")
        .map(id_of)
        .unwrap_or_default();
    create(&s, json!({"name": "Deep enough", "parent_id": level_49})).await;
}

#[tokio::test]
async fn updated_at_moves_only_when_something_changes() {
    let s = TestServer::start().await;
    let parent = id_of(&create(&s, json!({"name": "P"})).await);
    let w = create(&s, json!({"name": "Dock", "status": "active"})).await;
    let path = format!("/warehouses/{}", id_of(&w));
    s.clock().advance(1);
    for body in [
        json!({}),
        json!({"name": "Dock"}),
        json!({"name": " Dock ", "status": "ACTIVE", "parent_id": null}),
    ] {
        let r = s.post(&path, &body).await;
        assert_eq!(r.expect(200).data(), &w, "{body}");
    }
    for (i, body) in [
        json!({"name": "dock"}),
        json!({"status": "inactive"}),
        json!({"parent_id": parent}),
    ]
    .into_iter()
    .enumerate()
    {
        s.clock().advance(1);
        let before = s.get(&path).await.data().clone();
        let r = s.post(&path, &body).await;
        let after = r.expect(200).data().clone();
        assert_eq!(after["created_at"], w["created_at"], "{body}");
        assert_ne!(after["updated_at"], before["updated_at"], "{body}");
        assert!(
            after["updated_at"].as_str() > before["updated_at"].as_str(),
            "step {i}: {after} after {before}"
        );
    }
}

#[tokio::test]
async fn delete_is_409_for_the_last_warehouse_and_for_a_parent() {
    let s = TestServer::start().await;
    let main = main_id(&s, &s.token).await;
    let main_path = format!("/warehouses/{main}");
    let r = s.delete(&main_path).await;
    r.expect(409);
    assert_eq!(r.body, json!({"message": DELETE_LAST}));

    let a = id_of(&create(&s, json!({"name": "A", "parent_id": main})).await);
    let r = s.delete(&main_path).await;
    r.expect(409);
    assert_eq!(
        r.body,
        json!({"message": "The warehouse cannot be deleted: it is the parent of 1 warehouse. Move or delete them first."})
    );
    create(&s, json!({"name": "B", "parent_id": main})).await;
    let r = s.delete(&main_path).await;
    r.expect(409);
    assert_eq!(
        r.body,
        json!({"message": "The warehouse cannot be deleted: it is the parent of 2 warehouses. Move or delete them first."})
    );
    // A leaf goes; the main warehouse may go too once it has no children and is not the last.
    s.delete(&format!("/warehouses/{a}")).await.expect(204);
    let b = all(&s, &s.token)
        .await
        .iter()
        .find(|w| w["name"] == "B")
        .map(id_of)
        .unwrap_or_default();
    s.post(&format!("/warehouses/{b}"), &json!({"parent_id": null}))
        .await
        .expect(200);
    s.delete(&main_path).await.expect(204);
    let r = s.delete(&format!("/warehouses/{b}")).await;
    r.expect(409);
    assert_eq!(r.body, json!({"message": DELETE_LAST}));
    assert_eq!(names(&s.get("/warehouses").await), ["B"]);
}

#[tokio::test]
async fn another_tenants_warehouse_is_404() {
    let s = TestServer::start().await;
    let globex = s.token("globex");
    let theirs = create_as(&s, &globex, json!({"name": "Theirs"})).await;
    let path = format!("/warehouses/{}", id_of(&theirs));
    assert_error(&s.get(&path).await, 404);
    for verb in [Method::POST, Method::PUT, Method::PATCH] {
        assert_error(
            &s.send(verb, &path, Some(&json!({"name": "Mine"}))).await,
            404,
        );
    }
    assert_error(&s.delete(&path).await, 404);
    assert_eq!(names(&s.get("/warehouses").await), [MAIN]);
    assert_eq!(
        names(&s.get("/warehouses?name=Theirs").await),
        [] as [&str; 0]
    );
    // Untouched for its owner.
    let r = s.get_as(&path, &globex).await;
    assert_eq!(r.expect(200).data(), &theirs);
}

#[tokio::test]
async fn warehouses_need_a_token() {
    let s = TestServer::start().await;
    for (method, path) in [
        (Method::GET, "/warehouses"),
        (Method::POST, "/warehouses"),
        (Method::GET, "/warehouses/1"),
        (Method::PUT, "/warehouses/1"),
        (Method::DELETE, "/warehouses/1"),
    ] {
        assert_401(&s.request(method.clone(), path, None, None, None, &[]).await);
        assert_401(
            &s.request(method, path, Some("rdx_wrong"), None, None, &[])
                .await,
        );
    }
}

/// The login check of the Luminous CLI: `GET /warehouses?per_page=1` with `Accept:
/// application/json`; 200 with `data` and `meta` for a good key, 401 for a bad one.
#[tokio::test]
async fn the_cli_login_check_answers_200_or_401() {
    let s = TestServer::start().await;
    let headers = [("Accept", "application/json")];
    let token = s.token.clone();
    let r = s
        .request(
            Method::GET,
            "/warehouses?per_page=1",
            Some(&token),
            None,
            None,
            &headers,
        )
        .await;
    r.expect(200);
    assert_eq!(r.data().as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["meta"]["last_page"], json!(1));
    assert_eq!(r.body["meta"]["per_page"], json!(1));
    let r = s
        .request(
            Method::GET,
            "/warehouses?per_page=1",
            Some("rdx_0000000000000000000000000000000000000000"),
            None,
            None,
            &headers,
        )
        .await;
    assert_401(&r);
}

/// Creates warehouses A..E (and the main one), advancing the clock one second before each, so
/// their `created_at` differ; C and E are inactive; D and E have A as their parent.
async fn seed_list(s: &TestServer) -> Vec<Value> {
    let mut out = vec![];
    let mut a = 0;
    for (name, status, child_of_a) in [
        ("Alpha", "active", false),
        ("bravo", "active", false),
        ("Charlie", "inactive", false),
        ("Delta", "active", true),
        ("echo", "inactive", true),
    ] {
        s.clock().advance(1);
        let parent = if child_of_a { json!(a) } else { Value::Null };
        let w = create(
            s,
            json!({"name": name, "status": status, "parent_id": parent}),
        )
        .await;
        if name == "Alpha" {
            a = id_of(&w);
        }
        out.push(w);
    }
    out
}

#[tokio::test]
async fn list_filters() {
    let s = TestServer::start().await;
    let seeded = seed_list(&s).await;
    let a = id_of(&seeded[0]);
    let main = main_id(&s, &s.token).await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "".into(),
            vec![MAIN, "Alpha", "bravo", "Charlie", "Delta", "echo"],
        ),
        ("name=Alpha".into(), vec!["Alpha"]),
        ("name=alpha".into(), vec![]),
        ("name[contains]=ha".into(), vec!["Alpha", "Charlie"]),
        ("name[notcontains]=a".into(), vec!["echo"]),
        ("name[in]=bravo,echo,zulu".into(), vec!["bravo", "echo"]),
        ("status=inactive".into(), vec!["Charlie", "echo"]),
        (
            "status[neq]=inactive".into(),
            vec![MAIN, "Alpha", "bravo", "Delta"],
        ),
        (format!("parent_id={a}"), vec!["Delta", "echo"]),
        (format!("parent_id[in]={a},{main}"), vec!["Delta", "echo"]),
        ("parent_id[set]".into(), vec!["Delta", "echo"]),
        (
            "parent_id[notset]".into(),
            vec![MAIN, "Alpha", "bravo", "Charlie"],
        ),
        (format!("id[gt]={a}&status=active"), vec!["bravo", "Delta"]),
        (format!("status=inactive&parent_id={a}"), vec!["echo"]),
    ];
    for (query, want) in cases {
        assert_eq!(
            names(&s.get(&format!("/warehouses?{query}")).await),
            want,
            "{query}"
        );
    }
    // Dates: created_at of Charlie, as sent back; the day filter takes whole UTC days.
    let charlie_at = seeded[2]["created_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let enc = charlie_at.replace('+', "%2B");
    assert_eq!(
        names(&s.get(&format!("/warehouses?created_at[gt]={enc}")).await),
        ["Delta", "echo"]
    );
    assert_eq!(
        names(
            &s.get(&format!(
                "/warehouses?created_at[lte]={enc}&name[neq]={}",
                MAIN.replace(' ', "%20")
            ))
            .await
        ),
        ["Alpha", "bravo", "Charlie"]
    );
    // updated_at moves with an update: only bravo is newer than everything seeded.
    s.clock().advance(5);
    let bravo = id_of(&seeded[1]);
    s.post(
        &format!("/warehouses/{bravo}"),
        &json!({"status": "inactive"}),
    )
    .await
    .expect(200);
    let echo_at = seeded[4]["updated_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        names(
            &s.get(&format!("/warehouses?updated_at[gt]={echo_at}"))
                .await
        ),
        ["bravo"]
    );
}

#[tokio::test]
async fn list_sorts_and_pages() {
    let s = TestServer::start().await;
    seed_list(&s).await;
    // Byte order: upper case before lower case.
    assert_eq!(
        names(&s.get("/warehouses?sort=name:asc").await),
        ["Alpha", "Charlie", "Delta", MAIN, "bravo", "echo"]
    );
    assert_eq!(
        names(&s.get("/warehouses?sort=name:desc").await),
        ["echo", "bravo", MAIN, "Delta", "Charlie", "Alpha"]
    );
    assert_eq!(
        names(&s.get("/warehouses?sort=created_at:desc&per_page=3").await),
        ["echo", "Delta", "Charlie"]
    );
    assert_eq!(
        names(&s.get("/warehouses?sort=id:desc&status=active").await),
        ["Delta", "bravo", "Alpha", MAIN]
    );
    // Pages: Laravel's meta, and an empty page past the end.
    let r = s.get("/warehouses?per_page=4&page=2").await;
    assert_eq!(names(&r), ["Delta", "echo"]);
    assert_eq!(
        r.body["meta"],
        json!({"current_page": 2, "from": 5, "last_page": 2, "per_page": 4, "to": 6, "total": 6})
    );
    let r = s.get("/warehouses?per_page=4&page=3").await;
    assert_eq!(names(&r), [] as [&str; 0]);
    assert_eq!(r.body["meta"]["from"], Value::Null);
    assert_eq!(r.body["meta"]["total"], json!(6));
    // The default page size is 10, as for every list.
    let r = s.get("/warehouses").await;
    assert_eq!(r.body["meta"]["per_page"], json!(10));
}

#[tokio::test]
async fn list_refuses_what_it_does_not_know() {
    let s = TestServer::start().await;
    let cases = [
        (
            "sort=updated_at:asc",
            "sort",
            "Sorting by updated_at is not supported.",
        ),
        ("sort=status", "sort", "Sorting by status is not supported."),
        (
            "sort=parent_id:asc",
            "sort",
            "Sorting by parent_id is not supported.",
        ),
        (
            "sort=name:up",
            "sort",
            "The sort direction must be asc or desc.",
        ),
        ("city=Austin", "city", "Filtering by city is not supported."),
        (
            "name[gt]=a",
            "name[gt]",
            "The gt operator is not supported for name.",
        ),
        (
            "parent_id=x",
            "parent_id",
            "The parent_id filter must be an integer.",
        ),
        (
            "status[contains]=",
            "status[contains]",
            "The status[contains] filter needs a value.",
        ),
        (
            "created_at=yesterday",
            "created_at",
            "The created_at filter must be a date (YYYY-MM-DD) or an RFC 3339 date-time.",
        ),
        (
            "per_page=101",
            "per_page",
            "The per page field must be between 1 and 100.",
        ),
        (
            "per_page=0",
            "per_page",
            "The per page field must be between 1 and 100.",
        ),
        ("page=0", "page", "The page field must be at least 1."),
    ];
    for (query, key, message) in cases {
        let r = s.get(&format!("/warehouses?{query}")).await;
        assert_errors(&r, json!({ key: [message] }));
    }
    let many: Vec<String> = (0..501).map(|i| i.to_string()).collect();
    let r = s
        .get(&format!("/warehouses?id[in]={}", many.join(",")))
        .await;
    assert_errors(
        &r,
        json!({"id[in]": ["The id[in] filter must not have more than 500 items."]}),
    );
}

/// A database from before warehouses (schema version 2) gets a "Main Warehouse" for every tenant
/// when migration 3 runs.
#[tokio::test]
async fn the_migration_gives_every_existing_tenant_a_main_warehouse() {
    let s = TestServer::start().await;
    create(&s, json!({"name": "Dock"})).await;
    // Back to version 2: no warehouses table, and a tenant made then.
    s.server
        .database()
        .transact::<_, rolodex::store::StoreError>(async |tx| {
            tx.execute("DROP TABLE warehouses", &[]).await?;
            tx.execute("DELETE FROM schema_migrations WHERE version = 3", &[])
                .await?;
            tx.execute(
                "INSERT INTO tenants (slug, created_at) VALUES ('legacy', 0)",
                &[],
            )
            .await
        })
        .await
        .expect("going back to schema version 2");
    // Opening the database again migrates it.
    let again = RunningServer::start(&s.db, &[]);
    let legacy = again.create_token("legacy", None);
    for token in [s.token.as_str(), legacy.as_str()] {
        let r = client()
            .get(format!("{}{API}/warehouses", again.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /warehouses");
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = r.json().await.expect("JSON");
        let list = body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 1, "{body}");
        assert_eq!(list[0]["name"], MAIN);
        assert_eq!(list[0]["status"], "active");
        assert_eq!(list[0]["parent_id"], Value::Null);
    }
}

/// Rounds of each race below.
const RACE_ROUNDS: usize = 10;

/// Concurrent writes that depend on other warehouses keep the rules: two deletes never remove the
/// last two warehouses, two re-parentings never close a loop, a child is never hung under a
/// warehouse being deleted, and two creates never share a name. (On PostgreSQL these really
/// interleave; on SQLite the writer serialises them.)
#[tokio::test]
async fn concurrent_writes_keep_every_rule() {
    let s = TestServer::start().await;
    let mut root = main_id(&s, &s.token).await;
    for round in 0..RACE_ROUNDS {
        // The last two: one delete wins, the other is the last-warehouse 409.
        let other = id_of(&create(&s, json!({"name": format!("Other {round}")})).await);
        let results = s
            .send_many(vec![
                (Method::DELETE, format!("/warehouses/{root}"), None),
                (Method::DELETE, format!("/warehouses/{other}"), None),
            ])
            .await;
        let mut statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [204, 409], "{results:#?}");
        let left = all(&s, &s.token).await;
        assert_eq!(left.len(), 1, "{left:?}");
        // Whichever survived is the root of the next round.
        let survivor = id_of(&left[0]);
        let (a, b) = (
            survivor,
            id_of(&create(&s, json!({"name": format!("B {round}")})).await),
        );
        let results = s
            .send_many(vec![
                (
                    Method::PATCH,
                    format!("/warehouses/{a}"),
                    Some(json!({"parent_id": b})),
                ),
                (
                    Method::PATCH,
                    format!("/warehouses/{b}"),
                    Some(json!({"parent_id": a})),
                ),
            ])
            .await;
        let mut statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 422], "{results:#?}");
        let refused = results.iter().find(|r| r.status == 422).expect("a 422");
        assert_errors(
            refused,
            json!({"parent_id": ["The parent id would make the warehouse its own ancestor."]}),
        );
        // Untangle: both roots again, then a child hung under B while B is deleted.
        for id in [a, b] {
            s.patch(&format!("/warehouses/{id}"), &json!({"parent_id": null}))
                .await
                .expect(200);
        }
        let results = s
            .send_many(vec![
                (Method::DELETE, format!("/warehouses/{b}"), None),
                (
                    Method::POST,
                    "/warehouses".to_owned(),
                    Some(json!({"name": format!("Child {round}"), "parent_id": b})),
                ),
                (
                    Method::POST,
                    "/warehouses".to_owned(),
                    Some(json!({"name": format!("Twin {round}")})),
                ),
                (
                    Method::POST,
                    "/warehouses".to_owned(),
                    Some(json!({"name": format!("twin {round}")})),
                ),
            ])
            .await;
        match (results[0].status, results[1].status) {
            // The delete first: the child names a warehouse that is gone.
            (204, 422) => assert_errors(&results[1], json!({"parent_id": [PARENT_INVALID]})),
            // The child first: B has a child and stays.
            (409, 201) => {}
            other => panic!("unexpected outcome {other:?}: {results:#?}"),
        }
        let mut statuses: Vec<u16> = results[2..].iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 422], "{results:#?}");
        // Clean up for the next round: only `a` stays.
        for w in all(&s, &s.token).await {
            let id = id_of(&w);
            if id != a && w["parent_id"] != Value::Null {
                s.delete(&format!("/warehouses/{id}")).await.expect(204);
            }
        }
        for w in all(&s, &s.token).await {
            let id = id_of(&w);
            if id != a {
                s.delete(&format!("/warehouses/{id}")).await.expect(204);
            }
        }
        assert_eq!(all(&s, &s.token).await.len(), 1);
        root = a;
    }
}
