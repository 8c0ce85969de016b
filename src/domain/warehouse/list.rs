//! `GET /warehouses`: what it may filter and sort on.

use crate::query::{FieldSpec, FieldType, ListField, list_fields};

list_fields! {
    /// A field of the warehouse list.
    pub enum WarehouseListField {
        Id,
        Name,
        Status,
        ParentId,
        CreatedAt,
        UpdatedAt,
    }
}

impl ListField for WarehouseListField {
    const ID: Self = WarehouseListField::Id;

    fn spec(self) -> FieldSpec {
        use FieldType::*;
        use WarehouseListField as F;
        match self {
            F::Id => FieldSpec::new("id", Number).sortable(),
            F::Name => FieldSpec::new("name", String).sortable(),
            F::Status => FieldSpec::new("status", String),
            F::ParentId => FieldSpec::new("parent_id", Number),
            F::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
            F::UpdatedAt => FieldSpec::new("updated_at", Date),
        }
    }
}
