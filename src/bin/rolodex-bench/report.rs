//! The results: one JSON document and a markdown table, with each workload's ratio to its
//! ceilings and the targets checked.

use std::fmt::Write;

use serde::Serialize;

use crate::Args;
use crate::crash::CrashReport;
use crate::load::HttpResult;
use crate::seed::Layout;
use crate::storage::StorageResult;

#[derive(Debug, Serialize)]
pub struct Report {
    pub command: String,
    pub database: String,
    pub contacts: u64,
    pub connections: u32,
    pub wrk_threads: u32,
    pub duration_s: u64,
    pub cores: usize,
    pub layout: Option<Layout>,
    pub seed_seconds: f64,
    pub startup_ms: f64,
    pub idle_rss_mib: f64,
    /// Its anonymous part (heap, stacks; the rest is mostly the binary's code pages).
    pub idle_rss_anon_mib: f64,
    /// The server's RSS right after the last workload.
    pub rss_after_load_mib: f64,
    /// Seconds the server kept working after the load (requests wrk gave up on), before the
    /// idle wait began.
    pub busy_after_load_s: f64,
    /// Seconds the server was then left idle (`--idle-wait`).
    pub idle_wait_s: u64,
    /// Its RSS after those seconds, and the anonymous part of it.
    pub rss_after_idle_mib: Option<f64>,
    pub rss_after_idle_anon_mib: Option<f64>,
    /// `health` first: the HTTP ceiling.
    pub http: Vec<HttpResult>,
    pub storage: Vec<StorageResult>,
    pub one_commit_per_update: Option<StorageResult>,
    pub peer: Vec<HttpResult>,
    pub peer_startup_ms: Option<f64>,
    pub crash: Option<CrashReport>,
}

impl Report {
    pub fn new(args: &Args, url: &str) -> Report {
        Report {
            command: std::env::args().collect::<Vec<_>>().join(" "),
            database: if url.starts_with("sqlite") {
                "sqlite".into()
            } else {
                "postgres".into()
            },
            contacts: args.contacts,
            connections: args.connections,
            wrk_threads: args.threads,
            duration_s: args.duration,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            layout: None,
            seed_seconds: 0.0,
            startup_ms: 0.0,
            idle_rss_mib: 0.0,
            idle_rss_anon_mib: 0.0,
            rss_after_load_mib: 0.0,
            busy_after_load_s: 0.0,
            idle_wait_s: 0,
            rss_after_idle_mib: None,
            rss_after_idle_anon_mib: None,
            http: Vec::new(),
            storage: Vec::new(),
            one_commit_per_update: None,
            peer: Vec::new(),
            peer_startup_ms: None,
            crash: None,
        }
    }

    fn http(&self, w: &str) -> Option<&HttpResult> {
        self.http.iter().find(|r| r.workload == w)
    }
    fn storage(&self, w: &str) -> Option<&StorageResult> {
        self.storage.iter().find(|r| r.workload == w)
    }
    fn peer(&self, w: &str) -> Option<&HttpResult> {
        self.peer.iter().find(|r| r.workload == w)
    }
    fn ceiling(&self) -> f64 {
        self.http("health").map_or(0.0, |h| h.rps)
    }
    pub fn peak_mib(&self) -> f64 {
        self.http
            .iter()
            .map(|r| r.server_peak_mib)
            .fold(0.0, f64::max)
    }
    /// The share of what the load added to the RSS (peak over idle) that the idle wait gave
    /// back; `None` without an idle wait.
    pub fn returned_after_idle(&self) -> Option<f64> {
        let after = self.rss_after_idle_mib?;
        let added = self.peak_mib() - self.idle_rss_mib;
        (added > 0.0).then(|| ((self.peak_mib() - after) / added).clamp(0.0, 1.0))
    }
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.0}%", 100.0 * a / b)
    } else {
        "–".into()
    }
}

fn times(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.1}×", a / b)
    } else {
        "–".into()
    }
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## rolodex-bench: {} contacts, {}, {} connections, wrk -t{}, {} s per workload, {} cores\n",
        r.contacts, r.database, r.connections, r.wrk_threads, r.duration_s, r.cores
    );
    let _ = writeln!(
        s,
        "| workload | req/s | p50 ms | p99 ms | max ms | errors | server peak MiB | CPU server/other (cores) | vs /health | storage layer req/s | vs storage | json-server req/s | × json-server |"
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let ceiling = r.ceiling();
    for h in &r.http {
        let st = r.storage(&h.workload);
        let p = r.peer(&h.workload);
        let _ = writeln!(
            s,
            "| {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.2}/{:.2} | {} | {} | {} | {} | {} |",
            if h.workload == "health" {
                "health (HTTP ceiling)"
            } else {
                &h.workload
            },
            h.rps,
            ms(h.wrk.p50_us),
            ms(h.wrk.p99_us),
            ms(h.wrk.max_us),
            h.wrk.errors(),
            h.server_peak_mib,
            h.server_cores,
            h.other_cores,
            if h.workload == "health" {
                "100%".into()
            } else {
                ratio(h.rps, ceiling)
            },
            st.map_or("–".into(), |x| format!("{:.0}", x.rps)),
            st.map_or("–".into(), |x| ratio(h.rps, x.rps)),
            p.map_or("–".into(), |x| format!("{:.0}", x.rps)),
            p.map_or("–".into(), |x| times(h.rps, x.rps)),
        );
    }
    if !r.storage.is_empty() {
        let _ = writeln!(
            s,
            "\nStorage layer (in-process, {} tasks):\n",
            r.connections
        );
        let _ = writeln!(
            s,
            "| operation | ops/s | p50 ms | p99 ms | max ms | errors |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
        for x in r.storage.iter().chain(r.one_commit_per_update.iter()) {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {} | {} | {} | {} |",
                x.workload,
                x.rps,
                ms(x.p50_us),
                ms(x.p99_us),
                ms(x.max_us),
                x.errors
            );
        }
    }
    if !r.peer.is_empty() {
        let _ = writeln!(
            s,
            "\njson-server 0.17.4 (same data, same wrk settings; started in {:.0} ms):\n",
            r.peer_startup_ms.unwrap_or(0.0)
        );
        let _ = writeln!(
            s,
            "| workload | req/s | p50 ms | p99 ms | max ms | errors | peak MiB | Rolodex ÷ json-server |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for p in &r.peer {
            let ours = r.http(&p.workload).map_or(0.0, |h| h.rps);
            let _ = writeln!(
                s,
                "| {} | {:.1} | {} | {} | {} | {} | {:.1} | {} |",
                p.workload,
                p.rps,
                ms(p.wrk.p50_us),
                ms(p.wrk.p99_us),
                ms(p.wrk.max_us),
                p.wrk.errors(),
                p.server_peak_mib,
                times(ours, p.rps)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nSeeded in {:.1} s. Server startup to ready: {:.0} ms; idle RSS {:.1} MiB (anonymous {:.1}); peak RSS under load {:.1} MiB.",
        r.seed_seconds,
        r.startup_ms,
        r.idle_rss_mib,
        r.idle_rss_anon_mib,
        r.peak_mib()
    );
    let _ = writeln!(
        s,
        "RSS at the end of the load {:.1} MiB; {}",
        r.rss_after_load_mib,
        match r.rss_after_idle_mib {
            Some(after) => format!(
                "busy {:.0} s more; RSS after {} s idle {after:.1} MiB (anonymous {:.1}; {} of what the load added given back).",
                r.busy_after_load_s,
                r.idle_wait_s,
                r.rss_after_idle_anon_mib.unwrap_or(0.0),
                r.returned_after_idle()
                    .map_or("–".into(), |x| format!("{:.0}%", 100.0 * x))
            ),
            None => "no idle wait (--idle-wait 0).".into(),
        }
    );
    if let Some(c) = &r.crash {
        let _ = writeln!(
            s,
            "\nCrash test: {} updates and {} creates acknowledged, {} requests in flight at SIGKILL; {} values checked after restart ({:.0} ms): {} failures; integrity_check: {}.",
            c.acked_updates,
            c.acked_creates,
            c.in_flight_at_kill,
            c.checked_values,
            c.restart_ms,
            c.failures.len(),
            c.integrity_check
        );
        for f in &c.failures {
            let _ = writeln!(s, "- {f}");
        }
    }
    let _ = writeln!(s, "\n{}", targets(r));
    s
}

/// The targets, checked against this run.
fn targets(r: &Report) -> String {
    let mut rows: Vec<(String, String, Option<bool>)> = Vec::new();
    let ceiling = r.ceiling();
    if let Some(h) = r.http("get_contact") {
        rows.push((
            "GET /contacts/{id} ≥ 40% of /health, p99 < 10 ms".into(),
            format!(
                "{} of /health, p99 {} ms",
                ratio(h.rps, ceiling),
                ms(h.wrk.p99_us)
            ),
            Some(h.rps >= 0.4 * ceiling && h.wrk.p99_us < 10_000),
        ));
    }
    if let Some(h) = r.http("update_contact") {
        let base = r.one_commit_per_update.as_ref().map_or(0.0, |b| b.rps);
        rows.push((
            "POST /contacts/{id} ≥ 10% of /health, p99 < 20 ms, ≥ 2× one-commit-per-update".into(),
            format!(
                "{} of /health, p99 {} ms, {} the one-commit rate ({:.0}/s)",
                ratio(h.rps, ceiling),
                ms(h.wrk.p99_us),
                times(h.rps, base),
                base
            ),
            Some(
                h.rps >= 0.1 * ceiling
                    && h.wrk.p99_us < 20_000
                    && (base == 0.0 || h.rps >= 2.0 * base),
            ),
        ));
    }
    if let Some(h) = r.http("create_contact") {
        rows.push((
            "POST /contacts ≥ 5% of /health".into(),
            ratio(h.rps, ceiling),
            Some(h.rps >= 0.05 * ceiling),
        ));
    }
    if let (Some(h), Some(get)) = (r.http("list_by_last_name"), r.http("get_contact")) {
        // Issue 14's list, at 100,000 contacts and more.
        let applies = r.contacts >= 100_000;
        rows.push((
            "GET /contacts?last_name[eq]=X&sort=first_name:desc&per_page=25 ≥ 25% of GET /contacts/{id} at 100,000 contacts".into(),
            format!("{} of GET by id at {} contacts", ratio(h.rps, get.rps), r.contacts),
            applies.then_some(h.rps >= 0.25 * get.rps),
        ));
    }
    if let Some(h) = r.http("list_contacts") {
        let applies = r.contacts >= 1_000_000;
        rows.push((
            "GET /contacts filtered+sorted+paged: p99 < 50 ms at 1,000,000 contacts".into(),
            format!("p99 {} ms at {} contacts", ms(h.wrk.p99_us), r.contacts),
            applies.then_some(h.wrk.p99_us < 50_000),
        ));
    }
    for workload in ["console_contacts", "console_search"] {
        if let Some(h) = r.http(workload) {
            // The console's target: with 8 concurrent clients (`--connections 8`) at 100,000.
            let applies = r.contacts >= 100_000 && r.connections == 8;
            rows.push((
                format!("{workload} (HTML page): p99 < 20 ms, 8 clients, 100,000 contacts"),
                format!("p99 {} ms at {} contacts", ms(h.wrk.p99_us), r.contacts),
                applies.then_some(h.wrk.p99_us < 20_000),
            ));
        }
    }
    for p in &r.peer {
        if let Some(h) = r.http(&p.workload) {
            rows.push((
                format!("{} ≥ 10× json-server", p.workload),
                times(h.rps, p.rps),
                Some(h.rps >= 10.0 * p.rps),
            ));
        }
    }
    let peak = r.peak_mib();
    rows.push((
        "peak memory < 150 MB under load (at 1,000,000 contacts)".into(),
        format!("{peak:.1} MiB at {} contacts", r.contacts),
        (r.contacts >= 1_000_000).then_some(peak * 1.048_576 < 150.0),
    ));
    if let (Some(after), Some(returned)) = (r.rss_after_idle_mib, r.returned_after_idle()) {
        // "Near its idle level": at least three quarters of what the load added is given back.
        rows.push((
            "RSS returns near its idle level after load (≥ 75% of the load's growth given back)"
                .into(),
            format!(
                "idle {:.1}, peak {:.1}, after {} s idle {after:.1} MiB: {:.0}% given back",
                r.idle_rss_mib,
                peak,
                r.idle_wait_s,
                100.0 * returned
            ),
            Some(returned >= 0.75),
        ));
    }
    rows.push((
        "startup to ready < 1 s".into(),
        format!("{:.0} ms", r.startup_ms),
        Some(r.startup_ms < 1000.0),
    ));
    if let Some(c) = &r.crash {
        rows.push((
            "crash test: every acknowledged write present, integrity ok".into(),
            format!(
                "{} values checked, {} failures, {}",
                c.checked_values,
                c.failures.len(),
                c.integrity_check
            ),
            Some(c.failures.is_empty()),
        ));
    }
    let mut s = String::from("| target | measured | met |\n|---|---|---|\n");
    for (t, m, ok) in rows {
        let verdict = match ok {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a at this scale",
        };
        let _ = writeln!(s, "| {t} | {m} | {verdict} |");
    }
    s
}

/// The smoke run passes when every workload answered, without errors, and the crash test held.
pub fn check_smoke(r: &Report) -> anyhow::Result<()> {
    for h in r.http.iter().chain(r.peer.iter()) {
        anyhow::ensure!(
            h.wrk.requests > 0,
            "{} ({}) made no request",
            h.workload,
            h.target
        );
        anyhow::ensure!(
            h.wrk.errors() == 0,
            "{} ({}) had {} errors",
            h.workload,
            h.target,
            h.wrk.errors()
        );
    }
    for s in &r.storage {
        anyhow::ensure!(
            s.ops > 0 && s.errors == 0,
            "storage {}: {} ops, {} errors",
            s.workload,
            s.ops,
            s.errors
        );
    }
    if let Some(c) = &r.crash {
        anyhow::ensure!(c.failures.is_empty(), "crash test failed: {:?}", c.failures);
    }
    anyhow::ensure!(
        r.idle_wait_s == 0 || r.rss_after_idle_mib.is_some_and(|m| m > 0.0),
        "no RSS was read after the idle wait"
    );
    Ok(())
}
