//! `rolodex backup --to FILE`: an online copy of a SQLite database, taken while the server runs
//! and writes; checked with `PRAGMA integrity_check`; never over an existing file unless asked;
//! PostgreSQL is pointed to `pg_dump`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::pg_common::Api;
use crate::support::{ServeProcess, TestDb, cli, create_token, stderr_of, stdout_of};

/// `PRAGMA integrity_check` of the file, and the ids of its contacts.
fn inspect(path: &Path) -> (Vec<String>, Vec<i64>) {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let check = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("integrity_check");
    let ids = conn
        .prepare("SELECT id FROM contacts ORDER BY id")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("contact ids");
    (check, ids)
}

fn backup(url: &str, to: &Path, extra: &[&str]) -> std::process::Output {
    let to = to.to_string_lossy();
    let mut args = vec!["backup", "--database", url, "--to", &to];
    args.extend_from_slice(extra);
    cli(&args)
}

#[tokio::test]
async fn a_backup_under_write_load_is_consistent_and_holds_what_was_committed_before() {
    let db = TestDb::sqlite();
    let token = create_token(db.url(), "acme", Some("load"));
    let server = ServeProcess::spawn(&db, &[], &[]);
    let api = Api::new(&server, &token);
    let company = api.company("Acme").await;
    let mut before = Vec::new();
    for i in 0..40 {
        let id = api
            .contact(json!({"first_name": format!("Before {i}"), "company_id": company}))
            .await;
        before.push(id.parse::<i64>().expect("numeric id"));
    }

    // Writers keep creating contacts (and tagging them) until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (api, stop, written) = (api.clone(), Arc::clone(&stop), Arc::clone(&written));
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            // Bounded: at most 5,000 requests per writer.
            while !stop.load(Ordering::SeqCst) && n < 5_000 {
                let id = api
                    .contact(json!({
                        "first_name": format!("During {w}.{n}"), "company_id": company, "tags": ["load"],
                    }))
                    .await;
                api.post(&format!("/contacts/{id}"), json!({"last_name": "Updated"}))
                    .await
                    .expect(200);
                written.fetch_add(1, Ordering::SeqCst);
                n += 1;
            }
        }));
    }
    while written.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let target = db.dir().join("backup.db");
    let url = db.url().to_owned();
    let at_start = written.load(Ordering::SeqCst);
    let (path, out) = {
        let target = target.clone();
        tokio::task::spawn_blocking(move || {
            let out = backup(&url, &target, &[]);
            (target, out)
        })
        .await
        .expect("backup task")
    };
    let during = written.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("writer");
    }
    assert!(out.status.success(), "backup failed: {}", stderr_of(&out));
    let said = stdout_of(&out);
    assert!(
        said.starts_with(&format!("backed up {} to {}", db.url(), path.display()))
            && said.trim_end().ends_with("integrity_check: ok"),
        "{said}"
    );
    eprintln!("writes: {at_start} before the backup, {during} when it ended");
    assert!(
        during > at_start,
        "no write completed while the backup ran ({at_start} before, {during} after)"
    );

    let (check, ids) = inspect(&path);
    assert_eq!(check, ["ok"]);
    for id in &before {
        assert!(
            ids.contains(id),
            "contact {id}, committed before the backup, is missing"
        );
    }
    let total = written.load(Ordering::SeqCst) + before.len();
    assert!(
        ids.len() >= before.len() + 20 && ids.len() <= total,
        "{} contacts in the backup; {} before it began, {total} in all",
        ids.len(),
        before.len()
    );

    // The copy is a Rolodex database: the command line reads it, the token is there.
    let listed = cli(&[
        "tokens",
        "list",
        "--json",
        "--database",
        &format!("sqlite://{}", path.display()),
    ]);
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    assert!(
        stdout_of(&listed).contains("\"name\":\"load\""),
        "{}",
        stdout_of(&listed)
    );
}

#[test]
fn an_existing_file_is_kept_unless_overwrite_is_given() {
    let db = TestDb::sqlite();
    create_token(db.url(), "acme", None);
    let target = db.dir().join("existing.db");
    std::fs::write(&target, "keep me").expect("write");

    let out = backup(db.url(), &target, &[]);
    assert!(!out.status.success());
    assert_eq!(
        stderr_of(&out).trim_end(),
        format!(
            "rolodex: error: {} already exists; pass --overwrite to replace it",
            target.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep me");

    let out = backup(db.url(), &target, &["--overwrite"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(inspect(&target).0, ["ok"]);
    // Nothing is left behind beside it.
    let leftovers: Vec<String> = std::fs::read_dir(db.dir())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_database_itself_is_never_the_target() {
    let db = TestDb::sqlite();
    create_token(db.url(), "acme", None);
    let path = db.url().trim_start_matches("sqlite://").to_owned();
    let out = backup(db.url(), Path::new(&path), &["--overwrite"]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains(&format!("the backup target {path} is the database itself")),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(inspect(Path::new(&path)).0, ["ok"]);
}

#[test]
fn a_missing_database_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("missing.db");
    let out = backup(
        &format!("sqlite://{}", source.display()),
        &dir.path().join("backup.db"),
        &[],
    );
    assert!(!out.status.success());
    assert_eq!(
        stderr_of(&out).trim_end(),
        format!("rolodex: error: no SQLite database at {}", source.display())
    );
    assert!(!source.exists());
    assert!(!dir.path().join("backup.db").exists());
}

#[test]
fn postgres_is_pointed_to_pg_dump() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("backup.db");
    // Nothing listens on port 1: the command must not need the server to answer.
    let out = backup("postgres://u:s3cretpw@127.0.0.1:1/db", &target, &[]);
    assert!(!out.status.success());
    let said = stderr_of(&out);
    assert!(
        said.contains("rolodex backup copies SQLite databases; back PostgreSQL up with its own tools, e.g. `pg_dump"),
        "{said}"
    );
    assert!(!said.contains("s3cretpw"), "{said}");
    assert!(!target.exists());
}

#[test]
fn another_scheme_is_refused_without_its_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = backup(
        "mysql://u:s3cretpw@127.0.0.1/db",
        &dir.path().join("b.db"),
        &[],
    );
    assert!(!out.status.success());
    assert_eq!(
        stderr_of(&out).trim_end(),
        "rolodex: error: unsupported database URL \"mysql://u:***@127.0.0.1/db\": rolodex backup takes sqlite://PATH"
    );
}
