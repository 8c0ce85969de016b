//! Custom fields: SQL for the tenant's definitions and the values companies hold.
//!
//! Definitions keep `object_types` and `options` as JSON text, and `applies_to_companies` beside
//! them so that reading a company's values filters in SQL; values are JSON text (a number or a
//! string), so one column serves every field type.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use super::{Conn, Row, StoreError};
use crate::domain::Timestamp;
use crate::domain::custom_field::{
    COMPANIES, Definition, DefinitionFields, FieldKind, stored_value,
};
use crate::domain::input::name_key;

const SELECT: &str = "SELECT id, label, field_type, object_types, options, created_at, updated_at FROM custom_fields";

fn from_row(r: &Row) -> Result<Definition, StoreError> {
    let kind_name = r.text("field_type")?;
    let kind = FieldKind::parse(&kind_name)
        .ok_or_else(|| StoreError::Decode(format!("field type {kind_name:?}")))?;
    let object_types = match stored_value(&r.text("object_types")?) {
        Json::Array(items) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let options = match stored_value(&r.text("options")?) {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    Ok(Definition {
        id: r.int("id")?,
        label: r.text("label")?,
        kind,
        object_types,
        options,
        created_at: Timestamp(r.int("created_at")?),
        updated_at: Timestamp(r.int("updated_at")?),
    })
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Decode(e.to_string()))
}

fn applies_to_companies(f: &DefinitionFields) -> bool {
    f.object_types.iter().any(|t| t == COMPANIES)
}

/// Every definition of the tenant, in creation order.
pub async fn definitions(c: &mut dyn Conn, tenant_id: i64) -> Result<Vec<Definition>, StoreError> {
    let sql = format!("{SELECT} WHERE tenant_id = $1 ORDER BY id");
    c.query(&sql, &[tenant_id.into()])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn get(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<Definition>, StoreError> {
    let sql = format!("{SELECT} WHERE tenant_id = $1 AND id = $2");
    c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Whether another definition of the tenant has this label (case-insensitive).
pub async fn label_taken(
    c: &mut dyn Conn,
    tenant_id: i64,
    label: &str,
    except: Option<i64>,
) -> Result<bool, StoreError> {
    let row = c
        .query_opt(
            "SELECT id FROM custom_fields WHERE tenant_id = $1 AND label_key = $2",
            &[tenant_id.into(), name_key(label).into()],
        )
        .await?;
    Ok(match row {
        Some(r) => Some(r.int("id")?) != except,
        None => false,
    })
}

/// Stores a new definition. A racing duplicate label surfaces as [`StoreError::UniqueViolation`].
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    f: &DefinitionFields,
) -> Result<i64, StoreError> {
    c.query_one(
        "INSERT INTO custom_fields (tenant_id, label, label_key, field_type, object_types, options, \
         applies_to_companies, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        &[
            tenant_id.into(),
            f.label.as_str().into(),
            name_key(&f.label).into(),
            f.kind.name().into(),
            json_text(&f.object_types)?.into(),
            json_text(&f.options)?.into(),
            applies_to_companies(f).into(),
            c.now().into(),
        ],
    )
    .await?
    .int("id")
}

pub async fn update(c: &mut dyn Conn, id: i64, f: &DefinitionFields) -> Result<(), StoreError> {
    c.execute(
        "UPDATE custom_fields SET label = $1, label_key = $2, field_type = $3, object_types = $4, options = $5, \
         applies_to_companies = $6, updated_at = $7 WHERE id = $8",
        &[
            f.label.as_str().into(),
            name_key(&f.label).into(),
            f.kind.name().into(),
            json_text(&f.object_types)?.into(),
            json_text(&f.options)?.into(),
            applies_to_companies(f).into(),
            c.now().into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes a definition with its values; the companies that held a value change too.
pub async fn delete(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    c.execute(
        "UPDATE companies SET updated_at = $1 WHERE tenant_id = $2 AND id IN \
         (SELECT company_id FROM company_custom_values WHERE field_id = $3)",
        &[c.now().into(), tenant_id.into(), id.into()],
    )
    .await?;
    c.execute(
        "DELETE FROM company_custom_values WHERE field_id IN (SELECT id FROM custom_fields WHERE tenant_id = $1 AND id = $2)",
        &[tenant_id.into(), id.into()],
    )
    .await?;
    let n = c
        .execute(
            "DELETE FROM custom_fields WHERE tenant_id = $1 AND id = $2",
            &[tenant_id.into(), id.into()],
        )
        .await?;
    Ok(n > 0)
}

/// The stored values of one field, as JSON.
pub async fn values_of_field(c: &mut dyn Conn, field_id: i64) -> Result<Vec<Json>, StoreError> {
    c.query(
        "SELECT value FROM company_custom_values WHERE field_id = $1",
        &[field_id.into()],
    )
    .await?
    .iter()
    .map(|r| Ok(stored_value(&r.text("value")?)))
    .collect()
}

/// The `custom_fields` object (label → value, in definition order) of each of `company_ids`: the
/// values of fields that apply to companies (a field unlinked from them keeps its values hidden).
pub async fn values_of(
    c: &mut dyn Conn,
    company_ids: &[i64],
) -> Result<HashMap<i64, Map<String, Json>>, StoreError> {
    let mut out: HashMap<i64, Map<String, Json>> = HashMap::new();
    if company_ids.is_empty() {
        return Ok(out);
    }
    let mut params = Vec::with_capacity(1);
    let sql = format!(
        "SELECT v.company_id, f.label, v.value FROM company_custom_values v JOIN custom_fields f ON f.id = v.field_id \
         WHERE {} AND f.applies_to_companies = 1 ORDER BY v.company_id, f.id",
        c.dialect().id_in("v.company_id", company_ids, &mut params)
    );
    for r in c.query(&sql, &params).await? {
        out.entry(r.int("company_id")?)
            .or_default()
            .insert(r.text("label")?, stored_value(&r.text("value")?));
    }
    Ok(out)
}

/// Sets (`Some`) or removes (`None`) values of one company; true if anything changed.
pub async fn set_values(
    c: &mut dyn Conn,
    company_id: i64,
    values: &[(i64, Option<Json>)],
) -> Result<bool, StoreError> {
    let current: HashMap<i64, String> = c
        .query(
            "SELECT field_id, value FROM company_custom_values WHERE company_id = $1",
            &[company_id.into()],
        )
        .await?
        .iter()
        .map(|r| Ok((r.int("field_id")?, r.text("value")?)))
        .collect::<Result<_, StoreError>>()?;
    let mut changed = false;
    for (field_id, value) in values {
        match value {
            None if current.contains_key(field_id) => {
                c.execute(
                    "DELETE FROM company_custom_values WHERE company_id = $1 AND field_id = $2",
                    &[company_id.into(), (*field_id).into()],
                )
                .await?;
                changed = true;
            }
            None => {}
            Some(v) => {
                let text = json_text(v)?;
                if current.get(field_id) == Some(&text) {
                    continue;
                }
                c.execute(
                    "INSERT INTO company_custom_values (company_id, field_id, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (company_id, field_id) DO UPDATE SET value = excluded.value",
                    &[company_id.into(), (*field_id).into(), text.into()],
                )
                .await?;
                changed = true;
            }
        }
    }
    Ok(changed)
}
