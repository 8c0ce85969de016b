//! The command line: `serve`, `tokens`, `migrate`, signals, health.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

async fn contacts_status(base: &str, token: &str) -> u16 {
    client()
        .get(format!("{base}{API}/contacts"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[test]
fn help_exits_zero() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["tokens", "--help"],
        &["tokens", "create", "--help"],
        &["migrate", "--help"],
    ] {
        let out = cli(args);
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        assert!(
            !stdout_of(&out).trim().is_empty(),
            "{args:?} printed nothing"
        );
    }
}

#[test]
fn unknown_subcommand_fails() {
    let out = cli(&["frobnicate"]);
    assert!(!out.status.success());
}

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let db = TestDb::new();
    for _ in 0..2 {
        let out = cli(&["migrate", "--database", db.url()]);
        assert!(out.status.success(), "migrate: {}", stderr_of(&out));
    }
}

#[test]
fn bad_database_url_fails_with_one_line_on_stderr() {
    for url in ["bogus://nowhere", "not a url"] {
        for args in [
            vec!["migrate", "--database", url],
            vec!["tokens", "list", "--database", url],
            vec!["serve", "--database", url, "--listen", "127.0.0.1:0"],
        ] {
            let mut cmd = Command::new(bin());
            cmd.args(&args)
                .env_remove("ROLODEX_DATABASE_URL")
                .env_remove("ROLODEX_LISTEN")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().expect("spawn");
            let status = match wait_child(&mut child, Duration::from_secs(20)) {
                Some(s) => s,
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{args:?} did not exit");
                }
            };
            let out = child.wait_with_output().expect("output");
            assert!(!status.success(), "{args:?} succeeded");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                stderr.trim().lines().count(),
                1,
                "{args:?}: expected one stderr line, got {stderr:?}"
            );
        }
    }
}

#[test]
fn tokens_create_prints_the_token_last() {
    let db = TestDb::new();
    let out = cli(&[
        "tokens",
        "create",
        "--tenant",
        "acme",
        "--name",
        "ci",
        "--database",
        db.url(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let token = last_line(&stdout_of(&out));
    assert!(token.len() >= 16, "short token {token:?}");
    assert!(!token.contains(char::is_whitespace), "token {token:?}");
    // A second token differs.
    let other = create_token(db.url(), "acme", Some("ci2"));
    assert_ne!(token, other);
}

#[tokio::test]
async fn created_tokens_work_against_the_server() {
    let s = TestServer::start().await;
    let t = s.token("acme");
    assert_eq!(contacts_status(&s.process.base, &t).await, 200);
    let g = s.token("globex");
    assert_eq!(contacts_status(&s.process.base, &g).await, 200);
}

#[tokio::test]
async fn tokens_list_shows_no_secret() {
    let s = TestServer::start().await;
    let secret = s.named_token("acme", "listed-token");
    let out = cli(&["tokens", "list", "--database", s.database_url()]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("listed-token"), "{text}");
    assert!(!text.contains(&secret), "secret in list output: {text}");
    assert!(!text.contains(&s.token), "secret in list output: {text}");
    assert!(text.contains("acme"), "{text}");
}

#[tokio::test]
async fn tokens_list_filters_by_tenant() {
    let s = TestServer::start().await;
    s.named_token("acme", "acme-token-one");
    s.named_token("globex", "globex-token-one");
    let out = cli(&[
        "tokens",
        "list",
        "--tenant",
        "acme",
        "--database",
        s.database_url(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("acme-token-one"), "{text}");
    assert!(!text.contains("globex-token-one"), "{text}");
}

#[tokio::test]
async fn tokens_revoke_makes_the_token_fail() {
    let s = TestServer::start().await;
    let t = s.named_token("acme", "revoke-me-please");
    assert_eq!(contacts_status(&s.process.base, &t).await, 200);
    let list = cli(&["tokens", "list", "--database", s.database_url()]);
    let id = token_id_from_list(&stdout_of(&list), "revoke-me-please");
    let out = cli(&["tokens", "revoke", &id, "--database", s.database_url()]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The server may remember a token check for a moment (at most about a second).
    sleep_secs(1.2).await;
    assert_eq!(contacts_status(&s.process.base, &t).await, 401);
    assert_eq!(contacts_status(&s.process.base, &s.token).await, 200);
}

#[test]
fn tokens_revoke_of_unknown_id_fails() {
    let db = TestDb::new();
    create_token(db.url(), "acme", None);
    let out = cli(&["tokens", "revoke", "987654", "--database", db.url()]);
    assert!(!out.status.success());
}

#[test]
fn database_url_from_environment() {
    let db = TestDb::new();
    let out = cli_env(
        &["tokens", "create", "--tenant", "acme"],
        &[("ROLODEX_DATABASE_URL", db.url())],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let list = cli(&["tokens", "list", "--database", db.url()]);
    assert!(list.status.success());
    assert!(stdout_of(&list).contains("acme"));
}

#[tokio::test]
async fn listen_address_from_environment() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let p = ServeProcess::spawn_args(
        &db,
        &["serve"],
        &[
            ("ROLODEX_DATABASE_URL", db.url()),
            ("ROLODEX_LISTEN", "127.0.0.1:0"),
        ],
    );
    assert_ne!(p.port, 0);
    assert_eq!(contacts_status(&p.base, &token).await, 200);
}

#[tokio::test]
async fn health_is_ok() {
    let s = TestServer::start().await;
    let r = client().get(s.url("/health")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn listening_line_is_exact() {
    let db = TestDb::new();
    create_token(db.url(), "acme", None);
    let p = ServeProcess::spawn(&db, &[], &[]);
    let line = p.stdout_before_listening.last().unwrap();
    assert_eq!(
        line,
        &format!("rolodex listening on http://127.0.0.1:{}", p.port)
    );
    // Exactly one such line.
    let count = p
        .stdout_before_listening
        .iter()
        .filter(|l| l.starts_with("rolodex listening on"))
        .count();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn serve_on_a_fresh_database_prints_a_working_demo_token() {
    let db = TestDb::new();
    let p = ServeProcess::spawn(&db, &[], &[]);
    // Give a token printed after the listening line a moment to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut text: Vec<String> = p.stdout_before_listening.clone();
    text.extend(p.rest.try_iter());
    text.push(p.stderr());
    let candidates: Vec<String> = text
        .iter()
        .flat_map(|l| {
            l.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '`')
                .map(|w| w.trim_end_matches(['.', ',']).to_string())
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() >= 16 && !w.starts_with("http"))
        .collect();
    let mut found = false;
    for c in candidates.iter().take(200) {
        if contacts_status(&p.base, c).await == 200 {
            found = true;
            break;
        }
    }
    assert!(found, "no working demo token printed; output: {text:?}");
    let list = cli(&["tokens", "list", "--database", db.url()]);
    assert!(stdout_of(&list).contains("demo"), "{}", stdout_of(&list));
}

#[tokio::test]
async fn serve_does_not_create_demo_tenant_when_a_tenant_exists() {
    let db = TestDb::new();
    create_token(db.url(), "acme", Some("only-token"));
    let _p = ServeProcess::spawn(&db, &[], &[]);
    let list = cli(&["tokens", "list", "--database", db.url()]);
    assert!(!stdout_of(&list).contains("demo"), "{}", stdout_of(&list));
}

#[tokio::test]
async fn sigterm_exits_zero() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut p = ServeProcess::spawn(&db, &[], &[]);
    assert_eq!(contacts_status(&p.base, &token).await, 200);
    p.signal("TERM");
    let status = p.wait_timeout(Duration::from_secs(15)).expect("exited");
    assert_eq!(
        status.code(),
        Some(0),
        "status {status:?}; stderr {}",
        p.stderr()
    );
}

#[tokio::test]
async fn sigint_exits_zero() {
    let db = TestDb::new();
    create_token(db.url(), "acme", None);
    let mut p = ServeProcess::spawn(&db, &[], &[]);
    p.signal("INT");
    let status = p.wait_timeout(Duration::from_secs(15)).expect("exited");
    assert_eq!(
        status.code(),
        Some(0),
        "status {status:?}; stderr {}",
        p.stderr()
    );
}

#[tokio::test]
async fn data_survives_a_restart() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut p = ServeProcess::spawn(&db, &[], &[]);
    let c = client();
    let r = c
        .post(format!("{}{API}/companies", p.base))
        .bearer_auth(&token)
        .json(&json!({"name": "Persisted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["data"]["id"].clone();
    p.stop();
    let p2 = ServeProcess::spawn(&db, &[], &[]);
    let r = c
        .get(format!("{}{API}/companies/{id}", p2.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[test]
fn port_in_use_fails() {
    let db = TestDb::new();
    create_token(db.url(), "acme", None);
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let mut child = Command::new(bin())
        .args(["serve", "--database", db.url(), "--listen", &addr])
        .env_remove("ROLODEX_DATABASE_URL")
        .env_remove("ROLODEX_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = match wait_child(&mut child, Duration::from_secs(20)) {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve on a busy port did not exit");
        }
    };
    let out = child.wait_with_output().unwrap();
    assert!(!status.success(), "serve on a busy port succeeded");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("rolodex listening on"), "{stdout}");
    assert!(!String::from_utf8_lossy(&out.stderr).trim().is_empty());
    drop(busy);
}

#[tokio::test]
async fn in_flight_request_finishes_on_sigterm() {
    use std::io::{Read, Write};

    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut p = ServeProcess::spawn(&db, &[], &[]);
    let co = client()
        .post(format!("{}{API}/companies", p.base))
        .bearer_auth(&token)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["data"]["id"]
        .clone();
    // Send the headers and half of the body, signal, then send the rest: the request is in
    // flight while the server shuts down, and must still be answered.
    let body = json!({"first_name": "InFlight", "company_id": co}).to_string();
    let (first, second) = body.split_at(body.len() / 2);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(
        stream,
        "POST {API}/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(second.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "in-flight request not answered: {response:?}"
    );
    let status = p.wait_timeout(Duration::from_secs(15)).expect("exited");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn stdout_carries_only_the_listening_line() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let p = ServeProcess::spawn(&db, &[], &[]);
    assert_eq!(
        p.stdout_before_listening.len(),
        1,
        "{:?}",
        p.stdout_before_listening
    );
    for _ in 0..3 {
        assert_eq!(contacts_status(&p.base, &token).await, 200);
    }
    assert_eq!(contacts_status(&p.base, "bad-token-value").await, 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let later: Vec<String> = p.rest.try_iter().collect();
    assert!(later.is_empty(), "more stdout: {later:?}");
}

#[tokio::test]
async fn passwords_and_tokens_are_never_logged() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut p = ServeProcess::spawn(&db, &[], &[]);
    let c = client();
    let co = c
        .post(format!("{}{API}/companies", p.base))
        .bearer_auth(&token)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["data"]["id"]
        .clone();
    let password = "Sup3r-Secret-Passw0rd-XYZ";
    let r = c
        .post(format!("{}{API}/contacts", p.base))
        .bearer_auth(&token)
        .json(&json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": password
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let body = r.text().await.unwrap();
    assert!(!body.contains(password));
    // A failing request too (validation error carrying the password).
    let r = c
        .post(format!("{}{API}/contacts", p.base))
        .bearer_auth(&token)
        .json(&json!({"first_name": "", "company_id": co, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(!r.text().await.unwrap().contains(password));
    p.stop();
    let logs = p.stderr();
    assert!(!logs.contains(password), "password in logs:\n{logs}");
    assert!(!logs.contains(&token), "token in logs:\n{logs}");
}

#[tokio::test]
async fn body_limit_is_configurable() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let p = ServeProcess::spawn(&db, &["--body-limit", "2000"], &[]);
    let c = client();
    let small = json!({"name": "x".repeat(100)});
    let r = c
        .post(format!("{}{API}/companies", p.base))
        .bearer_auth(&token)
        .json(&small)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let big = json!({"name": "Big", "junk": "x".repeat(3000)});
    let r = c
        .post(format!("{}{API}/companies", p.base))
        .bearer_auth(&token)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["message"].is_string());
}

#[test]
fn invalid_listen_address_fails() {
    let db = TestDb::new();
    create_token(db.url(), "acme", None);
    let out = cli(&[
        "serve",
        "--database",
        db.url(),
        "--listen",
        "not-an-address",
    ]);
    assert!(!out.status.success());
    assert!(!stderr_of(&out).trim().is_empty());
    assert!(!stdout_of(&out).contains("rolodex listening on"));
}

#[test]
fn tokens_commands_reject_bad_arguments() {
    let db = TestDb::new();
    for args in [
        vec!["tokens", "create", "--database", db.url()],
        vec!["tokens", "revoke", "abc", "--database", db.url()],
        vec!["tokens", "revoke", "--database", db.url()],
    ] {
        let out = cli(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
    }
}

#[tokio::test]
async fn migrate_then_serve() {
    let db = TestDb::new();
    let out = cli(&["migrate", "--database", db.url()]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let token = create_token(db.url(), "acme", None);
    let p = ServeProcess::spawn(&db, &[], &[]);
    assert_eq!(contacts_status(&p.base, &token).await, 200);
}

/// Everything the database holds, as text: the SQLite files (and server logs) in the test's
/// directory, or a `pg_dump` of the PostgreSQL database.
fn database_contents(db: &TestDb) -> String {
    if db.is_postgres() {
        let out = Command::new("pg_dump")
            .arg("--data-only")
            .arg(db.url())
            .output()
            .expect("run pg_dump");
        assert!(out.status.success(), "{}", stderr_of(&out));
        return stdout_of(&out);
    }
    let mut all = String::new();
    for entry in std::fs::read_dir(db.dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        all.push_str(&String::from_utf8_lossy(&bytes));
    }
    all
}

#[tokio::test]
async fn secrets_are_stored_only_as_hashes() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let mut p = ServeProcess::spawn(&db, &[], &[]);
    let c = client();
    let co = c
        .post(format!("{}{API}/companies", p.base))
        .bearer_auth(&token)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["data"]["id"]
        .clone();
    let password = "Plain-Text-Password-4711";
    let r = c
        .post(format!("{}{API}/contacts", p.base))
        .bearer_auth(&token)
        .json(&json!({
            "first_name": "A", "company_id": co, "email": "a@example.com", "password": password
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    p.stop();
    let contents = database_contents(&db);
    assert!(
        contents.contains("a@example.com"),
        "dump does not show the data"
    );
    assert!(!contents.contains(password), "password stored in clear");
    assert!(!contents.contains(&token), "token stored in clear");
    assert!(
        contents.contains("$argon2id$"),
        "password hash is not argon2id"
    );
}

/// A database URL with a password, as an operator would put it in the environment. Port 1 on
/// the loopback refuses connections at once.
const SECRET: &str = "s3cretpw";
const URL_WITH_PASSWORD: &str = "postgres://u:s3cretpw@127.0.0.1:1/db";

#[test]
fn help_never_prints_the_database_password_from_the_environment() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["copy", "--help"],
        &["tokens", "--help"],
        &["tokens", "create", "--help"],
        &["tokens", "list", "--help"],
        &["tokens", "revoke", "--help"],
        &["backup", "--help"],
        &["completions", "--help"],
        &["help", "backup"],
    ] {
        let out = cli_env(args, &[("ROLODEX_DATABASE_URL", URL_WITH_PASSWORD)]);
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        let printed = format!("{}{}", stdout_of(&out), stderr_of(&out));
        assert!(
            !printed.contains(SECRET),
            "{args:?} printed the password:\n{printed}"
        );
    }
    // The variable is still named, so an operator knows where the value comes from.
    let out = cli_env(
        &["serve", "--help"],
        &[("ROLODEX_DATABASE_URL", URL_WITH_PASSWORD)],
    );
    assert!(stdout_of(&out).contains("ROLODEX_DATABASE_URL"));
}

/// Runs `rolodex ARGS...` (with `envs`), expects it to fail, and returns its stderr.
fn failure_of(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = cli_env(args, envs);
    assert!(!out.status.success(), "{args:?} succeeded");
    format!("{}{}", stdout_of(&out), stderr_of(&out))
}

#[test]
fn an_unreachable_database_fails_without_printing_its_password() {
    let env = [("ROLODEX_DATABASE_URL", URL_WITH_PASSWORD)];
    for args in [
        &["migrate"][..],
        &["tokens", "list"],
        &["tokens", "revoke", "1"],
        &["serve", "--listen", "127.0.0.1:0"],
    ] {
        let printed = failure_of(args, &env);
        assert!(!printed.contains(SECRET), "{args:?}: {printed}");
        assert!(
            printed.contains("127.0.0.1:1"),
            "{args:?} does not name the host: {printed}"
        );
        assert!(printed.contains("u:***@"), "{args:?}: {printed}");
    }
    let printed = failure_of(&["migrate", "--database", URL_WITH_PASSWORD], &[]);
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(printed.contains("127.0.0.1:1"), "{printed}");
}

#[test]
fn an_unparsable_database_url_fails_without_printing_its_password() {
    for url in [
        // An invalid port: neither a URL nor a connection string.
        "postgres://u:s3cretpw@127.0.0.1:notaport/db",
        // A password with an unencoded `/`, which ends a URL's host.
        "postgres://u:s3c/retpw@127.0.0.1:1/db",
        // An unknown scheme.
        "mysql://u:s3cretpw@127.0.0.1:1/db",
        // An unknown option.
        "postgres://u:s3cretpw@127.0.0.1:1/db?frobnicate=1",
    ] {
        let printed = failure_of(&["migrate", "--database", url], &[]);
        for part in ["s3cretpw", "s3c", "retpw"] {
            assert!(!printed.contains(part), "{url}: {printed}");
        }
        assert!(
            printed.contains("127.0.0.1"),
            "{url} does not name the host: {printed}"
        );
    }
}
