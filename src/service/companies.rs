//! Company use cases.

use serde_json::{Map, Value};

use crate::domain::company::{self, Company};
use crate::error::{AppError, AppResult};
use crate::store::{self, Database};

pub async fn create(db: &Database, tenant_id: i64, body: Map<String, Value>) -> AppResult<Company> {
    let parsed = company::parse_create(&body);
    if !parsed.errors.is_empty() {
        return Err(AppError::Validation(parsed.errors));
    }
    let fields = parsed.value;
    db.write(Box::new(move |c| {
        Box::pin(async move {
            let id = store::companies::insert(c, tenant_id, &fields).await?;
            store::companies::get(c, tenant_id, id).await?.ok_or(AppError::NotFound)
        })
    }))
    .await
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<Company> {
    db.read(Box::new(move |c| {
        Box::pin(async move { store::companies::get(c, tenant_id, id).await?.ok_or(AppError::NotFound) })
    }))
    .await
}
