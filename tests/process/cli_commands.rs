//! The command line's conveniences: `--database` (and the other database options) before the
//! subcommand as well as after it, `tokens list --json`, and shell completions.

use std::process::Command;

use serde_json::Value;

use crate::pg_common::Api;
use crate::support::{ServeProcess, TestDb, cli, stderr_of, stdout_of};

fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr_of(&out));
    stdout_of(&out)
}

fn tokens_json(url: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["tokens", "list", "--json", "--database", url];
    args.extend_from_slice(extra);
    let printed = ok(&args);
    match serde_json::from_str(&printed) {
        Ok(Value::Array(items)) => items,
        other => panic!("not a JSON array: {other:?} from {printed:?}"),
    }
}

#[tokio::test]
async fn the_database_options_are_accepted_before_the_subcommand() {
    let db = TestDb::new();
    let url = db.url();
    let created = ok(&["--database", url, "tokens", "create", "--tenant", "acme"]);
    let token = crate::support::last_line(&created);
    ok(&["--database", url, "--pool-size", "4", "migrate"]);
    assert_eq!(tokens_json(url, &[]).len(), 1);

    let server = ServeProcess::spawn_args(
        &db,
        &[
            "--database",
            url,
            "--statement-timeout-ms",
            "2000",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let reply = Api::new(&server, &token).get("/contacts").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // The use is recorded off the request's path: wait for it to show in the list.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let listed = tokens_json(url, &[]);
        if let Some(at) = listed[0]["last_used_at"].as_str() {
            assert!(at.ends_with('Z') && at.len() == 20, "{at}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "last_used_at never set: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // No demo tenant: the server opened the database the token was made in.
    assert!(
        !server
            .stdout_before_listening
            .iter()
            .any(|l| l.contains("demo")),
        "{:?}",
        server.stdout_before_listening
    );
}

#[test]
fn tokens_list_json_is_an_array_of_tokens_without_secrets() {
    let db = TestDb::new();
    assert!(tokens_json(db.url(), &[]).is_empty());
    let first = crate::support::create_token(db.url(), "acme", Some("ci"));
    let second = crate::support::create_token(db.url(), "globex", None);
    ok(&["tokens", "revoke", "2", "--database", db.url()]);

    let items = tokens_json(db.url(), &[]);
    let printed = serde_json::to_string(&items).expect("json");
    for secret in [&first, &second] {
        assert!(!printed.contains(secret.as_str()), "{printed}");
    }
    assert_eq!(items.len(), 2, "{printed}");
    let keys: Vec<&str> = items[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "tenant",
            "name",
            "prefix",
            "created_at",
            "revoked_at",
            "last_used_at"
        ]
    );
    // Never used.
    assert_eq!(items[0]["last_used_at"], Value::Null);
    assert_eq!(items[0]["id"], 1);
    assert_eq!(items[0]["tenant"], "acme");
    assert_eq!(items[0]["name"], "ci");
    assert_eq!(items[0]["prefix"], &first[..8]);
    assert_eq!(items[0]["revoked_at"], Value::Null);
    let created = items[0]["created_at"].as_str().expect("created_at");
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    assert_eq!(items[1]["tenant"], "globex");
    assert_eq!(items[1]["name"], Value::Null);
    assert!(items[1]["revoked_at"].is_string(), "{printed}");

    let acme = tokens_json(db.url(), &["--tenant", "acme"]);
    assert_eq!(acme.len(), 1);
    assert_eq!(acme[0]["tenant"], "acme");
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    let bash = ok(&["completions", "bash"]);
    assert!(bash.contains("_rolodex()"), "{bash}");
    for word in [
        "serve",
        "migrate",
        "tokens",
        "copy",
        "backup",
        "completions",
        "--database",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    // The script is valid bash.
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("rolodex.bash");
    std::fs::write(&script, &bash).expect("write");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("run bash -n");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    let zsh = ok(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef rolodex"), "{zsh}");
    assert!(
        zsh.contains("backup") && zsh.contains("--database"),
        "{zsh}"
    );

    let fish = ok(&["completions", "fish"]);
    assert!(fish.contains("complete -c rolodex"), "{fish}");
    assert!(
        fish.contains("backup") && fish.contains("database"),
        "{fish}"
    );

    let out = cli(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("invalid value 'tcsh' for '<SHELL>'"),
        "{}",
        stderr_of(&out)
    );
}
