//! Where log lines go: stderr, written in batches by a background thread.
//!
//! The request log writes a line per request. Written on the request's own thread, each line was a
//! `write(2)`; through `tracing-appender`'s channel, each line woke the writer thread, which spun
//! and wrote it alone (a profile of `get_contact` with the log on: that thread, the futex wake-ups
//! and their scheduling were about a tenth of the server's CPU). Here a line is appended to a
//! shared buffer under a mutex, no system call; the thread writes whatever has gathered every
//! [`FLUSH_INTERVAL`], or sooner when [`FLUSH_AT`] bytes are waiting.
//!
//! Nothing is dropped: past [`MAX_PENDING`] bytes (stderr slower than the log grows), the line's
//! writer writes the batch itself, so logging slows the server down rather than lose lines or grow
//! without bound. [`LogGuard`] writes what is left when dropped, before the process exits.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a line may wait before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// Pending bytes that wake the thread early.
const FLUSH_AT: usize = 64 * 1024;
/// Pending bytes past which a writer stops queueing and writes the batch itself.
const MAX_PENDING: usize = 1024 * 1024;

struct Pending {
    bytes: Vec<u8>,
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Held while writing to stderr, so batches never interleave.
    out: Mutex<()>,
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves a valid buffer: keep logging.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes every pending line. The batch is taken while holding `out`, so batches reach
    /// stderr in the order their lines were logged. (Lock order: `out`, then `pending`.) Errors
    /// are dropped: there is nowhere to report a failing stderr.
    fn flush_pending(&self) {
        let _out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = std::mem::take(&mut self.pending().bytes);
        if !batch.is_empty() {
            let mut stderr = io::stderr().lock();
            let _ = stderr.write_all(&batch);
            let _ = stderr.flush();
        }
    }
}

/// Stops the thread and writes every pending line when dropped.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.pending().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Lines logged after the thread stopped (none normally).
        self.shared.flush_pending();
    }
}

/// The writer `tracing_subscriber::fmt` formats each line into (`MakeWriter`).
#[derive(Clone)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

/// Starts the writing thread. Falls back to writing every line directly if no thread can be
/// started.
pub fn batched_stderr() -> (BatchedStderr, LogGuard) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending {
            bytes: Vec::with_capacity(FLUSH_AT),
            closed: false,
        }),
        wake: Condvar::new(),
        out: Mutex::new(()),
    });
    let worker = shared.clone();
    let thread = std::thread::Builder::new()
        .name("rolodex-log".into())
        .spawn(move || run(&worker))
        .ok();
    if thread.is_none() {
        shared.pending().closed = true;
    }
    (
        BatchedStderr {
            shared: shared.clone(),
        },
        LogGuard { shared, thread },
    )
}

fn run(shared: &Shared) {
    loop {
        let closed = {
            let pending = shared.pending();
            let (pending, _) = shared
                .wake
                .wait_timeout_while(pending, FLUSH_INTERVAL, |p| {
                    !p.closed && p.bytes.len() < FLUSH_AT
                })
                .unwrap_or_else(PoisonError::into_inner);
            pending.closed
        };
        shared.flush_pending();
        if closed {
            return;
        }
    }
}

impl Write for BatchedStderr {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut pending = self.shared.pending();
        pending.bytes.extend_from_slice(line);
        let waiting = pending.bytes.len();
        let closed = pending.closed;
        drop(pending);
        if closed || waiting >= MAX_PENDING {
            // No thread (or shutting down): write straight through. Past the bound, back-pressure:
            // this writer pays for the write instead of the buffer growing.
            self.shared.flush_pending();
        } else if waiting >= FLUSH_AT {
            self.shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchedStderr {
    type Writer = BatchedStderr;

    fn make_writer(&'a self) -> BatchedStderr {
        self.clone()
    }
}
