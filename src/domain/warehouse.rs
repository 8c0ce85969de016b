//! Warehouses (issue 10): what a create or update body may say, the rules that turn a stored
//! warehouse and a patch into the new one (unique names, a parent without cycles), the conflicts
//! of a delete, and the object the API returns.

pub mod list;

pub use list::WarehouseListField;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::Timestamp;
use super::errors::ValidationErrors;
use super::input::{Body, Draft, Name, Patch};
use super::limits::MAX_WAREHOUSE_DEPTH;

/// The warehouse every tenant starts with (new tenants, and those migrated from before warehouses).
pub const DEFAULT_NAME: &str = "Main Warehouse";

/// Another warehouse of the tenant has the name (compared case-insensitively).
pub const NAME_TAKEN: &str = "The name has already been taken.";
/// The 422 of a `parent_id` that is not a warehouse of the tenant.
pub const PARENT_MISSING: &str = "The selected parent id is invalid.";
/// The 409 of deleting a tenant's only warehouse.
pub const DELETE_LAST: &str = "The warehouse cannot be deleted: it is the only warehouse, and there \
     must always be one. Create another warehouse first.";

/// `status` of a warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum WarehouseStatus {
    #[default]
    Active,
    Inactive,
}

impl WarehouseStatus {
    pub const ALL: [WarehouseStatus; 2] = [WarehouseStatus::Active, WarehouseStatus::Inactive];

    /// The name in bodies, objects and the database.
    pub fn name(self) -> &'static str {
        match self {
            WarehouseStatus::Active => "active",
            WarehouseStatus::Inactive => "inactive",
        }
    }

    /// The status named `s` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.name().eq_ignore_ascii_case(s))
    }
}

impl Serialize for WarehouseStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Everything about a warehouse that a body can change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarehouseRecord {
    pub status: WarehouseStatus,
    pub name: String,
    pub parent_id: Option<i64>,
}

/// The parts a warehouse object is built from.
#[derive(Debug, Clone)]
pub struct WarehouseParts {
    pub id: i64,
    pub record: WarehouseRecord,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The warehouse object, fields in the order of the Luminous reference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Warehouse {
    pub id: i64,
    pub status: WarehouseStatus,
    pub name: String,
    pub parent_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Warehouse {
    pub fn new(p: WarehouseParts) -> Self {
        Warehouse {
            id: p.id,
            status: p.record.status,
            name: p.record.name,
            parent_id: p.record.parent_id,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A create or update body: absent fields keep their value on update (and take the default on
/// create).
#[derive(Debug, Clone, Default)]
pub struct WarehousePatch {
    pub name: Option<Name>,
    /// `null` (or `""`) means the default, `active`.
    pub status: Option<WarehouseStatus>,
    pub parent_id: Patch<i64>,
}

/// Reads a `POST /warehouses` (`create`) or `POST|PUT|PATCH /warehouses/{id}` body. Unknown keys
/// are ignored, as in every body.
pub fn parse(object: &Map<String, Value>, create: bool) -> Draft<WarehousePatch> {
    let mut body = Body::new(object);
    let name = body.name("name", create);
    let status = match body.string("status", super::input::MAX_STRING) {
        Patch::Absent => None,
        Patch::Null => Some(WarehouseStatus::default()),
        Patch::Set(s) => match WarehouseStatus::parse(&s) {
            Some(st) => Some(st),
            None => {
                body.error(
                    "status",
                    "The selected status is invalid. Use active or inactive.",
                );
                None
            }
        },
    };
    let parent_id = body.integer("parent_id");
    Draft::new(
        WarehousePatch {
            name,
            status,
            parent_id,
        },
        body.errors,
    )
}

/// The parent a body names, as the store found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParentCheck {
    /// Not in the body, cleared, or a warehouse of the tenant that may be the parent.
    #[default]
    Fine,
    Missing,
    /// More than [`MAX_WAREHOUSE_DEPTH`] warehouses above it.
    TooDeep,
    /// The warehouse itself.
    Itself,
    /// One of the warehouse's descendants.
    Cycle,
}

/// Judges `parent` as the parent of `warehouse` (`None` on create): whether it exists in the
/// tenant, and its own ancestors, nearest first (at most one more than the bound).
pub fn parent_check(
    warehouse: Option<i64>,
    parent: i64,
    exists: bool,
    parent_ancestors: &[i64],
) -> ParentCheck {
    if warehouse == Some(parent) {
        ParentCheck::Itself
    } else if !exists {
        ParentCheck::Missing
    } else if parent_ancestors.len() > MAX_WAREHOUSE_DEPTH {
        ParentCheck::TooDeep
    } else if warehouse.is_some_and(|w| parent_ancestors.contains(&w)) {
        ParentCheck::Cycle
    } else {
        ParentCheck::Fine
    }
}

/// What only the store can tell about a warehouse body, gathered inside the write transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct WarehouseChecks {
    /// Another warehouse of the tenant has the body's name.
    pub name_taken: bool,
    pub parent: ParentCheck,
}

/// The 422 message for a parent with more than [`MAX_WAREHOUSE_DEPTH`] ancestors.
pub fn parent_too_deep() -> String {
    format!("The parent id must not have more than {MAX_WAREHOUSE_DEPTH} warehouses above it.")
}

/// Applies a warehouse body to the stored warehouse (`None` on create), with what the store
/// found: the warehouse to write, or every error in the order found.
pub fn finish(
    draft: Draft<WarehousePatch>,
    current: Option<&WarehouseRecord>,
    checks: WarehouseChecks,
) -> Result<WarehouseRecord, ValidationErrors> {
    let planned = draft.then(|patch, errors| {
        if checks.name_taken {
            errors.add("name", NAME_TAKEN);
        }
        match checks.parent {
            ParentCheck::Fine => {}
            ParentCheck::Missing => errors.add("parent_id", PARENT_MISSING),
            ParentCheck::TooDeep => errors.add("parent_id", parent_too_deep()),
            ParentCheck::Itself => errors.add(
                "parent_id",
                "The parent id must be another warehouse than this one.",
            ),
            ParentCheck::Cycle => errors.add(
                "parent_id",
                "The parent id would make the warehouse its own ancestor.",
            ),
        }
        let name = match (patch.name, current) {
            (Some(n), _) => Some(n.into_string()),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => None,
        };
        let base = current.cloned().unwrap_or_default();
        name.map(|name| WarehouseRecord {
            status: patch.status.unwrap_or(base.status),
            name,
            parent_id: patch.parent_id.apply(base.parent_id),
        })
    });
    // A create without a name was reported by `parse`; this is only the type's guarantee.
    planned
        .finish()?
        .ok_or_else(|| ValidationErrors::single("name", "The name field is required."))
}

/// The message of a 409 for a warehouse that other warehouses have as their parent.
pub fn delete_conflict_children(children: u64) -> String {
    let noun = if children == 1 {
        "warehouse"
    } else {
        "warehouses"
    };
    format!(
        "The warehouse cannot be deleted: it is the parent of {children} {noun}. \
         Move or delete them first."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn messages(e: &ValidationErrors) -> Vec<(String, Vec<String>)> {
        e.entries().to_vec()
    }

    #[test]
    fn create_reports_every_error_at_once() {
        let e = parse(&obj(json!({"status": "closed", "parent_id": "x"})), true)
            .finish()
            .err()
            .unwrap_or_default();
        assert_eq!(
            messages(&e),
            [
                ("name".into(), vec!["The name field is required.".into()]),
                (
                    "status".into(),
                    vec!["The selected status is invalid. Use active or inactive.".into()]
                ),
                (
                    "parent_id".into(),
                    vec!["The parent id field must be an integer.".into()]
                ),
            ]
        );
        let e = parse(&obj(json!({"name": "x".repeat(256), "status": 1})), true)
            .finish()
            .err()
            .unwrap_or_default();
        assert_eq!(
            messages(&e),
            [
                (
                    "name".into(),
                    vec!["The name field must not be greater than 255 characters.".into()]
                ),
                (
                    "status".into(),
                    vec!["The status field must be a string.".into()]
                ),
            ]
        );
    }

    #[test]
    fn create_takes_defaults_and_update_keeps_what_is_absent() {
        let draft = parse(&obj(json!({"name": " Dock ", "ignored": true})), true);
        let new = finish(draft, None, WarehouseChecks::default()).expect("valid");
        assert_eq!(
            new,
            WarehouseRecord {
                status: WarehouseStatus::Active,
                name: "Dock".into(),
                parent_id: None,
            }
        );
        let current = WarehouseRecord {
            status: WarehouseStatus::Inactive,
            name: "Dock".into(),
            parent_id: Some(3),
        };
        let same = finish(
            parse(&Map::new(), false),
            Some(&current),
            WarehouseChecks::default(),
        );
        assert_eq!(same.ok(), Some(current.clone()));
        let cleared = finish(
            parse(&obj(json!({"parent_id": null, "status": "ACTIVE"})), false),
            Some(&current),
            WarehouseChecks::default(),
        );
        assert_eq!(
            cleared.ok(),
            Some(WarehouseRecord {
                status: WarehouseStatus::Active,
                name: "Dock".into(),
                parent_id: None,
            })
        );
        let reset = finish(
            parse(&obj(json!({"status": null})), false),
            Some(&current),
            WarehouseChecks::default(),
        );
        assert_eq!(reset.map(|r| r.status).ok(), Some(WarehouseStatus::Active));
    }

    #[test]
    fn names_may_not_be_cleared_and_taken_names_are_refused() {
        let current = WarehouseRecord::default();
        for body in [json!({"name": null}), json!({"name": "  "})] {
            let e = finish(
                parse(&obj(body), false),
                Some(&current),
                WarehouseChecks::default(),
            )
            .err()
            .unwrap_or_default();
            assert_eq!(
                messages(&e),
                [("name".into(), vec!["The name field is required.".into()])]
            );
        }
        let e = finish(
            parse(&obj(json!({"name": "Dock"})), true),
            None,
            WarehouseChecks {
                name_taken: true,
                parent: ParentCheck::Missing,
            },
        )
        .err()
        .unwrap_or_default();
        assert_eq!(
            messages(&e),
            [
                ("name".into(), vec![NAME_TAKEN.into()]),
                ("parent_id".into(), vec![PARENT_MISSING.into()]),
            ]
        );
    }

    #[test]
    fn parents() {
        assert_eq!(parent_check(Some(1), 1, true, &[]), ParentCheck::Itself);
        assert_eq!(parent_check(Some(1), 2, false, &[]), ParentCheck::Missing);
        assert_eq!(parent_check(None, 2, false, &[]), ParentCheck::Missing);
        assert_eq!(parent_check(Some(1), 3, true, &[2, 1]), ParentCheck::Cycle);
        assert_eq!(parent_check(Some(1), 3, true, &[2]), ParentCheck::Fine);
        assert_eq!(parent_check(None, 3, true, &[2]), ParentCheck::Fine);
        let deep: Vec<i64> = (10..10 + MAX_WAREHOUSE_DEPTH as i64 + 1).collect();
        assert_eq!(parent_check(Some(1), 3, true, &deep), ParentCheck::TooDeep);
        assert_eq!(
            parent_check(Some(1), 3, true, &deep[..MAX_WAREHOUSE_DEPTH]),
            ParentCheck::Fine
        );
    }

    #[test]
    fn delete_conflicts_count_children() {
        assert_eq!(
            delete_conflict_children(1),
            "The warehouse cannot be deleted: it is the parent of 1 warehouse. Move or delete them first."
        );
        assert!(delete_conflict_children(2).contains("the parent of 2 warehouses."));
    }

    #[test]
    fn the_object_keeps_the_reference_order() {
        let w = Warehouse::new(WarehouseParts {
            id: 7,
            record: WarehouseRecord {
                status: WarehouseStatus::Inactive,
                name: "Dock".into(),
                parent_id: None,
            },
            created_at: Timestamp(0),
            updated_at: Timestamp(60),
        });
        assert_eq!(
            serde_json::to_string(&w).ok(),
            Some(
                r#"{"id":7,"status":"inactive","name":"Dock","parent_id":null,"created_at":"1970-01-01T00:00:00Z","updated_at":"1970-01-01T00:01:00Z"}"#
                    .into()
            )
        );
    }
}
