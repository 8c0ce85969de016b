//! Custom-field definition use cases (§5.6).

use serde_json::{Map, Value};

use crate::domain::ValidationErrors;
use crate::domain::custom_field::{self, Definition, DefinitionFields, FieldKind};
use crate::error::{AppError, AppResult};
use crate::store::{self, Conn, Database, StoreError, constraints};

const LABEL_TAKEN: &str = "The label has already been taken.";

async fn view(c: &mut dyn Conn, tenant_id: i64, id: i64) -> AppResult<Definition> {
    store::custom_fields::get(c, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A label taken by a racing request surfaces as a unique violation at write time.
fn label_taken(e: StoreError) -> AppError {
    match e {
        StoreError::UniqueViolation {
            constraint: Some(constraints::CUSTOM_FIELD_LABEL),
        } => AppError::Validation(ValidationErrors::single("label", LABEL_TAKEN)),
        other => other.into(),
    }
}

/// `GET /custom-fields`, optionally only those applying to `object_type`.
pub async fn list(
    db: &Database,
    tenant_id: i64,
    object_type: Option<String>,
) -> AppResult<Vec<Definition>> {
    db.read(async move |tx| {
        let all = store::custom_fields::definitions(tx.conn(), tenant_id).await?;
        Ok(
            match object_type
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                Some(t) => all
                    .into_iter()
                    .filter(|d| d.object_types.iter().any(|o| o.eq_ignore_ascii_case(t)))
                    .collect(),
                None => all,
            },
        )
    })
    .await
}

pub async fn get(db: &Database, tenant_id: i64, id: i64) -> AppResult<Definition> {
    db.read(async move |tx| view(tx.conn(), tenant_id, id).await)
        .await
}

pub async fn create(
    db: &Database,
    tenant_id: i64,
    body: Map<String, Value>,
) -> AppResult<Definition> {
    let parsed = custom_field::parse_definition(&body, true);
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            // Each run starts from the body's own errors.
            let mut errors = parsed.errors.clone();
            let fields = custom_field::plan_definition(None, &parsed.value, &mut errors);
            if let Some(f) = &fields
                && store::custom_fields::label_taken(tx.conn(), tenant_id, &f.label, None).await?
            {
                errors.add("label", LABEL_TAKEN);
            }
            let Some(fields) = fields.filter(|_| errors.is_empty()) else {
                return Err(AppError::Validation(errors));
            };
            store::custom_fields::insert(tx.conn(), tenant_id, &fields)
                .await
                .map_err(label_taken)
        })
        .await?;
    get(db, tenant_id, id).await
}

/// How many stored values of a field would not fit `fields`.
async fn misfits(
    c: &mut dyn Conn,
    current: &Definition,
    fields: &DefinitionFields,
) -> AppResult<usize> {
    let probe = Definition {
        kind: fields.kind,
        options: fields.options.clone(),
        ..current.clone()
    };
    let values = store::custom_fields::values_of_field(c, current.id).await?;
    if fields.kind == FieldKind::Dropdown {
        // A stored dropdown value fits when it is one of the choices as spelled: one set lookup
        // per value, not a scan of the choices (this runs inside the write transaction, over every value).
        let choices: std::collections::HashSet<&str> = probe.choices().into_iter().collect();
        return Ok(values
            .iter()
            .filter(|v| !v.as_str().is_some_and(|s| choices.contains(s)))
            .count());
    }
    Ok(values
        .iter()
        .filter(|v| {
            let mut scratch = ValidationErrors::new();
            let fits = matches!(custom_field::check_value(&probe, v, "value", &mut scratch), Some(Some(ref n)) if n == *v);
            !fits
        })
        .count())
}

/// Partial update. A change of type or options that stored values would no longer fit is a 422.
pub async fn update(
    db: &Database,
    tenant_id: i64,
    id: i64,
    body: Map<String, Value>,
) -> AppResult<Definition> {
    let parsed = custom_field::parse_definition(&body, false);
    db.transact(async move |tx| -> AppResult<()> {
            let c = tx.conn();
            let current = view(c, tenant_id, id).await?;
            let mut errors = parsed.errors.clone();
            let before = current.fields();
            let fields = custom_field::plan_definition(Some(&before), &parsed.value, &mut errors);
            if let Some(f) = &fields {
                if store::custom_fields::label_taken(c, tenant_id, &f.label, Some(id)).await? {
                    errors.add("label", LABEL_TAKEN);
                }
                if errors.is_empty() && (f.kind != before.kind || f.options != before.options) {
                    let n = misfits(c, &current, f).await?;
                    if n > 0 {
                        let key = if f.kind != before.kind { "type" } else { "options" };
                        let noun = if n == 1 { "value does" } else { "values do" };
                        errors.add(
                            key,
                            format!("{n} stored {noun} not fit the new definition; change or remove them first."),
                        );
                    }
                }
            }
            let Some(fields) = fields.filter(|_| errors.is_empty()) else {
                return Err(AppError::Validation(errors));
            };
            if fields != before {
                store::custom_fields::update(c, id, &fields).await.map_err(label_taken)?;
            }
            Ok(())
    })
    .await?;
    get(db, tenant_id, id).await
}

/// Deletes a definition and every value of it.
pub async fn delete(db: &Database, tenant_id: i64, id: i64) -> AppResult<()> {
    db.transact(async move |tx| {
        if store::custom_fields::delete(tx.conn(), tenant_id, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}
