//! §5.5: tags on contacts and companies — `GET`, `POST` (add), `PUT` (replace) and
//! `DELETE /{type}/{id}/tags/{name}`.

use crate::support::*;
use serde_json::Value;

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `/contacts/{id}` and `/companies/{id}` of one fresh record each.
async fn records(s: &TestServer) -> Vec<String> {
    let contact = s.quick_contact("Ann").await;
    let company = s.create_company("Acme").await;
    vec![
        format!("/contacts/{}", cid(&contact)),
        format!("/companies/{company}"),
    ]
}

#[tokio::test]
async fn add_list_replace_and_remove() {
    let s = TestServer::start().await;
    for record in records(&s).await {
        let tags = format!("{record}/tags");
        let r = s.get(&tags).await;
        r.expect(200);
        assert_eq!(r.body, json!({"data": []}));

        let r = s
            .post(&tags, &json!({"tags": ["vip", " Wholesale ", "VIP"]}))
            .await;
        r.expect(200);
        assert_eq!(names(r.data()), ["vip", "Wholesale"]);
        let tag = &r.data()[0];
        assert!(tag["id"].is_i64());
        assert_eq!(
            (
                tag["description"].clone(),
                tag["icon"].clone(),
                tag["color"].clone()
            ),
            (Value::Null, Value::Null, Value::Null)
        );
        // Adding is cumulative and idempotent.
        let r = s.post(&tags, &json!({"tags": ["east", "vip"]})).await;
        assert_eq!(names(r.data()), ["east", "vip", "Wholesale"]);
        assert_eq!(
            names(s.get(&record).await.data().get("tags").expect("tags")),
            ["east", "vip", "Wholesale"]
        );

        let r = s.put(&tags, &json!({"tags": ["north", "EAST"]})).await;
        r.expect(200);
        assert_eq!(r.body["message"], "Tags replaced successfully");
        assert!(r.body.get("data").is_none());
        assert_eq!(names(&r.body["tags"]), ["east", "north"]);

        // Removing is by name, case-insensitively; a tag the record does not carry is 404.
        let r = s.delete(&format!("{tags}/NORTH")).await;
        r.expect(204);
        assert!(r.text.is_empty());
        assert_eq!(names(s.get(&tags).await.data()), ["east"]);
        assert_error(&s.delete(&format!("{tags}/north")).await, 404);
        assert_error(&s.delete(&format!("{tags}/never-existed")).await, 404);

        let r = s.put(&tags, &json!({"tags": []})).await;
        assert_eq!(r.body["tags"], json!([]));
        s.post(&tags, &json!({"tags": ["x"]})).await.expect(200);
        let r = s.put(&tags, &json!({"tags": null})).await;
        assert_eq!(r.body["tags"], json!([]));
    }
}

#[tokio::test]
async fn names_with_spaces_and_slashes_are_removed_by_encoded_name() {
    let s = TestServer::start().await;
    let company = s.create_company("Acme").await;
    let tags = format!("/companies/{company}/tags");
    s.post(&tags, &json!({"tags": ["Key Account", "a/b", "Ünïcode"]}))
        .await
        .expect(200);
    for name in ["key account", "a/b", "ünïcode"] {
        s.delete(&format!("{tags}/{}", enc(name))).await.expect(204);
    }
    assert_eq!(s.get(&tags).await.data(), &json!([]));
}

#[tokio::test]
async fn tags_are_shared_by_contacts_and_companies_of_a_tenant() {
    let s = TestServer::start().await;
    let paths = records(&s).await;
    let a = s
        .post(&format!("{}/tags", paths[0]), &json!({"tags": ["Shared"]}))
        .await;
    let b = s
        .post(&format!("{}/tags", paths[1]), &json!({"tags": ["shared"]}))
        .await;
    assert_eq!(a.data()[0]["id"], b.data()[0]["id"]);
    assert_eq!(b.data()[0]["name"], "Shared");
    let r = s.get("/contacts?tag=Shared").await;
    assert_eq!(r.body["meta"]["total"], 1);
    let r = s.get("/companies?tag=Shared").await;
    assert_eq!(r.body["meta"]["total"], 1);
    // Another tenant gets its own tag of that name.
    let token = s.token("globex");
    let company = s.create_company_as(&token, "G").await;
    let r = s
        .post_as(
            &format!("/companies/{company}/tags"),
            &token,
            &json!({"tags": ["Shared"]}),
        )
        .await;
    assert_ne!(r.data()[0]["id"], a.data()[0]["id"]);
}

#[tokio::test]
async fn bad_bodies_are_422_and_change_nothing() {
    let s = TestServer::start().await;
    for record in records(&s).await {
        let tags = format!("{record}/tags");
        s.post(&tags, &json!({"tags": ["keep"]})).await.expect(200);
        assert_422(&s.post(&tags, &json!({})).await, &["tags"]);
        assert_422(&s.post(&tags, &json!({"tags": null})).await, &["tags"]);
        assert_422(&s.post(&tags, &json!({"tags": "vip"})).await, &["tags"]);
        assert_422(
            &s.post(&tags, &json!({"tags": ["ok", "", 5, "x".repeat(256)]}))
                .await,
            &["tags.1", "tags.2", "tags.3"],
        );
        assert_422(&s.put(&tags, &json!({})).await, &["tags"]);
        assert_422(
            &s.put(&tags, &json!({"tags": [["nested"]]})).await,
            &["tags.0"],
        );
        assert_error(&s.post(&tags, &json!([1])).await, 400);
        assert_eq!(names(s.get(&tags).await.data()), ["keep"]);
        let r = s.patch(&tags, &json!({"tags": []})).await;
        r.expect(405);
        assert!(r.header("allow").is_some());
    }
}

#[tokio::test]
async fn unknown_and_foreign_records_are_404() {
    let s = TestServer::start().await;
    let paths = records(&s).await;
    let token = s.token("globex");
    for record in paths
        .iter()
        .map(String::as_str)
        .chain(["/contacts/999999", "/companies/999999"])
    {
        let tags = format!("{record}/tags");
        let foreign = record.ends_with("999999");
        let t = if foreign {
            s.token.clone()
        } else {
            token.clone()
        };
        assert_error(&s.get_as(&tags, &t).await, 404);
        assert_error(&s.post_as(&tags, &t, &json!({"tags": ["x"]})).await, 404);
        assert_error(
            &s.send_as(
                reqwest::Method::PUT,
                &tags,
                &t,
                Some(&json!({"tags": ["x"]})),
            )
            .await,
            404,
        );
        assert_error(&s.delete_as(&format!("{tags}/x"), &t).await, 404);
    }
    for record in &paths {
        assert_eq!(s.get(&format!("{record}/tags")).await.data(), &json!([]));
    }
    assert_error(&s.get("/contacts/abc/tags").await, 404);
}

#[tokio::test]
async fn tag_changes_move_updated_at() {
    let s = TestServer::start().await;
    for record in records(&s).await {
        let before = s.get(&record).await.data()["updated_at"].clone();
        s.clock().advance(1);
        s.post(&format!("{record}/tags"), &json!({"tags": []}))
            .await
            .expect(200);
        assert_eq!(
            s.get(&record).await.data()["updated_at"],
            before,
            "{record}"
        );
        s.post(&format!("{record}/tags"), &json!({"tags": ["new"]}))
            .await
            .expect(200);
        assert_ne!(
            s.get(&record).await.data()["updated_at"],
            before,
            "{record}"
        );
    }
}
