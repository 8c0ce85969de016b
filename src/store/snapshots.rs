//! Snapshots of one tenant's records, kept in the database itself (`tenant_snapshots`), so every
//! instance sharing a PostgreSQL database sees and restores the same ones.
//!
//! A snapshot is every row of every record table of the tenant ([`tables::record_tables`]), read
//! in one transaction, stored as JSON text: `{"format": 1, "tables": [{"name", "columns",
//! "rows": [[...], ...]}]}` with each value as it is stored (integers, reals, text, null), so ids,
//! timestamps, links, tags and portal logins (with their password hashes) come back exactly. A
//! restore is one write transaction: it takes the tenant's lock exclusively (PostgreSQL; SQLite
//! runs one write at a time), deletes the tenant's records and inserts the snapshot's rows, parents
//! before children. Ids are global and never reused, so a snapshot's ids are free to take again.

use serde_json::{Map, Value as Json, json};

use super::tables::{self, Table};
use super::{Conn, StoreError, Value};

/// Rows of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRows {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A snapshot's content.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotData {
    pub tables: Vec<TableRows>,
}

impl SnapshotData {
    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }
}

/// A stored snapshot as listed (without its data).
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub id: i64,
    pub name: String,
    pub rows: i64,
    pub created_at: i64,
}

/// The stored format's version, written into every snapshot.
const FORMAT: i64 = 1;

/// Rows of one multi-row INSERT at most, and parameters at most (SQLite allows 32,766 per
/// statement, PostgreSQL 65,535).
const INSERT_ROWS: usize = 500;
const INSERT_PARAMS: usize = 30_000;

fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Int(i) => json!(i),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
        Value::Text(t) => Json::String(t.clone()),
        // Never read from a table.
        Value::IntList(_) | Value::TextList(_) => Json::Null,
    }
}

fn from_json(v: &Json) -> Result<Value, StoreError> {
    match v {
        Json::Null => Ok(Value::Null),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Value::Int(i)),
            (None, Some(f)) => Ok(Value::Real(f)),
            _ => Err(StoreError::Decode(format!("snapshot value {n}"))),
        },
        Json::String(s) => Ok(Value::Text(s.clone())),
        other => Err(StoreError::Decode(format!("snapshot value {other}"))),
    }
}

/// The stored text of `data`.
pub fn encode(data: &SnapshotData) -> String {
    let tables: Vec<Json> = data
        .tables
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "columns": t.columns,
                "rows": t.rows.iter().map(|r| r.iter().map(to_json).collect::<Vec<_>>()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "format": FORMAT, "tables": tables }).to_string()
}

/// The content of a stored text.
pub fn decode(text: &str) -> Result<SnapshotData, StoreError> {
    let bad = |what: &str| StoreError::Decode(format!("snapshot: {what}"));
    let root: Map<String, Json> =
        serde_json::from_str(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    if root.get("format").and_then(Json::as_i64) != Some(FORMAT) {
        return Err(bad("unknown format"));
    }
    let mut out = SnapshotData::default();
    for table in root
        .get("tables")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("no tables"))?
    {
        let name = table["name"].as_str().ok_or_else(|| bad("table name"))?;
        let columns: Vec<String> = table["columns"]
            .as_array()
            .ok_or_else(|| bad("columns"))?
            .iter()
            .map(|c| c.as_str().map(str::to_owned).ok_or_else(|| bad("column")))
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for row in table["rows"].as_array().ok_or_else(|| bad("rows"))? {
            let values: Vec<Value> = row
                .as_array()
                .ok_or_else(|| bad("row"))?
                .iter()
                .map(from_json)
                .collect::<Result<_, _>>()?;
            if values.len() != columns.len() {
                return Err(bad("row width"));
            }
            rows.push(values);
        }
        out.tables.push(TableRows {
            name: name.to_owned(),
            columns,
            rows,
        });
    }
    Ok(out)
}

/// Every record of the tenant, table by table in key order; `None` when there are more than
/// `max_rows` rows (reading stops there).
pub async fn capture(
    c: &mut dyn Conn,
    tenant_id: i64,
    max_rows: usize,
) -> Result<Option<SnapshotData>, StoreError> {
    let mut data = SnapshotData::default();
    let mut total = 0;
    for table in tables::record_tables() {
        let columns = tables::columns(c, table.name).await?;
        // One row past the bound tells that the bound was passed.
        let limit = max_rows - total + 1;
        let rows = c
            .query(
                &format!(
                    "SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {limit}",
                    columns.join(", "),
                    table.name,
                    table.tenant_condition(),
                    table.key.join(", ")
                ),
                &[tenant_id.into()],
            )
            .await?;
        total += rows.len();
        if total > max_rows {
            return Ok(None);
        }
        data.tables.push(TableRows {
            name: table.name.to_owned(),
            columns,
            rows: rows.iter().map(|r| r.values().to_vec()).collect(),
        });
    }
    Ok(Some(data))
}

/// What a restore found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    Done,
    /// The snapshot does not fit the current schema (a table or column it has is gone).
    Incompatible(String),
}

/// Replaces every record of the tenant with the snapshot's rows, inside the caller's transaction.
pub async fn restore(
    c: &mut dyn Conn,
    tenant_id: i64,
    data: &SnapshotData,
) -> Result<Restored, StoreError> {
    for stored in &data.tables {
        if !tables::record_tables().any(|t| t.name == stored.name) {
            return Ok(Restored::Incompatible(format!(
                "table {} is not a record table any more",
                stored.name
            )));
        }
    }
    super::admin::lock_tenant(c, tenant_id).await?;
    tables::delete_records(c, tenant_id).await?;
    for table in tables::record_tables() {
        let Some(stored) = data.tables.iter().find(|t| t.name == table.name) else {
            continue; // a table newer than the snapshot: left empty
        };
        let current = tables::columns(c, table.name).await?;
        if let Some(gone) = stored.columns.iter().find(|c| !current.contains(c)) {
            return Ok(Restored::Incompatible(format!(
                "column {}.{gone} does not exist any more",
                table.name
            )));
        }
        insert_rows(c, table, stored).await?;
    }
    // A snapshot from before warehouses leaves none: every tenant keeps at least one.
    super::warehouses::ensure_default(c, tenant_id).await?;
    Ok(Restored::Done)
}

/// Inserts the stored rows of one table, its deferred references first as NULL, then set.
async fn insert_rows(
    c: &mut dyn Conn,
    table: &Table,
    stored: &TableRows,
) -> Result<(), StoreError> {
    let width = stored.columns.len();
    if width == 0 || stored.rows.is_empty() {
        return Ok(());
    }
    let deferred: Vec<usize> = tables::deferred_columns(table.name)
        .filter_map(|d| stored.columns.iter().position(|c| c == d))
        .collect();
    let column_list = stored.columns.join(", ");
    let per_statement = INSERT_ROWS.min(INSERT_PARAMS / width).max(1);
    for chunk in stored.rows.chunks(per_statement) {
        let mut params = Vec::with_capacity(chunk.len() * width);
        for row in chunk {
            for (i, v) in row.iter().enumerate() {
                params.push(if deferred.contains(&i) {
                    Value::Null
                } else {
                    v.clone()
                });
            }
        }
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", super::placeholders(r * width, width)))
            .collect();
        c.execute(
            &format!(
                "INSERT INTO {} ({column_list}) VALUES {}",
                table.name,
                tuples.join(", ")
            ),
            &params,
        )
        .await?;
    }
    if deferred.is_empty() {
        return Ok(());
    }
    let key: Vec<usize> = table
        .key
        .iter()
        .filter_map(|k| stored.columns.iter().position(|c| c == k))
        .collect();
    if key.len() != table.key.len() {
        return Err(StoreError::Decode(format!(
            "snapshot of {}: key columns missing",
            table.name
        )));
    }
    let condition: Vec<String> = table
        .key
        .iter()
        .enumerate()
        .map(|(j, k)| format!("{k} = ${}", j + 2))
        .collect();
    for row in &stored.rows {
        for &i in &deferred {
            if row[i] == Value::Null {
                continue;
            }
            let mut params = vec![row[i].clone()];
            params.extend(key.iter().map(|&k| row[k].clone()));
            c.execute(
                &format!(
                    "UPDATE {} SET {} = $1 WHERE {}",
                    table.name,
                    stored.columns[i],
                    condition.join(" AND ")
                ),
                &params,
            )
            .await?;
        }
    }
    Ok(())
}

/// The highest migration applied: recorded with each snapshot.
pub async fn schema_version(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.query_one(
        "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations",
        &[],
    )
    .await?
    .int("v")
}

pub async fn count(c: &mut dyn Conn, tenant_id: i64) -> Result<i64, StoreError> {
    c.query_one(
        "SELECT COUNT(*) AS n FROM tenant_snapshots WHERE tenant_id = $1",
        &[tenant_id.into()],
    )
    .await?
    .int("n")
}

/// Stores a snapshot; a name taken is [`StoreError::UniqueViolation`] on
/// [`super::constraints::SNAPSHOT_NAME`].
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
    rows: i64,
    schema_version: i64,
    data: &str,
) -> Result<i64, StoreError> {
    c.query_one(
        "INSERT INTO tenant_snapshots (tenant_id, name, row_count, schema_version, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            tenant_id.into(),
            name.into(),
            rows.into(),
            schema_version.into(),
            data.into(),
            c.now().into(),
        ],
    )
    .await?
    .int("id")
}

fn info(r: &super::Row) -> Result<SnapshotInfo, StoreError> {
    Ok(SnapshotInfo {
        id: r.int("id")?,
        name: r.text("name")?,
        rows: r.int("row_count")?,
        created_at: r.int("created_at")?,
    })
}

pub async fn list(c: &mut dyn Conn, tenant_id: i64) -> Result<Vec<SnapshotInfo>, StoreError> {
    c.query(
        "SELECT id, name, row_count, created_at FROM tenant_snapshots WHERE tenant_id = $1 \
         ORDER BY created_at, id",
        &[tenant_id.into()],
    )
    .await?
    .iter()
    .map(info)
    .collect()
}

pub async fn get(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
) -> Result<Option<SnapshotInfo>, StoreError> {
    c.query_opt(
        "SELECT id, name, row_count, created_at FROM tenant_snapshots WHERE tenant_id = $1 AND name = $2",
        &[tenant_id.into(), name.into()],
    )
    .await?
    .as_ref()
    .map(info)
    .transpose()
}

/// The id and stored text of the tenant's snapshot `name`.
pub async fn data(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    c.query_opt(
        "SELECT id, data FROM tenant_snapshots WHERE tenant_id = $1 AND name = $2",
        &[tenant_id.into(), name.into()],
    )
    .await?
    .map(|r| Ok((r.int("id")?, r.text("data")?)))
    .transpose()
}

/// Whether snapshot `id` of the tenant still exists (locked until the transaction ends, on
/// PostgreSQL, so that it is not deleted while it is restored).
pub async fn still_there(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT id FROM tenant_snapshots WHERE tenant_id = $1 AND id = $2{}",
        c.dialect().for_update(&[])
    );
    Ok(c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .is_some())
}

pub async fn delete(c: &mut dyn Conn, tenant_id: i64, name: &str) -> Result<bool, StoreError> {
    Ok(c.execute(
        "DELETE FROM tenant_snapshots WHERE tenant_id = $1 AND name = $2",
        &[tenant_id.into(), name.into()],
    )
    .await?
        > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_come_back_exactly() {
        let data = SnapshotData {
            tables: vec![TableRows {
                name: "companies".into(),
                columns: vec!["id".into(), "tax_rate".into(), "name".into(), "x".into()],
                rows: vec![
                    vec![
                        Value::Int(i64::MAX),
                        Value::Real(8.25),
                        Value::Text("Acme \"Q\" ☃".into()),
                        Value::Null,
                    ],
                    vec![
                        Value::Int(1),
                        Value::Real(2.0),
                        Value::Text(String::new()),
                        Value::Real(0.1 + 0.2),
                    ],
                ],
            }],
        };
        let back = decode(&encode(&data)).unwrap();
        assert_eq!(back, data);
        assert_eq!(back.row_count(), 2);
    }

    #[test]
    fn damaged_snapshots_are_refused() {
        for bad in [
            "[]",
            "{\"format\": 2, \"tables\": []}",
            "{\"format\": 1, \"tables\": [{\"name\": \"t\", \"columns\": [\"a\"], \"rows\": [[1, 2]]}]}",
            "{\"format\": 1, \"tables\": [{\"name\": \"t\", \"columns\": [\"a\"], \"rows\": [[[1]]]}]}",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
