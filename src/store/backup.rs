//! `rolodex backup`: an online copy of a SQLite database, safe while the server writes to it.
//!
//! `VACUUM INTO` reads the source inside one read transaction, so the copy is the database as of
//! one commit (WAL: writers go on meanwhile, nobody waits), and writes it as a fresh, compact
//! file. The copy is written beside the target under a temporary name, checked with `PRAGMA
//! integrity_check`, flushed to disk and only then renamed into place: a target that exists is a
//! complete, checked backup, never a partial one. PostgreSQL has its own tools (`pg_dump`).

use std::path::{Path, PathBuf};

/// What `rolodex backup` did.
#[derive(Debug)]
pub struct BackupReport {
    /// Size of the backup file, in bytes.
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "rolodex backup copies SQLite databases; back PostgreSQL up with its own tools, e.g. \
         `pg_dump --format=custom --file=rolodex.dump DATABASE_URL` (restore with pg_restore)"
    )]
    Postgres,
    /// The URL, already without its password.
    #[error("unsupported database URL {0:?}: rolodex backup takes sqlite://PATH")]
    UnsupportedUrl(String),
    #[error("no SQLite database at {}", .0.display())]
    NoSource(PathBuf),
    #[error("{} already exists; pass --overwrite to replace it", .0.display())]
    TargetExists(PathBuf),
    #[error("the backup target {} is the database itself", .0.display())]
    TargetIsSource(PathBuf),
    #[error("the copy failed PRAGMA integrity_check (nothing was written to the target): {0}")]
    Integrity(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Io { context, source }
}

/// Backs the database named by `url` up to the file `to` (see the module documentation).
pub fn backup(url: &str, to: &Path, overwrite: bool) -> Result<BackupReport, BackupError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        backup_sqlite(Path::new(path), to, overwrite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Err(BackupError::Postgres)
    } else {
        Err(BackupError::UnsupportedUrl(crate::secrets::redact_url(url)))
    }
}

fn backup_sqlite(source: &Path, to: &Path, overwrite: bool) -> Result<BackupReport, BackupError> {
    if !source.is_file() {
        return Err(BackupError::NoSource(source.to_path_buf()));
    }
    if to.exists() {
        if !overwrite {
            return Err(BackupError::TargetExists(to.to_path_buf()));
        }
        let same = std::fs::canonicalize(to).ok() == std::fs::canonicalize(source).ok();
        if same {
            return Err(BackupError::TargetIsSource(to.to_path_buf()));
        }
    }
    let name = to
        .file_name()
        .ok_or_else(|| BackupError::Io {
            context: format!("backup target {}", to.display()),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?
        .to_string_lossy()
        .into_owned();
    let dir = match to.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let partial = dir.join(format!(".{name}.partial-{}", std::process::id()));
    // A leftover of an earlier run of this process id (VACUUM INTO refuses a non-empty file).
    let _ = std::fs::remove_file(&partial);

    let result = write_checked_copy(source, &partial);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    // Checked when the work started too; a target created meanwhile is not replaced either.
    if !overwrite && to.exists() {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::TargetExists(to.to_path_buf()));
    }
    std::fs::rename(&partial, to).map_err(io(format!("rename to {}", to.display())))?;
    // The rename itself reaches the disk with the directory.
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    let bytes = std::fs::metadata(to)
        .map_err(io(format!("stat {}", to.display())))?
        .len();
    Ok(BackupReport { bytes })
}

/// `VACUUM INTO partial`, then `integrity_check` of the copy and an fsync.
fn write_checked_copy(source: &Path, partial: &Path) -> Result<(), BackupError> {
    use rusqlite::OpenFlags;
    // Read-write without create: a read-only connection to a WAL database needs its `-shm` file
    // to exist already, which it does not when no server runs. Nothing is written through it.
    let conn = rusqlite::Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let target = partial.to_string_lossy().into_owned();
    conn.execute("VACUUM INTO ?1", [&target])?;
    drop(conn);

    let copy = rusqlite::Connection::open_with_flags(
        partial,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut statement = copy.prepare("PRAGMA integrity_check")?;
    let findings = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    drop(statement);
    drop(copy);
    if findings != ["ok"] {
        return Err(BackupError::Integrity(findings.join("; ")));
    }
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("fsync {}", partial.display())))?;
    Ok(())
}
