//! The storage-layer ceiling: the same use cases the HTTP handlers call
//! (`rolodex::service::contacts::{get, update, create, list}`), run in-process from `concurrency`
//! tokio tasks for a fixed time, and the "one commit per update" baseline (a plain loop of
//! single-row UPDATEs, one durable transaction each).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use rolodex::domain::contact::ContactListField;
use rolodex::query;
use rolodex::service::{companies, contacts};
use rolodex::store::Database;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::seed::{FIRST_NAMES, LAST_NAMES, Layout};

#[derive(Debug, Clone, Serialize)]
pub struct StorageResult {
    pub workload: String,
    pub ops: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    u64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// What the workload closures need.
#[derive(Clone)]
pub struct Ctx {
    pub db: Database,
    pub tenant_id: i64,
    pub layout: Layout,
    pub list_pages: u64,
    pub per_page: u64,
}

fn pairs(v: &[(&str, String)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, val)| ((*k).to_owned(), val.clone()))
        .collect()
}

const UPDATE_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "phone_1",
    "phone_2",
    "receiving_bank_name",
];

/// One page of the tenant's contacts (of `company`'s, if given) for the query `q`.
async fn list(ctx: &Ctx, company: Option<i64>, q: &[(String, String)]) -> bool {
    match query::parse::<ContactListField>(q) {
        Ok(q) => contacts::list(&ctx.db, ctx.tenant_id, company, q)
            .await
            .is_ok(),
        Err(_) => false,
    }
}

/// One operation of `workload`; `Ok(false)` is an application-level error (counted, not fatal).
async fn one(ctx: &Ctx, workload: &str, rng: &mut StdRng, task: usize, n: u64) -> bool {
    let l = &ctx.layout;
    let contact_id = || l.first_contact_id;
    let random_contact =
        |rng: &mut StdRng| rng.random_range(contact_id()..contact_id() + l.contacts as i64);
    let random_company = |rng: &mut StdRng| {
        rng.random_range(l.first_company_id..l.first_company_id + l.companies as i64)
    };
    match workload {
        "get_contact" => contacts::get(&ctx.db, ctx.tenant_id, random_contact(rng))
            .await
            .is_ok(),
        "update_contact" => {
            let field = UPDATE_FIELDS[rng.random_range(0..UPDATE_FIELDS.len())];
            let value = if field == "email" {
                format!("store{task}.{n}@example.com")
            } else {
                format!("S{task}-{n}-{}", rng.random_range(0..1_000_000))
            };
            let mut body = Map::new();
            body.insert(field.to_owned(), Value::String(value));
            contacts::update(
                &ctx.db,
                ctx.tenant_id,
                random_contact(rng),
                rolodex::domain::contact::ContactPatchDraft::parse(&body),
            )
            .await
            .is_ok()
        }
        "create_contact" => {
            let body = json!({
                "first_name": FIRST_NAMES[rng.random_range(0..20)],
                "last_name": "Bench",
                "email": format!("snew{task}.{n}@example.com"),
                "company_id": random_company(rng),
                "tags": ["vip", "lead"],
            });
            let Value::Object(body) = body else {
                return false;
            };
            contacts::create(
                &ctx.db,
                ctx.tenant_id,
                rolodex::domain::contact::NewContactDraft::parse(&body),
            )
            .await
            .is_ok()
        }
        "list_contacts" => {
            let q = pairs(&[
                (
                    "first_name",
                    FIRST_NAMES[rng.random_range(0..20)].to_owned(),
                ),
                ("sort", "last_name:asc,first_name:asc".to_owned()),
                ("page", rng.random_range(1..=ctx.list_pages).to_string()),
                ("per_page", ctx.per_page.to_string()),
            ]);
            list(ctx, None, &q).await
        }
        "list_by_last_name" => {
            let q = pairs(&[
                (
                    "last_name[eq]",
                    LAST_NAMES[rng.random_range(0..20)].to_owned(),
                ),
                ("sort", "first_name:desc".to_owned()),
                ("page", rng.random_range(1..=ctx.list_pages).to_string()),
                ("per_page", "25".to_owned()),
            ]);
            list(ctx, None, &q).await
        }
        "company_contacts" => {
            let q = pairs(&[
                ("page", "1".to_owned()),
                ("per_page", ctx.per_page.to_string()),
            ]);
            list(ctx, Some(random_company(rng)), &q).await
        }
        "update_company" => {
            let mut body = Map::new();
            body.insert("name".to_owned(), Value::String(format!("Co S{task}-{n}")));
            companies::update(
                &ctx.db,
                ctx.tenant_id,
                random_company(rng),
                rolodex::domain::company::parse(&body, false),
            )
            .await
            .is_ok()
        }
        _ => false,
    }
}

/// Runs `workload` from `concurrency` tasks for `duration`.
pub async fn run(
    ctx: &Ctx,
    workload: &str,
    concurrency: usize,
    duration: Duration,
) -> StorageResult {
    let deadline = Instant::now() + duration;
    let workload: Arc<str> = workload.into();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for task in 0..concurrency {
        let ctx = ctx.clone();
        let workload = Arc::clone(&workload);
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(task as u64 * 7919 + 17);
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 14);
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let t0 = Instant::now();
                if !one(&ctx, &workload, &mut rng, task, n).await {
                    errors += 1;
                }
                latencies.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-6);
    all.sort_unstable();
    StorageResult {
        workload: workload.to_string(),
        ops: all.len() as u64,
        errors,
        rps: all.len() as f64 / elapsed,
        p50_us: percentile(&all, 50.0),
        p99_us: percentile(&all, 99.0),
        max_us: all.last().copied().map_or(0, u64::from),
    }
}

/// One durable commit per single-row UPDATE, in a plain loop (no batching): the rate the 2×
/// target compares against.
pub async fn one_commit_per_update(
    url: &str,
    layout: &Layout,
    duration: Duration,
) -> anyhow::Result<StorageResult> {
    let mut rng = StdRng::seed_from_u64(99);
    let mut latencies = Vec::new();
    let first = layout.first_contact_id;
    let last = first + layout.contacts as i64;
    let started = Instant::now();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let conn = rusqlite::Connection::open(path).context("opening the SQLite file")?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
        let mut n = 0u64;
        while started.elapsed() < duration {
            n += 1;
            let t0 = Instant::now();
            conn.execute_batch("BEGIN IMMEDIATE")?;
            conn.prepare_cached("UPDATE contacts SET phone_2 = ?1, updated_at = ?2 WHERE id = ?3")?
                .execute(rusqlite::params![
                    format!("C{n}"),
                    rolodex::store::now_seconds(),
                    rng.random_range(first..last)
                ])?;
            conn.execute_batch("COMMIT")?;
            latencies.push(t0.elapsed().as_micros() as u32);
        }
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .context("connecting to PostgreSQL")?;
        tokio::spawn(connection);
        let stmt = client
            .prepare("UPDATE contacts SET phone_2 = $1, updated_at = $2 WHERE id = $3")
            .await?;
        let mut n = 0u64;
        while started.elapsed() < duration {
            n += 1;
            let t0 = Instant::now();
            client
                .execute(
                    &stmt,
                    &[
                        &format!("C{n}"),
                        &rolodex::store::now_seconds(),
                        &rng.random_range(first..last),
                    ],
                )
                .await?;
            latencies.push(t0.elapsed().as_micros() as u32);
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-6);
    latencies.sort_unstable();
    Ok(StorageResult {
        workload: "one_commit_per_update".into(),
        ops: latencies.len() as u64,
        errors: 0,
        rps: latencies.len() as f64 / elapsed,
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        max_us: latencies.last().copied().map_or(0, u64::from),
    })
}
