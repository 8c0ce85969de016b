//! `/console/settings/tags`: the tenant's tags with how many records carry each; rename (onto
//! another tag's name: the two merge) and delete, each record whose tags change moving its
//! `updated_at` (`service::tags::rename`, `delete_tag`).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::{Map, json};

use super::contacts::{param, path_id, query_params};
use super::page::{self, Errors, Field};
use super::{ConsoleError, ConsoleResult, CsrfForm, PREFIX, SignedIn, see_other};
use crate::domain::ValidationErrors;
use crate::domain::tag::{Renamed, TagUsage, parse_rename};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::console::Session;
use crate::service::tags;

/// Tags a page of the list shows.
const PER_PAGE: u64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/tags", get(list))
        .route("/settings/tags/{id}", get(edit_page).post(rename))
        .route(
            "/settings/tags/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

fn list_href(page: u64) -> String {
    let page = if page > 1 {
        page.to_string()
    } else {
        String::new()
    };
    page::url_with(&format!("{PREFIX}/settings/tags"), &[("page", page)])
}

fn records_link(path: &str, tag: &str, n: u64) -> Markup {
    html! {
        @if n == 0 { span class="muted" { "0" } }
        @else { a href=(page::url_with(&format!("{PREFIX}/{path}"), &[("tag", tag.to_owned())])) { (n) } }
    }
}

async fn list(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    RawQuery(raw): RawQuery,
) -> ConsoleResult<Response> {
    let params = query_params(raw.as_deref());
    let mut errors = ValidationErrors::new();
    let current = page::page_number(&param(&params, "page"), &mut errors);
    let (items, total) = tags::usage(&s.db, session.tenant_id, current, PER_PAGE).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let last = total.div_ceil(PER_PAGE).max(1);
    let notice = param(&params, "notice");
    let field_errors = page::field_errors(&errors, &[]);
    let body = page::layout(
        "Tags",
        Some(&session),
        html! {
            h1 { "Tags" }
            (page::notice(Some(&notice)))
            (page::error_summary(&field_errors))
            p class="muted" id="total" {
                (total) @if total == 1 { " tag" } @else { " tags" }
                @if total > PER_PAGE { " · page " (current) " of " (last) }
                ". Tags are created by naming them on a contact or company."
            }
            table {
                caption class="skip" { "Tags" }
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Contacts" }
                    th scope="col" { "Companies" }
                    th scope="col" { span class="skip" { "Actions" } }
                } }
                tbody {
                    @for u in &items {
                        tr id={ "tag-" (u.tag.id) } {
                            td { span class="tag" { (u.tag.name) } }
                            td { (records_link("contacts", &u.tag.name, u.contacts)) }
                            td { (records_link("companies", &u.tag.name, u.companies)) }
                            td {
                                a href={ (PREFIX) "/settings/tags/" (u.tag.id) } { "Rename…" }
                                " "
                                a href={ (PREFIX) "/settings/tags/" (u.tag.id) "/delete" } { "Delete…" }
                            }
                        }
                    }
                    @if items.is_empty() {
                        tr { td colspan="4" class="muted" { "No tags." } }
                    }
                }
            }
            (page::pagination(current, last, list_href))
        },
    );
    Ok(page::html_response(status, body))
}

fn carried_by(u: &TagUsage) -> String {
    let n = |count: u64, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    format!(
        "{} and {}",
        n(u.contacts, "contact", "contacts"),
        n(u.companies, "company", "companies")
    )
}

fn render_edit(session: &Session, u: &TagUsage, name: &str, errors: &Errors) -> Markup {
    page::layout(
        "Rename tag",
        Some(session),
        html! {
            p { a href={ (PREFIX) "/settings/tags" } { "‹ All tags" } }
            h1 { "Tag " span class="tag" { (u.tag.name) } }
            p { "Carried by " (carried_by(u)) "." }
            (page::error_summary(errors))
            form method="post" action={ (PREFIX) "/settings/tags/" (u.tag.id) } class="card narrow" novalidate {
                (page::csrf(session))
                (page::field_input(&Field::text("New name", "name", name)
                    .hint("If another tag already has this name (in any case), the two are merged into that one.")
                    .required().errors_from(errors)))
                button type="submit" { "Rename" }
                " "
                a href={ (PREFIX) "/settings/tags" } { "Cancel" }
            }
        },
    )
}

async fn edit_page(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let u = tags::usage_of(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(page::html_response(
        StatusCode::OK,
        render_edit(&session, &u, &u.tag.name, &Errors::new()),
    ))
}

async fn rename(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    let name = form.text("name");
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    match tags::rename(&s.db, session.tenant_id, id, parse_rename(&body)).await {
        Ok(Renamed::Renamed) => Ok(see_other(&format!("{PREFIX}/settings/tags?notice=renamed"))),
        Ok(Renamed::Merged { .. }) => {
            Ok(see_other(&format!("{PREFIX}/settings/tags?notice=merged")))
        }
        Ok(Renamed::Unchanged) => Ok(see_other(&format!(
            "{PREFIX}/settings/tags?notice=unchanged"
        ))),
        Err(AppError::Validation(e)) => {
            let u = tags::usage_of(&s.db, session.tenant_id, id).await?;
            Ok(page::html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_edit(&session, &u, &name, &page::field_errors(&e, &[])),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let u = tags::usage_of(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(page::confirm(
        &session,
        page::Confirm {
            title: "Delete tag",
            heading: html! { "Delete the tag " span class="tag" { (u.tag.name) } "?" },
            body: html! { p { "It is removed from " (carried_by(&u)) ". The records themselves stay. This cannot be undone." } },
            action: format!("{PREFIX}/settings/tags/{}/delete", u.tag.id),
            verb: "Delete",
            cancel: format!("{PREFIX}/settings/tags"),
        },
    ))
}

async fn delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    _: CsrfForm,
) -> ConsoleResult<Response> {
    match tags::delete_tag(&s.db, session.tenant_id, path_id(&id)?).await {
        Ok(()) => Ok(see_other(&format!("{PREFIX}/settings/tags?notice=deleted"))),
        Err(AppError::NotFound) => Err(ConsoleError::NotFound),
        Err(e) => Err(e.into()),
    }
}
