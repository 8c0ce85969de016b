//! The store's metric names (recorded through the `metrics` facade; served by `http::metrics`
//! when `serve --metrics-listen` is given, no-ops otherwise).

/// SQLite: writes waiting for the writer thread (read when scraped).
pub const WRITER_QUEUE_DEPTH: &str = "rolodex_sqlite_writer_queue_depth";
/// SQLite: writes per group commit.
pub const WRITE_BATCH_SIZE: &str = "rolodex_sqlite_write_batch_size";
/// SQLite: seconds per group commit (its fsync).
pub const COMMIT_SECONDS: &str = "rolodex_sqlite_commit_seconds";
/// SQLite: reads waiting for a reader thread (read when scraped).
pub const READER_QUEUE_DEPTH: &str = "rolodex_sqlite_reader_queue_depth";
/// SQLite: seconds a read waited for a reader thread.
pub const READER_WAIT_SECONDS: &str = "rolodex_sqlite_reader_wait_seconds";
/// SQLite: bytes in the connections' page caches, each as of its last job or idle release (read
/// when scraped).
pub const PAGE_CACHE_BYTES: &str = "rolodex_sqlite_page_cache_bytes";
/// PostgreSQL: the pool's largest size, open connections, idle ones and tasks waiting for one
/// (read when scraped).
pub const PG_POOL_MAX: &str = "rolodex_postgres_pool_max_connections";
pub const PG_POOL_SIZE: &str = "rolodex_postgres_pool_connections";
pub const PG_POOL_IDLE: &str = "rolodex_postgres_pool_idle_connections";
pub const PG_POOL_WAITING: &str = "rolodex_postgres_pool_waiting";
/// PostgreSQL: seconds waited for a pooled connection (a new one included).
pub const PG_POOL_WAIT_SECONDS: &str = "rolodex_postgres_pool_wait_seconds";
