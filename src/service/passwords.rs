//! The password-hashing threads: one per two cores (at least one), each with its own argon2
//! working memory, fed from one bounded queue.
//!
//! argon2id takes 19 MiB and tens of milliseconds per hash. Run on the blocking pool, a burst of
//! password sets ran one hash per request at once: every core busy hashing (ordinary requests
//! waited) and the freed 19 MiB buffers left gigabytes resident. Here hashing never takes more
//! than half the cores, queued requests wait their turn, and the memory is allocated once per
//! thread.

use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::domain::auth::{HashMemory, hash_password_in};
use crate::error::{AppError, AppResult};

/// Hashes waiting for a thread; a sender past this waits for room (the wait is bounded by the
/// server's connection cap).
const QUEUE: usize = 256;

struct Job {
    password: String,
    reply: oneshot::Sender<AppResult<String>>,
}

fn queue() -> AppResult<&'static mpsc::Sender<Job>> {
    static QUEUE_TX: OnceLock<Result<mpsc::Sender<Job>, String>> = OnceLock::new();
    QUEUE_TX
        .get_or_init(start)
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone()))
}

fn start() -> Result<mpsc::Sender<Job>, String> {
    let (tx, rx) = mpsc::channel::<Job>(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    let threads = (std::thread::available_parallelism().map_or(1, |n| n.get()) / 2).max(1);
    for i in 0..threads {
        let rx = Arc::clone(&rx);
        std::thread::Builder::new()
            .name(format!("password-hash-{i}"))
            .spawn(move || {
                let mut memory = HashMemory::new();
                loop {
                    let job = match rx.lock() {
                        Ok(mut rx) => rx.blocking_recv(),
                        Err(_) => None,
                    };
                    let Some(job) = job else { return };
                    // The caller may have gone away; then the hash is simply dropped.
                    if job.reply.is_closed() {
                        continue;
                    }
                    let hashed =
                        hash_password_in(&job.password, &mut memory).map_err(AppError::from);
                    let _ = job.reply.send(hashed);
                }
            })
            .map_err(|e| format!("cannot start a password-hashing thread: {e}"))?;
    }
    Ok(tx)
}

/// Password hashes queued or running now (a gauge).
pub const HASHES_IN_PROGRESS: &str = "rolodex_password_hashes_in_progress";

/// Counts a hash from its request until its answer, or until its caller goes away.
struct InProgress(());

impl InProgress {
    fn start() -> InProgress {
        metrics::gauge!(HASHES_IN_PROGRESS).increment(1.0);
        InProgress(())
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        metrics::gauge!(HASHES_IN_PROGRESS).decrement(1.0);
    }
}

/// The argon2id PHC string of `password`, computed on a hashing thread.
pub async fn hash(password: String) -> AppResult<String> {
    let _in_progress = InProgress::start();
    let (reply, answer) = oneshot::channel();
    queue()?
        .send(Job { password, reply })
        .await
        .map_err(|_| AppError::Internal("the password-hashing threads have stopped".into()))?;
    answer
        .await
        .map_err(|_| AppError::Internal("a password-hashing thread dropped a job".into()))?
}
