//! The OpenAPI 3.1 document of the tenant API, generated from the code: each handler carries its
//! `#[utoipa::path]` and is registered with `utoipa_axum::routes!`, so a route cannot be served
//! without its operation; the objects are the domain's own types (`ToSchema`); the list
//! parameters come from each list's `ListField` enum. What every operation shares (the error
//! answers of `error.rs`, the bearer token, unique operation ids) is added by [`finish`].

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde_json::json;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, Required, ServerBuilder,
};
use utoipa::{IntoParams, ToSchema};

use crate::domain::Tag;
use crate::domain::company::{ClientType, Company};
use crate::domain::contact::Contact;
use crate::domain::custom_field::Definition;
use crate::domain::price_level::PriceLevel;
use crate::domain::shipping::ShippingAddress;
use crate::domain::warehouse::Warehouse;
use crate::query::{FieldType, ListField, Op};

/// Where the document is served, under the API base; no token needed.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// The document's fixed parts: title and description (the rest comes from the routes).
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Rolodex: Luminous ERP external API v1, Contacts & Companies",
        description = "The Luminous ERP external API v1 (Contacts & Companies) as Rolodex serves it. \
Every request needs `Authorization: Bearer <token>` (`rolodex tokens create`). Lists take \
`page`, `per_page` (1-100; `limit` is the same), `sort=field[:asc|desc],...` and filters \
`field=value` or `field[op]=value` (operators by field type: strings `eq neq contains \
notcontains in notin set notset`; numbers and dates `eq neq gt gte lt lte in notin set \
notset` (dates without `in`/`notin`); booleans `eq neq`; tags `eq neq in notin set notset`), \
all ANDed. Every error answer is JSON with a `message`; a 422 also has `errors`, the messages \
by field. A method a path does not have is a 405 with `Allow` (see the `MethodNotAllowed` \
response).",
    ),
    components(schemas(ErrorBody, ValidationErrorBody, PageMeta)),
    tags(
        (name = "Contacts", description = "§4: contacts, their portal password"),
        (name = "Companies", description = "§5: companies, their contacts, client types"),
        (name = "Shipping addresses", description = "§5: a company's shipping addresses"),
        (name = "Custom fields", description = "§5.6: definitions, and a company's values"),
        (name = "Tags", description = "§5.5: the tags of a contact or a company"),
        (name = "Warehouses", description = "Warehouses, with an optional parent"),
        (name = "Price levels", description = "Price levels (a level is answered bare, without `data`)"),
    )
)]
pub struct ApiDoc;

/// Every error answer (`error.rs`): `{"message": ...}`.
#[derive(ToSchema)]
#[schema(example = json!({"message": "Not found."}))]
pub struct ErrorBody {
    pub message: String,
}

/// A 422: the summary, and every message by field (all of a request's errors at once).
#[derive(ToSchema)]
#[schema(example = json!({
    "message": "The first name field is required. (and 1 more error)",
    "errors": {"first_name": ["The first name field is required."], "email": ["The email field must be a valid email address."]}
}))]
pub struct ValidationErrorBody {
    pub message: String,
    /// Field (or parameter, e.g. `email[gt]`, `sort`, `page`) → its messages.
    pub errors: BTreeMap<String, Vec<String>>,
}

/// The paginator's `meta` (`query::Page::meta`).
#[derive(ToSchema)]
#[schema(example = json!({"current_page": 1, "from": 1, "last_page": 3, "per_page": 10, "to": 10, "total": 25}))]
pub struct PageMeta {
    pub current_page: u64,
    /// The first item's position; `null` on an empty page.
    pub from: Option<u64>,
    /// At least 1.
    pub last_page: u64,
    pub per_page: u64,
    /// The last item's position; `null` on an empty page.
    pub to: Option<u64>,
    pub total: u64,
}

/// `{"data": item}` and `{"data": [item...], "meta": ...}` for each object, as `http::data` and
/// `http::page` write them. Types for the document only.
macro_rules! envelopes {
    ($($item:ty => $one:ident, $page:ident;)*) => {$(
        #[doc = concat!("`{\"data\": ", stringify!($item), "}`")]
        #[derive(ToSchema)]
        pub struct $one {
            pub data: $item,
        }

        #[doc = concat!("A page of ", stringify!($item), " objects.")]
        #[derive(ToSchema)]
        pub struct $page {
            pub data: Vec<$item>,
            pub meta: PageMeta,
        }
    )*};
}

envelopes! {
    Contact => ContactData, ContactPage;
    Company => CompanyData, CompanyPage;
    ShippingAddress => ShippingAddressData, ShippingAddressPage;
    Warehouse => WarehouseData, WarehousePage;
    PriceLevel => PriceLevelData, PriceLevelPage;
    Definition => CustomFieldData, CustomFieldPage;
}

/// `{"data": [custom field...]}`: the definitions, without paging.
#[derive(ToSchema)]
pub struct CustomFieldList {
    pub data: Vec<Definition>,
}

/// `{"data": [tag...]}`: a record's tags.
#[derive(ToSchema)]
pub struct TagList {
    pub data: Vec<Tag>,
}

/// `{"data": [client type...]}`.
#[derive(ToSchema)]
pub struct ClientTypeList {
    pub data: Vec<ClientType>,
}

/// `{"data": {label: value...}}`: a company's custom-field values.
#[derive(ToSchema)]
pub struct CustomValuesData {
    #[schema(value_type = Object, example = json!({"Region": "North"}))]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// The answer of replacing a record's tags.
#[derive(ToSchema)]
#[schema(example = json!({"message": "Tags replaced successfully", "tags": [{"id": 3, "name": "vip", "description": null, "icon": null, "color": null}]}))]
pub struct TagsReplaced {
    pub message: String,
    pub tags: Vec<Tag>,
}

/// A contact to create (§4.2). Unknown fields are ignored.
#[derive(ToSchema)]
#[schema(example = json!({"first_name": "John", "last_name": "Smith", "email": "john.smith@acmecorp.com", "phone_1": "555-987-6543", "company_id": 1, "tags": ["sales"]}))]
pub struct ContactCreate {
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_1: Option<String>,
    pub phone_2: Option<String>,
    pub receiving_bank_name: Option<String>,
    pub receiving_bank_address: Option<String>,
    /// The primary company (required unless `company_ids` is given).
    pub company_id: Option<i64>,
    /// Every linked company, the first one primary.
    pub company_ids: Option<Vec<i64>>,
    pub is_primary: Option<bool>,
    pub receive_quotation_pdf: Option<bool>,
    pub receive_purchase_order_pdf: Option<bool>,
    pub receive_purchase_order_invoice_pdf: Option<bool>,
    /// A B2B portal password (needs `email`); stored hashed, never returned.
    pub password: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A contact update: only the fields present change (POST, PUT and PATCH alike); an empty
/// body changes nothing.
#[derive(ToSchema)]
#[schema(example = json!({"email": "john.smith@acmecorp.com", "phone_1": "555-987-6543"}))]
pub struct ContactUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_1: Option<String>,
    pub phone_2: Option<String>,
    pub receiving_bank_name: Option<String>,
    pub receiving_bank_address: Option<String>,
    /// Moves the primary link to this company.
    pub company_id: Option<i64>,
    /// Replaces every link, the first one primary.
    pub company_ids: Option<Vec<i64>>,
    pub is_primary: Option<bool>,
    pub receive_quotation_pdf: Option<bool>,
    pub receive_purchase_order_pdf: Option<bool>,
    pub receive_purchase_order_invoice_pdf: Option<bool>,
    pub password: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A B2B portal password for the contact (its `email` is the login).
#[derive(ToSchema)]
#[schema(example = json!({"password": "correct horse battery staple"}))]
pub struct PasswordBody {
    pub password: String,
}

/// `client_type` of a company body: an existing type by id or a type by name (created when new).
#[derive(ToSchema)]
pub struct ClientTypeInput {
    pub id: Option<i64>,
    pub name: Option<String>,
}

/// A shipping address in a body (`address_1`/`address`, `address_2`/`address_line_2` and
/// `zip`/`postal_code` are the same fields).
#[derive(ToSchema)]
#[schema(example = json!({"address_1": "9 Port Way", "city": "Dallas", "state": "TX", "zip": "75201", "country": "USA", "first_name": "Sam", "last_name": "Lee", "is_default": true}))]
pub struct ShippingAddressInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub is_default: Option<bool>,
}

/// A company to create (`name` required) or update (only the fields present change).
#[derive(ToSchema)]
#[schema(example = json!({"name": "Acme Corporation", "client_type": {"name": "Wholesale"}, "address": "123 Main St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "USA", "payment_term": "Net 30", "tags": ["vip"], "custom_fields": {"Region": "North"}}))]
pub struct CompanyBody {
    pub name: Option<String>,
    pub client_type: Option<ClientTypeInput>,
    pub parent_company_id: Option<i64>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub fein: Option<String>,
    pub tax_exempt: Option<bool>,
    /// A percentage, 0 to 100.
    pub tax_rate: Option<f64>,
    pub notes: Option<String>,
    /// One of the contract's terms (sets `due_date_days`).
    pub payment_term: Option<String>,
    pub due_date_days: Option<i64>,
    pub price_level_id: Option<i64>,
    pub tags: Option<Vec<String>>,
    /// Values by custom-field label.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
    pub shipping_addresses: Option<Vec<ShippingAddressInput>>,
}

/// A custom-field definition to create (`label` and `type` required) or update.
#[derive(ToSchema)]
#[schema(example = json!({"label": "Region", "type": "dropdown", "options": {"choices": ["North", "South"]}}))]
pub struct CustomFieldBody {
    pub label: Option<String>,
    #[schema(rename = "type")]
    pub kind: Option<crate::domain::custom_field::FieldKind>,
    /// Default `["companies"]`.
    pub object_types: Option<Vec<String>>,
    /// `{"choices": [...]}` for a dropdown.
    #[schema(value_type = Option<Object>)]
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A company's custom-field values by label (`null` clears one).
#[derive(ToSchema)]
#[schema(value_type = Object, example = json!({"Region": "South"}))]
pub struct CustomValuesBody(pub serde_json::Map<String, serde_json::Value>);

/// Tag names: added to (`POST`) or replacing (`PUT`) a record's tags.
#[derive(ToSchema)]
#[schema(example = json!({"tags": ["east", "vip"]}))]
pub struct TagsBody {
    pub tags: Vec<String>,
}

/// A warehouse to create (`name` required) or update.
#[derive(ToSchema)]
#[schema(example = json!({"name": "Dock 4", "parent_id": 1, "status": "inactive"}))]
pub struct WarehouseBody {
    pub name: Option<String>,
    /// Default `active`.
    pub status: Option<crate::domain::warehouse::WarehouseStatus>,
    pub parent_id: Option<i64>,
}

/// A price level to create (`name` required) or update (a Rolodex extension).
#[derive(ToSchema)]
#[schema(example = json!({"name": "Wholesale +10%", "status": "active", "type": "percentage", "percent_increase": 10.0}))]
pub struct PriceLevelBody {
    pub name: Option<String>,
    /// Default `active`.
    pub status: Option<crate::domain::price_level::LevelStatus>,
    /// Default `percentage`.
    #[schema(rename = "type")]
    pub kind: Option<crate::domain::price_level::LevelType>,
    pub percent_increase: Option<f64>,
}

/// The query parameters of a list whose fields are `F`: paging, `sort`, and one parameter per
/// field and operator the field's type allows (`email`, `email[contains]`, ...), aliases too.
pub struct ListParams<F>(PhantomData<F>);

pub type ContactListParams = ListParams<crate::domain::contact::ContactListField>;
pub type CompanyListParams = ListParams<crate::domain::company::CompanyListField>;
pub type ShippingListParams = ListParams<crate::domain::shipping::ShippingListField>;
pub type WarehouseListParams = ListParams<crate::domain::warehouse::WarehouseListField>;
pub type PriceLevelListParams = ListParams<crate::domain::price_level::PriceLevelListField>;

const ALL_OPS: [Op; 12] = [
    Op::Eq,
    Op::Neq,
    Op::Contains,
    Op::NotContains,
    Op::Gt,
    Op::Gte,
    Op::Lt,
    Op::Lte,
    Op::In,
    Op::NotIn,
    Op::Set,
    Op::NotSet,
];

fn query_param(name: String, schema: Schema, description: String) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer_schema(minimum: u64, maximum: Option<u64>) -> Schema {
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum as f64));
    if let Some(max) = maximum {
        b = b.maximum(Some(max as f64));
    }
    b.into()
}

/// The schema of a filter value on a field of type `kind` with operator `op`.
fn operand_schema(kind: FieldType, op: Op) -> Schema {
    match (op, kind) {
        (Op::Set | Op::NotSet, _) => string_schema()
            .description(Some("Ignored: the operator takes no value."))
            .into(),
        (Op::In | Op::NotIn, FieldType::Number) => string_schema()
            .description(Some("Comma-separated integers."))
            .examples([json!("1,2,3")])
            .into(),
        (Op::In | Op::NotIn, _) => string_schema()
            .description(Some("Comma-separated values."))
            .into(),
        (_, FieldType::Number) => ObjectBuilder::new().schema_type(Type::Integer).into(),
        (_, FieldType::Boolean) => ObjectBuilder::new().schema_type(Type::Boolean).into(),
        (_, FieldType::Date) => string_schema()
            .description(Some("A UTC day `YYYY-MM-DD` or an RFC 3339 date-time."))
            .examples([json!("2024-01-31"), json!("2024-01-31T12:00:00Z")])
            .into(),
        (_, FieldType::String | FieldType::Tag) => string_schema().min_length(Some(1)).into(),
    }
}

impl<F: ListField> IntoParams for ListParams<F> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let sortable: Vec<&str> = F::ALL
            .iter()
            .map(|f| f.spec())
            .filter(|s| s.sortable)
            .map(|s| s.name)
            .collect();
        let mut params = vec![
            query_param(
                "page".into(),
                integer_schema(1, None),
                "The page, from 1.".into(),
            ),
            query_param(
                "per_page".into(),
                integer_schema(1, Some(crate::query::parse::MAX_PER_PAGE)),
                format!("Items per page (default {}).", F::DEFAULT_PER_PAGE),
            ),
            query_param(
                "limit".into(),
                integer_schema(1, Some(crate::query::parse::MAX_PER_PAGE)),
                "The same as `per_page` (which wins when both are given).".into(),
            ),
            query_param(
                "sort".into(),
                string_schema()
                    .examples([json!(format!("{}:desc", sortable.first().unwrap_or(&"id")))])
                    .into(),
                format!(
                    "`field[:asc|:desc],...`; the fields: {}. Ties are broken by `id`.",
                    sortable
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        ];
        for field in F::ALL {
            let spec = field.spec();
            for name in std::iter::once(&spec.name).chain(spec.aliases) {
                let what = if *name == spec.name {
                    format!("`{}`", spec.name)
                } else {
                    format!("`{}` (the same as `{}`)", name, spec.name)
                };
                for op in ALL_OPS.into_iter().filter(|&op| spec.kind.allows(op)) {
                    let (param, description) = match op {
                        Op::Eq => (
                            (*name).to_owned(),
                            format!("Filter: {what} equals (also `{name}[eq]`)."),
                        ),
                        _ => (
                            format!("{name}[{}]", op.name()),
                            format!("Filter: {what}, operator `{}`.", op.name()),
                        ),
                    };
                    params.push(query_param(
                        param,
                        operand_schema(spec.kind, op),
                        description,
                    ));
                    if op == Op::Eq {
                        params.push(query_param(
                            format!("{name}[eq]"),
                            operand_schema(spec.kind, op),
                            format!("Filter: {what} equals."),
                        ));
                    }
                }
            }
        }
        params
    }
}

/// The parameter of `GET /custom-fields`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldListParams {
    /// Only the definitions that apply to this record type (e.g. `companies`).
    pub object_type: Option<String>,
}

fn json_response(description: &str, schema: &str, example: serde_json::Value) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .example(Some(example))
            .build(),
    )
}

fn with_header(response: ResponseBuilder, name: &str, description: &str) -> ResponseBuilder {
    response.header(
        name,
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .description(Some(description))
            .build(),
    )
}

/// The shared error answers, by component name, each as `error.rs` writes it.
fn error_responses() -> Vec<(&'static str, Response)> {
    let message = |m: &str| json!({ "message": m });
    vec![
        (
            "BadRequest",
            json_response(
                "The body is not a JSON object, or the query string does not decode to UTF-8.",
                "ErrorBody",
                message("The request body is not a valid JSON object: expected an object"),
            )
            .build(),
        ),
        (
            "Unauthenticated",
            with_header(
                json_response(
                    "No valid bearer token (or the `Host` names another tenant).",
                    "ErrorBody",
                    message("Unauthenticated."),
                ),
                "WWW-Authenticate",
                "`Bearer`",
            )
            .build(),
        ),
        (
            "NotFound",
            json_response(
                "No such record of the tenant (an id that is not a positive integer names none).",
                "ErrorBody",
                message("Not found."),
            )
            .build(),
        ),
        (
            "MethodNotAllowed",
            with_header(
                json_response(
                    "The path does not take this method (any path, any method not documented).",
                    "ErrorBody",
                    message("The DELETE method is not supported for this route."),
                ),
                "Allow",
                "The methods the path takes.",
            )
            .build(),
        ),
        (
            "RequestTimeout",
            json_response(
                "The body did not arrive within the body timeout; the connection is closed.",
                "ErrorBody",
                message("The request body was not received in time."),
            )
            .build(),
        ),
        (
            "Conflict",
            json_response(
                "The change conflicts with other records (the message says which).",
                "ErrorBody",
                message("The warehouse cannot be deleted: it has 2 child warehouses."),
            )
            .build(),
        ),
        (
            "PayloadTooLarge",
            json_response(
                "The body is larger than the server's body limit (`--body-limit`).",
                "ErrorBody",
                message("The request body is too large."),
            )
            .build(),
        ),
        (
            "UnsupportedMediaType",
            json_response(
                "The body is not JSON by its `Content-Type` (absent is read as JSON).",
                "ErrorBody",
                message("The request body must be JSON (Content-Type: application/json)."),
            )
            .build(),
        ),
        (
            "ValidationFailed",
            ResponseBuilder::new()
                .description(
                    "Invalid fields or list parameters, all at once; or a query string over 8192 \
                     bytes (on any path).",
                )
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ValidationErrorBody")))
                        .example(Some(json!({
                            "message": "The email field must be a valid email address.",
                            "errors": {"email": ["The email field must be a valid email address."]}
                        })))
                        .build(),
                )
                .build(),
        ),
        (
            "TooManyAttempts",
            with_header(
                with_header(
                    json_response(
                        "The token used up its requests of the minute (`--rate-limit`).",
                        "ErrorBody",
                        message("Too Many Attempts."),
                    ),
                    "Retry-After",
                    "Seconds until the window ends.",
                ),
                "X-RateLimit-Limit",
                "Requests per minute.",
            )
            .build(),
        ),
        (
            "Unavailable",
            with_header(
                json_response(
                    "The database is unreachable (`Retry-After: 1`), or the request ran past the \
                     request timeout.",
                    "ErrorBody",
                    message("Service Unavailable"),
                ),
                "Retry-After",
                "Seconds to wait before retrying (when the database is unreachable).",
            )
            .build(),
        ),
    ]
}

/// The error answers an operation can give, by what it takes: every request passes the limits
/// (`limits::guard`: 422 for a long query string, 503 past the time budget), authentication
/// (401) and the rate limit (429); a path with an id can name nothing (404); a body can be
/// malformed (400), too large (413), not JSON (415) or slow (408); a list's query can be
/// malformed (400) or invalid (422). Conflicts (409) are declared by their handlers.
fn add_error_responses(path: &str, operation: &mut Operation) {
    let has_body = operation.request_body.is_some();
    let has_query = operation.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query))
    });
    let mut codes = vec![("401", "Unauthenticated")];
    if has_body || has_query {
        codes.push(("400", "BadRequest"));
    }
    if path.contains('{') {
        codes.push(("404", "NotFound"));
    }
    if has_body {
        codes.extend([
            ("408", "RequestTimeout"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
        ]);
    }
    codes.extend([
        ("422", "ValidationFailed"),
        ("429", "TooManyAttempts"),
        ("503", "Unavailable"),
    ]);
    for (code, name) in codes {
        operation
            .responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
}

/// The company example, built in parts (one `json!` of it all is too deep for the macro).
fn company_example() -> serde_json::Value {
    let address = json!({"id": 1, "company_id": 1, "company_name": "Acme Corporation", "first_name": "Sam", "last_name": "Lee", "full_name": "Sam Lee", "email": null, "phone": null, "address": "9 Port Way", "address_line_2": null, "city": "Dallas", "state": "TX", "postal_code": "75201", "country": "USA", "full_address": "9 Port Way, Dallas, TX 75201, USA", "is_default": true, "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z"});
    let level = json!({"id": 1, "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z", "status": "active", "name": "Wholesale", "type": "percentage", "percent_increase": 15.5});
    let mut company = serde_json::Map::new();
    if let serde_json::Value::Object(part) = json!({"id": 1, "status": "active", "name": "Acme Corporation", "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z", "type": "Wholesale", "parent_company_id": null, "phone": null, "address": "123 Main St", "address_line_2": null, "city": "Austin", "state": "TX"})
    {
        company.extend(part);
    }
    if let serde_json::Value::Object(part) = json!({"postal_code": "78701", "country": "USA", "full_address": "123 Main St, Austin, TX 78701, USA", "fein": null, "tax_exempt": false, "tax_rate": null, "notes": null, "payment_term": "Net 30", "due_date_days": 30, "price_level": level.clone(), "tags": [{"id": 1, "name": "vip", "description": null, "icon": null, "color": null}], "custom_fields": {"Region": "North"}})
    {
        company.extend(part);
    }
    if let serde_json::Value::Object(part) = json!({"default_shipping": address.clone(), "shipping_addresses": [address], "shipping_first_name": "Sam", "shipping_last_name": "Lee", "shipping_email": null, "shipping_phone": null, "shipping_address": "9 Port Way", "shipping_city": "Dallas", "shipping_state": "TX", "shipping_postal_code": "75201", "shipping_country": "USA", "shipping_full_address": "9 Port Way, Dallas, TX 75201, USA"})
    {
        company.extend(part);
    }
    serde_json::Value::Object(company)
}

/// Examples of the objects, as the API answers them (the README's walk-through), by schema name.
fn object_examples() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "Contact",
            json!({"id": "1", "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z", "status": "active", "first_name": "John", "last_name": "Smith", "email": "john.smith@acmecorp.com", "phone": "555-987-6543", "phone_1": "555-987-6543", "phone_2": null, "full_name": "John Smith", "receiving_bank_name": null, "receiving_bank_address": null, "company_id": "1", "company": {"id": "1", "name": "Acme Corporation"}, "is_primary": false, "receive_quotation_pdf": false, "receive_purchase_order_pdf": false, "receive_purchase_order_invoice_pdf": false, "has_portal_login": false, "companies": [{"id": 1, "name": "Acme Corporation", "is_primary": false, "receive_quotation_pdf": false, "receive_purchase_order_pdf": false, "receive_purchase_order_invoice_pdf": false}], "tags": [{"id": 2, "name": "sales", "description": null, "icon": null, "color": null}]}),
        ),
        ("Company", company_example()),
        (
            "ShippingAddress",
            json!({"id": 1, "company_id": 1, "company_name": "Acme Corporation", "first_name": "Sam", "last_name": "Lee", "full_name": "Sam Lee", "email": null, "phone": null, "address": "9 Port Way", "address_line_2": null, "city": "Dallas", "state": "TX", "postal_code": "75201", "country": "USA", "full_address": "9 Port Way, Dallas, TX 75201, USA", "is_default": true, "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z"}),
        ),
        (
            "Warehouse",
            json!({"id": 1, "status": "active", "name": "Main Warehouse", "parent_id": null, "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z"}),
        ),
        (
            "PriceLevel",
            json!({"id": 1, "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z", "status": "active", "name": "Wholesale", "type": "percentage", "percent_increase": 15.5}),
        ),
        (
            "CustomField",
            json!({"id": 1, "label": "Region", "type": "dropdown", "object_types": ["companies"], "options": {"choices": ["North", "South"]}, "created_at": "2023-03-15T14:30:00Z", "updated_at": "2023-03-15T14:30:00Z"}),
        ),
        ("ClientType", json!({"id": 1, "name": "Wholesale"})),
    ]
}

/// The names `payment_term` takes (`company::PAYMENT_TERMS`), as an enum of the company body.
fn describe_payment_terms(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    let Some(RefOr::T(Schema::Object(body))) = schemas.get_mut("CompanyBody") else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(term))) = body.properties.get_mut("payment_term") {
        let mut names: Vec<serde_json::Value> = crate::domain::company::PAYMENT_TERMS
            .iter()
            .map(|(name, _)| json!(name))
            .collect();
        names.push(serde_json::Value::Null);
        term.enum_values = Some(names);
    }
}

/// Completes the document the routes produced: the server base, the bearer scheme, the shared
/// error answers on every operation, and unique operation ids (one handler serving `POST`, `PUT`
/// and `PATCH` is three operations: `updateContact`, `updateContact_put`, `updateContact_patch`).
pub fn finish(doc: &mut OpenApi) {
    doc.servers = Some(vec![ServerBuilder::new().url(super::BASE).build()]);
    doc.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        "bearer".into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API token: `rolodex tokens create --tenant SLUG`."))
                .build(),
        )),
    );
    for (name, example) in object_examples() {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.examples = vec![example];
        }
    }
    describe_payment_terms(&mut components.schemas);
    for (name, response) in error_responses() {
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            add_error_responses(path, operation);
            let id = operation.operation_id.clone().unwrap_or_default();
            if !seen.insert(id.clone()) {
                let unique = format!("{id}_{method}");
                seen.insert(unique.clone());
                operation.operation_id = Some(unique);
            }
        }
    }
}

/// The whole tenant document: what the routes say, [`finish`]ed.
pub fn document(mut doc: OpenApi) -> OpenApi {
    finish(&mut doc);
    doc
}
