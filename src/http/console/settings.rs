//! `/console/settings`: the tenant's API tokens (list with when each was last used, to the
//! minute; create; revoke). Custom fields and tags are in `custom_fields.rs` and `tags.rs`.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::{Map, json};

use super::contacts::{param, path_id, query_params};
use super::page::{self, Field};
use super::{ConsoleResult, CsrfForm, PREFIX, SignedIn, see_other};
use crate::domain::admin::{NewToken, TokenSummary, parse_new_token};
use crate::http::AppState;
use crate::service::admin;
use crate::service::console::Session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_home))
        .route("/settings/api-tokens", get(tokens).post(create_token))
        .route(
            "/settings/api-tokens/{id}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

async fn settings_home() -> Response {
    see_other(&format!("{PREFIX}/settings/api-tokens"))
}

async fn tokens(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    RawQuery(raw): RawQuery,
) -> ConsoleResult<Response> {
    let list = admin::list_tokens(&s.db, &session.tenant_slug).await?;
    let notice = param(&query_params(raw.as_deref()), "notice");
    Ok(page::html_response(
        StatusCode::OK,
        render_tokens(&session, &list, None, "", &page::Errors::new(), &notice),
    ))
}

fn render_tokens(
    session: &Session,
    list: &[TokenSummary],
    created: Option<&NewToken>,
    name: &str,
    errors: &page::Errors,
    notice: &str,
) -> Markup {
    page::layout(
        "API tokens",
        Some(session),
        html! {
            h1 { "API tokens" }
            (page::notice(Some(notice)))
            @if let Some(new) = created {
                section class="card" aria-labelledby="new-token" role="status" {
                    h2 id="new-token" { "New token " (new.name.as_deref().unwrap_or("")) }
                    p { "Copy it now: it is shown only this once, and only its hash is kept." }
                    p { code class="secret" id="new-token-value" data-token=(new.token) { (new.token) } }
                    button type="button" class="secondary" data-copy="#new-token-value" { "Copy" }
                }
            }
            section class="card" aria-labelledby="create" {
                h2 id="create" { "Create a token" }
                (page::error_summary(errors))
                form method="post" action={ (PREFIX) "/settings/api-tokens" } novalidate {
                    (page::csrf(session))
                    (page::field_input(&Field::text("Name", "name", name).hint("What uses it, e.g. ci or the ERP sync").errors_from(errors)))
                    button type="submit" { "Create token" }
                }
            }
            table {
                caption class="skip" { "Tokens" }
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Starts with" }
                    th scope="col" { "Created" }
                    th scope="col" { "Last used" }
                    th scope="col" { "Status" }
                    th scope="col" { span class="skip" { "Actions" } }
                } }
                tbody {
                    @for t in list {
                        tr id={ "token-" (t.id) } {
                            td { (t.name.as_deref().unwrap_or("—")) @if t.id == session.token_id { " " span class="tag" { "this session" } } }
                            td { code { (t.prefix) "…" } }
                            td { (page::when(t.created_at)) }
                            td class="last-used" {
                                @if let Some(at) = t.last_used_at { (page::when(at)) }
                                @else { span class="muted" { "never" } }
                            }
                            td { @if let Some(at) = t.revoked_at { "revoked " (page::when(at)) } @else { "active" } }
                            td {
                                @if t.revoked_at.is_none() {
                                    a href={ (PREFIX) "/settings/api-tokens/" (t.id) "/revoke" } { "Revoke…" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn create_token(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let name = form.text("name");
    let mut body = Map::new();
    if !name.trim().is_empty() {
        body.insert("name".into(), json!(name.trim()));
    }
    let (created, errors, status) = match parse_new_token(&body) {
        Ok(parsed) => (
            Some(admin::create_token(&s.db, session.tenant_id, parsed).await?),
            page::Errors::new(),
            StatusCode::CREATED,
        ),
        Err(e) => (
            None,
            page::field_errors(&e, &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let list = admin::list_tokens(&s.db, &session.tenant_slug).await?;
    let kept_name = if created.is_some() { "" } else { &name };
    Ok(page::html_response(
        status,
        render_tokens(&session, &list, created.as_ref(), kept_name, &errors, ""),
    ))
}

/// The tenant's token `id` (404 for another tenant's or an unknown one).
async fn token_of(s: &AppState, session: &Session, id: &str) -> ConsoleResult<TokenSummary> {
    let id = path_id(id)?;
    admin::list_tokens(&s.db, &session.tenant_slug)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(super::ConsoleError::NotFound)
}

async fn confirm_revoke(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let t = token_of(&s, &session, &id).await?;
    let own = t.id == session.token_id;
    Ok(page::confirm(
        &session,
        page::Confirm {
            title: "Revoke token",
            heading: html! { "Revoke the token " (t.name.as_deref().unwrap_or(&t.prefix)) "?" },
            body: html! {
                p { "Every client using it is refused from then on. This cannot be undone." }
                @if own { p class="error-summary" { "This session was opened with this token: revoking it signs you out." } }
            },
            action: format!("{PREFIX}/settings/api-tokens/{}/revoke", t.id),
            verb: "Revoke",
            cancel: format!("{PREFIX}/settings/api-tokens"),
        },
    ))
}

async fn revoke(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    _: CsrfForm,
) -> ConsoleResult<Response> {
    let t = token_of(&s, &session, &id).await?;
    admin::revoke_token(&s.db, session.tenant_id, t.id).await?;
    // Refused by this instance at once (others within the token cache's half second).
    s.tokens.forget_all();
    if t.id == session.token_id {
        return Ok(see_other(&format!("{PREFIX}/login")));
    }
    Ok(see_other(&format!(
        "{PREFIX}/settings/api-tokens?notice=revoked"
    )))
}
