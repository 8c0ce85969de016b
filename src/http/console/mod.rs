//! The web console at `/console`: server-rendered HTML (maud) for a tenant's contacts, companies
//! and settings, signed in with one of the tenant's API tokens. Handlers call the same `service`
//! functions as the API's, so every rule and every 422 message is the API's; a form is turned
//! into the JSON body the API would receive and parsed by the same domain parser.
//!
//! Sessions live in the database (`service::console`); the browser holds only a random session
//! id in an HttpOnly, SameSite=Strict cookie (`Secure` under TLS). Every state-changing form
//! carries the session's CSRF token, checked by the [`CsrfForm`] extractor before a handler runs;
//! the sign-in form, before there is a session, uses a double-submit cookie instead.

mod companies;
mod contacts;
mod custom_fields;
mod page;
mod settings;
mod tags;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::domain::auth;
use crate::error::AppError;
use crate::service::console::{self as sessions, SESSION_LIFETIME_SECS, Session};

/// Where the console is mounted.
pub const PREFIX: &str = "/console";
const SESSION_COOKIE: &str = "rolodex_console";
const LOGIN_COOKIE: &str = "rolodex_console_login";
/// The name of the CSRF field of every form.
const CSRF_FIELD: &str = "_csrf";
/// Fields a form may carry (a company form has the most); above, 400.
const MAX_FORM_FIELDS: usize = 400;

/// The console's routes, for `Router::nest(PREFIX, ...)`.
pub fn routes(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/", get(home))
        .route("/logout", get(logout_page).post(logout))
        .merge(contacts::routes())
        .merge(companies::routes())
        .merge(settings::routes())
        .merge(custom_fields::routes())
        .merge(tags::routes())
        .route_layer(from_fn_with_state(state, require_session));
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/style.css", get(style))
        .route("/console.js", get(script))
        .merge(signed_in)
        .fallback(not_found)
}

/// What went wrong, as a page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("not found")]
    NotFound,
    /// A state-changing request without the session's CSRF token (or without a session).
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error(transparent)]
    App(#[from] AppError),
}

pub type ConsoleResult<T> = Result<T, ConsoleError>;

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            ConsoleError::NotFound | ConsoleError::App(AppError::NotFound) => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such page or record.".to_owned(),
            ),
            ConsoleError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Forbidden",
                "The form did not come from this console session (its security token is missing or \
                 stale). Go back, reload the page and try again."
                    .to_owned(),
            ),
            ConsoleError::BadRequest(why) => {
                (StatusCode::BAD_REQUEST, "Bad request", why.to_owned())
            }
            ConsoleError::App(AppError::Validation(errors)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid input",
                errors.summary(),
            ),
            ConsoleError::App(AppError::Conflict(text)) => (StatusCode::CONFLICT, "Conflict", text),
            ConsoleError::App(e @ (AppError::Unavailable(_) | AppError::TimedOut)) => {
                tracing::warn!(error = %e, "console: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    "The database is unavailable. Try again in a moment.".to_owned(),
                )
            }
            ConsoleError::App(e @ AppError::Internal(_)) => {
                tracing::error!(error = %e, "console: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server error",
                    "Something went wrong on the server.".to_owned(),
                )
            }
        };
        let body = page::layout(
            title,
            None,
            html! {
                h1 { (title) }
                p role="alert" class="error-summary" { (text) }
                p { a href={ (PREFIX) "/contacts" } { "Back to the contacts" } }
            },
        );
        page::html_response(status, body)
    }
}

/// The signed-in session of the request (set by [`require_session`]).
#[derive(Debug, Clone)]
pub struct SignedIn(pub Arc<Session>);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .ok_or(ConsoleError::Forbidden)
    }
}

/// Loads the session of the cookie and runs the request as its tenant. Without a live session a
/// page is a redirect to the sign-in page and a form post is 403.
async fn require_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let found = match cookie(req.headers(), SESSION_COOKIE) {
        Some(id) => sessions::find(&state.db, id).await,
        None => Ok(None),
    };
    match found {
        Ok(Some(session)) => {
            let tenant_id = session.tenant_id;
            req.extensions_mut().insert(SignedIn(Arc::new(session)));
            state.db.as_tenant(tenant_id, next.run(req)).await
        }
        Ok(None) if matches!(*req.method(), Method::GET | Method::HEAD) => {
            Redirect::to(&format!("{PREFIX}/login")).into_response()
        }
        Ok(None) => ConsoleError::Forbidden.into_response(),
        Err(e) => ConsoleError::App(e).into_response(),
    }
}

/// A submitted form: its fields in order (a name may repeat: checkboxes).
#[derive(Debug, Default, Clone)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Form {
        Form { pairs }
    }

    fn parse(body: &[u8]) -> ConsoleResult<Form> {
        let mut pairs = Vec::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if pairs.len() >= MAX_FORM_FIELDS {
                return Err(ConsoleError::BadRequest("The form has too many fields."));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Form { pairs })
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or "".
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A checkbox: present means checked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// A form posted by the signed-in session, its CSRF token checked (403 otherwise).
pub struct CsrfForm(pub Form);

impl<S: Send + Sync> FromRequest<S> for CsrfForm {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let session = req
            .extensions()
            .get::<SignedIn>()
            .cloned()
            .ok_or(ConsoleError::Forbidden)?;
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| ConsoleError::BadRequest("The form could not be read."))?;
        let form = Form::parse(&body)?;
        if !same_secret(form.get(CSRF_FIELD), &session.0.csrf_token) {
            return Err(ConsoleError::Forbidden);
        }
        Ok(CsrfForm(form))
    }
}

fn same_secret(given: Option<&str>, expected: &str) -> bool {
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())))
}

/// The value of cookie `name`, from any `Cookie` header.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the console's path: HttpOnly, SameSite=Strict, `Secure` under TLS.
fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    // Names and values are our own letters and digits.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A redirect after a successful form (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        page::STYLE,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        page::SCRIPT,
    )
        .into_response()
}

async fn home() -> Response {
    see_other(&format!("{PREFIX}/contacts"))
}

async fn not_found() -> Response {
    ConsoleError::NotFound.into_response()
}

fn login_form(csrf: &str, token_error: Option<&str>) -> maud::Markup {
    page::layout(
        "Sign in",
        None,
        html! {
            h1 { "Sign in to the Rolodex console" }
            form method="post" action={ (PREFIX) "/login" } class="card narrow" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                (page::field_input(&page::Field {
                    label: "API token",
                    name: "token",
                    value: "",
                    kind: "password",
                    errors: token_error.map(|e| vec![e.to_owned()]).unwrap_or_default(),
                    hint: Some("One of your tenant's API tokens (rdx_…). It is not stored in the browser."),
                    required: true,
                }));
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The sign-in page. Its form's CSRF token is also set as a short-lived cookie (double submit):
/// there is no session to hold it yet.
async fn login_page(State(state): State<AppState>) -> Response {
    let csrf = auth::generate_secret();
    let mut response = page::html_response(StatusCode::OK, login_form(&csrf, None));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            LOGIN_COOKIE,
            &csrf,
            &format!("{PREFIX}/login"),
            3600,
        ),
    );
    response
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let Some(expected) = cookie(&headers, LOGIN_COOKIE) else {
        return ConsoleError::Forbidden.into_response();
    };
    if !same_secret(form.get(CSRF_FIELD), expected) {
        return ConsoleError::Forbidden.into_response();
    }
    let token = form.text("token");
    let opened = match sessions::open(&state.db, &state.tokens, token.trim()).await {
        Ok(opened) => opened,
        Err(e) => return ConsoleError::App(e).into_response(),
    };
    let Some(opened) = opened else {
        // The same form again, with a fresh double-submit token and the error at the field.
        let csrf = auth::generate_secret();
        let mut response = page::html_response(
            StatusCode::UNAUTHORIZED,
            login_form(
                &csrf,
                Some("This token is not valid (unknown, revoked or expired)."),
            ),
        );
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                &state,
                LOGIN_COOKIE,
                &csrf,
                &format!("{PREFIX}/login"),
                3600,
            ),
        );
        return response;
    };
    let mut response = see_other(&format!("{PREFIX}/contacts"));
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            SESSION_COOKIE,
            &opened.session_id,
            PREFIX,
            SESSION_LIFETIME_SECS,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_COOKIE, "", &format!("{PREFIX}/login"), 0),
    );
    response
}

async fn logout_page(SignedIn(session): SignedIn) -> Response {
    page::html_response(
        StatusCode::OK,
        page::layout(
            "Sign out",
            Some(&session),
            html! {
                h1 { "Sign out" }
                form method="post" action={ (PREFIX) "/logout" } {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf_token);
                    button type="submit" { "Sign out" }
                }
            },
        ),
    )
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, _: CsrfForm) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = sessions::close(&state.db, id).await
    {
        return ConsoleError::App(e).into_response();
    }
    let mut response = see_other(&format!("{PREFIX}/login"));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", PREFIX, 0),
    );
    response
}
