//! `contains` on the names and the e-mail, and the unfiltered total: on SQLite both come from
//! structures triggers keep beside the contacts (a trigram substring index and each tenant's
//! contact count, migrations/sqlite/0008); on PostgreSQL from the contacts themselves. Either way
//! the answer must be exactly the contacts whose field holds the term, case-sensitively, and the
//! exact total, through every write.

use crate::support::*;
use rolodex::store::{self, StoreError};
use serde_json::{Value, json};

/// A server that leaves its search index alone until the test brings it up to date with
/// [`index_all`] (its SQLite searches test the contacts written since directly).
fn server_indexing_by_hand() -> TestServer {
    TestServer::start_with(TestDb::new(), &["--search-index-interval-ms", "0"])
}

/// Brings the search index up to date, as the server's upkeep does, and checks nothing is left.
async fn index_all(s: &TestServer) {
    let db = s.server.database();
    loop {
        let indexed = db
            .transact::<_, StoreError>(async |tx| store::contacts::index_pending(tx.conn()).await)
            .await
            .expect("index the pending contacts");
        if indexed < store::contacts::INDEX_BATCH.unsigned_abs() {
            break;
        }
    }
    assert_eq!(pending(s).await, 0);
}

/// How many contacts the search index has yet to take in.
async fn pending(s: &TestServer) -> u64 {
    s.server
        .database()
        .read::<_, StoreError>(async |tx| store::contacts::pending_index_entries(tx.conn()).await)
        .await
        .expect("count the pending contacts")
}

/// Names chosen to trip a substring index: accents and scripts of several bytes a character,
/// FTS5 query syntax (quotes, `*`, `:`, `-`, braces, `AND`/`OR`/`NEAR`), repeated letters (a
/// trigram that occurs twice), case variants, spaces.
const PEOPLE: &[(&str, Option<&str>, Option<&str>)] = &[
    ("Zoë", Some("Ångström"), Some("zoe.angstrom@example.com")),
    ("zoë", Some("ANGSTRÖM"), None),
    ("Anna", Some("Bannan"), Some("anna@banana.org")),
    ("O\"Neil", Some("D'Arcy"), Some("oneil@d-arcy.ie")),
    ("Star*", Some("Field:Marshal"), Some("star@x.io")),
    ("{Brace}", Some("AND OR NOT"), Some("near@near.near")),
    (
        "Mary Ann",
        Some("Smith-Jones"),
        Some("mary.ann@smith-jones.co.uk"),
    ),
    ("李小龍", Some("山田太郎"), Some("li@例え.jp")),
    ("aaaa", Some("aaa"), Some("aaaaa@aa.aa")),
    ("Bob", None, None),
];

/// Terms of every length around the trigram's three characters, and the syntax above.
const TERMS: &[&str] = &[
    "a",
    "aa",
    "aaa",
    "aaaa",
    "aaaaa",
    "An",
    "Ann",
    "Anna",
    "ann",
    "nna",
    "ana",
    "ë",
    "oë",
    "Zoë",
    "zoë",
    "Ång",
    "ÖM",
    "TRÖ",
    "\"",
    "O\"N",
    "O\"Neil",
    "'",
    "D'A",
    "*",
    "ar*",
    "Star*",
    ":",
    "d:M",
    "Field:",
    "{Br",
    "ce}",
    "AND",
    "AND OR",
    "OR NOT",
    "near",
    "y A",
    "Mary Ann",
    "-",
    "h-J",
    "Smith-Jones",
    ".co.uk",
    "@",
    "@ex",
    "example.com",
    "小龍",
    "李小龍",
    "山田太",
    "例え.jp",
    "Bob",
    "ob",
    "Bo",
    "Bobby",
    "missing",
    "NEAR",
    "Neil D",
];

struct Person {
    id: String,
    first_name: String,
    last_name: Option<String>,
    email: Option<String>,
}

impl Person {
    fn field(&self, name: &str) -> Option<String> {
        match name {
            "first_name" => Some(self.first_name.clone()),
            "last_name" => self.last_name.clone(),
            "full_name" => Some(match &self.last_name {
                Some(last) => format!("{} {last}", self.first_name),
                None => self.first_name.clone(),
            }),
            "email" => self.email.clone(),
            other => panic!("no field {other}"),
        }
    }
}

async fn create_people(s: &TestServer, company: i64) -> Vec<Person> {
    let mut people = Vec::new();
    for (first, last, email) in PEOPLE {
        let mut body = json!({"first_name": first, "company_id": company});
        if let Some(last) = last {
            body["last_name"] = json!(last);
        }
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        let c = s.create_contact(body).await;
        assert_eq!(c["full_name"], json!(Person::field_of(first, *last)));
        people.push(Person {
            id: cid(&c),
            first_name: (*first).to_owned(),
            last_name: last.map(str::to_owned),
            email: email.map(str::to_owned),
        });
    }
    people
}

impl Person {
    fn field_of(first: &str, last: Option<&str>) -> String {
        match last {
            Some(last) => format!("{first} {last}"),
            None => first.to_owned(),
        }
    }
}

/// Every id of `GET path`, walking its pages, and the total it reports.
async fn all_ids(s: &TestServer, path: &str) -> (Vec<String>, Value) {
    let r = s.get(path).await;
    r.expect(200);
    (ids(r.data()), r.body["meta"]["total"].clone())
}

/// The ids whose `field` contains `term`, in id order.
fn expected(people: &[Person], field: &str, term: &str) -> Vec<String> {
    let mut want: Vec<&Person> = people
        .iter()
        .filter(|p| p.field(field).is_some_and(|v| v.contains(term)))
        .collect();
    want.sort_by_key(|p| p.id.parse::<i64>().unwrap_or_default());
    want.into_iter().map(|p| p.id.clone()).collect()
}

#[tokio::test]
async fn contains_finds_exactly_the_contacts_whose_field_holds_the_term() {
    let s = server_indexing_by_hand();
    let company = s.create_company("Substrings").await;
    let people = create_people(&s, company).await;
    // Another tenant's contacts with the same names are never found.
    let other = s.token("globex");
    let other_company = s.create_company_as(&other, "Elsewhere").await;
    for (first, _, _) in PEOPLE {
        s.create_contact_as(
            &other,
            json!({"first_name": first, "company_id": other_company}),
        )
        .await;
    }
    // Before the index has taken them in (the contacts tested one by one), and after.
    check_every_term(&s, company, &people).await;
    index_all(&s).await;
    check_every_term(&s, company, &people).await;
}

async fn check_every_term(s: &TestServer, company: i64, people: &[Person]) {
    for field in ["first_name", "last_name", "full_name", "email"] {
        for term in TERMS {
            let want = expected(people, field, term);
            let query = format!("{field}[contains]={}&sort=id&per_page=100", enc(term));
            let (got, total) = all_ids(s, &format!("/contacts?{query}")).await;
            assert_eq!(got, want, "{field} contains {term:?}");
            assert_eq!(
                total,
                json!(want.len()),
                "total of {field} contains {term:?}"
            );
            // The same through a company's contacts.
            let (got, _) = all_ids(s, &format!("/companies/{company}/contacts?{query}")).await;
            assert_eq!(got, want, "company's contacts: {field} contains {term:?}");
        }
    }
    // A page past the end still has the total.
    let want = expected(people, "full_name", "Ann");
    let r = s
        .get(&format!(
            "/contacts?full_name[contains]=Ann&per_page=1&page={}",
            want.len() + 3
        ))
        .await;
    r.expect(200);
    assert_eq!(ids(r.data()), Vec::<String>::new());
    assert_eq!(r.body["meta"]["total"], json!(want.len()));
    // Two terms on two fields: both must hold.
    let (got, _) = all_ids(
        s,
        &format!(
            "/contacts?first_name[contains]={}&email[contains]={}&sort=id",
            enc("Ann"),
            enc("ann")
        ),
    )
    .await;
    assert_eq!(got, vec![people[2].id.clone(), people[6].id.clone()]);
}

/// Every write is searchable at once, through a stale index entry too: each change here is made
/// after the index took in the contact as it was.
#[tokio::test]
async fn contains_follows_renames_new_e_mails_and_deletes() {
    let s = server_indexing_by_hand();
    let company = s.create_company("Changes").await;
    let c = s
        .create_contact(json!({"first_name": "Quentin", "last_name": "Blake", "email": "qb@old.example", "company_id": company}))
        .await;
    let id = cid(&c);
    assert_eq!(
        s.list_ids("first_name[contains]=uent").await,
        vec![id.clone()]
    );
    index_all(&s).await;
    assert_eq!(
        s.list_ids("first_name[contains]=uent").await,
        vec![id.clone()]
    );

    s.post(
        &format!("/contacts/{id}"),
        &json!({"first_name": "Roald", "email": "roald@new.example"}),
    )
    .await
    .expect(200);
    assert!(s.list_ids("first_name[contains]=uent").await.is_empty());
    assert!(s.list_ids("full_name[contains]=Quentin").await.is_empty());
    assert!(s.list_ids("email[contains]=old.ex").await.is_empty());
    assert_eq!(
        s.list_ids("first_name[contains]=oal").await,
        vec![id.clone()]
    );
    assert_eq!(
        s.list_ids("full_name[contains]=d Bla").await,
        vec![id.clone()]
    );
    assert_eq!(s.list_ids("email[contains]=new.ex").await, vec![id.clone()]);

    index_all(&s).await;
    assert!(s.list_ids("full_name[contains]=Quentin").await.is_empty());
    assert_eq!(s.list_ids("email[contains]=new.ex").await, vec![id.clone()]);

    // An update of other fields keeps the contact findable.
    s.post(&format!("/contacts/{id}"), &json!({"phone_1": "555"}))
        .await
        .expect(200);
    assert_eq!(
        s.list_ids("last_name[contains]=lak").await,
        vec![id.clone()]
    );

    // Clearing the e-mail removes it from the index.
    s.post(&format!("/contacts/{id}"), &json!({"email": null}))
        .await
        .expect(200);
    assert!(s.list_ids("email[contains]=new.ex").await.is_empty());
    index_all(&s).await;

    s.delete(&format!("/contacts/{id}")).await.expect(204);
    assert!(s.list_ids("first_name[contains]=oal").await.is_empty());
    assert!(s.list_ids("last_name[contains]=Blake").await.is_empty());
    index_all(&s).await;
    assert!(s.list_ids("first_name[contains]=oal").await.is_empty());
}

/// The server takes written contacts into the index by itself, shortly after.
#[tokio::test]
async fn the_server_indexes_written_contacts_shortly_after() {
    let s = TestServer::start_on(TestDb::sqlite());
    let company = s.create_company("Soon").await;
    let mut made = Vec::new();
    for n in 0..20 {
        let c = s
            .create_contact(json!({"first_name": format!("Indexed{n:02}"), "company_id": company}))
            .await;
        made.push(cid(&c));
    }
    wait_until_indexed(&s).await;
    assert_eq!(
        s.list_ids("first_name[contains]=dexed&sort=id&per_page=100")
            .await,
        made
    );
}

/// The search index's segments (SQLite): each indexing batch writes one, merging joins them.
async fn search_index_segments(s: &TestServer) -> i64 {
    s.server
        .database()
        .read::<_, StoreError>(async |tx| {
            tx.conn()
                .query_one("SELECT COUNT(DISTINCT segid) FROM contacts_search_idx", &[])
                .await?
                .int(0)
        })
        .await
        .expect("count the search index's segments")
}

/// Waits until the server's indexer has taken in every written contact; fails after 10 s.
async fn wait_until_indexed(s: &TestServer) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = pending(s).await;
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} contacts still not indexed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// FTS5 merges nothing inside an indexing batch (migrations/sqlite/0010: its merge work is not
/// bounded by the batch, and would hold the one writer): batches leave their segments as they
/// are, and a merge step joins them.
#[tokio::test]
async fn indexing_batches_leave_merging_to_the_merge_step() {
    let s = TestServer::start_with(TestDb::sqlite(), &["--search-index-interval-ms", "0"]);
    let automerge = s
        .server
        .database()
        .read::<_, StoreError>(async |tx| {
            tx.conn()
                .query_one(
                    "SELECT v FROM contacts_search_config WHERE k = 'automerge'",
                    &[],
                )
                .await?
                .int(0)
        })
        .await
        .expect("read the index's automerge setting");
    assert_eq!(automerge, 0, "FTS5 merges nothing by itself");
    let company = s.create_company("Segments").await;
    let before = search_index_segments(&s).await;
    for n in 0..6 {
        s.create_contact(json!({"first_name": format!("Segment{n}"), "company_id": company}))
            .await;
        index_all(&s).await;
    }
    let batched = search_index_segments(&s).await;
    assert_eq!(batched, before + 6, "one segment per batch, none merged");
    s.server
        .database()
        .transact::<_, StoreError>(async |tx| store::contacts::merge_search_index(tx.conn()).await)
        .await
        .expect("a merge step");
    let merged = search_index_segments(&s).await;
    assert!(
        merged < batched,
        "the merge step joined segments: {batched} before, {merged} after"
    );
    assert_eq!(
        s.list_ids("first_name[contains]=egment&per_page=100")
            .await
            .len(),
        6,
        "the merged index still finds every contact"
    );
}

/// The server's indexer follows its batches with merge steps: batch after batch, the segments
/// do not pile up (without the steps, six batches would leave six).
#[tokio::test]
async fn the_server_merges_the_segments_its_batches_write() {
    let s = TestServer::start_on(TestDb::sqlite());
    let company = s.create_company("Merged").await;
    let before = search_index_segments(&s).await;
    for n in 0..6 {
        s.create_contact(json!({"first_name": format!("Merged{n}"), "company_id": company}))
            .await;
        wait_until_indexed(&s).await;
    }
    let segments = search_index_segments(&s).await;
    assert!(
        segments < before + 6,
        "six batches left {segments} segments ({before} before): none were merged"
    );
    assert_eq!(
        s.list_ids("first_name[contains]=erged&per_page=100")
            .await
            .len(),
        6
    );
}

#[tokio::test]
async fn the_unfiltered_total_counts_each_tenants_contacts_through_creates_and_deletes() {
    let s = TestServer::start().await;
    let acme = s.create_company("Acme").await;
    let other = s.token("globex");
    let globex = s.create_company_as(&other, "Globex").await;
    let total = async |token: &str| {
        let r = s.get_as("/contacts?per_page=1", token).await;
        r.expect(200);
        r.body["meta"]["total"].clone()
    };
    assert_eq!(total(&s.token).await, json!(0));

    let mut made = Vec::new();
    for n in 0..7 {
        made.push(cid(&s
            .create_contact(json!({"first_name": format!("A{n}"), "company_id": acme}))
            .await));
    }
    for n in 0..3 {
        s.create_contact_as(
            &other,
            json!({"first_name": format!("G{n}"), "company_id": globex}),
        )
        .await;
    }
    assert_eq!(total(&s.token).await, json!(7));
    assert_eq!(total(&other).await, json!(3));

    for id in &made[..2] {
        s.delete(&format!("/contacts/{id}")).await.expect(204);
    }
    // A refused delete (another tenant's contact) changes no count.
    s.delete_as(&format!("/contacts/{}", made[2]), &other)
        .await
        .expect(404);
    assert_eq!(total(&s.token).await, json!(5));
    assert_eq!(total(&other).await, json!(3));
    // The pages agree with the total.
    let r = s.get("/contacts?per_page=100").await;
    assert_eq!(r.data().as_array().map(Vec::len), Some(5));

    // A create that fails validation changes nothing.
    s.post("/contacts", &json!({"first_name": "", "company_id": acme}))
        .await
        .expect(422);
    assert_eq!(total(&s.token).await, json!(5));
}

/// A database written before the index and the counts existed (schema version 7) gets both, built
/// from the contacts it holds, when a server of this version opens it.
#[tokio::test]
async fn an_upgraded_sqlite_database_indexes_and_counts_the_contacts_it_already_has() {
    let s = TestServer::start_on(TestDb::sqlite());
    let company = s.create_company("Before").await;
    let mut made = Vec::new();
    for (first, last) in [
        ("Edith", "Wharton"),
        ("Edward", "Lear"),
        ("Ada", "Lovelace"),
    ] {
        let c = s
            .create_contact(json!({"first_name": first, "last_name": last, "company_id": company}))
            .await;
        made.push(cid(&c));
    }
    let s = s.restarted_after_sqlite(
        "DROP TRIGGER contact_counts_insert; DROP TRIGGER contact_counts_delete;
         DROP TRIGGER contacts_search_insert; DROP TRIGGER contacts_search_delete;
         DROP TRIGGER contacts_search_update;
         DROP TABLE contacts_search; DROP TABLE contact_counts; DROP TABLE contacts_search_pending;
         DELETE FROM schema_migrations WHERE version = 8;",
    );
    assert_eq!(
        s.list_ids("first_name[contains]=Edw").await,
        vec![made[1].clone()]
    );
    assert_eq!(
        s.list_ids("last_name[contains]=ela&sort=id").await,
        vec![made[2].clone()]
    );
    let r = s.get("/contacts?per_page=1").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(3));
    // And keeps both from then on.
    s.create_contact(json!({"first_name": "Edwina", "company_id": company}))
        .await;
    let r = s.get("/contacts?first_name[contains]=Edw").await;
    assert_eq!(r.body["meta"]["total"], json!(2));
    let r = s.get("/contacts?per_page=1").await;
    assert_eq!(r.body["meta"]["total"], json!(4));
}
