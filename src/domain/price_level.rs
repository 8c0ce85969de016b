//! Price levels (issue 10): the object `GET /price-levels/{id}` returns (bare, as the Luminous
//! page shows it, and embedded as a company's `price_level`), what a create or update body may
//! say (a Rolodex extension: the hosted product manages levels in its app), and the rules.

pub mod list;

pub use list::PriceLevelListField;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::Timestamp;
use super::errors::ValidationErrors;
use super::input::{Body, Draft, MAX_STRING, Patch, label, read_number};

/// Whether a level is offered; both may be assigned to companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum LevelStatus {
    Active,
    Inactive,
}

/// How a level prices: `percentage` is the base price changed by `percent_increase` percent;
/// `fixed` means the level has its own fixed price per product (kept by the hosted product's
/// price lists, which Rolodex does not serve), so `percent_increase` is only informative there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum LevelType {
    Percentage,
    Fixed,
}

/// A fixed set of lower-case names, read case-insensitively.
pub trait Named: Copy + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;

    fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name().eq_ignore_ascii_case(s))
    }
}

impl Named for LevelStatus {
    const ALL: &'static [Self] = &[LevelStatus::Active, LevelStatus::Inactive];

    fn name(self) -> &'static str {
        match self {
            LevelStatus::Active => "active",
            LevelStatus::Inactive => "inactive",
        }
    }
}

impl Named for LevelType {
    const ALL: &'static [Self] = &[LevelType::Percentage, LevelType::Fixed];

    fn name(self) -> &'static str {
        match self {
            LevelType::Percentage => "percentage",
            LevelType::Fixed => "fixed",
        }
    }
}

impl Serialize for LevelStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Serialize for LevelType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// `percent_increase` must be above this (a decrease of 100 % or more would make prices free or
/// negative).
pub const MIN_PERCENT_INCREASE: f64 = -100.0;
/// The largest `percent_increase`: a price at most 101 times the base.
pub const MAX_PERCENT_INCREASE: f64 = 10_000.0;

/// Another level of the tenant already has the name (compared case-insensitively).
pub const NAME_TAKEN: &str = "The name has already been taken.";
/// The 422 of a company's `price_level_id` that is not a level of the tenant.
pub const PRICE_LEVEL_MISSING: &str = "The selected price level id is invalid.";

/// What a price level is made of, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceLevelRecord {
    pub name: String,
    pub status: LevelStatus,
    pub kind: LevelType,
    pub percent_increase: f64,
}

/// The price-level object, fields in the Luminous page's order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PriceLevel {
    pub id: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub status: LevelStatus,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: LevelType,
    pub percent_increase: f64,
}

impl PriceLevel {
    pub fn new(id: i64, r: PriceLevelRecord, created_at: Timestamp, updated_at: Timestamp) -> Self {
        PriceLevel {
            id,
            created_at,
            updated_at,
            status: r.status,
            name: r.name,
            kind: r.kind,
            percent_increase: r.percent_increase,
        }
    }
}

/// A create or update body; `None` keeps the stored value (on create: the default).
#[derive(Debug, Clone, Default)]
pub struct PriceLevelPatch {
    pub name: Option<String>,
    pub status: Option<LevelStatus>,
    pub kind: Option<LevelType>,
    pub percent_increase: Option<f64>,
}

/// One of a fixed set of names. `null` (or `""`) means the default on create and is refused on
/// update, where the field cannot be cleared.
fn read_named<T: Named>(body: &mut Body<'_>, key: &str, create: bool) -> Option<T> {
    match body.string(key, MAX_STRING) {
        Patch::Set(s) => match T::parse(&s) {
            Some(v) => Some(v),
            None => {
                let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
                body.error(
                    key,
                    format!(
                        "The selected {} is invalid. Use {}.",
                        label(key),
                        names.join(" or ")
                    ),
                );
                None
            }
        },
        Patch::Null if !create => {
            body.required(key);
            None
        }
        Patch::Null | Patch::Absent => None,
    }
}

fn read_percent_increase(body: &mut Body<'_>, create: bool) -> Option<f64> {
    const KEY: &str = "percent_increase";
    let value = body.raw(KEY)?;
    match read_number(value, KEY, &mut body.errors) {
        Patch::Set(p) if p <= MIN_PERCENT_INCREASE => {
            body.error(
                KEY,
                format!("The percent increase field must be greater than {MIN_PERCENT_INCREASE}."),
            );
            None
        }
        Patch::Set(p) if p > MAX_PERCENT_INCREASE => {
            body.error(
                KEY,
                format!(
                    "The percent increase field must not be greater than {MAX_PERCENT_INCREASE}."
                ),
            );
            None
        }
        Patch::Set(p) => Some(p),
        Patch::Null if !create => {
            body.required(KEY);
            None
        }
        Patch::Null | Patch::Absent => None,
    }
}

/// Reads a `POST /price-levels` (`create`) or `POST|PUT|PATCH /price-levels/{id}` body.
pub fn parse(object: &Map<String, Value>, create: bool) -> Draft<PriceLevelPatch> {
    let mut body = Body::new(object);
    let name = body.name("name", create).map(|n| n.into_string());
    let status = read_named(&mut body, "status", create);
    let kind = read_named(&mut body, "type", create);
    let percent_increase = read_percent_increase(&mut body, create);
    Draft::new(
        PriceLevelPatch {
            name,
            status,
            kind,
            percent_increase,
        },
        body.errors,
    )
}

/// What only the store can tell about a price-level body.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceLevelChecks {
    /// Another level of the tenant has the name.
    pub name_taken: bool,
}

/// The level after the body (`current` is `None` on create: defaults `active`, `percentage`, 0),
/// or every error found.
pub fn finish(
    draft: Draft<PriceLevelPatch>,
    current: Option<&PriceLevelRecord>,
    checks: PriceLevelChecks,
) -> Result<PriceLevelRecord, ValidationErrors> {
    let planned = draft.then(|patch, errors| {
        if checks.name_taken {
            errors.add("name", NAME_TAKEN);
        }
        let name = patch.name.or_else(|| current.map(|c| c.name.clone()))?;
        Some(PriceLevelRecord {
            name,
            status: patch
                .status
                .or(current.map(|c| c.status))
                .unwrap_or(LevelStatus::Active),
            kind: patch
                .kind
                .or(current.map(|c| c.kind))
                .unwrap_or(LevelType::Percentage),
            percent_increase: patch
                .percent_increase
                .or(current.map(|c| c.percent_increase))
                .unwrap_or(0.0),
        })
    });
    // Without a name the body had errors (a create's missing name was reported).
    planned
        .finish()?
        .ok_or_else(|| ValidationErrors::single("name", "The name field is required."))
}

/// The message of a 409 for a level that companies still use.
pub fn delete_conflict(companies: u64) -> String {
    let noun = if companies == 1 {
        "company uses"
    } else {
        "companies use"
    };
    format!(
        "The price level cannot be deleted: {companies} {noun} it. \
         Give them another price level first."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn keys(e: &ValidationErrors) -> Vec<&str> {
        e.entries().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn create_defaults_and_reads_leniently() {
        let r = finish(
            parse(&obj(json!({"name": " Wholesale "})), true),
            None,
            PriceLevelChecks::default(),
        );
        assert_eq!(
            r.ok(),
            Some(PriceLevelRecord {
                name: "Wholesale".into(),
                status: LevelStatus::Active,
                kind: LevelType::Percentage,
                percent_increase: 0.0
            })
        );
        let r = finish(
            parse(
                &obj(
                    json!({"name": "R", "status": "INACTIVE", "type": "Fixed", "percent_increase": "-12.5"}),
                ),
                true,
            ),
            None,
            PriceLevelChecks::default(),
        );
        assert_eq!(
            r.ok().map(|r| (r.status, r.kind, r.percent_increase)),
            Some((LevelStatus::Inactive, LevelType::Fixed, -12.5))
        );
    }

    #[test]
    fn every_error_at_once() {
        let p = parse(
            &obj(json!({"status": "gone", "type": "tiered", "percent_increase": -100})),
            true,
        );
        assert_eq!(
            keys(p.errors()),
            ["name", "status", "type", "percent_increase"]
        );
        let p = parse(&obj(json!({"percent_increase": 10_000.5})), false);
        assert_eq!(keys(p.errors()), ["percent_increase"]);
        let p = parse(
            &obj(json!({"name": null, "status": null, "type": "", "percent_increase": null})),
            false,
        );
        assert_eq!(
            keys(p.errors()),
            ["name", "status", "type", "percent_increase"]
        );
        // On create, null is the default.
        let p = parse(
            &obj(json!({"name": "A", "status": null, "type": null, "percent_increase": null})),
            true,
        );
        assert!(p.is_well_formed());
    }

    #[test]
    fn bounds_of_percent_increase() {
        for (v, ok) in [
            (json!(-99.99), true),
            (json!(-100), false),
            (json!(10_000), true),
            (json!(10_000.01), false),
            (json!("1e3"), false),
            (json!(true), false),
        ] {
            let p = parse(&obj(json!({"percent_increase": v})), false);
            assert_eq!(p.is_well_formed(), ok, "{v}");
        }
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name() {
        let current = PriceLevelRecord {
            name: "A".into(),
            status: LevelStatus::Inactive,
            kind: LevelType::Fixed,
            percent_increase: 3.0,
        };
        let r = finish(
            parse(&obj(json!({"percent_increase": 4})), false),
            Some(&current),
            PriceLevelChecks::default(),
        );
        assert_eq!(
            r.ok(),
            Some(PriceLevelRecord {
                percent_increase: 4.0,
                ..current.clone()
            })
        );
        let r = finish(
            parse(&obj(json!({"name": "B"})), false),
            Some(&current),
            PriceLevelChecks { name_taken: true },
        );
        assert!(r.is_err_and(|e| keys(&e) == ["name"]));
    }

    #[test]
    fn objects_render_in_the_reference_order() {
        let level = PriceLevel::new(
            123,
            PriceLevelRecord {
                name: "Wholesale".into(),
                status: LevelStatus::Active,
                kind: LevelType::Percentage,
                percent_increase: 15.5,
            },
            Timestamp(1_678_890_600),
            Timestamp(1_678_890_600),
        );
        assert_eq!(
            serde_json::to_string(&level).ok(),
            Some(
                r#"{"id":123,"created_at":"2023-03-15T14:30:00Z","updated_at":"2023-03-15T14:30:00Z","status":"active","name":"Wholesale","type":"percentage","percent_increase":15.5}"#
                    .to_owned()
            )
        );
    }
}
