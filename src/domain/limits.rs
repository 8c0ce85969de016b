//! The bounds on what one request (or one record) may carry. Each is far above what a real user
//! sends, and each is answered with a 422 in Laravel's wording, so that no single request can make
//! the server do unbounded work for everyone else. The README and docs/compatibility.md list them.

/// Tag names in one request (`tags` of a contact or company, or a tag endpoint's body).
pub const MAX_TAGS_PER_REQUEST: usize = 100;
/// Tags one contact or company may carry in total.
pub const MAX_TAGS_PER_RECORD: usize = 500;
/// Ids in one `company_ids` array.
pub const MAX_COMPANY_IDS: usize = 100;
/// Choices of one dropdown custom field.
pub const MAX_DROPDOWN_CHOICES: usize = 1_000;
/// Shipping addresses in one company create or update request.
pub const MAX_SHIPPING_ADDRESSES_PER_REQUEST: usize = 100;
/// Filters in one list request.
pub const MAX_FILTERS: usize = 50;
/// Values in one `in` / `notin` list.
pub const MAX_LIST_VALUES: usize = 500;
/// Levels of a company hierarchy: a company's parent may have at most this many ancestors above
/// it, so checking a parent (for cycles) reads at most this many rows.
pub const MAX_COMPANY_DEPTH: usize = 50;
/// Levels of a warehouse hierarchy, bounded like companies' ([`MAX_COMPANY_DEPTH`]).
pub const MAX_WAREHOUSE_DEPTH: usize = 50;
/// Fields with errors that one 422 reports; past this, validation stops collecting (the request is
/// refused all the same).
pub const MAX_ERROR_FIELDS: usize = 100;

/// The 422 for a record that would carry more than [`MAX_TAGS_PER_RECORD`] tags.
pub fn too_many_tags_on_record() -> super::ValidationErrors {
    super::ValidationErrors::single(
        "tags",
        format!("The record must not have more than {MAX_TAGS_PER_RECORD} tags."),
    )
}

/// The 422 message for a parent company with more than [`MAX_COMPANY_DEPTH`] ancestors.
pub fn parent_too_deep() -> String {
    format!("The parent company id must not have more than {MAX_COMPANY_DEPTH} companies above it.")
}

/// Laravel's message for an array over its bound.
pub fn too_many_items(label: &str, max: usize) -> String {
    format!("The {label} field must not have more than {max} items.")
}
