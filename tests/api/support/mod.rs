//! Helpers of the API tests, plus those both crates share (`common`).
//!
//! The server runs in the test process: the real router behind the real serve loop (the one
//! `rolodex serve` runs, with its limits and timeouts) on a real socket, on its own runtime, against
//! a fresh database. Its options come from the same flags `rolodex serve` takes, and its clock is a
//! hand-set one (see [`TestServer::clock`]).

#[path = "../../common/mod.rs"]
mod common;

pub use common::*;

use std::future::Future;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use rolodex::clock::{Clock, ManualClock};
use rolodex::store::Database;
use serde_json::Value;
use tokio::runtime::Runtime;

// ---------------------------------------------------------------------------------------------
// The server, in process
// ---------------------------------------------------------------------------------------------

/// `rolodex serve` running in this process, on 127.0.0.1 and a free port. Its own multi-threaded
/// runtime (as the binary has) serves it, so a test may block its own thread (raw sockets,
/// `std::thread::sleep`) or run its own runtime without starving the server. Dropping it stops it.
pub struct RunningServer {
    /// `http://127.0.0.1:PORT` (`https://` when serving TLS).
    pub base: String,
    pub port: u16,
    db: Database,
    clock: ManualClock,
    /// `None` only while dropping.
    runtime: Option<Runtime>,
}

impl RunningServer {
    /// Starts a server on `db` configured as `rolodex serve ARGS...` would be (the same flags,
    /// parsed by the same code; `--listen` does not apply), with a hand-set clock standing at the
    /// current time.
    pub fn start(db: &TestDb, args: &[&str]) -> RunningServer {
        let (mut db_options, serve_options) = rolodex::cli::serve_options(args)
            .unwrap_or_else(|e| panic!("bad serve flags {args:?}: {e}"));
        let clock = ManualClock::starting_now();
        db_options.clock = Clock::Manual(clock.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .expect("build the server runtime");
        let url = db.url().to_owned();
        let (database, listener) = run_on(&runtime, async move {
            let database = Database::open(&url, &db_options)
                .await
                .unwrap_or_else(|e| panic!("cannot open database {url}: {e}"));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            (database, listener)
        });
        let port = listener.local_addr().expect("local address").port();
        let scheme = if serve_options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let served = database.clone();
        runtime.spawn(async move {
            // Runs until the runtime is shut down (on drop).
            let stopped = rolodex::http::serve(
                listener,
                served,
                &serve_options,
                std::future::pending::<()>(),
            )
            .await;
            if let Err(e) = stopped {
                eprintln!("the test server stopped: {e}");
            }
        });
        RunningServer {
            base: format!("{scheme}://127.0.0.1:{port}"),
            port,
            db: database,
            clock,
            runtime: Some(runtime),
        }
    }

    /// A new token for `tenant` (and the tenant, if new), made by the code `rolodex tokens create`
    /// runs.
    pub fn create_token(&self, tenant: &str, name: Option<&str>) -> String {
        let Some(runtime) = &self.runtime else {
            unreachable!("the runtime is there until drop")
        };
        let (db, tenant, name) = (self.db.clone(), tenant.to_owned(), name.map(str::to_owned));
        let created = run_on(runtime, async move {
            rolodex::service::tokens::create(&db, &tenant, name).await
        });
        match created {
            Ok((_, token)) => token,
            Err(e) => panic!("creating a token failed: {e}"),
        }
    }

    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The server's database handle (shared with the server).
    pub fn database(&self) -> &Database {
        &self.db
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Shutting a runtime down waits for its threads, which a test's async context may not
            // do; a plain thread may.
            let stopped =
                std::thread::spawn(move || runtime.shutdown_timeout(Duration::from_secs(5)));
            let _ = stopped.join();
        }
    }
}

/// Runs `work` on `runtime` and waits for it, from any thread: a test's own (async) one included,
/// where `Runtime::block_on` would refuse.
fn run_on<T: Send>(runtime: &Runtime, work: impl Future<Output = T> + Send) -> T {
    let handle = runtime.handle();
    std::thread::scope(|scope| match scope.spawn(|| handle.block_on(work)).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// A response: status, headers, raw body and the body parsed as JSON (`Null` when empty,
/// `Value::String(raw)` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_string())
    }

    /// `body["data"]`.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// Sorted keys of `body["errors"]`.
    pub fn error_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.body["errors"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    /// Asserts the status, with the whole response in the failure message.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; response: {self:#?}"
        );
        self
    }
}

async fn send_request(req: reqwest::RequestBuilder, what: &str) -> Resp {
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what} failed: {e:?}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("read body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Resp {
        status,
        headers,
        text,
        body,
    }
}

/// A server on its own fresh database, with a token for tenant `acme`.
pub struct TestServer {
    // Field order matters for drop: the server stops before the database goes.
    pub server: RunningServer,
    pub db: TestDb,
    pub token: String,
    pub client: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_on(TestDb::new())
    }

    /// A server on `db` (e.g. `TestDb::sqlite()` for what only SQLite has).
    pub fn start_on(db: TestDb) -> TestServer {
        TestServer::start_with(db, &[])
    }

    /// A server on `db` started with `serve` flags `args` (e.g. `--admin-token`).
    pub fn start_with(db: TestDb, args: &[&str]) -> TestServer {
        let server = RunningServer::start(&db, args);
        let token = server.create_token("acme", Some("tests"));
        TestServer {
            server,
            db,
            token,
            client: client(),
        }
    }

    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// The file of a SQLite test database.
    pub fn sqlite_path(&self) -> String {
        self.db
            .url()
            .strip_prefix("sqlite://")
            .expect("a SQLite test database")
            .to_owned()
    }

    /// Stops the server, runs `sql` on its SQLite file (e.g. to take the schema back to an
    /// earlier version), and starts a server of this version on it again, same token.
    pub fn restarted_after_sqlite(self, sql: &str) -> TestServer {
        let path = self.sqlite_path();
        let TestServer {
            server,
            db,
            token,
            client,
        } = self;
        drop(server);
        let conn = rusqlite::Connection::open(&path).expect("open the database file");
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("editing the stopped server's database: {e}"));
        drop(conn);
        TestServer {
            server: RunningServer::start(&db, &[]),
            db,
            token,
            client,
        }
    }

    /// A new token for `tenant` (created through the library while the server runs).
    pub fn token(&self, tenant: &str) -> String {
        self.server.create_token(tenant, None)
    }

    /// A new named token for `tenant`.
    pub fn named_token(&self, tenant: &str, name: &str) -> String {
        self.server.create_token(tenant, Some(name))
    }

    /// The server's clock: every timestamp it stores is read from it. It stands still unless a
    /// test moves it (`advance`), so a test moves `updated_at` without sleeping.
    pub fn clock(&self) -> &ManualClock {
        self.server.clock()
    }

    /// `http://127.0.0.1:PORT` + `path` (no API prefix).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.base, path)
    }

    /// Full URL of an API path (`/contacts` → `http://.../external/api/v1/contacts`).
    pub fn api_url(&self, path: &str) -> String {
        self.url(&format!("{API}{path}"))
    }

    /// The most general request: `path` is absolute (e.g. `/health` or `/external/api/v1/...`).
    pub async fn raw_request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        content_type: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            req = req.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        send_request(req, &format!("{method} {path}")).await
    }

    /// Sends JSON requests (method, API path, body) with the `acme` token all at once and
    /// returns the responses in the order given.
    pub async fn send_many(&self, reqs: Vec<(Method, String, Option<Value>)>) -> Vec<Resp> {
        let mut set = tokio::task::JoinSet::new();
        for (i, (method, path, body)) in reqs.into_iter().enumerate() {
            let mut req = self
                .client
                .request(method.clone(), self.api_url(&path))
                .bearer_auth(&self.token);
            if let Some(body) = body {
                req = req.json(&body);
            }
            set.spawn(async move { (i, send_request(req, &format!("{method} {path}")).await) });
        }
        let mut out: Vec<(usize, Resp)> = set.join_all().await;
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// A request to an API path.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        content_type: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.raw_request(
            method,
            &format!("{API}{path}"),
            token,
            body,
            content_type,
            headers,
        )
        .await
    }

    /// A JSON request to an API path with the given token.
    pub async fn send_as(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        let ct = body.map(|_| "application/json");
        self.request(
            method,
            path,
            Some(token),
            bytes,
            ct,
            &[("Accept", "application/json")],
        )
        .await
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.send_as(method, path, &self.token, body).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Resp {
        self.send_as(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send_as(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn delete_as(&self, path: &str, token: &str) -> Resp {
        self.send_as(Method::DELETE, path, token, None).await
    }

    /// Creates a company of tenant `acme`; returns its id.
    pub async fn create_company(&self, name: &str) -> i64 {
        self.create_company_as(&self.token.clone(), name).await
    }

    pub async fn create_company_as(&self, token: &str, name: &str) -> i64 {
        let r = self
            .post_as("/companies", token, &json!({ "name": name }))
            .await;
        r.expect(201);
        r.data()["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("company id is not an integer: {r:#?}"))
    }

    /// Creates a contact of tenant `acme` (asserting 201); returns `data`.
    pub async fn create_contact(&self, body: Value) -> Value {
        let r = self.post("/contacts", &body).await;
        r.expect(201);
        r.data().clone()
    }

    pub async fn create_contact_as(&self, token: &str, body: Value) -> Value {
        let r = self.post_as("/contacts", token, &body).await;
        r.expect(201);
        r.data().clone()
    }

    /// Creates a company and a contact with the given first name in it; returns the contact.
    pub async fn quick_contact(&self, first_name: &str) -> Value {
        let co = self.create_company(&format!("{first_name} Co")).await;
        self.create_contact(json!({ "first_name": first_name, "company_id": co }))
            .await
    }

    /// `GET /contacts/{id}` data (asserting 200).
    pub async fn contact(&self, id: &str) -> Value {
        let r = self.get(&format!("/contacts/{id}")).await;
        r.expect(200);
        r.data().clone()
    }

    /// `GET /contacts?QUERY` (asserting 200) → the list of ids in order.
    pub async fn list_ids(&self, query: &str) -> Vec<String> {
        let r = self.get(&format!("/contacts?{query}")).await;
        r.expect(200);
        ids(r.data())
    }
}

// ---------------------------------------------------------------------------------------------
// Assertions and small helpers
// ---------------------------------------------------------------------------------------------

/// The string id of a contact object.
pub fn cid(contact: &Value) -> String {
    contact["id"]
        .as_str()
        .unwrap_or_else(|| panic!("contact id is not a string: {contact}"))
        .to_string()
}

/// Ids (as strings) of a list of contact objects.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|c| match &c["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Asserts a JSON error body: the status and a non-empty `message` string.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16) {
    r.expect(status);
    let msg = r.body["message"].as_str();
    assert!(
        msg.is_some_and(|m| !m.is_empty()),
        "error without a message string: {r:#?}"
    );
}

/// Asserts a 422 whose `errors` has exactly `keys`, each an array of non-empty message strings.
#[track_caller]
pub fn assert_422(r: &Resp, keys: &[&str]) {
    assert_error(r, 422);
    let errors = r.body["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("422 without an errors object: {r:#?}"));
    for (k, v) in errors {
        let arr = v
            .as_array()
            .unwrap_or_else(|| panic!("errors.{k} is not an array: {r:#?}"));
        assert!(!arr.is_empty(), "errors.{k} is empty: {r:#?}");
        for m in arr {
            assert!(
                m.as_str().is_some_and(|s| !s.is_empty()),
                "errors.{k} has a non-string message: {r:#?}"
            );
        }
    }
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(r.error_keys(), want, "wrong error keys; response: {r:#?}");
}

/// Asserts 401 `{"message":"Unauthenticated."}` with `WWW-Authenticate: Bearer`.
#[track_caller]
pub fn assert_401(r: &Resp) {
    r.expect(401);
    assert_eq!(r.body, json!({"message": "Unauthenticated."}), "{r:#?}");
    let www = r.header("www-authenticate").unwrap_or_default();
    assert!(
        www.starts_with("Bearer"),
        "missing WWW-Authenticate: Bearer: {r:#?}"
    );
}

/// True for `YYYY-MM-DDTHH:MM:SSZ`.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Sorted names of a contact's tags.
pub fn tag_names(contact: &Value) -> Vec<String> {
    contact["tags"]
        .as_array()
        .unwrap_or_else(|| panic!("tags is not an array: {contact}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Ids (integers) of a contact's `companies`, in order.
pub fn company_ids(contact: &Value) -> Vec<i64> {
    contact["companies"]
        .as_array()
        .unwrap_or_else(|| panic!("companies is not an array: {contact}"))
        .iter()
        .map(|c| {
            c["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("companies[].id is not an integer: {contact}"))
        })
        .collect()
}
