//! Storage: one interface over SQLite and PostgreSQL.
//!
//! Everything above this module sees a [`Database`] that runs async closures inside a transaction
//! ([`Database::transact`], [`Database::read`]) on a [`Tx`]: a [`Conn`] with the transaction's
//! time. This module and its backends are the only code that knows how each backend runs
//! transactions (SQLite: one serial writer; PostgreSQL: concurrent writers, retried when they lose
//! a race). SQL is written once (with `$1` placeholders) in the repository modules and executed
//! through `Conn`, so both backends run the same statements; where the dialects differ the code asks
//! `Conn::dialect()`. SQLite is served by rusqlite with a group-committing writer thread (see
//! `sqlite.rs`); PostgreSQL by tokio-postgres with a deadpool pool.

pub mod admin;
pub mod backup;
pub mod companies;
pub mod console;
pub mod constraints;
pub mod contacts;
pub mod custom_fields;
pub mod dialect;
pub mod ephemeral;
pub mod fair;
mod idioms;
pub mod idle;
pub mod list;
pub mod metrics;
pub mod pg_connect;
pub mod postgres;
pub mod price_levels;
pub mod records;
pub mod shipping;
pub mod snapshots;
pub mod sqlite;
pub mod tables;
pub mod tags;
pub mod tenants;
pub mod value;
pub mod warehouses;

use crate::clock::Clock;

pub use dialect::Dialect;
pub use value::{Row, Value};

/// Failures of the storage layer itself (not of the request's data).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL (or what was wrong with it), already without its password: see
    /// [`crate::secrets::redact_url`].
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// A database URL of a known scheme that cannot be used as it is: what is wrong (an unknown
    /// option or sslmode, an unreadable `sslrootcert`, ...). Callers name the URL, redacted.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// A unique constraint, named as in the PostgreSQL schema (see [`constraints`]; `None`: one
    /// the store does not know).
    #[error("unique constraint {constraint:?} violated")]
    UniqueViolation { constraint: Option<&'static str> },
    /// A row refers to one that does not exist (any more): typically a record deleted by a
    /// concurrent transaction between the work's existence check and its write. The constraint
    /// is named on PostgreSQL; SQLite does not say which (see [`constraints`]).
    #[error("foreign key constraint {constraint:?} violated")]
    ForeignKeyViolation { constraint: Option<&'static str> },
    /// The database cannot be reached, stopped answering, or the store's own machinery (a thread,
    /// a queue) is gone; `source` is the failure behind it, when there is one.
    #[error("the database is unavailable: {reason}")]
    Unavailable {
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The work ran past its time budget (`statement_timeout_ms`) and was cancelled.
    #[error("cancelled: over its time budget")]
    Timeout,
    #[error("migration to version {version} failed: {source}")]
    Migration {
        version: i64,
        #[source]
        source: Box<StoreError>,
    },
    #[error("unexpected data: {0}")]
    Decode(String),
    /// Migrations this binary embeds that the database has not recorded as applied (see
    /// [`Database::ready`]): another instance or an operator rolled the schema back, or the
    /// migrations are still running elsewhere.
    #[error("migrations not applied: {}", versions_list(.versions))]
    MigrationsMissing { versions: Vec<i64> },
}

fn versions_list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl StoreError {
    /// [`StoreError::Unavailable`] without an underlying error.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        StoreError::Unavailable {
            reason: reason.into(),
            source: None,
        }
    }

    /// Why the database is not ready, in words safe for anyone who can reach the server: a fixed
    /// text per kind of failure, never the backend's own message (which may name a host, a user or
    /// a URL).
    pub fn readiness_reason(&self) -> String {
        match self {
            StoreError::MigrationsMissing { versions } => {
                format!("Migrations not applied: {}.", versions_list(versions))
            }
            StoreError::Timeout => "The database did not answer in time.".into(),
            StoreError::Unavailable { .. } => "The database is unreachable.".into(),
            // An error the server sent (e.g. a missing table) means it was reached.
            StoreError::Postgres(e) if e.as_db_error().is_none() => {
                "The database is unreachable.".into()
            }
            _ => "The database check failed.".into(),
        }
    }

    /// [`StoreError::Unavailable`] because of `source`.
    pub fn unavailable_because(
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable {
            reason: reason.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// A connection inside an open transaction. Every repository function takes `&mut dyn Conn`.
#[async_trait::async_trait]
pub trait Conn: Send {
    fn dialect(&self) -> Dialect;
    /// The transaction's time, read from the database's [`Clock`] once when it began: every
    /// timestamp one transaction writes is the same instant.
    fn now(&self) -> i64;
    /// Whether a statement's plan is kept on this connection for its next execution: SQLite's
    /// prepared statements, PostgreSQL's with `--postgres-pooler none`. Behind a transaction
    /// pooler PostgreSQL plans each (unnamed) statement every time, and a statement that costs
    /// more to plan than to run is cheaper as a PL/pgSQL function, whose plans are kept.
    fn keeps_plans(&self) -> bool {
        true
    }
    /// Runs a statement and returns all rows.
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs a statement and returns the number of rows changed.
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs statements that do not depend on each other and returns each one's rows, in order.
    /// PostgreSQL sends them all before reading any answer (pipelined: one round trip for all);
    /// SQLite, in process, runs them one after the other.
    async fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        let mut out = Vec::with_capacity(statements.len());
        for (sql, params) in statements {
            out.push(self.query(sql, params).await?);
        }
        Ok(out)
    }
}

/// An open transaction, as the work run by [`Database::transact`] and [`Database::read`] sees it:
/// the backend's connection, whose [`Conn::now`] is the transaction's time.
///
/// Why a type of its own rather than `&mut dyn Conn`: the work is an async closure, and on
/// PostgreSQL its future runs on the request's task, which must be `Send`. With `&mut dyn Conn` as
/// the argument (two lifetimes: the borrow and the object's) the compiler cannot prove that
/// (rust-lang/rust#110338: "implementation of `AsyncFnOnce` is not general enough"); with `&mut
/// Tx`, a type without lifetime parameters, it can. Method calls reach the connection through
/// `Deref`; a repository function taking `&mut dyn Conn` is handed `tx.conn()`.
#[repr(transparent)]
pub struct Tx(dyn Conn);

impl Tx {
    /// The transaction open on `conn`.
    fn of<'a>(conn: &'a mut (dyn Conn + 'static)) -> &'a mut Tx {
        // SAFETY: `Tx` is `repr(transparent)` over `dyn Conn + 'static`: the same layout and the
        // same pointer metadata (the vtable). The borrow's lifetime is kept, nothing outlives it.
        unsafe { &mut *(conn as *mut (dyn Conn + 'static) as *mut Tx) }
    }

    /// The connection, for the repository functions.
    pub fn conn(&mut self) -> &mut dyn Conn {
        &mut self.0
    }
}

impl std::ops::Deref for Tx {
    type Target = dyn Conn;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
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
    /// What sits between this process and PostgreSQL (see [`postgres::Pooler`]).
    pub pooler: postgres::Pooler,
    /// SQLite: how long a connection waits without a job before it releases its page cache
    /// (then the heap is trimmed; see [`idle`]); `None` or zero: never.
    pub idle_release: Option<std::time::Duration>,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            clock: Clock::System,
            statement_timeout_ms: 5_000,
            pooler: postgres::Pooler::default(),
            idle_release: Some(idle::IDLE_RELEASE_AFTER),
        }
    }
}

impl Database {
    /// Opens (creating if needed) and migrates the database named by `url`.
    pub async fn open(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        if ephemeral::is_memory_url(url) {
            return Ok(Database::Sqlite(sqlite::SqliteDb::open_ephemeral(options)?));
        }
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
            Err(StoreError::UnsupportedUrl(crate::secrets::redact_url(url)))
        }
    }

    /// The database's time now, from its [`Clock`] (what a transaction beginning now reads as
    /// [`Conn::now`]).
    pub fn now(&self) -> i64 {
        match self {
            Database::Sqlite(db) => db.now(),
            Database::Postgres(db) => db.now(),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `work` in a write transaction: it commits when `work` returns `Ok` (and `Ok` then
    /// means committed and durable) and rolls back when it returns `Err`.
    ///
    /// `work` must be safe to run more than once, from the start, each time in a fresh
    /// transaction: on PostgreSQL a transaction that lost a race with another process (deadlock,
    /// a unique index taken or a referenced row deleted by a concurrent commit) is run again, and
    /// then sees what the winner committed. So `work` reads what it decides on inside the
    /// transaction, and starts every run from what it captured, unchanged. (On SQLite a single
    /// writer runs every write transaction in turn, so there are no races and `work` runs once.)
    ///
    /// The rule for answers: `work` writes and returns what identifies the result (an id); the
    /// use case reads the answer with [`Database::transact_then_read`] (or afterwards with
    /// [`Database::read`]). That keeps reads off SQLite's single writer.
    pub async fn transact<T, E>(
        &self,
        work: impl AsyncFn(&mut Tx) -> Result<T, E> + Send + Sync + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        write_activity::record();
        match self {
            Database::Sqlite(db) => db.write(work).await,
            Database::Postgres(db) => db.write(work).await,
        }
    }

    /// [`Database::transact`], then the write's answer read with `read` from what `work`
    /// returned (an id): `read` sends all its statements at once, as for
    /// [`Database::read_in_one_trip`].
    ///
    /// - SQLite: `read` runs after the commit, on a reader: the single writer does only the
    ///   write.
    /// - PostgreSQL: `read` runs inside the write transaction, and its statements and the
    ///   `COMMIT` go out in one round trip: one transaction and one round trip fewer than a
    ///   separate read, and the answer is what the write committed. A lost race runs both again;
    ///   a statement of `read` that PostgreSQL fails rolls the write back (an error, even where
    ///   `read` ignores it).
    ///
    /// Either way `Ok` means committed and durable. An `Err` from `read` after its statements
    /// ran (a view found missing) comes after the commit, as it would from a separate read.
    pub async fn transact_then_read<T, U, E>(
        &self,
        work: impl AsyncFn(&mut Tx) -> Result<T, E> + Send + Sync + 'static,
        read: impl AsyncFn(&mut Tx, T) -> Result<U, E> + Send + Sync + 'static,
    ) -> Result<U, E>
    where
        T: Send + 'static,
        U: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Database::Sqlite(_) => {
                let value = self.transact(work).await?;
                self.read_in_one_trip(async move |tx| read(tx, value).await)
                    .await
            }
            Database::Postgres(db) => {
                write_activity::record();
                db.write_then_read(work, read).await
            }
        }
    }

    /// Runs `work` in a read-only transaction: one consistent snapshot for all its statements.
    /// Reads never race, so `work` runs once. (A read that sends all its statements at once is
    /// cheaper as [`Database::read_in_one_trip`].)
    pub async fn read<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Database::Sqlite(db) => db.read(work).await,
            Database::Postgres(db) => db.read(work).await,
        }
    }

    /// [`Database::read`] for work that sends all its statements at once: one `query` or one
    /// `query_batch`, after which it only builds its answer. On PostgreSQL the transaction opens
    /// and ends in that same round trip (or, for a single statement where the connections are
    /// not shared through a pooler, runs without one: a statement sees one snapshot of its own).
    /// A second round trip is a programming error, answered with [`StoreError::Decode`]. The
    /// snapshot is as consistent as `read`'s.
    pub async fn read_in_one_trip<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Database::Sqlite(db) => db.read(work).await,
            Database::Postgres(db) => db.read_in_one_trip(work).await,
        }
    }

    /// Statements SQLite re-prepared since the database was opened ([`sqlite::SqliteDb::reprepared`]);
    /// `None` on PostgreSQL.
    pub fn sqlite_reprepared(&self) -> Option<u64> {
        match self {
            Database::Sqlite(db) => Some(db.reprepared()),
            Database::Postgres(_) => None,
        }
    }

    /// Sorts SQLite's statements ran since the database was opened ([`sqlite::SqliteDb::sorts`]);
    /// `None` on PostgreSQL.
    pub fn sqlite_sorts(&self) -> Option<u64> {
        match self {
            Database::Sqlite(db) => Some(db.sorts()),
            Database::Postgres(_) => None,
        }
    }

    /// Sets the gauges of the pool and queue sizes (see [`metrics`]), read now: cheaper than
    /// tracking them on every request.
    pub fn record_gauges(&self) {
        match self {
            Database::Sqlite(db) => db.record_gauges(),
            Database::Postgres(db) => db.record_gauges(),
        }
    }

    /// A cheap round trip, for `/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read::<_, StoreError>(async |tx| {
            tx.query("SELECT 1", &[]).await?;
            Ok(())
        })
        .await
    }

    /// Ready to serve: the database answers and has recorded every migration this binary embeds in
    /// `schema_migrations` ([`StoreError::MigrationsMissing`] names those it has not). For
    /// `/health/ready`.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let embedded = match self {
            Database::Sqlite(_) => sqlite::MIGRATIONS,
            Database::Postgres(_) => postgres::MIGRATIONS,
        };
        let applied = self
            .read::<_, StoreError>(async |tx| {
                tx.query("SELECT version FROM schema_migrations", &[])
                    .await?
                    .iter()
                    .map(|row| row.int("version"))
                    .collect::<Result<Vec<i64>, _>>()
            })
            .await?;
        let missing: Vec<i64> = embedded
            .iter()
            .map(|(version, _)| *version)
            .filter(|version| !applied.contains(version))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(StoreError::MigrationsMissing { versions: missing })
        }
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

#[cfg(test)]
mod tests {
    use super::StoreError;

    #[test]
    fn the_readiness_reason_never_repeats_the_backends_message() {
        let secret = "postgres://rolodex:hunter2@db.internal/rolodex";
        let failures = [
            StoreError::unavailable(format!("cannot connect to {secret}")),
            StoreError::UnsupportedUrl(secret.into()),
            StoreError::Decode(secret.into()),
        ];
        for failure in failures {
            let reason = failure.readiness_reason();
            assert!(
                !reason.contains("hunter2") && !reason.contains("db.internal"),
                "{reason}"
            );
        }
        assert_eq!(
            StoreError::MigrationsMissing {
                versions: vec![2, 3]
            }
            .readiness_reason(),
            "Migrations not applied: 2, 3."
        );
    }
}

/// When this process last asked for a write transaction: background upkeep that writes (the
/// search index's batches) waits for a quiet spell instead of taking the one SQLite writer from
/// the requests.
pub mod write_activity {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    static LAST: AtomicU64 = AtomicU64::new(0);
    static STARTED: AtomicU64 = AtomicU64::new(0);

    fn origin() -> Instant {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        *ORIGIN.get_or_init(Instant::now)
    }

    fn now_ms() -> u64 {
        u64::try_from(origin().elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A write transaction is starting.
    pub fn record() {
        LAST.store(now_ms(), Ordering::Relaxed);
        STARTED.fetch_add(1, Ordering::Relaxed);
    }

    /// How many write transactions have started: unchanged means nothing was written since.
    pub fn started() -> u64 {
        STARTED.load(Ordering::Relaxed)
    }

    /// How long since the last write transaction started (from the first use, if none did).
    pub fn quiet_for() -> Duration {
        Duration::from_millis(now_ms().saturating_sub(LAST.load(Ordering::Relaxed)))
    }
}
