//! Fair sharing of the database between tenants.
//!
//! One process serves many tenants from a few SQLite reader threads or PostgreSQL connections. A
//! tenant that fires many slow requests must not hold all of them: each tenant may use at most
//! [`TenantGate::cap`] of the slots at once (three quarters, at least one), so at least one slot is
//! always left for everybody else, while a lone tenant still gets nearly the whole machine.
//!
//! The tenant of the current request is a task-local set by the HTTP layer once the token is
//! checked ([`scope`]); work outside a tenant (token checks, `/health`, the CLI) is not gated.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

tokio::task_local! {
    static TENANT: i64;
}

/// Runs `work` as tenant `tenant_id`: its database work is gated by that tenant's share.
pub async fn scope<F: std::future::Future>(tenant_id: i64, work: F) -> F::Output {
    TENANT.scope(tenant_id, work).await
}

fn current_tenant() -> Option<i64> {
    TENANT.try_with(|t| *t).ok()
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
            cap: (slots - slots / 4).max(1),
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
