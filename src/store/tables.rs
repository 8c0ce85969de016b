//! Every table of the schema in one list, with how its rows belong to a tenant: the one place that
//! `rolodex copy` (every row), a tenant's reset and deletion, and its snapshots (every record of
//! one tenant) take their tables from, so a table added by a migration cannot be forgotten by one
//! of them. A test compares this list with the migrated schema on both backends
//! (`tests/api/admin_tables.rs`): every table must be listed, and every table with a `tenant_id`
//! column must be scoped by it.

use super::{Conn, Database, Dialect, StoreError, Value};

/// How the rows of a table belong to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// The tenants themselves.
    Tenant,
    /// The tenant's own rows (`tenant_id`) that are not records: its API tokens and snapshots.
    /// A reset keeps them and a snapshot leaves them out; deleting the tenant removes them.
    Access,
    /// A record table with a `tenant_id` column.
    Record,
    /// A record table without `tenant_id` (links, values): a row belongs to the tenant of the
    /// row of `parent` its `column` refers to.
    Linked {
        column: &'static str,
        parent: &'static str,
    },
}

/// A table: its name, its primary key columns and its tenancy.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub key: &'static [&'static str],
    pub tenancy: Tenancy,
}

const fn record(name: &'static str) -> Table {
    Table {
        name,
        key: &["id"],
        tenancy: Tenancy::Record,
    }
}

const fn linked(
    name: &'static str,
    key: &'static [&'static str],
    column: &'static str,
    parent: &'static str,
) -> Table {
    Table {
        name,
        key,
        tenancy: Tenancy::Linked { column, parent },
    }
}

/// Every table of the schema, parents before children (foreign keys are enforced on both
/// backends): inserting in this order and deleting in the reverse order never breaks one.
pub const TABLES: &[Table] = &[
    Table {
        name: "tenants",
        key: &["id"],
        tenancy: Tenancy::Tenant,
    },
    Table {
        name: "api_tokens",
        key: &["id"],
        tenancy: Tenancy::Access,
    },
    Table {
        name: "tenant_snapshots",
        key: &["id"],
        tenancy: Tenancy::Access,
    },
    // After api_tokens: a session refers to the token it was opened with.
    Table {
        name: "console_sessions",
        key: &["id"],
        tenancy: Tenancy::Access,
    },
    record("client_types"),
    // Before companies: `companies.price_level_id` refers to it.
    record("price_levels"),
    record("companies"),
    record("contacts"),
    linked(
        "contact_companies",
        &["contact_id", "company_id"],
        "contact_id",
        "contacts",
    ),
    record("tags"),
    linked(
        "contact_tags",
        &["contact_id", "tag_id"],
        "contact_id",
        "contacts",
    ),
    linked(
        "company_tags",
        &["company_id", "tag_id"],
        "company_id",
        "companies",
    ),
    Table {
        name: "portal_logins",
        key: &["contact_id"],
        tenancy: Tenancy::Record,
    },
    record("custom_fields"),
    linked(
        "company_custom_values",
        &["company_id", "field_id"],
        "company_id",
        "companies",
    ),
    record("shipping_addresses"),
    record("warehouses"),
];

/// Tables that belong to the database itself, not to its data: its migrations, and what SQLite's
/// triggers derive from the contacts (migrations/sqlite/0008: the tenants' contact counts, the
/// FTS5 substring index with its shadow tables, and the contacts it has yet to index; 0012: the
/// counts by name). A target's own triggers rebuild those as the contacts are inserted.
pub const NOT_COPIED: &[&str] = &[
    "schema_migrations",
    "contact_counts",
    "contact_name_counts",
    "contacts_search",
    "contacts_search_config",
    "contacts_search_data",
    "contacts_search_docsize",
    "contacts_search_idx",
    "contacts_search_pending",
];

/// Self-references that may point forward (a parent created after its child): written as NULL
/// first and set once every row of the table exists; cleared before the rows are deleted.
pub const DEFERRED_REFERENCES: &[(&str, &str)] = &[
    ("companies", "parent_company_id"),
    ("warehouses", "parent_id"),
];

/// The tables holding a tenant's records, in insert order.
pub fn record_tables() -> impl DoubleEndedIterator<Item = &'static Table> {
    TABLES
        .iter()
        .filter(|t| matches!(t.tenancy, Tenancy::Record | Tenancy::Linked { .. }))
}

/// The deferred references of `table`.
pub fn deferred_columns(table: &str) -> impl Iterator<Item = &'static str> + '_ {
    DEFERRED_REFERENCES
        .iter()
        .filter(move |(t, _)| *t == table)
        .map(|(_, c)| *c)
}

impl Table {
    /// The condition selecting the tenant's rows (tenant id bound as `$1`), for a record table.
    pub fn tenant_condition(&self) -> String {
        match self.tenancy {
            Tenancy::Linked { column, parent } => {
                format!("{column} IN (SELECT id FROM {parent} WHERE tenant_id = $1)")
            }
            Tenancy::Tenant => "id = $1".to_owned(),
            Tenancy::Access | Tenancy::Record => "tenant_id = $1".to_owned(),
        }
    }
}

/// Deletes every record of the tenant (never its tokens or snapshots), children first. Returns the
/// rows deleted.
pub async fn delete_records(c: &mut dyn Conn, tenant_id: i64) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for table in record_tables().rev() {
        let condition = table.tenant_condition();
        for column in deferred_columns(table.name) {
            c.execute(
                &format!(
                    "UPDATE {} SET {column} = NULL WHERE {condition} AND {column} IS NOT NULL",
                    table.name
                ),
                &[tenant_id.into()],
            )
            .await?;
        }
        deleted += c
            .execute(
                &format!("DELETE FROM {} WHERE {condition}", table.name),
                &[tenant_id.into()],
            )
            .await?;
    }
    Ok(deleted)
}

/// The base tables of the connected database's schema, by name.
pub async fn schema_tables(c: &mut dyn Conn) -> Result<Vec<String>, StoreError> {
    let sql = match c.dialect() {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    c.query(sql, &[]).await?.iter().map(|r| r.text(0)).collect()
}

/// The columns of `table`, in their order in the table.
pub async fn columns(c: &mut dyn Conn, table: &str) -> Result<Vec<String>, StoreError> {
    let sql = match c.dialect() {
        Dialect::Sqlite => "SELECT name FROM pragma_table_info($1) ORDER BY cid",
        Dialect::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    c.query(sql, &[Value::from(table)])
        .await?
        .iter()
        .map(|r| r.text(0))
        .collect()
}

/// [`schema_tables`] in a read transaction of its own.
pub async fn read_schema_tables(db: &Database) -> Result<Vec<String>, StoreError> {
    db.read::<_, StoreError>(async move |tx| schema_tables(tx.conn()).await)
        .await
}

/// [`columns`] in a read transaction of its own.
pub async fn read_columns(db: &Database, table: &'static str) -> Result<Vec<String>, StoreError> {
    db.read::<_, StoreError>(async move |tx| columns(tx.conn(), table).await)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_key_and_linked_tables_follow_their_parent() {
        for (i, table) in TABLES.iter().enumerate() {
            assert!(!table.key.is_empty(), "{}", table.name);
            if let Tenancy::Linked { parent, .. } = table.tenancy {
                let at = TABLES.iter().position(|t| t.name == parent);
                assert!(
                    at.is_some_and(|at| at < i),
                    "{}: parent {parent} must come first",
                    table.name
                );
                assert_eq!(
                    TABLES.iter().find(|t| t.name == parent).map(|t| t.tenancy),
                    Some(Tenancy::Record),
                    "{}: the parent holds the tenant id",
                    table.name
                );
            }
        }
        assert_eq!(TABLES[0].tenancy, Tenancy::Tenant);
    }

    #[test]
    fn the_tenant_of_a_row_is_selected_by_its_own_column_or_its_parent() {
        let contacts = TABLES.iter().find(|t| t.name == "contacts").unwrap();
        assert_eq!(contacts.tenant_condition(), "tenant_id = $1");
        let links = TABLES
            .iter()
            .find(|t| t.name == "contact_companies")
            .unwrap();
        assert_eq!(
            links.tenant_condition(),
            "contact_id IN (SELECT id FROM contacts WHERE tenant_id = $1)"
        );
        assert!(record_tables().all(|t| !matches!(t.tenancy, Tenancy::Access)));
    }
}
