//! A contact list filtered by one name (`first_name[eq]=X`, `last_name[eq]=X`) has its exact
//! total like every list. SQLite takes it from the counts by name its triggers keep
//! (migrations/sqlite/0012) instead of counting the matching rows; these tests hold the totals to
//! the rows through every kind of write, on both backends, and show that SQLite's total does come
//! from the counts.

use crate::support::*;
use serde_json::Value;

/// The total of `/contacts?{query}`, checked against the rows the list holds (one page of 100).
async fn total(s: &TestServer, query: &str) -> u64 {
    let r = s.get(&format!("/contacts?{query}&per_page=100")).await;
    r.expect(200);
    let total = r.body["meta"]["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no total for {query}: {r:?}"));
    let rows = r.data().as_array().expect("a page").len() as u64;
    assert_eq!(total, rows, "the total of {query} is not its rows: {r:?}");
    total
}

async fn totals(s: &TestServer, want: &[(&str, u64)]) {
    for (query, expected) in want {
        assert_eq!(total(s, query).await, *expected, "total of {query}");
    }
}

#[tokio::test]
async fn totals_by_name_stay_exact_through_every_write() {
    let s = TestServer::start().await;
    let company = s.create_company("Acme").await;
    let mut ids = Vec::new();
    for body in [
        json!({"first_name": "Ann", "last_name": "Lee", "company_id": company}),
        json!({"first_name": "Ann", "last_name": "Kim", "company_id": company}),
        json!({"first_name": "Bo", "last_name": "Lee", "company_id": company}),
        json!({"first_name": "Ann", "company_id": company}),
    ] {
        ids.push(cid(&s.create_contact(body).await));
    }
    // Another tenant's namesakes count only there.
    let other = s.token("globex");
    let their_company = s.create_company_as(&other, "Globex").await;
    s.create_contact_as(
        &other,
        json!({"first_name": "Ann", "last_name": "Lee", "company_id": their_company}),
    )
    .await;

    totals(
        &s,
        &[
            ("first_name[eq]=Ann", 3),
            ("first_name=Ann", 3),
            ("first_name[eq]=ann", 0),
            ("last_name[eq]=Lee", 2),
            ("last_name[eq]=Kim", 1),
            ("last_name[eq]=Nobody", 0),
            ("first_name[eq]=Ann&last_name[eq]=Lee", 1),
        ],
    )
    .await;

    // Renames: a first name, a last name to none, none to a last name.
    let rename = async |id: &str, body: Value| {
        let r = s.post(&format!("/contacts/{id}"), &body).await;
        r.expect(200);
    };
    rename(&ids[0], json!({"first_name": "Cy"})).await;
    rename(&ids[2], json!({"last_name": null})).await;
    rename(&ids[3], json!({"last_name": "Lee"})).await;
    // Unchanged names, and a write that does not touch them.
    rename(&ids[1], json!({"first_name": "Ann", "last_name": "Kim"})).await;
    rename(&ids[1], json!({"email": "ann.kim@example.com"})).await;
    totals(
        &s,
        &[
            ("first_name[eq]=Ann", 2),
            ("first_name[eq]=Cy", 1),
            ("last_name[eq]=Lee", 2),
            ("last_name[eq]=Kim", 1),
            ("first_name[eq]=Bo", 1),
        ],
    )
    .await;

    let r = s.delete(&format!("/contacts/{}", ids[1])).await;
    assert!(r.status < 300, "{r:?}");
    totals(
        &s,
        &[
            ("first_name[eq]=Ann", 1),
            ("last_name[eq]=Kim", 0),
            ("last_name[eq]=Lee", 2),
        ],
    )
    .await;
    // The other tenant saw none of it.
    let r = s
        .get_as("/contacts?first_name[eq]=Ann&per_page=100", &other)
        .await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(1), "{r:?}");
}

/// SQLite answers a one-name list's total from its counts: a count changed behind the server's
/// back is the total it gives (for that list only; two filters count rows).
#[tokio::test]
async fn sqlite_takes_a_one_name_total_from_its_counts() {
    let s = TestServer::start_on(TestDb::sqlite());
    let company = s.create_company("Acme").await;
    for last in ["Lee", "Kim"] {
        s.create_contact(json!({"first_name": "Ann", "last_name": last, "company_id": company}))
            .await;
    }
    let s = s.restarted_after_sqlite(
        "UPDATE contact_name_counts SET contacts = 7 WHERE field = 'first_name' AND value = 'Ann';",
    );
    let r = s.get("/contacts?first_name[eq]=Ann").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(7), "{r:?}");
    assert_eq!(total(&s, "first_name[eq]=Ann&last_name[eq]=Lee").await, 1);
}

fn name_counts(path: &str) -> Vec<(String, String, i64)> {
    let conn = rusqlite::Connection::open(path).expect("open the database file");
    let mut stmt = conn
        .prepare("SELECT field, value, contacts FROM contact_name_counts ORDER BY field, value")
        .expect("the counts");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("the counts")
        .collect::<Result<_, _>>()
        .expect("the counts")
}

/// A database written before the counts (schema version 11) gets them, from the contacts it
/// holds, when a server of this version opens it; and keeps one row per name in use from then on.
#[tokio::test]
async fn an_upgraded_sqlite_database_counts_the_names_it_already_has() {
    let s = TestServer::start_on(TestDb::sqlite());
    let company = s.create_company("Acme").await;
    let mut ids = Vec::new();
    for (first, last) in [("Ann", Some("Lee")), ("Ann", None), ("Bo", Some("Lee"))] {
        let c = s
            .create_contact(json!({"first_name": first, "last_name": last, "company_id": company}))
            .await;
        ids.push(cid(&c));
    }
    let s = s.restarted_after_sqlite(
        "DROP TRIGGER contact_name_counts_insert; DROP TRIGGER contact_name_counts_delete;
         DROP TRIGGER contact_name_counts_first_name; DROP TRIGGER contact_name_counts_last_name;
         DROP TABLE contact_name_counts;
         DELETE FROM schema_migrations WHERE version = 12;",
    );
    totals(
        &s,
        &[
            ("first_name[eq]=Ann", 2),
            ("first_name[eq]=Bo", 1),
            ("last_name[eq]=Lee", 2),
        ],
    )
    .await;
    let row = |field: &str, value: &str, n: i64| (field.to_owned(), value.to_owned(), n);
    assert_eq!(
        name_counts(&s.sqlite_path()),
        vec![
            row("first_name", "Ann", 2),
            row("first_name", "Bo", 1),
            row("last_name", "Lee", 2),
        ]
    );
    // A name no contact has any more leaves the table.
    let r = s
        .post(
            &format!("/contacts/{}", ids[2]),
            &json!({"first_name": "Cy", "last_name": "Kim"}),
        )
        .await;
    r.expect(200);
    let r = s.delete(&format!("/contacts/{}", ids[0])).await;
    assert!(r.status < 300, "{r:?}");
    assert_eq!(
        name_counts(&s.sqlite_path()),
        vec![
            row("first_name", "Ann", 1),
            row("first_name", "Cy", 1),
            row("last_name", "Kim", 1),
        ]
    );
    totals(&s, &[("first_name[eq]=Ann", 1), ("last_name[eq]=Lee", 0)]).await;
}
