//! PostgreSQL backend: tokio-postgres connections from a deadpool pool, made by
//! [`pg_connect`] (TLS as the URL's `sslmode` and `sslrootcert` say).
//!
//! Statements are the same `$N` text as on SQLite, with explicitly typed parameters: integers bind
//! as `bigint`, reals as `double precision`, text as `text`, and NULL as `unknown`, so PostgreSQL
//! infers the type of a NULL from the column it goes into. How they are sent depends on what sits
//! between this process and the server ([`Pooler`]):
//!
//! - [`Pooler::Transaction`], the default: as *unnamed* statements (`query_typed`: parse, bind
//!   and execute in one round trip), never as named prepared statements, and everything that
//!   spans statements is transaction-scoped: the statement timeout is `SET LOCAL` at `BEGIN`.
//!   That keeps the server usable behind a pooler in transaction mode (PgBouncer before 1.21
//!   cannot carry named statements between clients at all, nor session settings).
//! - [`Pooler::None`] (each connection is a server session of its own): each statement text is
//!   prepared once per connection and kept (named; at most [`STATEMENT_CACHE_MAX`] per
//!   connection), so PostgreSQL parses and plans it once; the statement timeout is a session
//!   setting, `SET` when the connection opens; and a read of a single statement
//!   ([`PgDb::read_in_one_trip`]) runs without `BEGIN`/`COMMIT`.
//!
//! The migration lock is an advisory *transaction* lock in both.
//!
//! Several Rolodex processes may share one database. Writes run at READ COMMITTED and lock the rows
//! they read-modify-write (`SELECT ... FOR UPDATE` in the repositories). A write that loses a race
//! in a way PostgreSQL reports — deadlock, serialization failure, a unique index taken by a
//! transaction that committed meanwhile, or a referenced row that such a transaction deleted — is
//! rolled back and run again from the start ([`PgDb::write`]; every write is safe to run again, see
//! `Database::transact`). Reads run at REPEATABLE READ, READ ONLY:
//! one snapshot for the whole read, as on SQLite.
//!
//! Outages: a connection that fails is never handed out again; acquiring one waits at most
//! [`CONNECT_TIMEOUT`], and each round trip at most the statement timeout plus
//! [`ROUND_TRIP_MARGIN`]. Every such failure is [`StoreError::Unavailable`] (503). Nothing needs a
//! restart when the database comes back: new connections are made on demand.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{
    Hook, HookError, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, TimeoutType,
};
use rand::RngExt;
use tokio_postgres::Statement;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::constraints;
use super::fair::TenantGate;
use super::pg_connect::{self, SslMode};
use super::value::Columns;
use super::{Conn, DbOptions, Dialect, Row, StoreError, Tx, Value};
use crate::clock::Clock;

/// The schema, in order: `(version, SQL)`, applied on open and checked by [`super::Database::ready`].
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_companies.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_warehouses.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_price_levels.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_snapshots.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_console_sessions.sql"),
    ),
    (
        7,
        include_str!("../../migrations/postgres/0007_token_last_used.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_nulls_first_indexes.sql"),
    ),
    (
        9,
        include_str!("../../migrations/postgres/0009_contact_views.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_last_name_first_name_desc.sql"),
    ),
];

/// What sits between this process and PostgreSQL: whether a connection is a server session of
/// its own, which decides what may outlive one transaction on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pooler {
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`) may run each
    /// transaction on a different server connection: statements are unnamed and the statement
    /// timeout is set in each transaction. Correct without a pooler too, hence the default.
    #[default]
    Transaction,
    /// None (or one in session mode): every connection is a session of its own, so statements
    /// are prepared once per connection and the statement timeout is set once per connection.
    None,
}

/// Most prepared statements kept per connection ([`Pooler::None`]); past it the connection's
/// cache is emptied (and its statements closed). The statement texts a server runs are a few
/// dozen, but lists and updates compose theirs from what the request asks for.
pub const STATEMENT_CACHE_MAX: usize = 256;

/// Serialises concurrent migrations from several instances starting at once.
const MIGRATION_LOCK: i64 = 0x0052_6f6c_6f64_6578; // "Rolodex"

/// The advisory lock of one tenant's records. Every write transaction of a request takes it
/// shared when it begins; what replaces all of a tenant's records at once (an admin reset,
/// restore or deletion) takes it exclusively ([`super::admin::lock_tenant`]), so those never
/// interleave with a request's write, on any instance sharing the database. Reads need no lock:
/// their snapshot shows the records before or after.
pub(super) fn tenant_lock_key(tenant_id: i64) -> i64 {
    const TENANT_LOCKS: i64 = 0x5444_0000_0000_0000; // "TD": apart from MIGRATION_LOCK
    TENANT_LOCKS.wrapping_add(tenant_id)
}

/// Longest wait for a connection: to open a new one, or for a busy pool to hand one back.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A round trip may take the statement timeout plus this before the connection is given up on
/// (the server enforces the statement timeout itself; this catches a server that stopped answering).
pub const ROUND_TRIP_MARGIN: Duration = Duration::from_secs(2);

/// How often a retryable write is attempted in all. Races on one row (eight requests making
/// themselves the primary contact of one company at once) can make a transaction lose several times
/// in a row; each retry waits a little longer, with jitter, so they spread out.
const MAX_ATTEMPTS: u32 = 10;

fn is_unavailable_state(code: &SqlState) -> bool {
    let c = code.code();
    // 08: connection exceptions (PgBouncer reports its own trouble reaching the server so too);
    // 57P01-57P03: shutdown / not yet accepting; 53300: too many connections. (57014, the
    // statement timeout, is `StoreError::Timeout`.)
    c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300")
}

fn map_err(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) if db.code() == &SqlState::UNIQUE_VIOLATION => StoreError::UniqueViolation {
            constraint: db.constraint().and_then(constraints::known),
        },
        Some(db) if db.code() == &SqlState::FOREIGN_KEY_VIOLATION => {
            StoreError::ForeignKeyViolation {
                constraint: db.constraint().and_then(constraints::known),
            }
        }
        // The statement timeout: the connection is fine, the work was too slow.
        Some(db) if db.code() == &SqlState::QUERY_CANCELED => StoreError::Timeout,
        Some(db) if is_unavailable_state(db.code()) => {
            let reason = db.message().to_owned();
            StoreError::unavailable_because(reason, e)
        }
        Some(_) => StoreError::Postgres(e),
        // No server error: the connection broke, timed out or closed.
        None => StoreError::unavailable_because("the connection failed", e),
    }
}

/// The NULL parameter: with the declared type `unknown`, PostgreSQL takes the type from the context.
const NULL: &Option<&str> = &None;

/// A parameter as sent, with its declared type (see the module documentation).
fn param(value: &Value) -> (&(dyn ToSql + Sync), Type) {
    match value {
        Value::Null => (NULL, Type::UNKNOWN),
        Value::Int(v) => (v, Type::INT8),
        Value::Real(v) => (v, Type::FLOAT8),
        Value::Text(v) => (v, Type::TEXT),
        Value::IntList(v) => (v, Type::INT8_ARRAY),
        Value::TextList(v) => (v, Type::TEXT_ARRAY),
    }
}

/// A NULL bound to a prepared statement's parameter of type `ty` (as PostgreSQL inferred it from
/// the `unknown` the statement was prepared with): a value of a Rust type that type accepts.
fn null_of(ty: &Type) -> &'static (dyn ToSql + Sync) {
    match *ty {
        Type::INT8 => &None::<i64>,
        Type::INT4 => &None::<i32>,
        Type::INT2 => &None::<i16>,
        Type::FLOAT8 => &None::<f64>,
        Type::FLOAT4 => &None::<f32>,
        Type::BOOL => &None::<bool>,
        Type::INT8_ARRAY => &None::<Vec<i64>>,
        Type::TEXT_ARRAY => &None::<Vec<String>>,
        _ => NULL,
    }
}

/// A parameter bound to a prepared statement whose parameter types are `ty`.
fn bind<'a>(value: &'a Value, ty: &Type) -> &'a (dyn ToSql + Sync) {
    match value {
        Value::Null => null_of(ty),
        other => param(other).0,
    }
}

/// The names of a result's columns, read once from its first row and shared by every row.
fn column_names(rows: &[tokio_postgres::Row]) -> Arc<Columns> {
    Columns::new(rows.first().map_or_else(Vec::new, |r| {
        r.columns().iter().map(|c| c.name().to_owned()).collect()
    }))
}

fn decode(row: &tokio_postgres::Row, columns: &Arc<Columns>) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let d = |e: tokio_postgres::Error| StoreError::Decode(format!("column {i}: {e}"));
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(d)?.map(Value::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map_err(d)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)
                .map_err(d)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)
                .map_err(d)?
                .map(Value::from),
            Type::FLOAT8 => row
                .try_get::<_, Option<f64>>(i)
                .map_err(d)?
                .map(Value::Real),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)
                .map_err(d)?
                .map(|v| Value::Real(v.into())),
            _ => row
                .try_get::<_, Option<String>>(i)
                .map_err(d)?
                .map(Value::Text),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row::new(columns.clone(), values))
}

/// One pooled connection, used inside a transaction opened by [`PgDb`].
///
/// If it is dropped while its transaction is still open (the request's future was dropped, e.g.
/// because the client went away) or after it failed, it is taken out of the pool and closed, so
/// the server rolls the transaction back and no later request inherits it.
pub struct PgConn {
    client: Option<Object>,
    /// Where a replacement comes from when the connection turns out to be dead at its first use.
    pool: Pool,
    /// The `BEGIN ...` batch not sent yet: it goes out with the transaction's first statement, in
    /// the same write to the socket (pipelined), so opening a transaction costs no round trip of
    /// its own.
    pending_begin: Option<String>,
    /// Client-side limit on one round trip; `None` when statements may run forever.
    round_trip: Option<Duration>,
    /// Inside `BEGIN` .. `COMMIT`/`ROLLBACK`.
    in_transaction: bool,
    /// The connection failed (I/O, timeout); it must not go back to the pool.
    broken: bool,
    /// The SQLSTATE of the last statement that failed in this transaction.
    last_error: Option<SqlState>,
    /// The current transaction's time (see `Conn::now`), set when it begins.
    now: i64,
    /// Statements are prepared once per connection and kept ([`Pooler::None`]).
    prepared: bool,
    /// The transaction ends with its first round trip ([`PgDb::read_in_one_trip`]).
    one_trip: bool,
    /// The transaction ends with its next round trip: a write's answer, read inside it
    /// ([`PgDb::write_then_read`]).
    commit_with_next: bool,
    /// A round trip ended the transaction (`one_trip`, `commit_with_next`): no other may follow.
    ended_by_trip: bool,
    /// The transaction is a read's (`BEGIN … READ ONLY`).
    read_only: bool,
    /// A round trip of this transaction went out.
    sent: bool,
}

impl PgConn {
    fn new(client: Object, pool: Pool, round_trip: Option<Duration>, prepared: bool) -> Self {
        Self {
            client: Some(client),
            pool,
            pending_begin: None,
            round_trip,
            in_transaction: false,
            broken: false,
            last_error: None,
            now: 0,
            prepared,
            one_trip: false,
            commit_with_next: false,
            ended_by_trip: false,
            read_only: false,
            sent: false,
        }
    }

    fn client(&self) -> Result<&Object, StoreError> {
        self.client
            .as_ref()
            .ok_or_else(|| StoreError::unavailable("the connection was discarded"))
    }

    /// Records the outcome of one round trip: the failure kind for retries, and whether the
    /// connection is still usable.
    fn settle<R>(
        &mut self,
        outcome: Result<Result<R, tokio_postgres::Error>, tokio::time::error::Elapsed>,
    ) -> Result<R, StoreError> {
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                self.last_error = e.code().cloned();
                let mapped = map_err(e);
                if matches!(mapped, StoreError::Unavailable { .. }) {
                    self.broken = true;
                }
                Err(mapped)
            }
            Err(_) => {
                self.broken = true;
                Err(StoreError::unavailable(
                    "the database did not answer in time",
                ))
            }
        }
    }

    async fn timed<F, R>(
        round_trip: Option<Duration>,
        fut: F,
    ) -> Result<Result<R, tokio_postgres::Error>, tokio::time::error::Elapsed>
    where
        F: Future<Output = Result<R, tokio_postgres::Error>>,
    {
        match round_trip {
            Some(limit) => tokio::time::timeout(limit, fut).await,
            None => Ok(fut.await),
        }
    }

    /// Runs statements without parameters (simple query protocol).
    async fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let outcome = Self::timed(self.round_trip, self.client()?.batch_execute(sql)).await;
        self.settle(outcome)
    }

    /// Whether the transaction failed in a way that running it again may cure: it lost a race
    /// that PostgreSQL detected (deadlock, serialization failure), a unique index was taken by a
    /// transaction that committed meanwhile, or a row the write refers to was deleted by one (the
    /// work checks uniqueness and existence before writing, so on a second run it sees the winner
    /// and answers accordingly: a 422 for a taken email or a vanished company id, a 404 for a
    /// vanished parent record).
    fn lost_a_race(&self) -> bool {
        self.last_error.as_ref().is_some_and(|c| {
            *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::UNIQUE_VIOLATION
                || *c == SqlState::FOREIGN_KEY_VIOLATION
        })
    }

    /// The socket is gone (the server or a proxy closed it).
    fn is_closed(&self) -> bool {
        self.client.as_ref().is_none_or(|c| c.is_closed())
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        if !self.read_only && self.last_error.is_some() {
            // A statement failed and the work went on regardless (it ignored the error):
            // PostgreSQL would answer this COMMIT with a silent ROLLBACK, or already ended the
            // transaction with one. A write that was not kept is never a success.
            self.rollback().await;
            return Err(StoreError::Decode(
                "a statement of the write failed, and the write was rolled back".into(),
            ));
        }
        if self.pending_begin.take().is_some() {
            // Nothing was sent: there is no transaction to end.
            self.in_transaction = false;
            return Ok(());
        }
        if !self.in_transaction {
            // Ended with its round trip (`one_trip`, `commit_with_next`).
            return Ok(());
        }
        let result = self.batch("COMMIT").await;
        // Whatever happened, the transaction is over (a failed COMMIT rolls back).
        self.in_transaction = self.broken;
        result
    }

    async fn rollback(&mut self) {
        if self.pending_begin.take().is_some() {
            self.in_transaction = false;
            return;
        }
        if !self.in_transaction {
            return;
        }
        if self.broken {
            // Nothing more goes over a broken connection (a ROLLBACK would wait out another
            // round-trip timeout on a server that stopped answering); dropping it closes it, and
            // the server rolls back.
            return;
        }
        if self.batch("ROLLBACK").await.is_ok() {
            self.in_transaction = false;
        }
    }

    /// One round trip: `op`, preceded on the wire by the pending `BEGIN` when it is the
    /// transaction's first, and followed by `COMMIT` when the transaction ends with it
    /// (`one_trip`, `commit_with_next`). When that first round trip finds the pooled connection
    /// closed (the server restarted since it was last used), nothing has run: it is dropped and
    /// the round trip sent again on another connection, at most twice.
    async fn send(&mut self, op: Op<'_>) -> Result<Output, StoreError> {
        if self.ended_by_trip {
            return Err(StoreError::Decode(
                "a read of one round trip sent a second one".into(),
            ));
        }
        // A single statement has a snapshot of its own: on a connection of its own (whose
        // session carries the statement timeout) it needs no transaction around it.
        let alone = self.one_trip && self.prepared && op.len() == 1;
        let commit = (self.one_trip && !alone) || self.commit_with_next;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let pending = self.pending_begin.take();
            let begin = if alone { None } else { pending.as_deref() };
            // Whether this trip opens the transaction (its BEGIN, or none at all: `alone`).
            let opens = alone || begin.is_some();
            let client = self.client()?;
            let prepared = self.prepared;
            // Set once the pipeline is on its way: a failure before (preparing a statement)
            // neither began nor ended anything.
            let went_out = std::sync::atomic::AtomicBool::new(false);
            let round_trip = async {
                // Statements not prepared on this connection yet are, first (one round trip for
                // all of them, before the transaction's first message).
                let statements = if prepared {
                    Some(op.prepare(client).await?)
                } else {
                    None
                };
                let begin = async {
                    match begin {
                        Some(sql) => client.batch_execute(sql).await,
                        None => Ok(()),
                    }
                };
                let commit = async {
                    if commit {
                        client.batch_execute("COMMIT").await
                    } else {
                        Ok(())
                    }
                };
                // `join3` polls them in order, and each queues its messages when first polled:
                // BEGIN, the statements and COMMIT go out in one write. All answers are awaited,
                // so the transaction's end is known whatever failed.
                went_out.store(true, std::sync::atomic::Ordering::Relaxed);
                let (begun, out, committed) =
                    futures::future::join3(begin, op.run(client, statements.as_deref()), commit)
                        .await;
                begun?;
                let out = out?;
                committed?;
                Ok(out)
            };
            let outcome = Self::timed(self.round_trip, round_trip).await;
            let first = !self.sent;
            let result = self.settle(outcome);
            match result {
                Err(StoreError::Unavailable { .. })
                    if first && self.is_closed() && attempts < 3 =>
                {
                    if let Some(dead) = self.client.take() {
                        drop(Object::take(dead));
                    }
                    let fresh = tokio::time::timeout(
                        CONNECT_TIMEOUT + Duration::from_millis(500),
                        self.pool.get(),
                    )
                    .await;
                    match fresh {
                        Ok(Ok(client)) => {
                            self.client = Some(client);
                            self.broken = false;
                            self.pending_begin = pending;
                        }
                        _ => {
                            return Err(StoreError::unavailable(
                                "no database connection after the pooled one was found closed",
                            ));
                        }
                    }
                }
                result => {
                    self.sent = true;
                    let went_out = went_out.load(std::sync::atomic::Ordering::Relaxed);
                    if (self.one_trip || commit) && (went_out || opens) {
                        self.ended_by_trip = true;
                        if !self.broken {
                            // COMMIT (a ROLLBACK after a failed statement) ran, or there was no
                            // transaction (not begun, or `alone`).
                            self.in_transaction = false;
                        }
                    }
                    // Otherwise a statement failed to prepare inside an open transaction: it
                    // stays open, for the caller's ROLLBACK (or the pool's discarding).
                    return result;
                }
            }
        }
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        if (self.in_transaction || self.broken)
            && let Some(client) = self.client.take()
        {
            // Detach from the pool; dropping the client closes the connection.
            drop(Object::take(client));
        }
    }
}

#[async_trait::async_trait]
impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn keeps_plans(&self) -> bool {
        self.prepared
    }

    fn now(&self) -> i64 {
        self.now
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        match self.send(Op::Query(&[(sql, params)])).await? {
            Output::Rows(mut results) => decode_all(&results.pop().unwrap_or_default()),
            Output::Count(_) => Err(StoreError::Decode("a query without rows".into())),
        }
    }

    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        match self.send(Op::Execute(sql, params)).await? {
            Output::Count(n) => Ok(n),
            Output::Rows(_) => Err(StoreError::Decode("a statement without a count".into())),
        }
    }

    async fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        match self.send(Op::Query(statements)).await? {
            Output::Rows(results) => results.iter().map(|rows| decode_all(rows)).collect(),
            Output::Count(_) => Err(StoreError::Decode("a query without rows".into())),
        }
    }
}

fn decode_all(rows: &[tokio_postgres::Row]) -> Result<Vec<Row>, StoreError> {
    let columns = column_names(rows);
    rows.iter().map(|r| decode(r, &columns)).collect()
}

/// What one round trip of [`PgConn::send`] carries.
#[derive(Clone, Copy)]
enum Op<'a> {
    /// Statements returning rows, sent together (pipelined).
    Query(&'a [(&'a str, &'a [Value])]),
    /// A statement whose changed-row count is the answer.
    Execute(&'a str, &'a [Value]),
}

enum Output {
    Rows(Vec<Vec<tokio_postgres::Row>>),
    Count(u64),
}

impl Op<'_> {
    /// How many statements.
    fn len(self) -> usize {
        match self {
            Op::Query(statements) => statements.len(),
            Op::Execute(..) => 1,
        }
    }

    /// Each statement prepared on this connection: from its cache, or prepared now (all those
    /// missing in one round trip).
    async fn prepare(self, client: &Object) -> Result<Vec<Statement>, tokio_postgres::Error> {
        let cache = &client.statement_cache;
        if cache.size() >= STATEMENT_CACHE_MAX {
            cache.clear();
        }
        let texts: Vec<(&str, Vec<Type>)> = match self {
            Op::Query(statements) => statements
                .iter()
                .map(|(sql, params)| (*sql, params.iter().map(|v| param(v).1).collect()))
                .collect(),
            Op::Execute(sql, params) => vec![(sql, params.iter().map(|v| param(v).1).collect())],
        };
        futures::future::try_join_all(
            texts
                .iter()
                .map(|(sql, types)| client.prepare_typed_cached(sql, types)),
        )
        .await
    }

    /// Sends the statements (queued when first polled) and reads their answers: unnamed, or as
    /// the `prepared` statements.
    async fn run(
        self,
        client: &Object,
        prepared: Option<&[Statement]>,
    ) -> Result<Output, tokio_postgres::Error> {
        match (self, prepared) {
            (Op::Query(statements), None) => {
                let refs: Vec<Vec<(&(dyn ToSql + Sync), Type)>> = statements
                    .iter()
                    .map(|(_, params)| params.iter().map(param).collect())
                    .collect();
                // `try_join_all` polls every query once, in order, before waiting for any answer:
                // all of them are on the wire at once.
                let rows = futures::future::try_join_all(
                    statements
                        .iter()
                        .zip(&refs)
                        .map(|((sql, _), refs)| client.query_typed(sql, refs)),
                )
                .await?;
                Ok(Output::Rows(rows))
            }
            (Op::Query(statements), Some(prepared)) => {
                let refs: Vec<Vec<&(dyn ToSql + Sync)>> = statements
                    .iter()
                    .zip(prepared)
                    .map(|((_, params), statement)| {
                        params
                            .iter()
                            .zip(statement.params())
                            .map(|(value, ty)| bind(value, ty))
                            .collect()
                    })
                    .collect();
                let rows = futures::future::try_join_all(
                    prepared
                        .iter()
                        .zip(&refs)
                        .map(|(statement, refs)| client.query(statement, refs)),
                )
                .await?;
                Ok(Output::Rows(rows))
            }
            (Op::Execute(_, params), Some([statement, ..])) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params
                    .iter()
                    .zip(statement.params())
                    .map(|(value, ty)| bind(value, ty))
                    .collect();
                Ok(Output::Count(client.execute(statement, &refs).await?))
            }
            (Op::Execute(sql, params), _) => {
                let refs: Vec<(&(dyn ToSql + Sync), Type)> = params.iter().map(param).collect();
                Ok(Output::Count(client.execute_typed(sql, &refs).await?))
            }
        }
    }
}

#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
    /// `host:port` of the server(s), for messages about failed connections.
    target: Arc<str>,
    ssl_mode: SslMode,
    statement_timeout_ms: u64,
    pooler: Pooler,
    /// Each tenant's share of the pool's connections.
    gate: Arc<TenantGate>,
    clock: Clock,
}

impl PgDb {
    pub(super) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Connects (lazily: the pool opens connections on demand) and migrates.
    pub async fn open(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        let invalid = StoreError::InvalidUrl;
        let (rest, tls) = pg_connect::split_tls_params(url).map_err(invalid)?;
        let mut config: tokio_postgres::Config = rest
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(e.to_string()))?;
        config.ssl_mode(pg_connect::wire_mode(tls.mode));
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("rolodex");
        }
        let target: Arc<str> = pg_connect::targets(&config).into();
        let connector = pg_connect::Connector::new(&tls).map_err(invalid)?;
        let manager = Manager::from_connect(
            config,
            connector,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let mut pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1) as usize)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT));
        if options.pooler == Pooler::None {
            // The statement timeout as a setting of the session, once per connection. (Not as
            // the startup packet's `options`, which a pooler in session mode refuses or ignores.)
            let set: Arc<str> =
                format!("SET statement_timeout = {}", options.statement_timeout_ms).into();
            pool = pool.post_create(Hook::async_fn(move |client, _| {
                let set = set.clone();
                Box::pin(
                    async move { client.batch_execute(&set).await.map_err(HookError::Backend) },
                )
            }));
        }
        let pool = pool
            .build()
            .map_err(|e| StoreError::unavailable_because("cannot build the connection pool", e))?;
        let db = Self {
            pool,
            target,
            ssl_mode: tls.mode,
            statement_timeout_ms: options.statement_timeout_ms,
            pooler: options.pooler,
            gate: TenantGate::new(options.pool_size.max(1) as usize),
            clock: options.clock.clone(),
        };
        db.migrate().await?;
        Ok(db)
    }

    fn round_trip(&self) -> Option<Duration> {
        (self.statement_timeout_ms > 0)
            .then(|| Duration::from_millis(self.statement_timeout_ms) + ROUND_TRIP_MARGIN)
    }

    /// Why the pool could not hand out a connection, naming the cause when a new connection failed
    /// (refused, unknown host, TLS, authentication, timeout): that is what an operator reads when
    /// `rolodex` cannot start.
    fn pool_failure(&self, e: PoolError) -> StoreError {
        let target = &self.target;
        let reason = match &e {
            PoolError::Backend(e) => pg_connect::describe_failure(e, target, self.ssl_mode),
            PoolError::Timeout(TimeoutType::Create) => format!(
                "timed out connecting to {target} (no answer within {} s: a firewall, or the wrong address?)",
                CONNECT_TIMEOUT.as_secs()
            ),
            PoolError::Timeout(TimeoutType::Wait) => {
                "timed out waiting for a free connection from the pool".to_owned()
            }
            _ => "no connection from the pool".to_owned(),
        };
        StoreError::unavailable_because(reason, e)
    }

    /// Sets the pool's gauges (see `store::metrics`).
    pub fn record_gauges(&self) {
        use super::metrics::{PG_POOL_IDLE, PG_POOL_MAX, PG_POOL_SIZE, PG_POOL_WAITING};
        let status = self.pool.status();
        metrics::gauge!(PG_POOL_MAX).set(status.max_size as f64);
        metrics::gauge!(PG_POOL_SIZE).set(status.size as f64);
        metrics::gauge!(PG_POOL_IDLE).set(status.available as f64);
        metrics::gauge!(PG_POOL_WAITING).set(status.waiting as f64);
    }

    async fn acquire(&self) -> Result<PgConn, StoreError> {
        let waiting = std::time::Instant::now();
        let client = tokio::time::timeout(
            CONNECT_TIMEOUT + Duration::from_millis(500),
            self.pool.get(),
        )
        .await;
        metrics::histogram!(super::metrics::PG_POOL_WAIT_SECONDS)
            .record(waiting.elapsed().as_secs_f64());
        let client = client
            .map_err(|_| StoreError::unavailable("timed out waiting for a database connection"))?
            .map_err(|e| self.pool_failure(e))?;
        Ok(PgConn::new(
            client,
            self.pool.clone(),
            self.round_trip(),
            self.pooler == Pooler::None,
        ))
    }

    /// A connection with a transaction about to open: its `BEGIN` goes out with the first
    /// statement ([`PgConn::send`], which also replaces a pooled connection found dead).
    async fn begin(&self, read_only: bool) -> Result<PgConn, StoreError> {
        let mode = if read_only {
            "ISOLATION LEVEL REPEATABLE READ READ ONLY"
        } else {
            "ISOLATION LEVEL READ COMMITTED"
        };
        // A request's write holds its tenant's lock shared (see `tenant_lock_key`); the same
        // round trip as the BEGIN.
        let tenant_lock = match (read_only, super::fair::current_tenant()) {
            (false, Some(tenant_id)) => format!(
                "; SELECT pg_advisory_xact_lock_shared({})",
                tenant_lock_key(tenant_id)
            ),
            _ => String::new(),
        };
        let mut conn = self.acquire().await?;
        conn.in_transaction = true;
        conn.read_only = read_only;
        conn.now = self.clock.now();
        // Behind a transaction pooler the statement timeout is the transaction's own; a session
        // of our own has it from the start (see `open`).
        let timeout = match self.pooler {
            Pooler::Transaction => {
                format!(
                    "; SET LOCAL statement_timeout = {}",
                    self.statement_timeout_ms
                )
            }
            Pooler::None => String::new(),
        };
        conn.pending_begin = Some(format!("BEGIN {mode}{timeout}{tenant_lock}"));
        Ok(conn)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.acquire().await?;
        conn.in_transaction = true;
        // One transaction, with a transaction-level lock: correct through a transaction pooler.
        conn.batch(&format!(
            "BEGIN; SET LOCAL statement_timeout = 0; SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); \
             CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"
        ))
        .await?;
        let applied: Vec<i64> = conn
            .query("SELECT version FROM schema_migrations", &[])
            .await?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<_, _>>()?;
        for (version, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            conn.batch(sql).await.map_err(|e| StoreError::Migration {
                version: *version,
                source: Box::new(e),
            })?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[Value::Int(*version), Value::Int(self.clock.now())],
            )
            .await?;
        }
        conn.commit().await
    }

    /// Runs `work` once in a read-only transaction.
    pub async fn read<T, E>(&self, work: impl AsyncFnOnce(&mut Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _pass = self.gate.enter().await;
        let mut conn = self.begin(true).await?;
        let tx = Tx::of(&mut conn);
        match work(tx).await {
            Ok(value) => {
                conn.commit().await?;
                Ok(value)
            }
            Err(e) => {
                conn.rollback().await;
                Err(e)
            }
        }
    }

    /// [`PgDb::read`] for work that sends all its statements in one round trip (see
    /// `Database::read_in_one_trip`): `BEGIN`, the statements and `COMMIT` go out together, or
    /// a single statement alone where the session carries the statement timeout
    /// ([`Pooler::None`]). Still one snapshot for all the statements, at most one connection.
    pub async fn read_in_one_trip<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _pass = self.gate.enter().await;
        let mut conn = self.begin(true).await?;
        conn.one_trip = true;
        let tx = Tx::of(&mut conn);
        match work(tx).await {
            Ok(value) => {
                conn.commit().await?;
                Ok(value)
            }
            Err(e) => {
                conn.rollback().await;
                Err(e)
            }
        }
    }

    /// Runs `work` in a write transaction, again from the start (a fresh transaction, so it sees
    /// what the winner committed) when it lost a race that PostgreSQL reported.
    ///
    /// The work's future runs on the caller's task (it is `Send` whenever what the closure
    /// captures is), so nothing here is boxed.
    pub async fn write<T, E>(&self, work: impl AsyncFn(&mut Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // A read that sends nothing: the transaction ends with a COMMIT of its own.
        self.write_then_read(work, async |_, value| Ok(value)).await
    }

    /// [`PgDb::write`], and then `read` with what `work` returned, inside the same transaction:
    /// `read` sends its statements in one round trip (as for [`PgDb::read_in_one_trip`]) and
    /// the `COMMIT` goes out with them. A write answered with a view of what it wrote thus costs
    /// one transaction and one round trip less than a write and a read of its own, and the
    /// answer is exactly what it committed. A race lost at any point, the commit included, runs
    /// both again.
    pub async fn write_then_read<T, U, E>(
        &self,
        work: impl AsyncFn(&mut Tx) -> Result<T, E>,
        read: impl AsyncFn(&mut Tx, T) -> Result<U, E>,
    ) -> Result<U, E>
    where
        E: From<StoreError>,
    {
        let _pass = self.gate.enter().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut conn = self.begin(false).await?;
            let done = match work(Tx::of(&mut conn)).await {
                Ok(value) => {
                    conn.commit_with_next = true;
                    read(Tx::of(&mut conn), value).await
                }
                Err(e) => Err(e),
            };
            let (result, lost) = match done {
                // Ended by the read's round trip, or (when the read sent nothing) by this COMMIT.
                Ok(answer) => match conn.commit().await {
                    Ok(()) => return Ok(answer),
                    Err(e) => (Err(E::from(e)), conn.lost_a_race()),
                },
                Err(e) => {
                    let lost = conn.lost_a_race();
                    conn.rollback().await;
                    (Err(e), lost)
                }
            };
            if !lost {
                return result;
            }
            if attempt >= MAX_ATTEMPTS {
                tracing::warn!(attempt, code = ?conn.last_error, "a transaction kept losing races; giving up");
                return result;
            }
            drop(conn);
            tracing::debug!(attempt, "retrying a transaction that lost a race");
            let pause = rand::rng().random_range(1..=5u64) * u64::from(attempt);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }
}
