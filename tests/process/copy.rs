//! `rolodex copy`: a whole database from SQLite to PostgreSQL and back (or SQLite to SQLite when
//! no PostgreSQL is configured), ids and timestamps kept, non-empty targets refused.

use crate::support::{TestDb, cli, create_token, stderr_of, stdout_of};
use serde_json::{Value, json};

use crate::pg_common::{self, Api};

/// Fills a database through the API: two tenants, tokens, companies with a parent that was created
/// after its child, a price level, shipping addresses, custom fields (one unlinked from companies,
/// its value hidden), tags, contacts with several links and a portal login. Returns, per tenant,
/// the token and everything the API shows.
async fn seed(logs: &TestDb, url: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let server = pg_common::serve(logs, url, &[]);
    for tenant in ["acme", "globex"] {
        let token = create_token(url, tenant, Some("seed"));
        let api = Api::new(&server, &token);
        let child = api.company(&format!("{tenant} child")).await;
        let level = api
            .post(
                "/price-levels",
                json!({"name": "Wholesale", "type": "fixed", "percent_increase": 12.5, "status": "inactive"}),
            )
            .await;
        assert_eq!(level.status, 201, "{level:#?}");
        let level = level.body["id"].as_i64().unwrap_or_default();
        let parent = api
            .post(
                "/companies",
                json!({
                    "name": format!("{tenant} parent"), "city": "Zürich", "tax_rate": 7.5, "tags": ["Gold", "vip"],
                    "payment_term": "Net 30", "price_level_id": level,
                    "shipping_addresses": [{"address_1": "1 Main St", "city": "Austin"}, {"address_1": "2 Side St", "city": "Dallas"}],
                }),
            )
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap_or_default();
        api.post(
            &format!("/companies/{child}"),
            json!({"parent_company_id": parent}),
        )
        .await
        .expect(200);
        api.post(
            "/custom-fields",
            json!({"label": "Region", "type": "string", "object_types": ["companies"]}),
        )
        .await
        .expect(201);
        api.call(
            reqwest::Method::PUT,
            &format!("/companies/{parent}/custom-fields"),
            Some(json!({"Region": "EMEA"})),
        )
        .await
        .expect(200);
        let shelf = api
            .post(
                "/custom-fields",
                json!({"label": "Shelf", "type": "string"}),
            )
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap_or_default();
        api.call(
            reqwest::Method::PUT,
            &format!("/companies/{parent}/custom-fields"),
            Some(json!({"Shelf": "A1"})),
        )
        .await
        .expect(200);
        api.post(
            &format!("/custom-fields/{shelf}"),
            json!({"object_types": []}),
        )
        .await
        .expect(200);
        for i in 0..7 {
            api.contact(json!({
                "first_name": format!("Zoë {i}"), "last_name": if i % 2 == 0 { Value::Null } else { json!("Ünal") },
                "company_ids": [child, parent], "is_primary": i == 3, "tags": ["vip", format!("t{i}")],
                "email": format!("c{i}@{tenant}.example"),
                "password": if i == 1 { json!("secret password") } else { Value::Null },
            }))
            .await;
        }
        let mut snapshot = serde_json::Map::new();
        for path in [
            "/contacts?per_page=100",
            "/companies?per_page=100",
            &format!("/companies/{parent}"),
            &format!("/companies/{child}"),
            &format!("/companies/{parent}/shipping-addresses"),
            "/custom-fields",
            "/client-types",
            "/price-levels",
            &format!("/price-levels/{level}"),
        ] {
            let r = api.get(path).await;
            assert_eq!(r.status, 200, "{path}: {r:#?}");
            if path == format!("/companies/{parent}") {
                assert_eq!(r.body["data"]["custom_fields"], json!({"Region": "EMEA"}));
                assert_eq!(r.body["data"]["price_level"]["id"], json!(level));
            }
            snapshot.insert(path.to_owned(), r.body);
        }
        out.push((token, Value::Object(snapshot)));
    }
    out
}

/// What the API shows of a database, as each tenant's token sees it.
async fn snapshot(db: &TestDb, url: &str, seeded: &[(String, Value)]) -> Vec<Value> {
    let server = pg_common::serve(db, url, &[]);
    let mut out = Vec::new();
    for (token, before) in seeded {
        let api = Api::new(&server, token);
        let mut snapshot = serde_json::Map::new();
        for path in before
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            snapshot.insert(path.clone(), api.get(&path).await.body);
        }
        out.push(Value::Object(snapshot));
    }
    out
}

fn copy(from: &str, to: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["copy", "--from", from, "--to", to];
    args.extend_from_slice(extra);
    cli(&args)
}

#[track_caller]
fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "copy failed: stdout={} stderr={}",
        stdout_of(out),
        stderr_of(out)
    );
}

/// SQLite → (PostgreSQL or SQLite) → SQLite, comparing what the API shows at every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn copy_there_and_back_keeps_everything_and_refuses_a_non_empty_target() {
    let source_dir = tempfile::tempdir().expect("temp dir");
    let source_url = format!("sqlite://{}", source_dir.path().join("source.db").display());
    // `TestDb` is a fresh PostgreSQL database when ROLODEX_TEST_POSTGRES is set, else SQLite.
    let middle = TestDb::new();
    let back_dir = tempfile::tempdir().expect("temp dir");
    let back_url = format!("sqlite://{}", back_dir.path().join("back.db").display());

    let seeded = seed(&middle, &source_url).await;
    let original = seeded.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>();

    let out = copy(&source_url, middle.url(), &["--quiet"]);
    assert_success(&out);
    let report = stdout_of(&out);
    assert!(report.contains("row counts verified"), "{report}");
    for table in [
        "tenants",
        "api_tokens",
        "contacts",
        "contact_companies",
        "portal_logins",
        "shipping_addresses",
    ] {
        assert!(
            report.lines().any(|l| l.starts_with(table)),
            "{table} missing from the report:\n{report}"
        );
    }
    assert_eq!(
        snapshot(&middle, middle.url(), &seeded).await,
        original,
        "after copying to {}",
        middle.url()
    );

    // A non-empty target is refused, and left as it was.
    let out = copy(&source_url, middle.url(), &["--quiet"]);
    assert!(
        !out.status.success(),
        "copy into a non-empty target succeeded: {}",
        stdout_of(&out)
    );
    assert!(
        stderr_of(&out).contains("--overwrite"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(snapshot(&middle, middle.url(), &seeded).await, original);

    // Back again, into a new SQLite file.
    assert_success(&copy(middle.url(), &back_url, &["--quiet"]));
    assert_eq!(
        snapshot(&middle, &back_url, &seeded).await,
        original,
        "after copying back"
    );

    // --overwrite replaces the target's content.
    let server = pg_common::serve(&middle, &back_url, &[]);
    let api = Api::new(&server, &seeded[0].0);
    let company = api.company("Only in the target").await;
    let extra = api
        .contact(json!({"first_name": "Extra", "company_id": company}))
        .await;
    drop(server);
    assert_success(&copy(middle.url(), &back_url, &["--quiet", "--overwrite"]));
    let server = pg_common::serve(&middle, &back_url, &[]);
    Api::new(&server, &seeded[0].0)
        .get(&format!("/contacts/{extra}"))
        .await
        .expect(404);
    drop(server);
    assert_eq!(
        snapshot(&middle, &back_url, &seeded).await,
        original,
        "after --overwrite"
    );

    // New records continue after the copied ids on the target (PostgreSQL identity columns moved).
    let server = pg_common::serve(&middle, middle.url(), &[]);
    let api = Api::new(&server, &seeded[0].0);
    let company = api.company("After the copy").await;
    let id = api
        .contact(json!({"first_name": "New", "company_id": company}))
        .await;
    let max_copied = original[0]["/contacts?per_page=100"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            original[1]["/contacts?per_page=100"]["data"]
                .as_array()
                .into_iter()
                .flatten(),
        )
        .filter_map(|c| c["id"].as_str()?.parse::<i64>().ok())
        .max()
        .unwrap_or_default();
    assert!(
        id.parse::<i64>().unwrap_or_default() > max_copied,
        "new id {id} <= {max_copied}"
    );
}

#[test]
fn copy_refuses_the_same_database_and_bad_urls() {
    let db = TestDb::new();
    let out = copy(db.url(), db.url(), &["--quiet"]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("same database"),
        "{}",
        stderr_of(&out)
    );
    let out = copy("bogus://x", db.url(), &["--quiet"]);
    assert!(!out.status.success());
}

#[test]
fn copy_never_prints_a_database_password() {
    let db = TestDb::new();
    let unreachable = "postgres://u:s3cretpw@127.0.0.1:1/db";
    let unparsable = "postgres://u:s3cretpw@127.0.0.1:notaport/db";
    for (from, to) in [
        (unreachable, db.url()),
        (db.url(), unreachable),
        (unparsable, db.url()),
        (db.url(), unparsable),
    ] {
        let out = copy(from, to, &["--quiet"]);
        assert!(!out.status.success(), "copy {from} -> {to} succeeded");
        let printed = format!("{}{}", stdout_of(&out), stderr_of(&out));
        assert!(!printed.contains("s3cretpw"), "{printed}");
        assert!(printed.contains("u:***@127.0.0.1"), "{printed}");
    }
}
