//! API tokens: created, listed and revoked from the command line; checked on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::auth;
use crate::error::{AppError, AppResult};
use crate::store::tenants::{self, TokenGrant, TokenInfo};
use crate::store::{Database, StoreError};

/// Creates a token for `tenant` (and the tenant, if new). Returns the token id and the secret,
/// which exists nowhere else afterwards.
pub async fn create(
    db: &Database,
    tenant: &str,
    name: Option<String>,
) -> Result<(i64, String), StoreError> {
    let token = auth::generate_token();
    let hash = auth::hash_token(&token);
    let prefix = auth::token_display_prefix(&token);
    let slug = tenant.to_owned();
    // Two processes creating the first token of one new tenant race on its slug: the loser runs
    // again and finds the tenant.
    let id = db
        .transact::<_, StoreError>(async move |tx| {
            let c = tx.conn();
            let tenant_id = tenants::ensure_tenant(c, &slug).await?;
            tenants::insert_token(c, tenant_id, name.as_deref(), &hash, &prefix).await
        })
        .await?;
    Ok((id, token))
}

pub async fn list(db: &Database, tenant: Option<String>) -> Result<Vec<TokenInfo>, StoreError> {
    db.read::<_, StoreError>(async move |tx| {
        tenants::list_tokens(tx.conn(), tenant.as_deref()).await
    })
    .await
}

pub async fn revoke(db: &Database, id: i64) -> Result<bool, StoreError> {
    db.transact::<_, StoreError>(async move |tx| tenants::revoke_token(tx.conn(), id).await)
        .await
}

/// On a database without tenants, creates tenant `demo` and returns a token for it.
pub async fn ensure_demo(db: &Database) -> Result<Option<String>, StoreError> {
    let count = db
        .read::<_, StoreError>(async |tx| tenants::count_tenants(tx.conn()).await)
        .await?;
    if count > 0 {
        return Ok(None);
    }
    let (_, token) = create(db, "demo", Some("demo".to_owned())).await?;
    Ok(Some(token))
}

/// How coarsely a token's last use is recorded, in seconds: a use writes `last_used_at` only when
/// the stored time is at least this old, and each instance writes a token at most once per this
/// long (by what it remembers), in a task of its own, never on the request's path.
pub const LAST_USED_GRANULARITY: i64 = 60;

/// How long a token check is remembered. Short, so a token revoked on the command line (from any
/// process) is refused everywhere within a second.
const CACHE_TTL: Duration = Duration::from_millis(500);
const CACHE_MAX: usize = 10_000;

/// When a token hash was checked, and what it granted.
type CachedGrant = (Instant, Option<TokenGrant>);

/// Checks bearer tokens, remembering recent answers briefly to spare the database a query per request.
#[derive(Clone, Default)]
pub struct TokenChecker {
    cache: Arc<Mutex<HashMap<String, CachedGrant>>>,
    /// When this instance last recorded each token's use (the database's seconds).
    recorded: Arc<Mutex<HashMap<i64, i64>>>,
}

impl TokenChecker {
    /// The grant of a live token, `None` for an unknown, revoked or expired one.
    pub async fn check(&self, db: &Database, token: &str) -> AppResult<Option<TokenGrant>> {
        if !auth::looks_like_token(token) {
            return Ok(None);
        }
        let hash = auth::hash_token(token);
        if let Some(hit) = self.cached(&hash) {
            if let Some(grant) = &hit {
                self.note_use(db, grant);
            }
            return Ok(hit);
        }
        let lookup = hash.clone();
        let grant = db
            .read::<_, AppError>(async move |tx| Ok(tenants::find_token(tx.conn(), &lookup).await?))
            .await?
            // The lookup was by hash; compare again without a timing side channel.
            .filter(|g| auth::hashes_match(&g.token_hash, &hash));
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(hash, (Instant::now(), grant.clone()));
        }
        if let Some(grant) = &grant {
            self.note_use(db, grant);
        }
        Ok(grant)
    }

    /// Records the token's use when the stored time (or the one this instance last wrote) is
    /// [`LAST_USED_GRANULARITY`] old: the write runs in a task of its own, so a request never
    /// waits for it, and a failed write is only logged (the next use tries again after the
    /// granularity).
    fn note_use(&self, db: &Database, grant: &TokenGrant) {
        let now = db.now();
        let recent = |at: i64| now - at < LAST_USED_GRANULARITY;
        if grant.last_used_at.is_some_and(recent) {
            return;
        }
        {
            let Ok(mut recorded) = self.recorded.lock() else {
                return;
            };
            if recorded.get(&grant.token_id).copied().is_some_and(recent) {
                return;
            }
            if recorded.len() >= CACHE_MAX {
                recorded.clear();
            }
            recorded.insert(grant.token_id, now);
        }
        let (db, id) = (db.clone(), grant.token_id);
        tokio::spawn(async move {
            let written = db
                .transact::<_, StoreError>(async move |tx| {
                    tenants::touch_token(tx.conn(), id, LAST_USED_GRANULARITY).await
                })
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, token_id = id, "the token's last use was not recorded");
            }
        });
    }

    /// Forgets every remembered check, so a token revoked or deleted by this process (the admin
    /// API) is refused here at once rather than within [`CACHE_TTL`].
    pub fn forget_all(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, hash: &str) -> Option<Option<TokenGrant>> {
        let cache = self.cache.lock().ok()?;
        let (at, grant) = cache.get(hash)?;
        (at.elapsed() < CACHE_TTL).then(|| grant.clone())
    }
}
