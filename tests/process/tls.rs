//! HTTPS through the binary: `rolodex cert` (the files, their permissions, a server certificate
//! that chains to the CA for exactly the names asked for, no silent overwrite), `rolodex serve`
//! with `--tls-cert`/`--tls-key` or their environment variables (and a clear failure for a bad or
//! missing file, or one setting without the other), and shutdown over TLS.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, ServerName, UnixTime, pem::PemObject,
};

/// `rolodex cert --out DIR ARGS...`.
fn cert_cli(dir: &Path, args: &[&str]) -> std::process::Output {
    let dir = dir.display().to_string();
    let mut all = vec!["cert", "--out", dir.as_str()];
    all.extend_from_slice(args);
    cli(&all)
}

/// Whether a client trusting only `dir/ca.pem` accepts `dir/cert.pem` for `name`.
fn verify(dir: &Path, name: &str) -> Result<(), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).expect("ca.pem"))
        .expect("a CA certificate");
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("a verifier");
    let cert = CertificateDer::from_pem_file(dir.join("cert.pem")).expect("cert.pem");
    let name = ServerName::try_from(name.to_owned()).expect("a server name");
    verifier
        .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
        .map(|_| ())
}

/// Whether the private key in `key` belongs to the certificate in `cert` (rustls's check).
fn key_fits(cert: &Path, key: &Path) -> bool {
    let provider = rustls::crypto::ring::default_provider();
    let chain = vec![CertificateDer::from_pem_file(cert).expect("a certificate")];
    let key = PrivateKeyDer::from_pem_file(key).expect("a private key");
    rustls::sign::CertifiedKey::from_der(chain, key, &provider).is_ok()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------------------------
// rolodex cert
// ---------------------------------------------------------------------------------------------

#[test]
fn cert_writes_a_ca_and_a_server_certificate_for_the_default_names() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("certs"); // created by the command
    let out = cert_cli(&dir, &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = stdout_of(&out);
    assert!(
        stdout.starts_with(
            "wrote a local CA and a server certificate for *.api.joinluminous.com, localhost, \
             127.0.0.1:"
        ),
        "{stdout}"
    );
    let serve_line = format!(
        "serve with: rolodex serve --tls-cert {} --tls-key {}",
        dir.join("cert.pem").display(),
        dir.join("key.pem").display()
    );
    assert!(stdout.contains(&serve_line), "{stdout}");

    // The files, the keys readable by their owner only.
    assert_eq!(mode(&dir.join("ca-key.pem")), 0o600);
    assert_eq!(mode(&dir.join("key.pem")), 0o600);
    for public in ["ca.pem", "cert.pem"] {
        assert_eq!(mode(&dir.join(public)) & 0o600, 0o600, "{public}");
    }
    assert!(key_fits(&dir.join("ca.pem"), &dir.join("ca-key.pem")));
    assert!(key_fits(&dir.join("cert.pem"), &dir.join("key.pem")));
    assert!(!key_fits(&dir.join("cert.pem"), &dir.join("ca-key.pem")));

    // Chains to the CA for every tenant's Luminous name, localhost and 127.0.0.1 ...
    for name in [
        "acme.api.joinluminous.com",
        "globex.api.joinluminous.com",
        "localhost",
        "127.0.0.1",
    ] {
        verify(&dir, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // ... and for nothing else (a wildcard covers exactly one label).
    for name in [
        "api.joinluminous.com",
        "a.b.api.joinluminous.com",
        "example.com",
        "127.0.0.2",
        "::1",
    ] {
        let refused = verify(&dir, name).expect_err(name);
        assert!(
            matches!(
                refused,
                rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForNameContext { .. }
                ) | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            ),
            "{name}: {refused:?}"
        );
    }
}

#[test]
fn cert_with_hosts_covers_exactly_those() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let out = cert_cli(
        dir,
        &[
            "--host",
            "Rolodex.Example",
            "--host",
            "*.tenants.example",
            "--host",
            "10.1.2.3",
            "--host",
            "rolodex.example",
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).starts_with(
            "wrote a local CA and a server certificate for rolodex.example, *.tenants.example, \
             10.1.2.3:"
        ),
        "{}",
        stdout_of(&out)
    );
    for name in ["rolodex.example", "acme.tenants.example", "10.1.2.3"] {
        verify(dir, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for name in ["acme.api.joinluminous.com", "localhost", "127.0.0.1"] {
        assert!(verify(dir, name).is_err(), "{name} covered");
    }
}

#[test]
fn cert_refuses_a_bad_host() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for bad in ["bad host", "*", "a.*.example", "ex\u{e4}mple.com"] {
        let out = cert_cli(tmp.path(), &["--host", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr_of(&out).contains(&format!("invalid host {bad:?}: give a DNS name")),
            "{bad}: {}",
            stderr_of(&out)
        );
    }
    assert_eq!(std::fs::read_dir(tmp.path()).expect("dir").count(), 0);
}

#[test]
fn cert_does_not_overwrite_unless_told_to() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    assert!(cert_cli(dir, &[]).status.success());
    let before: Vec<Vec<u8>> = ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).expect("read"))
        .collect();

    let again = cert_cli(dir, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr_of(&again).trim(),
        format!(
            "rolodex: error: {} already exists; pass --overwrite to replace it",
            dir.join("ca.pem").display()
        )
    );
    // One file left from a run: still refused, and nothing is written.
    std::fs::remove_file(dir.join("ca.pem")).expect("remove");
    let partial = cert_cli(dir, &[]);
    assert_eq!(partial.status.code(), Some(1));
    assert!(
        stderr_of(&partial).contains(&format!(
            "{} already exists",
            dir.join("ca-key.pem").display()
        )),
        "{}",
        stderr_of(&partial)
    );
    assert!(!dir.join("ca.pem").exists());
    assert_eq!(std::fs::read(dir.join("key.pem")).expect("read"), before[3]);

    // --overwrite replaces them all, and a key made world-readable meanwhile is private again.
    std::fs::set_permissions(dir.join("key.pem"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let replaced = cert_cli(dir, &["--overwrite"]);
    assert!(replaced.status.success(), "{}", stderr_of(&replaced));
    for (file, old) in ["ca-key.pem", "cert.pem", "key.pem"]
        .iter()
        .zip(&before[1..])
    {
        assert_ne!(&std::fs::read(dir.join(file)).expect("read"), old, "{file}");
    }
    assert_eq!(mode(&dir.join("key.pem")), 0o600);
    assert_eq!(mode(&dir.join("ca-key.pem")), 0o600);
    verify(dir, "acme.api.joinluminous.com").expect("the new pair chains");
}

// ---------------------------------------------------------------------------------------------
// rolodex serve --tls-cert --tls-key
// ---------------------------------------------------------------------------------------------

/// `GET /contacts` by the Luminous name, trusting only the CA; the status.
async fn contacts_over_tls(certs: &TestCerts, port: u16, token: &str) -> u16 {
    let client = tls_client(&certs.ca_pem(), &[ACME_HOST], port);
    client
        .get(format!("https://{ACME_HOST}:{port}{API}/contacts"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET over TLS")
        .status()
        .as_u16()
}

#[tokio::test]
async fn serve_with_tls_flags_serves_https_and_says_so() {
    let certs = TestCerts::new();
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let args = certs.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let p = ServeProcess::spawn(&db, &args, &[]);
    assert_eq!(
        p.stdout_before_listening.last().expect("a line"),
        &format!("rolodex listening on https://127.0.0.1:{}", p.port)
    );
    assert_eq!(contacts_over_tls(&certs, p.port, &token).await, 200);
}

#[tokio::test]
async fn serve_reads_the_tls_files_from_the_environment() {
    let certs = TestCerts::new();
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let cert = certs.files.cert.display().to_string();
    let key = certs.files.key.display().to_string();
    let p = ServeProcess::spawn(
        &db,
        &[],
        &[("ROLODEX_TLS_CERT", &cert), ("ROLODEX_TLS_KEY", &key)],
    );
    assert!(p.base.starts_with("https://"), "{}", p.base);
    assert_eq!(contacts_over_tls(&certs, p.port, &token).await, 200);
}

/// `rolodex serve` that is expected to fail at start: its exit code and stderr.
fn serve_fails(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut all = vec!["serve", "--database", db.url(), "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let out = cli_env(&all, envs);
    assert!(
        !stdout_of(&out).contains("listening"),
        "it started: {}",
        stdout_of(&out)
    );
    (out.status.code(), stderr_of(&out))
}

#[test]
fn serve_with_a_missing_or_wrong_tls_file_fails_at_once_naming_it() {
    let certs = TestCerts::new();
    let other = TestCerts::new();
    let db = TestDb::new();
    let cert = certs.files.cert.display().to_string();
    let key = certs.files.key.display().to_string();
    let missing = certs
        .files
        .cert
        .with_file_name("nope.pem")
        .display()
        .to_string();

    let (code, stderr) = serve_fails(&db, &["--tls-cert", &missing, "--tls-key", &key], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr.trim(),
        format!(
            "rolodex: error: cannot read the TLS certificate file {missing}: \
             No such file or directory (os error 2)"
        )
    );
    // Before anything else: the database was not even created.
    if !db.is_postgres() {
        assert!(!db.dir().join("rolodex.db").exists());
    }

    let other_key = other.files.key.display().to_string();
    let (code, stderr) = serve_fails(
        &db,
        &[],
        &[("ROLODEX_TLS_CERT", &cert), ("ROLODEX_TLS_KEY", &other_key)],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr.trim(),
        format!(
            "rolodex: error: the private key in {other_key} does not belong to the certificate \
             in {cert}"
        )
    );
}

#[test]
fn serve_with_one_tls_setting_without_the_other_fails() {
    let certs = TestCerts::new();
    let db = TestDb::new();
    let cert = certs.files.cert.display().to_string();
    let key = certs.files.key.display().to_string();
    let (code, stderr) = serve_fails(&db, &["--tls-cert", &cert], &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the following required arguments were not provided")
            && stderr.contains("--tls-key <FILE>"),
        "{stderr}"
    );
    let (code, stderr) = serve_fails(&db, &[], &[("ROLODEX_TLS_KEY", &key)]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--tls-cert <FILE>"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Shutdown over TLS
// ---------------------------------------------------------------------------------------------

/// SIGTERM, then the time until the process exited with 0.
fn term_and_wait(p: &mut ServeProcess, within: Duration) -> Duration {
    let started = Instant::now();
    p.signal("TERM");
    let status = p
        .wait_timeout(within)
        .unwrap_or_else(|| panic!("still running {within:?} after SIGTERM"));
    assert_eq!(status.code(), Some(0), "{}", p.stderr());
    started.elapsed()
}

#[test]
fn sigterm_over_tls_drops_idle_and_handshaking_connections_at_once() {
    let certs = TestCerts::new();
    let db = TestDb::new();
    let mut args = certs.serve_args();
    args.extend(["--shutdown-timeout-secs".into(), "10".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut p = ServeProcess::spawn(&db, &args, &[]);
    let mut idle = RawConn::connect_tls(p.port, ACME_HOST, &certs.ca_pem());
    idle.request("GET", "/health", &[], b"");
    assert_eq!(idle.response().expect("health").status, 200);
    let _handshaking = RawConn::connect(p.port);
    std::thread::sleep(Duration::from_millis(200));
    let took = term_and_wait(&mut p, Duration::from_secs(5));
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn sigterm_over_tls_lets_a_request_in_flight_run_until_the_deadline() {
    let certs = TestCerts::new();
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut args = certs.serve_args();
    args.extend(["--shutdown-timeout-secs", "2", "--body-timeout-secs", "60"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut p = ServeProcess::spawn(&db, &args, &[]);
    let mut c = RawConn::connect_tls(p.port, ACME_HOST, &certs.ca_pem());
    c.send(
        format!(
            "POST {API}/companies HTTP/1.1\r\nHost: {ACME_HOST}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{\"name\": \"Ha"
        )
        .as_bytes(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let took = term_and_wait(&mut p, Duration::from_secs(6));
    assert!(
        took >= Duration::from_millis(1500),
        "did not wait for the request: {took:?}"
    );
}
