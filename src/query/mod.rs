//! The list query language of contract section 6: paging, filters and sorting.
//!
//! [`parse`] turns decoded query-string pairs into a backend-neutral [`ListQuery`] (collecting every
//! 422 at once), and [`render`] turns that into a WHERE expression and an ORDER BY list with `$N`
//! placeholders for a given [`SqlMapping`].

pub mod parse;
pub mod sql;

pub use parse::{
    FieldType, Filter, FilterField, ListQuery, Op, Operand, Page, Schema, Sort, parse,
};
pub use sql::{Dialect, SqlField, SqlMapping, render};
