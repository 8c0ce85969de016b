//! Drives a workload with Debian's `wrk` (Lua scripts in `bench/wrk/`, compiled into this binary)
//! and watches the server process: CPU time, peak memory (VmHWM, reset before each run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

const COMMON: &str = include_str!("../../../bench/wrk/common.lua");

/// The workload scripts, by name.
pub fn script(name: &str) -> Option<&'static str> {
    Some(match name {
        "health" => include_str!("../../../bench/wrk/health.lua"),
        "get_contact" => include_str!("../../../bench/wrk/get_contact.lua"),
        "update_contact" => include_str!("../../../bench/wrk/update_contact.lua"),
        "create_contact" => include_str!("../../../bench/wrk/create_contact.lua"),
        "list_contacts" => include_str!("../../../bench/wrk/list_contacts.lua"),
        "list_by_last_name" => include_str!("../../../bench/wrk/list_by_last_name.lua"),
        "company_contacts" => include_str!("../../../bench/wrk/company_contacts.lua"),
        "update_company" => include_str!("../../../bench/wrk/update_company.lua"),
        "console_contacts" => include_str!("../../../bench/wrk/console_contacts.lua"),
        "console_search" => include_str!("../../../bench/wrk/console_search.lua"),
        _ => return None,
    })
}

/// What `done()` in common.lua prints.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct WrkSummary {
    pub requests: u64,
    pub duration_us: u64,
    pub bytes: u64,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub status_errors: u64,
    pub timeouts: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

impl WrkSummary {
    pub fn errors(&self) -> u64 {
        self.connect_errors
            + self.read_errors
            + self.write_errors
            + self.status_errors
            + self.timeouts
    }
    pub fn rps(&self) -> f64 {
        if self.duration_us == 0 {
            0.0
        } else {
            self.requests as f64 * 1e6 / self.duration_us as f64
        }
    }
}

/// One measured HTTP workload.
#[derive(Debug, Clone, Serialize)]
pub struct HttpResult {
    pub workload: String,
    pub target: String,
    #[serde(flatten)]
    pub wrk: WrkSummary,
    pub rps: f64,
    /// Peak resident memory of the server during this workload (VmHWM after a reset), MiB.
    pub server_peak_mib: f64,
    /// CPU the server used, in cores (2.0 = both cores busy).
    pub server_cores: f64,
    /// CPU everything else used (the load generator, mostly), in cores.
    pub other_cores: f64,
}

/// Load-generator settings.
#[derive(Debug, Clone, Serialize)]
pub struct LoadSettings {
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
    pub env: Vec<(String, String)>,
}

pub fn check_wrk() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!("`wrk` is not installed: run `apt-get update && apt-get install -y wrk`"),
    }
}

/// A process watched through /proc.
pub struct Watched {
    pub pid: u32,
}

fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// USER_HZ: /proc reports CPU time in these ticks (100 on Linux).
const TICKS: f64 = 100.0;

impl Watched {
    /// Resets the peak-RSS counter (Linux: `echo 5 > /proc/PID/clear_refs`).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }
    pub fn peak_mib(&self) -> f64 {
        proc_status_kib(self.pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    }
    pub fn rss_mib(&self) -> f64 {
        proc_status_kib(self.pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0
    }
    /// The anonymous part of the RSS (heap, stacks): without the binary's code pages and other
    /// file mappings, which the kernel can drop and read again.
    pub fn rss_anon_mib(&self) -> f64 {
        proc_status_kib(self.pid, "RssAnon:").unwrap_or(0) as f64 / 1024.0
    }
    /// utime + stime in ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return 0;
        };
        // Fields after the command name (which may contain spaces) start after the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return 0;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        get(11) + get(12) // utime, stime (fields 14 and 15 of the whole line)
    }
}

/// Busy ticks of the whole machine (all CPUs), from /proc/stat.
fn machine_busy_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let Some(line) = stat.lines().next() else {
        return 0;
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: busy = all - idle - iowait
    let total: u64 = v.iter().take(8).sum();
    total - v.get(3).copied().unwrap_or(0) - v.get(4).copied().unwrap_or(0)
}

/// Runs one workload with wrk against `url` and returns its summary.
pub fn run_wrk(
    scripts_dir: &Path,
    workload: &str,
    url: &str,
    settings: &LoadSettings,
    server: &Watched,
    target: &str,
) -> anyhow::Result<HttpResult> {
    let body = script(workload).with_context(|| format!("unknown workload {workload}"))?;
    let path: PathBuf = scripts_dir.join(format!("{workload}.lua"));
    std::fs::write(&path, format!("{COMMON}\n{body}"))
        .with_context(|| format!("writing {}", path.display()))?;
    server.reset_peak();
    let cpu_before = server.cpu_ticks();
    let busy_before = machine_busy_ticks();
    let started = Instant::now();
    let output = Command::new("wrk")
        .arg(format!("-t{}", settings.threads))
        .arg(format!("-c{}", settings.connections))
        .arg(format!("-d{}s", settings.duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&path)
        .arg(url)
        .envs(settings.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .context("running wrk")?;
    let wall = started.elapsed().as_secs_f64().max(1e-3);
    let server_ticks = server.cpu_ticks().saturating_sub(cpu_before) as f64;
    let busy_ticks = machine_busy_ticks().saturating_sub(busy_before) as f64;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(json) = stdout.lines().find_map(|l| l.strip_prefix("BENCH_JSON ")) else {
        bail!(
            "wrk printed no summary for {workload} (exit {:?}):\n{stdout}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let wrk: WrkSummary =
        serde_json::from_str(json).with_context(|| format!("parsing wrk summary {json}"))?;
    let server_cores = server_ticks / TICKS / wall;
    Ok(HttpResult {
        workload: workload.to_owned(),
        target: target.to_owned(),
        rps: wrk.rps(),
        wrk,
        server_peak_mib: server.peak_mib(),
        server_cores,
        other_cores: (busy_ticks / TICKS / wall - server_cores).max(0.0),
    })
}
