//! Custom fields (§5.6): definitions, what a request may say about them, and the check of a value
//! against its definition (used by company bodies and `PUT /companies/{id}/custom-fields`).

use serde::Serialize;
use serde_json::{Map, Value};

use super::Timestamp;
use super::errors::ValidationErrors;
use super::input::Draft;
use super::input::{
    Body, MAX_STRING, Patch, decimal_text, label, name_key, read_integer, read_string,
};
use super::limits::{MAX_DROPDOWN_CHOICES, too_many_items};

/// The record types a custom field may apply to: the hosted API's logical names, each with the
/// morph-map alias it also accepts (`sales_order` for `sales-orders`). A definition keeps the
/// logical names; Rolodex serves only `companies`, so values are read and written for companies
/// alone, and the other names are kept for clients that share definitions with the hosted product.
pub const OBJECT_TYPES: [(&str, &str); 9] = [
    ("companies", "company"),
    ("products", "product"),
    ("sales-orders", "sales_order"),
    ("sales-order-items", "sales_order_item"),
    ("sales-order-line-items", "sales_order_line_item"),
    ("purchase-orders", "purchase_order"),
    ("purchase-order-items", "purchase_order_item"),
    ("invoices", "invoice"),
    ("suppliers", "supplier"),
];

/// The one record type whose custom-field values Rolodex keeps.
pub const COMPANIES: &str = "companies";

/// The logical name of an object type given by its logical name or its alias (case-insensitive,
/// surrounding white space ignored).
pub fn object_type(name: &str) -> Option<&'static str> {
    let name = name.trim();
    OBJECT_TYPES
        .iter()
        .find(|(logical, alias)| {
            logical.eq_ignore_ascii_case(name) || alias.eq_ignore_ascii_case(name)
        })
        .map(|(logical, _)| *logical)
}

fn invalid_object_type(path: &str) -> String {
    let names: Vec<&str> = OBJECT_TYPES.iter().map(|(logical, _)| *logical).collect();
    format!(
        "The selected {path} is invalid. Use one of: {}.",
        names.join(", ")
    )
}

/// Most entries in `object_types` (a real body names each type once).
const MAX_OBJECT_TYPES: usize = 10;

/// Largest `options.maxLength` a `string` field may declare.
pub const MAX_STRING_OPTION: i64 = 65_535;

#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum FieldKind {
    Number,
    Date,
    String,
    Dropdown,
}

impl FieldKind {
    pub const ALL: [FieldKind; 4] = [
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::String,
        FieldKind::Dropdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::String => "string",
            FieldKind::Dropdown => "dropdown",
        }
    }

    /// The kind named `s` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
    }
}

impl Serialize for FieldKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Another definition of the tenant already has the label (compared case-insensitively).
pub const LABEL_TAKEN: &str = "The label has already been taken.";

/// A definition as stored and returned.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CustomField)]
pub struct Definition {
    pub id: i64,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    pub object_types: Vec<String>,
    /// `{"choices": [...]}` for a dropdown; `{}` otherwise.
    #[schema(value_type = Object)]
    pub options: Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Definition {
    pub fn applies_to(&self, object_type: &str) -> bool {
        self.object_types.iter().any(|t| t == object_type)
    }

    /// Whether companies hold values of this field (read and written); while not, stored values
    /// are kept but hidden.
    pub fn applies_to_companies(&self) -> bool {
        self.applies_to(COMPANIES)
    }

    pub fn fields(&self) -> DefinitionFields {
        DefinitionFields {
            label: self.label.clone(),
            kind: self.kind,
            object_types: self.object_types.clone(),
            options: self.options.clone(),
        }
    }

    /// The dropdown's choices (empty for other kinds).
    pub fn choices(&self) -> Vec<&str> {
        match self.options.get("choices") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The most characters a `string` value may have.
    pub fn max_length(&self) -> usize {
        self.options
            .get("maxLength")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(MAX_STRING)
    }
}

/// What a definition is made of, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionFields {
    pub label: String,
    pub kind: FieldKind,
    pub object_types: Vec<String>,
    pub options: Map<String, Value>,
}

/// A create or update body: absent fields keep their value on update.
#[derive(Debug, Clone, Default)]
pub struct DefinitionPatch {
    pub label: Option<String>,
    pub kind: Option<FieldKind>,
    pub object_types: Option<Vec<String>>,
    /// `Some(map)` replaces the options (`null` gives `{}`).
    pub options: Option<Map<String, Value>>,
}

pub fn parse_definition(object: &Map<String, Value>, create: bool) -> Draft<DefinitionPatch> {
    let mut body = Body::new(object);
    let label = match body.string("label", MAX_STRING) {
        Patch::Set(s) => Some(s),
        Patch::Null => {
            body.required("label");
            None
        }
        Patch::Absent => {
            if create && !body.errors.has("label") {
                body.required("label");
            }
            None
        }
    };
    let kind = match body.string("type", MAX_STRING) {
        Patch::Set(s) => match FieldKind::parse(&s) {
            Some(k) => Some(k),
            None => {
                body.error(
                    "type",
                    "The selected type is invalid. Use number, date, string or dropdown.",
                );
                None
            }
        },
        Patch::Null => {
            body.required("type");
            None
        }
        Patch::Absent => {
            if create && !body.errors.has("type") {
                body.required("type");
            }
            None
        }
    };
    // `[]` links the definition to no type (the hosted API's way to unlink all of them); absent
    // or `null` on create means companies, the one type Rolodex serves.
    let object_types = match body.string_array("object_types", MAX_STRING, MAX_OBJECT_TYPES) {
        Patch::Set(types) => {
            let mut out: Vec<String> = Vec::new();
            for (i, t) in types.iter().enumerate() {
                match object_type(t) {
                    Some(o) if !out.iter().any(|x| x == o) => out.push(o.to_owned()),
                    Some(_) => {}
                    None => {
                        let path = format!("object_types.{i}");
                        let message = invalid_object_type(&path);
                        body.error(&path, message);
                    }
                }
            }
            Some(out)
        }
        Patch::Null => Some(vec![COMPANIES.to_owned()]),
        Patch::Absent => create.then(|| vec![COMPANIES.to_owned()]),
    };
    let options = match body.raw("options") {
        None => create.then(Map::new),
        Some(Value::Null) => Some(Map::new()),
        // Over the bound, the choices are refused here, before they are copied anywhere (the
        // plan runs inside the write transaction).
        Some(Value::Object(m)) => match m.get("choices") {
            Some(Value::Array(items)) if items.len() > MAX_DROPDOWN_CHOICES => {
                body.error(
                    "options.choices",
                    too_many_items("options.choices", MAX_DROPDOWN_CHOICES),
                );
                None
            }
            _ => Some(m.clone()),
        },
        Some(_) => {
            body.error("options", "The options field must be an object.");
            None
        }
    };
    Draft::new(
        DefinitionPatch {
            label,
            kind,
            object_types,
            options,
        },
        body.errors,
    )
}

/// The definition after a patch, with the options checked against the (new) type. `current` is
/// `None` on create, when the patch must be complete (missing parts were already reported).
pub fn plan_definition(
    current: Option<&DefinitionFields>,
    patch: &DefinitionPatch,
    errors: &mut ValidationErrors,
) -> Option<DefinitionFields> {
    let label = patch
        .label
        .clone()
        .or_else(|| current.map(|c| c.label.clone()))?;
    let kind = patch.kind.or(current.map(|c| c.kind))?;
    let object_types = patch
        .object_types
        .clone()
        .or_else(|| current.map(|c| c.object_types.clone()))?;
    let mut options = patch
        .options
        .clone()
        .or_else(|| current.map(|c| c.options.clone()))?;
    check_options(kind, &mut options, errors);
    Some(DefinitionFields {
        label,
        kind,
        object_types,
        options,
    })
}

/// What only the store can tell about a planned definition.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefinitionChecks {
    /// Another definition of the tenant has the label.
    pub label_taken: bool,
    /// Stored values that would not fit a changed type or options.
    pub misfits: usize,
}

/// The planned definition (see [`plan_definition`]) once the store's checks are in.
pub fn finish_definition(
    planned: Draft<Option<DefinitionFields>>,
    before: Option<&DefinitionFields>,
    checks: DefinitionChecks,
) -> Result<DefinitionFields, ValidationErrors> {
    let finished = planned.finish_with(|fields, errors| {
        if checks.label_taken {
            errors.add("label", LABEL_TAKEN);
        }
        if let (Some(f), Some(before), n @ 1..) = (fields, before, checks.misfits) {
            let key = if f.kind != before.kind {
                "type"
            } else {
                "options"
            };
            let noun = if n == 1 { "value does" } else { "values do" };
            errors.add(
                key,
                format!(
                    "{n} stored {noun} not fit the new definition; change or remove them first."
                ),
            );
        }
    })?;
    // A plan is incomplete only when parts were missing, and those were reported.
    finished.ok_or_else(|| ValidationErrors::single("label", "The label field is required."))
}

/// `dropdown` needs a non-empty `choices` array of distinct non-empty strings (trimmed, repeats
/// dropped); `string` may have a `maxLength` from 1 to 65,535. Other keys are kept as given.
fn check_options(kind: FieldKind, options: &mut Map<String, Value>, errors: &mut ValidationErrors) {
    if kind == FieldKind::Dropdown {
        match options.get("choices") {
            Some(Value::Array(items)) if items.len() > MAX_DROPDOWN_CHOICES => errors.add(
                "options.choices",
                too_many_items("options.choices", MAX_DROPDOWN_CHOICES),
            ),
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut choices: Vec<String> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("options.choices.{i}");
                    match read_string(item, &path, MAX_STRING, errors) {
                        Patch::Set(s) => {
                            if seen.insert(name_key(&s)) {
                                choices.push(s);
                            }
                        }
                        Patch::Null => errors.add(&path, format!("The {path} field must not be empty.")),
                        Patch::Absent => {}
                    }
                }
                options.insert("choices".into(), Value::from(choices));
            }
            Some(Value::Array(_)) | None | Some(Value::Null) => {
                errors.add("options.choices", "The options.choices field is required for a dropdown and must have at least 1 item.")
            }
            Some(_) => errors.add("options.choices", "The options.choices field must be an array."),
        }
    }
    if kind == FieldKind::String
        && let Some(v) = options.get("maxLength")
    {
        match read_integer(v, "options.maxLength", errors) {
            Patch::Set(n) if (1..=MAX_STRING_OPTION).contains(&n) => {
                options.insert("maxLength".into(), Value::from(n));
            }
            Patch::Set(_) | Patch::Null => errors.add(
                "options.maxLength",
                format!("The options.maxLength field must be between 1 and {MAX_STRING_OPTION}."),
            ),
            Patch::Absent => {}
        }
    }
}

/// True for a `YYYY-MM-DD` calendar date.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let Ok(month) = time::Month::try_from(m as u8) else {
        return false;
    };
    time::Date::from_calendar_date(y as i32, month, d as u8).is_ok()
}

/// Dropdowns with more choices than this are not listed in full in an error message (a 422 for
/// each of many values would otherwise repeat up to 255 KB of choices).
const LISTED_CHOICES: usize = 20;

fn invalid_choice(name: &str, choices: &[&str]) -> String {
    if choices.len() <= LISTED_CHOICES {
        format!(
            "The selected {name} is invalid. Choose one of: {}.",
            choices.join(", ")
        )
    } else {
        format!(
            "The selected {name} is invalid. Choose one of the field's {} choices.",
            choices.len()
        )
    }
}

/// Checks `value` against `def`. `Some(None)` removes the value (`null`, or an empty string);
/// `Some(Some(v))` is the value to store (strings trimmed, dropdown choices in their defined
/// spelling); `None` means invalid (the error is recorded on `path`).
pub fn check_value(
    def: &Definition,
    value: &Value,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<Option<Value>> {
    let name = label(path);
    if value.is_null() {
        return Some(None);
    }
    match def.kind {
        // A numeric string (`"12"`, as the official CLI sends every value) is stored as the
        // number it reads as; see `decimal_text` for what counts as one.
        FieldKind::Number => {
            let number = match value {
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Some(n.clone()),
                Value::String(s) => decimal_text(s),
                _ => None,
            };
            match number {
                Some(n) => Some(Some(Value::Number(n))),
                None => {
                    errors.add(path, format!("The {name} field must be a number."));
                    None
                }
            }
        }
        FieldKind::Date => match read_string(value, path, MAX_STRING, errors) {
            Patch::Set(s) if is_date(&s) => Some(Some(Value::String(s))),
            Patch::Set(_) => {
                errors.add(
                    path,
                    format!("The {name} field must be a date in the format YYYY-MM-DD."),
                );
                None
            }
            Patch::Null => Some(None),
            Patch::Absent => None,
        },
        FieldKind::String => match read_string(value, path, def.max_length(), errors) {
            Patch::Set(s) => Some(Some(Value::String(s))),
            Patch::Null => Some(None),
            Patch::Absent => None,
        },
        FieldKind::Dropdown => match read_string(value, path, MAX_STRING, errors) {
            Patch::Set(s) => match def
                .choices()
                .into_iter()
                .find(|c| name_key(c) == name_key(&s))
            {
                Some(choice) => Some(Some(Value::String(choice.to_owned()))),
                None => {
                    errors.add(path, invalid_choice(&name, &def.choices()));
                    None
                }
            },
            Patch::Null => Some(None),
            Patch::Absent => None,
        },
    }
}

/// Custom-field values as a request sends them: `{label: value}`, not yet matched to the tenant's
/// definitions (which only the store has; see [`CustomValues::resolve`]).
#[derive(Debug, Clone, Default)]
pub struct CustomValues(Map<String, Value>);

impl From<Map<String, Value>> for CustomValues {
    fn from(values: Map<String, Value>) -> Self {
        Self(values)
    }
}

impl CustomValues {
    /// Resolves the values against the tenant's definitions for companies. Errors are keyed
    /// `{prefix}{label}` as the label was sent; labels match case-insensitively. Returns
    /// `(field id, new value or None to remove)` for every valid entry.
    pub fn resolve(
        &self,
        definitions: &[Definition],
        prefix: &str,
        errors: &mut ValidationErrors,
    ) -> Vec<(i64, Option<Value>)> {
        resolve_values(definitions, &self.0, prefix, errors)
    }
}

fn resolve_values(
    definitions: &[Definition],
    values: &Map<String, Value>,
    prefix: &str,
    errors: &mut ValidationErrors,
) -> Vec<(i64, Option<Value>)> {
    let mut out: Vec<(i64, Option<Value>)> = Vec::new();
    for (sent_label, value) in values {
        let path = format!("{prefix}{sent_label}");
        let key = name_key(sent_label.trim());
        let Some(def) = definitions.iter().find(|d| name_key(&d.label) == key) else {
            errors.add(
                &path,
                format!("The custom field {} does not exist.", sent_label.trim()),
            );
            continue;
        };
        if !def.applies_to_companies() {
            errors.add(
                &path,
                format!(
                    "The custom field {} does not apply to companies.",
                    def.label
                ),
            );
            continue;
        }
        if let Some(v) = check_value(def, value, &path, errors) {
            out.retain(|(id, _)| *id != def.id);
            out.push((def.id, v));
        }
    }
    out
}

/// A stored value, parsed back from its JSON text (a malformed one reads as its raw text).
pub fn stored_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: FieldKind, options: Value) -> Definition {
        Definition {
            id: 1,
            label: "Region".into(),
            kind,
            object_types: vec!["companies".into()],
            options: options.as_object().cloned().unwrap_or_default(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn check(d: &Definition, v: Value) -> (Option<Option<Value>>, bool) {
        let mut e = ValidationErrors::new();
        let r = check_value(d, &v, "custom_fields.Region", &mut e);
        (r, e.is_empty())
    }

    #[test]
    fn numbers_are_json_numbers_or_numeric_strings() {
        let d = def(FieldKind::Number, json!({}));
        assert_eq!(check(&d, json!(5)), (Some(Some(json!(5))), true));
        assert_eq!(check(&d, json!(2.5)), (Some(Some(json!(2.5))), true));
        assert_eq!(check(&d, json!("5")), (Some(Some(json!(5))), true));
        assert_eq!(check(&d, json!("-3.5")), (Some(Some(json!(-3.5))), true));
        assert_eq!(check(&d, json!(null)), (Some(None), true));
        for bad in ["1e3", "0x1", " 12 ", "", "12abc", "+1"] {
            assert_eq!(check(&d, json!(bad)), (None, false), "{bad:?}");
        }
    }

    #[test]
    fn object_types_take_logical_names_and_aliases() {
        let body = json!({"label": "R", "type": "string",
                          "object_types": ["companies", "Products", "sales_order", "sales-orders", "contacts"]});
        let p = parse_definition(body.as_object().expect("object"), true);
        assert_eq!(
            p.peek().object_types,
            Some(vec![
                "companies".to_owned(),
                "products".to_owned(),
                "sales-orders".to_owned()
            ])
        );
        let keys: Vec<_> = p
            .errors()
            .entries()
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(keys, ["object_types.4"]);
        let body = json!({"object_types": []});
        let p = parse_definition(body.as_object().expect("object"), false);
        assert!(p.is_well_formed());
        assert_eq!(p.peek().object_types, Some(Vec::new()));
        assert_eq!(object_type(" Company "), Some("companies"));
        assert_eq!(object_type("contacts"), None);
    }

    #[test]
    fn values_of_fields_unlinked_from_companies_are_refused() {
        let mut d = def(FieldKind::String, json!({}));
        d.object_types = vec!["products".into()];
        let mut e = ValidationErrors::new();
        let body = json!({"Region": "x"});
        let out = resolve_values(&[d], body.as_object().expect("object"), "", &mut e);
        assert!(out.is_empty());
        assert_eq!(
            e.entries(),
            [(
                "Region".to_owned(),
                vec!["The custom field Region does not apply to companies.".to_owned()]
            )]
        );
    }

    #[test]
    fn dates_are_calendar_days() {
        let d = def(FieldKind::Date, json!({}));
        assert_eq!(
            check(&d, json!("2024-02-29")),
            (Some(Some(json!("2024-02-29"))), true)
        );
        for bad in [
            json!("2023-02-29"),
            json!("2024-1-01"),
            json!("yesterday"),
            json!(20240101),
        ] {
            assert!(!check(&d, bad).1);
        }
    }

    #[test]
    fn strings_respect_max_length() {
        let d = def(FieldKind::String, json!({"maxLength": 3}));
        assert_eq!(check(&d, json!(" abc ")), (Some(Some(json!("abc"))), true));
        assert_eq!(check(&d, json!("abcd")), (None, false));
        assert_eq!(check(&d, json!("")), (Some(None), true));
        assert_eq!(check(&d, json!(3)), (None, false));
    }

    #[test]
    fn dropdown_values_are_choices() {
        let d = def(FieldKind::Dropdown, json!({"choices": ["North", "South"]}));
        assert_eq!(
            check(&d, json!("north")),
            (Some(Some(json!("North"))), true)
        );
        assert_eq!(check(&d, json!("East")), (None, false));
    }

    #[test]
    fn definitions_need_label_type_and_dropdown_choices() {
        let p = parse_definition(&Map::new(), true)
            .finish()
            .err()
            .unwrap_or_default();
        let keys: Vec<_> = p.entries().iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys, ["label", "type"]);
        let body = json!({"label": "R", "type": "dropdown", "options": {"choices": []}});
        let planned = parse_definition(body.as_object().expect("object"), true)
            .then(|patch, errors| plan_definition(None, &patch, errors));
        assert!(planned.peek().is_some());
        assert!(planned.finish().is_err_and(|e| e.has("options.choices")));
        let body = json!({"label": "R", "type": "text", "object_types": ["contacts"]});
        let p = parse_definition(body.as_object().expect("object"), true).finish();
        assert!(p.is_err_and(|e| e.has("type") && e.has("object_types.0")));
    }

    #[test]
    fn unknown_labels_are_keyed_as_sent() {
        let defs = vec![def(FieldKind::String, json!({}))];
        let mut e = ValidationErrors::new();
        let body = json!({"region": "x", "Nope": 1});
        let out = resolve_values(
            &defs,
            body.as_object().expect("object"),
            "custom_fields.",
            &mut e,
        );
        assert_eq!(out, vec![(1, Some(json!("x")))]);
        assert!(e.has("custom_fields.Nope"));
    }
}
