//! HTTPS (`--tls-cert`, `--tls-key`): a client that trusts only the CA `rolodex cert` wrote
//! reaches the server by a Luminous host name (SNI, the name resolved to 127.0.0.1); one that does
//! not trust it, or asks for a name the certificate does not cover, is refused; plain HTTP on the
//! TLS port gets no API answer; the serve loop's watchdogs and cap hold over TLS, the handshake
//! included; and the flags' errors name the file. (The binary with these flags: `process::tls`.)

use std::time::{Duration, Instant};

use crate::support::*;
use tokio_rustls::rustls::pki_types::{CertificateDer, pem::PemObject};

/// A TLS server with extra flags; the server stops before the database goes.
struct TlsServer {
    server: RunningServer,
    _db: TestDb,
    certs: TestCerts,
    token: String,
}

impl TlsServer {
    fn start(extra: &[&str]) -> TlsServer {
        let certs = TestCerts::new();
        let db = TestDb::new();
        let mut args = certs.serve_args();
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = RunningServer::start(&db, &args);
        let token = server.create_token("acme", None);
        TlsServer {
            server,
            _db: db,
            certs,
            token,
        }
    }

    fn port(&self) -> u16 {
        self.server.port
    }

    /// `https://HOST:PORT` + `path`.
    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port())
    }

    /// A client trusting only this server's CA, with the Luminous name and `localhost`
    /// resolved to it.
    fn client(&self) -> reqwest::Client {
        tls_client(&self.certs.ca_pem(), &[ACME_HOST, "localhost"], self.port())
    }

    fn tls_conn(&self) -> RawConn {
        RawConn::connect_tls(self.port(), ACME_HOST, &self.certs.ca_pem())
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

// ---------------------------------------------------------------------------------------------
// Who gets through
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_client_trusting_only_the_generated_ca_reaches_the_server_by_name_with_sni() {
    let s = TlsServer::start(&[]);
    let client = s.client();
    let created = client
        .post(s.url(ACME_HOST, &format!("{API}/companies")))
        .bearer_auth(&s.token)
        .json(&json!({"name": "Acme Corporation"}))
        .send()
        .await
        .expect("POST over TLS by name");
    assert_eq!(created.status().as_u16(), 201);
    // The certificate the server presented is the one `rolodex cert` wrote.
    let served = created
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("a peer certificate")
        .to_vec();
    let written = CertificateDer::from_pem_file(&s.certs.files.cert).expect("cert.pem");
    assert_eq!(served, written.as_ref());

    let listed = client
        .get(s.url(ACME_HOST, &format!("{API}/companies")))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("GET over TLS by name");
    assert_eq!(listed.status().as_u16(), 200);
    let body: serde_json::Value = listed.json().await.expect("JSON");
    assert_eq!(body["data"][0]["name"], json!("Acme Corporation"));

    // The other default names: `localhost` (DNS) and 127.0.0.1 (an IP address entry).
    for host in ["localhost", "127.0.0.1"] {
        let r = client
            .get(s.url(host, "/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET by {host}: {e:?}"));
        assert_eq!(r.status().as_u16(), 200, "{host}");
    }
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused() {
    let s = TlsServer::start(&[]);
    let other_ca = TestCerts::new();
    let stranger = tls_client(&other_ca.ca_pem(), &[ACME_HOST], s.port());
    let refused = stranger
        .get(s.url(ACME_HOST, "/health"))
        .send()
        .await
        .expect_err("a certificate from an untrusted CA");
    assert!(refused.is_connect(), "{refused:?}");
    assert!(
        format!("{refused:?}").contains("UnknownIssuer"),
        "{refused:?}"
    );
    // The server goes on serving those that trust it.
    let r = s
        .client()
        .get(s.url(ACME_HOST, "/health"))
        .send()
        .await
        .expect("trusted");
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn a_name_the_certificate_does_not_cover_is_refused() {
    let s = TlsServer::start(&[]);
    // The right CA, a name outside the certificate (the wildcard covers one label only).
    for host in ["acme.example.com", "a.b.api.joinluminous.com"] {
        let client = tls_client(&s.certs.ca_pem(), &[host], s.port());
        let refused = client
            .get(s.url(host, "/health"))
            .send()
            .await
            .expect_err("a name not in the certificate");
        assert!(
            format!("{refused:?}").contains("NotValidForName"),
            "{host}: {refused:?}"
        );
    }
}

#[test]
fn plain_http_to_the_tls_port_gets_no_api_answer() {
    let s = TlsServer::start(&[]);
    let mut c = RawConn::connect(s.port());
    c.request("GET", "/health", &[], b"");
    let answer = c
        .bytes_until_closed(Duration::from_secs(5))
        .expect("the connection is closed");
    // At most a TLS alert record (content type 21), never an HTTP answer.
    assert!(
        answer.is_empty() || answer[0] == 21,
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        !text.contains("HTTP/") && !text.contains("status"),
        "{text:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The handshake and the serve loop's limits over TLS
// ---------------------------------------------------------------------------------------------

#[test]
fn a_client_that_never_starts_its_handshake_is_closed_after_the_header_timeout() {
    let s = TlsServer::start(&["--header-timeout-secs", "1", "--idle-timeout-secs", "30"]);
    let mut c = RawConn::connect(s.port());
    let started = Instant::now();
    assert!(c.closed_within(Duration::from_secs(5)), "still open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "closed too early: {took:?}"
    );
}

#[test]
fn a_client_that_stalls_halfway_through_its_handshake_is_closed_after_the_header_timeout() {
    let s = TlsServer::start(&["--header-timeout-secs", "1", "--idle-timeout-secs", "30"]);
    let mut c = RawConn::connect(s.port());
    // A handshake record's header announcing 512 bytes, and the first of them.
    c.send(&[22, 3, 1, 2, 0, 1]);
    let started = Instant::now();
    let answer = c
        .bytes_until_closed(Duration::from_secs(5))
        .expect("still open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "closed too early: {took:?}"
    );
    assert!(answer.is_empty() || answer[0] == 21, "{answer:?}");
}

#[test]
fn over_tls_a_slow_request_head_closes_the_connection() {
    let s = TlsServer::start(&["--header-timeout-secs", "2"]);
    let started = Instant::now();
    let mut c = s.tls_conn();
    // The handshake is done: now half a head, never finished.
    c.send(format!("GET {API}/companies HTTP/1.1\r\nHost: x\r\nX-Slow: ").as_bytes());
    assert!(c.closed_within(Duration::from_secs(6)), "still open");
    // Due 2 s after the accept, the handshake included.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900),
        "closed too early: {took:?}"
    );
}

#[test]
fn over_tls_an_idle_keep_alive_outlives_the_header_timeout_and_closes_after_the_idle_timeout() {
    let s = TlsServer::start(&["--header-timeout-secs", "1", "--idle-timeout-secs", "3"]);
    let auth = s.auth();
    let mut c = s.tls_conn();
    c.request(
        "GET",
        &format!("{API}/companies"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(c.response().expect("first").status, 200);
    std::thread::sleep(Duration::from_millis(1800));
    c.request(
        "GET",
        &format!("{API}/companies"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(c.response().expect("second, after idling").status, 200);
    let started = Instant::now();
    assert!(c.closed_within(Duration::from_secs(8)), "still open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "closed too early: {took:?}"
    );
}

#[tokio::test]
async fn a_connection_still_in_its_handshake_counts_against_the_connection_cap() {
    let s = TlsServer::start(&["--max-connections", "1"]);
    // Accepted, holding the only place, never starting its handshake.
    let holder = RawConn::connect(s.port());
    std::thread::sleep(Duration::from_millis(200));
    let client = s.client();
    let waiting = tokio::time::timeout(
        Duration::from_millis(1500),
        client.get(s.url(ACME_HOST, "/health")).send(),
    )
    .await;
    assert!(waiting.is_err(), "served past the cap: {waiting:?}");
    drop(holder);
    let r = client
        .get(s.url(ACME_HOST, "/health"))
        .send()
        .await
        .expect("served once the place is free");
    assert_eq!(r.status().as_u16(), 200);
}

// ---------------------------------------------------------------------------------------------
// The flags (parsed and the files read as `rolodex serve` does)
// ---------------------------------------------------------------------------------------------

fn serve_error(args: &[&str]) -> String {
    match rolodex::cli::serve_options(args) {
        Ok(_) => panic!("{args:?} accepted"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn tls_flags_read_the_certificate_and_key() {
    let certs = TestCerts::new();
    let args = certs.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, options) = rolodex::cli::serve_options(&args).expect("valid TLS files");
    assert!(options.tls.is_some());
    let (_, plain) = rolodex::cli::serve_options(&[]).expect("no TLS flags");
    assert!(plain.tls.is_none());
}

#[test]
fn tls_flags_come_in_pairs() {
    let certs = TestCerts::new();
    let cert = certs.files.cert.display().to_string();
    let key = certs.files.key.display().to_string();
    let e = serve_error(&["--tls-cert", &cert]);
    assert!(e.contains("--tls-key <FILE>"), "{e}");
    let e = serve_error(&["--tls-key", &key]);
    assert!(e.contains("--tls-cert <FILE>"), "{e}");
}

#[test]
fn a_missing_tls_file_is_named() {
    let certs = TestCerts::new();
    let dir = certs.files.cert.parent().expect("dir").to_path_buf();
    let missing = dir.join("missing.pem").display().to_string();
    let cert = certs.files.cert.display().to_string();
    let key = certs.files.key.display().to_string();
    assert_eq!(
        serve_error(&["--tls-cert", &missing, "--tls-key", &key]),
        format!(
            "cannot read the TLS certificate file {missing}: No such file or directory (os error 2)"
        )
    );
    assert_eq!(
        serve_error(&["--tls-cert", &cert, "--tls-key", &missing]),
        format!("cannot read the TLS key file {missing}: No such file or directory (os error 2)")
    );
}

#[test]
fn tls_files_with_the_wrong_content_are_named() {
    let certs = TestCerts::new();
    let other = TestCerts::new();
    let dir = certs.files.cert.parent().expect("dir").to_path_buf();
    let cert = certs.files.cert.display().to_string();
    let key = certs.files.key.display().to_string();
    let other_key = other.files.key.display().to_string();

    // The key given as the certificate, and the certificate as the key.
    assert_eq!(
        serve_error(&["--tls-cert", &key, "--tls-key", &key]),
        format!(
            "the TLS certificate file {key} holds no certificate (a PEM block \"BEGIN CERTIFICATE\")"
        )
    );
    assert_eq!(
        serve_error(&["--tls-cert", &cert, "--tls-key", &cert]),
        format!(
            "the TLS key file {cert} holds no private key (a PEM block \"BEGIN PRIVATE KEY\", \
             \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\")"
        )
    );
    // Another certificate's key.
    assert_eq!(
        serve_error(&["--tls-cert", &cert, "--tls-key", &other_key]),
        format!("the private key in {other_key} does not belong to the certificate in {cert}")
    );
    // A PEM block that is not base64.
    let broken = dir.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let broken = broken.display().to_string();
    let e = serve_error(&["--tls-cert", &broken, "--tls-key", &key]);
    assert!(
        e.starts_with(&format!(
            "the TLS certificate file {broken} is not valid PEM: "
        )),
        "{e}"
    );
    // Something that is not a small PEM file at all.
    let huge = dir.join("huge.pem");
    std::fs::write(&huge, vec![b'a'; 1024 * 1024 + 1]).expect("write");
    let huge = huge.display().to_string();
    assert_eq!(
        serve_error(&["--tls-cert", &huge, "--tls-key", &key]),
        format!("the TLS certificate file {huge} is larger than 1048576 bytes")
    );
}

// ---------------------------------------------------------------------------------------------
// The console's cookies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn over_tls_the_console_cookies_are_secure() {
    let s = TlsServer::start(&[]);
    install_crypto_provider();
    let ca = reqwest::Certificate::from_pem(&s.certs.ca_pem()).expect("a PEM certificate");
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only([ca])
        .resolve(
            ACME_HOST,
            std::net::SocketAddr::from(([127, 0, 0, 1], s.port())),
        )
        .build()
        .expect("client");
    let login = client
        .get(s.url(ACME_HOST, "/console/login"))
        .send()
        .await
        .expect("GET /console/login");
    let login_cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("login cookie")
        .to_owned();
    assert!(login_cookie.contains("; Secure"), "{login_cookie}");
    let html = login.text().await.expect("page");
    let at = html.find("name=\"_csrf\" value=\"").expect("csrf") + 20;
    let csrf = &html[at..at + html[at..].find('"').expect("end")];
    let signed_in = client
        .post(s.url(ACME_HOST, "/console/login"))
        .header("Cookie", login_cookie.split(';').next().unwrap_or_default())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&token={}", s.token))
        .send()
        .await
        .expect("POST /console/login");
    assert_eq!(signed_in.status().as_u16(), 303);
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("rolodex_console="))
        .expect("session cookie")
        .to_owned();
    for part in ["; Secure", "; HttpOnly", "; SameSite=Strict"] {
        assert!(session.contains(part), "{part} missing: {session}");
    }
}
