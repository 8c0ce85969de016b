//! The SQL of the admin API: tenants by slug, their record counts, their tokens, and removing a
//! tenant's records or the whole tenant (tables from [`super::tables`]).

use std::collections::HashMap;

use super::tables::{self, TABLES, Tenancy};
use super::{Conn, Dialect, StoreError};

/// A tenant as the admin API lists it.
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: i64,
    pub slug: String,
    pub created_at: i64,
}

/// How many rows a tenant has: its live tokens, its snapshots, and its rows in every record table
/// that has a `tenant_id` (link tables are not counted: they are not records of their own).
#[derive(Debug, Clone, Default)]
pub struct TenantCounts {
    pub tokens: i64,
    pub snapshots: i64,
    /// `(table, rows)` in the order of [`TABLES`].
    pub records: Vec<(&'static str, i64)>,
}

/// Takes the tenant's records lock exclusively for the rest of the transaction, on PostgreSQL (see
/// `postgres::tenant_lock_key`): writes of the tenant's requests wait until it commits. SQLite runs
/// one write at a time anyway.
pub async fn lock_tenant(c: &mut dyn Conn, tenant_id: i64) -> Result<(), StoreError> {
    if c.dialect() == Dialect::Postgres {
        c.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[super::postgres::tenant_lock_key(tenant_id).into()],
        )
        .await?;
    }
    Ok(())
}

pub async fn tenant_id(c: &mut dyn Conn, slug: &str) -> Result<Option<i64>, StoreError> {
    c.query_opt("SELECT id FROM tenants WHERE slug = $1", &[slug.into()])
        .await?
        .map(|r| r.int("id"))
        .transpose()
}

/// A new tenant, with its first warehouse (every tenant has at least one); a slug taken is
/// [`StoreError::UniqueViolation`] on `tenants_slug_key`.
pub async fn insert_tenant(c: &mut dyn Conn, slug: &str) -> Result<i64, StoreError> {
    let id = c
        .query_one(
            "INSERT INTO tenants (slug, created_at) VALUES ($1, $2) RETURNING id",
            &[slug.into(), c.now().into()],
        )
        .await?
        .int("id")?;
    super::warehouses::insert_default(c, id).await?;
    Ok(id)
}

/// Every tenant, by slug; or only `only`.
pub async fn tenants(c: &mut dyn Conn, only: Option<i64>) -> Result<Vec<TenantRow>, StoreError> {
    c.query(
        "SELECT id, slug, created_at FROM tenants WHERE (CAST($1 AS BIGINT) IS NULL OR id = $1) \
         ORDER BY slug",
        &[only.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(TenantRow {
            id: r.int("id")?,
            slug: r.text("slug")?,
            created_at: r.int("created_at")?,
        })
    })
    .collect()
}

/// Rows per tenant of `table` (one with `tenant_id`), optionally only `only`'s.
async fn count_by_tenant(
    c: &mut dyn Conn,
    table: &str,
    extra: &str,
    only: Option<i64>,
) -> Result<HashMap<i64, i64>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT tenant_id, COUNT(*) AS n FROM {table} \
                 WHERE (CAST($1 AS BIGINT) IS NULL OR tenant_id = $1){extra} GROUP BY tenant_id"
            ),
            &[only.into()],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.int("tenant_id")?, r.int("n")?)))
        .collect()
}

/// The counts of every tenant (or only `only`), keyed by tenant id.
pub async fn counts(
    c: &mut dyn Conn,
    only: Option<i64>,
) -> Result<HashMap<i64, TenantCounts>, StoreError> {
    let mut out: HashMap<i64, TenantCounts> = HashMap::new();
    let tokens = count_by_tenant(c, "api_tokens", " AND revoked_at IS NULL", only).await?;
    let snapshots = count_by_tenant(c, "tenant_snapshots", "", only).await?;
    let mut per_table = Vec::new();
    for table in tables::record_tables().filter(|t| t.tenancy == Tenancy::Record) {
        per_table.push((table.name, count_by_tenant(c, table.name, "", only).await?));
    }
    for tenant in tenants(c, only).await? {
        out.insert(
            tenant.id,
            TenantCounts {
                tokens: tokens.get(&tenant.id).copied().unwrap_or(0),
                snapshots: snapshots.get(&tenant.id).copied().unwrap_or(0),
                records: per_table
                    .iter()
                    .map(|(name, n)| (*name, n.get(&tenant.id).copied().unwrap_or(0)))
                    .collect(),
            },
        );
    }
    Ok(out)
}

/// Deletes the tenant: its records, then its tokens and snapshots, then the tenant itself (every
/// table of [`TABLES`], children first).
pub async fn delete_tenant(c: &mut dyn Conn, tenant_id: i64) -> Result<(), StoreError> {
    tables::delete_records(c, tenant_id).await?;
    for table in TABLES.iter().rev() {
        if matches!(table.tenancy, Tenancy::Access | Tenancy::Tenant) {
            c.execute(
                &format!(
                    "DELETE FROM {} WHERE {}",
                    table.name,
                    table.tenant_condition()
                ),
                &[tenant_id.into()],
            )
            .await?;
        }
    }
    Ok(())
}

/// Revokes a live token of the tenant; false when it has no such token.
pub async fn revoke_token(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
            &[c.now().into(), id.into(), tenant_id.into()],
        )
        .await?;
    Ok(n > 0)
}

/// The token stored under `hash`, revoked or not: `(id, tenant id, revoked)`.
pub async fn token_by_hash(
    c: &mut dyn Conn,
    hash: &str,
) -> Result<Option<(i64, i64, bool)>, StoreError> {
    c.query_opt(
        "SELECT id, tenant_id, revoked_at FROM api_tokens WHERE token_hash = $1",
        &[hash.into()],
    )
    .await?
    .map(|r| {
        Ok((
            r.int("id")?,
            r.int("tenant_id")?,
            r.int_opt("revoked_at")?.is_some(),
        ))
    })
    .transpose()
}

/// Makes a revoked token live again.
pub async fn unrevoke_token(c: &mut dyn Conn, id: i64) -> Result<(), StoreError> {
    c.execute(
        "UPDATE api_tokens SET revoked_at = NULL WHERE id = $1",
        &[id.into()],
    )
    .await?;
    Ok(())
}
