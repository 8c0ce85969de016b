//! Tags (§5.5): the tenant's tag table and which records carry which tags, for every
//! [`RecordKind`] alike (the kind names its link table, see `records.rs`).

use std::collections::HashMap;

use super::records::tag_link;
use super::{Conn, Dialect, Row, StoreError, Value};
use crate::domain::input::name_key;
use crate::domain::{RecordKind, Tag};

/// The tag columns every tag query selects, as [`tag_from_row`] (and, aggregated into a JSON
/// array per tag, [`from_aggregate`]) reads them.
pub(super) const TAG_COLUMNS: &str = "tg.id, tg.name, tg.description, tg.icon, tg.color";

fn tag_from_row(r: &Row) -> Result<Tag, StoreError> {
    Ok(Tag {
        id: r.int("id")?,
        name: r.text("name")?,
        description: r.text_opt("description")?,
        icon: r.text_opt("icon")?,
        color: r.text_opt("color")?,
    })
}

/// The tags of a `json_agg(json_build_array(TAG_COLUMNS) ...)`, in its order (NULL: none).
pub(super) fn from_aggregate(json: Option<&str>) -> Result<Vec<Tag>, StoreError> {
    type Aggregated = (i64, String, Option<String>, Option<String>, Option<String>);
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let tags: Vec<Aggregated> = serde_json::from_str(json)
        .map_err(|e| StoreError::Decode(format!("aggregated tags: {e}")))?;
    Ok(tags
        .into_iter()
        .map(|(id, name, description, icon, color)| Tag {
            id,
            name,
            description,
            icon,
            color,
        })
        .collect())
}

/// The tenant's tags with these names (matched case-insensitively), creating the missing ones.
pub async fn ensure(
    c: &mut dyn Conn,
    tenant_id: i64,
    names: &[String],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(names.len());
    let now = c.now();
    for name in names {
        let key = name_key(name);
        // ON CONFLICT keeps two racing creators of one tag from failing (PostgreSQL).
        c.execute(
            "INSERT INTO tags (tenant_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, name_key) DO NOTHING",
            &[
                tenant_id.into(),
                name.as_str().into(),
                key.as_str().into(),
                now.into(),
            ],
        )
        .await?;
        let id = c
            .query_one(
                "SELECT id FROM tags WHERE tenant_id = $1 AND name_key = $2",
                &[tenant_id.into(), key.into()],
            )
            .await?
            .int("id")?;
        ids.push(id);
    }
    Ok(ids)
}

/// The record's tags, ordered by name.
pub async fn of(c: &mut dyn Conn, kind: RecordKind, id: i64) -> Result<Vec<Tag>, StoreError> {
    let (table, key) = tag_link(kind);
    let sql = format!(
        "SELECT {TAG_COLUMNS} FROM {table} l JOIN tags tg ON tg.id = l.tag_id \
         WHERE l.{key} = $1 ORDER BY tg.name_key, tg.name, tg.id"
    );
    c.query(&sql, &[id.into()])
        .await?
        .iter()
        .map(tag_from_row)
        .collect()
}

/// The tags of each of `ids`, ordered by name.
pub async fn of_many(
    c: &mut dyn Conn,
    kind: RecordKind,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Tag>>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (sql, params) = of_many_statement(c.dialect(), kind, ids);
    of_many_from_rows(&c.query(&sql, &params).await?)
}

/// The statement [`of_many`] runs, for callers that send it with others ([`Conn::query_batch`]).
pub fn of_many_statement(dialect: Dialect, kind: RecordKind, ids: &[i64]) -> (String, Vec<Value>) {
    let (table, key) = tag_link(kind);
    let mut params = Vec::with_capacity(1);
    let member = dialect.id_in(&format!("l.{key}"), ids, &mut params);
    let sql = format!(
        "SELECT l.{key} AS record_id, {TAG_COLUMNS} FROM {table} l \
         JOIN tags tg ON tg.id = l.tag_id WHERE {member} ORDER BY l.{key}, tg.name_key, tg.name, tg.id"
    );
    (sql, params)
}

/// The rows of [`of_many_statement`], by record.
pub fn of_many_from_rows(rows: &[Row]) -> Result<HashMap<i64, Vec<Tag>>, StoreError> {
    let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
    for r in rows {
        out.entry(r.int("record_id")?)
            .or_default()
            .push(tag_from_row(r)?);
    }
    Ok(out)
}

/// Adds tags by name (creating unknown ones); true if the record gained any.
pub async fn add(
    c: &mut dyn Conn,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    names: &[String],
) -> Result<bool, StoreError> {
    let tag_ids = ensure(c, tenant_id, names).await?;
    let (table, key) = tag_link(kind);
    let sql = format!("INSERT INTO {table} ({key}, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
    let mut added = 0;
    for tag_id in tag_ids {
        added += c.execute(&sql, &[id.into(), tag_id.into()]).await?;
    }
    Ok(added > 0)
}

/// How many tags the record carries.
pub async fn count(c: &mut dyn Conn, kind: RecordKind, id: i64) -> Result<u64, StoreError> {
    let (table, key) = tag_link(kind);
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {key} = $1");
    let n = c.query_one(&sql, &[id.into()]).await?.int("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Makes the record's tags exactly `names` (creating unknown ones).
pub async fn replace(
    c: &mut dyn Conn,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    names: &[String],
) -> Result<(), StoreError> {
    let tag_ids = ensure(c, tenant_id, names).await?;
    let (table, key) = tag_link(kind);
    c.execute(
        &format!("DELETE FROM {table} WHERE {key} = $1"),
        &[id.into()],
    )
    .await?;
    let insert =
        format!("INSERT INTO {table} ({key}, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
    for tag_id in tag_ids {
        c.execute(&insert, &[id.into(), tag_id.into()]).await?;
    }
    Ok(())
}

/// Removes the tag named `name` (case-insensitive) from the record; false if it did not carry it.
pub async fn remove(
    c: &mut dyn Conn,
    tenant_id: i64,
    kind: RecordKind,
    id: i64,
    name: &str,
) -> Result<bool, StoreError> {
    let (table, key) = tag_link(kind);
    let sql = format!(
        "DELETE FROM {table} WHERE {key} = $1 AND tag_id IN \
         (SELECT id FROM tags WHERE tenant_id = $2 AND name_key = $3)"
    );
    Ok(
        c.execute(&sql, &[id.into(), tenant_id.into(), name_key(name).into()])
            .await?
            > 0,
    )
}
