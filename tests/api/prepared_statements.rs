//! SQLite keeps each statement compiled (a per-connection cache), unless the statement's plan
//! depends on the values bound to it: then SQLite compiles it again at every execution, which costs
//! more than running it. A LEFT JOIN with bound parameters does that (SQLite 3.54), as does
//! `col = $n` on an indexed column once ANALYZE has gathered statistics. The connections turn on
//! SQLite's query planner stability guarantee against that; this drives the single-record paths,
//! the token check every request makes and filtered lists with changing values, and counts the
//! re-preparations. (It does not run ANALYZE: that makes every connection re-prepare each cached
//! statement once, which a count cannot tell from re-preparing at every execution.)

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_paths_never_make_sqlite_recompile_a_statement() {
    let s = TestServer::start_on(TestDb::sqlite());
    let mut levels = Vec::new();
    for name in ["Wholesale", "Retail"] {
        let r = s.post("/price-levels", &json!({"name": name})).await;
        assert_eq!(r.status, 201, "{r:?}");
        levels.push(r.body["id"].as_i64().expect("level id"));
    }
    let mut companies = Vec::new();
    for i in 0..3 {
        // Two companies with a price level, one without.
        let level = levels.get(i).copied();
        let r = s
            .post(
                "/companies",
                &json!({"name": format!("Co {i}"), "client_type": {"name": format!("Type {i}")},
                        "tags": [format!("t{i}")], "shipping_addresses": [{"address_1": "1 Main St", "city": "Austin"}],
                        "price_level_id": level}),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        companies.push(r.body["data"]["id"].as_i64().expect("company id"));
    }
    let mut contacts = Vec::new();
    for (i, company) in companies.iter().enumerate() {
        let r = s
            .post(
                "/contacts",
                &json!({"first_name": format!("Ann {i}"), "email": format!("ann{i}@example.com"),
                        "company_id": company, "tags": ["vip"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        contacts.push(
            r.body["data"]["id"]
                .as_str()
                .expect("contact id")
                .to_owned(),
        );
    }
    // A second tenant's token: the token check then binds another hash on the same readers.
    let other = s.token("globex");
    let before = s.server.database().sqlite_reprepared();
    for round in 0..4 {
        if round == 2 {
            // Past the token checks' half-second cache, so both tokens are looked up again (and
            // the check binds a later time).
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let r = s.get_as("/price-levels", &other).await;
        assert_eq!(r.status, 200, "{r:?}");
        for (i, (contact, company)) in contacts.iter().zip(&companies).enumerate() {
            let r = s
                .post(
                    &format!("/contacts/{contact}"),
                    &json!({"first_name": format!("Bo {round}.{i}"), "email": format!("bo{round}.{i}@example.com")}),
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            let r = s
                .post(
                    &format!("/companies/{company}"),
                    &json!({"name": format!("Co {round}.{i}"), "city": format!("City {round}"),
                            "price_level_id": levels[(round + i) % 2]}),
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            for path in [
                format!("/contacts/{contact}"),
                format!("/companies/{company}"),
                format!("/price-levels/{}", levels[i % 2]),
                format!("/contacts?first_name=Bo%20{round}.{i}&sort=last_name:asc,first_name:asc"),
                format!("/contacts?last_name={round}&sort=first_name:desc&per_page=25"),
                format!("/companies/{company}/contacts?first_name[contains]=Bo&per_page=5"),
                format!("/companies/{company}/contacts?page={}", round + 1),
            ] {
                let r = s.get(&path).await;
                assert_eq!(r.status, 200, "{path}: {r:?}");
            }
        }
    }
    // (A statement compiled before the schema was migrated is compiled again once; that is not
    // what this is about, so only the loop is counted.)
    let after = s.server.database().sqlite_reprepared();
    assert_eq!(
        after.zip(before).map(|(a, b)| a - b),
        Some(0),
        "statements re-prepared by the hot paths (before: {before:?}, after: {after:?})"
    );
}
