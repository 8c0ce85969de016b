//! Shared helpers for the black-box integration tests.
//!
//! Every test starts its own `rolodex serve` process on a fresh database: a SQLite file in a
//! temporary directory, or — when `ROLODEX_TEST_POSTGRES` is set to a server URL such as
//! `postgres://postgres@127.0.0.1:5432` — a freshly created PostgreSQL database that is dropped
//! again afterwards. Tests talk to the server only over HTTP and the command line.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub use serde_json::json;

/// Base path of the external API.
pub const API: &str = "/external/api/v1";

/// How long a server may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rolodex")
}

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

/// A fresh, empty database (not yet migrated), removed again on drop.
pub struct TestDb {
    url: String,
    /// Temporary directory: holds the SQLite file (SQLite mode) and server logs (both modes).
    dir: tempfile::TempDir,
    /// `(admin url, database name)` of a PostgreSQL database to drop on drop.
    pg: Option<(String, String)>,
}

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("rolodex-test-")
            .tempdir()
            .expect("create temp dir");
        match std::env::var("ROLODEX_TEST_POSTGRES") {
            Ok(server) if !server.trim().is_empty() => {
                let server = server.trim().trim_end_matches('/').to_string();
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                let name = format!(
                    "rolodex_test_{}_{}_{}",
                    std::process::id(),
                    DB_COUNTER.fetch_add(1, Ordering::SeqCst),
                    nanos % 1_000_000_000
                );
                let admin = format!("{server}/postgres");
                psql(&admin, &format!("CREATE DATABASE {name}"));
                TestDb {
                    url: format!("{server}/{name}"),
                    dir,
                    pg: Some((admin, name)),
                }
            }
            _ => {
                let path = dir.path().join("rolodex.db");
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    dir,
                    pg: None,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A fresh SQLite database whatever `ROLODEX_TEST_POSTGRES` says, for behaviour only SQLite
    /// has (its reader time budget, for instance).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("rolodex-test-")
            .tempdir()
            .expect("create temp dir");
        let path = dir.path().join("rolodex.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            dir,
            pg: None,
        }
    }
}

impl Default for TestDb {
    fn default() -> Self {
        TestDb::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = Command::new("psql")
                .arg(admin)
                .arg("-v")
                .arg("ON_ERROR_STOP=1")
                .arg("-q")
                .arg("-c")
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .arg("-q")
        .arg("-c")
        .arg(sql)
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/// Runs `rolodex ARGS...` to completion.
pub fn cli(args: &[&str]) -> Output {
    cli_env(args, &[])
}

/// Runs `rolodex ARGS...` with extra environment variables.
pub fn cli_env(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("ROLODEX_DATABASE_URL")
        .env_remove("ROLODEX_LISTEN");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run rolodex")
}

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `rolodex tokens create --tenant SLUG --name NAME --database URL` → the token (last stdout line).
pub fn create_token(database_url: &str, tenant: &str, name: Option<&str>) -> String {
    let mut args = vec!["tokens", "create", "--tenant", tenant];
    if let Some(name) = name {
        args.push("--name");
        args.push(name);
    }
    args.push("--database");
    args.push(database_url);
    let out = cli(&args);
    assert!(
        out.status.success(),
        "tokens create failed ({}): stdout={} stderr={}",
        out.status,
        stdout_of(&out),
        stderr_of(&out)
    );
    last_line(&stdout_of(&out))
}

/// The last non-empty line of a text, trimmed.
pub fn last_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// Finds the numeric id of the token named `name` in the output of `tokens list`: the first
/// word made only of digits on the line that mentions the name.
pub fn token_id_from_list(list_output: &str, name: &str) -> String {
    let line = list_output
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("token {name:?} not in list output:\n{list_output}"));
    line.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .unwrap_or_else(|| panic!("no numeric id on line {line:?}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------------------------

/// A running `rolodex serve` process.
pub struct ServeProcess {
    pub child: Child,
    pub base: String,
    pub port: u16,
    /// Stdout lines printed before (and including) the listening line.
    pub stdout_before_listening: Vec<String>,
    pub stderr_path: PathBuf,
    /// Later stdout lines.
    pub rest: mpsc::Receiver<String>,
}

impl ServeProcess {
    /// Spawns `rolodex serve --database URL ARGS...` (default `--listen 127.0.0.1:0`) and waits
    /// for the listening line.
    pub fn spawn(db: &TestDb, extra_args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let mut args: Vec<&str> = vec!["serve", "--database", db.url()];
        if !extra_args.contains(&"--listen") {
            args.push("--listen");
            args.push("127.0.0.1:0");
        }
        args.extend_from_slice(extra_args);
        Self::spawn_args(db, &args, envs)
    }

    /// Spawns `rolodex ARGS...` exactly as given and waits for the listening line.
    pub fn spawn_args(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let stderr_path = db.dir().join(format!(
            "serve-{}.stderr",
            DB_COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let stderr_file = std::fs::File::create(&stderr_path).expect("create stderr file");
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_remove("ROLODEX_DATABASE_URL")
            .env_remove("ROLODEX_LISTEN")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr_file));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn rolodex serve");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    // Once nobody listens any more, keep draining so the child never blocks.
                    Ok(line) => {
                        let _ = tx.send(line);
                    }
                    Err(_) => break,
                }
            }
        });

        let deadline = Instant::now() + START_TIMEOUT;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(line) => {
                    let trimmed = line.trim().to_string();
                    before.push(trimmed.clone());
                    if let Some(rest) = trimmed.strip_prefix("rolodex listening on http://") {
                        let port: u16 = rest
                            .rsplit(':')
                            .next()
                            .and_then(|p| p.trim_end_matches('/').parse().ok())
                            .unwrap_or_else(|| panic!("bad listening line {trimmed:?}"));
                        let host = rest.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
                        return ServeProcess {
                            child,
                            base: format!("http://{host}:{port}"),
                            port,
                            stdout_before_listening: before,
                            stderr_path,
                            rest: rx,
                        };
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    panic!(
                        "server did not print its listening line ({e:?}); exit status {status:?}\n\
                         stdout so far: {before:?}\nstderr:\n{stderr}"
                    );
                }
            }
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Sends a signal (`TERM`, `INT`, `KILL`) with the `kill` command.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{sig} failed");
    }

    /// Waits for the process to exit, up to `timeout`; `None` when it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_child(&mut self.child, timeout)
    }

    /// SIGTERM, then wait (SIGKILL after 10 s).
    pub fn stop(&mut self) -> ExitStatus {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        match wait_child(&mut self.child, Duration::from_secs(10)) {
            Some(s) => s,
            None => {
                let _ = self.child.kill();
                self.child.wait().expect("wait child")
            }
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
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

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("build http client")
}

/// A server on its own fresh database, with a token for tenant `acme`.
pub struct TestServer {
    // Field order matters for drop: the process stops before the database goes.
    pub process: ServeProcess,
    pub db: TestDb,
    pub token: String,
    pub client: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let db = TestDb::new();
        let token = create_token(db.url(), "acme", Some("tests"));
        let process = ServeProcess::spawn(&db, &[], &[]);
        TestServer {
            process,
            db,
            token,
            client: client(),
        }
    }

    /// A server on `db` started with extra `serve` arguments, with a token for tenant `acme`.
    pub async fn start_on(db: TestDb, args: &[&str]) -> TestServer {
        let token = create_token(db.url(), "acme", Some("tests"));
        let process = ServeProcess::spawn(&db, args, &[]);
        TestServer {
            process,
            db,
            token,
            client: client(),
        }
    }

    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// A new token for `tenant` (created through the CLI while the server runs).
    pub fn token(&self, tenant: &str) -> String {
        create_token(self.db.url(), tenant, None)
    }

    /// A new named token for `tenant`.
    pub fn named_token(&self, tenant: &str, name: &str) -> String {
        create_token(self.db.url(), tenant, Some(name))
    }

    /// `http://127.0.0.1:PORT` + `path` (no API prefix).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.process.base, path)
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

/// Builds a `Vec<String>` from contact objects.
pub fn ids_of(contacts: &[&Value]) -> Vec<String> {
    contacts.iter().map(|c| cid(c)).collect()
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

pub async fn sleep_secs(s: f64) {
    tokio::time::sleep(Duration::from_secs_f64(s)).await;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over one TCP connection (keep-alive, slow and malformed requests)
// ---------------------------------------------------------------------------------------------

/// A response read off a raw connection.
#[derive(Debug, Clone)]
pub struct RawResp {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl RawResp {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the server announced it closes the connection.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// One client connection driven by hand.
pub struct RawConn {
    pub stream: std::net::TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    pub fn connect(port: u16) -> RawConn {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("set read timeout");
        RawConn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn set_read_timeout(&self, timeout: Duration) {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("set read timeout");
    }

    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stream.write_all(bytes).expect("write to server");
        self.stream.flush().expect("flush");
    }

    /// Writes a whole request: `METHOD PATH HTTP/1.1`, Host, the given headers, Content-Length
    /// when there is a body, then the body.
    pub fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.send(&bytes);
    }

    /// Reads more bytes; `Ok(0)` at EOF.
    fn fill(&mut self) -> std::io::Result<usize> {
        use std::io::Read;
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one response (Content-Length or chunked body). `None` when the connection closes
    /// (or resets) before a whole response arrived; panics on a read timeout.
    pub fn response(&mut self) -> Option<RawResp> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            match self.fill() {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if is_timeout(&e) => panic!("no response in time: {e}"),
                Err(_) => return None,
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let body = if let Some(len) = get("content-length") {
            let len: usize = len.parse().expect("content-length");
            while self.buf.len() < len {
                match self.fill() {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
            self.buf.drain(..len).collect::<Vec<u8>>()
        } else if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    match self.fill() {
                        Ok(0) | Err(_) => return None,
                        Ok(_) => {}
                    }
                };
                let size_line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
                self.buf.drain(..line_end + 2);
                while self.buf.len() < size + 2 {
                    match self.fill() {
                        Ok(0) | Err(_) => return None,
                        Ok(_) => {}
                    }
                }
                body.extend(self.buf.drain(..size));
                self.buf.drain(..2);
                if size == 0 {
                    break body;
                }
            }
        } else {
            Vec::new()
        };
        let text = String::from_utf8_lossy(&body).into_owned();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Some(RawResp {
            status,
            headers,
            body,
            text,
        })
    }

    /// Whether the server closed the connection: EOF or reset within `within` (nothing else may
    /// arrive meanwhile). `false` when it is still open after `within`.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        self.set_read_timeout(within);
        let closed = match self.fill() {
            Ok(0) => true,
            Ok(n) => panic!(
                "unexpected {n} bytes: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Err(e) if is_timeout(&e) => false,
            Err(_) => true,
        };
        self.set_read_timeout(Duration::from_secs(20));
        closed
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
