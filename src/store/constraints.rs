//! The names of the schema's unique and foreign-key constraints, so that a violation says which
//! one it was and a use case matches the one it expects.
//!
//! The names are PostgreSQL's (its defaults: `{table}_pkey`, `{table}_{columns}_key`,
//! `{table}_{column}_fkey`, or the index's own name). PostgreSQL reports the name with the error;
//! SQLite reports the table and columns of a unique violation ("UNIQUE constraint failed:
//! portal_logins.tenant_id, portal_logins.email_key"), which [`UNIQUE`] maps to the same names.
//! SQLite does not say which foreign key failed; there writes are serial, so a use case's checks
//! before its write see every referenced row, and a violation cannot come from a race.

/// A contact's portal-login email, unique per tenant (case-insensitively).
pub const PORTAL_LOGIN_EMAIL: &str = "portal_logins_tenant_id_email_key_key";
/// A custom field's label, unique per tenant (case-insensitively).
pub const CUSTOM_FIELD_LABEL: &str = "custom_fields_tenant_id_label_key_key";
/// A contact's primary company.
pub const CONTACT_PRIMARY_COMPANY: &str = "contacts_primary_company_id_fkey";
/// The company of a contact's link to a company.
pub const CONTACT_LINK_COMPANY: &str = "contact_companies_company_id_fkey";
/// A company's parent company.
pub const COMPANY_PARENT: &str = "companies_parent_company_id_fkey";
/// A warehouse's name, unique per tenant (case-insensitively).
pub const WAREHOUSE_NAME: &str = "warehouses_tenant_id_name_key_key";
/// A warehouse's parent warehouse.
pub const WAREHOUSE_PARENT: &str = "warehouses_parent_id_fkey";
/// A price level's name, unique per tenant (case-insensitively).
pub const PRICE_LEVEL_NAME: &str = "price_levels_tenant_id_name_key_key";
/// A company's price level.
pub const COMPANY_PRICE_LEVEL: &str = "companies_price_level_id_fkey";

/// A snapshot's name, unique per tenant.
pub const SNAPSHOT_NAME: &str = "tenant_snapshots_tenant_id_name_key";

/// Every unique constraint: its name, table and columns (as SQLite lists them).
pub const UNIQUE: &[(&str, &str, &[&str])] = &[
    ("tenants_pkey", "tenants", &["id"]),
    ("tenants_slug_key", "tenants", &["slug"]),
    ("api_tokens_pkey", "api_tokens", &["id"]),
    ("api_tokens_token_hash_key", "api_tokens", &["token_hash"]),
    ("console_sessions_pkey", "console_sessions", &["id"]),
    (
        "console_sessions_session_hash_key",
        "console_sessions",
        &["session_hash"],
    ),
    ("client_types_pkey", "client_types", &["id"]),
    (
        "client_types_tenant_id_name_key_key",
        "client_types",
        &["tenant_id", "name_key"],
    ),
    ("companies_pkey", "companies", &["id"]),
    ("contacts_pkey", "contacts", &["id"]),
    (
        "contact_companies_pkey",
        "contact_companies",
        &["contact_id", "company_id"],
    ),
    // A partial index (`WHERE is_primary = 1`): one primary contact per company.
    (
        "contact_companies_one_primary",
        "contact_companies",
        &["company_id"],
    ),
    ("tags_pkey", "tags", &["id"]),
    (
        "tags_tenant_id_name_key_key",
        "tags",
        &["tenant_id", "name_key"],
    ),
    (
        "contact_tags_pkey",
        "contact_tags",
        &["contact_id", "tag_id"],
    ),
    (
        "company_tags_pkey",
        "company_tags",
        &["company_id", "tag_id"],
    ),
    ("portal_logins_pkey", "portal_logins", &["contact_id"]),
    (
        PORTAL_LOGIN_EMAIL,
        "portal_logins",
        &["tenant_id", "email_key"],
    ),
    ("shipping_addresses_pkey", "shipping_addresses", &["id"]),
    // A partial index (`WHERE is_default = 1`): one default address per company.
    (
        "shipping_addresses_one_default",
        "shipping_addresses",
        &["company_id"],
    ),
    ("custom_fields_pkey", "custom_fields", &["id"]),
    (
        CUSTOM_FIELD_LABEL,
        "custom_fields",
        &["tenant_id", "label_key"],
    ),
    (
        "company_custom_values_pkey",
        "company_custom_values",
        &["company_id", "field_id"],
    ),
    ("warehouses_pkey", "warehouses", &["id"]),
    (WAREHOUSE_NAME, "warehouses", &["tenant_id", "name_key"]),
    ("price_levels_pkey", "price_levels", &["id"]),
    (PRICE_LEVEL_NAME, "price_levels", &["tenant_id", "name_key"]),
    ("schema_migrations_pkey", "schema_migrations", &["version"]),
    ("tenant_snapshots_pkey", "tenant_snapshots", &["id"]),
    (SNAPSHOT_NAME, "tenant_snapshots", &["tenant_id", "name"]),
];

/// The constraint named by SQLite's unique-violation message ("UNIQUE constraint failed:
/// t.a, t.b", or "... failed: index 'name'" for an index on expressions).
pub fn sqlite_unique(message: &str) -> Option<&'static str> {
    let failed = message.strip_prefix("UNIQUE constraint failed: ")?.trim();
    if let Some(index) = failed
        .strip_prefix("index '")
        .and_then(|rest| rest.strip_suffix('\''))
    {
        return UNIQUE
            .iter()
            .map(|(name, _, _)| *name)
            .find(|name| *name == index);
    }
    let mut table = None;
    let mut columns = Vec::new();
    for qualified in failed.split(',') {
        let (t, column) = qualified.trim().split_once('.')?;
        if table.is_some_and(|known| known != t) {
            return None;
        }
        table = Some(t);
        columns.push(column);
    }
    let table = table?;
    UNIQUE
        .iter()
        .find(|(_, t, cols)| *t == table && *cols == columns.as_slice())
        .map(|(name, _, _)| *name)
}

/// The foreign keys a use case matches by name.
pub const FOREIGN_KEYS: &[&str] = &[
    CONTACT_PRIMARY_COMPANY,
    CONTACT_LINK_COMPANY,
    COMPANY_PARENT,
    WAREHOUSE_PARENT,
    COMPANY_PRICE_LEVEL,
];

/// Every constraint name the store knows (the unique ones, then the foreign keys).
pub fn names() -> impl Iterator<Item = &'static str> {
    UNIQUE
        .iter()
        .map(|(n, _, _)| *n)
        .chain(FOREIGN_KEYS.iter().copied())
}

/// The known name of a constraint PostgreSQL reported, as a `'static` name.
pub fn known(name: &str) -> Option<&'static str> {
    names().find(|n| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_postgres_names() {
        assert_eq!(
            sqlite_unique(
                "UNIQUE constraint failed: portal_logins.tenant_id, portal_logins.email_key"
            ),
            Some(PORTAL_LOGIN_EMAIL)
        );
        assert_eq!(
            sqlite_unique("UNIQUE constraint failed: contacts.id"),
            Some("contacts_pkey")
        );
        assert_eq!(
            sqlite_unique("UNIQUE constraint failed: index 'shipping_addresses_one_default'"),
            Some("shipping_addresses_one_default")
        );
        assert_eq!(sqlite_unique("UNIQUE constraint failed: nowhere.x"), None);
        assert_eq!(sqlite_unique("NOT NULL constraint failed: t.x"), None);
    }

    /// Every unique index of the SQLite schema is in the table, under the name PostgreSQL gives it.
    #[test]
    fn every_sqlite_unique_index_has_a_name() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for (_, sql) in super::super::sqlite::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // The derived tables (the search index's) are written by triggers and upkeep only, never
        // by a request whose violation would be a 422.
        let derived = super::super::tables::NOT_COPIED;
        for table in tables
            .into_iter()
            .filter(|t| !derived.contains(&t.as_str()))
        {
            let indexes: Vec<(String, bool)> = conn
                .prepare(&format!("PRAGMA index_list({table})"))
                .unwrap()
                .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for (index, unique) in indexes.into_iter().filter(|(_, u)| *u) {
                assert!(unique);
                let columns: Vec<String> = conn
                    .prepare(&format!("PRAGMA index_info({index})"))
                    .unwrap()
                    .query_map([], |r| r.get(2))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let message = format!(
                    "UNIQUE constraint failed: {}",
                    columns
                        .iter()
                        .map(|c| format!("{table}.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                assert!(sqlite_unique(&message).is_some(), "{index}: {message}");
            }
            // INTEGER PRIMARY KEY is the rowid, not an index.
            let rowid_key = format!("UNIQUE constraint failed: {table}.id");
            let has_id = conn
                .prepare(&format!(
                    "SELECT 1 FROM pragma_table_info('{table}') WHERE name = 'id' AND pk = 1"
                ))
                .unwrap()
                .exists([])
                .unwrap();
            if has_id {
                assert!(sqlite_unique(&rowid_key).is_some(), "{table}.id");
            }
        }
    }
}
