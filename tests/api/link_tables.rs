//! SQLite keeps a contact's links and tags in tables clustered on the contact id (`WITHOUT ROWID`,
//! migrations/sqlite/0009): a database written before keeps every link and tag, in order, with
//! the same keys, foreign keys and uniqueness rules.

use crate::support::*;
use serde_json::{Value, json};

/// The link tables as migrations/sqlite/0001 made them (rowid tables), with their rows.
const ROWID_LINK_TABLES: &str = "
    CREATE TABLE contact_companies_rowid (
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 0,
        receive_quotation_pdf INTEGER NOT NULL DEFAULT 0,
        receive_purchase_order_pdf INTEGER NOT NULL DEFAULT 0,
        receive_purchase_order_invoice_pdf INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (contact_id, company_id)
    );
    INSERT INTO contact_companies_rowid SELECT contact_id, company_id, position, is_primary,
        receive_quotation_pdf, receive_purchase_order_pdf, receive_purchase_order_invoice_pdf
        FROM contact_companies;
    DROP TABLE contact_companies;
    ALTER TABLE contact_companies_rowid RENAME TO contact_companies;
    CREATE INDEX contact_companies_company ON contact_companies (company_id, contact_id);
    CREATE UNIQUE INDEX contact_companies_one_primary ON contact_companies (company_id) WHERE is_primary = 1;
    CREATE TABLE contact_tags_rowid (
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (contact_id, tag_id)
    );
    INSERT INTO contact_tags_rowid SELECT contact_id, tag_id FROM contact_tags;
    DROP TABLE contact_tags;
    ALTER TABLE contact_tags_rowid RENAME TO contact_tags;
    CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);
    DELETE FROM schema_migrations WHERE version = 9;";

fn table_sql(conn: &rusqlite::Connection, table: &str) -> String {
    conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("the schema of {table}: {e}"))
}

#[tokio::test]
async fn an_upgraded_sqlite_database_keeps_every_link_and_tag_in_order() {
    let s = TestServer::start_on(TestDb::sqlite());
    let alpha = s.create_company("Alpha").await;
    let beta = s.create_company("Beta").await;
    let gamma = s.create_company("Gamma").await;
    let mut ids = Vec::new();
    for body in [
        // Links in an order that is neither the companies' ids nor their names; tags whose
        // order by name differs from the order given and from their ids.
        // Ann is the primary contact of her primary company, gamma.
        json!({"first_name": "Ann", "company_ids": [gamma, alpha, beta], "is_primary": true,
               "tags": ["zeta", "Alpha", "beta", "alpha2"]}),
        json!({"first_name": "Bob", "company_id": beta, "tags": ["beta"]}),
        json!({"first_name": "Cy", "company_ids": [alpha, gamma]}),
    ] {
        ids.push(cid(&s.create_contact(body).await));
    }
    let reads = [
        "/contacts?sort=id".to_owned(),
        format!("/contacts/{}", ids[0]),
        format!("/companies/{alpha}/contacts?sort=id"),
        format!("/companies/{gamma}/contacts?sort=first_name:desc"),
        "/contacts?tag=beta&sort=id".to_owned(),
    ];
    let mut before: Vec<Value> = Vec::new();
    for path in &reads {
        let r = s.get(path).await;
        r.expect(200);
        before.push(r.body);
    }
    let first = &before[1]["data"];
    let names: Vec<&str> = first["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().expect("a tag name"))
        .collect();
    assert_eq!(names, ["Alpha", "alpha2", "beta", "zeta"], "{first}");
    assert_eq!(company_ids(first), vec![gamma, alpha, beta], "{first}");
    assert_eq!(first["companies"][0]["is_primary"], json!(true), "{first}");

    let s = s.restarted_after_sqlite(ROWID_LINK_TABLES);
    for (path, before) in reads.iter().zip(&before) {
        let r = s.get(path).await;
        r.expect(200);
        assert_eq!(&r.body, before, "{path}");
    }

    let conn = rusqlite::Connection::open(s.sqlite_path()).expect("open the database file");
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .expect("foreign keys on");
    for table in ["contact_companies", "contact_tags"] {
        assert!(
            table_sql(&conn, table).contains("WITHOUT ROWID"),
            "{table} is clustered"
        );
    }
    let check: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("integrity_check");
    assert_eq!(check, ["ok"]);
    let insert = |sql: &str| conn.execute(sql, []).map(|_| ()).map_err(|e| e.to_string());
    let (ann, bob): (i64, i64) = (
        ids[0].parse().expect("an id"),
        ids[1].parse().expect("an id"),
    );
    // The same keys, foreign keys and one primary contact per company as before.
    let duplicate = insert(&format!(
        "INSERT INTO contact_companies (contact_id, company_id, position) VALUES ({ann}, {alpha}, 9)"
    ));
    assert!(
        duplicate.is_err_and(|e| e.contains("UNIQUE")),
        "a link twice"
    );
    let second_primary = insert(&format!(
        "INSERT INTO contact_companies (contact_id, company_id, position, is_primary) VALUES ({bob}, {gamma}, 1, 1)"
    ));
    assert!(
        second_primary.is_err_and(|e| e.contains("UNIQUE")),
        "two primary contacts"
    );
    let orphan = insert("INSERT INTO contact_tags (contact_id, tag_id) VALUES (999999, 1)");
    assert!(
        orphan.is_err_and(|e| e.contains("FOREIGN KEY")),
        "a tag of no contact"
    );
    drop(conn);

    // And the server writes them as before.
    let r = s
        .post(
            &format!("/contacts/{bob}"),
            &json!({"company_ids": [gamma, beta], "tags": ["new", "beta"]}),
        )
        .await;
    r.expect(200);
    let mut linked = company_ids(r.data());
    linked.sort_unstable();
    assert_eq!(linked, vec![beta, gamma]);
    let tags: Vec<&str> = r.data()["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().expect("a tag name"))
        .collect();
    assert_eq!(tags, ["beta", "new"]);
    let reread = s.get(&format!("/contacts/{bob}")).await;
    assert_eq!(reread.data(), r.data());
    let r = s.delete(&format!("/contacts/{ann}")).await;
    assert!(r.status == 200 || r.status == 204, "delete: {}", r.status);
    let r = s.get(&format!("/companies/{alpha}/contacts?sort=id")).await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], json!(1));
}
