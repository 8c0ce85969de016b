//! Durability under load (issue 5): while writers update and create contacts over HTTP, the server
//! is killed with SIGKILL; after a restart on the same SQLite file every write that was answered
//! 2xx is present with its acknowledged values, and `PRAGMA integrity_check` says ok.
//!
//! Self-contained: it seeds through the library, spawns the `rolodex` binary itself, and shares
//! the scenario with `rolodex-bench --crash` (which runs it at full scale) through `#[path]`.

use std::path::Path;
use std::time::Duration;

use rolodex::store::{Database, DbOptions, StoreError};

use crate::{bench_crash as crash, bench_seed as seed};

async fn seeded(path: &Path, contacts: u64) -> anyhow::Result<(String, seed::Layout)> {
    let url = format!("sqlite://{}", path.display());
    let db = Database::open(&url, &DbOptions::default()).await?;
    let (_, token) = rolodex::service::tokens::create(&db, "crash", None).await?;
    let tenant = db
        .read::<_, StoreError>(async |tx| {
            tx.query_one("SELECT id FROM tenants WHERE slug = 'crash'", &[])
                .await?
                .int(0)
        })
        .await?;
    let layout = seed::seed(&db, tenant, contacts, rolodex::store::now_seconds()).await?;
    Ok((token, layout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("rolodex-crash-")
        .tempdir()?;
    let path = dir.path().join("crash.db");
    let (token, layout) = seeded(&path, 400).await?;
    let cfg = crash::CrashConfig {
        writers: 16,
        run_for: Duration::from_millis(1500),
        first_contact_id: layout.first_contact_id,
        contacts: layout.contacts,
        first_company_id: layout.first_company_id,
        companies: layout.companies,
    };
    let report = crash::run(
        Path::new(env!("CARGO_BIN_EXE_rolodex")),
        &format!("sqlite://{}", path.display()),
        Some(&path),
        &token,
        &dir.path().join("server.log"),
        cfg,
    )
    .await?;
    eprintln!("{report:#?}");
    assert!(
        report.acked_updates > 0,
        "no write was acknowledged before the kill"
    );
    assert!(report.checked_values > 0);
    assert_eq!(report.integrity_check, "ok");
    assert!(
        report.failures.is_empty(),
        "acknowledged writes lost: {:#?}",
        report.failures
    );
    Ok(())
}
