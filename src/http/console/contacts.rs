//! `/console/contacts`: the list, one contact with its edit and portal password forms, create and
//! delete. Every write goes through `service::contacts`, with the JSON body the API would get.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::page::{self, Field};
use super::{ConsoleError, ConsoleResult, CsrfForm, Form, PREFIX, SignedIn, see_other};
use crate::domain::ValidationErrors;
use crate::domain::contact::{
    Contact, ContactListField, ContactPatchDraft, NewContactDraft, PasswordDraft,
};
use crate::error::AppError;
use crate::http::AppState;
use crate::query;
use crate::service::console::Session;
use crate::service::contacts;

/// Rows per page.
pub const PER_PAGE: u64 = 25;
/// The longest search term or filter value.
const MAX_TERM: usize = 200;
/// Columns the list sorts on (the API's sortable contact fields).
const SORTABLE: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "created_at",
    "updated_at",
];
/// Edit-form fields that collect several API error paths.
const RENAME: &[(&str, &str)] = &[("company_ids", "companies"), ("company_id", "companies")];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list))
        .route("/contacts/new", get(new_page).post(create))
        .route("/contacts/{id}", get(show).post(update))
        .route("/contacts/{id}/password", axum::routing::post(set_password))
        .route("/contacts/{id}/delete", get(confirm_delete).post(delete))
}

/// A console path id: a positive integer, anything else is a 404 (as in the API).
pub fn path_id(raw: &str) -> ConsoleResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0 && raw.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(ConsoleError::NotFound)
}

/// Decoded query parameters (the last of a repeated name wins).
pub fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .take(50)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(params: &[(String, String)], name: &str) -> String {
    params
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// The list's view, all of it in the URL.
#[derive(Debug, Clone, Default)]
struct ListView {
    q: String,
    company: String,
    tag: String,
    status: String,
    sort: String,
    descending: bool,
    page: u64,
}

impl ListView {
    fn read(params: &[(String, String)], errors: &mut ValidationErrors) -> ListView {
        let mut view = ListView {
            q: param(params, "q"),
            company: param(params, "company"),
            tag: param(params, "tag"),
            status: param(params, "status"),
            sort: param(params, "sort"),
            descending: param(params, "dir") == "desc",
            page: 1,
        };
        for (name, value) in [("q", &view.q), ("tag", &view.tag), ("status", &view.status)] {
            if value.chars().count() > MAX_TERM {
                errors.add(name, format!("At most {MAX_TERM} characters."));
            }
        }
        if !view.company.is_empty() && view.company.parse::<i64>().map_or(true, |id| id < 1) {
            errors.add(
                "company",
                "The company must be a company id (a positive number).",
            );
        }
        if !SORTABLE.contains(&view.sort.as_str()) {
            view.sort = "id".to_owned();
        }
        view.page = page::page_number(&param(params, "page"), errors);
        view
    }

    /// This view's URL with `page`, sort and direction replaced.
    fn href(&self, page: u64, sort: &str, descending: bool) -> String {
        page::url_with(
            &format!("{PREFIX}/contacts"),
            &[
                ("q", self.q.clone()),
                ("company", self.company.clone()),
                ("tag", self.tag.clone()),
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

    /// The API list query this view asks for.
    fn query(&self) -> Result<query::ListQuery<ContactListField>, ValidationErrors> {
        let dir = if self.descending { "desc" } else { "asc" };
        let mut pairs = vec![
            ("page".to_owned(), self.page.to_string()),
            ("per_page".to_owned(), PER_PAGE.to_string()),
            ("sort".to_owned(), format!("{}:{dir}", self.sort)),
        ];
        if !self.company.is_empty() {
            pairs.push(("company_id".to_owned(), self.company.clone()));
        }
        if !self.tag.is_empty() {
            pairs.push(("tag".to_owned(), self.tag.clone()));
        }
        if !self.status.is_empty() {
            pairs.push(("status".to_owned(), self.status.clone()));
        }
        let mut q = query::parse::<ContactListField>(&pairs)?;
        if !self.q.is_empty() {
            // One term over the four name and e-mail fields: any of them contains it.
            let any: Vec<(String, String)> = ["first_name", "last_name", "full_name", "email"]
                .iter()
                .map(|f| (format!("{f}[contains]"), self.q.clone()))
                .collect();
            q.any_of = query::parse::<ContactListField>(&any)?.filters;
        }
        Ok(q)
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
            Ok(q) => match contacts::list(&s.db, session.tenant_id, None, q).await {
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
    let field_errors = page::field_errors(&errors, &[("company_id", "company")]);
    let notice = param(&params, "notice");
    let body = render_list(&session, &view, result, &field_errors, &notice);
    Ok(page::html_response(status, body))
}

fn render_list(
    session: &Session,
    view: &ListView,
    result: Option<(Vec<Contact>, u64)>,
    errors: &std::collections::BTreeMap<String, Vec<String>>,
    notice: &str,
) -> Markup {
    let (items, total) = result.unwrap_or_default();
    let last = total.div_ceil(PER_PAGE).max(1);
    let sort_href = |field: &str, desc: bool| view.href(1, field, desc);
    page::layout(
        "Contacts",
        Some(session),
        html! {
            div class="toolbar" {
                h1 { "Contacts" }
                a class="button" href={ (PREFIX) "/contacts/new" } { "New contact" }
            }
            (page::notice(Some(notice)))
            (page::error_summary(errors))
            form method="get" action={ (PREFIX) "/contacts" } class="card toolbar" role="search" {
                (page::field_input(&Field::text("Search", "q", &view.q).kind("search")
                    .hint("First name, last name, full name or e-mail contains").errors_from(errors)))
                (page::field_input(&Field::text("Company id", "company", &view.company).errors_from(errors)))
                (page::field_input(&Field::text("Tag", "tag", &view.tag).errors_from(errors)))
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
                a class="button secondary" href={ (PREFIX) "/contacts" } { "Reset" }
            }
            p class="muted" id="total" {
                (total) @if total == 1 { " contact" } @else { " contacts" }
                @if total > 0 { " · page " (view.page) " of " (last) }
            }
            table {
                caption class="skip" { "Contacts" }
                thead {
                    tr {
                        (page::sort_header("Name", "last_name", &view.sort, view.descending, sort_href))
                        (page::sort_header("E-mail", "email", &view.sort, view.descending, sort_href))
                        th scope="col" class="hide-narrow" { "Phone" }
                        th scope="col" { "Primary company" }
                        th scope="col" class="hide-narrow" { "Tags" }
                        th scope="col" class="hide-narrow" { "Portal login" }
                        (page::sort_header("Updated", "updated_at", &view.sort, view.descending, sort_href))
                    }
                }
                tbody {
                    @for c in &items {
                        tr {
                            td { a href={ (PREFIX) "/contacts/" (c.id) } { (c.full_name) } }
                            td { (c.email.as_deref().unwrap_or("")) }
                            td class="hide-narrow" { (c.phone_1.as_deref().unwrap_or("")) }
                            td {
                                @if let Some(company) = &c.company {
                                    a href={ (PREFIX) "/companies/" (company.id) } { (company.name) }
                                }
                            }
                            td class="hide-narrow" { @for t in &c.tags { span class="tag" { (t.name) } } }
                            td class="hide-narrow" { @if c.has_portal_login { "Yes" } @else { "No" } }
                            td { (page::when(c.updated_at)) }
                        }
                    }
                    @if items.is_empty() {
                        tr { td colspan="7" class="muted" { "No contacts match." } }
                    }
                }
            }
            (page::pagination(view.page, last, |p| view.href(p, &view.sort, view.descending)))
        },
    )
}

/// The edit form's values: from the stored contact, or as submitted.
#[derive(Debug, Clone, Default)]
struct ContactForm {
    first_name: String,
    last_name: String,
    email: String,
    phone_1: String,
    phone_2: String,
    receiving_bank_name: String,
    receiving_bank_address: String,
    is_primary: bool,
    receive_quotation_pdf: bool,
    receive_purchase_order_pdf: bool,
    receive_purchase_order_invoice_pdf: bool,
    /// Linked companies kept (checked).
    company_ids: Vec<String>,
    /// The primary company chosen.
    primary_company: String,
    /// A company to link.
    add_company: String,
    tags: String,
}

const TEXT_FIELDS: &[&str] = &[
    "last_name",
    "email",
    "phone_1",
    "phone_2",
    "receiving_bank_name",
    "receiving_bank_address",
];

impl ContactForm {
    fn of(c: &Contact) -> ContactForm {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        ContactForm {
            first_name: c.first_name.clone(),
            last_name: opt(&c.last_name),
            email: opt(&c.email),
            phone_1: opt(&c.phone_1),
            phone_2: opt(&c.phone_2),
            receiving_bank_name: opt(&c.receiving_bank_name),
            receiving_bank_address: opt(&c.receiving_bank_address),
            is_primary: c.is_primary,
            receive_quotation_pdf: c.receive_quotation_pdf,
            receive_purchase_order_pdf: c.receive_purchase_order_pdf,
            receive_purchase_order_invoice_pdf: c.receive_purchase_order_invoice_pdf,
            company_ids: c.companies.iter().map(|l| l.id.to_string()).collect(),
            primary_company: c.company_id.map(|id| id.to_string()).unwrap_or_default(),
            add_company: String::new(),
            tags: c
                .tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The submitted form over `before`: a field the form does not carry keeps its value (a
    /// checkbox group counts as carried when its hidden marker is there, since an unchecked box
    /// sends nothing).
    fn read(f: &Form, before: &ContactForm) -> ContactForm {
        let text = |name: &str, was: &str| f.get(name).unwrap_or(was).to_owned();
        let flags = f.checked("_flags");
        let flag = |name: &str, was: bool| if flags { f.checked(name) } else { was };
        let companies = f.checked("_companies");
        ContactForm {
            first_name: text("first_name", &before.first_name),
            last_name: text("last_name", &before.last_name),
            email: text("email", &before.email),
            phone_1: text("phone_1", &before.phone_1),
            phone_2: text("phone_2", &before.phone_2),
            receiving_bank_name: text("receiving_bank_name", &before.receiving_bank_name),
            receiving_bank_address: text("receiving_bank_address", &before.receiving_bank_address),
            is_primary: flag("is_primary", before.is_primary),
            receive_quotation_pdf: flag("receive_quotation_pdf", before.receive_quotation_pdf),
            receive_purchase_order_pdf: flag(
                "receive_purchase_order_pdf",
                before.receive_purchase_order_pdf,
            ),
            receive_purchase_order_invoice_pdf: flag(
                "receive_purchase_order_invoice_pdf",
                before.receive_purchase_order_invoice_pdf,
            ),
            company_ids: if companies {
                f.all("company_ids")
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            } else {
                before.company_ids.clone()
            },
            primary_company: text("primary_company", &before.primary_company),
            add_company: f.text("add_company").trim().to_owned(),
            tags: text("tags", &before.tags),
        }
    }

    fn text(&self, name: &str) -> &str {
        match name {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "email" => &self.email,
            "phone_1" => &self.phone_1,
            "phone_2" => &self.phone_2,
            "receiving_bank_name" => &self.receiving_bank_name,
            "receiving_bank_address" => &self.receiving_bank_address,
            _ => "",
        }
    }

    fn flag(&self, name: &str) -> bool {
        match name {
            "is_primary" => self.is_primary,
            "receive_quotation_pdf" => self.receive_quotation_pdf,
            "receive_purchase_order_pdf" => self.receive_purchase_order_pdf,
            "receive_purchase_order_invoice_pdf" => self.receive_purchase_order_invoice_pdf,
            _ => false,
        }
    }

    fn tag_names(&self) -> Vec<String> {
        split_list(&self.tags)
    }

    /// The partial update (`POST /contacts/{id}` body) from `before` to this form: only what the
    /// form changed, so a field nobody touched is not written.
    fn patch_from(&self, before: &ContactForm) -> Map<String, Value> {
        let mut patch = Map::new();
        if self.first_name != before.first_name {
            patch.insert("first_name".into(), json!(self.first_name));
        }
        for name in TEXT_FIELDS {
            let (now, was) = (self.text(name), before.text(name));
            if now != was {
                // An emptied field is cleared, as `null` does in the API.
                let value = if now.is_empty() {
                    Value::Null
                } else {
                    json!(now)
                };
                patch.insert((*name).into(), value);
            }
        }
        for name in FLAGS.iter().map(|(n, _)| *n) {
            if self.flag(name) != before.flag(name) {
                patch.insert(name.into(), json!(self.flag(name)));
            }
        }
        let mut tags_now = self.tag_names();
        let mut tags_was = before.tag_names();
        tags_now.sort();
        tags_was.sort();
        if tags_now != tags_was {
            patch.insert("tags".into(), json!(self.tag_names()));
        }
        if let Some(ids) = self.company_change(before) {
            patch.insert("company_ids".into(), Value::Array(ids));
        }
        patch
    }

    /// `company_ids` when the companies changed: the chosen primary first. The API keeps the
    /// primary while it stays listed, so a new primary is listed without the old one (which is
    /// unlinked, as `company_id` does). An id that is not a number goes as typed, for the API's
    /// message.
    fn company_change(&self, before: &ContactForm) -> Option<Vec<Value>> {
        let primary_moved =
            !self.primary_company.is_empty() && self.primary_company != before.primary_company;
        if !primary_moved && self.add_company.is_empty() && self.company_ids == before.company_ids {
            return None;
        }
        let mut ids: Vec<&str> = Vec::new();
        if primary_moved {
            ids.push(&self.primary_company);
        }
        for id in &self.company_ids {
            let dropped_primary = primary_moved && *id == before.primary_company;
            if !dropped_primary && !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        if !self.add_company.is_empty() && !ids.contains(&self.add_company.as_str()) {
            ids.push(&self.add_company);
        }
        Some(ids.into_iter().map(id_value).collect())
    }
}

/// A typed id as the API's body carries it: a number, or the text as typed (the API says why
/// it is not one).
fn id_value(text: &str) -> Value {
    text.trim()
        .parse::<i64>()
        .map_or_else(|_| json!(text), |id| json!(id))
}

/// A comma-separated list, trimmed, without empty items.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

const FLAGS: &[(&str, &str)] = &[
    ("is_primary", "Primary contact of the primary company"),
    ("receive_quotation_pdf", "Receives quotation PDFs"),
    ("receive_purchase_order_pdf", "Receives purchase order PDFs"),
    (
        "receive_purchase_order_invoice_pdf",
        "Receives purchase order invoice PDFs",
    ),
];

type Errors = std::collections::BTreeMap<String, Vec<String>>;

/// What the contact page shows besides the contact.
#[derive(Default)]
struct ContactPage {
    form: Option<ContactForm>,
    errors: Errors,
    password_errors: Errors,
    notice: String,
}

async fn show(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ConsoleResult<Response> {
    let contact = contacts::get(&s.db, session.tenant_id, path_id(&id)?).await?;
    let params = query_params(raw.as_deref());
    let view = ContactPage {
        notice: param(&params, "notice"),
        ..ContactPage::default()
    };
    Ok(page::html_response(
        StatusCode::OK,
        render_contact(&session, &contact, view),
    ))
}

async fn update(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    let contact = contacts::get(&s.db, session.tenant_id, id).await?;
    let before = ContactForm::of(&contact);
    let submitted = ContactForm::read(&form, &before);
    let patch = submitted.patch_from(&before);
    if patch.is_empty() {
        return Ok(see_other(&format!(
            "{PREFIX}/contacts/{id}?notice=unchanged"
        )));
    }
    match contacts::update(
        &s.db,
        session.tenant_id,
        id,
        ContactPatchDraft::parse(&patch),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("{PREFIX}/contacts/{id}?notice=saved"))),
        Err(AppError::Validation(errors)) => {
            let view = ContactPage {
                form: Some(submitted),
                errors: page::field_errors(&errors, RENAME),
                ..ContactPage::default()
            };
            Ok(page::html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_contact(&session, &contact, view),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_password(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> ConsoleResult<Response> {
    let id = path_id(&id)?;
    let body = json!({"password": form.text("password")});
    let body = body.as_object().cloned().unwrap_or_default();
    match contacts::set_password(&s.db, session.tenant_id, id, PasswordDraft::parse(&body)).await {
        Ok(_) => Ok(see_other(&format!(
            "{PREFIX}/contacts/{id}?notice=password"
        ))),
        Err(AppError::Validation(errors)) => {
            let contact = contacts::get(&s.db, session.tenant_id, id).await?;
            let mut errors = page::field_errors(&errors, &[]);
            // The portal login needs the contact's e-mail: say so at the password field.
            if let Some(email_errors) = errors.remove("email") {
                errors
                    .entry("password".into())
                    .or_default()
                    .extend(email_errors);
            }
            let view = ContactPage {
                password_errors: errors,
                ..ContactPage::default()
            };
            Ok(page::html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_contact(&session, &contact, view),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn render_contact(session: &Session, c: &Contact, view: ContactPage) -> Markup {
    let form = view.form.unwrap_or_else(|| ContactForm::of(c));
    let errors = &view.errors;
    let action = format!("{PREFIX}/contacts/{}", c.id);
    page::layout(
        &c.full_name,
        Some(session),
        html! {
            p { a href={ (PREFIX) "/contacts" } { "‹ All contacts" } }
            h1 { (c.full_name) }
            (page::notice(Some(&view.notice)))
            div class="grid" {
                section class="card" aria-labelledby="facts" {
                    h2 id="facts" { "Contact" }
                    dl class="facts" {
                        dt { "Id" } dd { (c.id) }
                        dt { "Status" } dd { (c.status) }
                        dt { "E-mail" } dd { (c.email.as_deref().unwrap_or("—")) }
                        dt { "Phone" } dd { (c.phone_1.as_deref().unwrap_or("—")) }
                        dt { "Portal login" } dd { @if c.has_portal_login { "Yes" } @else { "No" } }
                        dt { "Created" } dd { (page::when(c.created_at)) }
                        dt { "Updated" } dd { (page::when(c.updated_at)) }
                        dt { "Tags" } dd { @for t in &c.tags { span class="tag" { (t.name) } } }
                    }
                    h2 { "Companies" }
                    ul {
                        @for link in &c.companies {
                            li {
                                a href={ (PREFIX) "/companies/" (link.id) } { (link.name) }
                                @if Some(link.id) == c.company_id { " " strong { "(primary)" } }
                            }
                        }
                    }
                }
                section class="card" aria-labelledby="edit" {
                    h2 id="edit" { "Edit" }
                    (page::error_summary(errors))
                    form method="post" action=(action) novalidate {
                        (page::csrf(session))
                        (page::field_input(&Field::text("First name", "first_name", &form.first_name).required().errors_from(errors)))
                        (page::field_input(&Field::text("Last name", "last_name", &form.last_name).errors_from(errors)))
                        (page::field_input(&Field::text("E-mail", "email", &form.email).kind("email").errors_from(errors)))
                        (page::field_input(&Field::text("Phone", "phone_1", &form.phone_1).kind("tel").errors_from(errors)))
                        (page::field_input(&Field::text("Second phone", "phone_2", &form.phone_2).kind("tel").errors_from(errors)))
                        (page::field_input(&Field::text("Receiving bank name", "receiving_bank_name", &form.receiving_bank_name).errors_from(errors)))
                        (page::field_input(&Field::text("Receiving bank address", "receiving_bank_address", &form.receiving_bank_address).errors_from(errors)))
                        (page::field_input(&Field::text("Tags", "tags", &form.tags).hint("Separated by commas").errors_from(errors)))
                        (companies_fieldset(c, &form, errors))
                        fieldset {
                            legend { "Flags" }
                            input type="hidden" name="_flags" value="1";
                            @for (name, label) in FLAGS {
                                (page::checkbox(label, name, form.flag(name)))
                            }
                            (page::field_error("flags", errors.get("is_primary").map(Vec::as_slice).unwrap_or_default()))
                        }
                        button type="submit" { "Save" }
                    }
                }
                section class="card" aria-labelledby="portal" {
                    h2 id="portal" { "B2B portal password" }
                    p class="hint" { "Sets or rotates the contact's portal login (its e-mail)." }
                    form method="post" action={ (action) "/password" } novalidate {
                        (page::csrf(session))
                        (page::field_input(&Field::text("New password", "password", "").kind("password").errors_from(&view.password_errors)))
                        button type="submit" { "Set password" }
                    }
                    h2 { "Delete" }
                    a class="button secondary" href={ (action) "/delete" } { "Delete this contact…" }
                }
            }
        },
    )
}

fn companies_fieldset(c: &Contact, form: &ContactForm, errors: &Errors) -> Markup {
    let company_errors = errors.get("companies").cloned().unwrap_or_default();
    let invalid = !company_errors.is_empty();
    html! {
        fieldset id="companies" class=[invalid.then_some("invalid")]
            aria-describedby=[invalid.then_some("companies-error")] {
            legend { "Companies" }
            input type="hidden" name="_companies" value="1";
            p class="hint" { "Choosing another primary company unlinks the current one (as the API's company_id does)." }
            @for link in &c.companies {
                @let id = link.id.to_string();
                div class="check" {
                    input type="checkbox" id={ "company-" (id) } name="company_ids" value=(id)
                        checked[form.company_ids.contains(&id)];
                    label for={ "company-" (id) } { "Linked: " (link.name) }
                    input type="radio" id={ "primary-" (id) } name="primary_company" value=(id)
                        checked[form.primary_company == id];
                    label for={ "primary-" (id) } { "primary" }
                }
            }
            div class="field" {
                label for="add_company" { "Link another company (id)" }
                input type="text" inputmode="numeric" id="add_company" name="add_company" value=(form.add_company);
            }
            (page::field_error("companies", &company_errors))
        }
    }
}

async fn new_page(SignedIn(session): SignedIn) -> Response {
    page::html_response(
        StatusCode::OK,
        render_new(&session, &Form::default(), &Errors::new()),
    )
}

fn render_new(session: &Session, form: &Form, errors: &Errors) -> Markup {
    let v = |name: &str| form.text(name);
    page::layout(
        "New contact",
        Some(session),
        html! {
            p { a href={ (PREFIX) "/contacts" } { "‹ All contacts" } }
            h1 { "New contact" }
            (page::error_summary(errors))
            form method="post" action={ (PREFIX) "/contacts/new" } class="card narrow" novalidate {
                (page::csrf(session))
                (page::field_input(&Field::text("First name", "first_name", &v("first_name")).required().errors_from(errors)))
                (page::field_input(&Field::text("Last name", "last_name", &v("last_name")).errors_from(errors)))
                (page::field_input(&Field::text("E-mail", "email", &v("email")).kind("email").errors_from(errors)))
                (page::field_input(&Field::text("Phone", "phone_1", &v("phone_1")).kind("tel").errors_from(errors)))
                (page::field_input(&Field::text("Second phone", "phone_2", &v("phone_2")).kind("tel").errors_from(errors)))
                (page::field_input(&Field::text("Primary company (id)", "company_id", &v("company_id")).required().errors_from(errors)))
                (page::field_input(&Field::text("Tags", "tags", &v("tags")).hint("Separated by commas").errors_from(errors)))
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
    let mut body = Map::new();
    body.insert("first_name".into(), json!(form.text("first_name")));
    for name in ["last_name", "email", "phone_1", "phone_2"] {
        let value = form.text(name);
        if !value.is_empty() {
            body.insert(name.into(), json!(value));
        }
    }
    let company = form.text("company_id");
    if !company.trim().is_empty() {
        body.insert("company_id".into(), id_value(&company));
    }
    let tags = split_list(&form.text("tags"));
    if !tags.is_empty() {
        body.insert("tags".into(), json!(tags));
    }
    match contacts::create(&s.db, session.tenant_id, NewContactDraft::parse(&body)).await {
        Ok(contact) => Ok(see_other(&format!(
            "{PREFIX}/contacts/{}?notice=created",
            contact.id
        ))),
        Err(AppError::Validation(errors)) => Ok(page::html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            render_new(&session, &form, &page::field_errors(&errors, &[])),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn confirm_delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let c = contacts::get(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(page::confirm(
        &session,
        page::Confirm {
            title: "Delete contact",
            heading: html! { "Delete " (c.full_name) "?" },
            body: html! { p { "The contact, its company links, tags and portal login are deleted. This cannot be undone." } },
            action: format!("{PREFIX}/contacts/{}/delete", c.id),
            verb: "Delete",
            cancel: format!("{PREFIX}/contacts/{}", c.id),
        },
    ))
}

async fn delete(
    State(s): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    _: CsrfForm,
) -> ConsoleResult<Response> {
    contacts::delete(&s.db, session.tenant_id, path_id(&id)?).await?;
    Ok(see_other(&format!("{PREFIX}/contacts?notice=deleted")))
}
