//! `--database sqlite::memory:`: a private SQLite database that is gone when the process exits.
//!
//! Several connections (the writer, the readers, the checkpointer) must see one database, which
//! SQLite's `:memory:` cannot give (one database per connection; shared cache has table locks
//! instead of WAL). So it is an ordinary database file in a private directory (mode 0700) on
//! `/dev/shm` (memory) where there is one, else the temporary directory; the directory is
//! removed when the last handle on the database is dropped (the server stopping), and a later
//! start removes those left by a process that was killed.

use std::path::{Path, PathBuf};

use super::StoreError;

/// The URLs that ask for it.
pub fn is_memory_url(url: &str) -> bool {
    matches!(
        url,
        "sqlite::memory:" | "sqlite://:memory:" | "sqlite:memory:"
    )
}

const PREFIX: &str = "rolodex-memory-";

/// The private directory of one ephemeral database; removed on drop.
#[derive(Debug)]
pub struct EphemeralDir {
    path: PathBuf,
}

fn base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

impl EphemeralDir {
    pub fn create() -> Result<Self, StoreError> {
        let base = base();
        sweep(&base);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = base.join(format!("{PREFIX}{}-{nanos}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path).map_err(|e| {
            StoreError::unavailable_because(
                format!(
                    "cannot create the ephemeral database directory {}",
                    path.display()
                ),
                e,
            )
        })?;
        Ok(Self { path })
    }

    /// The database file inside it.
    pub fn database(&self) -> PathBuf {
        self.path.join("rolodex.db")
    }
}

impl Drop for EphemeralDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the directories of processes that no longer run (killed before they could).
fn sweep(base: &Path) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_is_private_and_goes_on_drop() {
        let dir = EphemeralDir::create().unwrap();
        let path = dir.path.clone();
        assert!(path.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn memory_urls() {
        assert!(is_memory_url("sqlite::memory:"));
        assert!(is_memory_url("sqlite://:memory:"));
        assert!(!is_memory_url("sqlite://memory.db"));
    }
}
