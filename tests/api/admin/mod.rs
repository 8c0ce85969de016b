//! The admin API of the sandbox (`/admin/v1`), through the real server on either backend:
//! tenants and tokens, reset, seed, snapshots, the journal and fault rules, their bad input (422
//! with every error), unknown slugs (404), wrong tokens (401), and that what one tenant does never
//! touches another.

mod faults;
mod journal;
mod seed;
mod snapshots;
mod tables;
mod tenants;

use reqwest::Method;
use serde_json::Value;

use crate::support::*;

/// The admin token every sandbox test server is started with.
pub const ADMIN: &str = "admin-token-for-the-tests-0123";

/// A server with the admin API (and a journal of 100 per tenant).
pub struct Sandbox {
    pub s: TestServer,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        Sandbox::start_with(&["--journal", "100"])
    }

    /// The admin API plus `args`.
    pub fn start_with(args: &[&str]) -> Sandbox {
        let mut all = vec!["--admin-token", ADMIN];
        all.extend_from_slice(args);
        Sandbox {
            s: TestServer::start_with(TestDb::new(), &all),
        }
    }

    /// An admin request with the admin token: `path` after `/admin/v1`.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.admin_as(method, path, Some(ADMIN), body).await
    }

    pub async fn admin_as(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        let ct = body.map(|_| "application/json");
        self.s
            .raw_request(method, &format!("/admin/v1{path}"), token, bytes, ct, &[])
            .await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.admin(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.admin(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.admin(Method::DELETE, path, None).await
    }

    /// Creates tenant `slug`; returns its token.
    pub async fn tenant(&self, slug: &str) -> String {
        let r = self.post("/tenants", &json!({ "slug": slug })).await;
        r.expect(201);
        r.data()["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {r:#?}"))
            .to_owned()
    }

    /// The tenant's id in the database (for checks below the API).
    pub async fn tenant_id(&self, slug: &str) -> i64 {
        rolodex::service::admin::tenant_id(self.s.server.database(), slug)
            .await
            .unwrap_or_else(|e| panic!("no tenant {slug}: {e}"))
    }

    /// Every row of every record table of the tenant, as a snapshot would hold them.
    pub async fn rows(&self, slug: &str) -> rolodex::store::snapshots::SnapshotData {
        let tenant = self.tenant_id(slug).await;
        self.s
            .server
            .database()
            .read::<_, rolodex::store::StoreError>(async move |tx| {
                rolodex::store::snapshots::capture(tx.conn(), tenant, 1_000_000).await
            })
            .await
            .expect("read the tenant's rows")
            .expect("under the bound")
    }
}

/// A tenant with one of everything: a client type, a price level, two companies (the first a
/// child of the second, made later; the second at the price level), custom fields with values,
/// shipping addresses, tags, contacts linked to both companies, a primary contact, a portal
/// login, and two warehouses besides the main one (the first inside the second, made later).
/// Returns (company ids, contact ids).
pub async fn populate(s: &TestServer, token: &str) -> (Vec<i64>, Vec<String>) {
    s.post_as(
        "/custom-fields",
        token,
        &json!({"label": "Region", "type": "dropdown", "options": {"choices": ["North", "South"]}}),
    )
    .await
    .expect(201);
    let child = s
        .post_as(
            "/companies",
            token,
            &json!({"name": "Child Co", "client_type": {"name": "Wholesale"}, "tags": ["vip"],
                    "custom_fields": {"Region": "North"}, "tax_rate": 8.25,
                    "shipping_addresses": [{"address_1": "1 Dock St", "city": "Austin", "is_default": true},
                                           {"address_1": "2 Dock St", "city": "Dallas"}]}),
        )
        .await;
    child.expect(201);
    let child = child.data()["id"].as_i64().unwrap();
    // Issue 10's price levels: a level, used by a company.
    let level = s
        .post_as(
            "/price-levels",
            token,
            &json!({"name": "Wholesale -10%", "percent_increase": -10}),
        )
        .await;
    level.expect(201);
    // One level is answered bare, as the Luminous page shows it.
    let level = level.body["id"]
        .as_i64()
        .or_else(|| level.data()["id"].as_i64())
        .unwrap_or_else(|| panic!("no price level id: {level:#?}"));
    let parent = s
        .post_as(
            "/companies",
            token,
            &json!({"name": "Parent Co", "price_level_id": level}),
        )
        .await;
    parent.expect(201);
    let parent = parent.data()["id"].as_i64().unwrap();
    s.post_as(
        &format!("/companies/{child}"),
        token,
        &json!({"parent_company_id": parent}),
    )
    .await
    .expect(200);
    let ann = s
        .create_contact_as(
            token,
            json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
                   "company_ids": [child, parent], "is_primary": true, "tags": ["lead", "vip"],
                   "password": "correct horse battery"}),
        )
        .await;
    let bob = s
        .create_contact_as(
            token,
            json!({"first_name": "Bob", "company_id": parent, "phone_1": "555-000-1111"}),
        )
        .await;
    let shelf = s
        .post_as(
            "/warehouses",
            token,
            &json!({"name": "Shelf", "status": "inactive"}),
        )
        .await;
    shelf.expect(201);
    let hall = s
        .post_as("/warehouses", token, &json!({"name": "Hall"}))
        .await;
    hall.expect(201);
    s.post_as(
        &format!("/warehouses/{}", shelf.data()["id"]),
        token,
        &json!({"parent_id": hall.data()["id"]}),
    )
    .await
    .expect(200);
    (vec![child, parent], vec![cid(&ann), cid(&bob)])
}

/// Every record of the tenant as the API shows it: contacts, companies, custom fields, client
/// types, and each company's shipping addresses, contacts and custom-field values.
pub async fn everything(s: &TestServer, token: &str) -> Value {
    let mut out = serde_json::Map::new();
    let contacts = s.get_as("/contacts?per_page=100&sort=id:asc", token).await;
    contacts.expect(200);
    let companies = s.get_as("/companies?per_page=100&sort=id:asc", token).await;
    companies.expect(200);
    for path in [
        "/custom-fields",
        "/client-types",
        "/price-levels?per_page=100",
        "/warehouses?per_page=100",
    ] {
        let r = s.get_as(path, token).await;
        r.expect(200);
        out.insert(path.to_owned(), r.body.clone());
    }
    for company in companies.data().as_array().cloned().unwrap_or_default() {
        let id = company["id"].as_i64().unwrap();
        for sub in ["shipping-addresses", "contacts", "custom-fields", "tags"] {
            let r = s.get_as(&format!("/companies/{id}/{sub}"), token).await;
            r.expect(200);
            out.insert(format!("/companies/{id}/{sub}"), r.body.clone());
        }
    }
    out.insert("/contacts".into(), contacts.body.clone());
    out.insert("/companies".into(), companies.body.clone());
    Value::Object(out)
}
