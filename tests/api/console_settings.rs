//! The console's settings pages, server side: custom-field definitions (create, edit, delete with
//! the API's 422 messages at their fields) and tags (counts, rename, merge, delete, each moving
//! the `updated_at` of the records whose tags change); tenant scoping, CSRF and escaping.

use crate::console::Console;
use crate::support::*;
use serde_json::Value;

const FIELDS: &str = "/console/settings/custom-fields";
const TAGS: &str = "/console/settings/tags";

fn base(s: &TestServer) -> String {
    s.url("")
}

/// The message the API answers for `field` of this body at `path`.
async fn api_message(s: &TestServer, path: &str, body: &Value, field: &str) -> String {
    let r = s.post(path, body).await;
    r.expect(422);
    r.body["errors"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no error at {field}: {:?}", r.body))
        .to_owned()
}

fn shows_error_at(html: &str, field: &str, message: &str) -> bool {
    html.contains(&format!("id=\"{field}-error\" role=\"alert\">{message}"))
}

async fn definitions(s: &TestServer) -> Vec<Value> {
    s.get("/custom-fields")
        .await
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn custom_fields_are_created_edited_and_deleted_with_the_apis_messages() {
    let s = TestServer::start().await;
    let c = Console::signed_in(&base(&s), &s.token).await;
    let page = c.get(FIELDS).await;
    page.expect(200);
    assert!(page.html.contains("No custom fields yet."));
    // A dropdown, its choices one a line (blank lines ignored).
    let r = c
        .post(
            FIELDS,
            FIELDS,
            &[
                ("label", "Region"),
                ("type", "dropdown"),
                ("object_types", "companies"),
                ("choices", "North\r\n\r\nSouth\r\n"),
                ("max_length", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(
        r.location.as_deref(),
        Some("/console/settings/custom-fields?notice=created")
    );
    let all = definitions(&s).await;
    assert_eq!(all.len(), 1);
    let id = all[0]["id"].as_i64().expect("id");
    assert_eq!(all[0]["label"], "Region");
    assert_eq!(all[0]["type"], "dropdown");
    assert_eq!(all[0]["object_types"], json!(["companies"]));
    assert_eq!(all[0]["options"], json!({"choices": ["North", "South"]}));
    let page = c.get(FIELDS).await;
    assert!(page.html.contains(">Region<") && page.html.contains("North, South"));

    // The API's messages, next to the form's fields, the entered values kept.
    let taken = api_message(
        &s,
        "/custom-fields",
        &json!({"label": "region", "type": "string"}),
        "label",
    )
    .await;
    let r = c
        .post(
            FIELDS,
            FIELDS,
            &[
                ("label", "region"),
                ("type", "string"),
                ("object_types", "companies"),
            ],
        )
        .await;
    r.expect(422);
    assert!(shows_error_at(&r.html, "label", &taken), "{}", r.html);
    assert!(r.html.contains("value=\"region\""));
    let no_choices = api_message(
        &s,
        "/custom-fields",
        &json!({"label": "Size", "type": "dropdown", "options": {"choices": []}}),
        "options.choices",
    )
    .await;
    let r = c
        .post(
            FIELDS,
            FIELDS,
            &[("label", "Size"), ("type", "dropdown"), ("choices", "  ")],
        )
        .await;
    r.expect(422);
    assert!(
        shows_error_at(&r.html, "choices", &no_choices),
        "{}",
        r.html
    );
    let bad_max = api_message(
        &s,
        "/custom-fields",
        &json!({"label": "Code", "type": "string", "options": {"maxLength": 0}}),
        "options.maxLength",
    )
    .await;
    let r = c
        .post(
            FIELDS,
            FIELDS,
            &[("label", "Code"), ("type", "string"), ("max_length", "0")],
        )
        .await;
    r.expect(422);
    assert!(
        shows_error_at(&r.html, "max_length", &bad_max),
        "{}",
        r.html
    );
    assert_eq!(definitions(&s).await.len(), 1);

    // Edit: a choice added, the label changed; the form shows the stored values.
    let path = format!("{FIELDS}/{id}");
    let page = c.get(&path).await;
    page.expect(200);
    assert!(
        page.html.contains("North\nSouth</textarea>"),
        "{}",
        page.html
    );
    let r = c
        .post(
            &path,
            &path,
            &[
                ("label", "Sales region"),
                ("type", "dropdown"),
                ("object_types", "companies"),
                ("object_types", "suppliers"),
                ("choices", "North\nSouth\nWest"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let d = s.get(&format!("/custom-fields/{id}")).await;
    assert_eq!(d.data()["label"], "Sales region");
    assert_eq!(d.data()["object_types"], json!(["companies", "suppliers"]));
    assert_eq!(
        d.data()["options"]["choices"],
        json!(["North", "South", "West"])
    );
    // A change that stored values would not fit: the API's 422, at the type.
    let company = s
        .post(
            "/companies",
            &json!({"name": "Acme", "custom_fields": {"Sales region": "West"}}),
        )
        .await;
    company.expect(201);
    let misfit = api_message(
        &s,
        &format!("/custom-fields/{id}"),
        &json!({"type": "number"}),
        "type",
    )
    .await;
    let r = c
        .post(
            &path,
            &path,
            &[
                ("label", "Sales region"),
                ("type", "number"),
                ("object_types", "companies"),
            ],
        )
        .await;
    r.expect(422);
    assert!(shows_error_at(&r.html, "type", &misfit), "{}", r.html);

    // Delete, after a confirmation page.
    let confirm = c.get(&format!("{path}/delete")).await;
    confirm.expect(200);
    assert!(
        confirm
            .html
            .contains("Delete the custom field Sales region?")
    );
    let r = c.post(&path, &format!("{path}/delete"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert!(definitions(&s).await.is_empty());
    c.get(&path).await.expect(404);
}

/// The tag `name` on contact `contact` (its id), from the API.
fn tag_id(contact: &Value, name: &str) -> i64 {
    contact["tags"]
        .as_array()
        .and_then(|tags| tags.iter().find(|t| t["name"] == name))
        .and_then(|t| t["id"].as_i64())
        .unwrap_or_else(|| panic!("no tag {name} on {contact}"))
}

#[tokio::test]
async fn tags_are_listed_with_counts_renamed_merged_and_deleted() {
    let s = TestServer::start().await;
    let home = s.create_company("Home").await;
    let ann = s
        .create_contact(json!({"first_name": "Ann", "company_id": home, "tags": ["vip", "lead"]}))
        .await;
    let bob = s
        .create_contact(json!({"first_name": "Bob", "company_id": home, "tags": ["VIP"]}))
        .await;
    let carl = s
        .create_contact(json!({"first_name": "Carl", "company_id": home, "tags": ["customer"]}))
        .await;
    let company = s
        .post(
            "/companies",
            &json!({"name": "Acme", "tags": ["vip", "customer"]}),
        )
        .await;
    company.expect(201);
    let company_id = company.data()["id"].as_i64().expect("company id");
    let vip = tag_id(&ann, "vip");
    let c = Console::signed_in(&base(&s), &s.token).await;
    let page = c.get(TAGS).await;
    page.expect(200);
    assert!(page.html.contains("3 tags"), "{}", page.html);
    // vip: two contacts (Bob's "VIP" is the same tag) and one company, each count a link to the
    // list filtered by the tag.
    let row = page
        .html
        .split(&format!("id=\"tag-{vip}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("vip row");
    assert!(
        row.contains("href=\"/console/contacts?tag=vip\">2<"),
        "{row}"
    );
    assert!(
        row.contains("href=\"/console/companies?tag=vip\">1<"),
        "{row}"
    );

    // Rename: every record carrying it shows the new name and moved its updated_at; the others
    // did not move.
    s.clock().advance(10);
    let path = format!("{TAGS}/{vip}");
    let r = c.post(&path, &path, &[("name", "  Key account ")]).await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(
        r.location.as_deref(),
        Some("/console/settings/tags?notice=renamed")
    );
    let ann_now = s.contact(&cid(&ann)).await;
    assert_eq!(tag_names(&ann_now), ["Key account", "lead"]);
    assert_ne!(ann_now["updated_at"], ann["updated_at"]);
    assert_eq!(tag_names(&s.contact(&cid(&bob)).await), ["Key account"]);
    assert_eq!(
        s.contact(&cid(&carl)).await["updated_at"],
        carl["updated_at"]
    );
    let company_now = s.get(&format!("/companies/{company_id}")).await;
    assert_ne!(
        company_now.data()["updated_at"],
        company.data()["updated_at"]
    );
    // The same name again changes nothing.
    s.clock().advance(10);
    let r = c.post(&path, &path, &[("name", "Key account")]).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/console/settings/tags?notice=unchanged")
    );
    assert_eq!(
        s.contact(&cid(&ann)).await["updated_at"],
        ann_now["updated_at"]
    );

    // An empty name: the 422 at the field, nothing renamed.
    let r = c.post(&path, &path, &[("name", "  ")]).await;
    r.expect(422);
    assert!(
        r.html
            .contains("id=\"name-error\" role=\"alert\">The name field is required.")
    );

    // Onto another tag's name (in another case): merged into that tag; a record that carried
    // both keeps one.
    let customer = tag_id(&carl, "customer");
    let r = c.post(&path, &path, &[("name", "CUSTOMER")]).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/console/settings/tags?notice=merged")
    );
    assert_eq!(
        tag_names(&s.contact(&cid(&ann)).await),
        ["customer", "lead"]
    );
    assert_eq!(tag_names(&s.contact(&cid(&bob)).await), ["customer"]);
    let company_tags = s.get(&format!("/companies/{company_id}/tags")).await;
    assert_eq!(company_tags.data().as_array().map(Vec::len), Some(1));
    assert_eq!(company_tags.data()[0]["id"], customer);
    c.get(&path).await.expect(404);
    let page = c.get(TAGS).await;
    assert!(page.html.contains("2 tags"));
    assert!(
        page.html
            .contains("href=\"/console/contacts?tag=customer\">3<")
    );

    // Delete, after a confirmation page: gone from every record, which moved.
    s.clock().advance(10);
    let before = s.contact(&cid(&carl)).await;
    let del = format!("{TAGS}/{customer}/delete");
    let confirm = c.get(&del).await;
    confirm.expect(200);
    assert!(
        confirm.html.contains("3 contacts and 1 company"),
        "{}",
        confirm.html
    );
    let r = c.post(&del, &del, &[]).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let carl_now = s.contact(&cid(&carl)).await;
    assert!(tag_names(&carl_now).is_empty());
    assert_ne!(carl_now["updated_at"], before["updated_at"]);
    assert_eq!(tag_names(&s.contact(&cid(&ann)).await), ["lead"]);
    s.get(&format!("/companies/{company_id}/tags"))
        .await
        .expect(200);
    assert!(c.get(TAGS).await.html.contains("1 tag"));
    c.get(&format!("{TAGS}/{customer}")).await.expect(404);
}

#[tokio::test]
async fn settings_are_tenant_scoped_csrf_checked_and_escaped() {
    let s = TestServer::start().await;
    let other = s.token("globex");
    let theirs = s
        .create_contact_as(&other, json!({"first_name": "Theirs", "company_id": s.create_company_as(&other, "Globex").await, "tags": ["secret-tag"]}))
        .await;
    let their_tag = tag_id(&theirs, "secret-tag");
    let their_field = s
        .post_as(
            "/custom-fields",
            &other,
            &json!({"label": "Secret field", "type": "string"}),
        )
        .await;
    their_field.expect(201);
    let their_field = their_field.data()["id"].as_i64().expect("id");
    let mine = s
        .create_contact(json!({"first_name": "Mine", "company_id": s.create_company("Mine Inc").await, "tags": ["<script>alert(1)</script>"]}))
        .await;
    let my_tag = tag_id(&mine, "<script>alert(1)</script>");
    s.post(
        "/custom-fields",
        &json!({"label": "<img src=x onerror=alert(2)>", "type": "dropdown", "options": {"choices": ["<b>x</b>"]}}),
    )
    .await
    .expect(201);

    let c = Console::signed_in(&base(&s), &s.token).await;
    for (list, hidden) in [(TAGS, "secret-tag"), (FIELDS, "Secret field")] {
        let page = c.get(list).await;
        page.expect(200);
        assert!(!page.html.contains(hidden), "{list}");
        assert!(!page.html.contains("<script>alert"), "{list}");
        assert!(!page.html.contains("<img"), "{list}");
        assert!(!page.html.contains("<b>x"), "{list}");
    }
    assert!(
        c.get(TAGS)
            .await
            .html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(
        c.get(FIELDS)
            .await
            .html
            .contains("&lt;img src=x onerror=alert(2)&gt;")
    );
    let page = c.get(&format!("{TAGS}/{my_tag}")).await;
    page.expect(200);
    assert!(!page.html.contains("<script>alert"));

    // Another tenant's ids: 404 to read, rename, edit or delete; nothing changes for them.
    for path in [
        format!("{TAGS}/{their_tag}"),
        format!("{TAGS}/{their_tag}/delete"),
        format!("{FIELDS}/{their_field}"),
        format!("{FIELDS}/{their_field}/delete"),
    ] {
        c.get(&path).await.expect(404);
        c.post(
            TAGS,
            &path,
            &[
                ("name", "mine now"),
                ("label", "mine now"),
                ("type", "string"),
            ],
        )
        .await
        .expect(404);
    }
    c.get(&format!("{TAGS}/abc")).await.expect(404);
    c.get(&format!("{FIELDS}/0")).await.expect(404);
    assert_eq!(
        tag_names(
            &s.get_as(&format!("/contacts/{}", cid(&theirs)), &other)
                .await
                .data()
                .clone()
        ),
        ["secret-tag"]
    );
    s.get_as(&format!("/custom-fields/{their_field}"), &other)
        .await
        .expect(200);

    // Without the form's CSRF token: 403, nothing changes.
    let rename = format!("{TAGS}/{my_tag}");
    assert_eq!(c.post_raw(&rename, &[("name", "x")]).await.status, 403);
    assert_eq!(
        c.post_raw(&format!("{rename}/delete"), &[]).await.status,
        403
    );
    assert_eq!(
        c.post_raw(FIELDS, &[("label", "New"), ("type", "string")])
            .await
            .status,
        403
    );
    let mine_id = definitions(&s).await[0]["id"].as_i64().expect("id");
    assert_eq!(
        c.post_raw(&format!("{FIELDS}/{mine_id}/delete"), &[])
            .await
            .status,
        403
    );
    assert_eq!(definitions(&s).await.len(), 1);
    assert_eq!(
        tag_names(&s.contact(&cid(&mine)).await),
        ["<script>alert(1)</script>"]
    );
    // Signed out: a page redirects to the sign-in page, a post is 403.
    let anonymous = Console::new(&base(&s));
    assert_eq!(anonymous.get(TAGS).await.status, 303);
    assert_eq!(anonymous.get(FIELDS).await.status, 303);
    assert_eq!(
        anonymous.post_raw(&rename, &[("name", "x")]).await.status,
        403
    );
}

#[tokio::test]
async fn the_navigation_links_the_settings_pages() {
    let s = TestServer::start().await;
    let c = Console::signed_in(&base(&s), &s.token).await;
    let page = c.get("/console/contacts").await;
    for link in [
        "/console/settings/api-tokens",
        "/console/settings/custom-fields",
        "/console/settings/tags",
    ] {
        assert!(page.html.contains(&format!("href=\"{link}\"")), "{link}");
    }
}

/// The "Last used" cell of the token named `name` on the tokens page.
async fn last_used(c: &Console, name: &str) -> String {
    let page = c.get("/console/settings/api-tokens").await;
    page.expect(200);
    page.html
        .split("<tr id=\"token-")
        .find(|row| row.contains(&format!(">{name}")))
        .and_then(|row| row.split("class=\"last-used\">").nth(1))
        .and_then(|cell| cell.split("</td>").next())
        .unwrap_or_else(|| panic!("no row for {name}: {}", page.html))
        .to_owned()
}

/// Waits for the "Last used" cell of `name` to differ from `from` (the use is recorded off the
/// request's path).
async fn last_used_change(c: &Console, name: &str, from: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = last_used(c, name).await;
        if now != from {
            return now;
        }
        assert!(std::time::Instant::now() < deadline, "{name} still {from}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_tokens_page_shows_when_each_token_was_last_used() {
    let s = TestServer::start().await;
    let _unused = s.named_token("acme", "unused");
    let ci = s.named_token("acme", "ci");
    let c = Console::signed_in(&base(&s), &s.token).await;
    assert!(last_used(&c, "unused").await.contains("never"));
    assert!(last_used(&c, "ci").await.contains("never"));
    s.get_as("/contacts", &ci).await.expect(200);
    let first = last_used_change(&c, "ci", &last_used(&c, "unused").await).await;
    assert!(first.ends_with(" UTC"), "{first}");
    // Within the minute, further uses write nothing.
    s.clock().advance(30);
    for _ in 0..3 {
        s.get_as("/contacts", &ci).await.expect(200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(last_used(&c, "ci").await, first);
    // A minute after the recorded use, the next one is recorded.
    s.clock().advance(31);
    s.get_as("/contacts", &ci).await.expect(200);
    let second = last_used_change(&c, "ci", &first).await;
    assert!(second > first, "{second} after {first}");
    assert!(last_used(&c, "unused").await.contains("never"));
}
