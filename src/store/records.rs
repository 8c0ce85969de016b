//! The SQL of each [`RecordKind`]: its table, its tag link table, and how one record is found,
//! locked and touched. Every `match` on the kind is here and exhaustive, so a new kind is a
//! compile error until it is mapped.

use super::{Conn, Dialect, StoreError};
use crate::domain::RecordKind;

/// Where a kind of record lives.
struct Tables {
    /// The record table.
    table: &'static str,
    /// The alias queries give the record table (`FROM contacts c`).
    alias: &'static str,
    /// The table linking records to tags, and its column holding the record's id.
    tag_link: &'static str,
    tag_key: &'static str,
}

const fn tables(kind: RecordKind) -> Tables {
    match kind {
        RecordKind::Contact => Tables {
            table: "contacts",
            alias: "c",
            tag_link: "contact_tags",
            tag_key: "contact_id",
        },
        RecordKind::Company => Tables {
            table: "companies",
            alias: "co",
            tag_link: "company_tags",
            tag_key: "company_id",
        },
    }
}

/// The tag link table of the kind and its record-id column (`contact_tags`, `contact_id`).
pub(super) const fn tag_link(kind: RecordKind) -> (&'static str, &'static str) {
    let t = tables(kind);
    (t.tag_link, t.tag_key)
}

/// The clause ending a SELECT from the kind's table (under its alias) that locks the record for
/// the rest of the transaction (see [`Dialect::for_update`]).
pub(super) fn lock_clause(kind: RecordKind, dialect: Dialect) -> String {
    dialect.for_update(&[tables(kind).alias])
}

/// Whether the record exists in the tenant; with `lock` (write transactions only) it is locked
/// for the rest of the transaction (see [`lock_clause`]).
pub async fn exists(
    c: &mut dyn Conn,
    kind: RecordKind,
    tenant_id: i64,
    id: i64,
    lock: bool,
) -> Result<bool, StoreError> {
    let Tables { table, alias, .. } = tables(kind);
    let lock = if lock {
        lock_clause(kind, c.dialect())
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {alias}.id FROM {table} {alias} WHERE {alias}.tenant_id = $1 AND {alias}.id = $2{lock}"
    );
    Ok(c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .is_some())
}

/// Moves the record's `updated_at` to the transaction's time.
pub async fn touch(c: &mut dyn Conn, kind: RecordKind, id: i64) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE {} SET updated_at = $1 WHERE id = $2",
        tables(kind).table
    );
    c.execute(&sql, &[c.now().into(), id.into()]).await?;
    Ok(())
}

/// Moves `updated_at` of every record of the kind that carries the tag (before the tag is
/// renamed, merged or deleted: the records' tags change). One statement over the tag's links;
/// returns how many records moved.
pub async fn touch_tagged(
    c: &mut dyn Conn,
    kind: RecordKind,
    tag_id: i64,
) -> Result<u64, StoreError> {
    let Tables {
        table,
        tag_link,
        tag_key,
        ..
    } = tables(kind);
    let sql = format!(
        "UPDATE {table} SET updated_at = $1 WHERE id IN (SELECT {tag_key} FROM {tag_link} WHERE tag_id = $2)"
    );
    c.execute(&sql, &[c.now().into(), tag_id.into()]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_name_the_alias_of_the_kinds_table() {
        for kind in [RecordKind::Contact, RecordKind::Company] {
            let alias = tables(kind).alias;
            assert_eq!(
                lock_clause(kind, Dialect::Postgres),
                format!(" FOR UPDATE OF {alias}")
            );
            assert_eq!(lock_clause(kind, Dialect::Sqlite), "");
        }
    }
}
