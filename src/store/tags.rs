//! Tags on records (§5.5): which records carry which of the tenant's tags. The tag table itself and
//! `ensure_tags`/`replace_tags`/`tags_of` live in `contacts.rs`; this adds what the tag endpoints
//! need, for contacts and companies alike.

use std::collections::HashMap;

use super::contacts::{ensure_tags, replace_tags, tags_of};
use super::{Conn, StoreError};
use crate::domain::Tag;
use crate::domain::input::name_key;

/// A kind of record that carries tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Contacts,
    Companies,
}

impl Target {
    fn table(self) -> &'static str {
        match self {
            Target::Contacts => "contacts",
            Target::Companies => "companies",
        }
    }

    fn link_table(self) -> &'static str {
        match self {
            Target::Contacts => "contact_tags",
            Target::Companies => "company_tags",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Target::Contacts => "contact_id",
            Target::Companies => "company_id",
        }
    }
}

/// Whether the record exists in the tenant; with `lock` (write transactions only) it is locked
/// for the rest of the transaction on PostgreSQL.
pub async fn exists(
    c: &mut dyn Conn,
    target: Target,
    tenant_id: i64,
    id: i64,
    lock: bool,
) -> Result<bool, StoreError> {
    let lock = if lock {
        c.dialect().for_update(&[])
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT id FROM {} WHERE tenant_id = $1 AND id = $2{lock}",
        target.table()
    );
    Ok(c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .is_some())
}

/// Moves the record's `updated_at`.
pub async fn touch(c: &mut dyn Conn, target: Target, id: i64) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE {} SET updated_at = $1 WHERE id = $2",
        target.table()
    );
    c.execute(&sql, &[c.now().into(), id.into()]).await?;
    Ok(())
}

/// The record's tags, ordered by name.
pub async fn of(c: &mut dyn Conn, target: Target, id: i64) -> Result<Vec<Tag>, StoreError> {
    tags_of(c, target.link_table(), target.key(), id).await
}

/// Adds tags by name (creating unknown ones); true if the record gained any.
pub async fn add(
    c: &mut dyn Conn,
    tenant_id: i64,
    target: Target,
    id: i64,
    names: &[String],
) -> Result<bool, StoreError> {
    let tag_ids = ensure_tags(c, tenant_id, names).await?;
    let sql = format!(
        "INSERT INTO {} ({}, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        target.link_table(),
        target.key()
    );
    let mut added = 0;
    for tag_id in tag_ids {
        added += c.execute(&sql, &[id.into(), tag_id.into()]).await?;
    }
    Ok(added > 0)
}

/// How many tags the record carries.
pub async fn count(c: &mut dyn Conn, target: Target, id: i64) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE {} = $1",
        target.link_table(),
        target.key()
    );
    let n = c.query_one(&sql, &[id.into()]).await?.int(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Makes the record's tags exactly `names`.
pub async fn replace(
    c: &mut dyn Conn,
    tenant_id: i64,
    target: Target,
    id: i64,
    names: &[String],
) -> Result<(), StoreError> {
    replace_tags(c, tenant_id, target.link_table(), target.key(), id, names).await
}

/// Removes the tag named `name` (case-insensitive) from the record; false if it did not carry it.
pub async fn remove(
    c: &mut dyn Conn,
    tenant_id: i64,
    target: Target,
    id: i64,
    name: &str,
) -> Result<bool, StoreError> {
    let sql = format!(
        "DELETE FROM {} WHERE {} = $1 AND tag_id IN (SELECT id FROM tags WHERE tenant_id = $2 AND name_key = $3)",
        target.link_table(),
        target.key()
    );
    Ok(
        c.execute(&sql, &[id.into(), tenant_id.into(), name_key(name).into()])
            .await?
            > 0,
    )
}

/// The tags of each of `ids`, ordered by name.
pub async fn of_many(
    c: &mut dyn Conn,
    target: Target,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Tag>>, StoreError> {
    let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut params = Vec::with_capacity(1);
    let sql = format!(
        "SELECT l.{key}, tg.id, tg.name, tg.description, tg.icon, tg.color FROM {table} l \
         JOIN tags tg ON tg.id = l.tag_id WHERE {member} ORDER BY l.{key}, tg.name_key, tg.name, tg.id",
        key = target.key(),
        table = target.link_table(),
        member = c
            .dialect()
            .id_in(&format!("l.{}", target.key()), ids, &mut params)
    );
    for r in c.query(&sql, &params).await? {
        out.entry(r.int(0)?).or_default().push(Tag {
            id: r.int(1)?,
            name: r.text(2)?,
            description: r.text_opt(3)?,
            icon: r.text_opt(4)?,
            color: r.text_opt(5)?,
        });
    }
    Ok(out)
}
