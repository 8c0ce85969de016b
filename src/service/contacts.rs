//! Contact use cases (§4).

use serde_json::{Map, Value};

use super::hash_password;
use crate::domain::ValidationErrors;
use crate::domain::contact::{
    self, CompanyChange, Contact, ContactState, FlagsPatch, Links, LoginChange,
};
use crate::domain::input::Patch;
use crate::error::{AppError, AppResult};
use crate::query::ListQuery;
use crate::store::contacts::StateParts;
use crate::store::{self, Conn, Database, constraints};

/// Records a 422 for each requested company id that is not a company of the tenant.
async fn check_companies(
    c: &mut dyn Conn,
    tenant_id: i64,
    change: Option<&CompanyChange>,
    errors: &mut ValidationErrors,
) -> AppResult<()> {
    let Some(change) = change else { return Ok(()) };
    let requested = change.ids_with_paths();
    let ids: Vec<i64> = requested.iter().map(|(id, _)| *id).collect();
    let found = store::companies::existing_ids(c, tenant_id, &ids).await?;
    for (id, path) in requested {
        if !found.contains(&id) {
            let field = if path.contains('.') {
                path.clone()
            } else {
                path.replace('_', " ")
            };
            errors.add(path, format!("The selected {field} is invalid."));
        }
    }
    Ok(())
}

/// Records a 422 on `email` when another contact's login already uses `email`.
async fn check_login_email(
    c: &mut dyn Conn,
    tenant_id: i64,
    contact_id: Option<i64>,
    email: &str,
    errors: &mut ValidationErrors,
) -> AppResult<()> {
    if let Some(owner) = store::contacts::login_owner(c, tenant_id, email).await?
        && Some(owner) != contact_id
    {
        errors.add(
            "email",
            "The email has already been taken by another portal login.",
        );
    }
    Ok(())
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
        let mut errors = ValidationErrors::new();
        check_login_email(tx.conn(), tenant_id, contact_id, &email, &mut errors).await?;
        Ok(errors.is_empty())
    })
    .await
}

/// A password was asked for and the write found nothing wrong, but it was not hashed because the
/// pre-check saw a conflict that has gone since: the client may simply retry.
fn login_changed_meanwhile() -> AppError {
    AppError::Conflict(
        "The portal login email changed while the request ran; please retry.".to_owned(),
    )
}

async fn view(c: &mut dyn Conn, tenant_id: i64, id: i64) -> AppResult<Contact> {
    store::contacts::views(c, tenant_id, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

/// A login email taken by a racing request surfaces as a violation of its unique constraint at
/// write time.
fn email_taken(e: store::StoreError) -> AppError {
    match e {
        store::StoreError::UniqueViolation {
            constraint: Some(constraints::PORTAL_LOGIN_EMAIL),
        } => AppError::Validation(ValidationErrors::single(
            "email",
            "The email has already been taken by another portal login.",
        )),
        other => other.into(),
    }
}

/// A company deleted by a racing request after [`check_companies`] saw it surfaces as a violation of
/// a company foreign key at write time: the same 422 the check gives. (The store first runs the work
/// again, and then the check itself answers, with the exact path; this is the answer if that keeps
/// failing.)
fn company_gone(change: Option<&CompanyChange>) -> impl Fn(store::StoreError) -> AppError + '_ {
    move |e| match e {
        store::StoreError::ForeignKeyViolation {
            constraint:
                Some(constraints::CONTACT_PRIMARY_COMPANY | constraints::CONTACT_LINK_COMPANY),
        } => {
            let field = match change {
                Some(CompanyChange::Replace(_)) => "company_ids",
                _ => "company_id",
            };
            AppError::Validation(ValidationErrors::single(
                field,
                format!("The selected {} is invalid.", field.replace('_', " ")),
            ))
        }
        other => other.into(),
    }
}

pub async fn create(db: &Database, tenant_id: i64, body: Map<String, Value>) -> AppResult<Contact> {
    let parsed = contact::parse_create(&body);
    let new = parsed.value;
    let errors = parsed.errors;
    let password_hash = if errors.is_empty()
        && new.password.is_some()
        && worth_hashing(db, tenant_id, None, new.fields.email.clone()).await?
    {
        hash_password(new.password.clone()).await?
    } else {
        None
    };
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            // Each run starts from the body's own errors.
            let mut errors = errors.clone();
            check_companies(tx.conn(), tenant_id, new.companies.as_ref(), &mut errors).await?;
            if let (Some(_), Some(email)) = (&new.password, &new.fields.email) {
                check_login_email(tx.conn(), tenant_id, None, email, &mut errors).await?;
            }
            let Some(change) = new.companies.as_ref().filter(|_| errors.is_empty()) else {
                return Err(AppError::Validation(errors));
            };
            if new.password.is_some() && password_hash.is_none() {
                return Err(login_changed_meanwhile());
            }
            let links = Links::new(change, &new.flags).ok_or_else(|| {
                AppError::Validation(ValidationErrors::single(
                    "company_id",
                    "The company id field is required.",
                ))
            })?;
            let gone = company_gone(Some(change));
            let id = store::contacts::insert(
                tx.conn(),
                tenant_id,
                &new.fields,
                links.primary_company_id,
            )
            .await
            .map_err(&gone)?;
            store::contacts::write_links(tx.conn(), id, &links)
                .await
                .map_err(&gone)?;
            if !new.tags.is_empty() {
                store::contacts::replace_tags(
                    tx.conn(),
                    tenant_id,
                    "contact_tags",
                    "contact_id",
                    id,
                    &new.tags,
                )
                .await?;
            }
            if let (Some(hash), Some(email)) = (&password_hash, &new.fields.email) {
                store::contacts::upsert_login(tx.conn(), tenant_id, id, email, hash)
                    .await
                    .map_err(email_taken)?;
            }
            Ok(id)
        })
        .await?;
    get(db, tenant_id, id).await
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<Contact> {
    db.read(async move |tx| view(tx.conn(), tenant_id, id).await)
        .await
}

pub async fn update(
    db: &Database,
    tenant_id: i64,
    id: i64,
    body: Map<String, Value>,
) -> AppResult<Contact> {
    let parsed = contact::parse_update(&body);
    let patch = parsed.value;
    let errors = parsed.errors;
    let password_hash = if errors.is_empty()
        && patch.password.is_some()
        && match &patch.email {
            // Clearing the email while setting a password fails in the plan.
            Patch::Null => false,
            Patch::Set(email) => {
                worth_hashing(db, tenant_id, Some(id), Some(email.clone())).await?
            }
            Patch::Absent => worth_hashing(db, tenant_id, Some(id), None).await?,
        } {
        hash_password(patch.password.clone()).await?
    } else {
        None
    };
    db.transact(async move |tx| -> AppResult<()> {
        let mut errors = errors.clone();
        let parts = StateParts {
            links: patch.companies.is_some() || patch.flags != FlagsPatch::default(),
            tags: patch.tags.is_some(),
        };
        let current = store::contacts::load_state(tx.conn(), tenant_id, id, parts)
            .await?
            .ok_or(AppError::NotFound)?;
        check_companies(tx.conn(), tenant_id, patch.companies.as_ref(), &mut errors).await?;
        let plan = contact::plan_update(&current, &patch, &mut errors);
        match &plan.login {
            LoginChange::SetPassword { email, .. } | LoginChange::MoveEmail { email } => {
                check_login_email(tx.conn(), tenant_id, Some(id), email, &mut errors).await?;
            }
            LoginChange::None => {}
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        if matches!(plan.login, LoginChange::SetPassword { .. }) && password_hash.is_none() {
            return Err(login_changed_meanwhile());
        }
        if plan.changes(&current) {
            save(tx.conn(), tenant_id, id, &current, &plan.state)
                .await
                .map_err(company_gone(patch.companies.as_ref()))?;
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
        Ok(())
    })
    .await?;
    get(db, tenant_id, id).await
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
        store::contacts::replace_tags(c, tenant_id, "contact_tags", "contact_id", id, &after.tags)
            .await?;
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
    body: Map<String, Value>,
) -> AppResult<Contact> {
    let parsed = contact::parse_password(&body);
    let errors = parsed.errors;
    let password_hash = if errors.is_empty()
        && parsed.value.is_some()
        && worth_hashing(db, tenant_id, Some(id), None).await?
    {
        hash_password(parsed.value).await?
    } else {
        None
    };
    db.transact(async move |tx| -> AppResult<()> {
        let mut errors = errors.clone();
        let current = store::contacts::load_state(tx.conn(), tenant_id, id, StateParts::default())
            .await?
            .ok_or(AppError::NotFound)?;
        match &current.fields.email {
            None => errors.add(
                "email",
                "The contact must have an email to get a portal login.",
            ),
            Some(email) => {
                check_login_email(tx.conn(), tenant_id, Some(id), email, &mut errors).await?
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let (Some(hash), Some(email)) = (&password_hash, &current.fields.email) else {
            return Err(login_changed_meanwhile());
        };
        store::contacts::upsert_login(tx.conn(), tenant_id, id, email, hash)
            .await
            .map_err(email_taken)?;
        store::contacts::touch(tx.conn(), id).await?;
        Ok(())
    })
    .await?;
    get(db, tenant_id, id).await
}

pub async fn list(
    db: &Database,
    tenant_id: i64,
    company_id: Option<i64>,
    query: ListQuery,
) -> AppResult<(Vec<Contact>, u64)> {
    db.read(async move |tx| {
        if let Some(company_id) = company_id
            && !store::companies::exists(tx.conn(), tenant_id, company_id).await?
        {
            return Err(AppError::NotFound);
        }
        Ok(store::contacts::list(tx.conn(), tenant_id, company_id, &query).await?)
    })
    .await
}
