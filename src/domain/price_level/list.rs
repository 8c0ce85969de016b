//! `GET /price-levels`: what it may filter and sort on.

use crate::query::{FieldSpec, FieldType, ListField, list_fields};

list_fields! {
    /// A field of the price-level list.
    pub enum PriceLevelListField {
        Id,
        Name,
        Status,
        Type,
        CreatedAt,
        UpdatedAt,
    }
}

impl ListField for PriceLevelListField {
    const ID: Self = PriceLevelListField::Id;

    fn spec(self) -> FieldSpec {
        use FieldType::*;
        use PriceLevelListField as F;
        match self {
            F::Id => FieldSpec::new("id", Number).sortable(),
            F::Name => FieldSpec::new("name", String).sortable(),
            F::Status => FieldSpec::new("status", String),
            F::Type => FieldSpec::new("type", String),
            F::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
            F::UpdatedAt => FieldSpec::new("updated_at", Date).sortable(),
        }
    }
}
