//! The official Luminous CLI (LuminousInventory/luminous-cli: Python, httpx 0.28) against Rolodex
//! over HTTPS, by the name it hard-codes (`https://{company}.api.joinluminous.com/external/api/v1`,
//! resolved to 127.0.0.1, the certificate from `rolodex cert`). The CLI itself cannot be installed
//! here, so [`LuminousCli`] sends exactly its requests, header for header (as captured from httpx
//! 0.28.1), and reads the answers the way its code does.

use std::time::Duration;

use crate::support::*;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

/// httpx's default `User-Agent`.
const HTTPX_USER_AGENT: &str = "python-httpx/0.28.1";

/// `application/x-www-form-urlencoded` as httpx writes a query (Python's `urlencode`): everything
/// but letters, digits and `_.-~` percent-encoded, a space as `+`.
fn httpx_query(params: &[(String, String)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const PYTHON_QUOTE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'.')
        .remove(b'-')
        .remove(b'~');
    let quote = |s: &str| {
        utf8_percent_encode(s, PYTHON_QUOTE)
            .to_string()
            .replace("%20", "+")
    };
    params
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The headers httpx sends on every request unless told otherwise.
fn httpx_defaults() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("accept", HeaderValue::from_static("*/*"));
    h.insert("accept-encoding", HeaderValue::from_static("gzip, deflate"));
    h.insert("connection", HeaderValue::from_static("keep-alive"));
    h.insert("user-agent", HeaderValue::from_static(HTTPX_USER_AGENT));
    h
}

/// The CLI's `QueryParams`: `field[op]` filters, `sort`, then `page` and `per_page` (50 unless
/// `--per-page`), always sent.
struct QueryParams {
    filters: Vec<(String, String)>,
    sort: Option<String>,
    page: u64,
    per_page: u64,
}

impl QueryParams {
    fn new(page: u64, per_page: u64) -> QueryParams {
        QueryParams {
            filters: Vec::new(),
            sort: None,
            page,
            per_page,
        }
    }

    /// `--filter "field[op]=value"`.
    fn filter(mut self, field: &str, op: &str, value: &str) -> QueryParams {
        self.filters
            .push((format!("{field}[{op}]"), value.to_owned()));
        self
    }

    fn sort(mut self, sort: &str) -> QueryParams {
        self.sort = Some(sort.to_owned());
        self
    }

    fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = self.filters.clone();
        if let Some(sort) = &self.sort {
            pairs.push(("sort".into(), sort.clone()));
        }
        pairs.push(("page".into(), self.page.to_string()));
        pairs.push(("per_page".into(), self.per_page.to_string()));
        pairs
    }
}

/// How the CLI's `_check_status` classifies a failed answer.
#[derive(Debug, PartialEq)]
enum CliError {
    Authentication(String),
    NotFound(String),
    Conflict(String),
    /// `ValidationError.from_response`: `message` and `errors` (field → messages).
    Validation(String, Vec<(String, Vec<String>)>),
    Other(u16, String),
}

/// How `luminous auth login` ends.
#[derive(Debug, PartialEq)]
enum Login {
    Saved,
    /// "Authentication failed. Check your company slug and API key."
    BadCredentials,
    /// "Unexpected response: HTTP {status}"
    Unexpected(u16),
}

/// `luminous --company COMPANY --api-key KEY ...`.
struct LuminousCli {
    http: reqwest::Client,
    company: String,
    api_key: String,
    port: u16,
}

impl LuminousCli {
    fn new(company: &str, api_key: &str, port: u16, ca_pem: &[u8]) -> LuminousCli {
        let host = format!("{company}.api.joinluminous.com");
        LuminousCli {
            http: tls_client(ca_pem, &[&host], port),
            company: company.to_owned(),
            api_key: api_key.to_owned(),
            port,
        }
    }

    /// `ResolvedAuth.base_url` (plus the test's port: the CLI's is 443).
    fn base_url(&self) -> String {
        format!(
            "https://{}.api.joinluminous.com:{}/external/api/v1",
            self.company, self.port
        )
    }

    /// `luminous auth login`: `httpx.get(.../warehouses, headers={"Authorization": ...},
    /// params={"per_page": "1"}, timeout=10)`, so httpx's own `Accept: */*`.
    async fn login(&self) -> Login {
        let mut headers = httpx_defaults();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", self.api_key)).expect("header"),
        );
        let query = httpx_query(&[("per_page".into(), "1".into())]);
        let resp = self
            .http
            .get(format!("{}/warehouses?{query}", self.base_url()))
            .headers(headers)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the login check reaches the server");
        match resp.status().as_u16() {
            401 => Login::BadCredentials,
            s if s >= 400 => Login::Unexpected(s),
            _ => Login::Saved,
        }
    }

    /// `LuminousClient._request`: the client's headers (`Authorization: Bearer`, `Accept` and
    /// `Content-Type: application/json` on every request, GETs included), params as httpx encodes
    /// them, the body as `orjson.dumps` (compact JSON); `_check_status`; the body parsed, `{}`
    /// when empty.
    async fn request(
        &self,
        method: Method,
        path: &str,
        params: &[(String, String)],
        json_body: Option<&Value>,
    ) -> Result<Value, CliError> {
        let mut headers = httpx_defaults();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", self.api_key)).expect("header"),
        );
        headers.insert("accept", HeaderValue::from_static("application/json"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let mut url = format!("{}{path}", self.base_url());
        if !params.is_empty() {
            url = format!("{url}?{}", httpx_query(params));
        }
        let mut req = self
            .http
            .request(method, url)
            .headers(headers)
            .timeout(Duration::from_secs(30));
        if let Some(body) = json_body {
            req = req.body(serde_json::to_vec(body).expect("JSON"));
        }
        let resp = req.send().await.expect("the request reaches the server");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("the answer's body");
        let body: Value = if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&bytes).unwrap_or(json!({}))
        };
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body["message"].as_str().unwrap_or_default().to_owned();
        Err(match status {
            401 => CliError::Authentication(message),
            404 => CliError::NotFound(message),
            409 => CliError::Conflict(message),
            422 => CliError::Validation(
                body.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("Validation failed")
                    .to_owned(),
                body["errors"]
                    .as_object()
                    .map(|errors| {
                        errors
                            .iter()
                            .map(|(field, messages)| {
                                let messages = match messages.as_array() {
                                    Some(list) => list
                                        .iter()
                                        .map(|m| m.as_str().unwrap_or_default().to_owned())
                                        .collect(),
                                    None => vec![messages.to_string()],
                                };
                                (field.clone(), messages)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => CliError::Other(status, message),
        })
    }

    /// `client.list`: `(data, meta)`.
    async fn list(
        &self,
        path: &str,
        params: &QueryParams,
    ) -> Result<(Vec<Value>, Value), CliError> {
        let body = self
            .request(Method::GET, path, &params.to_pairs(), None)
            .await?;
        let data = body["data"].as_array().cloned().unwrap_or_default();
        Ok((data, body["meta"].clone()))
    }

    /// `luminous RESOURCE list --all`: page 1, 2, ... until `page >= meta.last_page`.
    async fn list_all(
        &self,
        path: &str,
        params: impl Fn(u64) -> QueryParams,
    ) -> Result<(Vec<Value>, u64), CliError> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let (data, meta) = self.list(path, &params(page)).await?;
            all.extend(data);
            let last_page = meta["last_page"].as_u64().unwrap_or(1);
            if page >= last_page {
                return Ok((all, page));
            }
            page += 1;
        }
    }

    /// `client.get` / `create` / `update` (POST): `body.get("data", body)`.
    async fn get(&self, path: &str, id: &Value) -> Result<Value, CliError> {
        let body = self
            .request(Method::GET, &format!("{path}/{}", id_text(id)), &[], None)
            .await?;
        Ok(unwrap_data(body))
    }

    async fn create(&self, path: &str, payload: &Value) -> Result<Value, CliError> {
        let body = self.request(Method::POST, path, &[], Some(payload)).await?;
        Ok(unwrap_data(body))
    }

    async fn update(&self, path: &str, id: &Value, payload: &Value) -> Result<Value, CliError> {
        let body = self
            .request(
                Method::POST,
                &format!("{path}/{}", id_text(id)),
                &[],
                Some(payload),
            )
            .await?;
        Ok(unwrap_data(body))
    }
}

fn unwrap_data(body: Value) -> Value {
    match body.get("data") {
        Some(data) => data.clone(),
        None => body,
    }
}

/// An id as the CLI puts it in a path (`typer` parses it as an int; contact ids arrive as
/// strings, company ids as integers).
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value at a column's dotted path (`company.name`), as the CLI's table renderer reads it.
fn column<'a>(record: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(record, |v, key| &v[key])
}

/// A TLS server with a tenant whose slug is the CLI's company.
struct Luminous {
    server: RunningServer,
    _db: TestDb,
    certs: TestCerts,
    token: String,
}

impl Luminous {
    fn start() -> Luminous {
        let certs = TestCerts::new();
        let db = TestDb::new();
        let args = certs.serve_args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = RunningServer::start(&db, &args);
        let token = server.create_token("acme", Some("luminous-cli"));
        Luminous {
            server,
            _db: db,
            certs,
            token,
        }
    }

    fn cli(&self, company: &str, api_key: &str) -> LuminousCli {
        LuminousCli::new(company, api_key, self.server.port, &self.certs.ca_pem())
    }
}

#[test]
fn httpx_query_encoding_is_pythons() {
    let q = httpx_query(&[
        ("email[contains]".into(), "a b,c".into()),
        ("sort".into(), "last_name:asc".into()),
        ("x".into(), "ü~*".into()),
    ]);
    assert_eq!(
        q,
        "email%5Bcontains%5D=a+b%2Cc&sort=last_name%3Aasc&x=%C3%BC~%2A"
    );
}

#[tokio::test]
async fn luminous_auth_login_saves_a_good_key_and_refuses_a_bad_one() {
    let s = Luminous::start();
    assert_eq!(s.cli("acme", &s.token).login().await, Login::Saved);
    assert_eq!(
        s.cli("acme", "rdx_not-a-real-token").login().await,
        Login::BadCredentials
    );
    assert_eq!(s.cli("acme", "").login().await, Login::BadCredentials);
    // The company in the host name must be the key's tenant (contract §1): another tenant's key
    // signs in only under its own company.
    let globex = s.server.create_token("globex", None);
    assert_eq!(s.cli("acme", &globex).login().await, Login::BadCredentials);
    assert_eq!(s.cli("globex", &globex).login().await, Login::Saved);
}

#[tokio::test]
async fn luminous_companies_and_contacts_commands_work_over_https() {
    let s = Luminous::start();
    let cli = s.cli("acme", &s.token);
    assert_eq!(cli.login().await, Login::Saved);

    // luminous companies create --json '{"name": ..., "city": ...}'
    let mut companies = Vec::new();
    for (name, city) in [
        ("Acme Corporation", "Austin"),
        ("Globex", "Springfield"),
        ("Initech", "Austin"),
    ] {
        let company = cli
            .create(
                "/companies",
                &json!({"name": name, "city": city, "tags": ["cli"]}),
            )
            .await
            .expect("companies create");
        assert_eq!(column(&company, "name"), &json!(name));
        assert_eq!(column(&company, "city"), &json!(city));
        companies.push(company);
    }
    let acme_id = companies[0]["id"].clone();

    // luminous companies get ID; luminous companies update ID --json '{...}' (POST)
    let got = cli
        .get("/companies", &acme_id)
        .await
        .expect("companies get");
    assert_eq!(got["name"], json!("Acme Corporation"));
    let updated = cli
        .update("/companies", &acme_id, &json!({"state": "TX"}))
        .await
        .expect("companies update");
    assert_eq!(updated["state"], json!("TX"));
    assert_eq!(updated["city"], json!("Austin"));

    // luminous companies list --filter "city[eq]=Austin" --sort "name:desc"
    let (data, meta) = cli
        .list(
            "/companies",
            &QueryParams::new(1, 50)
                .filter("city", "eq", "Austin")
                .sort("name:desc"),
        )
        .await
        .expect("companies list");
    let names: Vec<&Value> = data.iter().map(|c| column(c, "name")).collect();
    assert_eq!(names, [&json!("Initech"), &json!("Acme Corporation")]);
    assert_eq!(meta["last_page"], json!(1));

    // luminous contacts create --json '{...}' --tag vip, for 5 contacts
    let mut created = Vec::new();
    for i in 1..=5 {
        let contact = cli
            .create(
                "/contacts",
                &json!({
                    "first_name": format!("Person{i}"),
                    "last_name": "Smith",
                    "email": format!("p{i}@acme.example"),
                    "phone_1": "555-0100",
                    "company_id": acme_id,
                    "tags": ["vip"],
                }),
            )
            .await
            .expect("contacts create");
        // The CLI's table columns.
        assert_eq!(
            column(&contact, "full_name"),
            &json!(format!("Person{i} Smith"))
        );
        assert_eq!(column(&contact, "company.name"), &json!("Acme Corporation"));
        assert_eq!(column(&contact, "phone_1"), &json!("555-0100"));
        assert!(column(&contact, "is_primary").is_boolean());
        assert!(column(&contact, "updated_at").is_string());
        created.push(contact);
    }

    // luminous contacts list --all --per-page 2 --filter "email[contains]=acme.example"
    //   --sort "first_name:asc": walks pages 1..=3 by meta.last_page
    let (all, pages) = cli
        .list_all("/contacts", |page| {
            QueryParams::new(page, 2)
                .filter("email", "contains", "acme.example")
                .sort("first_name:asc")
        })
        .await
        .expect("contacts list --all");
    assert_eq!(pages, 3);
    let names: Vec<&Value> = all.iter().map(|c| column(c, "full_name")).collect();
    let expected: Vec<Value> = (1..=5).map(|i| json!(format!("Person{i} Smith"))).collect();
    assert_eq!(names, expected.iter().collect::<Vec<_>>());

    // A filter value with a space, sent as httpx does (`+`).
    let (data, _) = cli
        .list(
            "/contacts",
            &QueryParams::new(1, 50).filter("full_name", "eq", "Person3 Smith"),
        )
        .await
        .expect("contacts list with a space");
    assert_eq!(data.len(), 1, "{data:?}");

    // luminous contacts get ID; luminous contacts update ID --json '{...}' (POST)
    let id = created[2]["id"].clone();
    let got = cli.get("/contacts", &id).await.expect("contacts get");
    assert_eq!(got["email"], json!("p3@acme.example"));
    let updated = cli
        .update("/contacts", &id, &json!({"phone_1": "555-0199"}))
        .await
        .expect("contacts update");
    assert_eq!(column(&updated, "phone_1"), &json!("555-0199"));
    assert_eq!(column(&updated, "full_name"), &json!("Person3 Smith"));

    // luminous companies contacts list ID (page and per_page sent here too)
    let (data, meta) = cli
        .list(
            &format!("/companies/{}/contacts", id_text(&acme_id)),
            &QueryParams::new(1, 50),
        )
        .await
        .expect("companies contacts list");
    assert_eq!(data.len(), 5);
    assert_eq!(meta["last_page"], json!(1));
    for contact in &data {
        assert_eq!(column(contact, "last_name"), &json!("Smith"));
        assert!(column(contact, "email").is_string());
    }

    // luminous companies tags add ID --tag vip --tag east
    cli.request(
        Method::POST,
        &format!("/companies/{}/tags", id_text(&acme_id)),
        &[],
        Some(&json!({"tags": ["vip", "east"]})),
    )
    .await
    .expect("companies tags add");
    let got = cli
        .get("/companies", &acme_id)
        .await
        .expect("companies get");
    let tags: Vec<&Value> = got["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert_eq!(tags, [&json!("cli"), &json!("east"), &json!("vip")]);

    // What the CLI turns into its errors: 404 (exit 69) and 422 with field errors (exit 65).
    assert_eq!(
        cli.get("/contacts", &json!(999_999)).await,
        Err(CliError::NotFound("Not found.".into()))
    );
    match cli.create("/contacts", &json!({"first_name": "X"})).await {
        Err(CliError::Validation(_, errors)) => {
            assert!(
                errors.iter().any(|(field, _)| field == "company_id"),
                "{errors:?}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    // And a revoked or wrong key: 401 (exit 77).
    let stranger = s.cli("acme", "rdx_wrong");
    assert!(matches!(
        stranger.list("/contacts", &QueryParams::new(1, 50)).await,
        Err(CliError::Authentication(_))
    ));
}
