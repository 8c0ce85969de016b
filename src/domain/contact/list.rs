//! §4.7: what `GET /contacts` (and a company's contacts) may filter and sort on.

use crate::query::{FieldSpec, FieldType, ListField, list_fields};

list_fields! {
    /// A field of the contact list.
    pub enum ContactListField {
        Id,
        FirstName,
        LastName,
        FullName,
        Email,
        Phone,
        Phone2,
        Status,
        /// Any of the companies the contact is linked to.
        CompanyId,
        /// The name of any of the linked companies.
        CompanyName,
        Tag,
        /// The link to the contact's primary company is flagged primary.
        IsPrimary,
        HasPortalLogin,
        CreatedAt,
        UpdatedAt,
    }
}

impl ListField for ContactListField {
    const ID: Self = ContactListField::Id;

    fn spec(self) -> FieldSpec {
        use ContactListField as F;
        use FieldType::*;
        match self {
            F::Id => FieldSpec::new("id", Number).sortable(),
            F::FirstName => FieldSpec::new("first_name", String).sortable(),
            F::LastName => FieldSpec::new("last_name", String).sortable(),
            F::FullName => FieldSpec::new("full_name", String),
            F::Email => FieldSpec::new("email", String).sortable(),
            F::Phone => FieldSpec::new("phone", String).aliases(&["phone_1"]),
            F::Phone2 => FieldSpec::new("phone_2", String),
            F::Status => FieldSpec::new("status", String),
            F::CompanyId => FieldSpec::new("company_id", Number),
            F::CompanyName => FieldSpec::new("company.name", String),
            F::Tag => FieldSpec::new("tag", Tag),
            F::IsPrimary => FieldSpec::new("is_primary", Boolean),
            F::HasPortalLogin => FieldSpec::new("has_portal_login", Boolean),
            F::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
            F::UpdatedAt => FieldSpec::new("updated_at", Date).sortable(),
        }
    }
}
