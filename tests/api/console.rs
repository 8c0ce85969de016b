//! The web console (`/console`), server side: sign-in and its cookie, sessions, CSRF, escaping,
//! the contact list, page, edit (the API's rules and 422 messages), create and delete, and
//! tenant scoping. The browser tests are in `console_browser`.

use crate::support::*;
use serde_json::Value;

/// A browser-like client of the console: keeps the session cookie, does not follow redirects.
pub struct Console {
    pub base: String,
    client: reqwest::Client,
    pub cookie: Option<String>,
}

/// A console answer.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"_csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in: {}", self.html));
        let rest = &self.html[at + "name=\"_csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("end of value")].to_owned()
    }

    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status, page: {}",
            self.html
        );
        self
    }
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

impl Console {
    pub fn new(base: &str) -> Console {
        install_crypto_provider();
        Console {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookie: None,
        }
    }

    /// Signed in with `token`.
    pub async fn signed_in(base: &str, token: &str) -> Console {
        let mut console = Console::new(base);
        let r = console.sign_in(token).await;
        assert_eq!(r.status, 303, "sign-in failed: {}", r.html);
        console
    }

    async fn send(&self, req: reqwest::RequestBuilder, extra_cookie: Option<&str>) -> Page {
        let cookies: Vec<&str> = self
            .cookie
            .as_deref()
            .into_iter()
            .chain(extra_cookie)
            .collect();
        let req = if cookies.is_empty() {
            req
        } else {
            req.header("Cookie", cookies.join("; "))
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
        let html = r.text().await.expect("body");
        Page {
            status,
            location,
            set_cookies,
            html,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)), None)
            .await
    }

    /// Posts a form as is (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form_body(fields)),
            None,
        )
        .await
    }

    /// Posts a form with the CSRF token of the page at `form_page`.
    pub async fn post(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(form_page).await.csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn sign_in(&mut self, token: &str) -> Page {
        let login = self.get("/console/login").await;
        login.expect(200);
        let login_cookie = login
            .set_cookies
            .iter()
            .find(|c| c.starts_with("rolodex_console_login="))
            .expect("login cookie")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        let r = self
            .send(
                self.client
                    .post(format!("{}/console/login", self.base))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form_body(&[("_csrf", &login.csrf()), ("token", token)])),
                Some(&login_cookie),
            )
            .await;
        if let Some(session) = r
            .set_cookies
            .iter()
            .find(|c| c.starts_with("rolodex_console="))
        {
            self.cookie = Some(session.split(';').next().unwrap_or_default().to_owned());
        }
        r
    }
}

fn base(s: &TestServer) -> String {
    s.url("")
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_session_cookie() {
    let s = TestServer::start().await;
    let mut c = Console::new(&base(&s));
    let r = c.sign_in(&s.token).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/contacts"));
    let cookie = r
        .set_cookies
        .iter()
        .find(|c| c.starts_with("rolodex_console="))
        .expect("session cookie");
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(part), "{part} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // A random id, never the token.
    assert!(!cookie.contains(&s.token));
    assert!(!cookie.contains("rdx_"));
    let page = c.get("/console/contacts").await;
    page.expect(200);
    assert!(page.html.contains("Tenant <strong>acme</strong>"));
}

#[tokio::test]
async fn a_wrong_token_shows_an_error_on_the_sign_in_page() {
    let s = TestServer::start().await;
    let mut c = Console::new(&base(&s));
    let r = c.sign_in("rdx_not-a-real-token").await;
    assert_eq!(r.status, 401);
    assert!(r.html.contains("role=\"alert\""));
    assert!(r.html.contains("This token is not valid"));
    assert!(
        r.html
            .contains("aria-describedby=\"token-hint token-error\"")
    );
    assert!(c.cookie.is_none());
    assert_eq!(c.get("/console/contacts").await.status, 303);
}

#[tokio::test]
async fn sign_in_without_its_csrf_cookie_is_refused() {
    let s = TestServer::start().await;
    let c = Console::new(&base(&s));
    let r = c
        .post_raw("/console/login", &[("_csrf", "x"), ("token", &s.token)])
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.set_cookies
            .iter()
            .all(|c| !c.starts_with("rolodex_console="))
    );
}

#[tokio::test]
async fn pages_need_a_session_and_posts_need_csrf() {
    let s = TestServer::start().await;
    let contact = s.quick_contact("Ann").await;
    let path = format!("/console/contacts/{}", cid(&contact));
    let anonymous = Console::new(&base(&s));
    let r = anonymous.get(&path).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/login"));
    assert_eq!(
        anonymous
            .post_raw(&path, &[("first_name", "Bob")])
            .await
            .status,
        403
    );

    let c = Console::signed_in(&base(&s), &s.token).await;
    // Signed in, but without the form's token, or with another one: 403, nothing changes.
    let r = c.post_raw(&path, &[("first_name", "Bob")]).await;
    assert_eq!(r.status, 403);
    assert!(r.html.contains("security token"));
    let r = c
        .post_raw(&path, &[("_csrf", "forged"), ("first_name", "Bob")])
        .await;
    assert_eq!(r.status, 403);
    let r = c
        .post_raw(&format!("{path}/delete"), &[("first_name", "Bob")])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(s.contact(&cid(&contact)).await["first_name"], "Ann");
    // With it, the same post works.
    let r = c.post(&path, &path, &[("first_name", "Bob")]).await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(s.contact(&cid(&contact)).await["first_name"], "Bob");
}

#[tokio::test]
async fn contact_names_render_as_text() {
    let s = TestServer::start().await;
    let contact = s
        .create_contact(json!({
            "first_name": "<script>alert(1)</script>",
            "last_name": "\"quoted\" & <b>bold</b>",
            "company_id": s.create_company("<img src=x onerror=alert(2)>").await,
            "tags": ["<i>t</i>"],
        }))
        .await;
    let c = Console::signed_in(&base(&s), &s.token).await;
    for path in [
        "/console/contacts".to_owned(),
        format!("/console/contacts/{}", cid(&contact)),
    ] {
        let page = c.get(&path).await;
        page.expect(200);
        assert!(
            page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
        assert!(!page.html.contains("<script>"), "{path}: {}", page.html);
        assert!(!page.html.contains("<img"), "{path}");
        assert!(!page.html.contains("<b>bold"), "{path}");
        assert!(!page.html.contains("<i>t"), "{path}");
        assert!(
            page.html.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "{path}"
        );
    }
}

/// A contact's edit form, as the browser would submit it unchanged.
fn unchanged_form(contact: &Value) -> Vec<(String, String)> {
    let text = |k: &str| contact[k].as_str().unwrap_or_default().to_owned();
    let mut form: Vec<(String, String)> = [
        "_flags",
        "_companies",
        "first_name",
        "last_name",
        "email",
        "phone_1",
        "phone_2",
        "receiving_bank_name",
        "receiving_bank_address",
    ]
    .iter()
    .map(|k| match *k {
        "_flags" | "_companies" => ((*k).to_owned(), "1".to_owned()),
        k => (k.to_owned(), text(k)),
    })
    .collect();
    for flag in [
        "is_primary",
        "receive_quotation_pdf",
        "receive_purchase_order_pdf",
        "receive_purchase_order_invoice_pdf",
    ] {
        if contact[flag] == true {
            form.push((flag.to_owned(), "1".to_owned()));
        }
    }
    for company in contact["companies"].as_array().expect("companies") {
        form.push(("company_ids".to_owned(), company["id"].to_string()));
    }
    form.push(("primary_company".to_owned(), text("company_id")));
    let tags: Vec<&str> = contact["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    form.push(("tags".to_owned(), tags.join(", ")));
    form
}

fn with(form: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    out.extend(
        changes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    out
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn editing_a_contact_writes_exactly_the_changed_fields() {
    let s = TestServer::start().await;
    let acme = s.create_company("Acme").await;
    let other = s.create_company("Other").await;
    let contact = s
        .create_contact(json!({
            "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
            "phone_1": "555-1", "company_id": acme, "tags": ["vip", "east"],
        }))
        .await;
    let id = cid(&contact);
    let path = format!("/console/contacts/{id}");
    let c = Console::signed_in(&base(&s), &s.token).await;
    let form = unchanged_form(&contact);

    // Nothing changed: nothing written (updated_at stays).
    s.clock().advance(5);
    let r = c.post(&path, &path, &pairs(&form)).await;
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{path}?notice=unchanged").as_str())
    );
    assert_eq!(s.contact(&id).await, contact);

    // Two fields, a flag, a tag and a company link.
    let changed = with(
        &form,
        &[
            ("phone_2", "555-2"),
            ("email", "ann@acme.example"),
            ("receive_quotation_pdf", "1"),
            ("tags", "vip, east, west"),
            ("add_company", &other.to_string()),
        ],
    );
    let r = c.post(&path, &path, &pairs(&changed)).await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{path}?notice=saved").as_str())
    );
    let after = s.contact(&id).await;
    let mut expected = contact.clone();
    expected["phone_2"] = json!("555-2");
    expected["email"] = json!("ann@acme.example");
    expected["receive_quotation_pdf"] = json!(true);
    for key in ["updated_at", "tags", "companies"] {
        expected[key] = after[key].clone();
    }
    assert_eq!(after, expected);
    assert_ne!(after["updated_at"], contact["updated_at"]);
    let tags: Vec<&str> = after["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tags, ["east", "vip", "west"]);
    let companies: Vec<i64> = after["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert_eq!(companies, [acme, other]);
    assert_eq!(after["company_id"], acme.to_string());
    let page = c.get(&format!("{path}?notice=saved")).await;
    assert!(page.html.contains("Saved."));

    // Making the other company primary (the previous primary is unlinked, as the API's
    // company_id does).
    let form = unchanged_form(&after);
    let r = c
        .post(
            &path,
            &path,
            &pairs(&with(&form, &[("primary_company", &other.to_string())])),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let moved = s.contact(&id).await;
    assert_eq!(moved["company_id"], other.to_string());

    // Clearing a field is null, as in the API.
    let form = unchanged_form(&moved);
    let r = c
        .post(&path, &path, &pairs(&with(&form, &[("phone_1", "")])))
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(s.contact(&id).await["phone_1"], Value::Null);
}

#[tokio::test]
async fn an_invalid_edit_shows_the_apis_message_next_to_its_field() {
    let s = TestServer::start().await;
    let contact = s.quick_contact("Ann").await;
    let id = cid(&contact);
    let path = format!("/console/contacts/{id}");
    let c = Console::signed_in(&base(&s), &s.token).await;
    let form = with(
        &unchanged_form(&contact),
        &[
            ("email", "not-an-email"),
            ("last_name", "Kept"),
            ("first_name", ""),
        ],
    );
    let r = c.post(&path, &path, &pairs(&form)).await;
    r.expect(422);
    // The API's own messages for the same body.
    let api = s
        .post(
            &format!("/contacts/{id}"),
            &json!({"email": "not-an-email", "first_name": ""}),
        )
        .await;
    api.expect(422);
    for field in ["email", "first_name"] {
        let message = api.body["errors"][field][0].as_str().expect("api message");
        let error =
            format!("<p class=\"field-error\" id=\"{field}-error\" role=\"alert\">{message}</p>");
        assert!(
            r.html.contains(&error),
            "{field}: {error} not in {}",
            r.html
        );
        assert!(r.html.contains(&format!("id=\"{field}\" name=\"{field}\"")));
    }
    assert!(r.html.contains("aria-describedby=\"email-error\""));
    assert!(r.html.contains("aria-invalid=\"true\""));
    // The entered values are kept.
    assert!(r.html.contains("value=\"not-an-email\""));
    assert!(r.html.contains("value=\"Kept\""));
    // Nothing was written.
    assert_eq!(s.contact(&id).await, contact);

    // An unknown company: the API's message at the companies field.
    let form = with(&unchanged_form(&contact), &[("add_company", "999999")]);
    let r = c.post(&path, &path, &pairs(&form)).await;
    r.expect(422);
    assert!(r.html.contains("id=\"companies-error\""), "{}", r.html);
}

#[tokio::test]
async fn create_set_password_and_delete_with_confirmation() {
    let s = TestServer::start().await;
    let acme = s.create_company("Acme").await;
    let c = Console::signed_in(&base(&s), &s.token).await;

    // Missing first name and company: both messages, values kept.
    let r = c
        .post(
            "/console/contacts/new",
            "/console/contacts/new",
            &[("last_name", "Lee"), ("email", "x@example.com")],
        )
        .await;
    r.expect(422);
    assert!(r.html.contains("id=\"first_name-error\""));
    assert!(r.html.contains("id=\"company_id-error\""));
    assert!(r.html.contains("value=\"x@example.com\""));

    let r = c
        .post(
            "/console/contacts/new",
            "/console/contacts/new",
            &[
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("email", "ann@example.com"),
                ("company_id", &acme.to_string()),
                ("tags", "vip"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let location = r.location.expect("location");
    let id = location
        .trim_start_matches("/console/contacts/")
        .trim_end_matches("?notice=created")
        .to_owned();
    let created = s.contact(&id).await;
    assert_eq!(created["full_name"], "Ann Lee");
    assert_eq!(created["company_id"], acme.to_string());
    let path = format!("/console/contacts/{id}");

    // The portal password: too short is the API's 422; then set.
    let r = c
        .post(&path, &format!("{path}/password"), &[("password", "x")])
        .await;
    r.expect(422);
    assert!(r.html.contains("id=\"password-error\""));
    assert_eq!(s.contact(&id).await["has_portal_login"], false);
    let r = c
        .post(
            &path,
            &format!("{path}/password"),
            &[("password", "a-long-secret-1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(s.contact(&id).await["has_portal_login"], true);

    // Delete: a confirmation page first, then the post.
    let confirm = c.get(&format!("{path}/delete")).await;
    confirm.expect(200);
    assert!(confirm.html.contains("Delete Ann Lee?"));
    assert_eq!(s.contact(&id).await["id"], id.as_str());
    let r = c
        .post(&format!("{path}/delete"), &format!("{path}/delete"), &[])
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/console/contacts?notice=deleted")
    );
    s.get(&format!("/contacts/{id}")).await.expect(404);
    c.get(&path).await.expect(404);
}

#[tokio::test]
async fn another_tenants_ids_are_not_found() {
    let s = TestServer::start().await;
    let other = s.token("globex");
    let theirs = s.create_contact_as(&other, json!({"first_name": "Theirs", "company_id": s.create_company_as(&other, "Globex").await})).await;
    let id = cid(&theirs);
    let c = Console::signed_in(&base(&s), &s.token).await;
    let mine = c.get("/console/contacts").await;
    assert!(!mine.html.contains("Theirs"));
    let path = format!("/console/contacts/{id}");
    c.get(&path).await.expect(404);
    c.get(&format!("{path}/delete")).await.expect(404);
    let own = s.quick_contact("Mine").await;
    let own_path = format!("/console/contacts/{}", cid(&own));
    c.post(&own_path, &path, &[("first_name", "Taken")])
        .await
        .expect(404);
    c.post(&own_path, &format!("{path}/delete"), &[])
        .await
        .expect(404);
    c.post(
        &own_path,
        &format!("{path}/password"),
        &[("password", "a-long-secret-1")],
    )
    .await
    .expect(404);
    assert_eq!(
        s.get_as(&format!("/contacts/{id}"), &other).await.data()["first_name"],
        "Theirs"
    );
    // A path that is not an id at all.
    c.get("/console/contacts/abc").await.expect(404);
    c.get("/console/nowhere").await.expect(404);
}

#[tokio::test]
async fn the_list_pages_searches_filters_and_sorts_from_the_url() {
    let s = TestServer::start().await;
    let acme = s.create_company("Acme").await;
    let globex = s.create_company("Globex").await;
    for i in 0..30 {
        let company = if i < 20 { acme } else { globex };
        let mut body = json!({
            "first_name": format!("Person{i:02}"),
            "last_name": if i % 2 == 0 { "Even" } else { "Odd" },
            "email": format!("p{i:02}@{}.example", if i == 7 { "special" } else { "mail" }),
            "company_id": company,
        });
        if i % 3 == 0 {
            body["tags"] = json!(["third"]);
        }
        s.create_contact(body).await;
    }
    let c = Console::signed_in(&base(&s), &s.token).await;
    let rows = |p: &Page| {
        p.html
            .matches("<tr><td><a href=\"/console/contacts/")
            .count()
    };

    let first = c.get("/console/contacts").await;
    first.expect(200);
    assert!(first.html.contains("30 contacts · page 1 of 2"));
    assert_eq!(rows(&first), 25);
    assert!(first.html.contains("href=\"/console/contacts?page=2\""));
    let second = c.get("/console/contacts?page=2").await;
    assert_eq!(rows(&second), 5);
    assert!(second.html.contains("<span aria-current=\"page\">2</span>"));

    // Search: e-mail, last name, full name.
    let r = c.get("/console/contacts?q=special").await;
    assert!(r.html.contains("1 contact · page 1 of 1"), "{}", r.html);
    assert!(r.html.contains("Person07 Odd"));
    assert!(r.html.contains("value=\"special\""));
    let r = c.get("/console/contacts?q=Person01+Odd").await;
    assert!(r.html.contains("1 contact ·"));
    let r = c.get("/console/contacts?q=Even").await;
    assert!(r.html.contains("15 contacts"));

    // Filters, combined with the search.
    let r = c.get(&format!("/console/contacts?company={globex}")).await;
    assert!(r.html.contains("10 contacts"));
    let r = c
        .get(&format!(
            "/console/contacts?company={globex}&tag=third&q=Even"
        ))
        .await;
    // i in 20..30, i % 3 == 0 and even: 24.
    assert!(r.html.contains("1 contact ·"), "{}", r.html);
    assert!(r.html.contains("Person24 Even"));
    let r = c.get("/console/contacts?status=inactive").await;
    assert!(r.html.contains("0 contacts"));

    // Sorting: e-mail descending, and the header links keep the filters.
    let r = c.get("/console/contacts?sort=email&dir=desc").await;
    let first_row = r.html.find("p29@mail.example").expect("p29");
    let later_row = r.html.find("p28@mail.example").expect("p28");
    assert!(first_row < later_row);
    assert!(r.html.contains("aria-sort=\"descending\""));
    let r = c.get("/console/contacts?tag=third&sort=last_name").await;
    assert!(
        r.html
            .contains("href=\"/console/contacts?tag=third&amp;sort=last_name&amp;dir=desc\""),
        "{}",
        r.html
    );

    // Bad values: a 422 with the message, not a crash.
    let r = c.get("/console/contacts?company=abc&page=0").await;
    r.expect(422);
    assert!(r.html.contains("id=\"company-error\""));
    let long = "x".repeat(201);
    c.get(&format!("/console/contacts?q={long}"))
        .await
        .expect(422);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let s = TestServer::start().await;
    let c = Console::signed_in(&base(&s), &s.token).await;
    c.get("/console/contacts").await.expect(200);
    // Without the token: refused.
    assert_eq!(c.post_raw("/console/logout", &[]).await.status, 403);
    c.get("/console/contacts").await.expect(200);
    let r = c.post("/console/logout", "/console/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/login"));
    assert!(
        r.set_cookies
            .iter()
            .any(|c| c.starts_with("rolodex_console=;") && c.contains("Max-Age=0"))
    );
    // The old cookie no longer opens anything.
    let r = c.get("/console/contacts").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/login"));
}

/// The secret in the `data-token` element of a page.
fn shown_token(page: &Page) -> String {
    let at = page.html.find("data-token=\"").expect("data-token element");
    let rest = &page.html[at + "data-token=\"".len()..];
    rest[..rest.find('"').expect("end")].to_owned()
}

#[tokio::test]
async fn tokens_created_in_the_console_work_on_the_api_until_revoked() {
    let s = TestServer::start().await;
    let c = Console::signed_in(&base(&s), &s.token).await;
    let tokens = "/console/settings/api-tokens";
    let page = c.get(tokens).await;
    page.expect(200);
    // The session's own token is listed by name and prefix, never in full.
    assert!(page.html.contains("tests"));
    assert!(page.html.contains(&format!("{}…", &s.token[..8])));
    assert!(!page.html.contains(&s.token));

    let r = c.post(tokens, tokens, &[("name", "ci <pipeline>")]).await;
    r.expect(201);
    let secret = shown_token(&r);
    assert!(secret.starts_with("rdx_"));
    assert!(r.html.contains("ci &lt;pipeline&gt;"));
    s.get_as("/contacts", &secret).await.expect(200);
    // Shown once: the list afterwards has no secret.
    let page = c.get(tokens).await;
    assert!(!page.html.contains(&secret));
    assert!(!page.html.contains("data-token"));

    // Too long a name: the admin API's 422 message at the field.
    let long = "n".repeat(300);
    let r = c.post(tokens, tokens, &[("name", &long)]).await;
    r.expect(422);
    assert!(r.html.contains("id=\"name-error\""));

    // Revoke: confirmation, then refused on the API at once.
    let id = page
        .html
        .split("id=\"token-")
        .filter_map(|part| part.split('"').next())
        .filter_map(|id| id.parse::<i64>().ok())
        .max()
        .expect("token ids");
    let confirm = c.get(&format!("{tokens}/{id}/revoke")).await;
    confirm.expect(200);
    assert!(
        confirm
            .html
            .contains("Revoke the token ci &lt;pipeline&gt;?")
    );
    let r = c
        .post(
            &format!("{tokens}/{id}/revoke"),
            &format!("{tokens}/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/console/settings/api-tokens?notice=revoked")
    );
    assert_eq!(s.get_as("/contacts", &secret).await.status, 401);
    assert!(c.get(tokens).await.html.contains("revoked "));
}

#[tokio::test]
async fn revoking_the_sessions_token_ends_the_session() {
    let s = TestServer::start().await;
    let other = s.named_token("acme", "second");
    let a = Console::signed_in(&base(&s), &s.token).await;
    let b = Console::signed_in(&base(&s), &other).await;
    // Session b revokes the token session a was opened with.
    let page = b.get("/console/settings/api-tokens").await;
    let first_id = page
        .html
        .split("id=\"token-")
        .filter_map(|part| part.split('"').next())
        .filter_map(|id| id.parse::<i64>().ok())
        .min()
        .expect("token ids");
    let path = format!("/console/settings/api-tokens/{first_id}/revoke");
    b.post(&path, &path, &[]).await;
    let r = a.get("/console/contacts").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/login"));
    // Revoking its own token signs b out.
    let page = b.get("/console/settings/api-tokens").await;
    let own_id = page
        .html
        .split("id=\"token-")
        .filter_map(|part| part.split('"').next())
        .filter_map(|id| id.parse::<i64>().ok())
        .max()
        .expect("token ids");
    let path = format!("/console/settings/api-tokens/{own_id}/revoke");
    assert!(b.get(&path).await.html.contains("signs you out"));
    let r = b.post(&path, &path, &[]).await;
    assert_eq!(r.location.as_deref(), Some("/console/login"));
    assert_eq!(b.get("/console/contacts").await.status, 303);
}

#[tokio::test]
async fn another_tenants_token_cannot_be_revoked() {
    let s = TestServer::start().await;
    let theirs = s.named_token("globex", "theirs");
    let c = Console::signed_in(&base(&s), &s.token).await;
    let g = Console::signed_in(&base(&s), &theirs).await;
    let page = g.get("/console/settings/api-tokens").await;
    let their_id = page
        .html
        .split("id=\"token-")
        .filter_map(|part| part.split('"').next())
        .find_map(|id| id.parse::<i64>().ok())
        .expect("token id");
    assert!(
        !c.get("/console/settings/api-tokens")
            .await
            .html
            .contains(&format!("id=\"token-{their_id}\""))
    );
    let path = format!("/console/settings/api-tokens/{their_id}/revoke");
    c.get(&path).await.expect(404);
    c.post("/console/settings/api-tokens", &path, &[])
        .await
        .expect(404);
    s.get_as("/contacts", &theirs).await.expect(200);
}

#[tokio::test]
async fn companies_create_with_an_address_edit_and_delete() {
    let s = TestServer::start().await;
    s.post(
        "/custom-fields",
        &json!({"label": "Region", "type": "dropdown", "options": {"choices": ["North", "South"]}}),
    )
    .await
    .expect(201);
    let c = Console::signed_in(&base(&s), &s.token).await;
    let new = "/console/companies/new";
    // A shipping address without its city: the API's message at the address's field.
    let r = c
        .post(
            new,
            new,
            &[("name", "Acme <Corp>"), ("ship_address_1", "9 Port Way")],
        )
        .await;
    r.expect(422);
    assert!(r.html.contains("id=\"ship_city-error\""), "{}", r.html);
    assert!(r.html.contains("value=\"Acme &lt;Corp&gt;\""));
    let r = c
        .post(
            new,
            new,
            &[
                ("name", "Acme <Corp>"),
                ("city", "Austin"),
                ("client_type", "Wholesale"),
                ("payment_term", "Net 30"),
                ("tags", "vip, east"),
                ("custom_1", "North"),
                ("ship_address_1", "9 Port Way"),
                ("ship_city", "Dallas"),
                ("ship_first_name", "Sam"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let location = r.location.expect("location");
    let id = location
        .trim_start_matches("/console/companies/")
        .trim_end_matches("?notice=created")
        .to_owned();
    let api = s.get(&format!("/companies/{id}")).await;
    api.expect(200);
    let company = api.data().clone();
    assert_eq!(company["name"], "Acme <Corp>");
    assert_eq!(company["type"], "Wholesale");
    assert_eq!(company["due_date_days"], 30);
    assert_eq!(company["custom_fields"], json!({"Region": "North"}));
    assert_eq!(company["shipping_addresses"][0]["city"], "Dallas");
    assert_eq!(company["shipping_addresses"][0]["is_default"], true);

    let path = format!("/console/companies/{id}");
    let page = c.get(&path).await;
    page.expect(200);
    assert!(page.html.contains("<h1>Acme &lt;Corp&gt;</h1>"));
    assert!(page.html.contains("<strong>(default)</strong>"));
    assert!(page.html.contains("Net 30 (30 days)"));
    assert!(
        page.html
            .contains("<option value=\"North\" selected>North</option>")
    );

    // Edit: an unknown parent is the API's 422 at its field; a real change is saved alone.
    let r = c
        .post(&path, &path, &[("parent_company_id", "999999")])
        .await;
    r.expect(422);
    assert!(
        r.html.contains("id=\"parent_company_id-error\""),
        "{}",
        r.html
    );
    let parent = s.create_company("Parent").await;
    let r = c
        .post(
            &path,
            &path,
            &[
                ("parent_company_id", &parent.to_string()),
                ("custom_1", "South"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let after = s.get(&format!("/companies/{id}")).await.data().clone();
    assert_eq!(after["parent_company_id"], parent);
    assert_eq!(after["custom_fields"], json!({"Region": "South"}));
    assert_eq!(after["name"], company["name"]);
    assert_eq!(after["tags"], company["tags"]);

    // A second address, made the default; then edited and deleted.
    let r = c
        .post(
            &path,
            &format!("{path}/shipping"),
            &[
                ("ship_address_1", "1 Dock St"),
                ("ship_city", "Houston"),
                ("ship_is_default", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let addresses = s.get(&format!("/companies/{id}")).await.data()["shipping_addresses"].clone();
    let second = addresses
        .as_array()
        .expect("addresses")
        .iter()
        .find(|a| a["city"] == "Houston")
        .expect("the new address")
        .clone();
    assert_eq!(second["is_default"], true);
    let address_path = format!("{path}/shipping/{}", second["id"]);
    let edit = c.get(&address_path).await;
    edit.expect(200);
    assert!(edit.html.contains("value=\"1 Dock St\""));
    let r = c
        .post(
            &address_path,
            &address_path,
            &[
                ("ship_address_1", "2 Dock St"),
                ("ship_city", "Houston"),
                ("ship_is_default", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let r = c
        .post(&address_path, &format!("{address_path}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    let left = s.get(&format!("/companies/{id}")).await.data()["shipping_addresses"].clone();
    assert_eq!(left.as_array().map(Vec::len), Some(1));

    // Delete: 409 while a contact has no other company, as a readable message.
    let contact = s
        .create_contact(json!({"first_name": "Only", "company_id": id.parse::<i64>().expect("id")}))
        .await;
    let r = c.post(&path, &format!("{path}/delete"), &[]).await;
    r.expect(409);
    assert!(
        r.html.contains("The company was not deleted."),
        "{}",
        r.html
    );
    assert!(r.html.contains("Only"));
    s.delete(&format!("/contacts/{}", cid(&contact)))
        .await
        .expect(204);
    assert!(
        c.get(&format!("{path}/delete"))
            .await
            .html
            .contains("Delete Acme &lt;Corp&gt;?")
    );
    let r = c.post(&path, &format!("{path}/delete"), &[]).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/console/companies?notice=deleted")
    );
    s.get(&format!("/companies/{id}")).await.expect(404);
}

#[tokio::test]
async fn the_company_list_filters_and_other_tenants_companies_are_not_found() {
    let s = TestServer::start().await;
    for (name, city) in [
        ("Acme", "Austin"),
        ("Acme East", "Boston"),
        ("Globex", "Austin"),
    ] {
        s.post("/companies", &json!({"name": name, "city": city}))
            .await
            .expect(201);
    }
    let other = s.token("globex");
    let theirs = s.create_company_as(&other, "Theirs").await;
    let c = Console::signed_in(&base(&s), &s.token).await;
    let r = c.get("/console/companies").await;
    r.expect(200);
    assert!(r.html.contains("3 companies"));
    assert!(!r.html.contains("Theirs"));
    assert!(
        c.get("/console/companies?q=Acme")
            .await
            .html
            .contains("2 companies")
    );
    assert!(
        c.get("/console/companies?city=Austin&q=Acme")
            .await
            .html
            .contains("1 company ·")
    );
    let r = c.get("/console/companies?sort=name&dir=desc").await;
    assert!(r.html.find(">Globex<").expect("Globex") < r.html.find(">Acme<").expect("Acme"));
    let path = format!("/console/companies/{theirs}");
    c.get(&path).await.expect(404);
    c.get(&format!("{path}/delete")).await.expect(404);
    c.post("/console/companies", &path, &[("name", "Mine now")])
        .await
        .expect(404);
    c.post("/console/companies", &format!("{path}/delete"), &[])
        .await
        .expect(404);
    c.post(
        "/console/companies",
        &format!("{path}/shipping"),
        &[("ship_address_1", "x"), ("ship_city", "y")],
    )
    .await
    .expect(404);
    assert_eq!(
        s.get_as(&format!("/companies/{theirs}"), &other)
            .await
            .data()["name"],
        "Theirs"
    );
}
