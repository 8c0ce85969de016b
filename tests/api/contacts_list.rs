//! §4.7 and §6: `GET /contacts` and the query language.

use crate::support::*;
use serde_json::Value;

/// Four contacts for the filter tests (created in this order, so ids ascend):
/// - c1 "Alice Smith", alice@example.com, phone 111, Alpha (primary contact), tag vip, portal login
/// - c2 "alice Jones", no email, phone_2 222, Beta + Alpha, tags vip + new
/// - c3 "Bob Smith", bob@test.org, Beta
/// - c4 "Carol", no last name, Beta, tag new
struct Fixture {
    s: TestServer,
    alpha: i64,
    beta: i64,
    c: Vec<String>,
}

impl Fixture {
    /// Ids of the contacts with these 1-based numbers.
    fn ids(&self, nums: &[usize]) -> Vec<String> {
        nums.iter().map(|n| self.c[n - 1].clone()).collect()
    }

    async fn check(&self, query: &str, want: &[usize]) {
        let r = self.s.get(&format!("/contacts?{query}")).await;
        assert_eq!(r.status, 200, "query {query}: {r:#?}");
        assert_eq!(ids(r.data()), self.ids(want), "query {query}");
        assert_eq!(
            r.body["meta"]["total"],
            json!(want.len()),
            "total for query {query}"
        );
    }

    async fn check_422(&self, query: &str, keys: &[&str]) {
        let r = self.s.get(&format!("/contacts?{query}")).await;
        assert_eq!(r.status, 422, "query {query}: {r:#?}");
        assert_422(&r, keys);
    }
}

async fn fixture() -> Fixture {
    let s = TestServer::start().await;
    let alpha = s.create_company("Alpha").await;
    let beta = s.create_company("Beta").await;
    let c1 = s
        .create_contact(json!({
            "first_name": "Alice", "last_name": "Smith", "email": "alice@example.com",
            "phone_1": "111", "company_id": alpha, "is_primary": true, "tags": ["vip"],
            "password": "password-1"
        }))
        .await;
    let c2 = s
        .create_contact(json!({
            "first_name": "alice", "last_name": "Jones", "phone_2": "222",
            "company_ids": [beta, alpha], "tags": ["vip", "new"]
        }))
        .await;
    let c3 = s
        .create_contact(json!({
            "first_name": "Bob", "last_name": "Smith", "email": "bob@test.org", "company_id": beta
        }))
        .await;
    let c4 = s
        .create_contact(json!({"first_name": "Carol", "company_id": beta, "tags": ["new"]}))
        .await;
    Fixture {
        s,
        alpha,
        beta,
        c: vec![cid(&c1), cid(&c2), cid(&c3), cid(&c4)],
    }
}

fn meta(current: u64, from: Value, last: u64, per: u64, to: Value, total: u64) -> Value {
    json!({
        "current_page": current, "from": from, "last_page": last,
        "per_page": per, "to": to, "total": total
    })
}

// ---------------------------------------------------------------------------------------------
// Paging and meta
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn empty_list_meta() {
    let s = TestServer::start().await;
    let r = s.get("/contacts").await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!({"data": [], "meta": meta(1, Value::Null, 1, 10, Value::Null, 0)})
    );
}

#[tokio::test]
async fn list_envelope_has_data_then_meta_with_exact_keys() {
    let f = fixture().await;
    let r = f.s.get("/contacts").await;
    r.expect(200);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    let mut keys: Vec<String> = keys.into_iter().cloned().collect();
    keys.sort();
    assert_eq!(keys, vec!["data", "meta"]);
    assert_eq!(
        r.body["meta"],
        meta(1, json!(1), 1, 10, json!(4), 4),
        "{r:#?}"
    );
    // Listed objects are full contact objects.
    assert_eq!(r.data()[0], f.s.contact(&f.c[0]).await);
}

#[tokio::test]
async fn pages_have_correct_meta() {
    let f = fixture().await;
    let r = f.s.get("/contacts?per_page=3&page=1").await;
    r.expect(200);
    assert_eq!(r.body["meta"], meta(1, json!(1), 2, 3, json!(3), 4));
    assert_eq!(ids(r.data()), f.ids(&[1, 2, 3]));

    let r = f.s.get("/contacts?per_page=3&page=2").await;
    r.expect(200);
    assert_eq!(r.body["meta"], meta(2, json!(4), 2, 3, json!(4), 4));
    assert_eq!(ids(r.data()), f.ids(&[4]));
}

#[tokio::test]
async fn page_past_the_end_is_empty_with_meta() {
    let f = fixture().await;
    let r = f.s.get("/contacts?per_page=3&page=7").await;
    r.expect(200);
    assert_eq!(r.data(), &json!([]));
    assert_eq!(r.body["meta"], meta(7, Value::Null, 2, 3, Value::Null, 4));
}

#[tokio::test]
async fn default_page_size_is_10() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    for i in 0..12 {
        s.create_contact(json!({"first_name": format!("C{i:02}"), "company_id": co}))
            .await;
    }
    let r = s.get("/contacts").await;
    r.expect(200);
    assert_eq!(r.data().as_array().unwrap().len(), 10);
    assert_eq!(r.body["meta"], meta(1, json!(1), 2, 10, json!(10), 12));
    let r = s.get("/contacts?page=2").await;
    assert_eq!(r.data().as_array().unwrap().len(), 2);
    assert_eq!(r.body["meta"], meta(2, json!(11), 2, 10, json!(12), 12));
}

#[tokio::test]
async fn limit_sets_the_page_size_and_per_page_wins() {
    let f = fixture().await;
    let r = f.s.get("/contacts?limit=2").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["per_page"], json!(2));
    assert_eq!(r.body["meta"]["last_page"], json!(2));
    assert_eq!(r.data().as_array().unwrap().len(), 2);

    let r = f.s.get("/contacts?per_page=3&limit=1").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["per_page"], json!(3));
    assert_eq!(r.data().as_array().unwrap().len(), 3);
    let r = f.s.get("/contacts?limit=1&per_page=3").await;
    assert_eq!(r.body["meta"]["per_page"], json!(3));
}

#[tokio::test]
async fn page_size_bounds() {
    let f = fixture().await;
    let r = f.s.get("/contacts?per_page=100").await;
    r.expect(200);
    assert_eq!(r.body["meta"]["per_page"], json!(100));
    let r = f.s.get("/contacts?per_page=1&page=4").await;
    r.expect(200);
    assert_eq!(ids(r.data()), f.ids(&[4]));
    assert_eq!(r.body["meta"], meta(4, json!(4), 4, 1, json!(4), 4));
}

#[tokio::test]
async fn bad_paging_params_are_422() {
    let f = fixture().await;
    for q in ["page=0", "page=-1", "page=abc", "page=1.5"] {
        f.check_422(q, &["page"]).await;
    }
    for q in ["per_page=0", "per_page=101", "per_page=x", "per_page=-5"] {
        f.check_422(q, &["per_page"]).await;
    }
    for q in ["limit=0", "limit=101", "limit=ten"] {
        f.check_422(q, &["limit"]).await;
    }
    f.check_422("page=0&per_page=500", &["page", "per_page"])
        .await;
}

// ---------------------------------------------------------------------------------------------
// String filters
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn string_eq_is_case_sensitive() {
    let f = fixture().await;
    f.check("first_name=Alice", &[1]).await;
    f.check("first_name[eq]=alice", &[2]).await;
    f.check("first_name[eq]=ALICE", &[]).await;
}

#[tokio::test]
async fn string_neq() {
    let f = fixture().await;
    f.check("first_name[neq]=Alice", &[2, 3, 4]).await;
}

#[tokio::test]
async fn string_contains_is_case_sensitive() {
    let f = fixture().await;
    f.check("first_name[contains]=lic", &[1, 2]).await;
    f.check("first_name[contains]=Al", &[1]).await;
    f.check("first_name[contains]=AL", &[]).await;
    f.check("email[contains]=example", &[1]).await;
}

#[tokio::test]
async fn string_notcontains() {
    let f = fixture().await;
    f.check("first_name[notcontains]=li", &[3, 4]).await;
    f.check("first_name[notcontains]=Al", &[2, 3, 4]).await;
}

#[tokio::test]
async fn contains_treats_wildcards_literally() {
    let f = fixture().await;
    f.check(&format!("first_name[contains]={}", enc("%")), &[])
        .await;
    f.check("first_name[contains]=_", &[]).await;
}

#[tokio::test]
async fn string_in_and_notin() {
    let f = fixture().await;
    f.check("first_name[in]=Alice,Bob", &[1, 3]).await;
    f.check("first_name[notin]=Alice,Bob", &[2, 4]).await;
    f.check("last_name[in]=Smith", &[1, 3]).await;
}

#[tokio::test]
async fn string_set_and_notset() {
    let f = fixture().await;
    f.check("email[set]", &[1, 3]).await;
    f.check("email[notset]", &[2, 4]).await;
    f.check("last_name[set]", &[1, 2, 3]).await;
    f.check("last_name[notset]", &[4]).await;
    f.check("phone_2[set]", &[2]).await;
}

#[tokio::test]
async fn full_name_phone_and_status_filters() {
    let f = fixture().await;
    f.check(&format!("full_name={}", enc("Alice Smith")), &[1])
        .await;
    f.check("full_name[eq]=Carol", &[4]).await;
    f.check("phone=111", &[1]).await;
    f.check("phone_1=111", &[1]).await;
    f.check("phone_1[notset]", &[2, 3, 4]).await;
    f.check("phone_2=222", &[2]).await;
    f.check("status=active", &[1, 2, 3, 4]).await;
    f.check("status[neq]=active", &[]).await;
    f.check("email=bob@test.org", &[3]).await;
}

#[tokio::test]
async fn filters_combine_with_and() {
    let f = fixture().await;
    f.check("first_name[contains]=li&last_name=Smith", &[1])
        .await;
    f.check("last_name=Smith&email[notset]", &[]).await;
}

#[tokio::test]
async fn percent_encoded_brackets_work() {
    let f = fixture().await;
    f.check("first_name%5Beq%5D=Alice", &[1]).await;
}

// ---------------------------------------------------------------------------------------------
// Number filters
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn id_comparisons() {
    let f = fixture().await;
    let c2 = &f.c[1];
    f.check(&format!("id={}", f.c[2]), &[3]).await;
    f.check(&format!("id[neq]={}", f.c[2]), &[1, 2, 4]).await;
    f.check(&format!("id[gt]={c2}"), &[3, 4]).await;
    f.check(&format!("id[gte]={c2}"), &[2, 3, 4]).await;
    f.check(&format!("id[lt]={c2}"), &[1]).await;
    f.check(&format!("id[lte]={c2}"), &[1, 2]).await;
    f.check(&format!("id[in]={},{}", f.c[0], f.c[2]), &[1, 3])
        .await;
    f.check(&format!("id[notin]={},{}", f.c[0], f.c[2]), &[2, 4])
        .await;
    f.check("id[set]", &[1, 2, 3, 4]).await;
    f.check("id[notset]", &[]).await;
}

#[tokio::test]
async fn two_filters_on_the_same_field() {
    let f = fixture().await;
    f.check(&format!("id[gte]={}&id[lte]={}", f.c[1], f.c[2]), &[2, 3])
        .await;
}

#[tokio::test]
async fn company_id_matches_any_link() {
    let f = fixture().await;
    f.check(&format!("company_id={}", f.alpha), &[1, 2]).await;
    f.check(&format!("company_id[eq]={}", f.beta), &[2, 3, 4])
        .await;
    f.check(&format!("company_id[in]={}", f.alpha), &[1, 2])
        .await;
}

#[tokio::test]
async fn company_name_matches_any_link() {
    let f = fixture().await;
    f.check("company.name=Alpha", &[1, 2]).await;
    f.check("company.name[eq]=alpha", &[]).await;
    f.check("company.name[contains]=et", &[2, 3, 4]).await;
}

// ---------------------------------------------------------------------------------------------
// Tags, booleans
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tag_filters() {
    let f = fixture().await;
    f.check("tag=vip", &[1, 2]).await;
    f.check("tag[eq]=new", &[2, 4]).await;
    f.check("tag[neq]=vip", &[3, 4]).await;
    f.check("tag[in]=new,zzz", &[2, 4]).await;
    f.check("tag[notin]=vip", &[3, 4]).await;
    f.check("tag[notin]=vip,new", &[3]).await;
    f.check("tag[set]", &[1, 2, 4]).await;
    f.check("tag[notset]", &[3]).await;
}

#[tokio::test]
async fn is_primary_filter() {
    let f = fixture().await;
    f.check("is_primary=true", &[1]).await;
    f.check("is_primary[eq]=false", &[2, 3, 4]).await;
    f.check("is_primary[neq]=true", &[2, 3, 4]).await;
}

#[tokio::test]
async fn has_portal_login_filter() {
    let f = fixture().await;
    f.check("has_portal_login=true", &[1]).await;
    f.check("has_portal_login[eq]=false", &[2, 3, 4]).await;
    f.check("has_portal_login[neq]=false", &[1]).await;
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn date_filters_with_whole_days() {
    let f = fixture().await;
    let created = f.s.contact(&f.c[0]).await["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    let today = &created[..10];
    let all = [1, 2, 3, 4];
    let none: [usize; 0] = [];
    // The whole fixture is created within a few seconds; skip if it straddled midnight.
    let last = f.s.contact(&f.c[3]).await["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    if &last[..10] != today {
        return;
    }
    f.check(&format!("created_at={today}"), &all).await;
    f.check(&format!("created_at[eq]={today}"), &all).await;
    f.check(&format!("created_at[neq]={today}"), &none).await;
    f.check(&format!("created_at[gt]={today}"), &none).await;
    f.check(&format!("created_at[gte]={today}"), &all).await;
    f.check(&format!("created_at[lt]={today}"), &none).await;
    f.check(&format!("created_at[lte]={today}"), &all).await;
    f.check("created_at[eq]=2000-01-01", &none).await;
    f.check("created_at[neq]=2000-01-01", &all).await;
    f.check("created_at[gt]=2000-01-01", &all).await;
    f.check("created_at[lte]=2000-01-01", &none).await;
    f.check("created_at[lt]=2999-12-31", &all).await;
    f.check("created_at[gte]=2999-12-31", &none).await;
    f.check("created_at[set]", &all).await;
    f.check("created_at[notset]", &none).await;
    f.check(&format!("updated_at[gte]={today}"), &all).await;
    f.check("updated_at[lt]=2000-01-01", &none).await;
    f.check(
        &format!("created_at[gte]=2000-01-01&created_at[lte]={today}"),
        &all,
    )
    .await;
}

#[tokio::test]
async fn date_filters_with_instants() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co}))
        .await;
    s.clock().advance(1);
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co}))
        .await;
    let ta = a["created_at"].as_str().unwrap();
    let tb = b["created_at"].as_str().unwrap();
    assert!(ta < tb, "{ta} {tb}");
    let (ia, ib) = (cid(&a), cid(&b));
    assert_eq!(
        s.list_ids(&format!("created_at[lt]={tb}")).await,
        vec![ia.clone()]
    );
    assert_eq!(
        s.list_ids(&format!("created_at[gte]={tb}")).await,
        vec![ib.clone()]
    );
    assert_eq!(
        s.list_ids(&format!("created_at[gt]={ta}")).await,
        vec![ib.clone()]
    );
    assert_eq!(
        s.list_ids(&format!("created_at[lte]={ta}")).await,
        vec![ia.clone()]
    );
    assert_eq!(
        s.list_ids(&format!("created_at[eq]={ta}")).await,
        vec![ia.clone()]
    );
    assert_eq!(
        s.list_ids(&format!("created_at[neq]={ta}")).await,
        vec![ib.clone()]
    );
    // An offset is honoured: 2000-01-01T01:00:00+01:00 is midnight UTC.
    assert_eq!(
        s.list_ids(&format!(
            "created_at[gte]={}",
            enc("2000-01-01T01:00:00+01:00")
        ))
        .await,
        vec![ia, ib]
    );
}

#[tokio::test]
async fn updated_at_filter_follows_updates() {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let a = s
        .create_contact(json!({"first_name": "A", "company_id": co}))
        .await;
    let b = s
        .create_contact(json!({"first_name": "B", "company_id": co}))
        .await;
    s.clock().advance(1);
    let r = s
        .post(
            &format!("/contacts/{}", cid(&a)),
            &json!({"last_name": "Z"}),
        )
        .await;
    r.expect(200);
    let t = r.data()["updated_at"].as_str().unwrap().to_string();
    assert_eq!(
        s.list_ids(&format!("updated_at[gte]={t}")).await,
        vec![cid(&a)]
    );
    assert_eq!(
        s.list_ids(&format!("updated_at[lt]={t}")).await,
        vec![cid(&b)]
    );
    assert_eq!(
        s.list_ids("sort=updated_at:desc").await,
        vec![cid(&a), cid(&b)]
    );
}

// ---------------------------------------------------------------------------------------------
// Filter errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_field_is_422_keyed_by_param_name() {
    let f = fixture().await;
    f.check_422("nope=1", &["nope"]).await;
    f.check_422("nope[eq]=1", &["nope[eq]"]).await;
    f.check_422("password=x", &["password"]).await;
    f.check_422("company.nope=x", &["company.nope"]).await;
}

#[tokio::test]
async fn operator_not_taken_by_the_field_is_422() {
    let f = fixture().await;
    f.check_422("email[gt]=a", &["email[gt]"]).await;
    f.check_422("email[bogus]=x", &["email[bogus]"]).await;
    f.check_422("id[contains]=1", &["id[contains]"]).await;
    f.check_422("is_primary[contains]=t", &["is_primary[contains]"])
        .await;
    f.check_422("is_primary[set]", &["is_primary[set]"]).await;
    f.check_422("has_portal_login[in]=true", &["has_portal_login[in]"])
        .await;
    f.check_422("created_at[contains]=2023", &["created_at[contains]"])
        .await;
    f.check_422("created_at[in]=2023-01-01", &["created_at[in]"])
        .await;
    f.check_422("tag[contains]=v", &["tag[contains]"]).await;
    f.check_422("tag[gt]=v", &["tag[gt]"]).await;
}

#[tokio::test]
async fn wrong_value_type_is_422() {
    let f = fixture().await;
    f.check_422("id=abc", &["id"]).await;
    f.check_422("id[eq]=abc", &["id[eq]"]).await;
    f.check_422("id[in]=1,x", &["id[in]"]).await;
    f.check_422("company_id=abc", &["company_id"]).await;
    f.check_422("is_primary=maybe", &["is_primary"]).await;
    f.check_422("has_portal_login[eq]=yes", &["has_portal_login[eq]"])
        .await;
    f.check_422("created_at=yesterday", &["created_at"]).await;
    f.check_422("created_at[gt]=2023-13-45", &["created_at[gt]"])
        .await;
    f.check_422("updated_at[lt]=2023-01-01T25:00:00Z", &["updated_at[lt]"])
        .await;
    f.check_422("created_at[eq]=2023-02-30", &["created_at[eq]"])
        .await;
    f.check_422("created_at[gte]=2023-03-15T14:30:00", &["created_at[gte]"])
        .await;
}

#[tokio::test]
async fn several_filter_errors_are_reported_together() {
    let f = fixture().await;
    f.check_422(
        "nope=1&email[gt]=x&id=abc&sort=nope",
        &["email[gt]", "id", "nope", "sort"],
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Sorting
// ---------------------------------------------------------------------------------------------

/// s1 Bea Young z@, s2 Abe Young k@, s3 Cid Adams a@, s4 Abe Adams m@.
async fn sort_fixture() -> (TestServer, Vec<String>) {
    let s = TestServer::start().await;
    let co = s.create_company("Acme").await;
    let mut out = Vec::new();
    for (first, last, email) in [
        ("Bea", "Young", "z@x.com"),
        ("Abe", "Young", "k@x.com"),
        ("Cid", "Adams", "a@x.com"),
        ("Abe", "Adams", "m@x.com"),
    ] {
        let c = s
            .create_contact(json!({
                "first_name": first, "last_name": last, "email": email, "company_id": co
            }))
            .await;
        out.push(cid(&c));
    }
    (s, out)
}

fn pick(ids: &[String], order: &[usize]) -> Vec<String> {
    order.iter().map(|n| ids[n - 1].clone()).collect()
}

#[tokio::test]
async fn default_order_is_id_ascending() {
    let (s, c) = sort_fixture().await;
    assert_eq!(s.list_ids("").await, pick(&c, &[1, 2, 3, 4]));
}

#[tokio::test]
async fn sort_by_one_field_breaks_ties_by_id() {
    let (s, c) = sort_fixture().await;
    assert_eq!(s.list_ids("sort=first_name").await, pick(&c, &[2, 4, 1, 3]));
    assert_eq!(
        s.list_ids("sort=first_name:asc").await,
        pick(&c, &[2, 4, 1, 3])
    );
    // Descending on the field, but the id tie-break stays ascending.
    assert_eq!(
        s.list_ids("sort=first_name:desc").await,
        pick(&c, &[3, 1, 2, 4])
    );
    assert_eq!(s.list_ids("sort=email:asc").await, pick(&c, &[3, 2, 4, 1]));
    assert_eq!(s.list_ids("sort=id:desc").await, pick(&c, &[4, 3, 2, 1]));
    assert_eq!(
        s.list_ids("sort=created_at:asc").await,
        pick(&c, &[1, 2, 3, 4])
    );
}

#[tokio::test]
async fn sort_by_several_fields() {
    let (s, c) = sort_fixture().await;
    assert_eq!(
        s.list_ids("sort=last_name:asc,first_name:asc").await,
        pick(&c, &[4, 3, 2, 1])
    );
    assert_eq!(
        s.list_ids("sort=last_name:desc,first_name:desc").await,
        pick(&c, &[1, 2, 3, 4])
    );
    assert_eq!(
        s.list_ids("sort=last_name,first_name:desc").await,
        pick(&c, &[3, 4, 1, 2])
    );
}

#[tokio::test]
async fn pages_are_stable_under_sorting() {
    let (s, c) = sort_fixture().await;
    let mut seen = Vec::new();
    for page in 1..=4 {
        seen.extend(
            s.list_ids(&format!("sort=last_name&per_page=1&page={page}"))
                .await,
        );
    }
    assert_eq!(seen, pick(&c, &[3, 4, 1, 2]));
}

#[tokio::test]
async fn sort_combines_with_filters_and_paging() {
    let (s, c) = sort_fixture().await;
    let r = s
        .get("/contacts?first_name=Abe&sort=last_name:desc&per_page=1&page=2")
        .await;
    r.expect(200);
    assert_eq!(ids(r.data()), pick(&c, &[4]));
    assert_eq!(r.body["meta"]["total"], json!(2));
    assert_eq!(r.body["meta"]["last_page"], json!(2));
}

#[tokio::test]
async fn bad_sort_is_422_on_sort() {
    let (s, _) = sort_fixture().await;
    for q in [
        "sort=nope",
        "sort=first_name:sideways",
        "sort=phone",
        "sort=full_name:asc",
        "sort=first_name:asc,bogus:desc",
    ] {
        let r = s.get(&format!("/contacts?{q}")).await;
        assert_422(&r, &["sort"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Negations, joins, compatibility
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn negations_are_the_complement_including_nulls() {
    let f = fixture().await;
    // c4 has no last name: it does not equal, is not in, and does not contain "Smith".
    f.check("last_name[neq]=Smith", &[2, 4]).await;
    f.check("last_name[notin]=Smith,Jones", &[4]).await;
    f.check("last_name[notcontains]=mit", &[2, 4]).await;
    f.check("email[neq]=bob@test.org", &[1, 2, 4]).await;
}

#[tokio::test]
async fn multi_valued_joins_do_not_duplicate_rows() {
    let f = fixture().await;
    // c2 carries both tags and is linked to both companies: listed once, counted once.
    f.check("tag[in]=vip,new", &[1, 2, 4]).await;
    f.check("company.name[contains]=a", &[1, 2, 3, 4]).await;
    f.check(
        &format!("company_id[in]={},{}", f.alpha, f.beta),
        &[1, 2, 3, 4],
    )
    .await;
    f.check(
        "tag[set]&company.name[contains]=a&sort=first_name:desc",
        &[2, 4, 1],
    )
    .await;
}

#[tokio::test]
async fn full_name_filter_uses_the_joined_name() {
    let f = fixture().await;
    f.check(&format!("full_name[contains]={}", enc("e S")), &[1])
        .await;
    f.check(
        &format!("full_name[in]={}", enc("Bob Smith,Carol")),
        &[3, 4],
    )
    .await;
}

#[tokio::test]
async fn email_in_filter() {
    let f = fixture().await;
    f.check("email[in]=bob@test.org,alice@example.com", &[1, 3])
        .await;
    f.check("email[notin]=bob@test.org", &[1, 2, 4]).await;
}

#[tokio::test]
async fn luminous_client_default_paging_is_accepted() {
    let f = fixture().await;
    let r = f.s.get("/contacts?page=1&per_page=50").await;
    r.expect(200);
    assert_eq!(r.body["meta"], meta(1, json!(1), 1, 50, json!(4), 4));
}

#[tokio::test]
async fn filters_only_see_the_own_tenant() {
    let f = fixture().await;
    let globex = f.s.token("globex");
    let co = f.s.create_company_as(&globex, "Alpha").await;
    let g =
        f.s.create_contact_as(
            &globex,
            json!({"first_name": "Alice", "last_name": "Smith", "company_id": co, "tags": ["vip"]}),
        )
        .await;
    f.check("first_name=Alice", &[1]).await;
    f.check("tag=vip", &[1, 2]).await;
    f.check("company.name=Alpha", &[1, 2]).await;
    let r =
        f.s.get_as("/contacts?tag=vip&company.name=Alpha", &globex)
            .await;
    r.expect(200);
    assert_eq!(ids(r.data()), vec![cid(&g)]);
    assert_eq!(r.body["meta"]["total"], json!(1));
}

#[tokio::test]
async fn is_primary_filter_uses_the_primary_link_only() {
    let s = TestServer::start().await;
    let a = s.create_company("A").await;
    let b = s.create_company("B").await;
    // Primary contact of B, but B is not this contact's primary company.
    let x = s
        .create_contact(json!({"first_name": "X", "company_id": b, "is_primary": true}))
        .await;
    let r = s
        .post(
            &format!("/contacts/{}", cid(&x)),
            &json!({"company_ids": [a, b]}),
        )
        .await;
    r.expect(200);
    // Still primary company B (it stays primary when in the set).
    assert_eq!(r.data()["company_id"], json!(b.to_string()));
    let y = s
        .create_contact(json!({"first_name": "Y", "company_ids": [a, b]}))
        .await;
    assert_eq!(s.list_ids("is_primary=true").await, vec![cid(&x)]);
    assert_eq!(s.list_ids("is_primary=false").await, vec![cid(&y)]);
}

/// A list field that claims its column is NOT NULL (its PostgreSQL order then has no NULLS
/// clause) is NOT NULL in the migrated schema of the backend under test.
#[tokio::test]
async fn fields_sorted_without_a_nulls_clause_are_not_null_columns() {
    use rolodex::domain::company::CompanyListField;
    use rolodex::domain::contact::ContactListField;
    use rolodex::store::list::{ListFieldSql, SqlField};
    use rolodex::store::{Dialect, StoreError};

    fn claims<F: ListFieldSql>(table: &'static str) -> Vec<(&'static str, String)> {
        F::ALL
            .iter()
            .filter(|f| f.never_null())
            .filter_map(|f| match f.sql() {
                SqlField::Scalar(e) => e.split_once('.').map(|(_, c)| (table, c.to_owned())),
                SqlField::Member { .. } => None,
            })
            .collect()
    }
    let mut claimed = claims::<ContactListField>("contacts");
    claimed.extend(claims::<CompanyListField>("companies"));
    assert!(claimed.len() >= 8, "{claimed:?}");

    let s = TestServer::start().await;
    let nullable = s
        .server
        .database()
        .read::<_, StoreError>(async move |tx| {
            let sql = match tx.conn().dialect() {
                // An INTEGER PRIMARY KEY is the rowid: never NULL, though not declared so.
                Dialect::Sqlite => {
                    "SELECT \"notnull\" = 0 AND pk = 0 AS nullable FROM pragma_table_info($1) WHERE name = $2"
                }
                Dialect::Postgres => {
                    "SELECT (is_nullable = 'YES')::int AS nullable FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
                }
            };
            let mut nullable = Vec::new();
            for (table, column) in &claimed {
                let row = tx
                    .query_one(sql, &[(*table).into(), column.as_str().into()])
                    .await?;
                if row.int("nullable")? != 0 {
                    nullable.push(format!("{table}.{column}"));
                }
            }
            Ok(nullable)
        })
        .await
        .expect("read the schema");
    assert!(
        nullable.is_empty(),
        "claimed NOT NULL but nullable: {nullable:?}"
    );
}
