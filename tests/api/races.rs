//! Races between deleting a company and writes that refer to it: whichever commits first, every
//! answer is what the request would get had it run before or after the delete — never a 500.
//! (On PostgreSQL the writes really interleave; on SQLite they are serialised, so this checks
//! the same answers in whatever order the writer takes them.)

use crate::support::*;
use reqwest::Method;

/// Rounds per scenario: each round deletes a fresh company while several writes link to it.
const ROUNDS: usize = 15;

#[track_caller]
fn assert_one_of(r: &Resp, allowed: &[u16]) {
    assert!(
        allowed.contains(&r.status),
        "expected one of {allowed:?}; response: {r:#?}"
    );
}

#[tokio::test]
async fn contacts_linked_to_a_company_being_deleted_get_201_or_422() {
    let s = TestServer::start().await;
    let keep = s.create_company("Keep").await;
    // An existing contact that will be moved onto the doomed company.
    let existing = s
        .create_contact(json!({"first_name": "Mover", "company_id": keep}))
        .await;
    let mover = format!("/contacts/{}", cid(&existing));
    let mut outcomes = [0usize; 2];
    for round in 0..ROUNDS {
        let doomed = s.create_company(&format!("Doomed {round}")).await;
        let mut reqs = vec![(Method::DELETE, format!("/companies/{doomed}"), None)];
        for i in 0..6 {
            // Linked to the doomed company and to one that stays, so the delete is not refused.
            let body =
                json!({"first_name": format!("R{round}-{i}"), "company_ids": [keep, doomed]});
            reqs.push((Method::POST, "/contacts".to_string(), Some(body)));
        }
        let body = json!({"company_ids": [keep, doomed]});
        reqs.push((Method::PATCH, mover.clone(), Some(body)));
        let body = json!({"first_name": format!("Solo {round}"), "company_id": doomed});
        reqs.push((Method::POST, "/contacts".to_string(), Some(body)));
        let results = s.send_many(reqs).await;
        let deleted = results[0].status == 204;
        // 409 when the contact whose only company it is committed first.
        assert_one_of(&results[0], &[204, 409]);
        for r in &results[1..7] {
            assert_one_of(r, &[201, 422]);
            if r.status == 422 {
                assert_422(r, &["company_ids.1"]);
                outcomes[1] += 1;
            } else {
                outcomes[0] += 1;
            }
        }
        assert_one_of(&results[7], &[200, 422]);
        if results[7].status == 422 {
            assert_422(&results[7], &["company_ids.1"]);
        }
        assert_one_of(&results[8], &[201, 422]);
        if results[8].status == 422 {
            assert_422(&results[8], &["company_id"]);
        }
        if deleted {
            // Nothing may still point at the deleted company.
            let r = s.get(&format!("/contacts?company_id={doomed}")).await;
            assert!(
                r.status == 404 || r.body["meta"]["total"] == json!(0),
                "{r:#?}"
            );
            s.get(&mover).await.expect(200);
        } else {
            // The solo contact keeps the company alive; unlink it for the next round.
            let solo = cid(results[8].data());
            s.delete(&format!("/contacts/{solo}")).await.expect(204);
        }
    }
    eprintln!(
        "contact writes: {} linked, {} refused",
        outcomes[0], outcomes[1]
    );
}

#[tokio::test]
async fn company_children_written_while_the_company_is_deleted_get_2xx_or_404() {
    let s = TestServer::start().await;
    let field = s
        .post(
            "/custom-fields",
            &json!({"label": "Region", "type": "string"}),
        )
        .await;
    field.expect(201);
    for round in 0..ROUNDS {
        let doomed = s.create_company(&format!("Doomed {round}")).await;
        let co = format!("/companies/{doomed}");
        let reqs = vec![
            (Method::DELETE, co.clone(), None),
            (
                Method::POST,
                format!("{co}/shipping-addresses"),
                Some(json!({"address_1": "1 Quai", "city": "Lyon"})),
            ),
            (
                Method::POST,
                format!("{co}/tags"),
                Some(json!({"tags": [format!("t{round}")]})),
            ),
            (
                Method::PUT,
                format!("{co}/tags"),
                Some(json!({"tags": ["x", format!("u{round}")]})),
            ),
            (
                Method::PUT,
                format!("{co}/custom-fields"),
                Some(json!({"Region": "North"})),
            ),
            (
                Method::PATCH,
                co.clone(),
                Some(json!({"name": format!("Renamed {round}")})),
            ),
            (
                Method::POST,
                "/companies".to_string(),
                Some(json!({"name": format!("Child {round}"), "parent_company_id": doomed})),
            ),
        ];
        let results = s.send_many(reqs).await;
        assert_one_of(&results[0], &[204]);
        assert_one_of(&results[1], &[201, 404]);
        assert_one_of(&results[2], &[200, 201, 404]);
        assert_one_of(&results[3], &[200, 404]);
        assert_one_of(&results[4], &[200, 404]);
        assert_one_of(&results[5], &[200, 404]);
        assert_one_of(&results[6], &[201, 422]);
        if results[6].status == 422 {
            assert_422(&results[6], &["parent_company_id"]);
        } else {
            // Created before the delete: the delete then cleared the parent.
            let id = results[6].data()["id"].as_i64().unwrap();
            let child = s.get(&format!("/companies/{id}")).await;
            child.expect(200);
            assert_eq!(child.data()["parent_company_id"], json!(null), "{child:#?}");
        }
        s.get(&co).await.expect(404);
    }
}

/// Deleting a price level while companies are created with it and moved onto it: the delete is
/// 204 only if no write took the level first (those then get 422 on `price_level_id`), else 409;
/// never a 500, and never a company left pointing at a deleted level.
#[tokio::test]
async fn companies_taking_a_price_level_being_deleted_get_a_consistent_answer() {
    let s = TestServer::start().await;
    let movers: Vec<i64> = {
        let mut v = Vec::new();
        for i in 0..3 {
            v.push(s.create_company(&format!("Mover {i}")).await);
        }
        v
    };
    for round in 0..ROUNDS {
        let r = s
            .post("/price-levels", &json!({"name": format!("Doomed {round}")}))
            .await;
        r.expect(201);
        let level = r.body["id"].as_i64().expect("level id");
        let mut reqs = vec![(Method::DELETE, format!("/price-levels/{level}"), None)];
        for i in 0..3 {
            let body = json!({"name": format!("R{round}-{i}"), "price_level_id": level});
            reqs.push((Method::POST, "/companies".to_string(), Some(body)));
        }
        for mover in &movers {
            let body = json!({"price_level_id": level});
            reqs.push((Method::PATCH, format!("/companies/{mover}"), Some(body)));
        }
        let results = s.send_many(reqs).await;
        assert_one_of(&results[0], &[204, 409]);
        let deleted = results[0].status == 204;
        let mut took = 0;
        for r in &results[1..] {
            assert_one_of(r, &[200, 201, 422]);
            if r.status == 422 {
                assert_422(r, &["price_level_id"]);
            } else {
                assert_eq!(r.data()["price_level"]["id"], json!(level), "{r:#?}");
                took += 1;
            }
        }
        if deleted {
            assert_eq!(took, 0, "a company took a level that was then deleted");
            let r = s.get(&format!("/companies?price_level_id={level}")).await;
            assert_eq!(r.body["meta"]["total"], json!(0), "{r:#?}");
        } else {
            assert!(took > 0, "409 although no company took the level");
            s.get(&format!("/price-levels/{level}")).await.expect(200);
        }
        // Free the movers for the next round.
        for mover in &movers {
            s.patch(
                &format!("/companies/{mover}"),
                &json!({"price_level_id": null}),
            )
            .await
            .expect(200);
        }
    }
}
