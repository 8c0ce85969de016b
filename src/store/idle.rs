//! Giving memory back after a load (SQLite).
//!
//! Under load each SQLite connection fills its page cache (the writer's 32 MiB, 8 MiB per reader)
//! and the heap grows; glibc keeps freed memory in its arenas, so without this the process stays
//! at its peak RSS for good. Once a connection has had no job for [`IDLE_RELEASE_AFTER`], its own
//! thread releases its page cache (`sqlite3_db_release_memory`), once per idle spell. The release
//! that leaves every connection of the database with a cold cache then trims the heap
//! (`malloc_trim(0)`, glibc only): one trim per idle spell of the whole store, after every cache
//! is freed, not one per thread.
//!
//! The cost is a cold cache for the next burst. Nothing is done between jobs under load: a
//! connection must first have waited a whole idle period for its next job, and the release runs
//! on its own thread, which takes the next job right after.
//!
//! Readers take jobs in turn, so traffic that keeps every reader busy at least once per period
//! (e.g. `GET /health` probes, which read, more often than every period ÷ readers) keeps them from
//! going idle; the probes that do not read (`/health/live`) do not count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a connection waits without a job before it releases its page cache: longer than the
/// pauses inside a burst of traffic, short enough that the memory comes back soon after it.
pub const IDLE_RELEASE_AFTER: Duration = Duration::from_secs(15);

/// A connection whose cache holds at most this much counts as cold; the heap is trimmed only
/// once at least this much cache was released since the last trim (probes that wake a reader
/// release a few pages: not worth a trim each).
const COLD_CACHE_BYTES: u64 = 1024 * 1024;

/// The idle state shared by the connection threads of one database.
pub(super) struct IdleRelease {
    /// `None`: never release.
    after: Option<Duration>,
    /// Each connection's page cache in bytes, as of its last job or release.
    caches: Box<[AtomicU64]>,
    /// Cache bytes released since the heap was last trimmed.
    released: AtomicU64,
    /// Heap trims so far.
    trims: AtomicU64,
}

impl IdleRelease {
    /// For `connections` connections (each uses its own slot, `0..connections`).
    pub(super) fn new(after: Option<Duration>, connections: usize) -> Self {
        Self {
            after: after.filter(|d| !d.is_zero()),
            caches: (0..connections).map(|_| AtomicU64::new(0)).collect(),
            released: AtomicU64::new(0),
            trims: AtomicU64::new(0),
        }
    }

    /// How long a connection waits for a job before it releases its cache; `None`: forever.
    pub(super) fn after(&self) -> Option<Duration> {
        self.after
    }

    /// Records connection `slot`'s cache size (after a job).
    pub(super) fn record(&self, slot: usize, cache_bytes: u64) {
        // The slots share a cache line: under load a cache stays at its size, so reading first
        // spares the other threads' cores a write to it after every job.
        if let Some(c) = self.caches.get(slot)
            && c.load(Ordering::Relaxed) != cache_bytes
        {
            c.store(cache_bytes, Ordering::SeqCst);
        }
    }

    /// Connection `slot` released its cache (from `before` to `after` bytes). Trims the heap
    /// when that leaves every connection cold and enough was released since the last trim.
    pub(super) fn released(&self, slot: usize, before: u64, after: u64) {
        self.record(slot, after);
        self.released
            .fetch_add(before.saturating_sub(after), Ordering::SeqCst);
        let all_cold = self
            .caches
            .iter()
            .all(|c| c.load(Ordering::SeqCst) <= COLD_CACHE_BYTES);
        // While another connection is warm, the released bytes wait for its release. SeqCst:
        // of two connections releasing at once, at least one sees both caches cold. The swap
        // makes one thread do the trim.
        if all_cold && self.released.swap(0, Ordering::SeqCst) >= COLD_CACHE_BYTES {
            trim_heap();
            self.trims.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Heap trims so far (one per idle spell of the store).
    pub(super) fn trims(&self) -> u64 {
        self.trims.load(Ordering::Relaxed)
    }

    /// Bytes in the page caches of all connections, as each last recorded them.
    pub(super) fn cache_bytes(&self) -> u64 {
        self.caches.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

/// Returns the heap's free memory to the OS: glibc keeps what was freed in its arenas.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim takes no pointer and is thread-safe (it locks each arena in turn).
    let trimmed = unsafe { malloc_trim(0) };
    tracing::debug!(trimmed, "idle: heap trimmed");
}

/// Other allocators and C libraries: nothing to call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}
