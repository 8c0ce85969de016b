//! The console's page frame and form pieces. Every input has a label; an input with errors is
//! `aria-invalid` and `aria-describedby` its error text, which is `role=alert`.

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::{CSRF_FIELD, PREFIX};
use crate::domain::ValidationErrors;
use crate::service::console::Session;

/// Validation errors by form field.
pub type Errors = BTreeMap<String, Vec<String>>;

/// The one stylesheet, embedded in the binary.
pub const STYLE: &str = include_str!("style.css");

/// The one script: the copy buttons (everything works without it).
pub const SCRIPT: &str = include_str!("console.js");

pub fn html_response(status: StatusCode, body: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Pages show tenant data: not for shared caches, not framed elsewhere.
            (header::CACHE_CONTROL, "no-store"),
        ],
        [
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            (
                "content-security-policy",
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ],
        body.into_string(),
    )
        .into_response()
}

/// The frame of every page: navigation (when signed in) and the main content.
pub fn layout(title: &str, session: Option<&Session>, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Rolodex" }
                link rel="stylesheet" href={ (PREFIX) "/style.css" };
                script src={ (PREFIX) "/console.js" } defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    span class="brand" { "Rolodex" }
                    @if let Some(session) = session {
                        nav aria-label="Main" {
                            a href={ (PREFIX) "/contacts" } { "Contacts" }
                            a href={ (PREFIX) "/companies" } { "Companies" }
                            a href={ (PREFIX) "/settings/api-tokens" } { "API tokens" }
                            a href={ (PREFIX) "/settings/custom-fields" } { "Custom fields" }
                            a href={ (PREFIX) "/settings/tags" } { "Tags" }
                        }
                        span class="tenant" { "Tenant " strong { (session.tenant_slug) } }
                        form method="post" action={ (PREFIX) "/logout" } class="inline" {
                            (csrf(session))
                            button type="submit" class="link" { "Sign out" }
                        }
                    }
                }
                main id="main" { (main) }
            }
        }
    }
}

/// The hidden CSRF field of a form of `session`.
/// A page asking to confirm an action that cannot be undone (a delete, a revoke).
pub struct Confirm<'a> {
    /// The page's title.
    pub title: &'a str,
    /// The question, as the page's heading.
    pub heading: Markup,
    /// What the action does, under the heading.
    pub body: Markup,
    /// Where the form posts (with the session's CSRF token).
    pub action: String,
    /// The button's label.
    pub verb: &'a str,
    /// Where Cancel leads.
    pub cancel: String,
}

/// The confirmation page: the question, what it does, the button and Cancel.
pub fn confirm(session: &Session, c: Confirm<'_>) -> Response {
    html_response(
        StatusCode::OK,
        layout(
            c.title,
            Some(session),
            html! {
                h1 { (c.heading) }
                (c.body)
                form method="post" action=(c.action) {
                    (csrf(session))
                    button type="submit" class="danger" { (c.verb) }
                    " "
                    a href=(c.cancel) { "Cancel" }
                }
            },
        ),
    )
}

pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf_token); }
}

/// A notice after a redirect, from a fixed list (the query names it, never carries the text).
pub fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("saved") => "Saved.",
        Some("created") => "Created.",
        Some("deleted") => "Deleted.",
        Some("unchanged") => "Nothing changed.",
        Some("password") => "The portal password was set.",
        Some("revoked") => "The token was revoked.",
        Some("renamed") => "Renamed.",
        Some("merged") => "Renamed onto an existing tag: the two are merged.",
        _ => return html! {},
    };
    html! { p class="notice" role="status" { (text) } }
}

/// Validation errors by form field: an API error path's first segment (`tags.0` → `tags`),
/// renamed where a form groups several API fields.
pub fn field_errors(
    errors: &ValidationErrors,
    rename: &[(&str, &str)],
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, messages) in errors.entries() {
        let base = path.split('.').next().unwrap_or(path);
        let field = rename
            .iter()
            .find(|(from, _)| *from == base)
            .map_or(base, |(_, to)| to);
        out.entry(field.to_owned())
            .or_default()
            .extend(messages.iter().cloned());
    }
    out
}

/// The summary at the top of a form with errors.
pub fn error_summary(errors: &BTreeMap<String, Vec<String>>) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" {
                p { "Please correct the errors below." }
                ul {
                    @for (field, messages) in errors {
                        @for message in messages {
                            li { a href={ "#" (field) } { (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// One labelled input.
pub struct Field<'a> {
    pub label: &'a str,
    pub name: &'a str,
    pub value: &'a str,
    /// The input's `type`.
    pub kind: &'a str,
    pub errors: Vec<String>,
    pub hint: Option<&'a str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn text(label: &'a str, name: &'a str, value: &'a str) -> Self {
        Field {
            label,
            name,
            value,
            kind: "text",
            errors: Vec::new(),
            hint: None,
            required: false,
        }
    }

    pub fn errors_from(mut self, errors: &BTreeMap<String, Vec<String>>) -> Self {
        self.errors = errors.get(self.name).cloned().unwrap_or_default();
        self
    }

    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

fn described_by(name: &str, has_hint: bool, has_errors: bool) -> Option<String> {
    let mut ids = Vec::new();
    if has_hint {
        ids.push(format!("{name}-hint"));
    }
    if has_errors {
        ids.push(format!("{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

pub fn field_input(f: &Field<'_>) -> Markup {
    let invalid = !f.errors.is_empty();
    html! {
        div class={ "field" @if invalid { " invalid" } } {
            label for=(f.name) { (f.label) @if f.required { " " span class="req" aria-hidden="true" { "*" } } }
            @if let Some(hint) = f.hint { p class="hint" id={ (f.name) "-hint" } { (hint) } }
            input id=(f.name) name=(f.name) type=(f.kind) value=(f.value)
                required[f.required]
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[described_by(f.name, f.hint.is_some(), invalid)];
            (field_error(f.name, &f.errors))
        }
    }
}

pub fn field_error(name: &str, errors: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            p class="field-error" id={ (name) "-error" } role="alert" {
                @for (i, e) in errors.iter().enumerate() { @if i > 0 { br; } (e) }
            }
        }
    }
}

pub fn checkbox(label: &str, name: &str, checked: bool) -> Markup {
    html! {
        div class="check" {
            input type="checkbox" id=(name) name=(name) value="1" checked[checked];
            label for=(name) { (label) }
        }
    }
}

/// A timestamp as a date and time, UTC.
pub fn when(t: crate::domain::Timestamp) -> String {
    let s = t.rfc3339();
    s.replace('T', " ").trim_end_matches('Z').to_owned() + " UTC"
}

/// Page links: first, previous, a window around the current page, next, last.
pub fn pagination(current: u64, last: u64, href: impl Fn(u64) -> String) -> Markup {
    let from = current.saturating_sub(2).max(1);
    let to = (current + 2).min(last);
    html! {
        @if last > 1 {
            nav class="pages" aria-label="Pages" {
                @if current > 1 {
                    a href=(href(1)) { "« First" }
                    a href=(href(current - 1)) rel="prev" { "‹ Previous" }
                }
                @for p in from..=to {
                    @if p == current {
                        span aria-current="page" { (p) }
                    } @else {
                        a href=(href(p)) { (p) }
                    }
                }
                @if current < last {
                    a href=(href(current + 1)) rel="next" { "Next ›" }
                    a href=(href(last)) { "Last »" }
                }
            }
        }
    }
}

/// A URL of `path` with these query parameters (empty values left out).
pub fn url_with(path: &str, params: &[(&str, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        if !value.is_empty() {
            query.append_pair(name, value);
        }
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// A header cell that sorts the list by `field` (toggling the direction when it already does).
pub fn sort_header(
    label: &str,
    field: &str,
    current_sort: &str,
    descending: bool,
    href: impl Fn(&str, bool) -> String,
) -> Markup {
    let active = current_sort == field;
    let aria = match (active, descending) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let next_descending = active && !descending;
    html! {
        th scope="col" aria-sort=(aria) {
            a href=(href(field, next_descending)) {
                (label)
                @if active { span aria-hidden="true" { @if descending { " ▼" } @else { " ▲" } } }
            }
        }
    }
}

/// The `page` query parameter of a console list: 1 when absent, else a number from 1 to 1,000,000
/// (an error on `page` otherwise, and page 1).
pub fn page_number(page: &str, errors: &mut ValidationErrors) -> u64 {
    if page.is_empty() {
        return 1;
    }
    match page.parse::<u64>() {
        Ok(p) if (1..=1_000_000).contains(&p) => p,
        _ => {
            errors.add("page", "The page must be a number from 1 to 1000000.");
            1
        }
    }
}
