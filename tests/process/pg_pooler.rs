//! Rolodex behind PgBouncer in transaction pooling mode: migrations, the command line and two
//! server instances, all through the pooler, with more client connections than the pooler has
//! server connections, so consecutive transactions of one client land on different server
//! connections (what breaks named prepared statements and session state).
//!
//! Needs PgBouncer on 127.0.0.1:6432 (`bash .ci/postgres.sh` starts one), or
//! `ROLODEX_TEST_PGBOUNCER=postgres://user@host:port` naming another.

use std::process::Command;

use crate::pg_common::*;
use crate::support::{self, TestDb, create_token, stderr_of};
use futures::future::join_all;
use serde_json::json;

fn bouncer(test: &str) -> String {
    pg_server(test);
    match std::env::var("ROLODEX_TEST_PGBOUNCER") {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_owned(),
        _ => "postgres://postgres@127.0.0.1:6432".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn the_api_works_through_pgbouncer_in_transaction_pooling_mode() {
    let bouncer = bouncer("the_api_works_through_pgbouncer");
    let db = TestDb::new();
    let url = format!("{bouncer}/{}", db_name(db.url()));

    // The pooler really is there, in transaction mode.
    let admin = connect(&format!("{bouncer}/pgbouncer")).await;
    let config = admin
        .simple_query("SHOW CONFIG")
        .await
        .expect("SHOW CONFIG on the PgBouncer console");
    let pool_mode = config.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) if r.get(0) == Some("pool_mode") => {
            r.get(1).map(str::to_owned)
        }
        _ => None,
    });
    assert_eq!(
        pool_mode.as_deref(),
        Some("transaction"),
        "PgBouncer at {bouncer} is not in transaction mode"
    );

    // Two instances migrating at once, through the pooler.
    let migrations: Vec<_> = (0..2)
        .map(|_| {
            Command::new(support::bin())
                .args(["migrate", "--database", &url])
                .output()
        })
        .collect();
    for m in migrations {
        let out = m.expect("run migrate");
        assert!(
            out.status.success(),
            "migrate through PgBouncer: {}",
            stderr_of(&out)
        );
    }
    let token = create_token(&url, "acme", Some("pooled"));
    let first = serve(&db, &url, &["--pool-size", "8"]);
    let second = serve(&db, &url, &["--pool-size", "8"]);
    let (a, b) = (Api::new(&first, &token), Api::new(&second, &token));

    let companies = [a.company("North").await, b.company("South").await];
    let creates = (0..40).map(|i| {
        let api = if i % 2 == 0 { a.clone() } else { b.clone() };
        let body = json!({
            "first_name": format!("Person{i:02}"),
            "last_name": if i % 3 == 0 { serde_json::Value::Null } else { json!(format!("Family{}", i % 5)) },
            "email": format!("p{i}@example.com"),
            "company_ids": if i % 4 == 0 { json!(companies) } else { json!([companies[i % 2]]) },
            "tags": [format!("group-{}", i % 3)],
            "password": if i % 10 == 0 { json!("pooled password") } else { serde_json::Value::Null },
        });
        async move { api.post("/contacts", body).await }
    });
    let created: Vec<String> = join_all(creates)
        .await
        .into_iter()
        .map(|r| r.expect(201)["id"].as_str().unwrap_or_default().to_owned())
        .collect();

    // Concurrent updates through both instances, then reads that must see them all.
    let updates = created.iter().enumerate().map(|(i, id)| {
        let api = if i % 2 == 0 { b.clone() } else { a.clone() };
        let path = format!("/contacts/{id}");
        async move {
            api.post(
                &path,
                json!({"phone_1": format!("+1 555 {i:04}"), "is_primary": true}),
            )
            .await
        }
    });
    for reply in join_all(updates).await {
        assert_eq!(
            reply.status,
            200,
            "{reply:#?}\nserver logs:\n{}\n---\n{}",
            first.stderr(),
            second.stderr()
        );
    }
    for (i, id) in created.iter().enumerate() {
        let api = if i % 3 == 0 { &a } else { &b };
        let c = api
            .get(&format!("/contacts/{id}"))
            .await
            .expect(200)
            .clone();
        assert_eq!(c["phone_1"], json!(format!("+1 555 {i:04}")), "{c}");
        assert_eq!(c["has_portal_login"], json!(i % 10 == 0), "{c}");
    }
    // Each company ends up with exactly one primary contact (the flag on its link).
    let all = a.get("/contacts?per_page=100").await;
    for company in companies {
        let primaries = all
            .expect(200)
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["companies"].as_array().into_iter().flatten())
            .filter(|l| l["id"] == json!(company) && l["is_primary"] == json!(true))
            .count();
        assert_eq!(primaries, 1, "company {company}: {all:#?}");
    }

    // Lists: filters, sorting and paging agree across instances.
    let page = a
        .get("/contacts?tag=group-1&sort=last_name:desc,first_name:asc&per_page=5&page=2")
        .await;
    let page_b = b
        .get("/contacts?tag=group-1&sort=last_name:desc,first_name:asc&per_page=5&page=2")
        .await;
    assert_eq!(page.body, page_b.body);
    assert_eq!(page.body["meta"]["total"], json!(13), "{page:#?}");
    let contains = a
        .get("/contacts?first_name[contains]=son1&per_page=100")
        .await;
    assert_eq!(
        contains.expect(200).as_array().map(Vec::len),
        Some(10),
        "{contains:#?}"
    );
    let none = a.get("/contacts?first_name[contains]=SON1").await;
    assert_eq!(
        none.expect(200).as_array().map(Vec::len),
        Some(0),
        "contains is case-sensitive: {none:#?}"
    );

    // A login email cannot be taken twice, through the pooler too.
    let (p1, p3) = (
        format!("/contacts/{}/password", created[1]),
        format!("/contacts/{}", created[3]),
    );
    let (r1, r2) = tokio::join!(
        a.post(&p1, json!({"password": "another password"})),
        b.post(
            &p3,
            json!({"email": "p1@example.com", "password": "third password"})
        ),
    );
    let mut statuses = [r1.status, r2.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 422], "{r1:#?} {r2:#?}");

    // Deletes, and the command line through the pooler.
    a.call(
        reqwest::Method::DELETE,
        &format!("/contacts/{}", created[0]),
        None,
    )
    .await
    .expect(204);
    b.get(&format!("/contacts/{}", created[0]))
        .await
        .expect(404);
    let listed = support::cli(&["tokens", "list", "--database", &url]);
    assert!(
        listed.status.success(),
        "tokens list: {}",
        stderr_of(&listed)
    );
    a.get("/health").await.expect(200);
    b.get("/health").await.expect(200);
}

/// A pooler without TLS (as `.ci/postgres.sh` runs it): the default `prefer` goes on in plain
/// text (the test above), `require` is refused, naming TLS.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn require_through_a_pooler_without_tls_is_refused_naming_tls() {
    let bouncer = bouncer("require_through_a_pooler_without_tls_is_refused_naming_tls");
    let db = TestDb::new();
    let url = format!("{bouncer}/{}?sslmode=require", db_name(db.url()));
    let out = support::cli(&["migrate", "--database", &url]);
    assert!(
        !out.status.success(),
        "migrate with sslmode=require succeeded"
    );
    let said = stderr_of(&out);
    assert!(
        said.contains("the database is unavailable: TLS failed with ")
            && said.contains("(sslmode=require): server does not support TLS"),
        "{said}"
    );
}
