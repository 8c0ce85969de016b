//! Starting and stopping a `rolodex serve` process, and a tiny keep-alive HTTP/1.1 client for the
//! crash test (it must see exactly which requests were answered 2xx before the kill).
//! Shared with `tests/crash.rs` through `#[path]`, so it depends only on crates both can use.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;

/// A running `rolodex serve`.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// From spawn to the "listening" line.
    pub startup: Duration,
}

impl Server {
    /// Starts `bin serve` on `database` and waits for it to be ready. stderr goes to `log`.
    pub fn spawn(bin: &Path, database: &str, log: &Path) -> anyhow::Result<Server> {
        Server::spawn_with(bin, database, log, &[])
    }

    /// [`Server::spawn`] with extra environment variables (after the default `ROLODEX_LOG=warn`,
    /// so they may replace it).
    pub fn spawn_with(
        bin: &Path,
        database: &str,
        log: &Path,
        envs: &[(String, String)],
    ) -> anyhow::Result<Server> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--database", database, "--listen", "127.0.0.1:0"])
            .env("ROLODEX_LOG", "warn")
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining stdout after the listening line so the server never blocks on it.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("rolodex listening on http://") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the server did not become ready in 30 s (log: {})",
                    log.display()
                );
            }
        };
        let startup = started.elapsed();
        let addr: SocketAddr = addr
            .parse()
            .with_context(|| format!("parsing address {addr}"))?;
        Ok(Server {
            child,
            addr,
            startup,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.kill().context("killing the server")?;
        self.child.wait().context("reaping the server")?;
        Ok(())
    }

    /// SIGTERM (graceful), then SIGKILL after a few seconds.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Client {
    stream: AsyncBufReader<TcpStream>,
    token: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr, token: &str) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream: AsyncBufReader::new(stream),
            token: token.to_owned(),
        })
    }

    /// Sends one request and reads the whole response: `(status, body)`.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nAccept: application/json\r\n",
            self.token
        );
        if let Some(b) = body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        self.stream.get_mut().write_all(head.as_bytes()).await?;

        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("bad status line"))?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(bad("eof in headers"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().ok();
                } else if k.eq_ignore_ascii_case("transfer-encoding")
                    && v.to_ascii_lowercase().contains("chunked")
                {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| bad("bad chunk size"))?;
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            self.stream.read_exact(&mut body).await?;
        }
        Ok((status, body))
    }
}
