//! The vocabulary of list queries: fields, their types and the operators each type takes. Each list
//! names its fields with an enum that implements [`ListField`], declared with [`list_fields!`]
//! beside its entity in `domain`.

use std::fmt::Debug;

/// A filter operator, named in requests as `field[op]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Contains,
    NotContains,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Set,
    NotSet,
}

impl Op {
    /// The operator for its request name; names are lowercase exactly as in the contract.
    pub fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "contains" => Op::Contains,
            "notcontains" => Op::NotContains,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "in" => Op::In,
            "notin" => Op::NotIn,
            "set" => Op::Set,
            "notset" => Op::NotSet,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Contains => "contains",
            Op::NotContains => "notcontains",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::In => "in",
            Op::NotIn => "notin",
            Op::Set => "set",
            Op::NotSet => "notset",
        }
    }
}

/// What kind of value a filterable field holds; decides the operators and value syntax it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Date,
    Boolean,
    /// A tag name carried by the record (a many-to-many relation).
    Tag,
}

impl FieldType {
    /// Whether the contract lets a field of this type take `op`.
    pub fn allows(self, op: Op) -> bool {
        use Op::*;
        match self {
            FieldType::String => matches!(
                op,
                Eq | Neq | Contains | NotContains | In | NotIn | Set | NotSet
            ),
            FieldType::Number => matches!(
                op,
                Eq | Neq | Gt | Gte | Lt | Lte | In | NotIn | Set | NotSet
            ),
            FieldType::Date => matches!(op, Eq | Neq | Gt | Gte | Lt | Lte | Set | NotSet),
            FieldType::Boolean => matches!(op, Eq | Neq),
            FieldType::Tag => matches!(op, Eq | Neq | In | NotIn | Set | NotSet),
        }
    }
}

/// How requests name one field of a list and what they may do with it. Every field can be filtered
/// on; only some can be sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The canonical name: in requests, in `sort`, and in error messages.
    pub name: &'static str,
    /// Other names accepted for filtering (e.g. `phone_1` for `phone`); `sort` takes only `name`.
    pub aliases: &'static [&'static str],
    pub kind: FieldType,
    pub sortable: bool,
}

impl FieldSpec {
    /// A field that can be filtered on by `name`, but not sorted on.
    pub const fn new(name: &'static str, kind: FieldType) -> Self {
        Self {
            name,
            aliases: &[],
            kind,
            sortable: false,
        }
    }

    /// The same field, sortable too.
    pub const fn sortable(self) -> Self {
        Self {
            sortable: true,
            ..self
        }
    }

    /// The same field, also filtered on by `aliases`.
    pub const fn aliases(self, aliases: &'static [&'static str]) -> Self {
        Self { aliases, ..self }
    }
}

/// The fields of one list endpoint. Implemented by an enum declared with [`list_fields!`], whose
/// [`ListField::spec`] is one exhaustive `match`; the store maps the same enum to SQL with another,
/// so a field without a name or without SQL does not compile.
pub trait ListField: FieldSet + Copy + Eq + Debug + Send + Sync + 'static {
    /// The record's own id: the last sort key of every order, so pages never overlap.
    const ID: Self;
    /// The page size when the request names none (contract §6).
    const DEFAULT_PER_PAGE: u64 = 10;

    fn spec(self) -> FieldSpec;

    fn name(self) -> &'static str {
        self.spec().name
    }

    fn kind(self) -> FieldType {
        self.spec().kind
    }
}

/// Every variant of a list's field enum; [`list_fields!`] implements it, so the two cannot drift
/// apart.
pub trait FieldSet: Sized + 'static {
    /// Every field, in declaration order (the order names are looked up in).
    const ALL: &'static [Self];
}

/// Declares a list's field enum and its [`FieldSet`]; implement [`ListField`] on it by hand.
macro_rules! list_fields {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $crate::query::field::FieldSet for $name {
            const ALL: &'static [Self] = &[$(Self::$variant,)+];
        }
    };
}
pub(crate) use list_fields;
