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

    /// The UTC calendar time to the second: year, month, day, hour, minute, second.
    pub fn to_utc(self) -> UtcTime {
        let secs = self.0.div_euclid(1000);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        UtcTime { year, month, day, hour: rem / 3600, minute: (rem % 3600) / 60, second: rem % 60 }
    }

    /// The timestamp of a UTC calendar time (fields are taken as given; callers check their ranges).
    pub fn from_utc(time: UtcTime) -> Self {
        let days = days_from_civil(time.year, time.month, time.day);
        Self((days * 86_400 + time.hour * 3600 + time.minute * 60 + time.second) * 1000)
    }
}

/// A UTC calendar time to the second, the one place dates are converted (ISO 8601 in audit records, SigV4 dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// The year, e.g. 2026.
    pub year: i64,
    /// 1 to 12.
    pub month: i64,
    /// 1 to 31.
    pub day: i64,
    /// 0 to 23.
    pub hour: i64,
    /// 0 to 59.
    pub minute: i64,
    /// 0 to 60.
    pub second: i64,
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    fn calendar_conversion_round_trips_through_leap_days() {
        let leap = UtcTime { year: 2000, month: 2, day: 29, hour: 23, minute: 59, second: 59 };
        assert_eq!(Timestamp::from_utc(leap).to_utc(), leap);
        assert_eq!(Timestamp(0).to_utc(), UtcTime { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
        assert_eq!(
            Timestamp::from_utc(UtcTime { year: 2015, month: 8, day: 30, hour: 12, minute: 36, second: 0 }),
            Timestamp(1_440_938_160_000)
        );
    }

    #[test]
    fn clock_never_moves_backwards() {
        let clock = SystemClock::new();
        let before = clock.now();
        clock.advance(-5_000_000);
        assert!(clock.now() >= before);
    }
}
