//! Lists whose order an index holds are read in that order, with no sort: SQLite counts the sorts
//! its statements run (`Database::sqlite_sorts`). Issue 14's list, a family by first name Z to A
//! (`last_name[eq]=X&sort=first_name:desc`, ties by id ascending), has an index of its own
//! (migrations/sqlite/0011); the same family A to Z keeps `contacts_tenant_last_name`.

use crate::support::*;
use serde_json::Value;

const FAMILY: &str = "Kim";

/// First names with repeats, so that ties are broken by id; in creation (id) order.
const FIRST_NAMES: [&str; 12] = [
    "Mia", "Ann", "Zoe", "Ann", "Bo", "Mia", "Cy", "Zoe", "Ann", "Eve", "Bo", "Mia",
];

/// The family, and as many contacts of other families around it; returns the family's
/// `(first_name, id)` in creation order.
async fn family(s: &TestServer) -> Vec<(String, i64)> {
    let company = s.create_company("Kim & Co").await;
    let mut members = Vec::new();
    for (i, first) in FIRST_NAMES.iter().enumerate() {
        for last in ["Adams", FAMILY, "Young"] {
            let r = s
                .post(
                    "/contacts",
                    &json!({"first_name": first, "last_name": last, "company_id": company,
                            "email": format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase())}),
                )
                .await;
            assert_eq!(r.status, 201, "{r:?}");
            if last == FAMILY {
                let id = r.body["data"]["id"].as_str().expect("contact id");
                members.push(((*first).to_owned(), id.parse().expect("numeric id")));
            }
        }
    }
    members
}

fn sorts(s: &TestServer) -> u64 {
    s.server
        .database()
        .sqlite_sorts()
        .expect("a SQLite database")
}

fn page_ids(r: &Resp) -> Vec<i64> {
    r.data()
        .as_array()
        .expect("a page")
        .iter()
        .map(|c: &Value| c["id"].as_str().expect("id").parse().expect("numeric id"))
        .collect()
}

/// Walks the family's pages in both directions: each page is the right slice of the order the
/// contract gives (first name, then id ascending), and no statement sorted anything.
async fn walk_the_family_without_sorting(s: &TestServer, members: &[(String, i64)]) {
    for (direction, descending) in [("desc", true), ("asc", false)] {
        let mut want = members.to_vec();
        want.sort_by(|(fa, ia), (fb, ib)| {
            let by_name = if descending { fb.cmp(fa) } else { fa.cmp(fb) };
            by_name.then(ia.cmp(ib))
        });
        let want: Vec<i64> = want.into_iter().map(|(_, id)| id).collect();
        let before = sorts(s);
        let mut got = Vec::new();
        for page in 1..=3 {
            let r = s
                .get(&format!(
                    "/contacts?last_name[eq]={FAMILY}&sort=first_name:{direction}&page={page}&per_page=5"
                ))
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(r.body["meta"]["total"], json!(members.len()), "{r:?}");
            got.extend(page_ids(&r));
        }
        assert_eq!(got, want, "the family by first name {direction}");
        assert_eq!(
            sorts(s) - before,
            0,
            "the family's pages by first name {direction} sorted rows"
        );
    }
}

#[tokio::test]
async fn a_family_by_first_name_in_either_direction_is_read_in_index_order() {
    let s = TestServer::start_on(TestDb::sqlite());
    let members = family(&s).await;
    walk_the_family_without_sorting(&s, &members).await;

    // The count sees sorts: everyone by first name Z to A, ties by id, is an index walked
    // backwards with each run of equal first names sorted.
    let before = sorts(&s);
    let r = s.get("/contacts?sort=first_name:desc&per_page=5").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(sorts(&s) > before, "sorting everyone by first name Z to A");
}

#[tokio::test]
async fn an_analysed_database_upgraded_to_the_index_plans_with_it() {
    let s = TestServer::start_on(TestDb::sqlite());
    let members = family(&s).await;
    // Back to the schema before the index, with planner statistics (as after an `ANALYZE` by the
    // database's owner, or the benchmark's seeding); the server upgrades it when it starts. The
    // other families grow to about 500 members each (copies of their rows, written past the API),
    // so that a family is measured as large: an index without statistics would be guessed
    // smaller, and would be taken for every page by last name, the ascending ones too, which it
    // holds in the wrong order.
    let s = s.restarted_after_sqlite(&format!(
        "DROP INDEX contacts_tenant_last_name_first_desc;
         DELETE FROM schema_migrations WHERE version = 11;
         INSERT INTO contacts (tenant_id, status, first_name, last_name, full_name, primary_company_id, created_at, updated_at)
             SELECT tenant_id, status, first_name, last_name, full_name, primary_company_id, created_at, updated_at
             FROM contacts, (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) SELECT i FROM n)
             WHERE last_name <> '{FAMILY}';
         ANALYZE;"
    ));
    let conn = rusqlite::Connection::open(s.sqlite_path()).expect("open the database file");
    let measured: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 'contacts_tenant_last_name_first_desc'",
            [],
            |r| r.get(0),
        )
        .expect("the statistics");
    drop(conn);
    assert_eq!(measured, 1, "the new index has statistics");
    walk_the_family_without_sorting(&s, &members).await;
}
