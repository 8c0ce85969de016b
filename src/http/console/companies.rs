//! `/console/companies`: the list, one company with its contacts and shipping addresses, create,
//! edit and delete. Every write goes through `service::companies` / `service::shipping` with the
//! JSON body the API would get.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::contacts::{param, path_id, query_params, split_list};
use super::page::{self, Errors, Field};
use super::{ConsoleResult, CsrfForm, Form, PREFIX, SignedIn, see_other};
use crate::domain::ValidationErrors;
use crate::domain::company::{self, Company, CompanyListField};
use crate::domain::contact::ContactListField;
use crate::domain::custom_field::{COMPANIES, Definition, FieldKind};
use crate::domain::shipping::{self as shipping_domain, ShippingAddress};
use crate::error::AppError;
use crate::http::AppState;
use crate::query;
use crate::service::console::Session;
use crate::service::{companies, contacts, custom_fields, shipping};

const PER_PAGE: u64 = 25;
const MAX_TERM: usize = 200;
const SORTABLE: &[&str] = &[
    "id",
    "name",
    "city",
    "state",
    "country",
    "created_at",
    "updated_at",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/companies", get(list))
        .route("/companies/new", get(new_page).post(create))
        .route("/companies/{id}", get(show).post(update))
        .route("/companies/{id}/delete", get(confirm_delete).post(delete))
        .route("/companies/{id}/shipping", post(add_address))
        .route(
            "/companies/{id}/shipping/{address}",
            get(edit_address_page).post(update_address),
        )
        .route(
            "/companies/{id}/shipping/{address}/delete",
            post(delete_address),
        )
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct ListView {
    q: String,
    kind: String,
    tag: String,
    city: String,
    status: String,
    sort: String,
    descending: bool,
    page: u64,
}

impl ListView {
    fn read(params: &[(String, String)], errors: &mut ValidationErrors) -> ListView {
        let mut view = ListView {
            q: param(params, "q"),
            kind: param(params, "type"),
            tag: param(params, "tag"),
            city: param(params, "city"),
            status: param(params, "status"),
            sort: param(params, "sort"),
            descending: param(params, "dir") == "desc",
            page: 1,
        };
        for (name, value) in [
            ("q", &view.q),
            ("type", &view.kind),
            ("tag", &view.tag),
            ("city", &view.city),
            ("status", &view.status),
        ] {
            if value.chars().count() > MAX_TERM {
                errors.add(name, format!("At most {MAX_TERM} characters."));
            }
        }
        if !SORTABLE.contains(&view.sort.as_str()) {
            view.sort = "id".to_owned();
        }
        view.page = page::page_number(&param(params, "page"), errors);
        view
    }

    fn href(&self, page: u64, sort: &str, descending: bool) -> String {
        page::url_with(
            &format!("{PREFIX}/companies"),
            &[
                ("q", self.q.clone()),
                ("type", self.kind.clone()),
                ("tag", self.tag.clone()),
                ("city", self.city.clone()),
                ("status", self.status.clone()),
                (
                    "sort",
                    if sort == "id" {
                        String::new()
                    } else {
                        sort.to_owned()
                    },
                ),
                (
                    "dir",
                    if descending {
                        "desc".to_owned()
                    } else {
                        String::new()
                    },
                ),
                (
                    "page",
                    if page > 1 {
                        page.to_string()
                    } else {
                        String::new()
                    },
                ),
            ],
        )
    }

    fn query(&self) -> Result<query::ListQuery<CompanyListField>, ValidationErrors> {
        let dir = if self.descending { "desc" } else { "asc" };
        let mut pairs = vec![
            ("page".to_owned(), self.page.to_string()),
            ("per_page".to_owned(), PER_PAGE.to_string()),
            ("sort".to_owned(), format!("{}:{dir}", self.sort)),
        ];
        for (name, value) in [
            ("name[contains]", &self.q),
            ("type", &self.kind),
            ("tag", &self.tag),
            ("city", &self.city),
            ("status", &self.status),
        ] {
            if !value.is_empty() {
                pairs.push((name.to_owned(), value.clone()));
            }
        }
        query::parse::<CompanyListField>(&pairs)
    }
}

async fn list(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    RawQuery(raw): RawQuery,
) -> ConsoleResult<Response> {
    let params = query_params(raw.as_deref());
    let mut errors = ValidationErrors::new();
    let view = ListView::read(&params, &mut errors);
    let mut result = None;
    if errors.is_empty() {
        match view.query() {
            Ok(q) => match companies::list(&s.db, session.tenant_id, q).await {
                Ok(found) => result = Some(found),
                Err(AppError::Validation(e)) => errors.merge(e),
                Err(e) => return Err(e.into()),
            },
            Err(e) => errors.merge(e),
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let errors = page::field_errors(&errors, &[("name", "q")]);
    let notice = param(&params, "notice");
    Ok(page::html_response(
        status,
        render_list(&session, &view, result, &errors, &notice),
    ))
}

fn render_list(
    session: &Session,
    view: &ListView,
    result: Option<(Vec<Company>, u64)>,
    errors: &Errors,
    notice: &str,
) -> Markup {
    let (items, total) = result.unwrap_or_default();
    let last = total.div_ceil(PER_PAGE).max(1);
    let sort_href = |field: &str, desc: bool| view.href(1, field, desc);
    page::layout(
        "Companies",
        Some(session),
        html! {
            div class="toolbar" {
                h1 { "Companies" }
                a class="button" href={ (PREFIX) "/companies/new" } { "New company" }
            }
            (page::notice(Some(notice)))
            (page::error_summary(errors))
            form method="get" action={ (PREFIX) "/companies" } class="card toolbar" role="search" {
                (page::field_input(&Field::text("Search", "q", &view.q).kind("search").hint("Name contains").errors_from(errors)))
                (page::field_input(&Field::text("Type", "type", &view.kind).errors_from(errors)))
                (page::field_input(&Field::text("Tag", "tag", &view.tag).errors_from(errors)))
                (page::field_input(&Field::text("City", "city", &view.city).errors_from(errors)))
                div class="field" {
                    label for="status" { "Status" }
                    select id="status" name="status" {
                        @for (value, label) in [("", "Any"), ("active", "Active"), ("inactive", "Inactive")] {
                            option value=(value) selected[view.status == value] { (label) }
                        }
                    }
                }
                @if view.sort != "id" { input type="hidden" name="sort" value=(view.sort); }
                @if view.descending { input type="hidden" name="dir" value="desc"; }
                button type="submit" { "Apply" }
                a class="button secondary" href={ (PREFIX) "/companies" } { "Reset" }
            }
            p class="muted" id="total" {
                (total) @if total == 1 { " company" } @else { " companies" }
                @if total > 0 { " · page " (view.page) " of " (last) }
            }
            table {
                caption class="skip" { "Companies" }
                thead { tr {
                    (page::sort_header("Name", "name", &view.sort, view.descending, sort_href))
                    th scope="col" { "Type" }
                    (page::sort_header("City", "city", &view.sort, view.descending, sort_href))
                    th scope="col" class="hide-narrow" { "Payment term" }
                    th scope="col" class="hide-narrow" { "Tags" }
                    (page::sort_header("Updated", "updated_at", &view.sort, view.descending, sort_href))
                } }
                tbody {
                    @for c in &items {
                        tr {
                            td { a href={ (PREFIX) "/companies/" (c.id) } { (c.name) } }
                            td { (c.client_type.as_deref().unwrap_or("")) }
                            td { (c.city.as_deref().unwrap_or("")) }
                            td class="hide-narrow" { (c.payment_term.as_deref().unwrap_or("")) }
                            td class="hide-narrow" { @for t in &c.tags { span class="tag" { (t.name) } } }
                            td { (page::when(c.updated_at)) }
                        }
                    }
                    @if items.is_empty() {
                        tr { td colspan="6" class="muted" { "No companies match." } }
                    }
                }
            }
            (page::pagination(view.page, last, |p| view.href(p, &view.sort, view.descending)))
        },
    )
}

// ---------------------------------------------------------------------------------------------
// One company
// ---------------------------------------------------------------------------------------------

/// The company form's plain text fields: (API name, label).
const TEXT_FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("phone", "Phone"),
    ("address", "Address"),
    ("address_line_2", "Address line 2"),
    ("city", "City"),
    ("state", "State"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
    ("fein", "FEIN"),
    ("payment_term", "Payment term"),
    ("notes", "Notes"),
];

/// The shipping address fields: (API name, label).
const ADDRESS_FIELDS: &[(&str, &str)] = &[
    ("address_1", "Address"),
    ("address_2", "Address line 2"),
    ("city", "City"),
    ("state", "State"),
    ("zip", "Postal code"),
    ("country", "Country"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "E-mail"),
    ("phone", "Phone"),
];

fn company_text(c: &Company, name: &str) -> String {
    let v = match name {
        "name" => return c.name.clone(),
        "phone" => &c.phone,
        "address" => &c.address,
        "address_line_2" => &c.address_line_2,
        "city" => &c.city,
        "state" => &c.state,
        "postal_code" => &c.postal_code,
        "country" => &c.country,
        "fein" => &c.fein,
        "payment_term" => &c.payment_term,
        "notes" => &c.notes,
        "type" => &c.client_type,
        _ => return String::new(),
    };
    v.clone().unwrap_or_default()
}

fn address_text(a: &ShippingAddress, name: &str) -> String {
    let v = match name {
        "address_1" => &a.address,
        "address_2" => &a.address_line_2,
        "city" => &a.city,
        "state" => &a.state,
        "zip" => &a.postal_code,
        "country" => &a.country,
        "first_name" => &a.first_name,
        "last_name" => &a.last_name,
        "email" => &a.email,
        "phone" => &a.phone,
        _ => return String::new(),
    };
    v.clone().unwrap_or_default()
}

/// The company form's values by field name: from the company, or as submitted.
#[derive(Debug, Clone, Default)]
struct Values(Vec<(String, String)>);

impl Values {
    fn of(c: &Company, definitions: &[Definition]) -> Values {
        let mut v: Vec<(String, String)> = TEXT_FIELDS
            .iter()
            .map(|(n, _)| ((*n).to_owned(), company_text(c, n)))
            .collect();
        v.push(("client_type".into(), company_text(c, "type")));
        v.push((
            "parent_company_id".into(),
            c.parent_company_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ));
        v.push((
            "tax_exempt".into(),
            if c.tax_exempt { "1" } else { "" }.to_owned(),
        ));
        v.push((
            "tags".into(),
            c.tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
        for d in definitions {
            let value = match c.custom_fields.get(&d.label) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            v.push((custom_name(d), value));
        }
        Values(v)
    }

    /// The submitted form over `before` (a field the form does not carry keeps its value).
    fn read(form: &Form, before: &Values) -> Values {
        Values(
            before
                .0
                .iter()
                .map(|(name, was)| {
                    let now = if name == "tax_exempt" {
                        if form.checked("_flags") {
                            if form.checked("tax_exempt") { "1" } else { "" }.to_owned()
                        } else {
                            was.clone()
                        }
                    } else {
                        form.get(name).map_or_else(|| was.clone(), str::to_owned)
                    };
                    (name.clone(), now)
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn custom_name(d: &Definition) -> String {
    format!("custom_{}", d.id)
}

/// The text as the API's body carries a value: `null` when empty.
fn text_or_null(text: &str) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        json!(text)
    }
}

/// A number as a JSON number when it is one, else the text as typed (the API says why).
fn number_or_text(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = t.parse::<i64>() {
        return json!(i);
    }
    t.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| json!(t), Value::Number)
}

/// The company body (`POST /companies/{id}`) from `before` to `now`: only what changed.
fn company_patch(now: &Values, before: &Values, definitions: &[Definition]) -> Map<String, Value> {
    let mut patch = Map::new();
    for (name, _) in TEXT_FIELDS {
        if now.get(name) != before.get(name) {
            let value = if *name == "name" {
                json!(now.get(name))
            } else {
                text_or_null(now.get(name))
            };
            patch.insert((*name).into(), value);
        }
    }
    if now.get("client_type") != before.get("client_type") {
        let t = now.get("client_type").trim();
        patch.insert(
            "client_type".into(),
            if t.is_empty() {
                Value::Null
            } else {
                json!({"name": t})
            },
        );
    }
    if now.get("parent_company_id") != before.get("parent_company_id") {
        patch.insert(
            "parent_company_id".into(),
            number_or_text(now.get("parent_company_id")),
        );
    }
    if now.get("tax_exempt") != before.get("tax_exempt") {
        patch.insert(
            "tax_exempt".into(),
            json!(!now.get("tax_exempt").is_empty()),
        );
    }
    let (mut tags_now, mut tags_was) =
        (split_list(now.get("tags")), split_list(before.get("tags")));
    tags_now.sort();
    tags_was.sort();
    if tags_now != tags_was {
        patch.insert("tags".into(), json!(split_list(now.get("tags"))));
    }
    let mut custom = Map::new();
    for d in definitions {
        let name = custom_name(d);
        if now.get(&name) != before.get(&name) {
            let value = match d.kind {
                FieldKind::Number => number_or_text(now.get(&name)),
                _ => text_or_null(now.get(&name)),
            };
            custom.insert(d.label.clone(), value);
        }
    }
    if !custom.is_empty() {
        patch.insert("custom_fields".into(), Value::Object(custom));
    }
    patch
}

/// API error paths → form fields: `custom_fields.Region` → `custom_{id}`, `tags.0` → `tags`.
fn company_errors(errors: &ValidationErrors, definitions: &[Definition]) -> Errors {
    let mut out = Errors::new();
    for (path, messages) in errors.entries() {
        let field = match path.split_once('.') {
            Some(("custom_fields", label)) => definitions
                .iter()
                .find(|d| d.label == label)
                .map_or_else(|| "custom_fields".to_owned(), custom_name),
            Some(("client_type", _)) => "client_type".to_owned(),
            Some((base, _)) => base.to_owned(),
            None => path.clone(),
        };
        out.entry(field)
            .or_default()
            .extend(messages.iter().cloned());
    }
    out
}

async fn definitions(s: &AppState, tenant_id: i64) -> ConsoleResult<Vec<Definition>> {
    Ok(custom_fields::list(&s.db, tenant_id, Some(COMPANIES.to_owned())).await?)
}

/// What the company page shows besides the company.
#[derive(Default)]
struct CompanyPage {
    values: Option<Values>,
    errors: Errors,
    address_values: Option<Form>,
    address_errors: Errors,
    notice: String,
    conflict: Option<String>,
}

async fn show(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ConsoleResult<Response> {
    let company = companies::get(&s.db, session.tenant_id, path_id(&id)?).await?;
    let params = query_params(raw.as_deref());
    let view = CompanyPage {
        notice: param(&params, "notice"),
        ..CompanyPage::default()
    };
    render_company(&s, &session, &company, view, StatusCode::OK).await
}

async fn render_company(
    s: &AppState,
    session: &Session,
    c: &Company,
    view: CompanyPage,
    status: StatusCode,
) -> ConsoleResult<Response> {
    let definitions = definitions(s, session.tenant_id).await?;
    let contact_query = query::parse::<ContactListField>(&[
        ("per_page".to_owned(), "100".to_owned()),
        ("sort".to_owned(), "last_name:asc".to_owned()),
    ])
    .map_err(AppError::from)?;
    let (people, people_total) =
        contacts::list(&s.db, session.tenant_id, Some(c.id), contact_query).await?;
    let parent = match c.parent_company_id {
        Some(pid) => companies::get(&s.db, session.tenant_id, pid).await.ok(),
        None => None,
    };
    let values = view.values.unwrap_or_else(|| Values::of(c, &definitions));
    let errors = &view.errors;
    let action = format!("{PREFIX}/companies/{}", c.id);
    let address_form = view.address_values.unwrap_or_default();
    let body = page::layout(
        &c.name,
        Some(session),
        html! {
            p { a href={ (PREFIX) "/companies" } { "‹ All companies" } }
            h1 { (c.name) }
            (page::notice(Some(&view.notice)))
            @if let Some(text) = &view.conflict { p class="error-summary" role="alert" { (text) } }
            div class="grid" {
                section class="card" aria-labelledby="facts" {
                    h2 id="facts" { "Company" }
                    dl class="facts" {
                        dt { "Id" } dd { (c.id) }
                        dt { "Status" } dd { (c.status) }
                        dt { "Type" } dd { (c.client_type.as_deref().unwrap_or("—")) }
                        dt { "Parent company" } dd {
                            @if let Some(p) = &parent { a href={ (PREFIX) "/companies/" (p.id) } { (p.name) } } @else { "—" }
                        }
                        dt { "Payment term" } dd {
                            (c.payment_term.as_deref().unwrap_or("—"))
                            @if let Some(days) = c.due_date_days { " (" (days) " days)" }
                        }
                        dt { "Address" } dd { (c.full_address.as_deref().unwrap_or("—")) }
                        dt { "Phone" } dd { (c.phone.as_deref().unwrap_or("—")) }
                        dt { "Tags" } dd { @for t in &c.tags { span class="tag" { (t.name) } } }
                        @for (label, value) in &c.custom_fields {
                            dt { (label) }
                            dd { @match value { Value::String(s) => (s), Value::Null => "—", other => (other.to_string()) } }
                        }
                        dt { "Updated" } dd { (page::when(c.updated_at)) }
                    }
                    h2 id="contacts" { "Contacts (" (people_total) ")" }
                    ul {
                        @for p in &people {
                            li {
                                a href={ (PREFIX) "/contacts/" (p.id) } { (p.full_name) }
                                @if p.company_id == Some(c.id) { " " span class="muted" { "(primary company)" } }
                            }
                        }
                    }
                    @if people_total > people.len() as u64 {
                        p { a href={ (PREFIX) "/contacts?company=" (c.id) } { "All " (people_total) " contacts" } }
                    }
                }
                section class="card" aria-labelledby="shipping" {
                    h2 id="shipping" { "Shipping addresses" }
                    ul {
                        @for a in &c.shipping_addresses {
                            li id={ "address-" (a.id) } {
                                (a.full_address.as_deref().unwrap_or("(no address)"))
                                @if let Some(name) = &a.full_name { " · " (name) }
                                @if a.is_default { " " strong { "(default)" } }
                                " "
                                a href={ (action) "/shipping/" (a.id) } { "Edit or delete" }
                            }
                        }
                    }
                    h3 { "Add an address" }
                    (page::error_summary(&view.address_errors))
                    form method="post" action={ (action) "/shipping" } novalidate {
                        (page::csrf(session))
                        (address_inputs("ship_", &address_form, &view.address_errors))
                        button type="submit" { "Add address" }
                    }
                }
                section class="card" aria-labelledby="edit" {
                    h2 id="edit" { "Edit" }
                    (page::error_summary(errors))
                    form method="post" action=(action) novalidate {
                        (page::csrf(session))
                        (company_inputs(&values, errors, &definitions))
                        button type="submit" { "Save" }
                    }
                    h2 { "Delete" }
                    a class="button secondary" href={ (action) "/delete" } { "Delete this company…" }
                }
            }
        },
    );
    Ok(page::html_response(status, body))
}

fn company_inputs(values: &Values, errors: &Errors, definitions: &[Definition]) -> Markup {
    html! {
        @for (name, label) in TEXT_FIELDS {
            @let field = Field::text(label, name, values.get(name)).errors_from(errors);
            @if *name == "name" { (page::field_input(&field.required())) } @else { (page::field_input(&field)) }
        }
        (page::field_input(&Field::text("Type (client type)", "client_type", values.get("client_type")).errors_from(errors)))
        (page::field_input(&Field::text("Parent company (id)", "parent_company_id", values.get("parent_company_id")).errors_from(errors)))
        (page::field_input(&Field::text("Tags", "tags", values.get("tags")).hint("Separated by commas").errors_from(errors)))
        input type="hidden" name="_flags" value="1";
        (page::checkbox("Tax exempt", "tax_exempt", !values.get("tax_exempt").is_empty()))
        @if !definitions.is_empty() {
            fieldset {
                legend { "Custom fields" }
                @for d in definitions {
                    @let name = custom_name(d);
                    @match d.kind {
                        FieldKind::Dropdown => {
                            @let field_errors = errors.get(&name).cloned().unwrap_or_default();
                            div class={ "field" @if !field_errors.is_empty() { " invalid" } } {
                                label for=(name) { (d.label) }
                                select id=(name) name=(name)
                                    aria-describedby=[(!field_errors.is_empty()).then(|| format!("{name}-error"))] {
                                    option value="" { "—" }
                                    @for choice in d.options.get("choices").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                                        option value=(choice) selected[values.get(&name) == choice] { (choice) }
                                    }
                                }
                                (page::field_error(&name, &field_errors))
                            }
                        }
                        kind => {
                            @let input_kind = match kind { FieldKind::Date => "date", FieldKind::Number => "text", _ => "text" };
                            (page::field_input(&Field::text(&d.label, &name, values.get(&name)).kind(input_kind).errors_from(errors)))
                        }
                    }
                }
            }
        }
    }
}

/// The inputs of a shipping address, their names prefixed (`ship_city`), so they can sit in the
/// company's create form too.
fn address_inputs(prefix: &str, form: &Form, errors: &Errors) -> Markup {
    html! {
        @for (name, label) in ADDRESS_FIELDS {
            @let input = format!("{prefix}{name}");
            @let value = form.text(&input);
            @let field_errors = errors.get(*name).cloned().unwrap_or_default();
            @let field = Field { label, name: &input, value: &value, kind: if *name == "email" { "email" } else { "text" },
                errors: field_errors, hint: None, required: matches!(*name, "address_1" | "city") };
            (page::field_input(&field))
        }
        (page::checkbox("Default address", &format!("{prefix}is_default"), form.checked(&format!("{prefix}is_default"))))
    }
}

/// A shipping address body from the form's prefixed fields; `None` when every field is empty.
fn address_body(prefix: &str, form: &Form) -> Option<Map<String, Value>> {
    let mut body = Map::new();
    for (name, _) in ADDRESS_FIELDS {
        let value = form.text(&format!("{prefix}{name}"));
        if !value.trim().is_empty() {
            body.insert((*name).into(), json!(value));
        }
    }
    if body.is_empty() {
        return None;
    }
    if form.checked(&format!("{prefix}is_default")) {
        body.insert("is_default".into(), json!(true));
    }
    Some(body)
}

/// Address error paths (`shipping_addresses.0.city` or `city`) → the address field.
fn address_errors(errors: &ValidationErrors) -> Errors {
    let mut out = Errors::new();
    for (path, messages) in errors.entries() {
        let field = path.rsplit('.').next().unwrap_or(path);
        let field = match field {
            "address" => "address_1",
            "address_line_2" => "address_2",
            "postal_code" => "zip",
            other => other,
        };
        out.entry(field.to_owned())
            .or_default()
            .extend(messages.iter().cloned());
    }
    out
}

async fn update(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    let company = companies::get(&s.db, session.tenant_id, id).await?;
    let definitions = definitions(&s, session.tenant_id).await?;
    let before = Values::of(&company, &definitions);
    let now = Values::read(&form, &before);
    let patch = company_patch(&now, &before, &definitions);
    if patch.is_empty() {
        return Ok(see_other(&format!(
            "{PREFIX}/companies/{id}?notice=unchanged"
        )));
    }
    match companies::update(&s.db, session.tenant_id, id, company::parse(&patch, false)).await {
        Ok(_) => Ok(see_other(&format!("{PREFIX}/companies/{id}?notice=saved"))),
        Err(AppError::Validation(e)) => {
            let view = CompanyPage {
                values: Some(now),
                errors: company_errors(&e, &definitions),
                ..CompanyPage::default()
            };
            render_company(
                &s,
                &session,
                &company,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn new_page(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
) -> ConsoleResult<Response> {
    let definitions = definitions(&s, session.tenant_id).await?;
    Ok(page::html_response(
        StatusCode::OK,
        render_new(
            &session,
            &Values::default(),
            &Form::default(),
            &Errors::new(),
            &Errors::new(),
            &definitions,
        ),
    ))
}

fn render_new(
    session: &Session,
    values: &Values,
    form: &Form,
    errors: &Errors,
    ship_errors: &Errors,
    definitions: &[Definition],
) -> Markup {
    page::layout(
        "New company",
        Some(session),
        html! {
            p { a href={ (PREFIX) "/companies" } { "‹ All companies" } }
            h1 { "New company" }
            (page::error_summary(errors))
            (page::error_summary(ship_errors))
            form method="post" action={ (PREFIX) "/companies/new" } class="card" novalidate {
                (page::csrf(session))
                (company_inputs(values, errors, definitions))
                fieldset {
                    legend { "Shipping address (optional)" }
                    (address_inputs("ship_", form, ship_errors))
                }
                button type="submit" { "Create" }
            }
        },
    )
}

async fn create(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let definitions = definitions(&s, session.tenant_id).await?;
    // The blank form as the "before": every filled field is sent.
    let mut blank = Values::default();
    for (name, _) in TEXT_FIELDS {
        blank.0.push(((*name).to_owned(), String::new()));
    }
    for name in ["client_type", "parent_company_id", "tax_exempt", "tags"] {
        blank.0.push((name.to_owned(), String::new()));
    }
    for d in &definitions {
        blank.0.push((custom_name(d), String::new()));
    }
    let now = Values::read(&form, &blank);
    let mut body = company_patch(&now, &blank, &definitions);
    body.entry("name").or_insert_with(|| json!(""));
    // Empty fields are left out rather than sent as null.
    body.retain(|_, v| !v.is_null());
    if let Some(address) = address_body("ship_", &form) {
        body.insert("shipping_addresses".into(), json!([address]));
    }
    match companies::create(&s.db, session.tenant_id, company::parse(&body, true)).await {
        Ok(c) => Ok(see_other(&format!(
            "{PREFIX}/companies/{}?notice=created",
            c.id
        ))),
        Err(AppError::Validation(e)) => {
            let (mut company_part, mut ship_part) =
                (ValidationErrors::new(), ValidationErrors::new());
            for (path, messages) in e.entries() {
                let target = if path.starts_with("shipping_addresses") {
                    &mut ship_part
                } else {
                    &mut company_part
                };
                for m in messages {
                    target.add(path.clone(), m.clone());
                }
            }
            Ok(page::html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_new(
                    &session,
                    &now,
                    &form,
                    &company_errors(&company_part, &definitions),
                    &address_errors(&ship_part),
                    &definitions,
                ),
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
    let c = companies::get(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(page::confirm(
        &session,
        page::Confirm {
            title: "Delete company",
            heading: html! { "Delete " (c.name) "?" },
            body: html! { p { "The company, its shipping addresses, tags and custom field values are deleted; contacts keep their other companies. This cannot be undone." } },
            action: format!("{PREFIX}/companies/{}/delete", c.id),
            verb: "Delete",
            cancel: format!("{PREFIX}/companies/{}", c.id),
        },
    ))
}

async fn delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    _: CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    match companies::delete(&s.db, session.tenant_id, id).await {
        Ok(()) => Ok(see_other(&format!("{PREFIX}/companies?notice=deleted"))),
        Err(AppError::Conflict(text)) => {
            let company = companies::get(&s.db, session.tenant_id, id).await?;
            let view = CompanyPage {
                conflict: Some(format!("The company was not deleted. {text}")),
                ..CompanyPage::default()
            };
            render_company(&s, &session, &company, view, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Shipping addresses
// ---------------------------------------------------------------------------------------------

async fn add_address(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    let body = address_body("ship_", &form).unwrap_or_default();
    match shipping::create(
        &s.db,
        session.tenant_id,
        id,
        shipping_domain::parse(&body, true),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{PREFIX}/companies/{id}?notice=saved#shipping"
        ))),
        Err(AppError::Validation(e)) => {
            let company = companies::get(&s.db, session.tenant_id, id).await?;
            let view = CompanyPage {
                address_values: Some(form),
                address_errors: address_errors(&e),
                ..CompanyPage::default()
            };
            render_company(
                &s,
                &session,
                &company,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The form of a stored address, its fields prefixed as the page's inputs.
fn address_form(a: &ShippingAddress) -> Form {
    let mut pairs: Vec<(String, String)> = ADDRESS_FIELDS
        .iter()
        .map(|(n, _)| (format!("ship_{n}"), address_text(a, n)))
        .collect();
    if a.is_default {
        pairs.push(("ship_is_default".into(), "1".into()));
    }
    Form::from_pairs(pairs)
}

async fn edit_address_page(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path((id, address)): Path<(String, String)>,
) -> ConsoleResult<Response> {
    let (id, address) = (path_id(&id)?, path_id(&address)?);
    let a = shipping::get(&s.db, session.tenant_id, id, address).await?;
    Ok(page::html_response(
        StatusCode::OK,
        render_address(&session, &a, &address_form(&a), &Errors::new()),
    ))
}

fn render_address(session: &Session, a: &ShippingAddress, form: &Form, errors: &Errors) -> Markup {
    let action = format!("{PREFIX}/companies/{}/shipping/{}", a.company_id, a.id);
    page::layout(
        "Shipping address",
        Some(session),
        html! {
            p { a href={ (PREFIX) "/companies/" (a.company_id) } { "‹ " (a.company_name) } }
            h1 { "Shipping address of " (a.company_name) }
            (page::error_summary(errors))
            form method="post" action=(action) class="card narrow" novalidate {
                (page::csrf(session))
                (address_inputs("ship_", form, errors))
                button type="submit" { "Save" }
            }
            form method="post" action={ (action) "/delete" } class="card narrow" {
                (page::csrf(session))
                p { "Deleting an address cannot be undone." }
                button type="submit" class="danger" { "Delete this address" }
            }
        },
    )
}

async fn update_address(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path((id, address)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let (id, address) = (path_id(&id)?, path_id(&address)?);
    let current = shipping::get(&s.db, session.tenant_id, id, address).await?;
    let mut body = Map::new();
    for (name, _) in ADDRESS_FIELDS {
        let now = form.text(&format!("ship_{name}"));
        if now != address_text(&current, name) {
            body.insert((*name).into(), text_or_null(&now));
        }
    }
    let default_now = form.checked("ship_is_default");
    if default_now != current.is_default {
        body.insert("is_default".into(), json!(default_now));
    }
    if body.is_empty() {
        return Ok(see_other(&format!(
            "{PREFIX}/companies/{id}?notice=unchanged#shipping"
        )));
    }
    match shipping::update(
        &s.db,
        session.tenant_id,
        id,
        address,
        shipping_domain::parse(&body, false),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{PREFIX}/companies/{id}?notice=saved#shipping"
        ))),
        Err(AppError::Validation(e)) => Ok(page::html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            render_address(&session, &current, &form, &address_errors(&e)),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn delete_address(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path((id, address)): Path<(String, String)>,
    _: CsrfForm,
) -> ConsoleResult<Response> {
    let (id, address) = (path_id(&id)?, path_id(&address)?);
    shipping::delete(&s.db, session.tenant_id, id, address).await?;
    Ok(see_other(&format!(
        "{PREFIX}/companies/{id}?notice=deleted#shipping"
    )))
}
