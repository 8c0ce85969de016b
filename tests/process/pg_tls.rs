//! TLS to PostgreSQL, through the binary, against the test server (`.ci/postgres-tls.sh` makes
//! sure it has `ssl = on` and a certificate for `localhost`): each `sslmode`, the root
//! certificate, the host name check, and `copy` and `migrate` honouring the same URL. Whether a
//! session really is encrypted is read on the server side, in `pg_stat_ssl`.

use std::path::{Path, PathBuf};

use crate::pg_common::*;
use crate::support::{self, TestDb, cli, stderr_of, stdout_of};

/// A password in every URL: the test server trusts local connections and ignores it, so each
/// test can also check that no message shows it.
const SECRET: &str = "s3cretpw";

/// The fixture root that signed nothing the server has.
fn unrelated_root() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/unrelated-ca.pem"
    )
    .to_owned()
}

/// `db`'s URL with the password, `host` in place of the test server's, and `query`.
fn url_for(db: &TestDb, host: &str, query: &str) -> String {
    let mut url = url::Url::parse(db.url()).expect("test database URL");
    url.set_host(Some(host)).expect("host");
    url.set_password(Some(SECRET)).expect("password");
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    url.to_string()
}

/// The root the server's certificate chains to, written into `dir`: the last certificate of the
/// server's `ssl_cert_file` (Debian's self-signed snakeoil, or the chain `.ci/postgres-tls.sh`
/// generates).
async fn server_root(dir: &Path) -> PathBuf {
    let admin = format!("{}/postgres", pg_server("pg_tls"));
    let client = connect(&admin).await;
    let show = async |name: &str| -> String {
        client
            .query_one(&format!("SHOW {name}"), &[])
            .await
            .unwrap_or_else(|e| panic!("SHOW {name}: {e}"))
            .get(0)
    };
    assert_eq!(
        show("ssl").await,
        "on",
        "the test server has ssl = off: run .ci/postgres-tls.sh"
    );
    let mut file = PathBuf::from(show("ssl_cert_file").await);
    if file.is_relative() {
        file = PathBuf::from(show("data_directory").await).join(file);
    }
    let pem = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "read the server's certificate {}: {e} (the tests need the server on this machine)",
            file.display()
        )
    });
    let begin = pem
        .rfind("-----BEGIN CERTIFICATE-----")
        .unwrap_or_else(|| panic!("no certificate in {}", file.display()));
    let root = dir.join("server-root.pem");
    std::fs::write(&root, &pem[begin..]).expect("write the root");
    root
}

/// Whether each of the database's Rolodex connections is encrypted, as the server sees them.
async fn sessions_encrypted(db: &TestDb) -> Vec<bool> {
    let admin = format!("{}/postgres", pg_server("pg_tls"));
    let client = connect(&admin).await;
    client
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1 AND a.application_name = 'rolodex'",
            &[&db_name(db.url())],
        )
        .await
        .expect("query pg_stat_ssl")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Starts `rolodex serve --database URL`, checks it answers, and returns whether its sessions
/// are encrypted (at least one session: migrations leave one in the pool).
async fn serve_and_see_tls(db: &TestDb, url: &str) -> Vec<bool> {
    let server = serve(db, url, &[]);
    let health = Api::new(&server, "none").get("/health").await;
    assert_eq!(health.status, 200, "{health:?}");
    let sessions = sessions_encrypted(db).await;
    assert!(!sessions.is_empty(), "no Rolodex session on the server");
    sessions
}

/// Runs `rolodex ARGS...`, expects failure, checks the password is not shown and returns stderr.
fn fails(args: &[&str]) -> String {
    let out = cli(args);
    let printed = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(!out.status.success(), "{args:?} succeeded: {printed}");
    assert!(
        !printed.contains(SECRET),
        "{args:?} printed the password: {printed}"
    );
    printed
}

fn succeeds(args: &[&str]) -> String {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    stdout_of(&out)
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn require_encrypts_every_connection() {
    pg_server("require_encrypts_every_connection");
    let db = TestDb::new();
    let sessions = serve_and_see_tls(&db, &url_for(&db, "127.0.0.1", "sslmode=require")).await;
    assert!(sessions.iter().all(|&tls| tls), "{sessions:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn prefer_is_the_default_and_encrypts_when_the_server_offers_tls() {
    pg_server("prefer_is_the_default_and_encrypts_when_the_server_offers_tls");
    let db = TestDb::new();
    let sessions = serve_and_see_tls(&db, &url_for(&db, "127.0.0.1", "")).await;
    assert!(sessions.iter().all(|&tls| tls), "{sessions:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn disable_connects_without_tls() {
    pg_server("disable_connects_without_tls");
    let db = TestDb::new();
    let sessions = serve_and_see_tls(&db, &url_for(&db, "127.0.0.1", "sslmode=disable")).await;
    assert!(sessions.iter().all(|&tls| !tls), "{sessions:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn verify_full_with_the_wrong_root_is_refused_naming_the_certificate() {
    pg_server("verify_full_with_the_wrong_root_is_refused_naming_the_certificate");
    let db = TestDb::new();
    let url = url_for(
        &db,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", unrelated_root()),
    );
    for args in [
        &["migrate", "--database", &url][..],
        &["serve", "--database", &url, "--listen", "127.0.0.1:0"],
    ] {
        let printed = fails(args);
        assert!(
            printed.contains("TLS handshake with localhost:")
                && printed.contains("(sslmode=verify-full)")
                && printed
                    .contains("the server's certificate is not signed by a root in sslrootcert"),
            "{args:?}: {printed}"
        );
        assert!(printed.contains("postgres:***@localhost"), "{printed}");
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn verify_full_with_the_servers_root_and_name_connects_encrypted() {
    pg_server("verify_full_with_the_servers_root_and_name_connects_encrypted");
    let db = TestDb::new();
    let root = server_root(&db.dir()).await;
    let url = url_for(
        &db,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    );
    let sessions = serve_and_see_tls(&db, &url).await;
    assert!(sessions.iter().all(|&tls| tls), "{sessions:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    pg_server("verify_full_checks_the_host_name_and_verify_ca_does_not");
    let db = TestDb::new();
    let root = server_root(&db.dir()).await;
    // The server's certificate names `localhost`, not the address 127.0.0.1.
    let full = url_for(
        &db,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    );
    let printed = fails(&["migrate", "--database", &full]);
    assert!(
        printed.contains("TLS handshake with 127.0.0.1:")
            && printed.contains("the server's certificate is not valid for the host name"),
        "{printed}"
    );

    let ca = url_for(
        &db,
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", root.display()),
    );
    let sessions = serve_and_see_tls(&db, &ca).await;
    assert!(sessions.iter().all(|&tls| tls), "{sessions:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn require_with_a_root_checks_the_chain_as_libpq_does() {
    pg_server("require_with_a_root_checks_the_chain_as_libpq_does");
    let db = TestDb::new();
    let url = url_for(
        &db,
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={}", unrelated_root()),
    );
    let printed = fails(&["migrate", "--database", &url]);
    assert!(
        printed.contains("(sslmode=require)")
            && printed.contains("the server's certificate is not signed by a root in sslrootcert"),
        "{printed}"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn prefer_falls_back_to_plain_when_the_handshake_fails() {
    pg_server("prefer_falls_back_to_plain_when_the_handshake_fails");
    let db = TestDb::new();
    // As in libpq: with a root given, prefer checks the chain, and on failure goes on without TLS.
    let url = url_for(
        &db,
        "127.0.0.1",
        &format!("sslmode=prefer&sslrootcert={}", unrelated_root()),
    );
    let sessions = serve_and_see_tls(&db, &url).await;
    assert!(sessions.iter().all(|&tls| !tls), "{sessions:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with ROLODEX_TEST_POSTGRES set and --run-ignored all (as .ci/run does)"]
async fn copy_and_migrate_honour_the_urls_tls_settings() {
    pg_server("copy_and_migrate_honour_the_urls_tls_settings");
    let source = TestDb::sqlite();
    support::create_token(source.url(), "acme", Some("copied"));
    let target = TestDb::new();
    let root = server_root(&target.dir()).await;

    let wrong = url_for(
        &target,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", unrelated_root()),
    );
    for args in [
        &["migrate", "--database", &wrong][..],
        &["copy", "--quiet", "--from", source.url(), "--to", &wrong],
        &["copy", "--quiet", "--from", &wrong, "--to", source.url()],
    ] {
        let printed = fails(args);
        assert!(
            printed.contains("the server's certificate is not signed by a root in sslrootcert"),
            "{args:?}: {printed}"
        );
    }

    let right = url_for(
        &target,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    );
    succeeds(&["migrate", "--database", &right]);
    let copied = succeeds(&["copy", "--quiet", "--from", source.url(), "--to", &right]);
    assert!(copied.contains("row counts verified"), "{copied}");
    let listed = succeeds(&["tokens", "list", "--json", "--database", &right]);
    assert!(listed.contains("\"name\":\"copied\""), "{listed}");
}
