//! `--noisy-neighbour`: can one tenant stall another? Tenant B ("victim") sends a steady,
//! open-loop mix of reads, lists and small updates while tenant A ("attacker") fires one hostile
//! pattern after another; B's latency (from each request's scheduled send time, so a stalled
//! server cannot hide behind a stalled client) and errors are compared with a quiet phase, and the
//! server's RSS is watched during and after each pattern.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rolodex::http::BASE;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::load::Watched;
use crate::seed::{self, Layout};
use crate::server::Server;
use crate::{Args, FreshDb};

/// The hostile patterns, in run order.
pub const PATTERNS: &[&str] = &[
    "big_tags_ints",
    "big_tags_strings",
    "dropdown_create",
    "dropdown_update",
    "password_storm",
    "big_in_lists",
    "many_filters_300",
    "many_filters_2000",
    "company_ids",
    "slow_clients",
    "nul_bytes",
];

fn describe(pattern: &str) -> &'static str {
    match pattern {
        "big_tags_ints" => "POST /contacts, `tags` = 80,000 integers (~160 KB)",
        "big_tags_strings" => "POST /contacts, `tags` = 80,000 distinct strings",
        "dropdown_create" => "POST /custom-fields, dropdown with 20,000 choices",
        "dropdown_update" => "POST /custom-fields/{id}, 20,000 new choices",
        "password_storm" => "POST /contacts/{id} {password} (1 in 8 a B id, 1 in 8 missing)",
        "big_in_lists" => "GET /contacts?id[in]=5,000 distinct ids, a new list each time",
        "many_filters_300" => "GET /contacts with 300 company.name[notcontains] filters",
        "many_filters_2000" => "GET /contacts with 2,000 company.name[notcontains] filters",
        "company_ids" => "POST /contacts, `company_ids` = 40,000 ids",
        "slow_clients" => "500 half heads + 50 trickled 100 KB bodies + 100 idle connections",
        "nul_bytes" => "filters, sort and tag paths with %00 / %FF, NUL in JSON strings",
        _ => "",
    }
}

/// Concurrent attacker connections per pattern (`--attackers` overrides all but slow_clients).
fn default_connections(pattern: &str) -> usize {
    match pattern {
        "password_storm" => 64,
        _ => 16,
    }
}

const SLOW_HALF_HEADS: usize = 500;
const SLOW_BODIES: usize = 50;
const SLOW_IDLE: usize = 100;

/// B's request timeout: a request slower than this is an error (and its connection is replaced).
const VICTIM_TIMEOUT: Duration = Duration::from_secs(10);
/// A's request timeout; in practice the phase's drain deadline cuts A off first.
const ATTACK_TIMEOUT: Duration = Duration::from_secs(60);

/// What the flags ask for.
pub struct Settings {
    pub attacker_contacts: u64,
    pub victim_contacts: u64,
    pub victim_rate: f64,
    pub victim_connections: usize,
    pub duration: Duration,
    pub settle: Duration,
    /// How long A's in-flight requests may finish after A stops firing, before they are dropped.
    pub drain: Duration,
    pub attackers: Option<usize>,
    pub patterns: Vec<String>,
    /// The longest wait, after the settle, for the server to go idle before the next pattern.
    pub idle_cap: Duration,
}

impl Settings {
    pub fn from_args(args: &Args) -> anyhow::Result<Settings> {
        let patterns = match &args.patterns {
            Some(p) => p.clone(),
            None => PATTERNS.iter().map(|s| (*s).to_owned()).collect(),
        };
        for p in &patterns {
            if !PATTERNS.contains(&p.as_str()) {
                bail!("unknown pattern {p}; known: {}", PATTERNS.join(", "));
            }
        }
        if !(args.victim_rate > 0.0 && args.victim_rate <= 10_000.0) {
            bail!("--victim-rate must be between 0 and 10,000 requests per second");
        }
        Ok(Settings {
            attacker_contacts: args.contacts.max(100),
            victim_contacts: args.victim_contacts.max(10),
            victim_rate: args.victim_rate,
            victim_connections: args.victim_connections.clamp(1, 256) as usize,
            duration: Duration::from_secs(args.duration.max(1)),
            settle: Duration::from_secs(args.settle),
            drain: Duration::from_millis(if args.smoke { 500 } else { 5_000 }),
            attackers: args.attackers.map(|n| n.clamp(1, 1024) as usize),
            patterns,
            idle_cap: Duration::from_secs(if args.smoke { 0 } else { 30 }),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 keep-alive client: it must report exactly what the server answered (status,
// whether it closed the connection) and never hide a stall behind retries.

struct Http {
    r: BufReader<TcpStream>,
}

struct Reply {
    status: u16,
    close: bool,
}

fn invalid(m: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned())
}

impl Http {
    async fn connect(addr: SocketAddr) -> std::io::Result<Http> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Http {
            r: BufReader::new(s),
        })
    }

    async fn send(&mut self, head: &str, body: &[u8]) -> std::io::Result<Reply> {
        let w = self.r.get_mut();
        w.write_all(head.as_bytes()).await?;
        if !body.is_empty() {
            w.write_all(body).await?;
        }
        self.read_reply().await
    }

    async fn read_line(&mut self, line: &mut Vec<u8>) -> std::io::Result<()> {
        line.clear();
        if self.r.read_until(b'\n', line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    async fn discard(&mut self, n: u64) -> std::io::Result<()> {
        let copied = tokio::io::copy(&mut (&mut self.r).take(n), &mut tokio::io::sink()).await?;
        if copied < n {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    async fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut line = Vec::new();
        self.read_line(&mut line).await?;
        let status: u16 = std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("bad status line"))?;
        let (mut length, mut chunked, mut close) = (None::<u64>, false, false);
        loop {
            self.read_line(&mut line).await?;
            let l = String::from_utf8_lossy(&line);
            let l = l.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let v = v.trim().to_ascii_lowercase();
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().ok();
                } else if k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked") {
                    chunked = true;
                } else if k.eq_ignore_ascii_case("connection") && v.contains("close") {
                    close = true;
                }
            }
        }
        if chunked {
            loop {
                self.read_line(&mut line).await?;
                let size = std::str::from_utf8(&line)
                    .ok()
                    .and_then(|l| l.trim().split(';').next())
                    .and_then(|s| u64::from_str_radix(s, 16).ok())
                    .ok_or_else(|| invalid("bad chunk size"))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        self.read_line(&mut line).await?;
                        if line.trim_ascii().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                self.discard(size + 2).await?;
            }
        } else if let Some(n) = length {
            self.discard(n).await?;
        } else if !(status < 200 || status == 204 || status == 304) {
            // No length: the body runs to the end of the connection.
            tokio::io::copy(&mut self.r, &mut tokio::io::sink()).await?;
            close = true;
        }
        Ok(Reply { status, close })
    }
}

fn head(method: &str, path: &str, token: &str, body_len: usize) -> String {
    let mut h = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n"
    );
    if body_len > 0 {
        let _ = write!(
            h,
            "Content-Type: application/json\r\nContent-Length: {body_len}\r\n"
        );
    }
    h.push_str("\r\n");
    h
}

/// One request's outcome: a label for the counts, and whether the connection can be reused.
fn outcome(
    r: Result<std::io::Result<Reply>, tokio::time::error::Elapsed>,
) -> (String, Option<u16>, bool) {
    match r {
        Ok(Ok(reply)) => (reply.status.to_string(), Some(reply.status), !reply.close),
        Ok(Err(e)) => (format!("transport ({:?})", e.kind()), None, false),
        Err(_) => ("timeout".into(), None, false),
    }
}

// ---------------------------------------------------------------------------------------------
// Tenant B, the victim: open loop at a fixed rate, on its own thread and runtime so the attacker's
// work in this process does not delay B's sends.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Get,
    List,
    Update,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Get => "get_contact",
            Kind::List => "list_contacts",
            Kind::Update => "update_contact",
        }
    }
}

struct Sample {
    /// `None` for a slot never sent.
    kind: Option<Kind>,
    latency_us: u64,
    /// `None` for a 2xx.
    error: Option<String>,
}

#[derive(Clone)]
struct VictimPlan {
    addr: SocketAddr,
    token: String,
    first_id: i64,
    contacts: u64,
    rate: f64,
    connections: usize,
    seed: u64,
    grace: Duration,
}

fn spawn_victim(
    plan: VictimPlan,
    stop: watch::Receiver<Option<Instant>>,
) -> std::thread::JoinHandle<anyhow::Result<Vec<Sample>>> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the victim's runtime")?
            .block_on(victim(plan, stop))
    })
}

async fn join_victim(
    h: std::thread::JoinHandle<anyhow::Result<Vec<Sample>>>,
) -> anyhow::Result<Vec<Sample>> {
    tokio::task::spawn_blocking(move || h.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the victim thread panicked"))?
}

async fn victim(
    plan: VictimPlan,
    stop: watch::Receiver<Option<Instant>>,
) -> anyhow::Result<Vec<Sample>> {
    // A server that does not accept in time is a finding, not a failure: those workers connect
    // again on their first slot, inside the request's timeout.
    // The schedule starts before connecting: time lost to a server that does not accept counts.
    let start = Instant::now();
    let conns = futures::future::join_all((0..plan.connections).map(|_| async {
        let c = tokio::time::timeout(Duration::from_secs(1), Http::connect(plan.addr)).await;
        c.ok().and_then(Result::ok)
    }))
    .await;
    let next = Arc::new(AtomicU64::new(0));
    // A hard bound on the slots, whatever happens to the stop signal: ten minutes' worth.
    let max_slots = (plan.rate * 600.0) as u64;
    let mut workers = JoinSet::new();
    for (w, conn) in conns.into_iter().enumerate() {
        let (plan, next, mut stop) = (plan.clone(), next.clone(), stop.clone());
        workers.spawn(async move {
            let mut conn = conn;
            let mut rng = StdRng::seed_from_u64(plan.seed ^ (w as u64).wrapping_mul(0x9E37));
            let mut samples = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= max_slots {
                    break;
                }
                let at = start + Duration::from_secs_f64(k as f64 / plan.rate);
                let sender_gone = tokio::select! {
                    _ = tokio::time::sleep_until(at.into()) => false,
                    r = stop.wait_for(Option::is_some) => r.is_err(),
                };
                let stop_at = *stop.borrow();
                if sender_gone || stop_at.is_some_and(|s| at >= s) {
                    break;
                }
                if stop_at.is_some_and(|s| Instant::now() >= s + plan.grace) {
                    // A backlog slot still unsent after the stop's grace: every connection was
                    // stalled. It counts as an error rather than being sent after the phase.
                    samples.push(Sample {
                        kind: None,
                        latency_us: at.elapsed().as_micros() as u64,
                        error: Some("unsent at stop".into()),
                    });
                    continue;
                }
                let id = plan.first_id + rng.random_range(0..plan.contacts) as i64;
                let roll = rng.random_range(0..10);
                let (kind, method, path, body) = if roll < 6 {
                    (
                        Kind::Get,
                        "GET",
                        format!("{BASE}/contacts/{id}"),
                        String::new(),
                    )
                } else if roll < 8 {
                    (
                        Kind::List,
                        "GET",
                        format!("{BASE}/contacts?per_page=20&sort=last_name:asc"),
                        String::new(),
                    )
                } else {
                    (
                        Kind::Update,
                        "POST",
                        format!("{BASE}/contacts/{id}"),
                        format!("{{\"phone_2\":\"+1 555 010 {:04}\"}}", k % 10_000),
                    )
                };
                let mut req = head(method, &path, &plan.token, body.len());
                req.push_str(&body);
                let send = async {
                    let c = match conn.as_mut() {
                        Some(c) => c,
                        None => conn.insert(Http::connect(plan.addr).await?),
                    };
                    c.send(&req, &[]).await
                };
                // A request in flight at the stop gets `grace` more, so a stalled server cannot
                // hold the phase open for VICTIM_TIMEOUT per queued request.
                let cutoff = async {
                    let s = stop.wait_for(Option::is_some).await.ok().and_then(|v| *v);
                    tokio::time::sleep_until((s.unwrap_or_else(Instant::now) + plan.grace).into())
                        .await;
                };
                let result = tokio::select! {
                    r = tokio::time::timeout(VICTIM_TIMEOUT, send) => Some(r),
                    _ = cutoff => None,
                };
                let latency_us = at.elapsed().as_micros() as u64;
                let (label, status, keep) = match result {
                    Some(r) => outcome(r),
                    None => ("unfinished at stop".into(), None, false),
                };
                if !keep {
                    conn = None;
                }
                let ok = status.is_some_and(|s| (200..300).contains(&s));
                samples.push(Sample {
                    kind: Some(kind),
                    latency_us,
                    error: (!ok).then_some(label),
                });
            }
            samples
        });
    }
    let mut all = Vec::new();
    while let Some(r) = workers.join_next().await {
        all.extend(r.context("a victim worker failed")?);
    }
    Ok(all)
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Latency {
    pub requests: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct VictimStats {
    pub requests: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, Latency>,
}

fn pct(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn victim_stats(samples: &[Sample]) -> VictimStats {
    let mut all: Vec<u64> = samples.iter().map(|s| s.latency_us).collect();
    all.sort_unstable();
    let mut st = VictimStats {
        requests: all.len() as u64,
        p50_us: pct(&all, 0.50),
        p90_us: pct(&all, 0.90),
        p99_us: pct(&all, 0.99),
        max_us: all.last().copied().unwrap_or(0),
        ..VictimStats::default()
    };
    for s in samples {
        if let Some(e) = &s.error {
            st.errors += 1;
            *st.error_kinds.entry(e.clone()).or_default() += 1;
        }
    }
    for kind in [Kind::Get, Kind::List, Kind::Update] {
        let mut v: Vec<u64> = samples
            .iter()
            .filter(|s| s.kind == Some(kind))
            .map(|s| s.latency_us)
            .collect();
        v.sort_unstable();
        st.by_kind.insert(
            kind.name().into(),
            Latency {
                requests: v.len() as u64,
                p50_us: pct(&v, 0.5),
                p99_us: pct(&v, 0.99),
                max_us: v.last().copied().unwrap_or(0),
            },
        );
    }
    st
}

// ---------------------------------------------------------------------------------------------
// Tenant A, the attacker.

enum Body {
    None,
    Shared(Arc<String>),
    Owned(String),
}

impl Body {
    fn bytes(&self) -> &[u8] {
        match self {
            Body::None => b"",
            Body::Shared(s) => s.as_bytes(),
            Body::Owned(s) => s.as_bytes(),
        }
    }
}

struct Req {
    method: &'static str,
    path: String,
    body: Body,
}

impl Req {
    fn get(path: String) -> Req {
        Req {
            method: "GET",
            path,
            body: Body::None,
        }
    }
}

/// One pattern, with its large bodies built once.
struct Attack {
    name: String,
    addr: SocketAddr,
    token: String,
    a: Layout,
    b: Layout,
    shared: Vec<Arc<String>>,
}

struct Worker {
    conn: usize,
    seq: u64,
    rng: StdRng,
    def_id: Option<i64>,
}

fn choices(prefix: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * 12);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "\"{prefix}{i}\"");
    }
    s.push(']');
    s
}

impl Attack {
    fn new(name: &str, addr: SocketAddr, token: &str, a: Layout, b: Layout) -> Attack {
        let shared: Vec<String> = match name {
            "big_tags_ints" => {
                let tags: Vec<String> = (0..80_000).map(|i| (i % 10).to_string()).collect();
                vec![format!(
                    "{{\"first_name\":\"Big\",\"company_id\":{},\"tags\":[{}]}}",
                    a.first_company_id,
                    tags.join(",")
                )]
            }
            "big_tags_strings" => vec![format!(
                "{{\"first_name\":\"Big\",\"company_id\":{},\"tags\":{}}}",
                a.first_company_id,
                choices("t", 80_000)
            )],
            "dropdown_create" | "dropdown_update" => {
                vec![choices("choice-a-", 20_000), choices("choice-b-", 20_000)]
            }
            "company_ids" => {
                let ids: Vec<String> = (0..40_000)
                    .map(|i| (a.first_company_id + i).to_string())
                    .collect();
                vec![format!(
                    "{{\"first_name\":\"Many\",\"company_ids\":[{}]}}",
                    ids.join(",")
                )]
            }
            _ => Vec::new(),
        };
        Attack {
            name: name.to_owned(),
            addr,
            token: token.to_owned(),
            a,
            b,
            shared: shared.into_iter().map(Arc::new).collect(),
        }
    }

    fn a_contact(&self, rng: &mut StdRng) -> i64 {
        self.a.first_contact_id + rng.random_range(0..self.a.contacts) as i64
    }

    fn request(&self, w: &mut Worker) -> Req {
        let seq = w.seq;
        match self.name.as_str() {
            "big_tags_ints" | "big_tags_strings" | "company_ids" => Req {
                method: "POST",
                path: format!("{BASE}/contacts"),
                body: Body::Shared(self.shared[0].clone()),
            },
            "dropdown_create" => Req {
                method: "POST",
                path: format!("{BASE}/custom-fields"),
                body: Body::Owned(format!(
                    "{{\"label\":\"L{}-{seq}\",\"type\":\"dropdown\",\"object_types\":[\"companies\"],\"options\":{{\"choices\":{}}}}}",
                    w.conn,
                    self.shared[(seq % 2) as usize]
                )),
            },
            "dropdown_update" => Req {
                method: "POST",
                // A definition this worker made small in its setup; a missing one if that failed.
                path: format!("{BASE}/custom-fields/{}", w.def_id.unwrap_or(999_999_999)),
                body: Body::Owned(format!(
                    "{{\"options\":{{\"choices\":{}}}}}",
                    self.shared[(seq % 2) as usize]
                )),
            },
            "password_storm" => {
                let id = match seq % 8 {
                    3 => self.b.first_contact_id + w.rng.random_range(0..self.b.contacts) as i64,
                    7 => 9_000_000_000 + seq as i64,
                    _ => self.a_contact(&mut w.rng),
                };
                Req {
                    method: "POST",
                    path: format!("{BASE}/contacts/{id}"),
                    body: Body::Owned(format!(
                        "{{\"password\":\"storm-{}-{seq}-correct-horse\"}}",
                        w.conn
                    )),
                }
            }
            "big_in_lists" => {
                let mut ids = std::collections::BTreeSet::new();
                let want = 5_000.min(self.a.contacts as usize);
                while ids.len() < want {
                    ids.insert(self.a_contact(&mut w.rng));
                }
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                Req::get(format!(
                    "{BASE}/contacts?per_page=100&id[in]={}",
                    list.join(",")
                ))
            }
            "many_filters_300" | "many_filters_2000" => {
                let n = if self.name.ends_with("2000") {
                    2_000
                } else {
                    300
                };
                let mut path = format!("{BASE}/contacts?per_page=20");
                for i in 0..n {
                    let _ = write!(path, "&company.name[notcontains]=xyz{i}q{}", seq % 1000);
                }
                Req::get(path)
            }
            "nul_bytes" => {
                let id = self.a_contact(&mut w.rng);
                let c = format!("{BASE}/contacts");
                match seq % 14 {
                    0 => Req::get(format!("{c}?first_name[eq]=%00")),
                    1 => Req::get(format!("{c}?first_name[contains]=a%00b&last_name[eq]=%FF")),
                    2 => Req::get(format!("{c}?email[in]=%00,%FF,%FF%FE,a%00")),
                    3 => Req::get(format!("{c}?%00[eq]=x")),
                    4 => Req::get(format!("{c}?first_name%00[eq]=x")),
                    5 => Req::get(format!("{c}?tag[eq]=%00%FF")),
                    6 => Req::get(format!("{c}?company.name[notcontains]=%FF%00")),
                    7 => Req::get(format!("{c}?sort=last_name%00:asc")),
                    8 => Req::get(format!("{BASE}/companies?name[eq]=%00&tag[in]=%FF,%00")),
                    9 => Req {
                        method: "DELETE",
                        path: format!("{c}/{id}/tags/%00"),
                        body: Body::None,
                    },
                    10 => Req {
                        method: "DELETE",
                        path: format!("{c}/{id}/tags/%FF%FE"),
                        body: Body::None,
                    },
                    11 => Req::get(format!("{c}/{id}%00")),
                    12 => Req {
                        method: "POST",
                        path: format!("{c}/{id}/tags"),
                        body: Body::Owned("{\"tags\":[\"nul\\u0000tag\",\"\\u0000\"]}".into()),
                    },
                    _ => Req {
                        method: "POST",
                        path: format!("{c}/{id}"),
                        body: Body::Owned("{\"first_name\":\"a\\u0000b\"}".into()),
                    },
                }
            }
            _ => Req::get(format!("{BASE}/contacts/{}", self.a.first_contact_id)),
        }
    }
}

type Counts = Arc<Mutex<BTreeMap<String, u64>>>;

fn count(counts: &Counts, label: String) {
    if let Ok(mut m) = counts.lock() {
        *m.entry(label).or_default() += 1;
    }
}

/// `dropdown_update`'s setup: a small definition this worker then inflates. Its id, if created.
async fn small_definition(attack: &Attack, conn: &mut Http, w: usize) -> Option<i64> {
    let body = format!(
        "{{\"label\":\"U{w}-{}\",\"type\":\"dropdown\",\"object_types\":[\"companies\"],\"options\":{{\"choices\":[\"a\",\"b\",\"c\"]}}}}",
        std::process::id()
    );
    let h = head(
        "POST",
        &format!("{BASE}/custom-fields"),
        &attack.token,
        body.len(),
    );
    let s = conn.r.get_mut();
    s.write_all(h.as_bytes()).await.ok()?;
    s.write_all(body.as_bytes()).await.ok()?;
    // Read this one response by hand: the id is in its body.
    let mut line = String::new();
    let mut length = 0usize;
    loop {
        line.clear();
        if conn.r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some(v) = line
            .split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            length = v.1.trim().parse().ok()?;
        }
    }
    let mut buf = vec![0; length];
    conn.r.read_exact(&mut buf).await.ok()?;
    let v: serde_json::Value = serde_json::from_slice(&buf).ok()?;
    let id = &v["data"]["id"];
    id.as_i64().or_else(|| id.as_str()?.parse().ok())
}

async fn attacker(
    attack: Arc<Attack>,
    w: usize,
    fire_until: Instant,
    counts: Counts,
    started: Arc<AtomicU64>,
) {
    let mut worker = Worker {
        conn: w,
        seq: 0,
        rng: StdRng::seed_from_u64(0xA77A ^ w as u64),
        def_id: None,
    };
    let mut conn: Option<Http> = None;
    while Instant::now() < fire_until {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Http::connect(attack.addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    count(&counts, format!("connect error ({:?})", e.kind()));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if attack.name == "dropdown_update" && worker.def_id.is_none() {
            started.fetch_add(1, Ordering::Relaxed);
            worker.def_id = small_definition(&attack, c, w).await;
            if worker.def_id.is_none() {
                count(&counts, "setup failed".into());
                conn = None;
                worker.def_id = Some(999_999_999);
            } else {
                count(&counts, "setup 201".into());
            }
            continue;
        }
        let req = attack.request(&mut worker);
        worker.seq += 1;
        let body = req.body.bytes();
        let h = head(req.method, &req.path, &attack.token, body.len());
        started.fetch_add(1, Ordering::Relaxed);
        let r = tokio::time::timeout(ATTACK_TIMEOUT, c.send(&h, body)).await;
        let (label, _, keep) = outcome(r);
        count(&counts, label);
        if !keep {
            conn = None;
        }
    }
}

/// What one slow connection saw by the end of the phase.
async fn slow_client(addr: SocketAddr, token: String, kind: usize, until: Instant) -> String {
    let label = ["half head", "trickled body", "idle"][kind];
    let mut s = match tokio::time::timeout_at(until.into(), TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => return format!("{label}: connect failed"),
        Err(_) => return format!("{label}: not accepted by the end"),
    };
    let (opening, every) = match kind {
        // Half a head, then one more header byte every 2 s.
        0 => (
            format!(
                "GET {BASE}/contacts?per_page=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nX-Slow: "
            ),
            Duration::from_secs(2),
        ),
        // A whole head announcing 100,000 bytes, then one body byte a second.
        1 => (
            format!(
                "POST {BASE}/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"first_name\":\""
            ),
            Duration::from_secs(1),
        ),
        _ => (String::new(), Duration::from_secs(3600)),
    };
    if !opening.is_empty() && s.write_all(opening.as_bytes()).await.is_err() {
        return format!("{label}: closed by server");
    }
    let mut buf = [0u8; 512];
    let mut tick = tokio::time::interval_at((Instant::now() + every).into(), every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until.into()) => return format!("{label}: open at end"),
            r = s.read(&mut buf) => {
                return match r {
                    Ok(0) | Err(_) => format!("{label}: closed by server"),
                    Ok(n) => {
                        let status = std::str::from_utf8(&buf[..n])
                            .ok()
                            .and_then(|t| t.split_whitespace().nth(1))
                            .unwrap_or("?")
                            .to_owned();
                        format!("{label}: answered {status}")
                    }
                };
            }
            _ = tick.tick() => {
                if s.write_all(b"a").await.is_err() {
                    return format!("{label}: closed by server");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The run.

#[derive(Debug, Clone, Serialize)]
pub struct PatternResult {
    pub pattern: String,
    pub description: String,
    pub attacker_connections: usize,
    pub attacker_requests: u64,
    /// Status code (or `transport`, `timeout`, `unfinished`, slow-client outcome) → count.
    pub attacker_outcomes: BTreeMap<String, u64>,
    pub victim: VictimStats,
    pub p99_vs_quiet: f64,
    pub rss_peak_mib: f64,
    pub rss_after_settle_mib: f64,
    pub victim_target_met: bool,
    /// Seconds from A's first request to B's stop (A's firing + draining).
    pub window_s: f64,
    /// How long, after the settle, the server kept a core more than 10% busy (capped).
    pub server_busy_after_settle_s: f64,
    /// The server was still busy at the cap and was restarted before the next pattern.
    pub server_restarted_after: bool,
}

#[derive(Debug, Serialize)]
pub struct NoisyReport {
    pub command: String,
    pub database: String,
    pub attacker_contacts: u64,
    pub victim_contacts: u64,
    pub victim_rate: f64,
    pub victim_connections: usize,
    pub duration_s: u64,
    pub settle_s: u64,
    pub cores: usize,
    pub seed_seconds: f64,
    pub startup_ms: f64,
    pub idle_rss_mib: f64,
    pub rss_before_patterns_mib: f64,
    pub quiet: VictimStats,
    pub patterns: Vec<PatternResult>,
    /// Set when the server process died; the run stops there.
    pub server_died: Option<String>,
    pub targets: Targets,
}

#[derive(Debug, Serialize, Default)]
pub struct Targets {
    pub victim_every_pattern: Option<bool>,
    pub rss_after_password_storm_mb: Option<f64>,
    pub rss_after_password_storm_met: Option<bool>,
}

/// Waits until the server uses under 10% of a core over half a second, at most `cap`: the seconds
/// waited, and whether it is still busy.
async fn wait_idle(w: &Watched, cap: Duration) -> (f64, bool) {
    let began = Instant::now();
    while began.elapsed() < cap {
        let before = w.cpu_ticks();
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Ticks are 10 ms: 5 ticks in 500 ms is 10% of a core.
        if w.cpu_ticks().saturating_sub(before) < 5 {
            return ((began.elapsed().as_secs_f64() - 0.5).max(0.0), false);
        }
    }
    (began.elapsed().as_secs_f64(), !cap.is_zero())
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let (_, rest) = s.rsplit_once(')')?;
            rest.trim_start().chars().next()
        })
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// B's target for one pattern: no errors, and p99 within 3× quiet or under 50 ms.
fn victim_met(v: &VictimStats, quiet: &VictimStats) -> bool {
    v.requests > 0 && v.errors == 0 && (v.p99_us <= 3 * quiet.p99_us || v.p99_us < 50_000)
}

/// Samples VmRSS every 100 ms until told to stop; the peak, MiB.
fn rss_sampler(pid: u32, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let w = Watched { pid };
        let mut peak: f64 = 0.0;
        loop {
            peak = peak.max(w.rss_mib());
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        peak.max(w.rss_mib())
    })
}

pub async fn run(
    settings: &Settings,
    bin: &Path,
    dir: &Path,
    fresh: &FreshDb,
) -> anyhow::Result<NoisyReport> {
    let epoch = rolodex::store::now_seconds();
    eprintln!(
        "seeding tenant A (attacker) with {} contacts and tenant B (victim) with {}",
        settings.attacker_contacts, settings.victim_contacts
    );
    let db = crate::open_for_seeding(fresh).await?;
    let (_, token_a) =
        rolodex::service::tokens::create(&db, "attacker", Some("noisy".into())).await?;
    let (_, token_b) =
        rolodex::service::tokens::create(&db, "victim", Some("noisy".into())).await?;
    let seeding = Instant::now();
    let tenant_a = crate::tenant_id(&db, "attacker").await?;
    let a = seed::seed(&db, tenant_a, settings.attacker_contacts, epoch).await?;
    let tenant_b = crate::tenant_id(&db, "victim").await?;
    let b = seed::seed(&db, tenant_b, settings.victim_contacts, epoch).await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    drop(db);

    let log = dir.join("server.log");
    let mut srv = Server::spawn(bin, &fresh.url, &log)?;
    let mut pid = srv.pid();
    let mut watched = Watched { pid };
    let mut report = NoisyReport {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        database: if fresh.sqlite_path.is_some() {
            "sqlite".into()
        } else {
            "postgres".into()
        },
        attacker_contacts: settings.attacker_contacts,
        victim_contacts: settings.victim_contacts,
        victim_rate: settings.victim_rate,
        victim_connections: settings.victim_connections,
        duration_s: settings.duration.as_secs(),
        settle_s: settings.settle.as_secs(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seed_seconds,
        startup_ms: srv.startup.as_secs_f64() * 1000.0,
        idle_rss_mib: watched.rss_mib(),
        rss_before_patterns_mib: 0.0,
        quiet: VictimStats::default(),
        patterns: Vec::new(),
        server_died: None,
        targets: Targets::default(),
    };
    let mut plan = VictimPlan {
        addr: srv.addr,
        token: token_b,
        first_id: b.first_contact_id,
        contacts: b.contacts,
        rate: settings.victim_rate,
        connections: settings.victim_connections,
        seed: 0xB0B,
        grace: settings.drain,
    };

    // Warm-up (not recorded), then the quiet baseline: B alone.
    for (label, secs) in [
        ("warm-up", settings.duration.min(Duration::from_secs(2))),
        ("quiet", settings.duration),
    ] {
        eprintln!("noisy neighbour: {label} (B alone, {} s)", secs.as_secs());
        let (tx, rx) = watch::channel(None);
        let h = spawn_victim(plan.clone(), rx);
        tokio::time::sleep(secs).await;
        let _ = tx.send(Some(Instant::now()));
        let samples = join_victim(h).await?;
        report.quiet = victim_stats(&samples);
    }
    if report.quiet.requests == report.quiet.errors {
        srv.stop();
        bail!(
            "tenant B got no successful response in the quiet phase ({:?}); server log: {}",
            report.quiet.error_kinds,
            log.display()
        );
    }
    report.rss_before_patterns_mib = watched.rss_mib();

    for name in &settings.patterns {
        if !alive(pid) {
            report.server_died = Some(format!("before {name}"));
            break;
        }
        eprintln!(
            "noisy neighbour: {name} ({} s)",
            settings.duration.as_secs()
        );
        let phase = Instant::now();
        let r = pattern(settings, &plan, name, &token_a, a, b, pid).await?;
        let died = !alive(pid);
        report.patterns.push(r);
        if died {
            report.server_died = Some(format!("during {name} (log: {})", log.display()));
            break;
        }
        tokio::time::sleep(settings.settle).await;
        let rss = watched.rss_mib();
        // The server may still be working on requests A abandoned; the next pattern should not
        // be blamed for that.
        let (busy, still_busy) = wait_idle(&watched, settings.idle_cap).await;
        if let Some(last) = report.patterns.last_mut() {
            last.rss_after_settle_mib = rss;
            last.server_busy_after_settle_s = busy;
            eprintln!(
                "  B p99 {} ms, {} errors; {:.1} s in all",
                ms(last.victim.p99_us),
                last.victim.errors,
                phase.elapsed().as_secs_f64()
            );
        }
        if !alive(pid) {
            report.server_died = Some(format!("after {name} (log: {})", log.display()));
            break;
        }
        if still_busy {
            // Still grinding: a fresh server (same database) keeps the next pattern's figures
            // its own.
            eprintln!("  the server is still busy; restarting it");
            srv.stop();
            srv = Server::spawn(bin, &fresh.url, &log)?;
            pid = srv.pid();
            watched = Watched { pid };
            plan.addr = srv.addr;
            if let Some(last) = report.patterns.last_mut() {
                last.server_restarted_after = true;
            }
        }
    }
    srv.stop();

    finish(&mut report);
    let every = report
        .patterns
        .iter()
        .all(|p| victim_met(&p.victim, &report.quiet));
    report.targets.victim_every_pattern = (!report.patterns.is_empty()).then_some(every);
    if let Some(p) = report
        .patterns
        .iter()
        .find(|p| p.pattern == "password_storm")
    {
        let mb = p.rss_after_settle_mib * 1.048_576;
        report.targets.rss_after_password_storm_mb = Some(mb);
        report.targets.rss_after_password_storm_met = Some(mb > 0.0 && mb < 250.0);
    }
    Ok(report)
}

async fn pattern(
    settings: &Settings,
    plan: &VictimPlan,
    name: &str,
    token_a: &str,
    a: Layout,
    b: Layout,
    pid: u32,
) -> anyhow::Result<PatternResult> {
    let attack = Arc::new(Attack::new(name, plan.addr, token_a, a, b));
    let (rss_tx, rss_rx) = watch::channel(false);
    let sampler = rss_sampler(pid, rss_rx);
    let (stop_tx, stop_rx) = watch::channel(None);
    let victim = spawn_victim(plan.clone(), stop_rx);

    let began = Instant::now();
    let fire_until = began + settings.duration;
    let counts: Counts = Arc::default();
    let started = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    let connections;
    if name == "slow_clients" {
        connections = SLOW_HALF_HEADS + SLOW_BODIES + SLOW_IDLE;
        for i in 0..connections {
            let kind = if i < SLOW_HALF_HEADS {
                0
            } else if i < SLOW_HALF_HEADS + SLOW_BODIES {
                1
            } else {
                2
            };
            let (token, counts) = (token_a.to_owned(), counts.clone());
            let addr = plan.addr;
            tasks.spawn(async move {
                let label = slow_client(addr, token, kind, fire_until).await;
                count(&counts, label);
            });
        }
    } else {
        connections = settings
            .attackers
            .unwrap_or_else(|| default_connections(name));
        for w in 0..connections {
            tasks.spawn(attacker(
                attack.clone(),
                w,
                fire_until,
                counts.clone(),
                started.clone(),
            ));
        }
    }
    // A stops firing at `fire_until`; its requests in flight get until the drain deadline.
    let drain_deadline = fire_until + settings.drain;
    while let Ok(Some(_)) = tokio::time::timeout_at(drain_deadline.into(), tasks.join_next()).await
    {
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let _ = stop_tx.send(Some(Instant::now()));
    let window_s = began.elapsed().as_secs_f64();
    let samples = join_victim(victim).await?;
    let _ = rss_tx.send(true);
    let rss_peak_mib = sampler.await.unwrap_or(0.0);

    let mut outcomes = counts.lock().map(|m| m.clone()).unwrap_or_default();
    let finished: u64 = outcomes.values().sum();
    let requests = if name == "slow_clients" {
        connections as u64
    } else {
        started.load(Ordering::Relaxed)
    };
    if name != "slow_clients" && requests > finished {
        outcomes.insert("unfinished".into(), requests - finished);
    }
    let victim = victim_stats(&samples);
    Ok(PatternResult {
        pattern: name.to_owned(),
        description: describe(name).to_owned(),
        attacker_connections: connections,
        attacker_requests: requests,
        attacker_outcomes: outcomes,
        p99_vs_quiet: 0.0,
        victim,
        rss_peak_mib,
        rss_after_settle_mib: 0.0,
        victim_target_met: false,
        window_s,
        server_busy_after_settle_s: 0.0,
        server_restarted_after: false,
    })
}

/// Fills in the ratios and verdicts that need the quiet baseline.
fn finish(report: &mut NoisyReport) {
    let quiet = report.quiet.clone();
    for p in &mut report.patterns {
        p.p99_vs_quiet = if quiet.p99_us > 0 {
            p.victim.p99_us as f64 / quiet.p99_us as f64
        } else {
            0.0
        };
        p.victim_target_met = victim_met(&p.victim, &quiet);
    }
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn outcomes_text(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "–".into();
    }
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|x, y| y.1.cmp(x.1));
    v.iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn yes(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

pub fn markdown(r: &NoisyReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## rolodex-bench --noisy-neighbour: A {} contacts, B {} contacts, {}, B at {:.0} req/s over {} connections, {} s per pattern, {} cores\n",
        r.attacker_contacts,
        r.victim_contacts,
        r.database,
        r.victim_rate,
        r.victim_connections,
        r.duration_s,
        r.cores
    );
    let q = &r.quiet;
    let _ = writeln!(
        s,
        "Quiet (B alone): {} requests, p50 {} ms, p99 {} ms, max {} ms, {} errors. RSS: idle {:.1} MiB, before the patterns {:.1} MiB.\n",
        q.requests,
        ms(q.p50_us),
        ms(q.p99_us),
        ms(q.max_us),
        q.errors,
        r.idle_rss_mib,
        r.rss_before_patterns_mib
    );
    let _ = writeln!(
        s,
        "| pattern | A conns | A requests: outcomes | B requests | B p50 ms | B p99 ms | B max ms | B errors | B p99 ÷ quiet | RSS peak MiB | RSS +{} s MiB | server busy after, s | B target met |",
        r.settle_s
    );
    let _ = writeln!(
        s,
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for p in &r.patterns {
        let errors = if p.victim.errors == 0 {
            "0".to_owned()
        } else {
            format!(
                "{} ({})",
                p.victim.errors,
                outcomes_text(&p.victim.error_kinds)
            )
        };
        let _ = writeln!(
            s,
            "| {} | {} | {}: {} | {} | {} | {} | {} | {} | {:.1}× | {:.1} | {:.1} | {:.1}{} | {} |",
            p.pattern,
            p.attacker_connections,
            p.attacker_requests,
            outcomes_text(&p.attacker_outcomes),
            p.victim.requests,
            ms(p.victim.p50_us),
            ms(p.victim.p99_us),
            ms(p.victim.max_us),
            errors,
            p.p99_vs_quiet,
            p.rss_peak_mib,
            p.rss_after_settle_mib,
            p.server_busy_after_settle_s,
            if p.server_restarted_after {
                " (restarted)"
            } else {
                ""
            },
            yes(p.victim_target_met)
        );
    }
    let _ = writeln!(
        s,
        "\nB's latency counts from each request's scheduled send time. `unsent at stop`: slots that \
         never got a free connection before the pattern ended (all of B's connections stalled); \
         `unfinished` (A) / `unfinished at stop` (B): requests still unanswered when they were \
         dropped. Server busy after: how long the server kept over 10% of a core busy after the \
         settle (working on A's abandoned requests), capped; the next pattern starts after it, \
         on a restarted server if it was still busy at the cap."
    );
    if let Some(d) = &r.server_died {
        let _ = writeln!(s, "\n**The server died {d}.**");
    }
    let _ = writeln!(s, "\n| target | measured | met |\n|---|---|---|");
    let missed: Vec<&str> = r
        .patterns
        .iter()
        .filter(|p| !p.victim_target_met)
        .map(|p| p.pattern.as_str())
        .collect();
    let _ = writeln!(
        s,
        "| B: 0 errors and p99 ≤ 3× quiet p99 ({} ms) or < 50 ms, every pattern | {} of {} patterns{} | {} |",
        ms(3 * r.quiet.p99_us),
        r.patterns.len() - missed.len(),
        r.patterns.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!(" (missed: {})", missed.join(", "))
        },
        r.targets
            .victim_every_pattern
            .map_or("n/a", |ok| yes(ok && r.server_died.is_none()))
    );
    let _ = writeln!(
        s,
        "| server RSS {} s after password_storm < 250 MB | {} | {} |",
        r.settle_s,
        r.targets
            .rss_after_password_storm_mb
            .map_or("not run".into(), |mb| format!("{mb:.1} MB")),
        r.targets.rss_after_password_storm_met.map_or("n/a", yes)
    );
    let _ = writeln!(
        s,
        "| the server survives every pattern | {} | {} |",
        r.server_died
            .as_deref()
            .map_or("alive".into(), |d| format!("died {d}")),
        yes(r.server_died.is_none())
    );
    s
}
