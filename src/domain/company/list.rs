//! §5.4: what `GET /companies` may filter and sort on.

use crate::query::{FieldSpec, FieldType, ListField, list_fields};

list_fields! {
    /// A field of the company list.
    pub enum CompanyListField {
        Id,
        Name,
        Status,
        /// The client type's name.
        Type,
        City,
        State,
        Country,
        PostalCode,
        Phone,
        PaymentTerm,
        TaxExempt,
        ParentCompanyId,
        PriceLevelId,
        Tag,
        CreatedAt,
        UpdatedAt,
    }
}

impl ListField for CompanyListField {
    const ID: Self = CompanyListField::Id;

    fn spec(self) -> FieldSpec {
        use CompanyListField as F;
        use FieldType::*;
        match self {
            F::Id => FieldSpec::new("id", Number).sortable(),
            F::Name => FieldSpec::new("name", String).sortable(),
            F::Status => FieldSpec::new("status", String),
            F::Type => FieldSpec::new("type", String),
            F::City => FieldSpec::new("city", String).sortable(),
            F::State => FieldSpec::new("state", String).sortable(),
            F::Country => FieldSpec::new("country", String).sortable(),
            F::PostalCode => FieldSpec::new("postal_code", String),
            F::Phone => FieldSpec::new("phone", String),
            F::PaymentTerm => FieldSpec::new("payment_term", String),
            F::TaxExempt => FieldSpec::new("tax_exempt", Boolean),
            F::ParentCompanyId => FieldSpec::new("parent_company_id", Number),
            F::PriceLevelId => FieldSpec::new("price_level_id", Number),
            F::Tag => FieldSpec::new("tag", Tag),
            F::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
            F::UpdatedAt => FieldSpec::new("updated_at", Date).sortable(),
        }
    }
}
