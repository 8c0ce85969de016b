//! The web console's sessions (`console_sessions`, migration 6).

use super::{Conn, StoreError};

/// A live session: its tenant, the token it was opened with, and its CSRF token.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub tenant_id: i64,
    pub tenant_slug: String,
    pub token_id: i64,
    pub csrf_token: String,
}

/// Stores a new session, live for `lifetime_secs` from now; returns its row id.
pub async fn insert_session(
    c: &mut dyn Conn,
    tenant_id: i64,
    token_id: i64,
    session_hash: &str,
    csrf_token: &str,
    lifetime_secs: i64,
) -> Result<i64, StoreError> {
    let now = c.now();
    c.query_one(
        "INSERT INTO console_sessions (tenant_id, token_id, session_hash, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            tenant_id.into(),
            token_id.into(),
            session_hash.into(),
            csrf_token.into(),
            now.into(),
            (now + lifetime_secs).into(),
        ],
    )
    .await?
    .int("id")
}

/// The session with this hash while it and the token it was opened with are both live: a revoked
/// or expired token ends its sessions at the next request.
pub async fn find_session(
    c: &mut dyn Conn,
    session_hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    let row = c
        .query_opt(
            "SELECT s.tenant_id, n.slug, s.token_id, s.csrf_token FROM console_sessions s \
             JOIN api_tokens t ON t.id = s.token_id \
             JOIN tenants n ON n.id = s.tenant_id \
             WHERE s.session_hash IN ($1) AND s.expires_at > $2 \
               AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)",
            &[session_hash.into(), c.now().into()],
        )
        .await?;
    row.map(|r| {
        Ok(SessionRow {
            tenant_id: r.int("tenant_id")?,
            tenant_slug: r.text("slug")?,
            token_id: r.int("token_id")?,
            csrf_token: r.text("csrf_token")?,
        })
    })
    .transpose()
}

/// Ends a session (logout).
pub async fn delete_session(c: &mut dyn Conn, session_hash: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM console_sessions WHERE session_hash = $1",
        &[session_hash.into()],
    )
    .await?;
    Ok(())
}

/// Removes sessions that expired, or whose token was revoked, before now; at most `limit` of
/// them, so a sign-in does bounded work.
pub async fn delete_ended_sessions(c: &mut dyn Conn, limit: i64) -> Result<u64, StoreError> {
    c.execute(
        "DELETE FROM console_sessions WHERE id IN (SELECT s.id FROM console_sessions s \
         JOIN api_tokens t ON t.id = s.token_id \
         WHERE s.expires_at <= $1 OR t.revoked_at IS NOT NULL LIMIT $2)",
        &[c.now().into(), limit.into()],
    )
    .await
}
