//! The kinds of record the API keeps, named without SQL: use cases and handlers say which kind
//! they mean, and the store maps each kind to its tables.

/// A kind of record that belongs to a tenant, carries tags and moves its `updated_at` when they
/// change: contacts, companies, and whatever comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Contact,
    Company,
}

impl RecordKind {
    /// Every kind (a tag's renaming or deletion touches the records of each).
    pub const ALL: [RecordKind; 2] = [RecordKind::Contact, RecordKind::Company];
}
