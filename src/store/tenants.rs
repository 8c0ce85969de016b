//! Tenants and API tokens.

use super::{Conn, StoreError, Value};

/// What a valid token grants: the tenant it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub token_id: i64,
    pub tenant_id: i64,
    pub tenant_slug: String,
    pub token_hash: String,
    /// When the token was last used, as stored (coarse: see `service::tokens`).
    pub last_used_at: Option<i64>,
}

/// A token as `tokens list` shows it: never the secret.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: i64,
    pub tenant_slug: String,
    pub name: Option<String>,
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub async fn count_tenants(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.query_one("SELECT COUNT(*) AS n FROM tenants", &[])
        .await?
        .int("n")
}

/// The tenant with this slug, created if it does not exist yet (with its first warehouse: every
/// tenant has at least one).
pub async fn ensure_tenant(c: &mut dyn Conn, slug: &str) -> Result<i64, StoreError> {
    if let Some(row) = c
        .query_opt("SELECT id FROM tenants WHERE slug = $1", &[slug.into()])
        .await?
    {
        return row.int("id");
    }
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

pub async fn insert_token(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: Option<&str>,
    token_hash: &str,
    prefix: &str,
) -> Result<i64, StoreError> {
    c.query_one(
        "INSERT INTO api_tokens (tenant_id, name, token_hash, prefix, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            tenant_id.into(),
            name.into(),
            token_hash.into(),
            prefix.into(),
            c.now().into(),
        ],
    )
    .await?
    .int("id")
}

/// The live token with this hash: not revoked, not expired. `IN ($1)`, not `= $1`: with the join,
/// SQLite re-prepared the `=` form whenever a bound value changed (a new second in `$2`, another
/// token), see `Dialect::id_in`.
pub async fn find_token(
    c: &mut dyn Conn,
    token_hash: &str,
) -> Result<Option<TokenGrant>, StoreError> {
    let row = c
        .query_opt(
            "SELECT t.id, t.tenant_id, n.slug, t.token_hash, t.last_used_at FROM api_tokens t \
             JOIN tenants n ON n.id = t.tenant_id \
             WHERE t.token_hash IN ($1) AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)",
            &[token_hash.into(), c.now().into()],
        )
        .await?;
    row.map(|r| {
        Ok(TokenGrant {
            token_id: r.int("id")?,
            tenant_id: r.int("tenant_id")?,
            tenant_slug: r.text("slug")?,
            token_hash: r.text("token_hash")?,
            last_used_at: r.int_opt("last_used_at")?,
        })
    })
    .transpose()
}

pub async fn list_tokens(
    c: &mut dyn Conn,
    tenant: Option<&str>,
) -> Result<Vec<TokenInfo>, StoreError> {
    let rows = c
        .query(
            "SELECT t.id, n.slug, t.name, t.prefix, t.created_at, t.revoked_at, t.last_used_at FROM api_tokens t \
             JOIN tenants n ON n.id = t.tenant_id WHERE (CAST($1 AS TEXT) IS NULL OR n.slug = $1) ORDER BY t.id",
            &[Value::from(tenant)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.int("id")?,
                tenant_slug: r.text("slug")?,
                name: r.text_opt("name")?,
                prefix: r.text("prefix")?,
                created_at: r.int("created_at")?,
                revoked_at: r.int_opt("revoked_at")?,
                last_used_at: r.int_opt("last_used_at")?,
            })
        })
        .collect()
}

/// Records that token `id` was used now, unless the stored time is already within `granularity`
/// seconds of now (another instance wrote it meanwhile); true if it wrote.
pub async fn touch_token(c: &mut dyn Conn, id: i64, granularity: i64) -> Result<bool, StoreError> {
    let now = c.now();
    let n = c
        .execute(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at <= $3)",
            &[now.into(), id.into(), (now - granularity).into()],
        )
        .await?;
    Ok(n > 0)
}

/// Revokes a token; false when there is no such live token.
pub async fn revoke_token(c: &mut dyn Conn, id: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[c.now().into(), id.into()],
        )
        .await?;
    Ok(n > 0)
}
