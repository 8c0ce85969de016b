//! Helpers both test crates use (included by `api/support` and `process/support` with `#[path]`):
//! fresh databases, running the command line, HTTP responses, raw HTTP/1.1 connections (plain or
//! over TLS), and certificates with clients that trust them.
//!
//! Every test gets a fresh database: a SQLite file in a temporary directory, or — when
//! `ROLODEX_TEST_POSTGRES` is set to a server URL such as `postgres://postgres@127.0.0.1:5432` — a
//! freshly created PostgreSQL database that is dropped again afterwards.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub use serde_json::json;

/// Base path of the external API.
pub const API: &str = "/external/api/v1";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rolodex")
}

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

/// A fresh, empty database (not yet migrated), removed again on drop.
pub struct TestDb {
    url: String,
    /// Temporary directory: holds the SQLite file (SQLite mode) and server logs (both modes).
    dir: tempfile::TempDir,
    /// `(admin url, database name)` of a PostgreSQL database to drop on drop.
    pg: Option<(String, String)>,
}

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("rolodex-test-")
            .tempdir()
            .expect("create temp dir");
        match std::env::var("ROLODEX_TEST_POSTGRES") {
            Ok(server) if !server.trim().is_empty() => {
                let server = server.trim().trim_end_matches('/').to_string();
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                let name = format!(
                    "rolodex_test_{}_{}_{}",
                    std::process::id(),
                    DB_COUNTER.fetch_add(1, Ordering::SeqCst),
                    nanos % 1_000_000_000
                );
                let admin = format!("{server}/postgres");
                psql(&admin, &format!("CREATE DATABASE {name}"));
                TestDb {
                    url: format!("{server}/{name}"),
                    dir,
                    pg: Some((admin, name)),
                }
            }
            _ => {
                let path = dir.path().join("rolodex.db");
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    dir,
                    pg: None,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    #[allow(
        dead_code,
        reason = "the process tests keep server logs there; the API tests do not"
    )]
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    #[allow(dead_code, reason = "used by the process tests only")]
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A fresh SQLite database whatever `ROLODEX_TEST_POSTGRES` says, for behaviour only SQLite
    /// has (its reader time budget, for instance).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("rolodex-test-")
            .tempdir()
            .expect("create temp dir");
        let path = dir.path().join("rolodex.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            dir,
            pg: None,
        }
    }
}

impl Default for TestDb {
    fn default() -> Self {
        TestDb::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = Command::new("psql")
                .arg(admin)
                .arg("-v")
                .arg("ON_ERROR_STOP=1")
                .arg("-q")
                .arg("-c")
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .arg("-q")
        .arg("-c")
        .arg(sql)
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/// Runs `rolodex ARGS...` to completion.
pub fn cli(args: &[&str]) -> Output {
    cli_env(args, &[])
}

/// Runs `rolodex ARGS...` with extra environment variables.
pub fn cli_env(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("ROLODEX_DATABASE_URL")
        .env_remove("ROLODEX_LISTEN");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run rolodex")
}

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Finds the numeric id of the token named `name` in the output of `tokens list`: the first
/// word made only of digits on the line that mentions the name.
pub fn token_id_from_list(list_output: &str, name: &str) -> String {
    let line = list_output
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("token {name:?} not in list output:\n{list_output}"));
    line.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .unwrap_or_else(|| panic!("no numeric id on line {line:?}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// A plain HTTP client. (Every reqwest client, plain ones too, needs the process's rustls
/// provider: see [`install_crypto_provider`].)
pub fn client() -> reqwest::Client {
    client_builder().build().expect("build http client")
}

/// The settings of [`client`], to add to.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
}

pub async fn sleep_secs(s: f64) {
    tokio::time::sleep(Duration::from_secs_f64(s)).await;
}

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

use tokio_rustls::rustls;

/// The name tests reach a TLS server by (tenant `acme`'s Luminous host name).
#[allow(dead_code, reason = "not every test crate uses it")]
pub const ACME_HOST: &str = "acme.api.joinluminous.com";

/// Makes ring the process's rustls provider. reqwest is built with `rustls-no-provider` (ring,
/// the server's provider, rather than a second one, aws-lc-rs, to build), so building any reqwest
/// client, even a plain HTTP one, panics until this ran. The server names its provider itself.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when one is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A CA and a server certificate signed by it, written by the code `rolodex cert` runs, in a
/// temporary directory.
#[allow(dead_code, reason = "not every test crate uses it")]
pub struct TestCerts {
    pub files: rolodex::cert::CertFiles,
    _dir: tempfile::TempDir,
}

#[allow(dead_code, reason = "not every test crate uses it")]
impl TestCerts {
    /// For the default names: `*.api.joinluminous.com`, `localhost`, `127.0.0.1`.
    pub fn new() -> TestCerts {
        TestCerts::for_hosts(&rolodex::cert::DEFAULT_HOSTS)
    }

    pub fn for_hosts(hosts: &[&str]) -> TestCerts {
        let dir = tempfile::Builder::new()
            .prefix("rolodex-certs-")
            .tempdir()
            .expect("create temp dir");
        let hosts: Vec<rolodex::cert::Host> = hosts
            .iter()
            .map(|h| rolodex::cert::Host::parse(h).expect("a valid host"))
            .collect();
        let files = rolodex::cert::write(dir.path(), &hosts, false).expect("write certificates");
        TestCerts { files, _dir: dir }
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(&self.files.ca).expect("read ca.pem")
    }

    /// `--tls-cert FILE --tls-key FILE`.
    pub fn serve_args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.files.cert.display().to_string(),
            "--tls-key".into(),
            self.files.key.display().to_string(),
        ]
    }
}

/// An HTTPS client that trusts only the CA in `ca_pem` (no system roots) and resolves each of
/// `names` to `127.0.0.1:port`, so a URL with the name connects there and sends the name by SNI.
#[allow(dead_code, reason = "not every test crate uses it")]
pub fn tls_client(ca_pem: &[u8], names: &[&str], port: u16) -> reqwest::Client {
    install_crypto_provider();
    let ca = reqwest::Certificate::from_pem(ca_pem).expect("a PEM certificate");
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .tls_info(true)
        .tls_certs_only([ca]);
    for name in names {
        builder = builder.resolve(name, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    builder.build().expect("build https client")
}

/// rustls's client configuration trusting only the CA in `ca_pem`.
fn rustls_client_config(ca_pem: &[u8]) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("a CA certificate");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    std::sync::Arc::new(config)
}
// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over one TCP connection (keep-alive, slow and malformed requests)
// ---------------------------------------------------------------------------------------------

/// A response read off a raw connection.
#[derive(Debug, Clone)]
pub struct RawResp {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl RawResp {
    #[allow(dead_code, reason = "used by the API tests only")]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the server announced it closes the connection.
    #[allow(dead_code, reason = "used by the API tests only")]
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// One client connection driven by hand.
pub struct RawConn {
    pub stream: std::net::TcpStream,
    /// The TLS session when connected with [`RawConn::connect_tls`]: reads and writes go
    /// through it.
    tls: Option<Box<rustls::ClientConnection>>,
    buf: Vec<u8>,
}

impl RawConn {
    pub fn connect(port: u16) -> RawConn {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("set read timeout");
        RawConn {
            stream,
            tls: None,
            buf: Vec::new(),
        }
    }

    /// Connects to 127.0.0.1:`port` and completes a TLS handshake for `name` (by SNI), trusting
    /// only the CA in `ca_pem`.
    #[allow(dead_code, reason = "not every test crate uses it")]
    pub fn connect_tls(port: u16, name: &str, ca_pem: &[u8]) -> RawConn {
        let mut conn = RawConn::connect(port);
        let server_name = rustls::pki_types::ServerName::try_from(name.to_owned()).expect("a name");
        let mut tls = rustls::ClientConnection::new(rustls_client_config(ca_pem), server_name)
            .expect("a TLS client");
        while tls.is_handshaking() {
            tls.complete_io(&mut conn.stream).expect("TLS handshake");
        }
        conn.tls = Some(Box::new(tls));
        conn
    }

    pub fn set_read_timeout(&self, timeout: Duration) {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("set read timeout");
    }

    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        match &mut self.tls {
            Some(tls) => {
                let mut stream = rustls::Stream::new(tls.as_mut(), &mut self.stream);
                stream.write_all(bytes).expect("write to server");
                stream.flush().expect("flush");
            }
            None => {
                self.stream.write_all(bytes).expect("write to server");
                self.stream.flush().expect("flush");
            }
        }
    }

    /// Writes a whole request: `METHOD PATH HTTP/1.1`, Host, the given headers, Content-Length
    /// when there is a body, then the body.
    pub fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.send(&bytes);
    }

    /// Reads more bytes; `Ok(0)` at EOF.
    fn fill(&mut self) -> std::io::Result<usize> {
        use std::io::Read;
        let mut chunk = [0u8; 16 * 1024];
        let n = match &mut self.tls {
            Some(tls) => rustls::Stream::new(tls.as_mut(), &mut self.stream).read(&mut chunk)?,
            None => self.stream.read(&mut chunk)?,
        };
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one response (Content-Length or chunked body). `None` when the connection closes
    /// (or resets) before a whole response arrived; panics on a read timeout.
    pub fn response(&mut self) -> Option<RawResp> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            match self.fill() {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if is_timeout(&e) => panic!("no response in time: {e}"),
                Err(_) => return None,
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let body = if let Some(len) = get("content-length") {
            let len: usize = len.parse().expect("content-length");
            while self.buf.len() < len {
                match self.fill() {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
            self.buf.drain(..len).collect::<Vec<u8>>()
        } else if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    match self.fill() {
                        Ok(0) | Err(_) => return None,
                        Ok(_) => {}
                    }
                };
                let size_line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
                self.buf.drain(..line_end + 2);
                while self.buf.len() < size + 2 {
                    match self.fill() {
                        Ok(0) | Err(_) => return None,
                        Ok(_) => {}
                    }
                }
                body.extend(self.buf.drain(..size));
                self.buf.drain(..2);
                if size == 0 {
                    break body;
                }
            }
        } else {
            Vec::new()
        };
        let text = String::from_utf8_lossy(&body).into_owned();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Some(RawResp {
            status,
            headers,
            body,
        })
    }

    /// Everything the server sends until it closes the connection (EOF or reset); `None` when it
    /// is still open after `within`.
    #[allow(dead_code, reason = "not every test crate uses it")]
    pub fn bytes_until_closed(&mut self, within: Duration) -> Option<Vec<u8>> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            self.set_read_timeout(left);
            match self.fill() {
                Ok(0) => return Some(std::mem::take(&mut self.buf)),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => return None,
                Err(_) => return Some(std::mem::take(&mut self.buf)),
            }
        }
    }

    /// Whether the server closed the connection: EOF or reset within `within` (nothing else may
    /// arrive meanwhile). `false` when it is still open after `within`.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        self.set_read_timeout(within);
        let closed = match self.fill() {
            Ok(0) => true,
            Ok(n) => panic!(
                "unexpected {n} bytes: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Err(e) if is_timeout(&e) => false,
            Err(_) => true,
        };
        self.set_read_timeout(Duration::from_secs(20));
        closed
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
