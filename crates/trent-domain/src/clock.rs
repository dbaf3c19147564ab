//! The one clock: every time Trent reads (creation dates, deletion dates, workers, the SigV4 window) comes from here.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

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

    /// The UTC calendar time to the second: year, month, day, hour, minute, second (by the `time` crate). A time
    /// beyond the years -9999 to 9999 reads as the nearest of them.
    pub fn to_utc(self) -> UtcTime {
        let at = OffsetDateTime::from_unix_timestamp(self.0.div_euclid(1000)).unwrap_or(if self.0 < 0 {
            PrimitiveDateTime::MIN.assume_utc()
        } else {
            PrimitiveDateTime::MAX.assume_utc()
        });
        UtcTime {
            year: i64::from(at.year()),
            month: i64::from(u8::from(at.month())),
            day: i64::from(at.day()),
            hour: i64::from(at.hour()),
            minute: i64::from(at.minute()),
            second: i64::from(at.second()),
        }
    }

    /// The timestamp of a UTC calendar time, or `None` when no such time exists (February 30th, hour 25).
    pub fn from_utc(time: UtcTime) -> Option<Self> {
        let field = |value: i64| u8::try_from(value).ok();
        let month = Month::try_from(field(time.month)?).ok()?;
        let date = Date::from_calendar_date(i32::try_from(time.year).ok()?, month, field(time.day)?).ok()?;
        let clock = Time::from_hms(field(time.hour)?, field(time.minute)?, field(time.second)?).ok()?;
        Some(Self(PrimitiveDateTime::new(date, clock).assume_utc().unix_timestamp().saturating_mul(1000)))
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
    /// 0 to 59.
    pub second: i64,
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
        assert_eq!(Timestamp::from_utc(leap).map(Timestamp::to_utc), Some(leap));
        assert_eq!(Timestamp(0).to_utc(), UtcTime { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
        assert_eq!(
            Timestamp::from_utc(UtcTime { year: 2015, month: 8, day: 30, hour: 12, minute: 36, second: 0 }),
            Some(Timestamp(1_440_938_160_000))
        );
        assert_eq!(
            Timestamp(-1).to_utc(),
            UtcTime { year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59 }
        );
    }

    #[test]
    fn times_that_do_not_exist_have_no_timestamp_and_extremes_stay_readable() {
        for missing in [(2026, 2, 29, 0), (2026, 2, 30, 0), (2026, 13, 1, 0), (2026, 1, 1, 24)] {
            let (year, month, day, hour) = missing;
            assert_eq!(
                Timestamp::from_utc(UtcTime { year, month, day, hour, minute: 0, second: 0 }),
                None,
                "{missing:?}"
            );
        }
        assert_eq!(Timestamp(i64::MAX).to_utc().year, 9999);
        assert_eq!(Timestamp(i64::MIN).to_utc().year, -9999);
    }

    #[test]
    fn clock_never_moves_backwards() {
        let clock = SystemClock::new();
        let before = clock.now();
        clock.advance(-5_000_000);
        assert!(clock.now() >= before);
    }
}
