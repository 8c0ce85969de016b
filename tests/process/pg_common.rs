//! Helpers shared by the PostgreSQL-specific tests (`pg_*.rs`) and `copy.rs`.
//!
//! These tests need a PostgreSQL server: they run when `ROLODEX_TEST_POSTGRES` names one (as
//! `.ci/run` does, with `--run-ignored all`); otherwise they are reported as ignored.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::support::{self, ServeProcess, TestDb};

/// The PostgreSQL server of the test run. These tests are `#[ignore]`d unless asked for, so
/// reaching here without a server is a mistake in how they were run: fail, never pass silently.
pub fn pg_server(test: &str) -> String {
    match std::env::var("ROLODEX_TEST_POSTGRES") {
        Ok(s) if !s.trim().is_empty() => s.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "{test} needs PostgreSQL: set ROLODEX_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432"
        ),
    }
}

/// The database name at the end of a URL.
pub fn db_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// A direct connection for checks behind the API's back.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Starts `rolodex serve --database URL ARGS...` on a free port; logs go to `db`'s directory.
pub fn serve(db: &TestDb, url: &str, args: &[&str]) -> ServeProcess {
    let mut all = vec!["serve", "--database", url, "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    ServeProcess::spawn_args(db, &all, &[])
}

/// A response: status, `Retry-After`, and the body as JSON (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

impl Reply {
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected reply: {self:#?}");
        &self.body["data"]
    }
}

/// One instance's API, as one tenant.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(process: &ServeProcess, token: &str) -> Api {
        support::install_crypto_provider();
        Api {
            base: process.base.clone(),
            token: token.to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("build http client"),
        }
    }

    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    /// `path` is absolute (`/health`) or an API path (`/contacts`).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let url = if path.starts_with("/health") {
            format!("{}{path}", self.base)
        } else {
            format!("{}{}{path}", self.base, support::API)
        };
        let mut request = self
            .client
            .request(method.clone(), &url)
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            retry_after,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Creates a company; returns its id.
    pub async fn company(&self, name: &str) -> i64 {
        let data = self
            .post("/companies", serde_json::json!({ "name": name }))
            .await
            .expect(201)
            .clone();
        data["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("company id: {data}"))
    }

    /// Creates a contact; returns its id (a string, as the API renders it).
    pub async fn contact(&self, body: Value) -> String {
        let data = self.post("/contacts", body).await.expect(201).clone();
        data["id"]
            .as_str()
            .unwrap_or_else(|| panic!("contact id: {data}"))
            .to_owned()
    }
}
