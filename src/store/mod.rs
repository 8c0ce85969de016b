//! Storage: one interface over SQLite and PostgreSQL.
//!
//! Everything above this module sees a [`Database`] that runs closures inside a transaction on a
//! [`Conn`]. SQL is written once (with `$1` placeholders) in the repository modules and executed
//! through `Conn`, so both backends run the same statements; where the dialects differ the code asks
//! `Conn::dialect()`. SQLite is served by rusqlite with a group-committing writer thread (see
//! `sqlite.rs`); PostgreSQL by tokio-postgres with a deadpool pool.

pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod dialect;
pub mod fair;
pub mod list;
pub mod postgres;
pub mod records;
pub mod shipping;
pub mod sqlite;
pub mod tags;
pub mod tenants;
pub mod value;

use futures::future::BoxFuture;

use crate::clock::Clock;

pub use dialect::Dialect;
pub use value::{Row, Value};

/// Failures of the storage layer itself (not of the request's data).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("unique constraint violated")]
    UniqueViolation,
    /// A row refers to one that does not exist (any more): typically a record deleted by a
    /// concurrent transaction between the work's existence check and its write.
    #[error("foreign key constraint violated")]
    ForeignKeyViolation,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The work ran past its time budget (`statement_timeout_ms`) and was cancelled.
    #[error("cancelled: over its time budget")]
    Timeout,
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("unexpected data: {0}")]
    Decode(String),
}

/// A connection inside an open transaction. Every repository function takes `&mut dyn Conn`.
#[async_trait::async_trait]
pub trait Conn: Send {
    fn dialect(&self) -> Dialect;
    /// The transaction's time, read from the database's [`Clock`] once when it began: every
    /// timestamp one transaction writes is the same instant.
    fn now(&self) -> i64;
    /// Runs a statement and returns all rows.
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs a statement and returns the number of rows changed.
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
}

impl dyn Conn + '_ {
    pub async fn query_opt(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    pub async fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)
            .await?
            .ok_or_else(|| StoreError::Decode("statement returned no row".into()))
    }
}

/// A unit of work run inside one transaction; the transaction commits when it returns `Ok`.
pub type Work<T, E> =
    Box<dyn for<'c> FnOnce(&'c mut dyn Conn) -> BoxFuture<'c, Result<T, E>> + Send>;

/// Work that may be run more than once: on PostgreSQL, a write transaction that loses a race with
/// another process (deadlock, a unique index taken by a concurrent commit, a referenced row deleted
/// by a concurrent commit) is rolled back and run again from the start. Clone what the closure
/// captures into each run's future.
pub type RetryWork<T, E> =
    Box<dyn for<'c> Fn(&'c mut dyn Conn) -> BoxFuture<'c, Result<T, E>> + Send + Sync>;

/// The configured database: the backend is chosen from the URL scheme.
#[derive(Clone)]
pub enum Database {
    Sqlite(sqlite::SqliteDb),
    Postgres(postgres::PgDb),
}

/// Tuning that applies to whichever backend is used.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub pool_size: u32,
    /// Where transactions read their time.
    pub clock: Clock,
    /// Time budget of one statement on PostgreSQL, of one read transaction on SQLite; 0 = none.
    pub statement_timeout_ms: u64,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            clock: Clock::System,
            statement_timeout_ms: 5_000,
        }
    }
}

impl Database {
    /// Opens (creating if needed) and migrates the database named by `url`.
    pub async fn open(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Ok(Database::Sqlite(sqlite::SqliteDb::open(path, options)?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(
                postgres::PgDb::open(url, options).await?,
            ))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `work` in a read-only transaction (a consistent snapshot).
    pub async fn read<T, E>(&self, work: Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Database::Sqlite(db) => db.read(work).await,
            Database::Postgres(db) => db.run(work, true).await,
        }
    }

    /// Runs `work` in a write transaction; `Ok` means committed and durable.
    pub async fn write<T, E>(&self, work: Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Database::Sqlite(db) => db.write(work).await,
            Database::Postgres(db) => db.run(work, false).await,
        }
    }

    /// Like [`Database::write`], but on PostgreSQL the work is run again (in a new transaction)
    /// when it lost a race with a concurrent transaction; on SQLite writes never race.
    pub async fn write_retrying<T, E>(&self, work: RetryWork<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Database::Sqlite(db) => db.write(Box::new(move |c| work(c))).await,
            Database::Postgres(db) => db.run_retrying(work).await,
        }
    }

    /// A cheap round trip, for `/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read::<_, StoreError>(Box::new(|c| {
            Box::pin(async move {
                c.query("SELECT 1", &[]).await?;
                Ok(())
            })
        }))
        .await
    }
}

/// Seconds since the Unix epoch on the system clock: the stored form of every timestamp. Request
/// work reads [`Conn::now`] instead, which a test can set.
pub fn now_seconds() -> i64 {
    Clock::System.now()
}

/// `$1, $2, ...` for `count` parameters starting after `params_so_far`.
pub fn placeholders(start: usize, count: usize) -> String {
    (start + 1..=start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
