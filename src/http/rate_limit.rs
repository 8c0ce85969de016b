//! Requests per minute per API token, like Laravel's `ThrottleRequests`: a fixed window that
//! opens with a token's first request and lasts a minute; requests beyond the limit within it are
//! refused (429) and not counted. Per process: instances sharing a PostgreSQL database each keep
//! their own counts.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The length of a window (Laravel's decay).
const WINDOW: Duration = Duration::from_secs(60);

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Counted; `remaining` more requests fit in the window.
    Allowed { limit: u32, remaining: u32 },
    /// Refused until the window ends, `retry_after` seconds from now (Unix time `reset_at`).
    Limited {
        limit: u32,
        retry_after: u64,
        reset_at: u64,
    },
}

#[derive(Debug)]
struct Window {
    opened: Instant,
    /// Unix seconds at which the window ends, fixed when it opens (for `X-RateLimit-Reset`).
    ends_at_unix: u64,
    hits: u32,
}

#[derive(Debug)]
struct Windows {
    by_token: HashMap<i64, Window>,
    last_prune: Instant,
}

/// The per-token counters. Keyed by the token's database id: never the token, nor its hash.
/// Memory stays bounded: only authenticated requests open a window (so at most one per live
/// token), and expired windows are dropped at least once a window.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    windows: Mutex<Windows>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl RateLimiter {
    /// A limiter allowing `limit` requests per minute per token (`limit` > 0).
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            windows: Mutex::new(Windows {
                by_token: HashMap::new(),
                last_prune: Instant::now(),
            }),
        }
    }

    /// Counts one request of token `token_id`, if it still fits.
    pub fn hit(&self, token_id: i64) -> Decision {
        self.hit_at(token_id, Instant::now(), unix_now())
    }

    fn hit_at(&self, token_id: i64, now: Instant, now_unix: u64) -> Decision {
        // A panic elsewhere while holding the lock leaves the counters usable.
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if now.duration_since(windows.last_prune) >= WINDOW {
            windows
                .by_token
                .retain(|_, w| now.duration_since(w.opened) < WINDOW);
            windows.last_prune = now;
        }
        let window = windows.by_token.entry(token_id).or_insert(Window {
            opened: now,
            ends_at_unix: now_unix + WINDOW.as_secs(),
            hits: 0,
        });
        if now.duration_since(window.opened) >= WINDOW {
            *window = Window {
                opened: now,
                ends_at_unix: now_unix + WINDOW.as_secs(),
                hits: 0,
            };
        }
        if window.hits >= self.limit {
            let left = WINDOW.saturating_sub(now.duration_since(window.opened));
            // Whole seconds, rounded up, and at least one: "retry now" would be wrong.
            let retry_after = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return Decision::Limited {
                limit: self.limit,
                retry_after: retry_after.max(1),
                reset_at: window.ends_at_unix,
            };
        }
        window.hits += 1;
        Decision::Allowed {
            limit: self.limit,
            remaining: self.limit - window.hits,
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_token
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_refuses_until_the_window_ends() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for remaining in [2, 1, 0] {
            assert_eq!(
                limiter.hit_at(7, t0, 1000),
                Decision::Allowed {
                    limit: 3,
                    remaining
                }
            );
        }
        assert_eq!(
            limiter.hit_at(7, t0 + Duration::from_millis(10_500), 1010),
            Decision::Limited {
                limit: 3,
                retry_after: 50,
                reset_at: 1060
            }
        );
        // Refused requests are not counted; a new window opens after a minute.
        assert_eq!(
            limiter.hit_at(7, t0 + WINDOW, 1060),
            Decision::Allowed {
                limit: 3,
                remaining: 2
            }
        );
    }

    #[test]
    fn tokens_have_their_own_budgets() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        assert!(matches!(limiter.hit_at(1, t0, 0), Decision::Allowed { .. }));
        assert!(matches!(limiter.hit_at(1, t0, 0), Decision::Limited { .. }));
        assert!(matches!(limiter.hit_at(2, t0, 0), Decision::Allowed { .. }));
    }

    #[test]
    fn expired_windows_are_pruned() {
        let limiter = RateLimiter::new(5);
        let t0 = Instant::now();
        for token in 0..1000 {
            limiter.hit_at(token, t0, 0);
        }
        assert_eq!(limiter.tracked(), 1000);
        limiter.hit_at(5000, t0 + WINDOW + Duration::from_secs(1), 61);
        assert_eq!(limiter.tracked(), 1);
    }
}
