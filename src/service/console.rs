//! The web console's sessions: opened with an API token, kept in the database (so they work on
//! every instance sharing it), ended by logout, by expiry, or by revoking the token.

use crate::domain::auth;
use crate::error::AppResult;
use crate::store::{self, Database};

use super::tokens::TokenChecker;

/// How long a console session lasts from sign-in.
pub const SESSION_LIFETIME_SECS: i64 = 12 * 60 * 60;

/// Ended sessions removed per sign-in: the table stays small without a background task.
const CLEANUP_BATCH: i64 = 100;

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub tenant_id: i64,
    pub tenant_slug: String,
    /// The token the session was opened with.
    pub token_id: i64,
    /// Every form of the session carries it.
    pub csrf_token: String,
}

/// A new session: the id for the cookie (stored only hashed) and its CSRF token.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub session_id: String,
    pub session: Session,
}

/// Signs in with an API token: a session for its tenant, or `None` when the token is not live.
pub async fn open(
    db: &Database,
    tokens: &TokenChecker,
    token: &str,
) -> AppResult<Option<OpenedSession>> {
    let Some(grant) = tokens.check(db, token).await? else {
        return Ok(None);
    };
    let session_id = auth::generate_secret();
    let session_hash = auth::hash_token(&session_id);
    let csrf_token = auth::generate_secret();
    let (tenant_id, token_id, csrf) = (grant.tenant_id, grant.token_id, csrf_token.clone());
    db.transact(async move |tx| -> AppResult<()> {
        let c = tx.conn();
        store::console::delete_ended_sessions(c, CLEANUP_BATCH).await?;
        store::console::insert_session(
            c,
            tenant_id,
            token_id,
            &session_hash,
            &csrf,
            SESSION_LIFETIME_SECS,
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(Some(OpenedSession {
        session_id,
        session: Session {
            tenant_id: grant.tenant_id,
            tenant_slug: grant.tenant_slug,
            token_id: grant.token_id,
            csrf_token,
        },
    }))
}

/// The live session with this id, if any.
pub async fn find(db: &Database, session_id: &str) -> AppResult<Option<Session>> {
    if !auth::looks_like_token(session_id) {
        return Ok(None);
    }
    let hash = auth::hash_token(session_id);
    let row = db
        .read(async move |tx| -> AppResult<_> {
            Ok(store::console::find_session(tx.conn(), &hash).await?)
        })
        .await?;
    Ok(row.map(|r| Session {
        tenant_id: r.tenant_id,
        tenant_slug: r.tenant_slug,
        token_id: r.token_id,
        csrf_token: r.csrf_token,
    }))
}

/// Ends the session with this id (nothing happens for an unknown one).
pub async fn close(db: &Database, session_id: &str) -> AppResult<()> {
    let hash = auth::hash_token(session_id);
    db.transact(async move |tx| -> AppResult<()> {
        Ok(store::console::delete_session(tx.conn(), &hash).await?)
    })
    .await
}
