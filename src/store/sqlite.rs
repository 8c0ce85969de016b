//! SQLite backend: rusqlite connections, WAL, durable commits, and group commit.
//!
//! Writes go to one writer thread that owns the only read-write connection. It takes every job
//! that is waiting, runs each inside its own SAVEPOINT (a failing job rolls back alone), and commits
//! them all with one fsync. A job's caller hears back only after that commit, so a 2xx is always on
//! disk (`synchronous=FULL`) while many concurrent writes share the cost of one commit.
//!
//! Reads run on a small pool of read-only connections on blocking threads; WAL lets them proceed
//! while the writer commits. Repository code is async (for PostgreSQL); on SQLite its futures never
//! wait, so they are driven to completion in place with `block_on`.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use rusqlite::types::ValueRef;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{Conn, DbOptions, Dialect, Row, StoreError, Value, Work};

/// Most jobs one commit may carry; bounds the latency a single commit adds.
const MAX_BATCH: usize = 256;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_companies.sql")),
];

/// One connection, used inside a transaction opened by this module.
pub struct SqliteConn {
    conn: rusqlite::Connection,
}

fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
        if f.extended_code == 2067 || f.extended_code == 1555 {
            return StoreError::UniqueViolation;
        }
    }
    StoreError::Sqlite(e)
}

/// Our SQL uses `$N`; SQLite reads `$1` as a *named* parameter numbered by first appearance, so it
/// is rewritten to the explicit `?N` form.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return sql.into();
    }
    sql.replace('$', "?").into()
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Real(r) => rusqlite::types::Value::Real(*r),
        Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
    }
}

impl SqliteConn {
    fn open(path: &Path, read_only: bool) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(map_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(map_err)?;
        if read_only {
            conn.execute_batch("PRAGMA query_only = ON;").map_err(map_err)?;
        }
        conn.set_prepared_statement_cache_capacity(256);
        Ok(Self { conn })
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(map_err)
    }

    fn run_query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&sqlite_sql(sql)).map_err(map_err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(map_err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn run_execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(&sqlite_sql(sql)).map_err(map_err)?;
        let changed = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(map_err)?;
        Ok(changed as u64)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )?;
        for (version, sql) in MIGRATIONS {
            let applied = !self
                .run_query("SELECT 1 FROM schema_migrations WHERE version = $1", &[Value::Int(*version)])?
                .is_empty();
            if applied {
                continue;
            }
            self.batch("BEGIN IMMEDIATE")?;
            let result = self.batch(sql).and_then(|()| {
                self.run_execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[Value::Int(*version), Value::Int(super::now_seconds())],
                )
            });
            match result {
                Ok(_) => self.batch("COMMIT")?,
                Err(e) => {
                    let _ = self.batch("ROLLBACK");
                    return Err(StoreError::Migration(format!("version {version}: {e}")));
                }
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Conn for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        self.run_query(sql, params)
    }

    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        self.run_execute(sql, params)
    }
}

/// A job for the writer: runs inside its savepoint and reports whether it succeeded, plus how to
/// deliver its result once the commit's fate is known.
type WriteJob = Box<dyn FnOnce(&mut SqliteConn) -> (bool, Delivery) + Send>;
type Delivery = Box<dyn FnOnce(Option<String>) + Send>;

#[derive(Clone)]
pub struct SqliteDb {
    path: Arc<PathBuf>,
    writer: mpsc::Sender<WriteJob>,
    readers: Arc<Mutex<Vec<SqliteConn>>>,
    reader_permits: Arc<Semaphore>,
}

impl SqliteDb {
    /// Opens (creating) the file at `path`, migrates it and starts the writer thread.
    pub fn open(path: &str, options: &DbOptions) -> Result<Self, StoreError> {
        let path = PathBuf::from(path);
        let writer_conn = SqliteConn::open(&path, false)?;
        writer_conn.migrate()?;
        let (tx, rx) = mpsc::channel::<WriteJob>(4096);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer_conn, rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            path: Arc::new(path),
            writer: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            reader_permits: Arc::new(Semaphore::new(options.pool_size.max(1) as usize)),
        })
    }

    pub async fn read<T, E>(&self, work: Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let _permit = self
            .reader_permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("reader pool closed".into()))?;
        let pooled = self.readers.lock().ok().and_then(|mut v| v.pop());
        let path = Arc::clone(&self.path);
        let joined = tokio::task::spawn_blocking(move || {
            let mut conn = match pooled {
                Some(c) => c,
                None => SqliteConn::open(&path, true)?,
            };
            conn.batch("BEGIN")?;
            let result = AssertUnwindSafe(work(&mut conn)).catch_unwind();
            let result = futures::executor::block_on(result);
            // A read-only transaction has nothing to keep; ending it releases the WAL snapshot.
            conn.batch("ROLLBACK")?;
            Ok::<_, StoreError>((conn, result))
        })
        .await;
        match joined {
            Ok(Ok((conn, result))) => {
                if let Ok(mut pool) = self.readers.lock() {
                    pool.push(conn);
                }
                result.map_err(|_| E::from(StoreError::Unavailable("a read panicked".into())))?
            }
            Ok(Err(e)) => Err(E::from(e)),
            Err(e) => Err(E::from(StoreError::Unavailable(format!("read task failed: {e}")))),
        }
    }

    pub async fn write<T, E>(&self, work: Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: WriteJob = Box::new(move |conn: &mut SqliteConn| {
            let outcome = futures::executor::block_on(AssertUnwindSafe(work(conn)).catch_unwind());
            let result = match outcome {
                Ok(r) => r,
                Err(_) => Err(E::from(StoreError::Unavailable("a write panicked".into()))),
            };
            let ok = result.is_ok();
            let deliver: Delivery = Box::new(move |commit_error| {
                let result = match (result, commit_error) {
                    (Ok(_), Some(e)) => Err(E::from(StoreError::Unavailable(format!("commit failed: {e}")))),
                    (r, _) => r,
                };
                // The caller may have gone away (client disconnected); the write stands anyway.
                let _ = reply.send(result);
            });
            (ok, deliver)
        });
        self.writer
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| E::from(StoreError::Unavailable("the writer dropped a job".into())))?
    }
}

fn writer_loop(mut conn: SqliteConn, mut jobs: mpsc::Receiver<WriteJob>) {
    let mut batch: Vec<WriteJob> = Vec::with_capacity(MAX_BATCH);
    let mut deliveries: Vec<Delivery> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.batch("BEGIN IMMEDIATE") {
            let message = e.to_string();
            tracing::error!(error = %message, "cannot begin a write transaction");
            for job in batch.drain(..) {
                drop(job); // dropping the reply sender tells the caller the job failed
            }
            continue;
        }
        for job in batch.drain(..) {
            let started = conn.batch("SAVEPOINT job");
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot open a savepoint");
                drop(job);
                continue;
            }
            let (ok, deliver) = job(&mut conn);
            let closed = if ok {
                conn.batch("RELEASE job")
            } else {
                conn.batch("ROLLBACK TO job; RELEASE job")
            };
            if let Err(e) = closed {
                tracing::error!(error = %e, "cannot close a savepoint");
            }
            deliveries.push(deliver);
        }
        let commit_error = conn.batch("COMMIT").err().map(|e| {
            tracing::error!(error = %e, "commit failed");
            let _ = conn.batch("ROLLBACK");
            e.to_string()
        });
        for deliver in deliveries.drain(..) {
            deliver(commit_error.clone());
        }
    }
}
