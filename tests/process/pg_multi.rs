//! Several instances on one PostgreSQL database: correctness holds across processes.
//!
//! Each test starts two `rolodex serve` processes on one fresh database and races requests through
//! both. Run with `ROLODEX_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo nextest run --test pg_multi`.

use std::time::{Duration, Instant};

use crate::pg_common::*;
use crate::support::{self, TestDb, create_token};
use futures::future::join_all;
use serde_json::json;

struct Pair {
    a: Api,
    b: Api,
    db: TestDb,
    // Dropped (stopped) before `db`.
    _servers: [support::ServeProcess; 2],
}

impl Pair {
    /// Both servers' stderr, for failure messages.
    fn logs(&self) -> String {
        self._servers
            .iter()
            .map(|s| s.stderr())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }
}

fn two_instances(test: &str) -> Pair {
    pg_server(test);
    let db = TestDb::new();
    assert!(db.is_postgres());
    let token = create_token(db.url(), "acme", Some("tests"));
    let first = serve(&db, db.url(), &[]);
    let second = serve(&db, db.url(), &[]);
    let (a, b) = (Api::new(&first, &token), Api::new(&second, &token));
    Pair {
        a,
        b,
        _servers: [first, second],
        db,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn concurrent_updates_of_different_fields_through_two_instances_both_survive() {
    let p = two_instances("concurrent_updates_of_different_fields");
    let company = p.a.company("Acme").await;
    let id =
        p.a.contact(json!({"first_name": "Ada", "company_id": company}))
            .await;
    let path = format!("/contacts/{id}");
    for round in 0..25 {
        let last_name = format!("Last{round}");
        let phone = format!("+1 555 {round:04}");
        let tag = format!("round-{round}");
        let (r1, r2, r3) = tokio::join!(
            p.a.post(&path, json!({ "last_name": last_name })),
            p.b.post(&path, json!({ "phone_1": phone })),
            p.b.post(&path, json!({ "tags": [tag] })),
        );
        r1.expect(200);
        r2.expect(200);
        r3.expect(200);
        for api in [&p.a, &p.b] {
            let c = api.get(&path).await.expect(200).clone();
            assert_eq!(c["last_name"], json!(last_name), "round {round}: {c}");
            assert_eq!(c["phone_1"], json!(phone), "round {round}: {c}");
            assert_eq!(c["tags"][0]["name"], json!(tag), "round {round}: {c}");
            assert_eq!(
                c["full_name"],
                json!(format!("Ada {last_name}")),
                "round {round}: {c}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn concurrent_primary_contact_requests_leave_exactly_one_primary() {
    let p = two_instances("concurrent_primary_contact_requests");
    let company = p.a.company("Acme").await;
    let other = p.a.company("Other").await;
    let mut ids = Vec::new();
    for i in 0..8 {
        // Half of them also linked to a second company, so links are rewritten in both orders.
        let body = if i % 2 == 0 {
            json!({"first_name": format!("C{i}"), "company_ids": [company, other]})
        } else {
            json!({"first_name": format!("C{i}"), "company_id": company})
        };
        ids.push(p.a.contact(body).await);
    }
    for round in 0..6 {
        let requests = ids.iter().enumerate().map(|(i, id)| {
            let api = if i % 2 == 0 { p.a.clone() } else { p.b.clone() };
            let path = format!("/contacts/{id}");
            async move { api.post(&path, json!({"is_primary": true})).await }
        });
        for (i, reply) in join_all(requests).await.into_iter().enumerate() {
            assert_eq!(
                reply.status,
                200,
                "round {round}, contact {}: {reply:#?}\nserver logs:\n{}",
                ids[i],
                p.logs()
            );
        }
        let mut primaries = Vec::new();
        for id in &ids {
            let c =
                p.b.get(&format!("/contacts/{id}"))
                    .await
                    .expect(200)
                    .clone();
            let flag = c["companies"]
                .as_array()
                .and_then(|l| l.iter().find(|l| l["id"] == json!(company)))
                .map(|l| l["is_primary"] == json!(true))
                .unwrap_or_else(|| panic!("contact {id} lost its link: {c}"));
            if flag {
                primaries.push(id.clone());
            }
        }
        assert_eq!(
            primaries.len(),
            1,
            "round {round}: primary contacts of the company: {primaries:?}"
        );
        let listed =
            p.a.get(&format!("/companies/{company}/contacts?is_primary=1"))
                .await;
        assert_eq!(
            listed.expect(200).as_array().map(Vec::len),
            Some(1),
            "round {round}: {listed:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn a_token_revoked_on_the_command_line_is_refused_by_every_instance_within_a_second() {
    let p = two_instances("token_revoked_on_the_command_line");
    let victim = create_token(p.db.url(), "acme", Some("victim"));
    let (a, b) = (p.a.with_token(&victim), p.b.with_token(&victim));
    // Both instances have seen (and cached) the token as valid.
    a.get("/contacts").await.expect(200);
    b.get("/contacts").await.expect(200);

    let listed = support::cli(&["tokens", "list", "--database", p.db.url()]);
    let id = support::token_id_from_list(&support::stdout_of(&listed), "victim");
    let out = support::cli(&["tokens", "revoke", &id, "--database", p.db.url()]);
    assert!(out.status.success(), "revoke: {}", support::stderr_of(&out));
    let revoked_at = Instant::now();

    for (name, api) in [("first", &a), ("second", &b)] {
        loop {
            let status = api.get("/contacts").await.status;
            if status == 401 {
                break;
            }
            assert_eq!(status, 200, "{name} instance answered {status}");
            assert!(
                revoked_at.elapsed() < Duration::from_secs(1),
                "the {name} instance still accepts a revoked token after {:?}",
                revoked_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    let refused_after = revoked_at.elapsed();
    assert!(
        refused_after < Duration::from_secs(1),
        "took {refused_after:?}"
    );
    // And it stays refused; the other token still works.
    for api in [&a, &b] {
        api.get("/contacts").await.expect(401);
    }
    p.a.get("/contacts").await.expect(200);
    p.b.get("/contacts").await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn a_login_email_cannot_be_taken_twice_by_racing_requests() {
    let p = two_instances("a_login_email_cannot_be_taken_twice");
    let company = p.a.company("Acme").await;
    for round in 0..8 {
        let email = format!("Race{round}@Example.com");
        // Two contacts with the same address race for the portal login, one through each instance.
        let one =
            p.a.contact(json!({"first_name": "One", "company_id": company, "email": email}))
                .await;
        let two =
            p.a.contact(json!({"first_name": "Two", "company_id": company, "email": email}))
                .await;
        let (path1, path2) = (
            format!("/contacts/{one}/password"),
            format!("/contacts/{two}/b2b-portal-password"),
        );
        let (r1, r2) = tokio::join!(
            p.a.post(&path1, json!({"password": "correct horse 1"})),
            p.b.post(&path2, json!({"password": "correct horse 2"})),
        );
        let mut statuses = [r1.status, r2.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 422], "round {round}: {r1:#?} {r2:#?}");
        let loser = if r1.status == 422 { &r1 } else { &r2 };
        assert!(
            loser.body["errors"]["email"].is_array(),
            "round {round}: {loser:#?}"
        );
        let l1 = p.b.get(&format!("/contacts/{one}")).await.expect(200)["has_portal_login"]
            == json!(true);
        let l2 = p.b.get(&format!("/contacts/{two}")).await.expect(200)["has_portal_login"]
            == json!(true);
        assert!(
            l1 ^ l2,
            "round {round}: exactly one login expected (one: {l1}, two: {l2})"
        );

        // Creating contacts with a login: same race, other email spelling (logins are case-insensitive).
        let email = format!("new{round}@example.com");
        let body = |name: &str, email: &str| json!({"first_name": name, "company_id": company, "email": email, "password": "correct horse 3"});
        let (c1, c2) = tokio::join!(
            p.a.post("/contacts", body("Three", &email)),
            p.b.post("/contacts", body("Four", &email.to_uppercase())),
        );
        let mut statuses = [c1.status, c2.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 422], "round {round}: {c1:#?} {c2:#?}");
        let loser = if c1.status == 422 { &c1 } else { &c2 };
        assert!(
            loser.body["errors"]["email"].is_array(),
            "round {round}: {loser:#?}"
        );
    }
    // The failed creates left nothing behind: 2 contacts per round from the first race, 1 from the second.
    let listed = p.b.get("/contacts?per_page=1").await;
    listed.expect(200);
    assert_eq!(listed.body["meta"]["total"], json!(8 * 3), "{listed:#?}");
}
