//! How statements reach PostgreSQL under each `--postgres-pooler` setting, seen from the server:
//! named prepared statements only where a connection is a session of its own, the statement
//! timeout in force either way, and a read of one round trip that is still one transaction (and
//! ends with that round trip). Through the library, on a pool of one connection, so consecutive
//! reads share a server session that the checks can look into.

use std::time::Duration;

use rolodex::store::postgres::Pooler;
use rolodex::store::{Database, DbOptions, StoreError, Value};

use crate::pg_common::pg_server;
use crate::support::TestDb;

async fn open(db: &TestDb, pooler: Pooler, statement_timeout_ms: u64) -> Database {
    let options = DbOptions {
        pool_size: 1,
        statement_timeout_ms,
        pooler,
        ..DbOptions::default()
    };
    Database::open(db.url(), &options)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.url()))
}

/// The text of one column of one row.
async fn text(db: &Database, sql: &'static str) -> String {
    db.read::<_, StoreError>(async move |tx| tx.query_one(sql, &[]).await?.text(0))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn statements_are_prepared_once_per_connection_only_without_a_pooler() {
    pg_server("statements_are_prepared_once_per_connection_only_without_a_pooler");
    for (pooler, kept) in [(Pooler::None, "1"), (Pooler::Transaction, "0")] {
        let test_db = TestDb::new();
        let db = open(&test_db, pooler, 5_000).await;
        for n in [1, 2, 3] {
            let id = db
                .read_in_one_trip::<_, StoreError>(async move |tx| {
                    tx.query_one("SELECT $1::bigint + 0 AS n", &[Value::Int(n)])
                        .await?
                        .int("n")
                })
                .await
                .expect("a single-statement read");
            assert_eq!(id, n);
        }
        let prepared = text(
            &db,
            "SELECT count(*)::text FROM pg_prepared_statements \
             WHERE statement = 'SELECT $1::bigint + 0 AS n'",
        )
        .await;
        assert_eq!(prepared, kept, "{pooler:?}");
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn the_statement_timeout_holds_with_and_without_a_transaction() {
    pg_server("the_statement_timeout_holds_with_and_without_a_transaction");
    for pooler in [Pooler::None, Pooler::Transaction] {
        let test_db = TestDb::new();
        let db = open(&test_db, pooler, 200).await;
        // Alone (without BEGIN where the session carries the timeout), in a batch, in a read.
        let alone = db
            .read_in_one_trip::<_, StoreError>(async |tx| {
                tx.query("SELECT pg_sleep(3)", &[]).await?;
                Ok(())
            })
            .await;
        assert!(
            matches!(alone, Err(StoreError::Timeout)),
            "{pooler:?}: {alone:?}"
        );
        let batch = db
            .read_in_one_trip::<_, StoreError>(async |tx| {
                tx.query_batch(&[("SELECT 1", &[]), ("SELECT pg_sleep(3)", &[])])
                    .await?;
                Ok(())
            })
            .await;
        assert!(
            matches!(batch, Err(StoreError::Timeout)),
            "{pooler:?}: {batch:?}"
        );
        let read = db
            .read::<_, StoreError>(async |tx| {
                tx.query("SELECT 1", &[]).await?;
                tx.query("SELECT pg_sleep(3)", &[]).await?;
                Ok(())
            })
            .await;
        assert!(
            matches!(read, Err(StoreError::Timeout)),
            "{pooler:?}: {read:?}"
        );
        // The one connection is still good, and no transaction was left open on it.
        assert_eq!(text(&db, "SELECT 'fine'").await, "fine");
        assert_eq!(
            text(&db, "SELECT current_setting('statement_timeout')").await,
            "200ms",
            "{pooler:?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn a_read_in_one_trip_is_one_transaction_that_ends_with_it() {
    pg_server("a_read_in_one_trip_is_one_transaction_that_ends_with_it");
    const STARTED: &str = "SELECT transaction_timestamp()::text AS t";
    for pooler in [Pooler::None, Pooler::Transaction] {
        let test_db = TestDb::new();
        let db = open(&test_db, pooler, 5_000).await;
        // Two statements of one round trip: one transaction (else each would be its own).
        let (a, b) = db
            .read_in_one_trip::<_, StoreError>(async |tx| {
                let results = tx
                    .query_batch(&[
                        (STARTED, &[]),
                        ("SELECT 1 AS slept FROM pg_sleep(0.05)", &[]),
                        (STARTED, &[]),
                    ])
                    .await?;
                Ok((results[0][0].text("t")?, results[2][0].text("t")?))
            })
            .await
            .expect("a batch in one round trip");
        assert_eq!(a, b, "{pooler:?}: one snapshot, one transaction");
        // It ended with its round trip: the next read on the one connection is a new transaction.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let next = text(&db, STARTED).await;
        assert_ne!(next, a, "{pooler:?}: the transaction was left open");
        let state = text(&db, "SELECT current_setting('transaction_read_only')").await;
        assert_eq!(state, "on", "{pooler:?}: reads are read-only transactions");

        // A second round trip cannot join its snapshot: refused, and the connection is fine.
        let second = db
            .read_in_one_trip::<_, StoreError>(async |tx| {
                tx.query("SELECT 1", &[]).await?;
                tx.query("SELECT 2", &[]).await?;
                Ok(())
            })
            .await;
        assert!(
            matches!(&second, Err(StoreError::Decode(m)) if m.contains("second")),
            "{pooler:?}: {second:?}"
        );
        assert_eq!(text(&db, "SELECT 'fine'").await, "fine");
    }
}

/// A contact's view is one statement: where the connection keeps its plans (`none`: prepared
/// statements) the view's SELECT itself, behind a pooler PostgreSQL's `contact_views` function,
/// whose plan PostgreSQL keeps per server connection (migrations/postgres/0009). Counted with
/// PostgreSQL's function statistics on the pool's one connection.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn contact_views_come_from_the_function_only_where_plans_are_not_kept() {
    pg_server("contact_views_come_from_the_function_only_where_plans_are_not_kept");
    for (pooler, expected_calls) in [(Pooler::Transaction, "2"), (Pooler::None, "0")] {
        let test_db = TestDb::new();
        let db = open(&test_db, pooler, 5_000).await;
        // A session setting, on the one connection every read below runs on.
        db.read::<_, StoreError>(async |tx| {
            tx.execute("SET track_functions = 'pl'", &[]).await?;
            Ok(())
        })
        .await
        .expect("SET track_functions");
        for ids in [vec![1], vec![2, 1]] {
            let views = db
                .read::<_, StoreError>(async move |tx| {
                    rolodex::store::contacts::views(tx.conn(), 1, &ids).await
                })
                .await
                .expect("contacts' views");
            assert!(views.is_empty(), "{pooler:?}: no contacts were made");
        }
        text(&db, "SELECT pg_stat_force_next_flush()::text").await;
        let calls = text(
            &db,
            "SELECT COALESCE((SELECT calls FROM pg_stat_user_functions \
             WHERE funcname = 'contact_views'), 0)::text",
        )
        .await;
        assert_eq!(calls, expected_calls, "{pooler:?}");
    }
}

/// The table the write tests write to: `notes (id, at)`.
async fn create_notes(db: &Database) {
    db.transact::<_, StoreError>(async |tx| {
        tx.execute("CREATE TABLE notes (id BIGINT PRIMARY KEY, at TEXT)", &[])
            .await?;
        Ok(())
    })
    .await
    .expect("CREATE TABLE notes");
}

/// How many notes there are.
async fn notes(db: &Database) -> String {
    text(db, "SELECT count(*)::text FROM notes").await
}

/// Transactions committed in the test's database so far, the ones this count runs excepted
/// (PostgreSQL's statistics, flushed on demand from the pool's one connection). Each call adds
/// two of its own: the flush's and the count's.
async fn commits(db: &Database) -> i64 {
    text(db, "SELECT pg_stat_force_next_flush()::text").await;
    let count = text(
        db,
        "SELECT xact_commit::text FROM pg_stat_database WHERE datname = current_database()",
    )
    .await;
    count
        .parse()
        .unwrap_or_else(|e| panic!("xact_commit {count:?}: {e}"))
}

/// A write answered with a read of what it wrote (`Database::transact_then_read`, what a
/// contact's create and update answer with) is one transaction: the read sees the write's own
/// transaction, and its round trip carries the COMMIT. A write and a read of their own are two.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn a_write_and_the_read_of_its_answer_are_one_transaction() {
    pg_server("a_write_and_the_read_of_its_answer_are_one_transaction");
    const STARTED: &str = "SELECT transaction_timestamp()::text AS t";
    for pooler in [Pooler::Transaction, Pooler::None] {
        let test_db = TestDb::new();
        let db = open(&test_db, pooler, 5_000).await;
        create_notes(&db).await;
        let write = async |tx: &mut rolodex::store::Tx| -> Result<String, StoreError> {
            let at = tx.query_one(STARTED, &[]).await?.text("t")?;
            tx.execute(
                "INSERT INTO notes (id, at) VALUES ((SELECT count(*) + 1 FROM notes), $1)",
                &[Value::Text(at.clone())],
            )
            .await?;
            Ok(at)
        };

        let read = async |tx: &mut rolodex::store::Tx, written_at| {
            let read_at = tx.query_one(STARTED, &[]).await?.text("t")?;
            Ok((written_at, read_at))
        };
        // Once before counting (the count too): with `none` a statement's first use prepares
        // it, and a statement prepared outside a transaction is a transaction of its own.
        db.transact_then_read::<_, _, StoreError>(write, read)
            .await
            .expect("a write and its answer");
        commits(&db).await;

        let before = commits(&db).await;
        let (written_at, read_at) = db
            .transact_then_read::<_, _, StoreError>(write, read)
            .await
            .expect("a write and its answer");
        let together = commits(&db).await - before - 2;
        assert_eq!(
            written_at, read_at,
            "{pooler:?}: read in the write's transaction"
        );
        assert_eq!(together, 1, "{pooler:?}: a write and its answer");

        // The same as a write and a read of its own: two transactions.
        let before = commits(&db).await;
        db.transact::<_, StoreError>(write).await.expect("a write");
        db.read_in_one_trip::<_, StoreError>(async |tx| {
            tx.query_one(STARTED, &[]).await?;
            Ok(())
        })
        .await
        .expect("a read");
        let apart = commits(&db).await - before - 2;
        assert_eq!(apart, 2, "{pooler:?}: a write, then a read");

        // The three writes committed, and nothing was left open on the one connection.
        assert_eq!(notes(&db).await, "3");
        assert_ne!(text(&db, STARTED).await, read_at, "{pooler:?}");
        assert_eq!(
            text(&db, "SELECT current_setting('transaction_read_only')").await,
            "on",
            "{pooler:?}"
        );
    }
}

/// The read of a write's answer goes with the write's COMMIT: when its statement fails, the
/// write is rolled back (the COMMIT became a ROLLBACK, or never went out), it is an error even
/// where the read ignores that, and the connection is fine.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn a_write_whose_answer_fails_to_read_is_rolled_back() {
    pg_server("a_write_whose_answer_fails_to_read_is_rolled_back");
    for pooler in [Pooler::Transaction, Pooler::None] {
        let test_db = TestDb::new();
        let db = open(&test_db, pooler, 5_000).await;
        create_notes(&db).await;
        let failed = db
            .transact_then_read::<_, (), StoreError>(
                async |tx| {
                    tx.execute("INSERT INTO notes (id) VALUES (1)", &[]).await?;
                    Ok(())
                },
                async |tx, ()| {
                    tx.query("SELECT 1 / (SELECT count(*) - 1 FROM notes)", &[])
                        .await?;
                    Ok(())
                },
            )
            .await;
        assert!(failed.is_err(), "{pooler:?}: {failed:?}");
        assert_eq!(
            notes(&db).await,
            "0",
            "{pooler:?}: the write was rolled back"
        );
        // A statement that fails before it runs (with `none`, when it is prepared) or whose
        // failure the read swallows: the write is not kept and not reported as done, and no
        // transaction is left open on the one connection for the next request to inherit.
        for swallow in [false, true] {
            let failed = db
                .transact_then_read::<_, (), StoreError>(
                    async |tx| {
                        tx.execute("INSERT INTO notes (id) VALUES (1)", &[]).await?;
                        Ok(())
                    },
                    async move |tx, ()| {
                        let read = tx.query("SELECT id FROM no_such_table", &[]).await;
                        match read {
                            Err(_) if swallow => Ok(()),
                            other => other.map(|_| ()),
                        }
                    },
                )
                .await;
            assert!(failed.is_err(), "{pooler:?}, {swallow}: {failed:?}");
            assert_eq!(text(&db, "SELECT 'fine'").await, "fine", "{pooler:?}");
            assert_eq!(
                notes(&db).await,
                "0",
                "{pooler:?}, {swallow}: the write was rolled back"
            );
        }
        // A read of more than one round trip is refused, and leaves the connection usable.
        let second = db
            .transact_then_read::<_, (), StoreError>(
                async |_| Ok(()),
                async |tx, ()| {
                    tx.query("SELECT 1", &[]).await?;
                    tx.query("SELECT 2", &[]).await?;
                    Ok(())
                },
            )
            .await;
        assert!(
            matches!(&second, Err(StoreError::Decode(m)) if m.contains("second")),
            "{pooler:?}: {second:?}"
        );
        assert_eq!(text(&db, "SELECT 'fine'").await, "fine");
    }
}
