//! Price levels: SQL for the tenant's levels, their list, and the companies that use one.

use std::collections::HashMap;

use super::list::{ListFieldSql, SqlField};
use super::{Conn, Row, StoreError, Value};
use crate::domain::Timestamp;
use crate::domain::input::name_key;
use crate::domain::price_level::{
    LevelStatus, LevelType, Named, PriceLevel, PriceLevelListField, PriceLevelRecord,
};
use crate::query::ListQuery;

/// Where each price-level list field lives; `pl` is the price_levels row.
impl ListFieldSql for PriceLevelListField {
    fn sql(self) -> SqlField {
        use PriceLevelListField as F;
        match self {
            F::Id => SqlField::Scalar("pl.id"),
            F::Name => SqlField::Scalar("pl.name"),
            F::Status => SqlField::Scalar("pl.status"),
            F::Type => SqlField::Scalar("pl.level_type"),
            F::CreatedAt => SqlField::Scalar("pl.created_at"),
            F::UpdatedAt => SqlField::Scalar("pl.updated_at"),
        }
    }
}

const COLUMNS: &str =
    "pl.id, pl.status, pl.name, pl.level_type, pl.percent_increase, pl.created_at, pl.updated_at";

fn named<T: Named>(r: &Row, column: &str) -> Result<T, StoreError> {
    let text = r.text(column)?;
    T::parse(&text).ok_or_else(|| StoreError::Decode(format!("{column} {text:?}")))
}

fn record_from_row(r: &Row) -> Result<PriceLevelRecord, StoreError> {
    Ok(PriceLevelRecord {
        name: r.text("name")?,
        status: named::<LevelStatus>(r, "status")?,
        kind: named::<LevelType>(r, "level_type")?,
        percent_increase: r.real_opt("percent_increase")?.unwrap_or(0.0),
    })
}

fn from_row(r: &Row) -> Result<PriceLevel, StoreError> {
    Ok(PriceLevel::new(
        r.int("id")?,
        record_from_row(r)?,
        Timestamp(r.int("created_at")?),
        Timestamp(r.int("updated_at")?),
    ))
}

pub async fn get(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<PriceLevel>, StoreError> {
    Ok(of_ids(c, tenant_id, &[id]).await?.remove(&id))
}

/// The tenant's levels with these ids, by id (for the companies that show them).
pub async fn of_ids(
    c: &mut dyn Conn,
    tenant_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, PriceLevel>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut params: Vec<Value> = vec![tenant_id.into()];
    let sql = format!(
        "SELECT {COLUMNS} FROM price_levels pl WHERE pl.tenant_id = $1 AND {}",
        c.dialect().id_in("pl.id", ids, &mut params)
    );
    c.query(&sql, &params)
        .await?
        .iter()
        .map(|r| from_row(r).map(|level| (level.id, level)))
        .collect()
}

/// The level's row, read (and on PostgreSQL locked) inside the write transaction.
pub async fn load(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<PriceLevelRecord>, StoreError> {
    let lock = c.dialect().for_update(&["pl"]);
    let sql = format!(
        "SELECT {COLUMNS} FROM price_levels pl WHERE pl.tenant_id = $1 AND pl.id IN ($2){lock}"
    );
    c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .map(|r| record_from_row(&r))
        .transpose()
}

/// Whether the level exists in the tenant.
pub async fn exists(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        "SELECT id FROM price_levels WHERE tenant_id = $1 AND id IN ($2)",
        &[tenant_id.into(), id.into()],
    )
    .await?
    .is_some())
}

/// Whether another level of the tenant has this name (case-insensitive).
pub async fn name_taken(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<bool, StoreError> {
    let row = c
        .query_opt(
            "SELECT id FROM price_levels WHERE tenant_id = $1 AND name_key = $2",
            &[tenant_id.into(), name_key(name).into()],
        )
        .await?;
    Ok(match row {
        Some(r) => Some(r.int("id")?) != except,
        None => false,
    })
}

fn record_params(r: &PriceLevelRecord) -> Vec<Value> {
    vec![
        r.name.as_str().into(),
        name_key(&r.name).into(),
        r.status.name().into(),
        r.kind.name().into(),
        r.percent_increase.into(),
    ]
}

/// Stores a new level. A racing duplicate name surfaces as [`StoreError::UniqueViolation`].
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    r: &PriceLevelRecord,
) -> Result<i64, StoreError> {
    let mut params = record_params(r);
    params.push(tenant_id.into());
    params.push(c.now().into());
    c.query_one(
        "INSERT INTO price_levels (name, name_key, status, level_type, percent_increase, tenant_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        &params,
    )
    .await?
    .int("id")
}

/// Rewrites the level and moves its `updated_at`.
pub async fn update(c: &mut dyn Conn, id: i64, r: &PriceLevelRecord) -> Result<(), StoreError> {
    let mut params = record_params(r);
    params.push(c.now().into());
    params.push(id.into());
    c.execute(
        "UPDATE price_levels SET name = $1, name_key = $2, status = $3, level_type = $4, percent_increase = $5, \
         updated_at = $6 WHERE id = $7",
        &params,
    )
    .await?;
    Ok(())
}

/// How many of the tenant's companies have the level.
pub async fn companies_using(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<u64, StoreError> {
    let n = c
        .query_one(
            "SELECT COUNT(*) AS n FROM companies WHERE price_level_id IN ($1) AND tenant_id = $2",
            &[id.into(), tenant_id.into()],
        )
        .await?
        .int("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes the level (no company may use it: the foreign key refuses otherwise).
pub async fn delete(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "DELETE FROM price_levels WHERE tenant_id = $1 AND id = $2",
            &[tenant_id.into(), id.into()],
        )
        .await?;
    Ok(n > 0)
}

/// One page of the tenant's levels and the total.
pub async fn list(
    c: &mut dyn Conn,
    tenant_id: i64,
    q: &ListQuery<PriceLevelListField>,
) -> Result<(Vec<PriceLevel>, u64), StoreError> {
    let (rows, total) = super::list::list_page(
        c,
        "FROM price_levels pl",
        &format!("SELECT {COLUMNS} FROM price_levels pl"),
        "pl.tenant_id = $1",
        vec![tenant_id.into()],
        q,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}
