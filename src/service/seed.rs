//! Seeding a tenant with sample data (`POST /admin/v1/tenants/{slug}/seed`, `rolodex seed`).
//!
//! The records come from `domain::seed` as the bodies a client would send, and go through the
//! API's own parsing, rules and writes (`companies::insert`, `contacts::insert`), only many per
//! transaction: [`BATCH`] records per write. So seeded data is data the API could have made, and a
//! large seed costs a few dozen commits, not one per record. The batches commit one after another:
//! a seed that fails half-way keeps the batches before the failure.

use rand::RngExt;
use serde_json::{Map, Value, json};

use super::{companies, contacts, custom_fields};
use crate::domain::ValidationErrors;
use crate::domain::admin::{SeedCounts, SeedRequest};
use crate::domain::company;
use crate::domain::contact::NewContactDraft;
use crate::domain::custom_field::{CustomValues, Definition, LABEL_TAKEN, parse_definition};
use crate::domain::seed::{self, SeedCompany, SeedContact};
use crate::error::{AppError, AppResult};
use crate::store::{self, Database};

/// Records per write transaction: small enough that other writers (on SQLite, every other
/// tenant's) wait at most a few milliseconds behind one batch.
const BATCH: usize = 100;

/// A seeded body the API's rules refused is a bug of the generator (or a tenant whose own data
/// conflicts with it): a 500 with the rule's message in the log, not a 422 about fields the
/// caller never sent.
fn refused(what: &str) -> impl Fn(AppError) -> AppError + '_ {
    move |e| match e {
        AppError::Validation(errors) => {
            AppError::Internal(format!("a seeded {what} was refused: {}", errors.summary()))
        }
        other => other,
    }
}

/// Creates the sample custom-field definitions the tenant lacks (a label it already has is kept
/// as it is).
async fn ensure_definitions(db: &Database, tenant_id: i64) -> AppResult<Vec<Definition>> {
    for body in seed::definitions() {
        match custom_fields::create(db, tenant_id, parse_definition(&body, true)).await {
            Ok(_) => {}
            Err(AppError::Validation(e))
                if e.entries()
                    .iter()
                    .any(|(k, m)| k == "label" && m.iter().any(|m| m == LABEL_TAKEN)) => {}
            Err(e) => return Err(refused("custom field")(e)),
        }
    }
    db.read(async move |tx| Ok(store::custom_fields::definitions(tx.conn(), tenant_id).await?))
        .await
}

/// Drops the custom-field values the tenant's definitions refuse (a label it defined otherwise).
fn keep_fitting_values(body: &mut Map<String, Value>, definitions: &[Definition]) {
    if let Some(Value::Object(values)) = body.get_mut("custom_fields") {
        values.retain(|label, value| {
            let mut errors = ValidationErrors::new();
            let one: Map<String, Value> = [(label.clone(), value.clone())].into_iter().collect();
            CustomValues::from(one).resolve(definitions, "", &mut errors);
            errors.is_empty()
        });
    }
}

/// Seeds the tenant; `progress(done, total)` is called after each batch.
pub async fn seed(
    db: &Database,
    tenant_id: i64,
    request: SeedRequest,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<SeedCounts> {
    // A seed fits an i64 too, so it can always be sent back in JSON or on the command line.
    let seed = request
        .seed
        .unwrap_or_else(|| rand::rng().random_range(0..=i64::MAX as u64));
    let plan = seed::plan(seed, request.companies, request.contacts);
    let total = plan.companies.len() + plan.contacts.len();
    // As the tenant: its share of the database, and (PostgreSQL) its records lock, like its
    // requests' writes.
    db.as_tenant(tenant_id, async move {
        let definitions = if plan.companies.is_empty() {
            Vec::new()
        } else {
            ensure_definitions(db, tenant_id).await?
        };
        let mut ids: Vec<i64> = Vec::with_capacity(plan.companies.len());
        for batch in plan.companies.chunks(BATCH) {
            let made = create_companies(db, tenant_id, batch, &ids, &definitions).await?;
            ids.extend(made);
            progress(ids.len(), total);
        }
        let mut done = 0;
        for batch in plan.contacts.chunks(BATCH) {
            done += create_contacts(db, tenant_id, batch, &ids).await?;
            progress(ids.len() + done, total);
        }
        Ok(SeedCounts {
            seed,
            companies: ids.len(),
            contacts: done,
        })
    })
    .await
}

async fn create_companies(
    db: &Database,
    tenant_id: i64,
    batch: &[SeedCompany],
    earlier: &[i64],
    definitions: &[Definition],
) -> AppResult<Vec<i64>> {
    let bodies: Vec<(Map<String, Value>, Option<usize>)> = batch
        .iter()
        .map(|c| {
            let mut body = c.body.clone();
            keep_fitting_values(&mut body, definitions);
            (body, c.parent)
        })
        .collect();
    let earlier = earlier.to_vec();
    db.transact(async move |tx| -> AppResult<Vec<i64>> {
        let mut ids = earlier.clone();
        for (body, parent) in &bodies {
            let mut body = body.clone();
            if let Some(parent) = parent.and_then(|p| ids.get(p)) {
                body.insert("parent_company_id".into(), json!(parent));
            }
            let id = companies::insert(tx.conn(), tenant_id, company::parse(&body, true))
                .await
                .map_err(refused("company"))?;
            ids.push(id);
        }
        Ok(ids.split_off(earlier.len()))
    })
    .await
}

async fn create_contacts(
    db: &Database,
    tenant_id: i64,
    batch: &[SeedContact],
    company_ids: &[i64],
) -> AppResult<usize> {
    let bodies: Vec<Map<String, Value>> = batch
        .iter()
        .map(|c| {
            let mut body = c.body.clone();
            let ids: Vec<i64> = c
                .companies
                .iter()
                .filter_map(|i| company_ids.get(*i).copied())
                .collect();
            body.insert("company_ids".into(), json!(ids));
            body
        })
        .collect();
    db.transact(async move |tx| -> AppResult<usize> {
        for body in &bodies {
            contacts::insert(tx.conn(), tenant_id, NewContactDraft::parse(body), None)
                .await
                .map_err(refused("contact"))?;
        }
        Ok(bodies.len())
    })
    .await
}
