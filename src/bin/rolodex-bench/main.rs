//! `rolodex-bench`: Rolodex's own benchmark. Starts the server on a fresh, seeded database, drives
//! the contact workloads over HTTP with `wrk`, measures the HTTP ceiling (`GET /health`) and the
//! storage-layer ceiling (the same use cases in-process) in the same run, optionally runs the same
//! workloads against json-server 0.17.4 (`--peer`) and a SIGKILL durability test (`--crash`), and
//! prints a markdown table (and writes JSON). `--noisy-neighbour` instead checks that one tenant's
//! hostile traffic cannot stall another's (noisy.rs). See docs/performance.md.

mod crash;
mod load;
mod noisy;
mod report;
mod seed;
mod server;
mod storage;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use rolodex::store::{Database, DbOptions, StoreError};

use load::{LoadSettings, Watched};

/// The HTTP workloads, in report order.
pub const WORKLOADS: &[&str] = &[
    "get_contact",
    "update_contact",
    "create_contact",
    "list_contacts",
    "list_by_last_name",
    "company_contacts",
    "update_company",
    "console_contacts",
    "console_search",
];
/// The server's (hidden) setting of its idle period before releasing memory, in milliseconds.
const SERVER_IDLE_RELEASE_ENV: &str = "ROLODEX_SQLITE_IDLE_RELEASE_MS";
/// Those json-server can run too.
const PEER_WORKLOADS: &[&str] = &[
    "get_contact",
    "update_contact",
    "create_contact",
    "list_contacts",
    "list_by_last_name",
];

#[derive(Parser, Debug, Clone)]
#[command(
    name = "rolodex-bench",
    about = "Rolodex benchmark: HTTP workloads, ceilings, json-server peer, crash test, noisy neighbour"
)]
pub struct Args {
    /// Database: `sqlite` (a fresh file in the work directory) or a PostgreSQL server URL
    /// (postgres://USER@HOST:PORT/DB); a fresh database is created on that server and dropped after.
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// SQLite only: the database file to use instead of a fresh one in the work directory. A
    /// missing file is seeded and kept; an existing one, seeded by an earlier run with the same
    /// --contacts and --contacts-per-company, is used as it is (no seeding: a million contacts
    /// take minutes to seed). The earlier runs' writes (updates, creates) stay in it.
    #[arg(long, value_name = "PATH", conflicts_with = "noisy_neighbour")]
    sqlite_file: Option<PathBuf>,
    /// Contacts to seed (spread over contacts/20 companies, 0-3 tags each); with
    /// --noisy-neighbour, tenant A's contacts (default there: 50,000)
    #[arg(long, default_value_t = 100_000)]
    contacts: u64,
    /// Contacts per company: 20 (small companies) or e.g. 3000 (large B2B customers: the
    /// company_contacts workload then pages through thousands of contacts per company)
    #[arg(long, default_value_t = 20)]
    contacts_per_company: u64,
    /// Concurrent connections (HTTP) / tasks (storage layer)
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// wrk threads
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Seconds per HTTP workload (with --noisy-neighbour: per hostile pattern, and the quiet phase)
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds per storage-layer workload (0 skips the storage ceiling)
    #[arg(long, default_value_t = 5)]
    storage_duration: u64,
    /// Page size of the list workloads
    #[arg(long, default_value_t = 50)]
    per_page: u64,
    /// Comma-separated subset of workloads to run
    #[arg(long, value_delimiter = ',')]
    workloads: Option<Vec<String>>,
    /// Also run workloads 1-4 against json-server 0.17.4 holding the same data
    #[arg(long)]
    peer: bool,
    /// Seconds per json-server workload (default: --duration)
    #[arg(long)]
    peer_duration: Option<u64>,
    /// Also run the SIGKILL durability test at full scale (seconds of writes before the kill)
    #[arg(long)]
    crash: Option<u64>,
    /// Where to write the JSON results (with --noisy-neighbour the default is
    /// target/rolodex-bench/noisy.json)
    #[arg(long, default_value = "target/rolodex-bench/results.json")]
    json: PathBuf,
    /// The rolodex server binary (default: next to this one)
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// An environment variable for the rolodex server of the HTTP workloads, KEY=VALUE
    /// (repeatable; e.g. ROLODEX_LOG=info and ROLODEX_METRICS_LISTEN=127.0.0.1:0 to measure the
    /// request log and metrics; the default is ROLODEX_LOG=warn)
    #[arg(long = "server-env", value_name = "KEY=VALUE", value_parser = parse_env)]
    server_env: Vec<(String, String)>,
    /// Seconds the server is left idle after the HTTP workloads before its RSS is read again
    /// ("RSS after N s idle"; the server releases its SQLite caches after 15 s without work); 0
    /// skips the wait
    #[arg(long, default_value_t = 20)]
    idle_wait: u64,
    /// Keep the work directory (database, logs, scripts)
    #[arg(long)]
    keep: bool,
    /// A seconds-long run that checks the benchmark works (CI): tiny data, short workloads, a
    /// crash test; fails on any error. With --noisy-neighbour: 1 s per pattern, fails only if the
    /// tool breaks (the server dies, tenant B cannot run), not on missed targets
    #[arg(long)]
    smoke: bool,
    /// Instead of the workloads: tenant A fires hostile patterns while tenant B runs a steady
    /// mix; reports B's latency and errors against a quiet phase, and the server's RSS
    #[arg(long)]
    noisy_neighbour: bool,
    /// --noisy-neighbour: tenant B's contacts
    #[arg(long, default_value_t = 3_000)]
    victim_contacts: u64,
    /// --noisy-neighbour: tenant B's fixed request rate (open loop), requests per second
    #[arg(long, default_value_t = 200.0)]
    victim_rate: f64,
    /// --noisy-neighbour: tenant B's keep-alive connections
    #[arg(long, default_value_t = 8)]
    victim_connections: u32,
    /// --noisy-neighbour: tenant A's concurrent connections per pattern (default 16, 64 for
    /// password_storm; slow_clients always opens 650)
    #[arg(long)]
    attackers: Option<u32>,
    /// --noisy-neighbour: comma-separated subset of the hostile patterns
    #[arg(long, value_delimiter = ',')]
    patterns: Option<Vec<String>>,
    /// --noisy-neighbour: idle seconds after each pattern before reading the server's RSS
    #[arg(long, default_value_t = 10)]
    settle: u64,
}

fn parse_env(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {raw:?}")),
    }
}

/// A fresh work directory for this run.
fn work_dir(prefix: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Removes the work directory, or says where it was kept.
fn clean_up(dir: &Path, keep: bool) {
    if keep {
        eprintln!("work directory kept: {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Writes `report` as pretty JSON to `path`, creating its folder.
fn write_json(path: &Path, report: &impl serde::Serialize) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    std::fs::write(path, serde_json::to_string_pretty(report)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// The run's database, opened through the library for seeding.
async fn open_for_seeding(fresh: &FreshDb) -> anyhow::Result<Database> {
    Database::open(
        &fresh.url,
        &DbOptions {
            pool_size: 16,
            ..DbOptions::default()
        },
    )
    .await
    .context("opening the database")
}

/// A database made for this run, and how to get rid of it.
struct FreshDb {
    url: String,
    sqlite_path: Option<PathBuf>,
    pg_drop: Option<(String, String)>,
    /// A kept `--sqlite-file` from an earlier run: already seeded.
    seeded: bool,
}

async fn fresh_database(spec: &str, dir: &Path) -> anyhow::Result<FreshDb> {
    if spec == "sqlite" {
        let path = dir.join("bench.db");
        return Ok(FreshDb {
            url: format!("sqlite://{}", path.display()),
            sqlite_path: Some(path),
            pg_drop: None,
            seeded: false,
        });
    }
    if !(spec.starts_with("postgres://") || spec.starts_with("postgresql://")) {
        bail!("--database must be `sqlite` or a postgres:// URL");
    }
    let name = format!("rolodex_bench_{}", std::process::id());
    let (client, connection) = tokio_postgres::connect(spec, tokio_postgres::NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await?;
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .context("creating the benchmark database")?;
    let mut url = url::Url::parse(spec).context("parsing the PostgreSQL URL")?;
    url.set_path(&format!("/{name}"));
    Ok(FreshDb {
        url: url.to_string(),
        sqlite_path: None,
        pg_drop: Some((spec.to_owned(), name)),
        seeded: false,
    })
}

/// `--sqlite-file`: the given file, seeded already when it exists.
fn kept_database(spec: &str, path: &Path) -> anyhow::Result<FreshDb> {
    if spec != "sqlite" {
        bail!("--sqlite-file is for --database sqlite");
    }
    let path = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
    Ok(FreshDb {
        url: format!("sqlite://{}", path.display()),
        seeded: path.exists(),
        sqlite_path: Some(path),
        pg_drop: None,
    })
}

/// Checks that a kept database holds the data shape `layout` describes (as seeded by an earlier
/// run with the same options): the seeded contacts (runs add contacts only after them) and
/// exactly the seeded companies (runs add none).
async fn check_seeded(db: &Database, tenant: i64, layout: &seed::Layout) -> anyhow::Result<()> {
    let last_contact = layout.first_contact_id + layout.contacts as i64 - 1;
    let (contacts, companies) = db
        .read::<_, StoreError>(async move |tx| {
            let count = async |tx: &mut rolodex::store::Tx, table: &str, last: i64| {
                tx.query_one(
                    &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1 AND id <= $2"),
                    &[tenant.into(), last.into()],
                )
                .await?
                .int(0)
            };
            Ok((
                count(tx, "contacts", last_contact).await?,
                count(tx, "companies", i64::MAX).await?,
            ))
        })
        .await?;
    if contacts != layout.contacts as i64 || companies != layout.companies as i64 {
        bail!(
            "the --sqlite-file holds {contacts} seeded contacts and {companies} companies of the \
             bench tenant, not the {} and {} these options seed: use another file",
            layout.contacts,
            layout.companies
        );
    }
    Ok(())
}

async fn drop_database(db: &FreshDb) {
    if let Some((admin, name)) = &db.pg_drop
        && let Ok((client, connection)) =
            tokio_postgres::connect(admin, tokio_postgres::NoTls).await
    {
        tokio::spawn(connection);
        let _ = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}

async fn tenant_id(db: &Database, slug: &'static str) -> anyhow::Result<i64> {
    Ok(db
        .read::<_, StoreError>(async move |tx| {
            tx.query_one("SELECT id FROM tenants WHERE slug = $1", &[slug.into()])
                .await?
                .int(0)
        })
        .await?)
}

fn server_bin(args: &Args) -> anyhow::Result<PathBuf> {
    if let Some(p) = &args.server_bin {
        return Ok(p.clone());
    }
    let me = std::env::current_exe().context("locating this binary")?;
    let bin = me.with_file_name("rolodex");
    if !bin.exists() {
        bail!(
            "{} not found: build it (cargo build --release --bins) or pass --server-bin",
            bin.display()
        );
    }
    Ok(bin)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let matches = Args::command().get_matches();
    let mut args = Args::from_arg_matches(&matches)?;
    if args.noisy_neighbour {
        let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        if !given("contacts") {
            args.contacts = 50_000;
        }
        if !given("json") {
            args.json = PathBuf::from("target/rolodex-bench/noisy.json");
        }
        if args.smoke {
            args.contacts = args.contacts.min(2_000);
            args.victim_contacts = args.victim_contacts.min(300);
            args.duration = args.duration.min(1);
            args.settle = 0;
        }
        return noisy_neighbour(&args).await;
    }
    if args.smoke {
        args.contacts = args.contacts.min(2_000);
        args.duration = args.duration.min(1);
        args.storage_duration = args.storage_duration.min(1);
        args.connections = args.connections.min(16);
        args.crash = Some(args.crash.unwrap_or(1).min(1));
        args.peer_duration = Some(1);
        // A short idle period, so the smoke still goes through the idle release.
        args.idle_wait = args.idle_wait.min(3);
        if !args
            .server_env
            .iter()
            .any(|(k, _)| k == SERVER_IDLE_RELEASE_ENV)
        {
            args.server_env
                .push((SERVER_IDLE_RELEASE_ENV.into(), "1000".into()));
        }
    }
    load::check_wrk()?;
    let bin = server_bin(&args)?;
    let workloads: Vec<String> = match &args.workloads {
        Some(w) => w.clone(),
        None => WORKLOADS.iter().map(|s| (*s).to_owned()).collect(),
    };
    for w in &workloads {
        if load::script(w).is_none() {
            bail!("unknown workload {w}; known: {}", WORKLOADS.join(", "));
        }
    }

    let dir = work_dir("rolodex-bench")?;
    let fresh = match &args.sqlite_file {
        Some(path) => kept_database(&args.database, path)?,
        None => fresh_database(&args.database, &dir).await?,
    };
    let result = run(&args, &bin, &dir, &fresh, &workloads).await;
    drop_database(&fresh).await;
    clean_up(&dir, args.keep);
    let report = result?;
    write_json(&args.json, &report)?;
    println!("{}", report::markdown(&report));
    eprintln!("JSON results: {}", args.json.display());
    if args.smoke {
        report::check_smoke(&report)?;
        println!("bench smoke: ok");
    }
    Ok(())
}

/// `--noisy-neighbour`: fails only when the tool could not do its job (see noisy.rs).
async fn noisy_neighbour(args: &Args) -> anyhow::Result<()> {
    let settings = noisy::Settings::from_args(args)?;
    let bin = server_bin(args)?;
    let dir = work_dir("rolodex-bench-noisy")?;
    let fresh = fresh_database(&args.database, &dir).await?;
    let result = noisy::run(&settings, &bin, &dir, &fresh).await;
    drop_database(&fresh).await;
    // Keep the server log when the server died: it is the evidence.
    let died = result.as_ref().is_ok_and(|r| r.server_died.is_some());
    clean_up(&dir, args.keep || died);
    let report = result?;
    write_json(&args.json, &report)?;
    println!("{}", noisy::markdown(&report));
    eprintln!("JSON results: {}", args.json.display());
    if let Some(d) = &report.server_died {
        bail!("the server died {d}");
    }
    if args.smoke {
        println!("noisy-neighbour smoke: ok");
    }
    Ok(())
}

async fn run(
    args: &Args,
    bin: &Path,
    dir: &Path,
    fresh: &FreshDb,
    workloads: &[String],
) -> anyhow::Result<report::Report> {
    let epoch = rolodex::store::now_seconds();
    let mut report = report::Report::new(args, &fresh.url);

    // Seed through the library, before the server runs.
    eprintln!(
        "seeding {} contacts into {}",
        args.contacts,
        if fresh.sqlite_path.is_some() {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let db = open_for_seeding(fresh).await?;
    let (_, token) = rolodex::service::tokens::create(&db, "bench", Some("bench".into())).await?;
    let tenant = tenant_id(&db, "bench").await?;
    let seeding = Instant::now();
    let shape = seed::Layout::with_company_size(args.contacts, args.contacts_per_company);
    let layout = if fresh.seeded {
        eprintln!("(the --sqlite-file is seeded already)");
        check_seeded(&db, tenant, &shape).await?;
        shape
    } else {
        seed::seed_shaped(&db, tenant, shape, epoch).await?
    };
    if fresh.sqlite_path.is_none() && !fresh.seeded {
        // As autovacuum leaves a table that stopped changing: the visibility map set, so an
        // index-only scan (a list's count) reads no table pages. Outside a transaction.
        let (client, connection) = tokio_postgres::connect(&fresh.url, tokio_postgres::NoTls)
            .await
            .context("connecting to PostgreSQL to vacuum")?;
        tokio::spawn(connection);
        client.batch_execute("VACUUM ANALYZE").await?;
    }
    report.seed_seconds = seeding.elapsed().as_secs_f64();
    report.layout = Some(layout);
    let list_pages = (args.contacts / 100 / args.per_page).clamp(1, 20);
    // A console session of the bench tenant, for the console workloads' cookie.
    let console_session = rolodex::service::console::open(
        &db,
        &rolodex::service::tokens::TokenChecker::default(),
        &token,
    )
    .await?
    .map(|opened| opened.session_id)
    .unwrap_or_default();

    // The storage-layer ceiling: the same use cases without HTTP, same concurrency.
    if args.storage_duration > 0 {
        let ctx = storage::Ctx {
            db: db.clone(),
            tenant_id: tenant,
            layout,
            list_pages,
            per_page: args.per_page,
        };
        // The console workloads are whole pages over HTTP: there is no storage-layer twin.
        for w in workloads.iter().filter(|w| !w.starts_with("console_")) {
            eprintln!("storage layer: {w}");
            let r = storage::run(
                &ctx,
                w,
                args.connections as usize,
                Duration::from_secs(args.storage_duration),
            )
            .await;
            report.storage.push(r);
        }
    }
    drop(db);
    if args.storage_duration > 0 {
        eprintln!("storage layer: one commit per update");
        report.one_commit_per_update = Some(
            storage::one_commit_per_update(
                &fresh.url,
                &layout,
                Duration::from_secs(args.storage_duration),
            )
            .await?,
        );
    }

    // The server.
    let log = dir.join("server.log");
    let mut srv = server::Server::spawn_with(bin, &fresh.url, &log, &args.server_env)?;
    report.startup_ms = srv.startup.as_secs_f64() * 1000.0;
    let watched = Watched { pid: srv.pid() };
    report.idle_rss_mib = watched.rss_mib();
    report.idle_rss_anon_mib = watched.rss_anon_mib();
    let url = format!("http://{}", srv.addr);
    if workloads.iter().any(|w| w.starts_with("console_")) {
        // wrk counts a redirect as a success: make sure the session opens the page.
        console_page_answers(srv.addr, &console_session)?;
    }
    let settings = LoadSettings {
        threads: args.threads,
        connections: args.connections,
        duration: Duration::from_secs(args.duration),
        env: vec![
            ("BENCH_TOKEN".into(), token.clone()),
            ("BENCH_BASE".into(), rolodex::http::BASE.into()),
            ("BENCH_MIN_ID".into(), layout.first_contact_id.to_string()),
            (
                "BENCH_MAX_ID".into(),
                (layout.first_contact_id + layout.contacts as i64 - 1).to_string(),
            ),
            (
                "BENCH_MIN_COMPANY".into(),
                layout.first_company_id.to_string(),
            ),
            (
                "BENCH_MAX_COMPANY".into(),
                (layout.first_company_id + layout.companies as i64 - 1).to_string(),
            ),
            ("BENCH_LIST_PAGES".into(), list_pages.to_string()),
            ("BENCH_PER_PAGE".into(), args.per_page.to_string()),
            ("BENCH_CONSOLE_SESSION".into(), console_session),
        ],
    };
    let scripts = dir.join("wrk");
    std::fs::create_dir_all(&scripts)?;
    let outcome: anyhow::Result<()> = (|| {
        eprintln!("HTTP: health (ceiling)");
        report.http.push(load::run_wrk(
            &scripts, "health", &url, &settings, &watched, "rolodex",
        )?);
        for w in workloads {
            eprintln!("HTTP: {w}");
            report.http.push(load::run_wrk(
                &scripts, w, &url, &settings, &watched, "rolodex",
            )?);
        }
        // Whether the memory the load took comes back once the server is idle (issue 14).
        report.rss_after_load_mib = watched.rss_mib();
        if args.idle_wait > 0 {
            // wrk stops sending, but requests it gave up on (the slowest workloads at 1M
            // contacts) may still be queued in the server: the idle clock starts when it is quiet.
            report.busy_after_load_s = wait_until_quiet(&watched).as_secs_f64();
            eprintln!(
                "idle: the server was busy {:.0} s after the load; {} s idle, then its RSS",
                report.busy_after_load_s, args.idle_wait
            );
            std::thread::sleep(Duration::from_secs(args.idle_wait));
            report.idle_wait_s = args.idle_wait;
            report.rss_after_idle_mib = Some(watched.rss_mib());
            report.rss_after_idle_anon_mib = Some(watched.rss_anon_mib());
        }
        Ok(())
    })();
    srv.stop();
    outcome?;

    if let Some(seconds) = args.crash {
        eprintln!("crash test: {seconds} s of writes, then SIGKILL");
        let cfg = crash::CrashConfig {
            writers: args.connections as usize,
            run_for: Duration::from_secs(seconds),
            first_contact_id: layout.first_contact_id,
            contacts: layout.contacts,
            first_company_id: layout.first_company_id,
            companies: layout.companies,
        };
        let r = crash::run(
            bin,
            &fresh.url,
            fresh.sqlite_path.as_deref(),
            &token,
            &log,
            cfg,
        )
        .await?;
        report.crash = Some(r);
    }

    if args.peer {
        peer(
            args,
            dir,
            &layout,
            epoch,
            list_pages,
            &settings,
            &mut report,
        )?;
    }
    Ok(report)
}

/// json-server 0.17.4, installed from npm into target/rolodex-bench/peer on first use.
fn json_server() -> anyhow::Result<PathBuf> {
    let prefix = PathBuf::from("target/rolodex-bench/peer");
    let bin = prefix.join("node_modules/json-server/lib/cli/bin.js");
    if !bin.exists() {
        std::fs::create_dir_all(&prefix)?;
        eprintln!("installing json-server@0.17.4 with npm");
        let status = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("json-server@0.17.4")
            .status()
            .context("running npm (node 20 and npm are needed for --peer)")?;
        if !status.success() || !bin.exists() {
            bail!("npm install json-server@0.17.4 failed");
        }
    }
    Ok(std::fs::canonicalize(bin)?)
}

fn peer(
    args: &Args,
    dir: &Path,
    layout: &seed::Layout,
    epoch: i64,
    list_pages: u64,
    settings: &LoadSettings,
    report: &mut report::Report,
) -> anyhow::Result<()> {
    let js = json_server()?;
    let pristine = dir.join("db.pristine.json");
    eprintln!("peer: writing {}", pristine.display());
    seed::write_json_server_db(&pristine, layout, epoch)?;
    let mut s = settings.clone();
    s.duration = Duration::from_secs(args.peer_duration.unwrap_or(args.duration));
    s.env
        .retain(|(k, _)| k != "BENCH_TOKEN" && k != "BENCH_BASE");
    s.env.push(("BENCH_BASE".into(), String::new()));
    s.env.push(("BENCH_PEER".into(), "1".into()));
    s.env
        .push(("BENCH_LIST_PAGES".into(), list_pages.to_string()));
    for w in PEER_WORKLOADS {
        if args
            .workloads
            .as_ref()
            .is_some_and(|ws| !ws.iter().any(|x| x == w))
        {
            continue;
        }
        // A fresh json-server on the pristine data for every workload: its writes rewrite the
        // whole file and would otherwise still be queued when the next workload starts.
        let db_json = dir.join("db.json");
        std::fs::copy(&pristine, &db_json)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(dir.join("json-server.log"))?;
        let started = Instant::now();
        let mut child = std::process::Command::new("node")
            .arg(&js)
            .arg("--port")
            .arg(port.to_string())
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--quiet")
            .arg(&db_json)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting json-server")?;
        let ready = loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break true;
            }
            if started.elapsed() > Duration::from_secs(120)
                || matches!(child.try_wait(), Ok(Some(_)))
            {
                break false;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let result = if ready {
            report.peer_startup_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            eprintln!("peer (json-server): {w}");
            let watched = Watched { pid: child.id() };
            load::run_wrk(
                &dir.join("wrk"),
                w,
                &format!("http://127.0.0.1:{port}"),
                &s,
                &watched,
                "json-server",
            )
        } else {
            Err(anyhow::anyhow!(
                "json-server did not start (see {})",
                dir.join("json-server.log").display()
            ))
        };
        let _ = child.kill();
        let _ = child.wait();
        report.peer.push(result?);
    }
    Ok(())
}

/// Waits until the server uses less than a twentieth of a core over a second (at most
/// [`QUIET_WAIT_MAX`]); returns how long that took.
fn wait_until_quiet(server: &Watched) -> Duration {
    let started = Instant::now();
    let mut ticks = server.cpu_ticks();
    while started.elapsed() < QUIET_WAIT_MAX {
        std::thread::sleep(Duration::from_secs(1));
        let now = server.cpu_ticks();
        // 100 ticks per second of CPU: under 5 is under 5% of a core.
        if now.saturating_sub(ticks) < 5 {
            break;
        }
        ticks = now;
    }
    started.elapsed()
}

/// The longest wait for the server to go quiet after the load.
const QUIET_WAIT_MAX: Duration = Duration::from_secs(300);

/// The console's contacts page answers 200 to the benchmark's session cookie (not a 303 to the
/// sign-in page).
fn console_page_answers(addr: std::net::SocketAddr, session: &str) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "GET /console/contacts HTTP/1.1\r\nHost: bench\r\nCookie: rolodex_console={session}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    if &head[9..12] != b"200" {
        anyhow::bail!(
            "the console session was refused: {}",
            String::from_utf8_lossy(&head)
        );
    }
    Ok(())
}
