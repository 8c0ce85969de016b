//! Warehouses: SQL for warehouse rows, their hierarchy, the list, and the default warehouse every
//! tenant starts with.

use super::list::{ListFieldSql, SqlField};
use super::{Conn, Row, StoreError, Value};
use crate::domain::Timestamp;
use crate::domain::input::name_key;
use crate::domain::warehouse::{
    DEFAULT_NAME, Warehouse, WarehouseListField, WarehouseParts, WarehouseRecord, WarehouseStatus,
};
use crate::query::ListQuery;

/// Where each warehouse list field lives; `w` is the warehouses row.
impl ListFieldSql for WarehouseListField {
    fn sql(self) -> SqlField {
        use WarehouseListField as F;
        match self {
            F::Id => SqlField::Scalar("w.id"),
            F::Name => SqlField::Scalar("w.name"),
            F::Status => SqlField::Scalar("w.status"),
            F::ParentId => SqlField::Scalar("w.parent_id"),
            F::CreatedAt => SqlField::Scalar("w.created_at"),
            F::UpdatedAt => SqlField::Scalar("w.updated_at"),
        }
    }
}

/// The columns [`from_row`] reads (by name).
const COLUMNS: &str = "w.id, w.status, w.name, w.parent_id, w.created_at, w.updated_at";

fn record_from_row(r: &Row) -> Result<WarehouseRecord, StoreError> {
    let status = r.text("status")?;
    Ok(WarehouseRecord {
        status: WarehouseStatus::parse(&status)
            .ok_or_else(|| StoreError::Decode(format!("warehouse status {status:?}")))?,
        name: r.text("name")?,
        parent_id: r.int_opt("parent_id")?,
    })
}

fn from_row(r: &Row) -> Result<Warehouse, StoreError> {
    Ok(Warehouse::new(WarehouseParts {
        id: r.int("id")?,
        record: record_from_row(r)?,
        created_at: Timestamp(r.int("created_at")?),
        updated_at: Timestamp(r.int("updated_at")?),
    }))
}

pub async fn get(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<Warehouse>, StoreError> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM warehouses w WHERE w.tenant_id = $1 AND w.id = $2"),
        &[tenant_id.into(), id.into()],
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// The warehouse's row, read (and on PostgreSQL locked) inside a write transaction.
pub async fn load(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<WarehouseRecord>, StoreError> {
    let lock = c.dialect().for_update(&["w"]);
    let sql = format!(
        "SELECT w.status, w.name, w.parent_id FROM warehouses w WHERE w.tenant_id = $1 AND w.id = $2{lock}"
    );
    c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .map(|r| record_from_row(&r))
        .transpose()
}

/// On PostgreSQL, makes the tenant's warehouse changes that depend on other warehouses (a new
/// parent, a delete) take turns until the transaction ends: two concurrent re-parentings could
/// otherwise close a loop that neither saw, and two concurrent deletes could remove the last two
/// warehouses. Locks the tenant row without blocking inserts that refer to it (`FOR NO KEY
/// UPDATE`). SQLite runs writes one at a time, so there is nothing to do.
pub async fn lock_hierarchy(c: &mut dyn Conn, tenant_id: i64) -> Result<(), StoreError> {
    if !c.dialect().locks_rows() {
        return Ok(());
    }
    let lock = c.dialect().for_no_key_update(&["t"]);
    c.query(
        &format!("SELECT t.id FROM tenants t WHERE t.id = $1{lock}"),
        &[tenant_id.into()],
    )
    .await?;
    Ok(())
}

/// One page of the tenant's warehouses and the total.
pub async fn list(
    c: &mut dyn Conn,
    tenant_id: i64,
    q: &ListQuery<WarehouseListField>,
) -> Result<(Vec<Warehouse>, u64), StoreError> {
    let (rows, total) = super::list::list_page(
        c,
        "FROM warehouses w",
        &format!("SELECT {COLUMNS} FROM warehouses w"),
        "w.tenant_id = $1",
        vec![tenant_id.into()],
        q,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// Whether another warehouse of the tenant than `except` has this name (case-insensitive).
pub async fn name_taken(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<bool, StoreError> {
    let row = c
        .query_opt(
            "SELECT id FROM warehouses WHERE tenant_id = $1 AND name_key = $2",
            &[tenant_id.into(), name_key(name).into()],
        )
        .await?;
    Ok(match row {
        Some(r) => Some(r.int("id")?) != except,
        None => false,
    })
}

/// Whether the warehouse exists in the tenant.
pub async fn exists(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        "SELECT id FROM warehouses WHERE tenant_id = $1 AND id = $2",
        &[tenant_id.into(), id.into()],
    )
    .await?
    .is_some())
}

/// The ancestors of a warehouse, nearest first, at most `limit + 1` of them (stops at a repeat, so
/// damaged data cannot loop). More than `limit` means a hierarchy deeper than allowed.
pub async fn ancestors(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::new();
    let mut current = id;
    while out.len() <= limit {
        let parent = c
            .query_opt(
                "SELECT parent_id FROM warehouses WHERE tenant_id = $1 AND id = $2",
                &[tenant_id.into(), current.into()],
            )
            .await?
            .map(|r| r.int_opt("parent_id"))
            .transpose()?
            .flatten();
        match parent {
            Some(p) if p != id && !out.contains(&p) => {
                out.push(p);
                current = p;
            }
            Some(p) => {
                out.push(p);
                return Ok(out);
            }
            None => return Ok(out),
        }
    }
    Ok(out)
}

fn record_params(r: &WarehouseRecord) -> Vec<Value> {
    vec![
        r.status.name().into(),
        r.name.as_str().into(),
        name_key(&r.name).into(),
        r.parent_id.into(),
    ]
}

/// Stores a new warehouse. A racing duplicate name surfaces as [`StoreError::UniqueViolation`].
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    r: &WarehouseRecord,
) -> Result<i64, StoreError> {
    let mut params = record_params(r);
    params.push(tenant_id.into());
    params.push(c.now().into());
    c.query_one(
        "INSERT INTO warehouses (status, name, name_key, parent_id, tenant_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        &params,
    )
    .await?
    .int("id")
}

/// The warehouse a new tenant starts with.
pub async fn insert_default(c: &mut dyn Conn, tenant_id: i64) -> Result<i64, StoreError> {
    let main = WarehouseRecord {
        name: DEFAULT_NAME.to_owned(),
        ..WarehouseRecord::default()
    };
    insert(c, tenant_id, &main).await
}

/// Gives the tenant its default warehouse if it has none (after a reset, or a snapshot restored
/// from before warehouses).
pub async fn ensure_default(c: &mut dyn Conn, tenant_id: i64) -> Result<(), StoreError> {
    if count(c, tenant_id).await? == 0 {
        insert_default(c, tenant_id).await?;
    }
    Ok(())
}

/// Rewrites the warehouse row and moves `updated_at`.
pub async fn update(c: &mut dyn Conn, id: i64, r: &WarehouseRecord) -> Result<(), StoreError> {
    let mut params = record_params(r);
    params.push(c.now().into());
    params.push(id.into());
    c.execute(
        "UPDATE warehouses SET status = $1, name = $2, name_key = $3, parent_id = $4, updated_at = $5 \
         WHERE id = $6",
        &params,
    )
    .await?;
    Ok(())
}

/// How many warehouses the tenant has.
pub async fn count(c: &mut dyn Conn, tenant_id: i64) -> Result<u64, StoreError> {
    let n = c
        .query_one(
            "SELECT COUNT(*) AS n FROM warehouses WHERE tenant_id = $1",
            &[tenant_id.into()],
        )
        .await?
        .int("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many warehouses have this one as their parent.
pub async fn children(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<u64, StoreError> {
    let n = c
        .query_one(
            "SELECT COUNT(*) AS n FROM warehouses WHERE tenant_id = $1 AND parent_id = $2",
            &[tenant_id.into(), id.into()],
        )
        .await?
        .int("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes a warehouse without children; false when there was no such warehouse.
pub async fn delete(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "DELETE FROM warehouses WHERE tenant_id = $1 AND id = $2",
            &[tenant_id.into(), id.into()],
        )
        .await?;
    Ok(n > 0)
}
