//! `/console/settings/custom-fields`: the tenant's custom-field definitions; create, edit and
//! delete through the same service (and domain parser) as `/custom-fields`, so the 422 messages
//! are the API's, shown next to the form's fields.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::contacts::{param, path_id, query_params};
use super::page::{self, Errors, Field};
use super::{ConsoleResult, CsrfForm, Form, PREFIX, SignedIn, see_other};
use crate::domain::ValidationErrors;
use crate::domain::custom_field::{
    COMPANIES, Definition, FieldKind, OBJECT_TYPES, parse_definition,
};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::console::Session;
use crate::service::custom_fields;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/custom-fields", get(list).post(create))
        .route("/settings/custom-fields/{id}", get(edit_page).post(update))
        .route(
            "/settings/custom-fields/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

/// The form's values: from a stored definition, or as submitted.
#[derive(Debug, Clone, Default)]
struct DefinitionForm {
    label: String,
    kind: String,
    object_types: Vec<String>,
    /// Dropdown choices, one a line.
    choices: String,
    max_length: String,
}

impl DefinitionForm {
    fn blank() -> DefinitionForm {
        DefinitionForm {
            kind: FieldKind::String.name().to_owned(),
            object_types: vec![COMPANIES.to_owned()],
            ..DefinitionForm::default()
        }
    }

    fn of(d: &Definition) -> DefinitionForm {
        DefinitionForm {
            label: d.label.clone(),
            kind: d.kind.name().to_owned(),
            object_types: d.object_types.clone(),
            choices: d.choices().join("\n"),
            max_length: d
                .options
                .get("maxLength")
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
        }
    }

    fn read(form: &Form) -> DefinitionForm {
        DefinitionForm {
            label: form.text("label"),
            kind: form.text("type"),
            object_types: form
                .all("object_types")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            choices: form.text("choices"),
            max_length: form.text("max_length"),
        }
    }

    /// The API body: every part of the definition (an update of unchanged parts changes
    /// nothing). `options` starts from the stored ones, so keys the console does not edit stay.
    fn body(&self, stored_options: &Map<String, Value>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("label".into(), json!(self.label));
        body.insert("type".into(), json!(self.kind));
        body.insert("object_types".into(), json!(self.object_types));
        let mut options = stored_options.clone();
        match FieldKind::parse(self.kind.trim()) {
            Some(FieldKind::Dropdown) => {
                let choices: Vec<&str> = self
                    .choices
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                options.insert("choices".into(), json!(choices));
                options.remove("maxLength");
            }
            Some(FieldKind::String) => {
                options.remove("choices");
                let max = self.max_length.trim();
                if max.is_empty() {
                    options.remove("maxLength");
                } else {
                    // A number as a number; anything else as typed, for the API's message.
                    let value = max.parse::<i64>().map_or_else(|_| json!(max), |n| json!(n));
                    options.insert("maxLength".into(), value);
                }
            }
            _ => {
                options.remove("choices");
                options.remove("maxLength");
            }
        }
        body.insert("options".into(), Value::Object(options));
        body
    }
}

/// The API's error paths as the form's fields.
fn form_errors(errors: &ValidationErrors) -> Errors {
    let mut out = Errors::new();
    for (path, messages) in errors.entries() {
        let field = if path.starts_with("options.maxLength") {
            "max_length"
        } else if path.starts_with("options") {
            "choices"
        } else if path.starts_with("object_types") {
            "object_types"
        } else if path.as_str() == "type" {
            "type"
        } else {
            "label"
        };
        out.entry(field.to_owned())
            .or_default()
            .extend(messages.iter().cloned());
    }
    out
}

fn applies_to(d: &Definition) -> String {
    if d.object_types.is_empty() {
        "nothing".to_owned()
    } else {
        d.object_types.join(", ")
    }
}

fn options_text(d: &Definition) -> String {
    match d.kind {
        FieldKind::Dropdown => d.choices().join(", "),
        FieldKind::String => d
            .options
            .get("maxLength")
            .map(|n| format!("at most {n} characters"))
            .unwrap_or_default(),
        FieldKind::Number | FieldKind::Date => String::new(),
    }
}

/// The inputs of a definition (create and edit alike).
fn inputs(values: &DefinitionForm, errors: &Errors) -> Markup {
    let described = |name: &str, hint: bool| {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{name}-hint"));
        }
        if errors.contains_key(name) {
            ids.push(format!("{name}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let invalid = |name: &str| errors.contains_key(name).then_some("true");
    let no_errors = Vec::new();
    let errors_of = |name: &str| errors.get(name).unwrap_or(&no_errors);
    html! {
        (page::field_input(&Field::text("Label", "label", &values.label).required().errors_from(errors)))
        div class={ "field" @if errors.contains_key("type") { " invalid" } } {
            label for="type" { "Type" }
            select id="type" name="type" aria-invalid=[invalid("type")] aria-describedby=[described("type", false)] {
                @for kind in FieldKind::ALL {
                    option value=(kind.name()) selected[values.kind.eq_ignore_ascii_case(kind.name())] { (kind.name()) }
                }
            }
            (page::field_error("type", errors_of("type")))
        }
        fieldset class={ @if errors.contains_key("object_types") { "invalid" } }
            aria-describedby=[described("object_types", true)] {
            legend { "Applies to" }
            p class="hint" id="object_types-hint" { "Rolodex keeps values for companies; the other types are kept for clients sharing definitions with Luminous." }
            @for (logical, _) in OBJECT_TYPES {
                div class="check" {
                    input type="checkbox" id={ "object_types-" (logical) } name="object_types" value=(logical)
                        checked[values.object_types.iter().any(|t| t == logical)];
                    label for={ "object_types-" (logical) } { (logical) }
                }
            }
            (page::field_error("object_types", errors_of("object_types")))
        }
        div class={ "field" @if errors.contains_key("choices") { " invalid" } } {
            label for="choices" { "Choices (dropdown)" }
            p class="hint" id="choices-hint" { "One a line; needed for a dropdown, ignored otherwise." }
            textarea id="choices" name="choices" rows="4" aria-invalid=[invalid("choices")]
                aria-describedby=[described("choices", true)] { (values.choices) }
            (page::field_error("choices", errors_of("choices")))
        }
        (page::field_input(&Field::text("Maximum length (string)", "max_length", &values.max_length)
            .kind("number").hint("From 1 to 65535; empty for no limit but the default. Ignored for other types.")
            .errors_from(errors)))
    }
}

fn render_list(
    session: &Session,
    list: &[Definition],
    values: &DefinitionForm,
    errors: &Errors,
    notice: &str,
) -> Markup {
    page::layout(
        "Custom fields",
        Some(session),
        html! {
            h1 { "Custom fields" }
            (page::notice(Some(notice)))
            table {
                caption class="skip" { "Custom field definitions" }
                thead { tr {
                    th scope="col" { "Label" }
                    th scope="col" { "Type" }
                    th scope="col" class="hide-narrow" { "Applies to" }
                    th scope="col" class="hide-narrow" { "Options" }
                    th scope="col" class="hide-narrow" { "Updated" }
                    th scope="col" { span class="skip" { "Actions" } }
                } }
                tbody {
                    @for d in list {
                        tr id={ "field-" (d.id) } {
                            td { a href={ (PREFIX) "/settings/custom-fields/" (d.id) } { (d.label) } }
                            td { (d.kind.name()) }
                            td class="hide-narrow" { (applies_to(d)) }
                            td class="hide-narrow" { (options_text(d)) }
                            td class="hide-narrow" { (page::when(d.updated_at)) }
                            td { a href={ (PREFIX) "/settings/custom-fields/" (d.id) "/delete" } { "Delete…" } }
                        }
                    }
                    @if list.is_empty() {
                        tr { td colspan="6" class="muted" { "No custom fields yet." } }
                    }
                }
            }
            section class="card" aria-labelledby="create" {
                h2 id="create" { "Create a custom field" }
                (page::error_summary(errors))
                form method="post" action={ (PREFIX) "/settings/custom-fields" } novalidate {
                    (page::csrf(session))
                    (inputs(values, errors))
                    button type="submit" { "Create" }
                }
            }
        },
    )
}

async fn list(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    RawQuery(raw): RawQuery,
) -> ConsoleResult<Response> {
    let all = custom_fields::list(&s.db, session.tenant_id, None).await?;
    let notice = param(&query_params(raw.as_deref()), "notice");
    Ok(page::html_response(
        StatusCode::OK,
        render_list(
            &session,
            &all,
            &DefinitionForm::blank(),
            &Errors::new(),
            &notice,
        ),
    ))
}

async fn create(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let values = DefinitionForm::read(&form);
    let body = values.body(&Map::new());
    match custom_fields::create(&s.db, session.tenant_id, parse_definition(&body, true)).await {
        Ok(_) => Ok(see_other(&format!(
            "{PREFIX}/settings/custom-fields?notice=created"
        ))),
        Err(AppError::Validation(e)) => {
            let all = custom_fields::list(&s.db, session.tenant_id, None).await?;
            Ok(page::html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_list(&session, &all, &values, &form_errors(&e), ""),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn render_edit(
    session: &Session,
    d: &Definition,
    values: &DefinitionForm,
    errors: &Errors,
) -> Markup {
    page::layout(
        "Edit custom field",
        Some(session),
        html! {
            p { a href={ (PREFIX) "/settings/custom-fields" } { "‹ All custom fields" } }
            h1 { "Custom field " (d.label) }
            p class="muted" { "Created " (page::when(d.created_at)) " · updated " (page::when(d.updated_at)) }
            (page::error_summary(errors))
            form method="post" action={ (PREFIX) "/settings/custom-fields/" (d.id) } class="card" novalidate {
                (page::csrf(session))
                (inputs(values, errors))
                button type="submit" { "Save" }
                " "
                a href={ (PREFIX) "/settings/custom-fields/" (d.id) "/delete" } { "Delete…" }
            }
        },
    )
}

async fn edit_page(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let d = custom_fields::get(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(page::html_response(
        StatusCode::OK,
        render_edit(&session, &d, &DefinitionForm::of(&d), &Errors::new()),
    ))
}

async fn update(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    let d = custom_fields::get(&s.db, session.tenant_id, id).await?;
    let values = DefinitionForm::read(&form);
    let body = values.body(&d.options);
    match custom_fields::update(&s.db, session.tenant_id, id, parse_definition(&body, false)).await
    {
        Ok(_) => Ok(see_other(&format!(
            "{PREFIX}/settings/custom-fields?notice=saved"
        ))),
        Err(AppError::Validation(e)) => Ok(page::html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            render_edit(&session, &d, &values, &form_errors(&e)),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn confirm_delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let d = custom_fields::get(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(page::confirm(
        &session,
        page::Confirm {
            title: "Delete custom field",
            heading: html! { "Delete the custom field " (d.label) "?" },
            body: html! { p { "Every company's value for it is deleted too. This cannot be undone." } },
            action: format!("{PREFIX}/settings/custom-fields/{}/delete", d.id),
            verb: "Delete",
            cancel: format!("{PREFIX}/settings/custom-fields"),
        },
    ))
}

async fn delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    _: CsrfForm,
) -> ConsoleResult<Response> {
    custom_fields::delete(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(see_other(&format!(
        "{PREFIX}/settings/custom-fields?notice=deleted"
    )))
}
