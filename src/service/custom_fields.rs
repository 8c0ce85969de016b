//! Custom-field definition use cases (§5.6).

use crate::domain::ValidationErrors;
use crate::domain::custom_field::{
    self, Definition, DefinitionChecks, DefinitionFields, DefinitionPatch, FieldKind, LABEL_TAKEN,
    finish_definition, plan_definition,
};
use crate::domain::input::Draft;
use crate::error::{AppError, AppResult};
use crate::store::{self, Conn, Database, StoreError, constraints};

async fn view(c: &mut dyn Conn, tenant_id: i64, id: i64) -> AppResult<Definition> {
    store::custom_fields::get(c, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A label taken by a racing request surfaces as a unique violation at write time.
fn label_taken_meanwhile(e: StoreError) -> AppError {
    match e {
        StoreError::UniqueViolation {
            constraint: Some(constraints::CUSTOM_FIELD_LABEL),
        } => AppError::Validation(ValidationErrors::single("label", LABEL_TAKEN)),
        other => other.into(),
    }
}

/// `GET /custom-fields`, optionally only those applying to `object_type` (a logical name or its
/// alias; any other name applies to none).
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
                Some(t) => match custom_field::object_type(t) {
                    Some(logical) => all.into_iter().filter(|d| d.applies_to(logical)).collect(),
                    None => Vec::new(),
                },
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
    draft: Draft<DefinitionPatch>,
) -> AppResult<Definition> {
    let id = db
        .transact(async move |tx| -> AppResult<i64> {
            let planned = draft
                .clone()
                .then(|patch, errors| plan_definition(None, &patch, errors));
            let label_taken = match planned.peek() {
                Some(f) => {
                    store::custom_fields::label_taken(tx.conn(), tenant_id, &f.label, None).await?
                }
                None => false,
            };
            let checks = DefinitionChecks {
                label_taken,
                misfits: 0,
            };
            let fields = finish_definition(planned, None, checks)?;
            let id = store::custom_fields::insert(tx.conn(), tenant_id, &fields)
                .await
                .map_err(label_taken_meanwhile)?;
            Ok(id)
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
        // per value, not a scan of the choices (this runs on the writer, over every value).
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
    draft: Draft<DefinitionPatch>,
) -> AppResult<Definition> {
    db.transact(async move |tx| -> AppResult<()> {
        let current = view(tx.conn(), tenant_id, id).await?;
        let before = current.fields();
        let planned = draft
            .clone()
            .then(|patch, errors| plan_definition(Some(&before), &patch, errors));
        let mut checks = DefinitionChecks::default();
        if let Some(f) = planned.peek() {
            checks.label_taken =
                store::custom_fields::label_taken(tx.conn(), tenant_id, &f.label, Some(id)).await?;
            if planned.is_well_formed()
                && !checks.label_taken
                && (f.kind != before.kind || f.options != before.options)
            {
                checks.misfits = misfits(tx.conn(), &current, f).await?;
            }
        }
        let fields = finish_definition(planned, Some(&before), checks)?;
        if fields != before {
            store::custom_fields::update(tx.conn(), id, &fields)
                .await
                .map_err(label_taken_meanwhile)?;
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
