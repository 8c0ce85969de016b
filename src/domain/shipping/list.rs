//! `GET /companies/{id}/shipping-addresses`: what it may filter and sort on.

use crate::query::{FieldSpec, FieldType, ListField, list_fields};

list_fields! {
    /// A field of a company's shipping-address list.
    pub enum ShippingListField {
        Id,
        FirstName,
        LastName,
        Email,
        Phone,
        Address,
        City,
        State,
        PostalCode,
        Country,
        IsDefault,
        CreatedAt,
        UpdatedAt,
    }
}

impl ListField for ShippingListField {
    const ID: Self = ShippingListField::Id;

    fn spec(self) -> FieldSpec {
        use FieldType::*;
        use ShippingListField as F;
        match self {
            F::Id => FieldSpec::new("id", Number).sortable(),
            F::FirstName => FieldSpec::new("first_name", String),
            F::LastName => FieldSpec::new("last_name", String),
            F::Email => FieldSpec::new("email", String),
            F::Phone => FieldSpec::new("phone", String),
            F::Address => FieldSpec::new("address", String).aliases(&["address_1"]),
            F::City => FieldSpec::new("city", String).sortable(),
            F::State => FieldSpec::new("state", String).sortable(),
            F::PostalCode => FieldSpec::new("postal_code", String)
                .aliases(&["zip"])
                .sortable(),
            F::Country => FieldSpec::new("country", String).sortable(),
            F::IsDefault => FieldSpec::new("is_default", Boolean),
            F::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
            F::UpdatedAt => FieldSpec::new("updated_at", Date).sortable(),
        }
    }
}
