//! Fair sharing of the database between tenants.
//!
//! One process serves many tenants from a few SQLite reader threads or PostgreSQL connections. A
//! tenant that fires many slow requests must not hold all of them: each tenant may use at most
//! [`share`] of the slots at once (three quarters, at least one), so at least one slot is always
//! left for everybody else, while a lone tenant still gets nearly the whole machine.
//!
//! - [`FairQueue`] (SQLite readers): one queue of jobs; a worker takes the oldest job whose tenant
//!   is under its cap. Jobs wait in the queue, not in front of it, so busy workers go from job to
//!   job without sleeping (gating before the queue cost two thirds of the single-tenant reads).
//!   SQLite keeps one reader thread more than a tenant may use, so a lone tenant has as many as
//!   before and one is always free for the others.
//! - [`TenantGate`] (PostgreSQL connections): a per-tenant semaphore taken before a connection.
//!
//! The tenant of the current request is a task-local set by the HTTP layer once the token is
//! checked ([`scope`], through [`Database::as_tenant`](super::Database::as_tenant)); work outside a tenant (token checks, `/health`, the CLI) is not gated.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

tokio::task_local! {
    static TENANT: i64;
}

/// Runs `work` as tenant `tenant_id`: its database work is gated by that tenant's share.
pub async fn scope<F: std::future::Future>(tenant_id: i64, work: F) -> F::Output {
    TENANT.scope(tenant_id, work).await
}

impl super::Database {
    /// Runs `work` as tenant `tenant_id` (see [`scope`]): the handle through which the HTTP layer
    /// sets the tenant, so it need not know how the store shares itself.
    pub async fn as_tenant<F: std::future::Future>(&self, tenant_id: i64, work: F) -> F::Output {
        scope(tenant_id, work).await
    }
}

pub(super) fn current_tenant() -> Option<i64> {
    TENANT.try_with(|t| *t).ok()
}

/// Most of `slots` one tenant may hold at once: three quarters, at least one.
pub fn share(slots: usize) -> usize {
    (slots - slots / 4).max(1)
}

/// A job queue for a fixed set of worker threads that shares them between tenants.
pub struct FairQueue<J> {
    cap: usize,
    state: Mutex<QueueState<J>>,
    /// Signalled when a job arrives, a job ends (its tenant may be under its share again) or the
    /// queue closes.
    ready: Condvar,
}

struct QueueState<J> {
    /// Waiting jobs, oldest first, with their tenant (`None`: not a tenant's work, never held
    /// back).
    jobs: VecDeque<(Option<i64>, J)>,
    /// Jobs running per tenant; a tenant without running jobs has no entry.
    running: HashMap<i64, usize>,
    closed: bool,
}

/// A job a worker took; its tenant's slot is given back when this is dropped.
pub struct Taken<'q, J> {
    queue: &'q FairQueue<J>,
    tenant: Option<i64>,
    pub job: Option<J>,
}

impl<J> FairQueue<J> {
    /// A queue whose jobs of one tenant run on at most `cap` workers at once.
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            state: Mutex::new(QueueState {
                jobs: VecDeque::new(),
                running: HashMap::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, QueueState<J>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job` as the current task's tenant; gives it back if the queue is closed.
    pub fn push(&self, job: J) -> Result<(), J> {
        let tenant = current_tenant();
        let mut state = self.lock();
        if state.closed {
            return Err(job);
        }
        // A job of a tenant at its share cannot run yet: no worker needs waking for it.
        let runnable =
            tenant.is_none_or(|t| state.running.get(&t).copied().unwrap_or(0) < self.cap);
        state.jobs.push_back((tenant, job));
        drop(state);
        if runnable {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.lock().jobs.len()
    }

    /// No more jobs: workers finish what is queued, then [`FairQueue::take_within`] returns
    /// [`Next::Closed`].
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// Blocks until a job may run: the oldest one whose tenant holds fewer than its share of
    /// the workers; [`Next::Idle`] when none came within `idle` (`None`: wait as long as it
    /// takes), [`Next::Closed`] once the queue is closed and empty.
    pub fn take_within(&self, idle: Option<Duration>) -> Next<'_, J> {
        // Set at the first wait: a worker that finds a job at once reads no clock.
        let mut deadline: Option<Instant> = None;
        let mut state = self.lock();
        loop {
            let cap = self.cap;
            let eligible = {
                let running = &state.running;
                state.jobs.iter().position(|(tenant, _)| {
                    tenant.is_none_or(|t| running.get(&t).copied().unwrap_or(0) < cap)
                })
            };
            if let Some((tenant, job)) = eligible.and_then(|i| state.jobs.remove(i)) {
                if let Some(t) = tenant {
                    *state.running.entry(t).or_insert(0) += 1;
                }
                return Next::Job(Taken {
                    queue: self,
                    tenant,
                    job: Some(job),
                });
            }
            if state.closed && state.jobs.is_empty() {
                return Next::Closed;
            }
            // A job is looked for first, so a wake-up that coincides with the deadline still
            // serves its job.
            state = match idle {
                None => self.ready.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(idle) => {
                    let now = Instant::now();
                    let left = deadline
                        .get_or_insert(now + idle)
                        .saturating_duration_since(now);
                    if left.is_zero() {
                        return Next::Idle;
                    }
                    self.ready
                        .wait_timeout(state, left)
                        .map(|(state, _)| state)
                        .unwrap_or_else(|e| e.into_inner().0)
                }
            };
        }
    }
}

/// What [`FairQueue::take_within`] found.
pub enum Next<'q, J> {
    Job(Taken<'q, J>),
    /// No job came within the idle period.
    Idle,
    /// The queue is closed and empty.
    Closed,
}

impl<J> Drop for Taken<'_, J> {
    fn drop(&mut self) {
        let Some(t) = self.tenant else { return };
        let cap = self.queue.cap;
        let mut state = self.queue.lock();
        let mut was_full = false;
        if let Some(n) = state.running.get_mut(&t) {
            was_full = *n >= cap;
            *n -= 1;
            if *n == 0 {
                state.running.remove(&t);
            }
        }
        let held_back = was_full && !state.jobs.is_empty();
        drop(state);
        // Only when the tenant was at its share can a job of it have been held back; one slot
        // freed lets one such job run, on an idle worker (this one takes the next job anyway).
        if held_back {
            self.queue.ready.notify_one();
        }
    }
}

/// Per-tenant limits on concurrent database work.
pub struct TenantGate {
    cap: usize,
    /// Semaphores of tenants with work in flight; an entry is removed when its last permit ends,
    /// so the map holds at most one entry per active tenant.
    tenants: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

/// Held while a tenant's database work runs.
pub struct Pass {
    gate: Arc<TenantGate>,
    tenant_id: i64,
    semaphore: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl TenantGate {
    /// A gate for `slots` reader threads or connections.
    pub fn new(slots: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: share(slots),
            tenants: Mutex::new(HashMap::new()),
        })
    }

    /// Most slots one tenant may hold at once.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Waits for a slot of the current task's tenant; `None` (no wait) outside a tenant.
    pub async fn enter(self: &Arc<Self>) -> Option<Pass> {
        let tenant_id = current_tenant()?;
        let semaphore = {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(
                tenants
                    .entry(tenant_id)
                    .or_insert_with(|| Arc::new(Semaphore::new(self.cap))),
            )
        };
        // The semaphore is never closed, so acquiring cannot fail; without a permit the pass
        // still releases its map entry correctly.
        let permit = Arc::clone(&semaphore).acquire_owned().await.ok();
        Some(Pass {
            gate: Arc::clone(self),
            tenant_id,
            semaphore,
            permit,
        })
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.tenants.lock().map(|t| t.len()).unwrap_or(0)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut tenants = self.gate.tenants.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this pass hold the semaphore, and nothing is in flight: forget the
        // tenant. (Another task that cloned it is counted in strong_count, so it stays.)
        if Arc::strong_count(&self.semaphore) == 2
            && self.semaphore.available_permits() == self.gate.cap
        {
            tenants.remove(&self.tenant_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_worker_hears_when_no_job_came_within_its_idle_period() {
        let queue = FairQueue::<u32>::new(1);
        assert!(matches!(
            queue.take_within(Some(Duration::from_millis(20))),
            Next::Idle
        ));
        queue.push(7).unwrap();
        match queue.take_within(Some(Duration::from_millis(20))) {
            Next::Job(taken) => assert_eq!(taken.job, Some(7)),
            _ => panic!("the queued job was not taken"),
        }
        queue.close();
        assert!(matches!(queue.take_within(None), Next::Closed));
    }

    #[tokio::test]
    async fn a_tenant_holds_at_most_its_cap_and_others_pass() {
        let gate = TenantGate::new(4);
        assert_eq!(gate.cap(), 3);
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(scope(1, gate.enter()).await);
        }
        // Tenant 1's fourth request waits...
        let blocked = tokio::time::timeout(Duration::from_millis(50), scope(1, gate.enter())).await;
        assert!(blocked.is_err());
        // ...while tenant 2 gets a slot at once.
        let other = tokio::time::timeout(Duration::from_millis(50), scope(2, gate.enter())).await;
        assert!(matches!(other, Ok(Some(_))));
        drop(other);
        held.pop();
        let next = tokio::time::timeout(Duration::from_millis(50), scope(1, gate.enter())).await;
        assert!(matches!(next, Ok(Some(_))));
        drop(next);
        drop(held);
        assert_eq!(gate.tracked(), 0, "idle tenants are forgotten");
    }

    #[tokio::test]
    async fn work_outside_a_tenant_is_not_gated() {
        let gate = TenantGate::new(1);
        assert_eq!(gate.cap(), 1);
        assert!(gate.enter().await.is_none());
    }
}
