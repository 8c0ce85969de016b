//! `rolodex copy --from URL --to URL`: copies a whole database between backends (SQLite to
//! PostgreSQL and back, or between two databases of one backend).
//!
//! Both databases are opened (and so migrated to this binary's schema) first. Every table is copied
//! in primary-key order, a batch of rows per write transaction, with ids and timestamps exactly as
//! they are. The target must be empty unless `overwrite` is set, in which case everything in it is
//! deleted first. At the end the row count of every table is compared; any difference is an error.
//!
//! The copy is meant for a source that is not being written (stop the servers first): each batch is
//! read in its own transaction, so a write during the copy shows up as a count mismatch at the end.

use std::collections::BTreeSet;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::store::tables::{self, DEFERRED_REFERENCES, NOT_COPIED, TABLES, Table};
use crate::store::{Database, Dialect, StoreError, Value};

/// A row's key values and the deferred references (column index, value) to set on it afterwards.
type Fixup = (Vec<Value>, Vec<(usize, Value)>);

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the source and the target are the same database")]
    SameDatabase,
    #[error("the target is not empty ({0}); pass --overwrite to delete everything in it first")]
    TargetNotEmpty(String),
    #[error(
        "the {which} database has table {table:?}, which this version of rolodex does not know how to copy"
    )]
    UnknownTable { which: &'static str, table: String },
    #[error(
        "table {table}: the target has no column {column:?} (are both databases at the same schema version?)"
    )]
    MissingColumn { table: &'static str, column: String },
    #[error("verification failed: {0}")]
    Mismatch(String),
}

/// What to copy and how.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Delete everything in the target first instead of refusing a non-empty one.
    pub overwrite: bool,
    /// Rows per write transaction.
    pub batch_size: usize,
    /// Draw a progress bar on stderr (it is hidden anyway when stderr is not a terminal).
    pub progress: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            overwrite: false,
            batch_size: 500,
            progress: true,
        }
    }
}

/// Rows copied per table, in copy order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

impl CopyReport {
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

async fn table_names(db: &Database) -> Result<Vec<String>, StoreError> {
    tables::read_schema_tables(db).await
}

async fn column_names(db: &Database, table: &'static str) -> Result<Vec<String>, StoreError> {
    tables::read_columns(db, table).await
}

async fn count(db: &Database, table: &'static str) -> Result<u64, StoreError> {
    let n = db
        .read::<_, StoreError>(async move |tx| {
            tx.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
                .await?
                .int(0)
        })
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Fails when `db` has a table this module does not know (a migration added one and this list was
/// not updated): copying would silently lose it.
async fn check_tables(db: &Database, which: &'static str) -> Result<(), CopyError> {
    for name in table_names(db).await? {
        let known = TABLES.iter().any(|t| t.name == name) || NOT_COPIED.contains(&name.as_str());
        if !known {
            return Err(CopyError::UnknownTable { which, table: name });
        }
    }
    Ok(())
}

/// `WHERE` condition selecting the rows after `last` in key order, with its parameters.
fn after_key(key: &[&str], last: &[Value]) -> (String, Vec<Value>) {
    // (a > $1) OR (a = $1 AND b > $2) ...: portable keyset paging over a composite key.
    let mut alternatives = Vec::new();
    for i in 0..key.len() {
        let mut parts: Vec<String> = (0..i).map(|j| format!("{} = ${}", key[j], j + 1)).collect();
        parts.push(format!("{} > ${}", key[i], i + 1));
        alternatives.push(format!("({})", parts.join(" AND ")));
    }
    (alternatives.join(" OR "), last.to_vec())
}

/// Copies every row of every table from `from` to `to`.
pub async fn copy(
    from: &Database,
    to: &Database,
    options: &CopyOptions,
) -> Result<CopyReport, CopyError> {
    check_tables(from, "source").await?;
    check_tables(to, "target").await?;

    let mut non_empty = Vec::new();
    for t in TABLES {
        let n = count(to, t.name).await?;
        if n > 0 {
            non_empty.push(format!("{} has {n} rows", t.name));
        }
    }
    if !non_empty.is_empty() {
        if !options.overwrite {
            return Err(CopyError::TargetNotEmpty(non_empty.join(", ")));
        }
        clear(to).await?;
    }

    let mut totals = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        totals.push(count(from, t.name).await?);
    }
    let bar = if options.progress {
        ProgressBar::with_draw_target(Some(totals.iter().sum()), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>22} [{bar:40}] {pos}/{len} rows, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );

    let mut report = CopyReport::default();
    for t in TABLES {
        bar.set_message(t.name);
        let copied = copy_table(from, to, t, options.batch_size.max(1), &bar).await?;
        report.tables.push((t.name, copied));
    }
    bar.set_message("sequences");
    reset_sequences(to).await?;
    bar.finish_and_clear();

    verify(from, to).await?;
    Ok(report)
}

/// Deletes every row of the target, children first.
async fn clear(to: &Database) -> Result<(), StoreError> {
    to.transact::<_, StoreError>(async |tx| {
        for t in TABLES.iter().rev() {
            for column in tables::deferred_columns(t.name) {
                tx.execute(&format!("UPDATE {} SET {column} = NULL", t.name), &[])
                    .await?;
            }
            tx.execute(&format!("DELETE FROM {}", t.name), &[]).await?;
        }
        Ok(())
    })
    .await
}

async fn copy_table(
    from: &Database,
    to: &Database,
    table: &'static Table,
    batch_size: usize,
    bar: &ProgressBar,
) -> Result<u64, CopyError> {
    let columns = column_names(from, table.name).await?;
    let target_columns = column_names(to, table.name).await?;
    if let Some(missing) = columns.iter().find(|c| !target_columns.contains(c)) {
        return Err(CopyError::MissingColumn {
            table: table.name,
            column: missing.clone(),
        });
    }
    let key_positions: Vec<usize> = table
        .key
        .iter()
        .map(|k| columns.iter().position(|c| c == k))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            StoreError::Decode(format!("table {}: key columns not found", table.name))
        })?;
    let deferred: BTreeSet<usize> = DEFERRED_REFERENCES
        .iter()
        .filter(|(t, _)| *t == table.name)
        .filter_map(|(_, col)| columns.iter().position(|c| c == col))
        .collect();

    let column_list = columns.join(", ");
    let order = table.key.join(", ");
    let mut last: Option<Vec<Value>> = None;
    let mut copied = 0u64;
    // (key values, deferred column values) of rows whose deferred references are set afterwards.
    let mut fixups: Vec<Fixup> = Vec::new();
    loop {
        let (condition, params) = match &last {
            None => ("1 = 1".to_owned(), Vec::new()),
            Some(last) => after_key(table.key, last),
        };
        let sql = format!(
            "SELECT {column_list} FROM {} WHERE {condition} ORDER BY {order} LIMIT {batch_size}",
            table.name
        );
        let rows = from
            .read::<_, StoreError>(async move |tx| tx.query(&sql, &params).await)
            .await?;
        let Some(last_row) = rows.last() else { break };
        last = Some(
            key_positions
                .iter()
                .map(|&i| last_row.values().get(i).cloned().unwrap_or(Value::Null))
                .collect(),
        );

        let mut values: Vec<Value> = Vec::with_capacity(rows.len() * columns.len());
        for row in &rows {
            let mut held = Vec::new();
            for (i, v) in row.values().iter().enumerate() {
                if deferred.contains(&i) && *v != Value::Null {
                    held.push((i, v.clone()));
                    values.push(Value::Null);
                } else {
                    values.push(v.clone());
                }
            }
            if !held.is_empty() {
                fixups.push((
                    key_positions
                        .iter()
                        .map(|&i| row.values()[i].clone())
                        .collect(),
                    held,
                ));
            }
        }
        let n = rows.len();
        let width = columns.len();
        let tuples: Vec<String> = (0..n)
            .map(|r| format!("({})", crate::store::placeholders(r * width, width)))
            .collect();
        let insert = format!(
            "INSERT INTO {} ({column_list}) VALUES {}",
            table.name,
            tuples.join(", ")
        );
        to.transact::<_, StoreError>(async move |tx| {
            tx.execute(&insert, &values).await?;
            Ok(())
        })
        .await?;
        copied += n as u64;
        bar.inc(n as u64);
        if n < batch_size {
            break;
        }
    }

    for chunk in fixups.chunks(batch_size) {
        let chunk: Vec<_> = chunk.to_vec();
        let key = table.key;
        let names: Vec<String> = columns.clone();
        to.transact::<_, StoreError>(async move |tx| {
            for (key_values, held) in &chunk {
                for (i, v) in held {
                    let mut params = vec![v.clone()];
                    params.extend(key_values.iter().cloned());
                    let condition: Vec<String> = key
                        .iter()
                        .enumerate()
                        .map(|(j, k)| format!("{k} = ${}", j + 2))
                        .collect();
                    let sql = format!(
                        "UPDATE {} SET {} = $1 WHERE {}",
                        table.name,
                        names[*i],
                        condition.join(" AND ")
                    );
                    tx.execute(&sql, &params).await?;
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(copied)
}

/// PostgreSQL identity columns do not move when ids are given explicitly: point each one past the
/// largest copied id. (SQLite picks max(id) + 1 by itself.)
async fn reset_sequences(to: &Database) -> Result<(), StoreError> {
    if to.dialect() != Dialect::Postgres {
        return Ok(());
    }
    to.transact::<_, StoreError>(async |tx| {
        for t in TABLES.iter().filter(|t| t.key == ["id"]) {
            let name = t.name;
            tx.query(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false)::bigint \
                     FROM {name}"
                ),
                &[],
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// Compares the row count of every table.
async fn verify(from: &Database, to: &Database) -> Result<(), CopyError> {
    let mut differences = Vec::new();
    for t in TABLES {
        let (a, b) = (count(from, t.name).await?, count(to, t.name).await?);
        if a != b {
            differences.push(format!(
                "{}: {a} rows in the source, {b} in the target",
                t.name
            ));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(CopyError::Mismatch(differences.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_condition_over_a_composite_key() {
        let (sql, params) = after_key(&["a", "b"], &[Value::Int(1), Value::Int(2)]);
        assert_eq!(sql, "(a > $1) OR (a = $1 AND b > $2)");
        assert_eq!(params, vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(after_key(&["id"], &[Value::Int(7)]).0, "(id > $1)");
    }

    #[test]
    fn every_table_has_a_key() {
        assert!(TABLES.iter().all(|t| !t.key.is_empty()));
    }
}
