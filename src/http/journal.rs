//! The request journal (`serve --journal N`): each tenant's last N API exchanges, in this
//! instance's memory, newest first, for `GET /admin/v1/tenants/{slug}/requests`.
//!
//! Bounded: N entries per tenant (at most [`MAX_JOURNAL`]), each body kept only as redacted JSON
//! of at most `domain::journal::MAX_KEPT_BODY` bytes, so a tenant's journal holds at most
//! N × 2 × 64 KiB of bodies. Secrets never enter it: JSON keys naming passwords or tokens, and
//! query parameters so named, are replaced by `"***"`, and no header is kept (so no
//! `Authorization`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::Value;

/// The largest `--journal`.
pub const MAX_JOURNAL: usize = 10_000;

/// One exchange as the journal shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Increasing per instance.
    pub id: u64,
    /// When the request arrived (UTC, milliseconds).
    pub at: String,
    pub method: String,
    /// The path as sent, with the API base.
    pub path: String,
    /// The query string (secret parameters redacted), `null` when there was none.
    pub query: Option<String>,
    pub status: u16,
    pub request_body: Value,
    pub response_body: Value,
    pub duration_ms: f64,
    /// The request's `X-Request-Id`: the one it was sent with, or the one the server gave it.
    pub request_id: Option<String>,
}

/// Every tenant's journal.
#[derive(Debug, Default)]
pub struct Journal {
    capacity: usize,
    next_id: AtomicU64,
    tenants: Mutex<HashMap<i64, VecDeque<Entry>>>,
}

impl Journal {
    /// A journal keeping `capacity` exchanges per tenant (0: off).
    pub fn new(capacity: usize) -> Journal {
        Journal {
            capacity: capacity.min(MAX_JOURNAL),
            next_id: AtomicU64::new(1),
            tenants: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn tenants(&self) -> std::sync::MutexGuard<'_, HashMap<i64, VecDeque<Entry>>> {
        self.tenants.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn record(&self, tenant_id: i64, entry: Entry) {
        if !self.enabled() {
            return;
        }
        let mut tenants = self.tenants();
        let entries = tenants.entry(tenant_id).or_default();
        if entries.len() >= self.capacity {
            entries.pop_back();
        }
        entries.push_front(entry);
    }

    /// The tenant's last `limit` exchanges, newest first.
    pub fn latest(&self, tenant_id: i64, limit: usize) -> Vec<Entry> {
        self.tenants()
            .get(&tenant_id)
            .map(|entries| entries.iter().take(limit).cloned().collect())
            .unwrap_or_default()
    }

    pub fn clear(&self, tenant_id: i64) {
        self.tenants().remove(&tenant_id);
    }
}

/// The current time as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339_millis() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64) -> Entry {
        Entry {
            id,
            at: now_rfc3339_millis(),
            method: "GET".into(),
            path: "/x".into(),
            query: None,
            status: 200,
            request_body: Value::Null,
            response_body: Value::Null,
            duration_ms: 0.0,
            request_id: None,
        }
    }

    #[test]
    fn each_tenant_keeps_its_last_n_newest_first() {
        let j = Journal::new(3);
        for id in 1..=5 {
            j.record(1, entry(id));
        }
        j.record(2, entry(9));
        let ids: Vec<u64> = j.latest(1, 10).iter().map(|e| e.id).collect();
        assert_eq!(ids, [5, 4, 3]);
        assert_eq!(j.latest(1, 2).len(), 2);
        assert_eq!(j.latest(2, 10).len(), 1);
        j.clear(1);
        assert!(j.latest(1, 10).is_empty());
        assert_eq!(j.latest(2, 10).len(), 1);
        let off = Journal::new(0);
        off.record(1, entry(1));
        assert!(off.latest(1, 10).is_empty());
    }

    #[test]
    fn times_have_milliseconds() {
        let at = now_rfc3339_millis();
        assert_eq!(at.len(), 24, "{at}");
        assert!(at.ends_with('Z'));
    }
}
