//! The console in a real browser: headless Chromium driven over WebDriver (chromedriver, spoken
//! to in its JSON protocol with the tests' HTTP client), against the real server in this process.
//!
//! These tests need `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`;
//! `.ci/run` installs them). They are `#[ignore]`d so a plain run reports them as skipped; run
//! them with `--run-ignored all` (as `.ci/run` does, with `ROLODEX_BROWSER_TESTS=1`). Asked to run
//! without a browser they fail, never pass. Screenshots of the main pages go to
//! `target/console-screenshots/`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const IGNORE: &str = "";

fn program(env: &str, candidates: &[&str]) -> String {
    if let Ok(path) = std::env::var(env)
        && !path.trim().is_empty()
    {
        return path;
    }
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| (*p).to_owned())
        .unwrap_or_else(|| {
            panic!(
                "browser tests need {} (set {env}, or install Debian's chromium and chromium-driver); \
                 ROLODEX_BROWSER_TESTS={}",
                candidates.join(" or "),
                std::env::var("ROLODEX_BROWSER_TESTS").unwrap_or_default()
            )
        })
}

/// A chromedriver process and one headless Chromium session in it.
struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn start() -> Browser {
        let chromedriver = program(
            "CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        );
        let chromium = program(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // A process group of its own, so that dropping the browser stops Chromium's processes
        // too (killing chromedriver alone leaves them running).
        let driver = Command::new(&chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let http = client();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // `implicit`: finding an element waits up to 5 s for it to appear (the page after a
        // submit or a redirect may still be loading when the next step looks).
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "timeouts": {"implicit": 5000},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000"]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        Browser {
            driver,
            http,
            session: format!("{base}/session/{session}"),
        }
    }

    /// A WebDriver command's `value`, an error object included.
    async fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r: Value = req
            .send()
            .await
            .expect("WebDriver call")
            .json()
            .await
            .expect("WebDriver JSON");
        r["value"].clone()
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let value = self.request(method, path, body).await;
        if value["error"].is_string() {
            panic!("WebDriver {path}: {value}");
        }
        value
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (up to 10 s) until the page's URL ends with `suffix`: a click that submits a form
    /// may return before the browser has followed the answer's redirect.
    /// The element's text once it is `expected`, or its last text after 10 s: what a step
    /// shows once the page its click or submit loads is in (the page before may show the same
    /// element with another text).
    async fn text_once(&self, css: &str, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await;
            if text == expected || Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) until the page's URL contains `part`: a submitted form's page loaded.
    async fn wait_for_url_containing(&self, part: &str) -> bool {
        self.wait_for_url_where(|url| url.contains(part)).await
    }

    async fn wait_for_url(&self, suffix: &str) -> bool {
        self.wait_for_url_where(|url| url.ends_with(suffix)).await
    }

    /// Waits up to 10 s for the page's URL to satisfy `ok`; whether it did.
    async fn wait_for_url_where(&self, ok: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if ok(&self.url().await) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    async fn count(&self, css: &str) -> usize {
        self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .await
        .as_array()
        .map_or(0, Vec::len)
    }

    /// The element's text. Found again when the page it was found on was replaced meanwhile (a
    /// navigation that was still under way): "stale element reference".
    async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let id = self.find(css).await;
            let value = self
                .request(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                .await;
            match value["error"].as_str() {
                None => return value.as_str().unwrap_or_default().to_owned(),
                Some("stale element reference") if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Some(_) => panic!("WebDriver text of {css}: {value}"),
            }
        }
    }

    async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{id}/attribute/{name}"),
            None,
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    /// Replaces the value of the input `css` by typing `text`.
    async fn fill(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        if !text.is_empty() {
            self.call(
                reqwest::Method::POST,
                &format!("/element/{id}/value"),
                Some(json!({"text": text})),
            )
            .await;
        }
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn click_link(&self, text: &str) {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "link text", "value": text})),
            )
            .await;
        let id = v[ELEMENT].as_str().expect("link").to_owned();
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Saves a PNG of the page as `target/console-screenshots/NAME.png`.
    async fn screenshot(&self, name: &str) {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(data.as_str().expect("screenshot data"));
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .is_ok_and(|s| s.success());
        if !killed {
            let _ = self.driver.kill();
        }
        let _ = self.driver.wait();
    }
}

/// Standard base64 (the screenshot encoding), without a dependency for it.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("iVBORw=="), b"\x89PNG");
    let _ = IGNORE;
}

async fn sign_in(b: &Browser, s: &TestServer, token: &str) {
    b.goto(&s.url("/console/login")).await;
    b.fill("#token", token).await;
    b.click("form button[type=submit]").await;
    // Signed in once the redirect to the contacts page has been followed (the session cookie set).
    b.wait_for_url("/console/contacts").await;
}

#[tokio::test]
#[ignore = "browser test: needs chromium and chromedriver; run with --run-ignored all (as .ci/run does)"]
async fn browser_contacts_search_edit_and_errors() {
    let s = TestServer::start().await;
    let acme = s.create_company("Acme").await;
    let globex = s.create_company("Globex").await;
    for i in 0..40 {
        s.create_contact(json!({
            "first_name": format!("Person{i:02}"),
            "last_name": if i % 2 == 0 { "Even" } else { "Odd" },
            "email": format!("p{i:02}@example.com"),
            "company_id": if i < 30 { acme } else { globex },
            "tags": if i % 4 == 0 { json!(["vip"]) } else { json!([]) },
        }))
        .await;
    }
    let ann = s
        .create_contact(json!({
            "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
            "phone_1": "555-0100", "company_id": acme, "tags": ["vip"],
        }))
        .await;
    let b = Browser::start().await;

    sign_in(&b, &s, &s.token).await;
    assert!(
        b.wait_for_url("/console/contacts").await,
        "{}",
        b.url().await
    );
    assert_eq!(b.text("#total").await, "41 contacts · page 1 of 2");
    assert_eq!(b.count("tbody tr").await, 25);
    b.screenshot("contacts-list").await;

    // Search, then a filter on top of it; the URL holds the view.
    b.fill("#q", "Lee").await;
    b.click("form[role=search] button[type=submit]").await;
    assert!(
        b.wait_for_url_containing("q=Lee").await,
        "{}",
        b.url().await
    );
    assert_eq!(b.text("#total").await, "1 contact · page 1 of 1");
    b.fill("#q", "Even").await;
    b.fill("#tag", "vip").await;
    b.fill("#company", &globex.to_string()).await;
    b.click("form[role=search] button[type=submit]").await;
    assert!(
        b.wait_for_url_containing("q=Even").await,
        "{}",
        b.url().await
    );
    // i in 30..40, even and i % 4 == 0: 32, 36.
    assert_eq!(b.text("#total").await, "2 contacts · page 1 of 1");
    let bookmarked = b.url().await;
    b.goto(&s.url("/console/contacts")).await;
    b.goto(&bookmarked).await;
    assert_eq!(b.text("#total").await, "2 contacts · page 1 of 1");
    // A sortable header.
    b.goto(&s.url("/console/contacts")).await;
    b.click_link("E-mail").await;
    b.click_link("E-mail ▲").await;
    assert!(
        b.wait_for_url_containing("sort=email&dir=desc").await,
        "{}",
        b.url().await
    );
    assert_eq!(b.text("tbody tr td:nth-child(2)").await, "p39@example.com");

    // Edit: change the phone only; the API shows exactly that change.
    let id = cid(&ann);
    b.goto(&s.url(&format!("/console/contacts/{id}"))).await;
    b.fill("#phone_1", "555-0199").await;
    b.click("section[aria-labelledby=edit] button[type=submit]")
        .await;
    assert_eq!(b.text_once("p.notice", "Saved.").await, "Saved.");
    let after = s.contact(&id).await;
    let mut expected = ann.clone();
    expected["phone_1"] = json!("555-0199");
    expected["phone"] = json!("555-0199");
    expected["updated_at"] = after["updated_at"].clone();
    assert_eq!(after, expected);

    // A 422, next to its field, with the value kept.
    b.fill("#email", "not-an-email").await;
    b.click("section[aria-labelledby=edit] button[type=submit]")
        .await;
    let api = s
        .post(
            &format!("/contacts/{id}"),
            &json!({"email": "not-an-email"}),
        )
        .await;
    assert_eq!(
        b.text("#email-error").await,
        api.body["errors"]["email"][0].as_str().expect("message")
    );
    assert_eq!(
        b.attribute("#email", "aria-describedby").await.as_deref(),
        Some("email-error")
    );
    assert_eq!(
        b.attribute("#email", "value").await.as_deref(),
        Some("not-an-email")
    );
    b.screenshot("contact-edit-error").await;
    assert_eq!(s.contact(&id).await, after);

    // A form whose CSRF token was taken out is refused.
    b.goto(&s.url(&format!("/console/contacts/{id}"))).await;
    b.script("document.querySelectorAll('input[name=_csrf]').forEach(e => e.remove())")
        .await;
    b.fill("#first_name", "Forged").await;
    b.click("section[aria-labelledby=edit] button[type=submit]")
        .await;
    assert_eq!(b.text("h1").await, "Forbidden");
    assert_eq!(s.contact(&id).await["first_name"], "Ann");

    // Another tenant's contact: 404.
    let other = s.token("globex");
    let theirs = s
        .create_contact_as(
            &other,
            json!({"first_name": "Theirs", "company_id": s.create_company_as(&other, "G").await}),
        )
        .await;
    b.goto(&s.url(&format!("/console/contacts/{}", cid(&theirs))))
        .await;
    assert_eq!(b.text("h1").await, "Not found");

    // Sign out: the session is gone.
    b.goto(&s.url("/console/contacts")).await;
    b.click("header form button[type=submit]").await;
    assert!(b.wait_for_url("/console/login").await);
    b.goto(&s.url("/console/contacts")).await;
    assert!(b.url().await.ends_with("/console/login"));
}

#[tokio::test]
#[ignore = "browser test: needs chromium and chromedriver; run with --run-ignored all (as .ci/run does)"]
async fn browser_company_with_a_shipping_address_and_tokens() {
    let s = TestServer::start().await;
    let b = Browser::start().await;
    sign_in(&b, &s, &s.token).await;

    // A company with a shipping address, through the create form.
    b.goto(&s.url("/console/companies/new")).await;
    b.fill("#name", "Acme Corporation").await;
    b.fill("#city", "Austin").await;
    b.fill("#payment_term", "Net 30").await;
    b.fill("#ship_address_1", "9 Port Way").await;
    b.fill("#ship_city", "Dallas").await;
    b.fill("#ship_first_name", "Sam").await;
    b.click("main form button[type=submit]").await;
    assert_eq!(b.text_once("p.notice", "Created.").await, "Created.");
    let id = b
        .url()
        .await
        .split("/console/companies/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("company id")
        .to_owned();
    let company = s.get(&format!("/companies/{id}")).await;
    company.expect(200);
    assert_eq!(company.data()["shipping_addresses"][0]["city"], "Dallas");
    assert_eq!(company.data()["shipping_addresses"][0]["is_default"], true);
    assert!(b.text("#shipping + ul").await.contains("(default)"));
    s.create_contact(json!({"first_name": "Sam", "last_name": "Lee", "company_id": id.parse::<i64>().expect("id")}))
        .await;
    b.goto(&s.url(&format!("/console/companies/{id}"))).await;
    b.screenshot("company").await;

    // API tokens.
    b.goto(&s.url("/console/settings/api-tokens")).await;
    b.fill("#name", "browser-made").await;
    b.click("section[aria-labelledby=create] button[type=submit]")
        .await;
    let secret = b
        .attribute("[data-token]", "data-token")
        .await
        .expect("the new token");
    assert!(secret.starts_with("rdx_"));
    assert_eq!(b.text("[data-token]").await, secret);
    b.screenshot("tokens").await;
    s.get_as("/contacts", &secret).await.expect(200);

    // Revoke it, through the confirmation page.
    b.goto(&s.url("/console/settings/api-tokens")).await;
    assert!(!b.source().await.contains(&secret));
    let row = b
        .script("return [...document.querySelectorAll('tbody tr')].find(r => r.textContent.includes('browser-made')).id")
        .await;
    let row = row.as_str().expect("row id").to_owned();
    b.click(&format!("#{row} a")).await;
    b.click("main form button.danger").await;
    assert_eq!(
        b.text_once("p.notice", "The token was revoked.").await,
        "The token was revoked."
    );
    assert_eq!(s.get_as("/contacts", &secret).await.status, 401);
}

#[tokio::test]
#[ignore = "browser test: needs chromium and chromedriver; run with --run-ignored all (as .ci/run does)"]
async fn browser_custom_fields_and_tags_settings() {
    let s = TestServer::start().await;
    let acme = s.create_company("Acme").await;
    let ann = s
        .create_contact(json!({"first_name": "Ann", "company_id": acme, "tags": ["vip"]}))
        .await;
    let b = Browser::start().await;
    sign_in(&b, &s, &s.token).await;

    // A dropdown custom field, created from the settings page (through the navigation).
    b.click_link("Custom fields").await;
    assert!(b.wait_for_url("/console/settings/custom-fields").await);
    b.fill("#label", "Region").await;
    b.script("document.querySelector('#type').value = 'dropdown'")
        .await;
    b.fill("#choices", "North\nSouth").await;
    b.click("section[aria-labelledby=create] button[type=submit]")
        .await;
    assert_eq!(b.text_once("p.notice", "Created.").await, "Created.");
    let fields = s.get("/custom-fields").await;
    let field = fields.data()[0].clone();
    assert_eq!(field["options"]["choices"], json!(["North", "South"]));
    // Edited on a company: its input is the definition's dropdown.
    let input = format!("#custom_{}", field["id"]);
    b.goto(&s.url(&format!("/console/companies/{acme}"))).await;
    b.script(&format!(
        "document.querySelector('{input}').value = 'South'"
    ))
    .await;
    b.click("section[aria-labelledby=edit] button[type=submit]")
        .await;
    assert_eq!(b.text_once("p.notice", "Saved.").await, "Saved.");
    let company = s.get(&format!("/companies/{acme}")).await;
    assert_eq!(company.data()["custom_fields"]["Region"], "South");
    // A 422 at its field: a second field with the same label.
    b.goto(&s.url("/console/settings/custom-fields")).await;
    b.fill("#label", "region").await;
    b.click("section[aria-labelledby=create] button[type=submit]")
        .await;
    assert_eq!(
        b.text("#label-error").await,
        "The label has already been taken."
    );
    b.screenshot("custom-fields").await;

    // Rename the tag on the tags page; the contact shows the new name.
    b.click_link("Tags").await;
    assert!(b.wait_for_url("/console/settings/tags").await);
    b.screenshot("tags").await;
    b.click_link("Rename…").await;
    b.fill("#name", "Key account").await;
    b.click("main form button[type=submit]").await;
    assert_eq!(b.text_once("p.notice", "Renamed.").await, "Renamed.");
    b.goto(&s.url(&format!("/console/contacts/{}", cid(&ann))))
        .await;
    assert!(b.source().await.contains("Key account"));
    assert_eq!(tag_names(&s.contact(&cid(&ann)).await), ["Key account"]);
}
