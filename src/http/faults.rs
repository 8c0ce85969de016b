//! Fault rules (`/admin/v1/tenants/{slug}/faults`): the next matching requests of a tenant get a
//! forced 429/500/503 (answered before the handler runs, so they change nothing) or a delay.
//!
//! Kept in this instance's memory: with several instances behind a load balancer, a rule applies
//! to the requests the instance that received it serves (documented in the README).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::RngExt;
use serde::Serialize;

use crate::domain::fault::{FaultRule, MAX_RULES};

/// A rule as listed: its id and how many more requests it applies to.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: u64,
    #[serde(flatten)]
    pub rule: FaultRule,
    /// `null` for a rule without `times`.
    pub remaining: Option<u64>,
}

/// What a rule does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub delay: Duration,
    /// `None`: the request runs after the delay.
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
}

/// Every tenant's rules, in creation order.
#[derive(Debug, Default)]
pub struct Faults {
    next_id: AtomicU64,
    tenants: Mutex<HashMap<i64, Vec<RuleView>>>,
}

impl Faults {
    fn tenants(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<RuleView>>> {
        self.tenants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a rule; `None` when the tenant has [`MAX_RULES`] already.
    pub fn add(&self, tenant_id: i64, rule: FaultRule) -> Option<RuleView> {
        let mut tenants = self.tenants();
        let rules = tenants.entry(tenant_id).or_default();
        if rules.len() >= MAX_RULES {
            return None;
        }
        let view = RuleView {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            remaining: rule.times,
            rule,
        };
        rules.push(view.clone());
        Some(view)
    }

    pub fn list(&self, tenant_id: i64) -> Vec<RuleView> {
        self.tenants().get(&tenant_id).cloned().unwrap_or_default()
    }

    /// Removes one rule; false when the tenant has no rule `id`.
    pub fn remove(&self, tenant_id: i64, id: u64) -> bool {
        let mut tenants = self.tenants();
        let Some(rules) = tenants.get_mut(&tenant_id) else {
            return false;
        };
        let before = rules.len();
        rules.retain(|r| r.id != id);
        before != rules.len()
    }

    pub fn clear(&self, tenant_id: i64) {
        self.tenants().remove(&tenant_id);
    }

    /// The action of the first live rule of the tenant that matches the request and whose
    /// probability draw hits; that rule's count goes down by one. A rule whose draw misses does
    /// not count the request, and the next rules are tried.
    pub fn decide(&self, tenant_id: i64, method: &str, path: &str) -> Option<Action> {
        let mut tenants = self.tenants();
        let rules = tenants.get_mut(&tenant_id)?;
        for held in rules.iter_mut() {
            if held.remaining == Some(0) || !held.rule.applies_to(method, path) {
                continue;
            }
            let p = held.rule.probability;
            if p < 1.0 && rand::rng().random::<f64>() >= p {
                continue;
            }
            if let Some(n) = held.remaining.as_mut() {
                *n -= 1;
            }
            let status = held.rule.status;
            let retry_after = match status {
                Some(429 | 503) => Some(held.rule.retry_after.unwrap_or(1)),
                _ => None,
            };
            return Some(Action {
                delay: Duration::from_millis(held.rule.delay_ms),
                status,
                retry_after,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, times: Option<u64>, probability: f64) -> FaultRule {
        FaultRule {
            method: None,
            path: path.into(),
            status: Some(503),
            retry_after: None,
            delay_ms: 0,
            times,
            probability,
        }
    }

    #[test]
    fn times_are_counted_down_and_rules_stay_listed() {
        let f = Faults::default();
        let r = f.add(1, rule("/contacts", Some(2), 1.0)).unwrap();
        assert_eq!(r.remaining, Some(2));
        assert!(f.decide(1, "GET", "/contacts").is_some());
        assert!(f.decide(2, "GET", "/contacts").is_none(), "another tenant");
        assert!(f.decide(1, "GET", "/companies").is_none(), "another path");
        let a = f.decide(1, "GET", "/contacts").unwrap();
        assert_eq!((a.status, a.retry_after), (Some(503), Some(1)));
        assert!(f.decide(1, "GET", "/contacts").is_none(), "used up");
        assert_eq!(f.list(1)[0].remaining, Some(0));
        assert!(f.remove(1, r.id));
        assert!(!f.remove(1, r.id));
    }

    #[test]
    fn probability_zero_never_fires_and_one_always_does() {
        let f = Faults::default();
        f.add(1, rule("/a", Some(5), 0.0)).unwrap();
        for _ in 0..200 {
            assert!(f.decide(1, "GET", "/a").is_none());
        }
        assert_eq!(
            f.list(1)[0].remaining,
            Some(5),
            "spared requests do not count"
        );
        f.clear(1);
        f.add(1, rule("/a", None, 1.0)).unwrap();
        for _ in 0..200 {
            assert!(f.decide(1, "GET", "/a").is_some());
        }
    }

    #[test]
    fn a_tenant_has_at_most_max_rules() {
        let f = Faults::default();
        for _ in 0..MAX_RULES {
            assert!(f.add(1, rule("/a", None, 1.0)).is_some());
        }
        assert!(f.add(1, rule("/a", None, 1.0)).is_none());
        assert!(f.add(2, rule("/a", None, 1.0)).is_some());
    }
}
