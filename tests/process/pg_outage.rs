//! Outages and limits on PostgreSQL: requests fail fast with 503 while the database is away
//! (refusing connections, or silent), `/health` says so, service resumes by itself; the statement
//! timeout and the pool size are honoured.
//!
//! The database is reached through a TCP proxy inside the test, which the test takes down, freezes
//! and brings back; the shared PostgreSQL server itself is never stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::pg_common::*;
use crate::support::{TestDb, create_token};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwarding.
    Up,
    /// Connections are accepted and kept open, but nothing is forwarded: a hung server.
    Frozen,
    /// Listener and every connection closed: a server that is gone.
    Down,
}

/// A TCP proxy to PostgreSQL on a fixed local port.
struct Proxy {
    port: u16,
    upstream: String,
    mode: Arc<watch::Sender<Mode>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (mode, _) = watch::channel(Mode::Up);
        let mut proxy = Proxy {
            port,
            upstream: upstream.to_owned(),
            mode: Arc::new(mode),
            acceptor: None,
        };
        proxy.acceptor = Some(proxy.accept(listener));
        proxy
    }

    fn accept(&self, listener: TcpListener) -> JoinHandle<()> {
        let (upstream, mode) = (self.upstream.clone(), Arc::clone(&self.mode));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, mut rx) = (upstream.clone(), mode.subscribe());
                tokio::spawn(async move {
                    let mut client = client;
                    if *rx.borrow() == Mode::Up {
                        let Ok(mut server) = TcpStream::connect(&upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
                            _ = rx.wait_for(|m| *m != Mode::Up) => {}
                        }
                    }
                    // Frozen: keep the sockets open, silent, until the mode changes again.
                    if *rx.borrow() == Mode::Frozen {
                        let _ = rx.wait_for(|m| *m != Mode::Frozen).await;
                    }
                });
            }
        })
    }

    /// Closes the listener and every connection.
    fn down(&mut self) {
        self.mode.send_replace(Mode::Down);
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
    }

    fn freeze(&self) {
        self.mode.send_replace(Mode::Frozen);
    }

    /// Forwards again, on the same port.
    async fn up(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
            let _ = acceptor.await;
        }
        self.mode.send_replace(Mode::Down); // end frozen connections
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind proxy");
        self.mode.send_replace(Mode::Up);
        self.acceptor = Some(self.accept(listener));
    }

    /// `postgres://user@127.0.0.1:PORT/db` for the database of `direct_url`.
    fn url_for(&self, direct_url: &str) -> String {
        let server = direct_url
            .rsplit_once('/')
            .map(|(s, _)| s)
            .unwrap_or(direct_url);
        let user = server
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split_once('@'))
            .map(|(u, _)| u)
            .unwrap_or("postgres");
        format!(
            "postgres://{user}@127.0.0.1:{}/{}",
            self.port,
            db_name(direct_url)
        )
    }
}

/// Asserts a 503 with a JSON `message` (and `Retry-After`), answered within `limit`.
async fn assert_fast_503(api: &Api, path: &str, write: bool, limit: Duration) {
    let started = Instant::now();
    let reply = if write {
        api.post(
            path,
            json!({"first_name": "During the outage", "company_id": 1}),
        )
        .await
    } else {
        api.get(path).await
    };
    let took = started.elapsed();
    eprintln!(
        "{path} (write: {write}) answered {} in {took:?}",
        reply.status
    );
    assert_eq!(reply.status, 503, "{path}: {reply:#?}");
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{path}: 503 without a message: {reply:#?}"
    );
    if path != "/health" {
        assert!(
            reply.retry_after.is_some(),
            "{path}: 503 without Retry-After: {reply:#?}"
        );
    }
    assert!(
        took < limit,
        "{path}: the 503 took {took:?} (limit {limit:?})"
    );
}

/// Polls until `GET /contacts` answers 200; returns how long that took.
async fn wait_until_served(api: &Api, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = api.get("/contacts").await.status;
        if status == 200 {
            return started.elapsed();
        }
        assert_eq!(status, 503, "while recovering");
        assert!(
            started.elapsed() < limit,
            "service did not resume within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn requests_fail_fast_with_503_while_the_database_is_away_and_service_resumes_by_itself() {
    let server = pg_server("requests_fail_fast_with_503");
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let parsed = url::Url::parse(&server).expect("ROLODEX_TEST_POSTGRES is a URL");
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port().unwrap_or(5432)
    );
    let mut proxy = Proxy::start(&upstream).await;
    let mut process = serve(
        &db,
        &proxy.url_for(db.url()),
        &["--statement-timeout-ms", "1000"],
    );
    let api = Api::new(&process, &token);
    let company = api.company("Acme").await;
    api.get("/health").await.expect(200);

    // 1. The database goes away (connections closed, new ones refused).
    proxy.down();
    for _ in 0..3 {
        assert_fast_503(&api, "/contacts", false, Duration::from_secs(2)).await;
        assert_fast_503(&api, "/contacts", true, Duration::from_secs(2)).await;
        assert_fast_503(&api, "/health", false, Duration::from_secs(2)).await;
    }
    // The probes: readiness says why (in fixed words, no URL), liveness does not ask the database.
    let ready = api.get("/health/ready").await;
    assert_eq!(
        (ready.status, &ready.body),
        (
            503,
            &json!({"status": "unavailable", "reason": "The database is unreachable."})
        ),
        "{ready:#?}"
    );
    api.get("/health/live").await.expect(200);
    assert!(
        process.child.try_wait().ok().flatten().is_none(),
        "the server exited during the outage"
    );
    proxy.up().await;
    let took = wait_until_served(&api, Duration::from_secs(10)).await;
    eprintln!("service resumed {took:?} after the database came back");
    api.get("/health").await.expect(200);
    api.contact(json!({"first_name": "After", "company_id": company}))
        .await;

    // 2. The database hangs: connections stay open but nothing answers.
    proxy.freeze();
    // Statement timeout 1 s + 2 s margin for a pooled connection, 3 s to connect: never a hang.
    assert_fast_503(&api, "/contacts", false, Duration::from_secs(6)).await;
    assert_fast_503(&api, "/health", false, Duration::from_secs(6)).await;
    proxy.up().await;
    wait_until_served(&api, Duration::from_secs(10)).await;
    let listed = api.get("/contacts").await;
    assert_eq!(
        listed.expect(200).as_array().map(Vec::len),
        Some(1),
        "{listed:#?}"
    );
    assert!(
        process.child.try_wait().ok().flatten().is_none(),
        "the server exited"
    );
    process.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn the_statement_timeout_turns_a_blocked_write_into_a_fast_503() {
    pg_server("the_statement_timeout_turns_a_blocked_write");
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let process = serve(&db, db.url(), &["--statement-timeout-ms", "300"]);
    let api = Api::new(&process, &token);
    let company = api.company("Acme").await;
    let id = api
        .contact(json!({"first_name": "Locked", "company_id": company}))
        .await;

    // Another session holds the contact's row lock.
    let locker = connect(db.url()).await;
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM contacts WHERE id = {id} FOR UPDATE"
        ))
        .await
        .expect("lock");
    let started = Instant::now();
    let reply = api
        .post(&format!("/contacts/{id}"), json!({"last_name": "Blocked"}))
        .await;
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{reply:#?}");
    assert!(
        took < Duration::from_secs(2),
        "took {took:?} with a 300 ms statement timeout"
    );
    locker.batch_execute("ROLLBACK").await.expect("unlock");

    let c = api
        .post(&format!("/contacts/{id}"), json!({"last_name": "Free"}))
        .await
        .expect(200)
        .clone();
    assert_eq!(c["last_name"], json!("Free"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn the_pool_size_bounds_the_connections_of_an_instance() {
    pg_server("the_pool_size_bounds_the_connections");
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let process = serve(&db, db.url(), &["--pool-size", "2"]);
    let api = Api::new(&process, &token);
    let company = api.company("Acme").await;
    let requests = (0..40).map(|i| {
        let api = api.clone();
        async move {
            if i % 4 == 0 {
                api.post(
                    "/contacts",
                    json!({"first_name": format!("P{i}"), "company_id": company}),
                )
                .await
                .status
            } else {
                api.get("/contacts?sort=first_name:desc").await.status
            }
        }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    let check = connect(db.url()).await;
    let row = check
        .query_one(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'rolodex'",
            &[&db_name(db.url())],
        )
        .await
        .expect("count connections");
    let connections: i64 = row.get(0);
    assert!(
        (1..=2).contains(&connections),
        "{connections} connections with --pool-size 2"
    );
}
