//! PostgreSQL backend: tokio-postgres connections from a deadpool pool.
//!
//! Statements are the same `$N` text as on SQLite. Parameters are converted using the types
//! PostgreSQL inferred when preparing, so a NULL or an integer flag binds correctly to any column.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::types::{ToSql, Type};

use super::{Conn, DbOptions, Dialect, Row, StoreError, Value, Work};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (2, include_str!("../../migrations/postgres/0002_companies.sql")),
];

/// Serialises concurrent migrations from several instances starting at once.
const MIGRATION_LOCK: i64 = 0x0052_6f6c_6f64_6578; // "Rolodex"

fn map_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error()
        && db.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
    {
        return StoreError::UniqueViolation;
    }
    if e.is_closed() || e.as_db_error().is_none() {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Postgres(e)
}

fn bind(value: &Value, ty: &Type) -> Box<dyn ToSql + Sync + Send> {
    match (value, ty) {
        (Value::Null, &Type::INT2) => Box::new(None::<i16>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::FLOAT4 | &Type::FLOAT8) => Box::new(None::<f64>),
        (Value::Null, &Type::BOOL) => Box::new(None::<bool>),
        (Value::Null, _) => Box::new(None::<String>),
        (Value::Int(v), &Type::INT2) => Box::new(*v as i16),
        (Value::Int(v), &Type::INT4) => Box::new(*v as i32),
        (Value::Int(v), &Type::BOOL) => Box::new(*v != 0),
        (Value::Int(v), &Type::FLOAT4 | &Type::FLOAT8) => Box::new(*v as f64),
        (Value::Int(v), &Type::TEXT | &Type::VARCHAR) => Box::new(v.to_string()),
        (Value::Int(v), _) => Box::new(*v),
        (Value::Real(v), _) => Box::new(*v),
        (Value::Text(v), _) => Box::new(v.clone()),
    }
}

fn decode(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let d = |e: tokio_postgres::Error| StoreError::Decode(format!("column {i}: {e}"));
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(d)?.map(Value::Int),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(d)?.map(|v| Value::Int(v.into())),
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(d)?.map(|v| Value::Int(v.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(d)?.map(Value::from),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map_err(d)?.map(Value::Real),
            Type::FLOAT4 => row.try_get::<_, Option<f32>>(i).map_err(d)?.map(|v| Value::Real(v.into())),
            _ => row.try_get::<_, Option<String>>(i).map_err(d)?.map(Value::Text),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

pub struct PgConn {
    client: deadpool_postgres::Object,
}

impl PgConn {
    async fn params(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<(tokio_postgres::Statement, Vec<Box<dyn ToSql + Sync + Send>>), StoreError> {
        let statement = self.client.prepare_cached(sql).await.map_err(map_err)?;
        let bound = params
            .iter()
            .zip(statement.params())
            .map(|(v, ty)| bind(v, ty))
            .collect();
        Ok((statement, bound))
    }
}

#[async_trait::async_trait]
impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let (statement, bound) = self.params(sql, params).await?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref() as _).collect();
        let rows = self.client.query(&statement, &refs).await.map_err(map_err)?;
        rows.iter().map(decode).collect()
    }

    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let (statement, bound) = self.params(sql, params).await?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref() as _).collect();
        self.client.execute(&statement, &refs).await.map_err(map_err)
    }
}

#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
    acquire_timeout: Duration,
}

impl PgDb {
    pub async fn open(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::UnsupportedUrl(format!("{url}: {e}")))?;
        config.connect_timeout(Duration::from_secs(5));
        config.options(format!("-c statement_timeout={}", options.statement_timeout_ms));
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1) as usize)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(5)))
            .wait_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let db = Self { pool, acquire_timeout: Duration::from_secs(5) };
        db.migrate().await?;
        Ok(db)
    }

    async fn conn(&self) -> Result<PgConn, StoreError> {
        let client = tokio::time::timeout(self.acquire_timeout, self.pool.get())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for a connection".into()))?
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(PgConn { client })
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let conn = self.conn().await?;
        let c = &conn.client;
        c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await.map_err(map_err)?;
        let result = async {
            c.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .await
            .map_err(map_err)?;
            for (version, sql) in MIGRATIONS {
                let applied = c
                    .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[version])
                    .await
                    .map_err(map_err)?
                    .is_some();
                if applied {
                    continue;
                }
                let script = format!(
                    "BEGIN; {sql}; INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, {}); COMMIT;",
                    super::now_seconds()
                );
                if let Err(e) = c.batch_execute(&script).await {
                    let _ = c.batch_execute("ROLLBACK").await;
                    return Err(StoreError::Migration(format!("version {version}: {e}")));
                }
            }
            Ok(())
        }
        .await;
        let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await;
        result
    }

    pub async fn run<T, E>(&self, work: Work<T, E>, read_only: bool) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let mut conn = self.conn().await?;
        let begin = if read_only { "BEGIN READ ONLY" } else { "BEGIN" };
        conn.client.batch_execute(begin).await.map_err(map_err)?;
        let result = work(&mut conn).await;
        match result {
            Ok(value) => {
                conn.client.batch_execute("COMMIT").await.map_err(map_err)?;
                Ok(value)
            }
            Err(e) => {
                // If the rollback fails the connection is broken; the pool discards it on recycle.
                let _ = conn.client.batch_execute("ROLLBACK").await;
                Err(e)
            }
        }
    }
}
