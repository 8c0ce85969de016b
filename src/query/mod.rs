//! The list query language of contract section 6: paging, filters and sorting, backend-neutral.
//!
//! Each list names its fields with an enum implementing [`ListField`], declared beside its entity in
//! `domain`. [`parse`] turns decoded query-string pairs into a [`ListQuery`] of those fields
//! (collecting every 422 at once). Rendering it to SQL is the store's (`store::list`).

pub mod field;
pub mod parse;

pub(crate) use field::list_fields;
pub use field::{FieldSpec, FieldType, ListField, Op};
pub use parse::{Filter, ListQuery, Operand, Page, Sort, parse};
