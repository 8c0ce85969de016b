//! Helpers of the process tests: `rolodex serve` as a child process, tokens through the command
//! line, plus the helpers both crates share (`common`).

#[path = "../../common/mod.rs"]
mod common;

pub use common::*;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Numbers the servers' stderr files within a database's directory.
static SERVE_COUNTER: AtomicUsize = AtomicUsize::new(0);

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/// `rolodex tokens create --tenant SLUG --name NAME --database URL` → the token (last stdout line).
pub fn create_token(database_url: &str, tenant: &str, name: Option<&str>) -> String {
    let mut args = vec!["tokens", "create", "--tenant", tenant];
    if let Some(name) = name {
        args.push("--name");
        args.push(name);
    }
    args.push("--database");
    args.push(database_url);
    let out = cli(&args);
    assert!(
        out.status.success(),
        "tokens create failed ({}): stdout={} stderr={}",
        out.status,
        stdout_of(&out),
        stderr_of(&out)
    );
    last_line(&stdout_of(&out))
}

/// The last non-empty line of a text, trimmed.
pub fn last_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------------------------

/// A running `rolodex serve` process.
pub struct ServeProcess {
    pub child: Child,
    pub base: String,
    pub port: u16,
    /// Stdout lines printed before (and including) the listening line.
    pub stdout_before_listening: Vec<String>,
    pub stderr_path: PathBuf,
    /// Later stdout lines.
    pub rest: mpsc::Receiver<String>,
}

impl ServeProcess {
    /// Spawns `rolodex serve --database URL ARGS...` (default `--listen 127.0.0.1:0`) and waits
    /// for the listening line.
    pub fn spawn(db: &TestDb, extra_args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let mut args: Vec<&str> = vec!["serve", "--database", db.url()];
        if !extra_args.contains(&"--listen") {
            args.push("--listen");
            args.push("127.0.0.1:0");
        }
        args.extend_from_slice(extra_args);
        Self::spawn_args(db, &args, envs)
    }

    /// Spawns `rolodex ARGS...` exactly as given and waits for the listening line.
    pub fn spawn_args(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let stderr_path = db.dir().join(format!(
            "serve-{}.stderr",
            SERVE_COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let stderr_file = std::fs::File::create(&stderr_path).expect("create stderr file");
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_remove("ROLODEX_DATABASE_URL")
            .env_remove("ROLODEX_LISTEN")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr_file));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn rolodex serve");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    // Once nobody listens any more, keep draining so the child never blocks.
                    Ok(line) => {
                        let _ = tx.send(line);
                    }
                    Err(_) => break,
                }
            }
        });

        let deadline = Instant::now() + START_TIMEOUT;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(line) => {
                    let trimmed = line.trim().to_string();
                    before.push(trimmed.clone());
                    let listening = ["http", "https"].into_iter().find_map(|scheme| {
                        trimmed
                            .strip_prefix(&format!("rolodex listening on {scheme}://"))
                            .map(|rest| (scheme, rest))
                    });
                    if let Some((scheme, rest)) = listening {
                        let port: u16 = rest
                            .rsplit(':')
                            .next()
                            .and_then(|p| p.trim_end_matches('/').parse().ok())
                            .unwrap_or_else(|| panic!("bad listening line {trimmed:?}"));
                        let host = rest.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
                        return ServeProcess {
                            child,
                            base: format!("{scheme}://{host}:{port}"),
                            port,
                            stdout_before_listening: before,
                            stderr_path,
                            rest: rx,
                        };
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    panic!(
                        "server did not print its listening line ({e:?}); exit status {status:?}\n\
                         stdout so far: {before:?}\nstderr:\n{stderr}"
                    );
                }
            }
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Sends a signal (`TERM`, `INT`, `KILL`) with the `kill` command.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{sig} failed");
    }

    /// Waits for the process to exit, up to `timeout`; `None` when it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_child(&mut self.child, timeout)
    }

    /// SIGTERM, then wait (SIGKILL after 10 s).
    pub fn stop(&mut self) -> ExitStatus {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        match wait_child(&mut self.child, Duration::from_secs(10)) {
            Some(s) => s,
            None => {
                let _ = self.child.kill();
                self.child.wait().expect("wait child")
            }
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `rolodex serve` on its own fresh database, with a token for tenant `acme` made by the CLI.
pub struct TestServer {
    // Field order matters for drop: the process stops before the database goes.
    pub process: ServeProcess,
    pub db: TestDb,
    pub token: String,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let db = TestDb::new();
        let token = create_token(db.url(), "acme", Some("tests"));
        let process = ServeProcess::spawn(&db, &[], &[]);
        TestServer { process, db, token }
    }

    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// A new token for `tenant` (created through the CLI while the server runs).
    pub fn token(&self, tenant: &str) -> String {
        create_token(self.db.url(), tenant, None)
    }

    /// A new named token for `tenant`.
    pub fn named_token(&self, tenant: &str, name: &str) -> String {
        create_token(self.db.url(), tenant, Some(name))
    }

    /// `http://127.0.0.1:PORT` + `path` (no API prefix).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.process.base, path)
    }
}
