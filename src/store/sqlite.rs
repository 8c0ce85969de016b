//! SQLite backend: rusqlite connections, WAL, durable commits, and group commit.
//!
//! Writes go to one writer thread that owns the only read-write connection. It takes every job
//! that is waiting, runs each inside its own SAVEPOINT (a failing job rolls back alone), and commits
//! them all with one fsync. A job's caller hears back only after that commit, so a 2xx is always on
//! disk (`synchronous=FULL`) while many concurrent writes share the cost of one commit. Checkpoints
//! (copying the WAL back into the database file) run on a separate thread, off the commit path.
//!
//! Reads run on a few dedicated reader threads, each owning one read-only connection with its own
//! page cache; WAL lets them proceed while the writer commits. Repository code is async (for
//! PostgreSQL); on SQLite its futures never wait, so they are driven to completion in place with
//! `block_on`.
//!
//! After a load, each connection's thread releases its page cache once it has been idle for a
//! while, and the heap is then trimmed (see `idle`).

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use futures::FutureExt;
use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use tokio::sync::{mpsc, oneshot};

use super::constraints;
use super::fair::{FairQueue, Next};
use super::idle::IdleRelease;
use super::value::Columns;
use super::{Conn, DbOptions, Dialect, Row, StoreError, Tx, Value};
use crate::clock::Clock;

/// Most jobs one commit may carry; bounds the latency a single commit adds.
const MAX_BATCH: usize = 256;

/// The schema, in order: `(version, SQL)`, applied on open and checked by [`super::Database::ready`].
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_companies.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_warehouses.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_price_levels.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_snapshots.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_console_sessions.sql"),
    ),
    (
        7,
        include_str!("../../migrations/sqlite/0007_token_last_used.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_contact_search.sql"),
    ),
    (
        9,
        include_str!("../../migrations/sqlite/0009_links_without_rowid.sql"),
    ),
    (
        10,
        include_str!("../../migrations/sqlite/0010_search_index_merges.sql"),
    ),
    (
        11,
        include_str!("../../migrations/sqlite/0011_last_name_first_name_desc.sql"),
    ),
    (
        12,
        include_str!("../../migrations/sqlite/0012_contact_name_counts.sql"),
    ),
];

/// Statements a connection keeps prepared. Every SQL text is constant or built from a bounded
/// number of fragments (lists are one parameter), so this bounds the cache's memory too.
const STATEMENT_CACHE: usize = 128;
/// SQLite calls the progress handler every this many virtual-machine instructions.
const PROGRESS_INTERVAL: i32 = 10_000;

/// One connection, used inside a transaction opened by this module.
pub struct SqliteConn {
    conn: rusqlite::Connection,
    /// When the current work must stop, in milliseconds since [`epoch`]; 0 when unbounded.
    deadline: Arc<AtomicU64>,
    /// The budget the deadline was set from, for the error.
    budget_ms: u64,
    /// The current transaction's time (see `Conn::now`), set as each job starts.
    now: i64,
    /// What the statements did, counted across the database's connections.
    counters: Arc<StatementCounters>,
}

/// Counts of what SQLite did while running the statements, across all connections of a
/// database: the costs a plan can hide, which the tests keep at zero on the hot paths.
#[derive(Default)]
struct StatementCounters {
    /// See [`SqliteDb::reprepared`].
    reprepared: AtomicU64,
    /// See [`SqliteDb::sorts`].
    sorts: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, message) = &e {
        // The progress handler stopped a statement past its deadline.
        if f.code == rusqlite::ErrorCode::OperationInterrupted {
            return StoreError::Timeout;
        }
        // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
        if f.extended_code == 2067 || f.extended_code == 1555 {
            return StoreError::UniqueViolation {
                constraint: message.as_deref().and_then(constraints::sqlite_unique),
            };
        }
        // SQLITE_CONSTRAINT_FOREIGNKEY: SQLite does not say which one.
        if f.extended_code == 787 {
            return StoreError::ForeignKeyViolation { constraint: None };
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
        // Read back with `json_each`; serialising numbers and strings cannot fail.
        Value::IntList(v) => {
            rusqlite::types::Value::Text(serde_json::to_string(v).unwrap_or_else(|_| "[]".into()))
        }
        Value::TextList(v) => {
            rusqlite::types::Value::Text(serde_json::to_string(v).unwrap_or_else(|_| "[]".into()))
        }
    }
}

impl SqliteConn {
    fn open(path: &Path, read_only: bool) -> Result<Self, StoreError> {
        let mut conn = rusqlite::Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(map_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(map_err)?;
        if read_only {
            conn.execute_batch("PRAGMA query_only = ON;")
                .map_err(map_err)?;
        }
        // The query planner stability guarantee: plans never depend on the values bound. Without
        // it, `col = $n` on an indexed column (with ANALYZE's statistics), a LEFT JOIN or a partial
        // index make SQLite compile the statement again at every execution, which costs more
        // than running it (measured: 6% of a list's CPU in `sqlite3Reprepare`).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let deadline = Arc::new(AtomicU64::new(0));
        let watched = Arc::clone(&deadline);
        conn.progress_handler(
            PROGRESS_INTERVAL,
            Some(move || {
                let at = watched.load(Ordering::Relaxed);
                at != 0 && now_ms() > at
            }),
        )
        .map_err(map_err)?;
        Ok(Self {
            conn,
            deadline,
            now: 0,
            counters: Arc::default(),
            budget_ms: 0,
        })
    }

    /// Runs `f` with the time budget armed: a statement still running past it is interrupted
    /// and fails with [`StoreError::Timeout`].
    fn within_budget<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        if self.budget_ms > 0 {
            self.deadline
                .store(now_ms().saturating_add(self.budget_ms), Ordering::Relaxed);
        }
        let out = f(self);
        self.deadline.store(0, Ordering::Relaxed);
        out
    }

    /// Bytes this connection's page cache holds now (`SQLITE_DBSTATUS_CACHE_USED`).
    fn cache_bytes(&self) -> u64 {
        let (mut current, mut highwater) = (0, 0);
        // SAFETY: the handle is this connection's own and stays valid while `self` lives; the
        // call only reads counters, on the thread that owns the connection.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                self.conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
                &mut current,
                &mut highwater,
                0,
            )
        };
        if rc == rusqlite::ffi::SQLITE_OK {
            u64::try_from(current).unwrap_or(0)
        } else {
            0
        }
    }

    /// Frees what this connection's page cache holds (`sqlite3_db_release_memory`) and tells
    /// `idle`, as connection `slot`. Only between transactions: pages in use are kept.
    fn release_cache(&self, idle: &IdleRelease, slot: usize) {
        let before = self.cache_bytes();
        if let Err(e) = self.conn.release_memory() {
            tracing::warn!(error = %e, "cannot release an idle connection's cache");
        }
        idle.released(slot, before, self.cache_bytes());
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(map_err)
    }

    /// One transaction-control statement (BEGIN, SAVEPOINT, COMMIT...), prepared once and reused.
    fn control(&self, sql: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(map_err)
    }

    fn run_query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&sqlite_sql(sql))
            .map_err(map_err)?;
        // Named once per statement; every row shares them.
        let columns = Columns::new(stmt.column_names().map(str::to_owned).collect());
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_err)? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(match row.get_ref(i).map_err(map_err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(Row::new(columns.clone(), values));
        }
        drop(rows);
        self.count_statement_work(&stmt);
        Ok(out)
    }

    /// Adds the statement's re-preparations and sorts since the last look to the database's
    /// counts.
    fn count_statement_work(&self, stmt: &rusqlite::Statement<'_>) {
        let counts = [
            (
                rusqlite::StatementStatus::RePrepare,
                &self.counters.reprepared,
            ),
            (rusqlite::StatementStatus::Sort, &self.counters.sorts),
        ];
        for (status, counter) in counts {
            let n = stmt.reset_status(status);
            if n > 0 {
                counter.fetch_add(u64::try_from(n).unwrap_or(0), Ordering::Relaxed);
            }
        }
    }

    fn run_execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&sqlite_sql(sql))
            .map_err(map_err)?;
        let changed = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(map_err)?;
        self.count_statement_work(&stmt);
        Ok(changed as u64)
    }

    fn migrate(&self, clock: &Clock) -> Result<(), StoreError> {
        self.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )?;
        let mut migrated = false;
        for (version, sql) in MIGRATIONS {
            let applied = !self
                .run_query(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[Value::Int(*version)],
                )?
                .is_empty();
            if applied {
                continue;
            }
            migrated = true;
            self.batch("BEGIN IMMEDIATE")?;
            let result = self.batch(sql).and_then(|()| {
                self.run_execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[Value::Int(*version), Value::Int(clock.now())],
                )
            });
            match result {
                Ok(_) => self.batch("COMMIT")?,
                Err(e) => {
                    let _ = self.batch("ROLLBACK");
                    return Err(StoreError::Migration {
                        version: *version,
                        source: Box::new(e),
                    });
                }
            }
        }
        if migrated {
            self.measure_new_indexes()?;
        }
        Ok(())
    }

    /// Gives the indexes a migration created planner statistics when the database has them (its
    /// owner ran `ANALYZE`). SQLite plans with the statistics of the indexes that have them and
    /// guesses for the others, and a guessed index looks far more selective than a measured one:
    /// it would win every plan it can serve, even where the measured index needs no sort (a
    /// `contacts_tenant_last_name_first_desc` without statistics took the ascending first-name
    /// pages and sorted them). Without statistics anywhere, every index is guessed alike and
    /// nothing needs doing.
    fn measure_new_indexes(&self) -> Result<(), StoreError> {
        let has_statistics = !self
            .run_query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
                &[],
            )?
            .is_empty();
        if !has_statistics {
            return Ok(());
        }
        let unmeasured = self.run_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN (SELECT tbl FROM sqlite_stat1) \
             AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)",
            &[],
        )?;
        for index in unmeasured {
            let name = index.text("name")?;
            self.batch(&format!("ANALYZE \"{}\"", name.replace('"', "\"\"")))?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Conn for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn now(&self) -> i64 {
        self.now
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
/// Delivers a job's result, given the batch's commit error (shared by every job of the batch).
type Delivery = Box<dyn FnOnce(Option<Arc<StoreError>>) + Send>;
/// A job for a reader thread: runs inside a read transaction and sends its own answer.
type ReadJob = Box<dyn FnOnce(&mut SqliteConn) + Send>;

/// Page cache of the writer connection, in KiB (SQLite's default is 2 MiB). Updates touch random
/// pages of every index; a warm cache saves a `pread` per page.
const WRITER_CACHE_KIB: i64 = 32 * 1024;
/// Page cache of each reader connection, in KiB.
const READER_CACHE_KIB: i64 = 8 * 1024;
/// Most reader threads one tenant may use, whatever the pool size asks: more threads than cores
/// only add memory (a connection, its cache, a malloc arena) and context switches. One reader
/// more is kept free for the other tenants (see `fair`).
const MAX_READERS_PER_CORE: usize = 2;
/// When the WAL starts over, in frames (of a 4 KiB page each); see [`checkpoint_loop`].
#[derive(Clone, Copy, Debug)]
struct WalLimits {
    /// Past this, the checkpointer copies the WAL back to within `writer_copies` frames of its
    /// end and has the writer copy those, so that it starts over.
    restart: i64,
    /// Frames the writer copies back itself at most, between two batches.
    writer_copies: i64,
    /// Past this, the checkpointer forces a RESTART checkpoint itself, blocking the writer while
    /// the readers leave the WAL: only when restarts at the writer's hand keep failing (a reader
    /// always in the WAL).
    force_restart: i64,
}

/// Each restart stalls the writer for the final copy and the database file's fsync (15-25 ms
/// under a steady write load on the project's VM before the checkpointer synced what it copied,
/// see `sync_copied`). Every 40,000 frames (about 160 MiB of WAL; 1.3 s of updates at full speed
/// there, some 30,000 frames a second) it stalls one group commit (64 requests in the bench) in
/// every 15,000 updates: out of the p99. The WAL file keeps its largest size (SQLite reuses it).
const WAL_LIMITS: WalLimits = WalLimits {
    restart: 40_000,
    writer_copies: 512,
    force_restart: 160_000,
};
/// PASSIVE checkpoints the checkpointer runs back to back at most to get within
/// `writer_copies` of the WAL's end (each copies what the writer wrote during the one before, so
/// they shrink fast).
const CATCH_UP_CHECKPOINTS: usize = 8;
/// The connections' slots in [`IdleRelease`]; the readers follow.
const WRITER_SLOT: usize = 0;
const CHECKPOINTER_SLOT: usize = 1;
const FIRST_READER_SLOT: usize = 2;

#[derive(Clone)]
pub struct SqliteDb {
    writer: mpsc::Sender<WriteJob>,
    /// The reader threads' jobs, shared fairly between tenants.
    readers: Arc<FairQueue<ReadJob>>,
    /// Closes the readers' queue when the last handle goes.
    _readers_open: Arc<QueueCloser>,
    clock: Clock,
    counters: Arc<StatementCounters>,
    /// The connections' cache sizes and idle releases.
    idle: Arc<IdleRelease>,
    /// The private directory of an ephemeral database (`sqlite::memory:`), removed with the last
    /// handle.
    _ephemeral: Option<Arc<super::ephemeral::EphemeralDir>>,
}

/// Closes the readers' queue on drop, so the reader threads end with the last [`SqliteDb`].
struct QueueCloser(Arc<FairQueue<ReadJob>>);

impl Drop for QueueCloser {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl SqliteDb {
    pub(super) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Opens (creating) the file at `path`, migrates it and starts the writer, reader and
    /// checkpointer threads.
    pub fn open(path: &str, options: &DbOptions) -> Result<Self, StoreError> {
        Self::open_with(path, options, WAL_LIMITS)
    }

    fn open_with(path: &str, options: &DbOptions, wal: WalLimits) -> Result<Self, StoreError> {
        let path = PathBuf::from(path);
        let counters = Arc::<StatementCounters>::default();
        let mut writer_conn = SqliteConn::open(&path, false)?;
        writer_conn.counters = Arc::clone(&counters);
        writer_conn.migrate(&options.clock)?;
        writer_conn.batch(&format!("PRAGMA cache_size = -{WRITER_CACHE_KIB}"))?;

        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per_tenant = (options.pool_size.max(1) as usize)
            .min(cores * MAX_READERS_PER_CORE)
            .max(1);
        // One reader more than any tenant may use: always free for the other tenants.
        let readers = per_tenant + 1;
        let idle = Arc::new(IdleRelease::new(
            options.idle_release,
            FIRST_READER_SLOT + readers,
        ));

        // Checkpoints run on their own thread so the writer never copies WAL pages back into the
        // database (nor fsyncs the database file) while callers wait for their commit.
        let checkpointer = SqliteConn::open(&path, false)?;
        // The checkpointer's own handle on the database file, to sync what it copied (see
        // checkpoint_loop).
        let database_file = std::fs::File::open(&path).map_err(|e| {
            StoreError::unavailable_because("cannot open the database file for syncing", e)
        })?;
        let (dirty_tx, dirty_rx) = std::sync::mpsc::sync_channel::<()>(1);
        writer_conn.batch("PRAGMA wal_autocheckpoint = 0")?;
        let checkpointer_idle = Arc::clone(&idle);
        let restart_wanted = Arc::new(AtomicBool::new(false));
        let restart_asked = Arc::clone(&restart_wanted);
        spawn("sqlite-checkpoint", move || {
            checkpoint_loop(
                checkpointer,
                &database_file,
                dirty_rx,
                wal,
                &restart_asked,
                &checkpointer_idle,
            )
        })?;
        // A WAL left by a process that ended without its last checkpoint (killed, or a tool that
        // exits without closing) is copied back now, not at the first write: until then every
        // read looks its pages up in the WAL, and a read-only server would never write.
        let _ = dirty_tx.try_send(());

        let (tx, rx) = mpsc::channel::<WriteJob>(4096);
        let writer_idle = Arc::clone(&idle);
        spawn("sqlite-writer", move || {
            writer_loop(writer_conn, rx, dirty_tx, &restart_wanted, &writer_idle)
        })?;

        let queue = FairQueue::<ReadJob>::new(per_tenant);
        for i in 0..readers {
            let mut conn = SqliteConn::open(&path, true)?;
            conn.counters = Arc::clone(&counters);
            // Only reads get a time budget: interrupting a write could roll back the whole
            // group-commit transaction it shares with others. Writes are bounded by the request
            // limits instead.
            conn.budget_ms = options.statement_timeout_ms;
            conn.batch(&format!("PRAGMA cache_size = -{READER_CACHE_KIB}"))?;
            let jobs = Arc::clone(&queue);
            let reader_idle = Arc::clone(&idle);
            spawn(&format!("sqlite-reader-{i}"), move || {
                reader_loop(conn, jobs, &reader_idle, FIRST_READER_SLOT + i)
            })?;
        }
        Ok(Self {
            writer: tx,
            _readers_open: Arc::new(QueueCloser(Arc::clone(&queue))),
            readers: queue,
            clock: options.clock.clone(),
            counters,
            idle,
            _ephemeral: None,
        })
    }

    /// A database of its own in a private directory that goes with the last handle (see
    /// `ephemeral`).
    pub fn open_ephemeral(options: &DbOptions) -> Result<Self, StoreError> {
        let dir = super::ephemeral::EphemeralDir::create()?;
        let path = dir.database();
        let mut db = Self::open(&path.to_string_lossy(), options)?;
        db._ephemeral = Some(Arc::new(dir));
        Ok(db)
    }

    /// Runs `work` on a reader thread, in a read transaction. The closure is sent to the thread
    /// and its future driven there, so only the closure (not its future) must be `Send`.
    /// How many times SQLite has re-prepared a cached statement since the database was opened.
    /// A statement whose plan depends on its bound values (a LEFT JOIN, or `col = $n` where the
    /// planner keeps statistics) is compiled again at every execution, which costs more than the
    /// statement itself; the hot paths are written so that this stays at zero (a test checks).
    pub fn reprepared(&self) -> u64 {
        self.counters.reprepared.load(Ordering::Relaxed)
    }

    /// How many sorts SQLite's statements have run since the database was opened (one per
    /// group of rows sorted where an index gives only part of an order). A list whose order an
    /// index holds runs none (a test checks the common ones).
    pub fn sorts(&self) -> u64 {
        self.counters.sorts.load(Ordering::Relaxed)
    }

    /// Bytes in the page caches of all connections, each as of its last job or idle release
    /// (see `idle`).
    pub fn cache_bytes(&self) -> u64 {
        self.idle.cache_bytes()
    }

    /// Heap trims after idle spells so far (see `idle`).
    pub fn idle_trims(&self) -> u64 {
        self.idle.trims()
    }

    /// Sets the gauges of the writer's and the readers' queues and of the page caches (see
    /// `store::metrics`).
    pub fn record_gauges(&self) {
        let writes = self.writer.max_capacity() - self.writer.capacity();
        metrics::gauge!(super::metrics::WRITER_QUEUE_DEPTH).set(writes as f64);
        metrics::gauge!(super::metrics::READER_QUEUE_DEPTH).set(self.readers.queued() as f64);
        metrics::gauge!(super::metrics::PAGE_CACHE_BYTES).set(self.cache_bytes() as f64);
    }

    pub async fn read<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let clock = self.clock.clone();
        let queued = Instant::now();
        let job: ReadJob = Box::new(move |conn: &mut SqliteConn| {
            metrics::histogram!(super::metrics::READER_WAIT_SECONDS)
                .record(queued.elapsed().as_secs_f64());
            conn.now = clock.now();
            let result = match conn.control("BEGIN") {
                Err(e) => Err(E::from(e)),
                Ok(()) => {
                    let outcome = conn.within_budget(|conn| {
                        let tx = Tx::of(conn);
                        futures::executor::block_on(AssertUnwindSafe(work(tx)).catch_unwind())
                    });
                    // A read-only transaction has nothing to keep; ending it releases the WAL
                    // snapshot.
                    let ended = conn.control("ROLLBACK");
                    match (outcome, ended) {
                        (Err(_), _) => Err(E::from(StoreError::unavailable("a read panicked"))),
                        (Ok(r), Ok(())) => r,
                        (Ok(_), Err(e)) => Err(E::from(e)),
                    }
                }
            };
            let _ = reply.send(result);
        });
        // Queued as the current request's tenant (see `fair`).
        self.readers
            .push(job)
            .map_err(|_| StoreError::unavailable("the readers have stopped"))?;
        answer
            .await
            .map_err(|_| E::from(StoreError::unavailable("a reader dropped a job")))?
    }

    /// Runs `work` once on the writer thread, inside its own savepoint of the next group commit.
    /// The single writer runs every write in turn, so a write never loses a race and is never
    /// run again.
    pub async fn write<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let clock = self.clock.clone();
        let job: WriteJob = Box::new(move |conn: &mut SqliteConn| {
            conn.now = clock.now();
            let tx = Tx::of(conn);
            let outcome = futures::executor::block_on(AssertUnwindSafe(work(tx)).catch_unwind());
            let result = match outcome {
                Ok(r) => r,
                Err(_) => Err(E::from(StoreError::unavailable("a write panicked"))),
            };
            let ok = result.is_ok();
            let deliver: Delivery = Box::new(move |commit_error| {
                let result = match (result, commit_error) {
                    (Ok(_), Some(e)) => {
                        Err(E::from(StoreError::unavailable_because("commit failed", e)))
                    }
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
            .map_err(|_| StoreError::unavailable("the writer has stopped"))?;
        answer
            .await
            .map_err(|_| E::from(StoreError::unavailable("the writer dropped a job")))?
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
        .map_err(|e| StoreError::unavailable_because(format!("cannot start thread {name}"), e))
}

/// A reader thread: owns one read-only connection and serves jobs until every `SqliteDb` is gone.
/// Idle for a period, it releases its cache, once, then waits for the next job.
fn reader_loop(
    mut conn: SqliteConn,
    jobs: Arc<FairQueue<ReadJob>>,
    idle: &IdleRelease,
    slot: usize,
) {
    let mut released = false;
    loop {
        match jobs.take_within(if released { None } else { idle.after() }) {
            Next::Job(mut taken) => {
                if let Some(job) = taken.job.take() {
                    job(&mut conn);
                }
                // Given back before the (cheap) status read, so the tenant's slot frees at once.
                drop(taken);
                idle.record(slot, conn.cache_bytes());
                released = false;
            }
            Next::Idle => {
                conn.release_cache(idle, slot);
                released = true;
            }
            Next::Closed => return,
        }
    }
}

/// Copies committed WAL frames back into the database file, off the commit path, with PASSIVE
/// checkpoints (they never block anyone).
///
/// The WAL starts over only once every frame is copied back and no reader still reads it. A
/// RESTART checkpoint gets there by holding the write lock while it copies the last frames,
/// fsyncs the database and waits for the readers: under a steady write load that stalled every
/// write for 15-40 ms, or 200 ms when the readers never all left, several times a second, and
/// the WAL kept growing past its limit (500+ MiB in a 10 s update run). So when the WAL has grown
/// past `limits.restart`, the checkpointer copies it back to within `limits.writer_copies` of its
/// end and sets `restart_wanted`; the writer copies the rest between two batches (nothing else
/// writes meanwhile), and SQLite starts the WAL over at its next `BEGIN` if no reader is left in
/// it, without waiting for one. A RESTART stays the last resort, past `limits.force_restart`.
fn checkpoint_loop(
    conn: SqliteConn,
    database_file: &std::fs::File,
    dirty: std::sync::mpsc::Receiver<()>,
    limits: WalLimits,
    restart_wanted: &AtomicBool,
    idle: &IdleRelease,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let _ = conn
        .conn
        .busy_timeout(std::time::Duration::from_millis(200));
    let mut last_work = Instant::now();
    let mut released = false;
    loop {
        match dirty.recv_timeout(std::time::Duration::from_millis(250)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => {
                if !released
                    && idle
                        .after()
                        .is_some_and(|after| last_work.elapsed() >= after)
                {
                    conn.release_cache(idle, CHECKPOINTER_SLOT);
                    released = true;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = conn.batch("PRAGMA wal_checkpoint(PASSIVE)");
                return;
            }
        }
        // Let a burst of commits accumulate before copying.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut wal = passive_checkpoint(&conn);
        sync_copied(database_file);
        if wal.frames > limits.restart {
            // A checkpoint copies the frames there were when it began; the writer adds more
            // meanwhile. Once one had little to copy, it was short, and so is what the writer
            // added during it: that is what the writer will copy.
            for _ in 0..CATCH_UP_CHECKPOINTS {
                let copied_before = wal.copied;
                wal = passive_checkpoint(&conn);
                sync_copied(database_file);
                if wal.copied - copied_before <= limits.writer_copies
                    && wal.left() <= limits.writer_copies
                {
                    restart_wanted.store(true, Ordering::Release);
                    break;
                }
            }
        }
        if wal.frames > limits.force_restart
            && let Err(e) = conn.batch("PRAGMA wal_checkpoint(RESTART)")
        {
            tracing::warn!(error = %e, "WAL checkpoint (RESTART) failed");
        }
        idle.record(CHECKPOINTER_SLOT, conn.cache_bytes());
        last_work = Instant::now();
        released = false;
    }
}

/// The WAL's frames, and how many of them are copied back into the database file.
#[derive(Clone, Copy, Default)]
struct WalProgress {
    frames: i64,
    copied: i64,
}

impl WalProgress {
    fn left(self) -> i64 {
        self.frames - self.copied
    }
}

/// Syncs the pages a checkpoint copied into the database file. SQLite syncs the file only at the
/// end of a checkpoint that found no frame added meanwhile, which under a steady write load is
/// rare: the pages of tens of thousands of frames then waited in the OS's cache for that one
/// sync (130 ms at a million contacts), or for the writer's before a restart. Synced here, after
/// each checkpoint, on the checkpointer's thread, they never pile up. A failure is only logged:
/// SQLite's own sync before the WAL starts over is what durability rests on.
fn sync_copied(database_file: &std::fs::File) {
    if let Err(e) = database_file.sync_data() {
        tracing::warn!(error = %e, "syncing the database file after a checkpoint failed");
    }
}

/// A PASSIVE checkpoint: copies back what no reader still needs from the WAL, waiting for no one.
fn passive_checkpoint(conn: &SqliteConn) -> WalProgress {
    conn.conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok(WalProgress {
                frames: r.get(1)?,
                copied: r.get(2)?,
            })
        })
        .unwrap_or_default()
}

/// What the writer waited for.
enum NextWrite {
    Job(WriteJob),
    /// No job came within the idle period.
    Idle,
    /// Every sender is gone.
    Closed,
}

/// The writer's next job: at once when one is waiting (under load, always), else waits for one,
/// at most `idle` (`None`: as long as it takes).
fn next_write(
    jobs: &mut mpsc::Receiver<WriteJob>,
    timer: Option<&tokio::runtime::Runtime>,
    idle: Option<std::time::Duration>,
) -> NextWrite {
    use tokio::sync::mpsc::error::TryRecvError;
    match jobs.try_recv() {
        Ok(job) => return NextWrite::Job(job),
        Err(TryRecvError::Disconnected) => return NextWrite::Closed,
        Err(TryRecvError::Empty) => {}
    }
    let received = match (timer, idle) {
        (Some(timer), Some(idle)) => {
            match timer.block_on(async { tokio::time::timeout(idle, jobs.recv()).await }) {
                Ok(received) => received,
                Err(_) => return NextWrite::Idle,
            }
        }
        _ => jobs.blocking_recv(),
    };
    match received {
        Some(job) => NextWrite::Job(job),
        None => NextWrite::Closed,
    }
}

fn writer_loop(
    mut conn: SqliteConn,
    mut jobs: mpsc::Receiver<WriteJob>,
    dirty: std::sync::mpsc::SyncSender<()>,
    restart_wanted: &AtomicBool,
    idle: &IdleRelease,
) {
    let mut batch: Vec<WriteJob> = Vec::with_capacity(MAX_BATCH);
    let mut deliveries: Vec<Delivery> = Vec::with_capacity(MAX_BATCH);
    // Only for the idle timeout (tokio's channel has no blocking receive with a timeout); without
    // it the writer never releases its cache.
    let timer = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .inspect_err(|e| tracing::warn!(error = %e, "no idle timer for the SQLite writer"))
        .ok();
    let mut released = false;
    loop {
        let first = match next_write(
            &mut jobs,
            timer.as_ref(),
            if released { None } else { idle.after() },
        ) {
            NextWrite::Job(job) => job,
            NextWrite::Idle => {
                conn.release_cache(idle, WRITER_SLOT);
                released = true;
                continue;
            }
            NextWrite::Closed => return,
        };
        released = false;
        if restart_wanted.swap(false, Ordering::AcqRel) {
            // The WAL's last frames (see checkpoint_loop): this BEGIN then starts it over.
            passive_checkpoint(&conn);
        }
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.control("BEGIN IMMEDIATE") {
            let message = e.to_string();
            tracing::error!(error = %message, "cannot begin a write transaction");
            for job in batch.drain(..) {
                drop(job); // dropping the reply sender tells the caller the job failed
            }
            continue;
        }
        for job in batch.drain(..) {
            let started = conn.control("SAVEPOINT job");
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot open a savepoint");
                drop(job);
                continue;
            }
            let (ok, deliver) = job(&mut conn);
            let closed = if ok {
                conn.control("RELEASE job")
            } else {
                conn.control("ROLLBACK TO job")
                    .and_then(|()| conn.control("RELEASE job"))
            };
            if let Err(e) = closed {
                tracing::error!(error = %e, "cannot close a savepoint");
            }
            deliveries.push(deliver);
        }
        metrics::histogram!(super::metrics::WRITE_BATCH_SIZE).record(deliveries.len() as f64);
        let committing = Instant::now();
        let committed = conn.control("COMMIT");
        metrics::histogram!(super::metrics::COMMIT_SECONDS)
            .record(committing.elapsed().as_secs_f64());
        let commit_error = committed.err().map(|e| {
            tracing::error!(error = %e, "commit failed");
            let _ = conn.batch("ROLLBACK");
            Arc::new(e)
        });
        for deliver in deliveries.drain(..) {
            deliver(commit_error.clone());
        }
        let _ = dirty.try_send(());
        idle.record(WRITER_SLOT, conn.cache_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Under a steady write load (four writers, never a pause) the WAL starts over each time it
    /// passes its limit, by the writer's hand, without the checkpointer's forced RESTART (off
    /// here): it stays near its limit while many times that is written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_under_a_steady_write_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("steady.db");
        let file = path.to_str().unwrap().to_owned();
        let limits = WalLimits {
            restart: 2_000,
            writer_copies: 64,
            force_restart: i64::MAX,
        };
        let db = SqliteDb::open_with(&file, &DbOptions::default(), limits).unwrap();
        db.write::<_, StoreError>(async |tx| {
            tx.conn().execute("CREATE TABLE filler (x BLOB)", &[]).await
        })
        .await
        .unwrap();
        // Small writes (a page each), back to back, until the WAL has passed its limit many
        // times over.
        let rows = 8 * limits.restart as u64;
        let written = Arc::new(AtomicU64::new(0));
        let writers = (0..4).map(|_| {
            let db = db.clone();
            let written = Arc::clone(&written);
            tokio::spawn(async move {
                while written.fetch_add(1, Ordering::Relaxed) < rows {
                    db.write::<_, StoreError>(async |tx| {
                        tx.conn()
                            .execute("INSERT INTO filler SELECT randomblob(3000)", &[])
                            .await
                    })
                    .await
                    .unwrap();
                }
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap();
        }
        let wal = std::fs::metadata(dir.path().join("steady.db-wal"))
            .unwrap()
            .len();
        let frame = 4096 + 24;
        assert!(
            wal < 5 * limits.restart as u64 * frame / 2,
            "the WAL grew to {wal} bytes ({} frames) as {rows} rows were written; the limit is {} frames",
            wal / frame,
            limits.restart
        );
        drop(db);
    }

    /// A WAL that an earlier process left behind (here: written with checkpoints off, the
    /// connection never closed) is copied into the database when it opens, without any write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wal_left_behind_is_checkpointed_when_the_database_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("left.db");
        let file = path.to_str().unwrap().to_owned();
        drop(SqliteDb::open(&file, &DbOptions::default()).unwrap());
        let earlier = rusqlite::Connection::open(&path).unwrap();
        earlier
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE filler (x BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO filler SELECT randomblob(1000) FROM n;",
            )
            .unwrap();
        // Leaked, as by a process that ended without closing: no checkpoint on close.
        std::mem::forget(earlier);
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        assert!(before < 1_000_000, "the rows are only in the WAL: {before}");

        let db = SqliteDb::open(&file, &DbOptions::default()).unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while size() < 2_000_000 {
            assert!(
                Instant::now() < deadline,
                "not checkpointed: {} bytes",
                size()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(db);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_tenant_cannot_hold_every_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fair.db");
        let options = DbOptions {
            // Two readers per tenant, plus the one kept free.
            pool_size: 2,
            statement_timeout_ms: 0,
            ..DbOptions::default()
        };
        let db = SqliteDb::open(path.to_str().unwrap(), &options).unwrap();
        // Tenant 1 sends four reads that each hold their reader until released.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let (started_tx, mut started) = mpsc::unbounded_channel::<()>();
        let mut slow = Vec::new();
        for _ in 0..4 {
            let (db, released, started_tx) =
                (db.clone(), Arc::clone(&released), started_tx.clone());
            slow.push(tokio::spawn(super::super::fair::scope(1, async move {
                db.read::<_, StoreError>(async move |_tx| {
                    let _ = started_tx.send(());
                    let _ = released.lock().unwrap().recv();
                    Ok(())
                })
                .await
            })));
        }
        // Two of them run (its cap); the others wait in the queue.
        for _ in 0..2 {
            started.recv().await.unwrap();
        }
        let more = tokio::time::timeout(std::time::Duration::from_millis(200), started.recv());
        assert!(
            more.await.is_err(),
            "a third read of the same tenant started"
        );
        // Tenant 2 is served at once by the reader kept free.
        let other = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            super::super::fair::scope(
                2,
                db.read::<_, StoreError>(async |tx| tx.query_one("SELECT 7", &[]).await?.int(0)),
            ),
        )
        .await;
        assert_eq!(other.ok().and_then(Result::ok), Some(7));
        for _ in 0..4 {
            release.send(()).unwrap();
        }
        for task in slow {
            assert!(task.await.unwrap().is_ok());
        }
    }

    /// Polls `check` every 20 ms for up to 20 s.
    async fn eventually(check: impl Fn() -> bool) -> bool {
        for _ in 0..1000 {
            if check() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        check()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_connections_release_their_caches_and_the_heap_is_trimmed_once_per_spell() {
        const MIB: u64 = 1024 * 1024;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idle.db");
        let idle = std::time::Duration::from_millis(500);
        let options = DbOptions {
            pool_size: 2,
            idle_release: Some(idle),
            ..DbOptions::default()
        };
        let db = SqliteDb::open(path.to_str().unwrap(), &options).unwrap();
        // About 8 MiB of rows: the writer's cache keeps what it wrote.
        db.write::<_, StoreError>(async |tx| {
            tx.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT)", &[])
                .await?;
            tx.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) \
                 INSERT INTO big SELECT i, printf('%.2000c', 'x') FROM n",
                &[],
            )
            .await
        })
        .await
        .unwrap();
        // A burst of reads that each scan the table, so several readers fill their caches.
        let burst = async || {
            let reads = (0..6).map(|_| {
                db.read::<_, StoreError>(async |tx| {
                    tx.query_one("SELECT sum(length(pad)) FROM big", &[])
                        .await?
                        .int(0)
                })
            });
            for total in futures::future::join_all(reads).await {
                assert_eq!(total.unwrap(), 4000 * 2000);
            }
        };
        for spell in 1..=2 {
            burst().await;
            // A reader's cache holds up to 8 MiB of the table now.
            let warm = db.cache_bytes();
            assert!(warm > 4 * MIB, "spell {spell}: {warm} bytes cached");
            assert_eq!(db.idle_trims(), spell - 1, "trimmed while a cache was warm");
            // Idle: every connection releases its cache, then the heap is trimmed once.
            assert!(
                eventually(|| db.cache_bytes() < MIB && db.idle_trims() == spell).await,
                "spell {spell}: {} bytes cached, {} trims",
                db.cache_bytes(),
                db.idle_trims()
            );
            // Not again while the store stays idle.
            tokio::time::sleep(idle * 3).await;
            assert_eq!(db.idle_trims(), spell, "trimmed again while idle");
            assert!(db.cache_bytes() < MIB);
        }
    }

    #[tokio::test]
    async fn a_read_over_its_budget_is_interrupted_and_the_reader_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.db");
        let options = DbOptions {
            pool_size: 1,
            statement_timeout_ms: 50,
            ..DbOptions::default()
        };
        let db = SqliteDb::open(path.to_str().unwrap(), &options).unwrap();
        // Counting to a billion takes far longer than 50 ms.
        let started = Instant::now();
        let slow = db
            .read::<_, StoreError>(async |tx| {
                tx.query(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) \
                     SELECT count(*) FROM n",
                    &[],
                )
                .await
            })
            .await;
        assert!(matches!(slow, Err(StoreError::Timeout)), "{slow:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // The same (only) reader answers the next read.
        let quick = db
            .read::<_, StoreError>(async |tx| tx.query_one("SELECT 42", &[]).await?.int(0))
            .await;
        assert_eq!(quick.ok(), Some(42));
    }

    /// SQLite's own messages, on the real schema, name the constraints the use cases expect.
    #[test]
    fn unique_violations_on_the_schema_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let conn = SqliteConn::open(&dir.path().join("named.db"), false).unwrap();
        conn.migrate(&Clock::System).unwrap();
        conn.batch(
            "INSERT INTO tenants (id, slug, created_at) VALUES (1, 't', 0); \
             INSERT INTO custom_fields (tenant_id, label, label_key, field_type, options, object_types, created_at, updated_at) \
             VALUES (1, 'A', 'a', 'string', '[]', '[]', 0, 0);",
        )
        .unwrap();
        let violation = conn
            .run_execute(
                "INSERT INTO custom_fields (tenant_id, label, label_key, field_type, options, object_types, created_at, updated_at) \
                 VALUES (1, 'a', 'a', 'string', '[]', '[]', 0, 0)",
                &[],
            )
            .unwrap_err();
        assert!(
            matches!(
                violation,
                StoreError::UniqueViolation {
                    constraint: Some(constraints::CUSTOM_FIELD_LABEL)
                }
            ),
            "{violation:?}"
        );
        let violation = conn
            .run_execute(
                "INSERT INTO tenants (id, slug, created_at) VALUES (1, 'u', 0)",
                &[],
            )
            .unwrap_err();
        assert!(
            matches!(
                violation,
                StoreError::UniqueViolation {
                    constraint: Some("tenants_pkey")
                }
            ),
            "{violation:?}"
        );
    }

    #[test]
    fn constraint_failures_map_to_their_kinds() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; \
             CREATE TABLE parent (id INTEGER PRIMARY KEY, k TEXT UNIQUE); \
             CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id)); \
             INSERT INTO parent (id, k) VALUES (1, 'a'); INSERT INTO child (parent_id) VALUES (1);",
        )
        .unwrap();
        let fails = |sql: &str| map_err(conn.execute(sql, []).unwrap_err());
        // A child of a missing parent, and deleting a parent that still has children.
        for sql in [
            "INSERT INTO child (parent_id) VALUES (2)",
            "DELETE FROM parent WHERE id = 1",
        ] {
            assert!(
                matches!(fails(sql), StoreError::ForeignKeyViolation { .. }),
                "{sql}"
            );
        }
        for sql in [
            "INSERT INTO parent (id, k) VALUES (2, 'a')",
            "INSERT INTO parent (id, k) VALUES (1, 'b')",
        ] {
            assert!(
                matches!(fails(sql), StoreError::UniqueViolation { .. }),
                "{sql}"
            );
        }
        assert!(matches!(
            fails("INSERT INTO child (parent_id) VALUES (NULL)"),
            StoreError::Sqlite(_)
        ));
    }
}
