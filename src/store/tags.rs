//! Tags (§5.5): the tenant's tag table and which records carry which tags, for every
//! [`RecordKind`] alike (the kind names its link table, see `records.rs`).

use std::collections::HashMap;

use super::records::tag_link;
use super::{Conn, Dialect, Row, StoreError, Value};
use crate::domain::input::name_key;
use crate::domain::tag::TagUsage;
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
/// Unordered: [`of_many_from_rows`] orders each record's few tags, which costs less than the
/// database sorting every row of the batch (text compares by bytes on both backends: SQLite's
/// BINARY, PostgreSQL's `COLLATE "C"`, Rust's `str`).
pub fn of_many_statement(dialect: Dialect, kind: RecordKind, ids: &[i64]) -> (String, Vec<Value>) {
    let (table, key) = tag_link(kind);
    let mut params = Vec::with_capacity(1);
    let member = dialect.id_in(&format!("l.{key}"), ids, &mut params);
    let sql = format!(
        "SELECT l.{key} AS record_id, tg.name_key, {TAG_COLUMNS} FROM {table} l \
         JOIN tags tg ON tg.id = l.tag_id WHERE {member}"
    );
    (sql, params)
}

/// The rows of [`of_many_statement`], by record, each record's tags ordered as [`of`] orders
/// them: by `name_key`, `name`, `id`.
pub fn of_many_from_rows(rows: &[Row]) -> Result<HashMap<i64, Vec<Tag>>, StoreError> {
    let mut keyed: HashMap<i64, Vec<(String, Tag)>> = HashMap::new();
    for r in rows {
        keyed
            .entry(r.int("record_id")?)
            .or_default()
            .push((r.text("name_key")?, tag_from_row(r)?));
    }
    Ok(keyed
        .into_iter()
        .map(|(record, mut tags)| {
            tags.sort_unstable_by(|(ka, a), (kb, b)| (ka, &a.name, a.id).cmp(&(kb, &b.name, b.id)));
            (record, tags.into_iter().map(|(_, tag)| tag).collect())
        })
        .collect())
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

/// The tenant's tags ordered by name, `limit` from `offset`, each with how many contacts and
/// companies carry it (counted on the link tables' `(tag_id, …)` indexes).
pub async fn usage(
    c: &mut dyn Conn,
    tenant_id: i64,
    limit: u64,
    offset: u64,
) -> Result<Vec<TagUsage>, StoreError> {
    let sql = format!(
        "SELECT {TAG_COLUMNS}, \
         (SELECT COUNT(*) FROM contact_tags l WHERE l.tag_id = tg.id) AS contacts, \
         (SELECT COUNT(*) FROM company_tags l WHERE l.tag_id = tg.id) AS companies \
         FROM tags tg WHERE tg.tenant_id = $1 ORDER BY tg.name_key, tg.name, tg.id LIMIT $2 OFFSET $3"
    );
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    c.query(
        &sql,
        &[
            tenant_id.into(),
            to_i64(limit).into(),
            to_i64(offset).into(),
        ],
    )
    .await?
    .iter()
    .map(usage_from_row)
    .collect()
}

fn usage_from_row(r: &Row) -> Result<TagUsage, StoreError> {
    Ok(TagUsage {
        tag: tag_from_row(r)?,
        contacts: u64::try_from(r.int("contacts")?).unwrap_or(0),
        companies: u64::try_from(r.int("companies")?).unwrap_or(0),
    })
}

/// How many tags the tenant has.
pub async fn count_of_tenant(c: &mut dyn Conn, tenant_id: i64) -> Result<u64, StoreError> {
    let n = c
        .query_one(
            "SELECT COUNT(*) AS n FROM tags WHERE tenant_id = $1",
            &[tenant_id.into()],
        )
        .await?
        .int("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The tenant's tag `id`, locked for the rest of the (write) transaction.
pub async fn lock(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<Option<Tag>, StoreError> {
    let lock = c.dialect().for_update(&[]);
    let sql =
        format!("SELECT {TAG_COLUMNS} FROM tags tg WHERE tg.tenant_id = $1 AND tg.id = $2{lock}");
    c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .map(|r| tag_from_row(&r))
        .transpose()
}

/// The tenant's tag `id` with its usage.
pub async fn usage_of(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<TagUsage>, StoreError> {
    let sql = format!(
        "SELECT {TAG_COLUMNS}, \
         (SELECT COUNT(*) FROM contact_tags l WHERE l.tag_id = tg.id) AS contacts, \
         (SELECT COUNT(*) FROM company_tags l WHERE l.tag_id = tg.id) AS companies \
         FROM tags tg WHERE tg.tenant_id = $1 AND tg.id = $2"
    );
    c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .map(|r| usage_from_row(&r))
        .transpose()
}

/// The id of the tenant's tag named `name` (case-insensitively), other than `except`.
pub async fn other_named(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
    except: i64,
) -> Result<Option<i64>, StoreError> {
    let lock = c.dialect().for_update(&[]);
    let sql =
        format!("SELECT id FROM tags WHERE tenant_id = $1 AND name_key = $2 AND id <> $3{lock}");
    c.query_opt(
        &sql,
        &[tenant_id.into(), name_key(name).into(), except.into()],
    )
    .await?
    .map(|r| r.int("id"))
    .transpose()
}

/// Gives tag `id` the name `name` (no other tag of the tenant may have its key).
pub async fn rename(c: &mut dyn Conn, id: i64, name: &str) -> Result<(), StoreError> {
    c.execute(
        "UPDATE tags SET name = $1, name_key = $2 WHERE id = $3",
        &[name.into(), name_key(name).into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Every record of the kind carrying tag `from` carries tag `into` instead (a record that
/// carried both keeps one link).
pub async fn move_links(
    c: &mut dyn Conn,
    kind: RecordKind,
    from: i64,
    into: i64,
) -> Result<(), StoreError> {
    let (table, key) = tag_link(kind);
    let sql = format!(
        "INSERT INTO {table} ({key}, tag_id) SELECT {key}, $1 FROM {table} WHERE tag_id = $2 \
         ON CONFLICT DO NOTHING"
    );
    c.execute(&sql, &[into.into(), from.into()]).await?;
    Ok(())
}

/// Deletes tag `id` and every record's link to it.
pub async fn delete(c: &mut dyn Conn, id: i64) -> Result<(), StoreError> {
    for kind in RecordKind::ALL {
        let (table, _) = tag_link(kind);
        c.execute(
            &format!("DELETE FROM {table} WHERE tag_id = $1"),
            &[id.into()],
        )
        .await?;
    }
    c.execute("DELETE FROM tags WHERE id = $1", &[id.into()])
        .await?;
    Ok(())
}
