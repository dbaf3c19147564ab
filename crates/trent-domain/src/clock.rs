//! The one clock: every time Trent reads (creation dates, deletion dates, workers, the SigV4 window) comes from here.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds in one day.
    pub const DAY_MILLIS: i64 = 86_400_000;

    /// Seconds since the epoch as a float, the way AWS JSON sends timestamps.
    pub fn epoch_seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This time plus a number of whole days.
    pub fn plus_days(self, days: i64) -> Self {
        Self(self.0.saturating_add(days.saturating_mul(Self::DAY_MILLIS)))
    }

    /// This time plus a number of milliseconds.
    pub fn plus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }
}

/// Where the time comes from.
pub trait Clock: Send + Sync {
    /// The time the key lifecycle runs on (creation dates, deletion dates, the deletion worker).
    /// In `--dev` mode it can be moved forward; otherwise it is the wall clock.
    fn now(&self) -> Timestamp;

    /// The wall clock, never advanced: clients sign requests with real time, so the SigV4 window checks against this.
    fn wall_now(&self) -> Timestamp;
}

/// The system clock plus an offset that only `--dev` mode can move (forward only).
#[derive(Debug, Default)]
pub struct SystemClock {
    offset_millis: AtomicI64,
}

impl SystemClock {
    /// A clock reading the system time with no offset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the lifecycle clock forward. Returns the new time.
    pub fn advance(&self, millis: i64) -> Timestamp {
        self.offset_millis.fetch_add(millis.max(0), Ordering::SeqCst);
        self.now()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        self.wall_now().plus_millis(self.offset_millis.load(Ordering::SeqCst))
    }

    fn wall_now(&self) -> Timestamp {
        // Time before the epoch would be a broken host clock; treat it as the epoch rather than fail requests.
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_lifecycle_time_but_not_wall_time() {
        let clock = SystemClock::new();
        let before = clock.now();
        clock.advance(7 * Timestamp::DAY_MILLIS);
        assert!(clock.now().0 - before.0 >= 7 * Timestamp::DAY_MILLIS);
        assert!(clock.wall_now().0 - before.0 < Timestamp::DAY_MILLIS);
    }

    #[test]
    fn clock_never_moves_backwards() {
        let clock = SystemClock::new();
        let before = clock.now();
        clock.advance(-5_000_000);
        assert!(clock.now() >= before);
    }
}
