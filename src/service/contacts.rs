//! Contact use cases (§4).

use super::hash_password;
use crate::domain::RecordKind;
use crate::domain::ValidationErrors;
use crate::domain::contact::ContactListField;
use crate::domain::contact::{
    self, CompanyChange, Contact, ContactChecks, ContactPatchDraft, ContactState, FlagsPatch,
    LOGIN_EMAIL_TAKEN, LoginChange, NewContactDraft, PasswordDraft,
};
use crate::domain::input::Patch;
use crate::error::{AppError, AppResult};
use crate::query::ListQuery;
use crate::store::contacts::StateParts;
use crate::store::{self, Conn, Database, Tx, constraints};

/// The requested company ids that are not companies of the tenant.
async fn missing_companies(c: &mut dyn Conn, tenant_id: i64, ids: &[i64]) -> AppResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = store::companies::existing_ids(c, tenant_id, ids).await?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect())
}

/// Whether another contact's portal login already uses `email`.
async fn login_email_taken(
    c: &mut dyn Conn,
    tenant_id: i64,
    contact_id: Option<i64>,
    email: &str,
) -> AppResult<bool> {
    let owner = store::contacts::login_owner(c, tenant_id, email).await?;
    Ok(owner.is_some() && owner != contact_id)
}

/// Whether a password is worth hashing: argon2id is slow and memory-hard, so a request that will
/// fail anyway (no such contact, a login email taken by another contact) must not cost a hash.
/// `email` is the login email the request asks for, or `None` for the contact's stored one.
/// A missing contact is a 404 here; otherwise `false` means "skip the hash, the write will
/// answer 422". The write transaction checks everything again.
async fn worth_hashing(
    db: &Database,
    tenant_id: i64,
    contact_id: Option<i64>,
    email: Option<String>,
) -> AppResult<bool> {
    db.read(async move |tx| {
        let stored = match contact_id {
            Some(id) => store::contacts::email_of(tx.conn(), tenant_id, id)
                .await?
                .ok_or(AppError::NotFound)?,
            None => None,
        };
        let Some(email) = email.or(stored) else {
            return Ok(false);
        };
        Ok(!login_email_taken(tx.conn(), tenant_id, contact_id, &email).await?)
    })
    .await
}

/// A password was asked for and the write found nothing wrong, but it was not hashed because the
/// pre-check saw a conflict that has gone since: the client may simply retry.
fn login_changed_meanwhile() -> AppError {
    AppError::Conflict(contact::LOGIN_CHANGED_MEANWHILE.to_owned())
}

async fn view(c: &mut dyn Conn, tenant_id: i64, id: i64) -> AppResult<Contact> {
    store::contacts::views(c, tenant_id, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

/// Runs `write` (a write transaction returning the contact's id) and answers with that contact's
/// view (see `Database::transact_then_read`).
async fn write_then_view(
    db: &Database,
    tenant_id: i64,
    write: impl AsyncFn(&mut Tx) -> AppResult<i64> + Send + Sync + 'static,
) -> AppResult<Contact> {
    db.transact_then_read(write, async move |tx, id| {
        view(tx.conn(), tenant_id, id).await
    })
    .await
}

/// A login email taken by a racing request surfaces as a unique violation at write time.
fn email_taken(e: store::StoreError) -> AppError {
    match e {
        store::StoreError::UniqueViolation {
            constraint: Some(constraints::PORTAL_LOGIN_EMAIL),
        } => AppError::Validation(ValidationErrors::single("email", LOGIN_EMAIL_TAKEN)),
        other => other.into(),
    }
}

/// A company deleted by a racing request after the check saw it surfaces as a violation of a
/// company foreign key at write time: the same 422 the check gives. (The store first runs the work
/// again, and then the check itself answers, with the exact path; this is the answer if that keeps
/// failing.)
fn company_gone(change: Option<&CompanyChange>) -> impl Fn(store::StoreError) -> AppError + '_ {
    move |e| match e {
        store::StoreError::ForeignKeyViolation {
            constraint:
                Some(constraints::CONTACT_PRIMARY_COMPANY | constraints::CONTACT_LINK_COMPANY),
        } => AppError::Validation(contact::companies_gone(change)),
        other => other.into(),
    }
}

pub async fn create(db: &Database, tenant_id: i64, draft: NewContactDraft) -> AppResult<Contact> {
    let password_hash = match (
        draft.is_well_formed(),
        draft.password(),
        draft.login_email(),
    ) {
        (true, Some(password), Some(email))
            if worth_hashing(db, tenant_id, None, Some(email.as_str().to_owned())).await? =>
        {
            Some(hash_password(password).await?)
        }
        _ => None,
    };
    write_then_view(db, tenant_id, async move |tx| {
        // Each run starts from the body as read.
        insert(
            tx.conn(),
            tenant_id,
            draft.clone(),
            password_hash.as_deref(),
        )
        .await
    })
    .await
}

/// The work of `POST /contacts` inside a write transaction (also what seeding runs, many per
/// transaction): checks, rules, then the rows. `password_hash` is the hash of the body's password,
/// made before the transaction. Returns the new id.
pub(super) async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    draft: NewContactDraft,
    password_hash: Option<&str>,
) -> AppResult<i64> {
    let checks = ContactChecks {
        missing_companies: missing_companies(c, tenant_id, &draft.company_ids()).await?,
        login_email_taken: match draft.login_email() {
            Some(email) => login_email_taken(c, tenant_id, None, email.as_str()).await?,
            None => false,
        },
    };
    let new = draft.finish(&checks)?;
    if new.login.is_some() && password_hash.is_none() {
        return Err(login_changed_meanwhile());
    }
    let gone = company_gone(Some(&new.companies));
    let id = store::contacts::insert(c, tenant_id, &new.fields, new.links.primary_company_id)
        .await
        .map_err(&gone)?;
    store::contacts::write_links(c, id, &new.links)
        .await
        .map_err(&gone)?;
    if !new.tags.is_empty() {
        store::tags::replace(c, tenant_id, RecordKind::Contact, id, &new.tags).await?;
    }
    if let (Some(hash), Some((email, _))) = (password_hash, &new.login) {
        store::contacts::upsert_login(c, tenant_id, id, email.as_str(), hash)
            .await
            .map_err(email_taken)?;
    }
    Ok(id)
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<Contact> {
    db.read_in_one_trip(async move |tx| view(tx.conn(), tenant_id, id).await)
        .await
}

pub async fn update(
    db: &Database,
    tenant_id: i64,
    id: i64,
    draft: ContactPatchDraft,
) -> AppResult<Contact> {
    let patch = draft.patch();
    let password_hash = match (draft.is_well_formed(), &patch.password, &patch.email) {
        // Clearing the email while setting a password fails in the plan.
        (true, Some(_), Patch::Null) | (false, _, _) | (_, None, _) => None,
        (true, Some(password), email) => {
            let email = match email {
                Patch::Set(email) => Some(email.as_str().to_owned()),
                _ => None,
            };
            if worth_hashing(db, tenant_id, Some(id), email).await? {
                Some(hash_password(password).await?)
            } else {
                None
            }
        }
    };
    let write = async move |tx: &mut Tx| {
        let patch = draft.patch();
        let parts = StateParts {
            links: patch.companies.is_some() || patch.flags != FlagsPatch::default(),
            tags: patch.tags.is_some(),
        };
        let current = store::contacts::load_state(tx.conn(), tenant_id, id, parts)
            .await?
            .ok_or(AppError::NotFound)?;
        let missing = missing_companies(tx.conn(), tenant_id, &draft.company_ids()).await?;
        let companies = patch.companies.clone();
        let planned = draft.clone().plan(&current, &missing);
        let taken = match planned.login_email() {
            Some(email) => login_email_taken(tx.conn(), tenant_id, Some(id), email).await?,
            None => false,
        };
        let plan = planned.finish(taken)?;
        if matches!(plan.login, LoginChange::SetPassword { .. }) && password_hash.is_none() {
            return Err(login_changed_meanwhile());
        }
        if plan.changes(&current) {
            save(tx.conn(), tenant_id, id, &current, &plan.state)
                .await
                .map_err(company_gone(companies.as_ref()))?;
            match &plan.login {
                LoginChange::SetPassword { email, .. } => {
                    if let Some(hash) = &password_hash {
                        store::contacts::upsert_login(tx.conn(), tenant_id, id, email, hash)
                            .await
                            .map_err(email_taken)?;
                    }
                }
                LoginChange::MoveEmail { email } => {
                    store::contacts::move_login_email(tx.conn(), id, email)
                        .await
                        .map_err(email_taken)?;
                }
                LoginChange::None => {}
            }
        }
        Ok(id)
    };
    write_then_view(db, tenant_id, write).await
}

/// Writes what differs between `before` and `after`, and moves `updated_at`.
async fn save(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
    before: &ContactState,
    after: &ContactState,
) -> Result<(), store::StoreError> {
    store::contacts::update_row(
        c,
        id,
        (&before.fields, before.links.primary_company_id),
        (&after.fields, after.links.primary_company_id),
    )
    .await?;
    if after.links != before.links {
        store::contacts::write_links(c, id, &after.links).await?;
    }
    if after.tags != before.tags {
        store::tags::replace(c, tenant_id, RecordKind::Contact, id, &after.tags).await?;
    }
    Ok(())
}

pub async fn delete(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| {
        if store::contacts::delete(tx.conn(), tenant_id, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}

/// `POST /contacts/{id}/b2b-portal-password` and `/password`: create or rotate the login.
pub async fn set_password(
    db: &Database,
    tenant_id: i64,
    id: i64,
    draft: PasswordDraft,
) -> AppResult<Contact> {
    let password_hash = match (draft.is_well_formed(), draft.password()) {
        (true, Some(password)) if worth_hashing(db, tenant_id, Some(id), None).await? => {
            Some(hash_password(password).await?)
        }
        _ => None,
    };
    let write = async move |tx: &mut Tx| {
        let current = store::contacts::load_state(tx.conn(), tenant_id, id, StateParts::default())
            .await?
            .ok_or(AppError::NotFound)?;
        let email = current.fields.email.as_deref();
        let taken = match email {
            Some(email) => login_email_taken(tx.conn(), tenant_id, Some(id), email).await?,
            None => false,
        };
        let (email, _password) = draft.clone().finish(email, taken)?;
        let Some(hash) = &password_hash else {
            return Err(login_changed_meanwhile());
        };
        store::contacts::upsert_login(tx.conn(), tenant_id, id, &email, hash)
            .await
            .map_err(email_taken)?;
        store::records::touch(tx.conn(), RecordKind::Contact, id).await?;
        Ok(id)
    };
    write_then_view(db, tenant_id, write).await
}

pub async fn list(
    db: &Database,
    tenant_id: i64,
    company_id: Option<i64>,
    query: ListQuery<ContactListField>,
) -> AppResult<(Vec<Contact>, u64)> {
    db.read_in_one_trip(async move |tx| {
        store::contacts::list(tx.conn(), tenant_id, company_id, &query)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// How often the server looks for contacts to index (the default of
/// `--search-index-interval-ms`).
pub const INDEX_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// The writer counts as quiet when no write transaction started for this long.
const QUIET: std::time::Duration = std::time::Duration::from_millis(50);

/// The pause between two batches while the requests write nothing.
const QUIET_PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

/// The pause between two batches through a backlog.
const BACKLOG_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// Past this many contacts waiting, the index is brought up to date even while writes go on: a
/// search tests each waiting contact directly, so the backlog bounds what it costs.
pub const MAX_BACKLOG: u64 = 20_000;

/// Keeps the contacts' substring index up to date (SQLite) for as long as it runs. Every
/// `every` it looks at what the writes since the last time left pending
/// (`store::contacts::index_pending`), and indexes it in batches when the writer is quiet, or
/// when more than [`MAX_BACKLOG`] contacts wait: indexing in the requests' busiest moments would
/// add its batches to their write latency. Searches are exact whether or not it has run; it keeps
/// them fast. Each batch is followed by a bounded step of merging the index
/// (`store::contacts::merge_search_index`). A failed batch is logged and retried later.
pub async fn keep_search_index(db: Database, every: std::time::Duration) {
    if db.dialect() != store::Dialect::Sqlite {
        return;
    }
    // Writes seen when the pending list was last found empty: until another write starts there
    // is nothing to look at, and not looking lets an idle store stay idle (its connections then
    // release their caches, see store::idle).
    let mut empty_at: Option<u64> = None;
    loop {
        tokio::time::sleep(every).await;
        if empty_at == Some(store::write_activity::started()) {
            continue;
        }
        let writes = store::write_activity::started();
        let waiting = db
            .read::<_, store::StoreError>(async |tx| {
                store::contacts::pending_index_entries(tx.conn()).await
            })
            .await;
        let mut waiting = match waiting {
            Ok(0) => {
                empty_at = Some(writes);
                continue;
            }
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "counting the contacts to index failed");
                continue;
            }
        };
        // Writes counted right after our own last batch: unchanged, no request wrote since.
        let mut own: Option<u64> = None;
        loop {
            let backlog = waiting > MAX_BACKLOG;
            let quiet = own == Some(store::write_activity::started())
                || store::write_activity::quiet_for() >= QUIET;
            if waiting == 0 || !(backlog || quiet) {
                break;
            }
            let indexed = db
                .transact::<_, store::StoreError>(async |tx| {
                    store::contacts::index_pending(tx.conn()).await
                })
                .await;
            // A bounded merge step after each batch, in its own transaction so that the
            // requests' writes can go in between.
            if indexed.is_ok()
                && let Err(e) = db
                    .transact::<_, store::StoreError>(async |tx| {
                        store::contacts::merge_search_index(tx.conn()).await
                    })
                    .await
            {
                tracing::warn!(error = %e, "merging the search index failed");
            }
            own = Some(store::write_activity::started());
            match indexed {
                Ok(n) => waiting = waiting.saturating_sub(n.max(1)),
                Err(e) => {
                    tracing::warn!(error = %e, "indexing contacts for search failed");
                    break;
                }
            }
            // A pause that leaves the writer to the requests in between: short while they are
            // quiet, longer through a backlog they keep writing into.
            tokio::time::sleep(if backlog { BACKLOG_PAUSE } else { QUIET_PAUSE }).await;
        }
    }
}
