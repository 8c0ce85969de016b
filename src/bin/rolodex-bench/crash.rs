//! Durability under load: writers update and create contacts over HTTP, the server is killed with
//! SIGKILL mid-stream, restarted on the same database, and every write that was answered 2xx must
//! be there with its acknowledged values; the SQLite file must pass `PRAGMA integrity_check`.
//! Shared with `tests/crash.rs` through `#[path]`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::server::{Client, Server};

const BASE: &str = "/external/api/v1";
const FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "phone_1",
    "phone_2",
    "receiving_bank_name",
];

#[derive(Debug, Clone)]
pub struct CrashConfig {
    pub writers: usize,
    /// How long the writers run before the kill.
    pub run_for: Duration,
    pub first_contact_id: i64,
    pub contacts: u64,
    pub first_company_id: i64,
    pub companies: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CrashReport {
    pub acked_updates: u64,
    pub acked_creates: u64,
    pub in_flight_at_kill: u64,
    pub checked_values: u64,
    pub restart_ms: f64,
    pub integrity_check: String,
    pub failures: Vec<String>,
}

/// What one writer saw. Each writer owns a disjoint set of contacts and has at most one request
/// in flight, so per (contact, field) the stored value must be the last acknowledged one, or the
/// one in flight at the kill (it may have committed without its answer arriving).
#[derive(Default)]
struct WriterLog {
    /// (contact id, field) -> last acknowledged value
    updates: HashMap<(i64, &'static str), String>,
    /// the update in flight when the connection broke
    pending: Option<(i64, &'static str, String)>,
    /// created contact id -> (first_name, email)
    creates: Vec<(i64, String, String)>,
    acked_updates: u64,
    in_flight: bool,
}

fn field_of(body: &[u8], field: &str) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("data")?.get(field)?.as_str().map(str::to_owned)
}

async fn writer(
    addr: std::net::SocketAddr,
    token: String,
    k: usize,
    cfg: CrashConfig,
) -> WriterLog {
    let mut log = WriterLog::default();
    let Ok(mut client) = Client::connect(addr, &token).await else {
        return log;
    };
    let owned: Vec<i64> = (0..cfg.contacts as i64)
        .filter(|n| (*n as usize) % cfg.writers == k)
        .map(|n| cfg.first_contact_id + n)
        .collect();
    if owned.is_empty() {
        return log;
    }
    let mut n: u64 = 0;
    let mut x: u64 = 0x2545_F491_4F6C_DD1D ^ (k as u64 + 1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    loop {
        n += 1;
        if n.is_multiple_of(4) {
            let first = format!("Crash{k}x{n}");
            let email = format!("crash{k}.{n}@example.com");
            let company = cfg.first_company_id + (next() % cfg.companies.max(1)) as i64;
            let body =
                format!(r#"{{"first_name":"{first}","email":"{email}","company_id":{company}}}"#);
            log.in_flight = true;
            match client
                .send("POST", &format!("{BASE}/contacts"), Some(&body))
                .await
            {
                Ok((201, resp)) => {
                    log.in_flight = false;
                    let id = field_of(&resp, "id").and_then(|s| s.parse().ok());
                    if let Some(id) = id {
                        log.creates.push((id, first, email));
                    }
                }
                Ok(_) => log.in_flight = false,
                Err(_) => break,
            }
        } else {
            let id = owned[(next() % owned.len() as u64) as usize];
            let field = FIELDS[(next() % FIELDS.len() as u64) as usize];
            let value = if field == "email" {
                format!("w{k}.{n}@example.com")
            } else {
                format!("W{k}-{n}")
            };
            let body = format!(r#"{{"{field}":"{value}"}}"#);
            log.pending = Some((id, field, value.clone()));
            log.in_flight = true;
            match client
                .send("POST", &format!("{BASE}/contacts/{id}"), Some(&body))
                .await
            {
                Ok((200, resp)) => {
                    log.in_flight = false;
                    log.pending = None;
                    // The answer itself must carry the new value.
                    if field_of(&resp, field).as_deref() == Some(value.as_str()) {
                        log.updates.insert((id, field), value);
                        log.acked_updates += 1;
                    }
                }
                Ok(_) => {
                    log.in_flight = false;
                    log.pending = None;
                }
                Err(_) => break,
            }
        }
    }
    log
}

/// Runs the crash scenario against a server on `database`. `sqlite_path` enables the integrity
/// check. The database must already hold the contacts and companies named by `cfg`.
pub async fn run(
    bin: &Path,
    database: &str,
    sqlite_path: Option<&Path>,
    token: &str,
    log_path: &Path,
    cfg: CrashConfig,
) -> anyhow::Result<CrashReport> {
    let mut server = Server::spawn(bin, database, log_path)?;
    let mut tasks = Vec::new();
    for k in 0..cfg.writers {
        tasks.push(tokio::spawn(writer(
            server.addr,
            token.to_owned(),
            k,
            cfg.clone(),
        )));
    }
    tokio::time::sleep(cfg.run_for).await;
    // The kill lands while every writer has a request in flight or about to be.
    server.kill9()?;
    let mut logs = Vec::new();
    for t in tasks {
        logs.push(t.await.context("a writer task failed")?);
    }

    let mut report = CrashReport::default();
    let restarted = Instant::now();
    let mut server = Server::spawn(bin, database, log_path)?;
    report.restart_ms = restarted.elapsed().as_secs_f64() * 1000.0;

    // Expected values: per (id, field) the acknowledged one, or the in-flight one.
    let mut expected: Vec<(i64, &'static str, String, Option<String>)> = Vec::new();
    for log in &logs {
        report.acked_updates += log.acked_updates;
        report.acked_creates += log.creates.len() as u64;
        report.in_flight_at_kill += u64::from(log.in_flight);
        for ((id, field), value) in &log.updates {
            let alt = log
                .pending
                .as_ref()
                .filter(|(pid, pf, _)| pid == id && pf == field)
                .map(|(_, _, v)| v.clone());
            expected.push((*id, field, value.clone(), alt));
        }
        for (id, first, email) in &log.creates {
            expected.push((*id, "first_name", first.clone(), None));
            expected.push((*id, "email", email.clone(), None));
        }
    }
    if report.acked_updates == 0 {
        report
            .failures
            .push("no update was acknowledged before the kill: the test proved nothing".into());
    }

    // Check over HTTP from a few connections.
    let expected = Arc::new(expected);
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let checkers = 8;
    let mut tasks = Vec::new();
    for k in 0..checkers {
        let expected = Arc::clone(&expected);
        let failures = Arc::clone(&failures);
        let addr = server.addr;
        let token = token.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr, &token).await?;
            let mut checked = 0u64;
            for (id, field, value, alt) in expected.iter().skip(k).step_by(checkers) {
                let (status, body) = client.send("GET", &format!("{BASE}/contacts/{id}"), None).await?;
                let got = (status == 200).then(|| field_of(&body, field)).flatten();
                checked += 1;
                if got.as_deref() != Some(value.as_str())
                    && got.as_deref() != alt.as_deref()
                    && let Ok(mut f) = failures.lock()
                {
                    f.push(format!("contact {id}: {field} acknowledged as {value:?}, found {got:?} (status {status})"));
                }
            }
            Ok::<u64, std::io::Error>(checked)
        }));
    }
    for t in tasks {
        report.checked_values += t
            .await
            .context("a checker task failed")?
            .context("checking over HTTP")?;
    }
    server.stop();
    if let Ok(f) = failures.lock() {
        report.failures.extend(f.iter().cloned());
    }

    report.integrity_check = match sqlite_path {
        Some(path) => {
            let conn = rusqlite::Connection::open(path)
                .context("opening the database for the integrity check")?;
            let rows: Vec<String> = conn
                .prepare("PRAGMA integrity_check")?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()?;
            rows.join("; ")
        }
        None => "not applicable (PostgreSQL)".into(),
    };
    if sqlite_path.is_some() && report.integrity_check != "ok" {
        report
            .failures
            .push(format!("integrity_check: {}", report.integrity_check));
    }
    if report.failures.len() > 20 {
        let n = report.failures.len();
        report.failures.truncate(20);
        report.failures.push(format!("... {n} failures in all"));
    }
    Ok(report)
}
