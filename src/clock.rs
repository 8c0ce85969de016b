//! Where "now" comes from. Every timestamp Rolodex stores is read from a [`Clock`] once per
//! transaction (`Conn::now`), so a transaction's rows share one instant and tests can set time
//! instead of sleeping to move it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The source of the current time, in whole seconds since the Unix epoch (the stored form).
#[derive(Clone, Default)]
pub enum Clock {
    /// The system's UTC clock.
    #[default]
    System,
    /// A clock that stands still until it is set or advanced by hand.
    Manual(ManualClock),
}

impl Clock {
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => time::OffsetDateTime::now_utc().unix_timestamp(),
            Clock::Manual(manual) => manual.now(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clock::System => f.write_str("Clock::System"),
            Clock::Manual(m) => write!(f, "Clock::Manual({})", m.now()),
        }
    }
}

/// A hand-set clock; clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `seconds` since the Unix epoch.
    pub fn at(seconds: i64) -> Self {
        Self(Arc::new(AtomicI64::new(seconds)))
    }

    /// A clock standing at the system's current time.
    pub fn starting_now() -> Self {
        Self::at(Clock::System.now())
    }

    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn set(&self, seconds: i64) {
        self.0.store(seconds, Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Clock::Manual(manual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let manual = ManualClock::at(1_000);
        let clock = Clock::from(manual.clone());
        assert_eq!(clock.now(), 1_000);
        manual.advance(5);
        assert_eq!(clock.now(), 1_005);
        manual.set(42);
        assert_eq!(clock.now(), 42);
    }

    #[test]
    fn the_system_clock_is_near_the_wall_clock() {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        assert!((Clock::System.now() - wall).abs() <= 2);
    }
}
