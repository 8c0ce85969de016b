//! Companies (§5): what a create or update body may say (§5.2, §5.3), the rules that turn a
//! stored company and a patch into the new company (payment terms, parent cycles), and the object
//! the API returns (§5.1).

pub mod list;

pub use list::CompanyListField;

use serde::Serialize;
use serde_json::{Map, Value};

use super::address::Address;
use super::custom_field::{CustomValues, Definition};
use super::errors::ValidationErrors;
use super::input::{Body, Draft, MAX_STRING, Patch, dedupe_names, read_integer, read_string};
use super::limits::MAX_TAGS_PER_REQUEST;
use super::limits::parent_too_deep;
use super::price_level::{PRICE_LEVEL_MISSING, PriceLevel};
use super::shipping::{AddressList, ShippingAddress, read_address_list};
use super::{Tag, Timestamp};

/// The plain text fields a company request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyText {
    Phone,
    Address,
    AddressLine2,
    City,
    State,
    PostalCode,
    Country,
    Fein,
}

impl CompanyText {
    /// Every text field, in contract order (the order their errors are reported in).
    pub const ALL: [CompanyText; 8] = [
        CompanyText::Phone,
        CompanyText::Address,
        CompanyText::AddressLine2,
        CompanyText::City,
        CompanyText::State,
        CompanyText::PostalCode,
        CompanyText::Country,
        CompanyText::Fein,
    ];

    /// The field's name in bodies and objects.
    pub fn key(self) -> &'static str {
        match self {
            CompanyText::Phone => "phone",
            CompanyText::Address => "address",
            CompanyText::AddressLine2 => "address_line_2",
            CompanyText::City => "city",
            CompanyText::State => "state",
            CompanyText::PostalCode => "postal_code",
            CompanyText::Country => "country",
            CompanyText::Fein => "fein",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyFields {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub fein: Option<String>,
}

impl CompanyFields {
    fn text_mut(&mut self, field: CompanyText) -> &mut Option<String> {
        match field {
            CompanyText::Phone => &mut self.phone,
            CompanyText::Address => &mut self.address,
            CompanyText::AddressLine2 => &mut self.address_line_2,
            CompanyText::City => &mut self.city,
            CompanyText::State => &mut self.state,
            CompanyText::PostalCode => &mut self.postal_code,
            CompanyText::Country => &mut self.country,
            CompanyText::Fein => &mut self.fein,
        }
    }

    /// `address, address_line_2, city, state postal_code, country`, leaving out absent parts.
    pub fn full_address(&self) -> Option<String> {
        Address {
            line_1: self.address.as_deref(),
            line_2: self.address_line_2.as_deref(),
            city: self.city.as_deref(),
            state: self.state.as_deref(),
            postal_code: self.postal_code.as_deref(),
            country: self.country.as_deref(),
        }
        .compose()
    }
}

/// The payment terms of §5.2 in their returned spelling, with the due-date days each implies
/// (`None` for `Custom`, whose days are sent).
pub const PAYMENT_TERMS: [(&str, Option<i64>); 9] = [
    ("Due on receipt", Some(0)),
    ("Net 7", Some(7)),
    ("Net 10", Some(10)),
    ("Net 15", Some(15)),
    ("Net 30", Some(30)),
    ("Net 45", Some(45)),
    ("Net 60", Some(60)),
    ("Net 90", Some(90)),
    ("Custom", None),
];

/// The longest `notes` accepted, in characters.
pub const MAX_NOTES: usize = 65_535;
/// The largest `due_date_days`.
pub const MAX_DUE_DATE_DAYS: i64 = 3650;

/// `client_type` of a body: an existing type by id, or a type by name (created when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientTypeRef {
    Id(i64),
    Name(String),
}

/// A client type as `GET /client-types` lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ClientType {
    pub id: i64,
    pub name: String,
}

/// Everything about a company that lives in its row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyRecord {
    pub fields: CompanyFields,
    pub client_type_id: Option<i64>,
    pub parent_company_id: Option<i64>,
    pub notes: Option<String>,
    pub tax_exempt: bool,
    pub tax_rate: Option<f64>,
    pub payment_term: Option<String>,
    pub due_date_days: Option<i64>,
    pub price_level_id: Option<i64>,
}

/// A create or update body. On create, absent and `null` both mean "none".
#[derive(Debug, Clone, Default)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub texts: Vec<(CompanyText, Patch<String>)>,
    pub client_type: Patch<ClientTypeRef>,
    pub parent_company_id: Patch<i64>,
    pub notes: Patch<String>,
    /// `null` sets it to false.
    pub tax_exempt: Option<bool>,
    pub tax_rate: Patch<f64>,
    pub payment_term: Patch<&'static str>,
    pub due_date_days: Patch<i64>,
    /// The company's price level by id (`null` clears it).
    pub price_level_id: Patch<i64>,
    /// `Some(names)` replaces the tags (`[]` or `null` removes them all).
    pub tags: Option<Vec<String>>,
    /// `{label: value}` to set (a `null` value removes the label), checked against the tenant's
    /// definitions in [`finish`].
    pub custom_fields: Option<CustomValues>,
    /// `Some(list)` replaces every address of the company.
    pub shipping_addresses: Option<AddressList>,
}

fn read_client_type(body: &mut Body<'_>) -> Patch<ClientTypeRef> {
    let Some(raw) = body.raw("client_type") else {
        return Patch::Absent;
    };
    match raw {
        Value::Null => Patch::Null,
        Value::String(s) if s.trim().is_empty() => Patch::Null,
        Value::Object(o) => {
            let mut errors = ValidationErrors::new();
            let by_id = o
                .get("id")
                .map(|v| read_integer(v, "client_type.id", &mut errors));
            let by_name = o
                .get("name")
                .map(|v| read_string(v, "client_type.name", MAX_STRING, &mut errors));
            let bad = !errors.is_empty();
            body.errors.merge(errors);
            match (by_id, by_name) {
                (Some(Patch::Set(id)), _) => Patch::Set(ClientTypeRef::Id(id)),
                (_, Some(Patch::Set(name))) => Patch::Set(ClientTypeRef::Name(name)),
                _ if bad => Patch::Absent,
                _ => {
                    body.error(
                        "client_type",
                        "The client type field must have an id or a name.",
                    );
                    Patch::Absent
                }
            }
        }
        _ => {
            body.error(
                "client_type",
                "The client type field must be an object with an id or a name.",
            );
            Patch::Absent
        }
    }
}

/// A number from 0 to 100, given as a JSON number or a numeric string.
fn read_tax_rate(body: &mut Body<'_>) -> Patch<f64> {
    let parsed = match body.raw("tax_rate") {
        None => return Patch::Absent,
        Some(Value::Null) => return Patch::Null,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Patch::Null,
        Some(Value::String(s)) => {
            let t = s.trim();
            let numeric = t
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
            if numeric { t.parse::<f64>().ok() } else { None }
        }
        Some(_) => None,
    };
    match parsed.filter(|f| f.is_finite()) {
        None => {
            body.error("tax_rate", "The tax rate field must be a number.");
            Patch::Absent
        }
        Some(r) if !(0.0..=100.0).contains(&r) => {
            body.error("tax_rate", "The tax rate field must be between 0 and 100.");
            Patch::Absent
        }
        Some(r) => Patch::Set(r),
    }
}

fn read_payment_term(body: &mut Body<'_>) -> Patch<&'static str> {
    match body.string("payment_term", MAX_STRING) {
        Patch::Set(s) => match PAYMENT_TERMS
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(&s))
        {
            Some((t, _)) => Patch::Set(t),
            None => {
                let all: Vec<&str> = PAYMENT_TERMS.iter().map(|(t, _)| *t).collect();
                body.error(
                    "payment_term",
                    format!(
                        "The selected payment term is invalid. Use one of: {}.",
                        all.join(", ")
                    ),
                );
                Patch::Absent
            }
        },
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    }
}

fn read_due_date_days(body: &mut Body<'_>) -> Patch<i64> {
    match body.integer("due_date_days") {
        Patch::Set(d) if !(0..=MAX_DUE_DATE_DAYS).contains(&d) => {
            body.error(
                "due_date_days",
                format!("The due date days field must be between 0 and {MAX_DUE_DATE_DAYS}."),
            );
            Patch::Absent
        }
        other => other,
    }
}

/// Reads a `POST /companies` (`create`) or `POST /companies/{id}` body by the rules of §5.2.
pub fn parse(object: &Map<String, Value>, create: bool) -> Draft<CompanyPatch> {
    let mut body = Body::new(object);
    let name = match body.string("name", MAX_STRING) {
        Patch::Set(s) => Some(s),
        Patch::Null => {
            body.required("name");
            None
        }
        Patch::Absent => {
            if create && !body.errors.has("name") {
                body.required("name");
            }
            None
        }
    };
    let client_type = read_client_type(&mut body);
    let parent_company_id = body.integer("parent_company_id");
    let texts = CompanyText::ALL
        .iter()
        .map(|field| (*field, body.string(field.key(), MAX_STRING)))
        .collect();
    let tax_exempt = match body.boolean("tax_exempt") {
        Patch::Absent => None,
        Patch::Null => Some(false),
        Patch::Set(b) => Some(b),
    };
    let tax_rate = read_tax_rate(&mut body);
    let notes = body.string("notes", MAX_NOTES);
    let payment_term = read_payment_term(&mut body);
    let due_date_days = read_due_date_days(&mut body);
    let price_level_id = body.integer("price_level_id");
    let tags = match body.string_array("tags", MAX_STRING, MAX_TAGS_PER_REQUEST) {
        Patch::Set(names) => Some(dedupe_names(names)),
        Patch::Null => Some(Vec::new()),
        Patch::Absent => None,
    };
    let custom_fields = match body.raw("custom_fields") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(CustomValues::from(m.clone())),
        Some(_) => {
            body.error(
                "custom_fields",
                "The custom fields field must be an object.",
            );
            None
        }
    };
    let shipping_addresses = body
        .raw("shipping_addresses")
        .and_then(|v| read_address_list(v, "shipping_addresses", &mut body.errors));
    Draft::new(
        CompanyPatch {
            name,
            texts,
            client_type,
            parent_company_id,
            notes,
            tax_exempt,
            tax_rate,
            payment_term,
            due_date_days,
            price_level_id,
            tags,
            custom_fields,
            shipping_addresses,
        },
        body.errors,
    )
}

/// The parent a body names, as the store found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParentCheck {
    /// Not in the body, cleared, or an existing company that may be the parent.
    #[default]
    Fine,
    Missing,
    /// More than `MAX_COMPANY_DEPTH` companies above it.
    TooDeep,
    /// The company itself or one of its descendants.
    Cycle,
}

/// What only the store can tell about a company body, gathered inside the write transaction.
#[derive(Debug, Clone, Default)]
pub struct CompanyChecks {
    /// The `client_type` resolved to an id: `None` when not in the body, `Some(None)` to clear it
    /// (a type by name is created when unknown).
    pub client_type_id: Option<Option<i64>>,
    /// `client_type.id` names no client type of the tenant.
    pub unknown_client_type_id: bool,
    pub parent: ParentCheck,
    /// `price_level_id` names no price level of the tenant.
    pub unknown_price_level: bool,
    /// The tenant's custom-field definitions, when the body sets values.
    pub definitions: Vec<Definition>,
}

/// The 422 of a `parent_company_id` that is not a company of the tenant.
pub const PARENT_MISSING: &str = "The selected parent company id is invalid.";

/// A valid company body applied to the stored company: what to write.
#[derive(Debug, Clone)]
pub struct CompanyUpdate {
    pub record: CompanyRecord,
    /// `Some(names)` replaces the tags.
    pub tags: Option<Vec<String>>,
    /// `(field id, value or None to remove)`, when the body set custom-field values.
    pub custom_values: Option<Vec<(i64, Option<Value>)>>,
    /// `Some(list)` replaces every shipping address.
    pub shipping_addresses: Option<AddressList>,
}

/// Applies a company body to the stored company (`CompanyRecord::default()` on create), with
/// what the store found: the company to write, or every error in the order found.
pub fn finish(
    draft: Draft<CompanyPatch>,
    current: &CompanyRecord,
    checks: &CompanyChecks,
) -> Result<CompanyUpdate, ValidationErrors> {
    let planned = draft.then(|patch, errors| {
        if checks.unknown_client_type_id {
            errors.add("client_type.id", "The selected client_type.id is invalid.");
        }
        match checks.parent {
            ParentCheck::Fine => {}
            ParentCheck::Missing => errors.add("parent_company_id", PARENT_MISSING),
            ParentCheck::TooDeep => errors.add("parent_company_id", parent_too_deep()),
            ParentCheck::Cycle => errors.add(
                "parent_company_id",
                "The parent company id would make the company its own ancestor.",
            ),
        }
        if checks.unknown_price_level {
            errors.add("price_level_id", PRICE_LEVEL_MISSING);
        }
        let custom_values = patch
            .custom_fields
            .as_ref()
            .map(|values| values.resolve(&checks.definitions, "custom_fields.", errors));
        let record = plan(current, &patch, checks.client_type_id, errors);
        CompanyUpdate {
            record,
            tags: patch.tags,
            custom_values,
            shipping_addresses: patch.shipping_addresses,
        }
    });
    planned.finish()
}

/// §5.2's payment-term rules, applied to the stored term and days: `Custom` needs days (sent now, or
/// kept from a stored `Custom`); a `Net N` term has N days and `Due on receipt` 0 (sending other
/// days is an error); without a term there are no days.
pub fn resolve_terms(
    current_term: Option<&str>,
    current_days: Option<i64>,
    term: &Patch<&'static str>,
    days: &Patch<i64>,
    errors: &mut ValidationErrors,
) -> (Option<String>, Option<i64>) {
    let new_term: Option<&str> = match term {
        Patch::Absent => current_term,
        Patch::Null => None,
        Patch::Set(t) => Some(t),
    };
    let Some((term, implied)) = new_term.and_then(|t| PAYMENT_TERMS.iter().find(|(p, _)| *p == t))
    else {
        if let Patch::Set(_) = days {
            errors.add(
                "due_date_days",
                "The due date days field requires a payment term.",
            );
        }
        return (None, None);
    };
    match (implied, days) {
        (Some(n), Patch::Set(d)) if d != n => {
            errors.add(
                "due_date_days",
                format!("The due date days field must be {n} for the payment term {term}."),
            );
            (Some((*term).to_owned()), Some(*n))
        }
        (Some(n), _) => (Some((*term).to_owned()), Some(*n)),
        (None, Patch::Set(d)) => (Some((*term).to_owned()), Some(*d)),
        (None, Patch::Absent) if current_term == Some("Custom") && current_days.is_some() => {
            (Some((*term).to_owned()), current_days)
        }
        (None, _) => {
            if !errors.has("due_date_days") {
                errors.add(
                    "due_date_days",
                    "The due date days field is required when payment term is Custom.",
                );
            }
            (Some((*term).to_owned()), None)
        }
    }
}

/// The row of a company after `patch`. `client_type_id` is the resolved `client_type` (`None`:
/// not in the body).
pub fn plan(
    current: &CompanyRecord,
    patch: &CompanyPatch,
    client_type_id: Option<Option<i64>>,
    errors: &mut ValidationErrors,
) -> CompanyRecord {
    let mut fields = current.fields.clone();
    if let Some(name) = &patch.name {
        fields.name = name.clone();
    }
    for (field, value) in &patch.texts {
        let slot = fields.text_mut(*field);
        *slot = value.clone().apply(slot.take());
    }
    let (payment_term, due_date_days) = resolve_terms(
        current.payment_term.as_deref(),
        current.due_date_days,
        &patch.payment_term,
        &patch.due_date_days,
        errors,
    );
    CompanyRecord {
        fields,
        client_type_id: client_type_id.unwrap_or(current.client_type_id),
        parent_company_id: patch
            .parent_company_id
            .clone()
            .apply(current.parent_company_id),
        notes: patch.notes.clone().apply(current.notes.clone()),
        tax_exempt: patch.tax_exempt.unwrap_or(current.tax_exempt),
        tax_rate: patch.tax_rate.clone().apply(current.tax_rate),
        payment_term,
        due_date_days,
        price_level_id: patch.price_level_id.clone().apply(current.price_level_id),
    }
}

/// True when making `parent` the parent of `company` would close a loop; `parent_ancestors` are
/// the parent's own ancestors, nearest first.
pub fn creates_cycle(company: i64, parent: i64, parent_ancestors: &[i64]) -> bool {
    parent == company || parent_ancestors.contains(&company)
}

/// The message of a 409 for a company that is the only company of some contacts.
pub fn delete_conflict(contacts: u64) -> String {
    let noun = if contacts == 1 { "contact" } else { "contacts" };
    format!(
        "The company cannot be deleted: {contacts} {noun} would be left without a company. \
         Link them to another company first."
    )
}

/// The parts a company object is built from.
#[derive(Debug, Clone)]
pub struct CompanyParts {
    pub id: i64,
    pub status: String,
    pub record: CompanyRecord,
    pub client_type: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The level `record.price_level_id` names.
    pub price_level: Option<PriceLevel>,
    pub tags: Vec<Tag>,
    pub custom_fields: Map<String, Value>,
    pub shipping_addresses: Vec<ShippingAddress>,
}

impl Company {
    /// The §5.1 object: composed addresses, the default shipping address nested and flattened.
    pub fn new(p: CompanyParts) -> Self {
        let r = p.record;
        let f = r.fields;
        let default_shipping = p.shipping_addresses.iter().find(|a| a.is_default).cloned();
        let ds = default_shipping.as_ref();
        let pick = |get: fn(&ShippingAddress) -> &Option<String>| ds.and_then(|a| get(a).clone());
        Company {
            id: p.id,
            status: p.status,
            created_at: p.created_at,
            updated_at: p.updated_at,
            client_type: p.client_type,
            parent_company_id: r.parent_company_id,
            full_address: f.full_address(),
            name: f.name,
            phone: f.phone,
            address: f.address,
            address_line_2: f.address_line_2,
            city: f.city,
            state: f.state,
            postal_code: f.postal_code,
            country: f.country,
            fein: f.fein,
            tax_exempt: r.tax_exempt,
            tax_rate: r.tax_rate,
            notes: r.notes,
            payment_term: r.payment_term,
            due_date_days: r.due_date_days,
            price_level: p.price_level,
            tags: p.tags,
            custom_fields: p.custom_fields,
            shipping_first_name: pick(|a| &a.first_name),
            shipping_last_name: pick(|a| &a.last_name),
            shipping_email: pick(|a| &a.email),
            shipping_phone: pick(|a| &a.phone),
            shipping_address: pick(|a| &a.address),
            shipping_city: pick(|a| &a.city),
            shipping_state: pick(|a| &a.state),
            shipping_postal_code: pick(|a| &a.postal_code),
            shipping_country: pick(|a| &a.country),
            shipping_full_address: ds.and_then(|a| a.fields().full_address_without_line_2()),
            default_shipping,
            shipping_addresses: p.shipping_addresses,
        }
    }
}

/// The company object of §5.1.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Company {
    pub id: i64,
    pub status: String,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(rename = "type")]
    pub client_type: Option<String>,
    pub parent_company_id: Option<i64>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub full_address: Option<String>,
    pub fein: Option<String>,
    pub tax_exempt: bool,
    pub tax_rate: Option<f64>,
    pub notes: Option<String>,
    pub payment_term: Option<String>,
    pub due_date_days: Option<i64>,
    /// Where the Luminous Company page has it: after `due_date_days`. Always present (`null`
    /// without a level).
    pub price_level: Option<PriceLevel>,
    pub tags: Vec<Tag>,
    /// Values by custom-field label.
    #[schema(value_type = Object, example = json!({"Region": "North"}))]
    pub custom_fields: Map<String, Value>,
    pub default_shipping: Option<ShippingAddress>,
    pub shipping_addresses: Vec<ShippingAddress>,
    pub shipping_first_name: Option<String>,
    pub shipping_last_name: Option<String>,
    pub shipping_email: Option<String>,
    pub shipping_phone: Option<String>,
    pub shipping_address: Option<String>,
    pub shipping_city: Option<String>,
    pub shipping_state: Option<String>,
    pub shipping_postal_code: Option<String>,
    pub shipping_country: Option<String>,
    pub shipping_full_address: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_address_leaves_out_absent_parts() {
        let f = CompanyFields {
            address: Some("123 Main St".into()),
            address_line_2: Some("Suite 500".into()),
            city: Some("Austin".into()),
            state: Some("TX".into()),
            postal_code: Some("78701".into()),
            country: Some("USA".into()),
            ..Default::default()
        };
        assert_eq!(
            f.full_address().as_deref(),
            Some("123 Main St, Suite 500, Austin, TX 78701, USA")
        );
        let g = CompanyFields {
            city: Some("Austin".into()),
            postal_code: Some("78701".into()),
            ..Default::default()
        };
        assert_eq!(g.full_address().as_deref(), Some("Austin, 78701"));
        assert_eq!(CompanyFields::default().full_address(), None);
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn keys(e: &ValidationErrors) -> Vec<&str> {
        e.entries().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn create_reports_every_error_at_once() {
        let p = parse(
            &obj(serde_json::json!({
                "client_type": 5, "parent_company_id": "x", "city": 3, "tax_exempt": "maybe",
                "tax_rate": 101, "notes": "n".repeat(MAX_NOTES + 1), "payment_term": "Net 31",
                "due_date_days": 4000, "price_level_id": "x", "tags": [""], "custom_fields": [],
                "shipping_addresses": [{"city": "X"}]
            })),
            true,
        );
        assert_eq!(
            keys(p.errors()),
            [
                "name",
                "client_type",
                "parent_company_id",
                "city",
                "tax_exempt",
                "tax_rate",
                "notes",
                "payment_term",
                "due_date_days",
                "price_level_id",
                "tags.0",
                "custom_fields",
                "shipping_addresses.0.address_1"
            ]
        );
    }

    #[test]
    fn client_type_by_id_or_name() {
        let p = parse(
            &obj(serde_json::json!({"name": "A", "client_type": {"id": "7"}})),
            true,
        );
        assert_eq!(p.peek().client_type, Patch::Set(ClientTypeRef::Id(7)));
        let p = parse(
            &obj(serde_json::json!({"name": "A", "client_type": {"name": " Retail "}})),
            true,
        );
        assert_eq!(
            p.peek().client_type,
            Patch::Set(ClientTypeRef::Name("Retail".into()))
        );
        let p = parse(
            &obj(serde_json::json!({"name": "A", "client_type": {}})),
            true,
        );
        assert!(p.errors().has("client_type"));
        let p = parse(
            &obj(serde_json::json!({"name": "A", "client_type": {"id": "x"}})),
            true,
        );
        assert_eq!(keys(p.errors()), ["client_type.id"]);
    }

    #[test]
    fn payment_terms_imply_days() {
        let mut e = ValidationErrors::new();
        let t = |term: &'static str| Patch::Set(term);
        assert_eq!(
            resolve_terms(None, None, &t("Net 30"), &Patch::Absent, &mut e),
            (Some("Net 30".into()), Some(30))
        );
        assert_eq!(
            resolve_terms(None, None, &t("Due on receipt"), &Patch::Absent, &mut e),
            (Some("Due on receipt".into()), Some(0))
        );
        assert_eq!(
            resolve_terms(None, None, &t("Custom"), &Patch::Set(12), &mut e),
            (Some("Custom".into()), Some(12))
        );
        assert_eq!(
            resolve_terms(
                Some("Custom"),
                Some(12),
                &Patch::Absent,
                &Patch::Absent,
                &mut e
            ),
            (Some("Custom".into()), Some(12))
        );
        assert_eq!(
            resolve_terms(
                Some("Net 30"),
                Some(30),
                &Patch::Null,
                &Patch::Absent,
                &mut e
            ),
            (None, None)
        );
        assert!(e.is_empty());
        resolve_terms(None, None, &t("Custom"), &Patch::Absent, &mut e);
        assert!(e.has("due_date_days"));
        let mut e = ValidationErrors::new();
        resolve_terms(None, None, &t("Net 30"), &Patch::Set(31), &mut e);
        assert!(e.has("due_date_days"));
        let mut e = ValidationErrors::new();
        resolve_terms(None, None, &Patch::Absent, &Patch::Set(3), &mut e);
        assert!(e.has("due_date_days"));
    }

    #[test]
    fn payment_terms_match_case_insensitively() {
        let p = parse(
            &obj(serde_json::json!({"name": "A", "payment_term": "net 45"})),
            true,
        );
        assert_eq!(p.peek().payment_term, Patch::Set("Net 45"));
    }

    #[test]
    fn cycles() {
        assert!(creates_cycle(1, 1, &[]));
        assert!(creates_cycle(1, 3, &[2, 1]));
        assert!(!creates_cycle(1, 3, &[2]));
    }
}
