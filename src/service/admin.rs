//! The admin API's use cases: tenants and their tokens, reset, snapshots, and the bootstrap token
//! of `serve`. (Seeding is in `seed.rs`; the journal and fault rules live in the HTTP layer's
//! memory.)

use serde_json::{Map, Value};

use crate::domain::admin::{
    self, MAX_SNAPSHOT_ROWS, MAX_SNAPSHOTS, NewTenant, NewToken, SLUG_TAKEN, SNAPSHOT_NAME_TAKEN,
    Slug, SnapshotName, SnapshotSummary, TenantSummary, TokenSummary,
};
use crate::domain::{Timestamp, ValidationErrors, auth};
use crate::error::{AppError, AppResult};
use crate::store::admin::TenantCounts;
use crate::store::{self, Database, StoreError, constraints};

/// The id of the tenant `slug` names; 404 for a slug that is not one (or not even well formed).
pub async fn tenant_id(db: &Database, slug: &str) -> AppResult<i64> {
    let Some(slug) = Slug::parse(slug) else {
        return Err(AppError::NotFound);
    };
    db.read(async move |tx| {
        store::admin::tenant_id(tx.conn(), slug.as_str())
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

fn slug_taken() -> AppError {
    AppError::Validation(ValidationErrors::single("slug", SLUG_TAKEN))
}

/// `POST /admin/v1/tenants`: the tenant and a first token.
pub async fn create_tenant(db: &Database, slug: Slug) -> AppResult<NewTenant> {
    let token = auth::generate_token();
    let hash = auth::hash_token(&token);
    let prefix = auth::token_display_prefix(&token);
    let name = slug.as_str().to_owned();
    db.transact(async move |tx| -> AppResult<()> {
        let c = tx.conn();
        if store::admin::tenant_id(c, &name).await?.is_some() {
            return Err(slug_taken());
        }
        let id = store::admin::insert_tenant(c, &name)
            .await
            .map_err(|e| match e {
                StoreError::UniqueViolation {
                    constraint: Some("tenants_slug_key"),
                } => slug_taken(),
                other => other.into(),
            })?;
        store::tenants::insert_token(c, id, Some("admin"), &hash, &prefix).await?;
        Ok(())
    })
    .await?;
    Ok(NewTenant {
        slug: slug.as_str().to_owned(),
        token,
    })
}

fn summary(row: store::admin::TenantRow, counts: TenantCounts) -> TenantSummary {
    TenantSummary {
        slug: row.slug,
        created_at: Timestamp(row.created_at),
        tokens: counts.tokens,
        snapshots: counts.snapshots,
        records: counts
            .records
            .into_iter()
            .map(|(table, n)| (table.to_owned(), Value::from(n)))
            .collect::<Map<String, Value>>(),
    }
}

async fn summaries(db: &Database, only: Option<i64>) -> AppResult<Vec<TenantSummary>> {
    db.read(async move |tx| {
        let rows = store::admin::tenants(tx.conn(), only).await?;
        let mut counts = store::admin::counts(tx.conn(), only).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let n = counts.remove(&row.id).unwrap_or_default();
                summary(row, n)
            })
            .collect())
    })
    .await
}

/// `GET /admin/v1/tenants`: every tenant by slug, with its counts.
pub async fn list_tenants(db: &Database) -> AppResult<Vec<TenantSummary>> {
    summaries(db, None).await
}

/// `GET /admin/v1/tenants/{slug}`.
pub async fn tenant(db: &Database, tenant_id: i64) -> AppResult<TenantSummary> {
    summaries(db, Some(tenant_id))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

/// `DELETE /admin/v1/tenants/{slug}`: every record, token and snapshot, then the tenant.
pub async fn delete_tenant(db: &Database, tenant_id: i64) -> AppResult<()> {
    db.transact(async move |tx| -> AppResult<()> {
        store::admin::lock_tenant(tx.conn(), tenant_id).await?;
        if store::admin::tenants(tx.conn(), Some(tenant_id))
            .await?
            .is_empty()
        {
            return Err(AppError::NotFound);
        }
        store::admin::delete_tenant(tx.conn(), tenant_id).await?;
        Ok(())
    })
    .await
}

/// `POST /admin/v1/tenants/{slug}/reset`: every record gone but a new `Main Warehouse`; tokens
/// and snapshots kept.
pub async fn reset(db: &Database, tenant_id: i64) -> AppResult<()> {
    db.transact(async move |tx| -> AppResult<()> {
        store::admin::lock_tenant(tx.conn(), tenant_id).await?;
        store::tables::delete_records(tx.conn(), tenant_id).await?;
        // As new: every tenant has at least one warehouse.
        store::warehouses::ensure_default(tx.conn(), tenant_id).await?;
        Ok(())
    })
    .await
}

/// `POST /admin/v1/tenants/{slug}/tokens`: a new token, shown once.
pub async fn create_token(
    db: &Database,
    tenant_id: i64,
    name: Option<String>,
) -> AppResult<NewToken> {
    let token = auth::generate_token();
    let hash = auth::hash_token(&token);
    let prefix = auth::token_display_prefix(&token);
    let stored_name = name.clone();
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            Ok(store::tenants::insert_token(
                tx.conn(),
                tenant_id,
                stored_name.as_deref(),
                &hash,
                &prefix,
            )
            .await?)
        })
        .await?;
    Ok(NewToken { id, name, token })
}

/// `GET /admin/v1/tenants/{slug}/tokens`: without secrets.
pub async fn list_tokens(db: &Database, slug: &str) -> AppResult<Vec<TokenSummary>> {
    let slug = slug.to_owned();
    let tokens = db
        .read(async move |tx| -> AppResult<_> {
            Ok(store::tenants::list_tokens(tx.conn(), Some(&slug)).await?)
        })
        .await?;
    Ok(tokens
        .into_iter()
        .map(|t| TokenSummary {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: Timestamp(t.created_at),
            revoked_at: t.revoked_at.map(Timestamp),
            last_used_at: t.last_used_at.map(Timestamp),
        })
        .collect())
}

/// `DELETE /admin/v1/tenants/{slug}/tokens/{id}`: revoked (404 for no live token of the tenant).
pub async fn revoke_token(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| -> AppResult<()> {
        if store::admin::revoke_token(tx.conn(), tenant_id, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}

fn snapshot_summary(s: store::snapshots::SnapshotInfo) -> SnapshotSummary {
    SnapshotSummary {
        name: s.name,
        created_at: Timestamp(s.created_at),
        rows: s.rows,
    }
}

fn snapshot_name_taken() -> AppError {
    AppError::Validation(ValidationErrors::single("name", SNAPSHOT_NAME_TAKEN))
}

/// `POST /admin/v1/tenants/{slug}/snapshots`: every record of the tenant, as of one moment.
pub async fn create_snapshot(
    db: &Database,
    tenant_id: i64,
    name: SnapshotName,
) -> AppResult<SnapshotSummary> {
    let (captured, version) = db
        .read(async move |tx| -> AppResult<_> {
            let data = store::snapshots::capture(tx.conn(), tenant_id, MAX_SNAPSHOT_ROWS).await?;
            Ok((data, store::snapshots::schema_version(tx.conn()).await?))
        })
        .await?;
    let data = captured.ok_or_else(|| AppError::Conflict(admin::snapshot_too_large()))?;
    let rows = i64::try_from(data.row_count()).unwrap_or(i64::MAX);
    let text = store::snapshots::encode(&data);
    let stored_name = name.as_str().to_owned();
    db.transact(async move |tx| -> AppResult<()> {
        let c = tx.conn();
        if store::snapshots::get(c, tenant_id, &stored_name)
            .await?
            .is_some()
        {
            return Err(snapshot_name_taken());
        }
        if store::snapshots::count(c, tenant_id).await? >= MAX_SNAPSHOTS {
            return Err(AppError::Conflict(admin::too_many_snapshots()));
        }
        store::snapshots::insert(c, tenant_id, &stored_name, rows, version, &text)
            .await
            .map_err(|e| match e {
                StoreError::UniqueViolation {
                    constraint: Some(constraints::SNAPSHOT_NAME),
                } => snapshot_name_taken(),
                other => other.into(),
            })?;
        Ok(())
    })
    .await?;
    let name = name.as_str().to_owned();
    db.read(async move |tx| -> AppResult<_> {
        store::snapshots::get(tx.conn(), tenant_id, &name)
            .await?
            .map(snapshot_summary)
            .ok_or(AppError::NotFound)
    })
    .await
}

/// `GET /admin/v1/tenants/{slug}/snapshots`: oldest first.
pub async fn list_snapshots(db: &Database, tenant_id: i64) -> AppResult<Vec<SnapshotSummary>> {
    db.read(async move |tx| -> AppResult<_> {
        Ok(store::snapshots::list(tx.conn(), tenant_id)
            .await?
            .into_iter()
            .map(snapshot_summary)
            .collect())
    })
    .await
}

/// `POST /admin/v1/tenants/{slug}/snapshots/{name}/restore`: the tenant's records exactly as they
/// were, in one transaction. The snapshot is read and decoded before it, so the write itself only
/// deletes and inserts.
pub async fn restore_snapshot(db: &Database, tenant_id: i64, name: &str) -> AppResult<()> {
    let name = name.to_owned();
    let (id, text) = db
        .read(async move |tx| -> AppResult<_> {
            store::snapshots::data(tx.conn(), tenant_id, &name)
                .await?
                .ok_or(AppError::NotFound)
        })
        .await?;
    let data = store::snapshots::decode(&text)?;
    drop(text);
    db.transact(async move |tx| -> AppResult<()> {
        if !store::snapshots::still_there(tx.conn(), tenant_id, id).await? {
            return Err(AppError::NotFound);
        }
        match store::snapshots::restore(tx.conn(), tenant_id, &data).await? {
            store::snapshots::Restored::Done => Ok(()),
            store::snapshots::Restored::Incompatible(detail) => {
                Err(AppError::Conflict(admin::snapshot_incompatible(&detail)))
            }
        }
    })
    .await
}

/// `DELETE /admin/v1/tenants/{slug}/snapshots/{name}`.
pub async fn delete_snapshot(db: &Database, tenant_id: i64, name: &str) -> AppResult<()> {
    let name = name.to_owned();
    db.transact(async move |tx| -> AppResult<()> {
        if store::snapshots::delete(tx.conn(), tenant_id, &name).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}

/// Why `serve --bootstrap-token` could not be honoured.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(
        "--bootstrap-token (ROLODEX_BOOTSTRAP_TOKEN) must be rdx_ followed by 40 letters or digits"
    )]
    BadToken,
    #[error(
        "--bootstrap-tenant (ROLODEX_BOOTSTRAP_TENANT) must be 1 to 63 lowercase letters, digits or dashes"
    )]
    BadTenant,
    #[error("the bootstrap token is already a token of another tenant")]
    OtherTenant,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Makes sure tenant `slug` exists and that `token` is a live token of it (created, or revoked
/// and made live again). Idempotent; the token is never printed.
pub async fn bootstrap(db: &Database, slug: &str, token: &str) -> Result<(), BootstrapError> {
    if !admin::is_issued_token_form(token) {
        return Err(BootstrapError::BadToken);
    }
    let slug = Slug::parse(slug).ok_or(BootstrapError::BadTenant)?;
    let hash = auth::hash_token(token);
    let prefix = auth::token_display_prefix(token);
    // Two instances starting at once race on the tenant or the token hash: the loser runs again
    // and finds the winner's rows.
    db.transact(async move |tx| -> Result<(), BootstrapError> {
        let c = tx.conn();
        let tenant_id = store::tenants::ensure_tenant(c, slug.as_str()).await?;
        match store::admin::token_by_hash(c, &hash).await? {
            None => {
                store::tenants::insert_token(c, tenant_id, Some("bootstrap"), &hash, &prefix)
                    .await?;
            }
            Some((_, owner, _)) if owner != tenant_id => return Err(BootstrapError::OtherTenant),
            Some((id, _, true)) => store::admin::unrevoke_token(c, id).await?,
            Some(_) => {}
        }
        Ok(())
    })
    .await
}
