//! §5.4 with §6: `GET /companies` and `GET /companies/{id}/contacts`.

use crate::support::*;
use serde_json::Value;

async fn create(s: &TestServer, body: Value) -> i64 {
    let r = s.post("/companies", &body).await;
    r.expect(201);
    r.data()["id"].as_i64().expect("integer id")
}

/// Ids of `GET /companies?QUERY`, asserting 200.
async fn company_ids_for(s: &TestServer, query: &str) -> Vec<i64> {
    let r = s.get(&format!("/companies?{query}")).await;
    r.expect(200);
    r.data()
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_i64().expect("integer id"))
        .collect()
}

struct Fixture {
    s: TestServer,
    acme: i64,
    globex: i64,
    initech: i64,
    umbrella: i64,
}

async fn fixture() -> Fixture {
    let s = TestServer::start().await;
    let acme = create(
        &s,
        json!({"name": "Acme", "city": "Austin", "state": "TX", "country": "USA", "postal_code": "78701",
               "phone": "555-1", "client_type": {"name": "Retail"}, "payment_term": "Net 30",
               "tax_exempt": true, "tags": ["vip"]}),
    )
    .await;
    let globex = create(
        &s,
        json!({"name": "Globex", "city": "Boston", "state": "MA", "country": "USA",
               "client_type": {"name": "Wholesale"}, "payment_term": "Net 60", "tags": ["vip", "east"]}),
    )
    .await;
    let initech = create(
        &s,
        json!({"name": "Initech", "city": "austin", "country": "usa", "parent_company_id": acme, "tags": ["east"]}),
    )
    .await;
    let umbrella = create(&s, json!({"name": "Umbrella", "country": ""})).await;
    Fixture {
        s,
        acme,
        globex,
        initech,
        umbrella,
    }
}

#[tokio::test]
async fn lists_are_paged_with_meta() {
    let f = fixture().await;
    let r = f.s.get("/companies").await;
    r.expect(200);
    assert_eq!(
        r.body["meta"],
        json!({"current_page": 1, "from": 1, "last_page": 1, "per_page": 10, "to": 4, "total": 4})
    );
    assert_eq!(r.data()[0]["tags"][0]["name"], "vip");
    assert_eq!(r.data()[0]["type"], "Retail");
    let r = f.s.get("/companies?per_page=3&page=2").await;
    assert_eq!(
        r.body["meta"],
        json!({"current_page": 2, "from": 4, "last_page": 2, "per_page": 3, "to": 4, "total": 4})
    );
    let r = f.s.get("/companies?limit=2").await;
    assert_eq!(r.body["meta"]["per_page"], 2);
    assert_eq!(r.data().as_array().map(Vec::len), Some(2));
    let r = f.s.get("/companies?limit=2&per_page=3").await;
    assert_eq!(r.body["meta"]["per_page"], 3);
    let r = f.s.get("/companies?page=9").await;
    assert_eq!(r.data(), &json!([]));
    assert_eq!(
        r.body["meta"],
        json!({"current_page": 9, "from": null, "last_page": 1, "per_page": 10, "to": null, "total": 4})
    );
    for bad in ["page=0", "per_page=101", "limit=0", "per_page=x"] {
        assert_error(&f.s.get(&format!("/companies?{bad}")).await, 422);
    }
}

#[tokio::test]
async fn filters_on_every_company_field() {
    let f = fixture().await;
    let (acme, globex, initech, umbrella) = (f.acme, f.globex, f.initech, f.umbrella);
    let s = &f.s;
    assert_eq!(company_ids_for(s, &format!("id={globex}")).await, [globex]);
    assert_eq!(
        company_ids_for(s, &format!("id[in]={acme},{umbrella}")).await,
        [acme, umbrella]
    );
    assert_eq!(
        company_ids_for(s, &format!("id[gt]={globex}")).await,
        [initech, umbrella]
    );
    assert_eq!(company_ids_for(s, "name=Acme").await, [acme]);
    assert_eq!(company_ids_for(s, "name[contains]=ec").await, [initech]);
    assert_eq!(
        company_ids_for(s, "name[contains]=EC").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        company_ids_for(s, "name[notcontains]=o").await,
        [acme, initech, umbrella]
    );
    assert_eq!(company_ids_for(s, "status=active").await.len(), 4);
    assert_eq!(company_ids_for(s, "type=Retail").await, [acme]);
    assert_eq!(
        company_ids_for(s, "type[in]=Retail,Wholesale").await,
        [acme, globex]
    );
    assert_eq!(
        company_ids_for(s, "type[notset]").await,
        [initech, umbrella]
    );
    // eq is case-sensitive.
    assert_eq!(company_ids_for(s, "city=Austin").await, [acme]);
    assert_eq!(
        company_ids_for(s, "city[neq]=Austin").await,
        [globex, initech, umbrella]
    );
    assert_eq!(company_ids_for(s, "state=MA").await, [globex]);
    assert_eq!(
        company_ids_for(s, "country[set]").await,
        [acme, globex, initech]
    );
    assert_eq!(company_ids_for(s, "country[notset]").await, [umbrella]);
    assert_eq!(company_ids_for(s, "postal_code=78701").await, [acme]);
    assert_eq!(company_ids_for(s, "phone[set]").await, [acme]);
    assert_eq!(
        company_ids_for(s, &format!("payment_term={}", enc("Net 60"))).await,
        [globex]
    );
    assert_eq!(company_ids_for(s, "tax_exempt=true").await, [acme]);
    assert_eq!(
        company_ids_for(s, "tax_exempt=0").await,
        [globex, initech, umbrella]
    );
    assert_eq!(
        company_ids_for(s, &format!("parent_company_id={acme}")).await,
        [initech]
    );
    assert_eq!(
        company_ids_for(s, "parent_company_id[notset]").await,
        [acme, globex, umbrella]
    );
    assert_eq!(company_ids_for(s, "tag=vip").await, [acme, globex]);
    assert_eq!(
        company_ids_for(s, "tag[neq]=vip").await,
        [initech, umbrella]
    );
    assert_eq!(
        company_ids_for(s, "tag[in]=east,nope").await,
        [globex, initech]
    );
    assert_eq!(
        company_ids_for(s, "tag[notin]=east").await,
        [acme, umbrella]
    );
    assert_eq!(
        company_ids_for(s, "tag[set]").await,
        [acme, globex, initech]
    );
    assert_eq!(company_ids_for(s, "tag[notset]").await, [umbrella]);
    assert_eq!(company_ids_for(s, "tag=vip&tag=east").await, [globex]);
    assert_eq!(
        company_ids_for(s, "created_at[gte]=2000-01-01&updated_at[set]")
            .await
            .len(),
        4
    );
    assert_eq!(
        company_ids_for(s, "created_at[lt]=2000-01-01").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        company_ids_for(s, "created_at[gt]=2000-01-01T00:00:00Z")
            .await
            .len(),
        4
    );
}

#[tokio::test]
async fn sorting_and_bad_queries() {
    let f = fixture().await;
    let (acme, globex, initech, umbrella) = (f.acme, f.globex, f.initech, f.umbrella);
    let s = &f.s;
    assert_eq!(
        company_ids_for(s, "sort=name:desc").await,
        [umbrella, initech, globex, acme]
    );
    // NULLs first ascending and last descending on both backends.
    assert_eq!(
        company_ids_for(s, "sort=state").await,
        [initech, umbrella, globex, acme]
    );
    assert_eq!(
        company_ids_for(s, "sort=state:desc,name:desc").await,
        [acme, globex, umbrella, initech]
    );
    for sort in [
        "city",
        "country",
        "created_at:desc",
        "updated_at",
        "id:desc",
    ] {
        assert_eq!(
            company_ids_for(s, &format!("sort={sort}")).await.len(),
            4,
            "{sort}"
        );
    }
    let r = s.get("/companies?sort=phone").await;
    assert_422(&r, &["sort"]);
    let r = s.get("/companies?sort=name:sideways").await;
    assert_422(&r, &["sort"]);
    let r = s
        .get("/companies?nope=1&name[gt]=a&tax_exempt=maybe&id=x")
        .await;
    assert_422(&r, &["nope", "name[gt]", "tax_exempt", "id"]);
    let r = s.get("/companies?tag[contains]=v").await;
    assert_422(&r, &["tag[contains]"]);
}

#[tokio::test]
async fn company_contacts_take_the_contact_filters() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = s.create_company("B").await;
    let mut in_a = Vec::new();
    for i in 0..12 {
        let c = s
            .create_contact(json!({"first_name": format!("P{i:02}"), "company_ids": if i % 2 == 0 { json!([a]) } else { json!([b, a]) },
                                  "tags": if i < 3 { json!(["vip"]) } else { json!([]) }}))
            .await;
        in_a.push(cid(&c));
    }
    s.create_contact(json!({"first_name": "Elsewhere", "company_id": b}))
        .await;
    let r = s.get(&format!("/companies/{a}/contacts")).await;
    r.expect(200);
    assert_eq!(r.body["meta"]["total"], 12);
    assert_eq!(r.body["meta"]["per_page"], 10);
    assert_eq!(ids(r.data()), in_a[..10]);
    let r = s
        .get(&format!("/companies/{a}/contacts?per_page=5&page=3"))
        .await;
    assert_eq!(ids(r.data()), in_a[10..]);
    let r = s.get(&format!("/companies/{a}/contacts?limit=4")).await;
    assert_eq!(ids(r.data()), in_a[..4]);
    let r = s
        .get(&format!("/companies/{a}/contacts?limit=4&per_page=50"))
        .await;
    assert_eq!(r.body["meta"]["per_page"], 50);
    let r = s
        .get(&format!(
            "/companies/{a}/contacts?tag=vip&sort=first_name:desc"
        ))
        .await;
    assert_eq!(
        ids(r.data()),
        [in_a[2].clone(), in_a[1].clone(), in_a[0].clone()]
    );
    let r = s
        .get(&format!("/companies/{a}/contacts?company.name=B"))
        .await;
    assert_eq!(r.body["meta"]["total"], 6);
    let r = s
        .get(&format!(
            "/companies/{a}/contacts?first_name[contains]=P0&per_page=50"
        ))
        .await;
    assert_eq!(r.body["meta"]["total"], 10);
    assert_422(
        &s.get(&format!("/companies/{a}/contacts?name=x")).await,
        &["name"],
    );
    assert_error(&s.get("/companies/999999/contacts").await, 404);
    let other = s.token("globex");
    assert_error(
        &s.get_as(&format!("/companies/{a}/contacts"), &other).await,
        404,
    );
}
