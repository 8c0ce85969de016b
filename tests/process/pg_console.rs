//! The web console on two instances sharing one PostgreSQL database: a session opened on one
//! works on the other, and signing out on either ends it on both (sessions live in the database,
//! not in an instance's memory); a token's last use recorded by one shows on the other.
//!
//! Run with `ROLODEX_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo nextest run --run-ignored all -E 'test(pg_console)'`.

use std::time::{Duration, Instant};

use crate::pg_common::*;
use crate::support::{self, TestDb, create_token};

/// A console answer: status, `Location`, `Set-Cookie`s and the page.
struct Page {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    html: String,
}

impl Page {
    /// The value of the page's first CSRF field.
    fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let at = self
            .html
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in: {}", self.html));
        let rest = &self.html[at + marker.len()..];
        rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
    }

    /// `name=value` of the `Set-Cookie` for `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }
}

fn client() -> reqwest::Client {
    support::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

async fn send(req: reqwest::RequestBuilder, cookie: Option<&str>) -> Page {
    let req = match cookie {
        Some(c) => req.header("Cookie", c),
        None => req,
    };
    let r = req.send().await.expect("console request");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let set_cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let html = r.text().await.unwrap_or_default();
    Page {
        status,
        location,
        set_cookies,
        html,
    }
}

async fn get(http: &reqwest::Client, base: &str, path: &str, cookie: Option<&str>) -> Page {
    send(http.get(format!("{base}{path}")), cookie).await
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> Page {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    send(
        http.post(format!("{base}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.finish()),
        cookie,
    )
    .await
}

/// Signs in on `base` with `token`; returns the session cookie (`name=value`).
async fn sign_in(http: &reqwest::Client, base: &str, token: &str) -> String {
    let login = get(http, base, "/console/login", None).await;
    assert_eq!(login.status, 200, "{}", login.html);
    let login_cookie = login.cookie("rolodex_console_login").expect("login cookie");
    let r = post(
        http,
        base,
        "/console/login",
        Some(&login_cookie),
        &[("_csrf", &login.csrf()), ("token", token)],
    )
    .await;
    assert_eq!(r.status, 303, "sign-in: {}", r.html);
    r.cookie("rolodex_console").expect("session cookie")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn pg_console_sessions_work_across_instances_and_end_on_both() {
    pg_server("pg_console_sessions_work_across_instances");
    let db = TestDb::new();
    assert!(db.is_postgres());
    let token = create_token(db.url(), "acme", Some("console"));
    let first = serve(&db, db.url(), &[]);
    let second = serve(&db, db.url(), &[]);
    let (a, b) = (first.base.clone(), second.base.clone());
    let http = client();
    let api = Api::new(&first, &token);
    api.contact(serde_json::json!({"first_name": "Ada", "company_id": api.company("Acme").await}))
        .await;

    // Opened on A, the session works on B: pages and a CSRF-checked form.
    let session = sign_in(&http, &a, &token).await;
    for base in [&a, &b] {
        let page = get(&http, base, "/console/contacts", Some(&session)).await;
        assert_eq!(page.status, 200, "{base}: {}", page.html);
        assert!(page.html.contains(">Ada<"), "{base}");
        assert!(page.html.contains("Tenant <strong>acme</strong>"));
    }
    let tokens_page = get(&http, &b, "/console/settings/api-tokens", Some(&session)).await;
    let created = post(
        &http,
        &b,
        "/console/settings/api-tokens",
        Some(&session),
        &[("_csrf", &tokens_page.csrf()), ("name", "made-on-b")],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.html);
    assert!(
        get(&http, &a, "/console/settings/api-tokens", Some(&session))
            .await
            .html
            .contains("made-on-b")
    );

    // The token's use, recorded by A, shows on B's tokens page (written off the request's path:
    // wait for it).
    api.get("/contacts").await.expect(200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = get(&http, &b, "/console/settings/api-tokens", Some(&session)).await;
        let row = page
            .html
            .split("<tr id=\"token-")
            .find(|r| r.contains(">console"))
            .unwrap_or_default()
            .to_owned();
        if row.contains("class=\"last-used\">20") {
            break;
        }
        assert!(Instant::now() < deadline, "no last use shown: {row}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Signed out on B: the session is over on A too (pages redirect, forms are refused).
    let page = get(&http, &b, "/console/contacts", Some(&session)).await;
    let out = post(
        &http,
        &b,
        "/console/logout",
        Some(&session),
        &[("_csrf", &page.csrf())],
    )
    .await;
    assert_eq!(out.status, 303, "{}", out.html);
    assert_eq!(out.location.as_deref(), Some("/console/login"));
    for base in [&a, &b] {
        let r = get(&http, base, "/console/contacts", Some(&session)).await;
        assert_eq!(r.status, 303, "{base}: {}", r.html);
        assert_eq!(r.location.as_deref(), Some("/console/login"));
        let r = post(
            &http,
            base,
            "/console/settings/api-tokens",
            Some(&session),
            &[("_csrf", &page.csrf()), ("name", "after-logout")],
        )
        .await;
        assert_eq!(r.status, 403, "{base}");
    }
}
