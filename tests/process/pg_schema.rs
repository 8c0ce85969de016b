//! The PostgreSQL schema keeps SQLite's semantics: every text column sorts and compares by bytes
//! (COLLATE "C"), whatever the database's default collation; text ordering through the API is the
//! byte order SQLite gives.

use crate::pg_common::*;
use crate::support::{self, TestDb, create_token};
use serde_json::json;

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn every_text_column_uses_the_c_collation() {
    pg_server("every_text_column_uses_the_c_collation");
    let db = TestDb::new();
    let out = support::cli(&["migrate", "--database", db.url()]);
    assert!(
        out.status.success(),
        "migrate: {}",
        support::stderr_of(&out)
    );
    let client = connect(db.url()).await;
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text, COALESCE(collation_name::text, '(database default)') \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND data_type IN ('text', 'character varying', 'character') \
             AND collation_name IS DISTINCT FROM 'C' AND table_name <> 'schema_migrations' ORDER BY 1, 2",
            &[],
        )
        .await
        .expect("query the catalog");
    let offenders: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}.{} ({})",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            )
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "text columns without COLLATE \"C\" in migrations/postgres: {offenders:?}"
    );
}

/// The constraint names the store matches violations by (`store::constraints`) are the ones the
/// migrated PostgreSQL schema has: a renamed constraint would turn a 422 into a 500.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn every_known_constraint_name_exists_in_the_schema() {
    pg_server("every_known_constraint_name_exists_in_the_schema");
    let db = TestDb::new();
    let out = support::cli(&["migrate", "--database", db.url()]);
    assert!(
        out.status.success(),
        "migrate: {}",
        support::stderr_of(&out)
    );
    let client = connect(db.url()).await;
    let rows = client
        .query(
            "SELECT conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
             WHERE n.nspname = current_schema() \
             UNION SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()",
            &[],
        )
        .await
        .expect("query the catalog");
    let present: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    assert!(present.len() > 10, "the catalog query found {present:?}");
    let missing: Vec<&str> = rolodex::store::constraints::names()
        .filter(|name| !present.iter().any(|p| p == name))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the PostgreSQL schema: {missing:?}"
    );
}

/// Byte order, not a locale's: upper case before lower case, ASCII before accented letters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_sorts_in_byte_order_as_on_sqlite() {
    let db = TestDb::new(); // SQLite or PostgreSQL: the answer must be the same
    let token = create_token(db.url(), "acme", None);
    let process = serve(&db, db.url(), &[]);
    let api = Api::new(&process, &token);
    let company = api.company("Acme").await;
    for name in ["b", "B", "a", "Z", "é", "e", "_x", "10", "9"] {
        api.contact(json!({"first_name": name, "company_id": company}))
            .await;
    }
    let listed = api.get("/contacts?sort=first_name:asc&per_page=8").await;
    let names: Vec<&str> = listed
        .expect(200)
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["first_name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["10", "9", "B", "Z", "_x", "a", "b", "e"],
        "{listed:#?}"
    );
    let page2 = api
        .get("/contacts?sort=first_name:asc&page=2&per_page=8")
        .await;
    assert_eq!(page2.expect(200)[0]["first_name"], json!("é"));
}
