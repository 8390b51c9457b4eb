//! The business day: numbering restarts daily at a local time, and the day's data expires a
//! while after the day closes.

use crate::store::Moment;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Calendar {
    tz: TimeZone,
    /// The local time the day's numbering restarts.
    reset_at: Time,
    /// How long the day's data lives after the day closes.
    retention: Duration,
}

impl Calendar {
    pub fn new(tz: TimeZone, reset_at: Time, retention: Duration) -> Self {
        Self {
            tz,
            reset_at,
            retention,
        }
    }

    /// Asia/Tokyo, restarting at 04:00, data kept 24 h after the day closes.
    pub fn tokyo() -> Result<Self, jiff::Error> {
        Ok(Self::new(
            TimeZone::get("Asia/Tokyo")?,
            Time::constant(4, 0, 0, 0),
            Duration::from_secs(24 * 3600),
        ))
    }

    /// The business day `at` belongs to (`2026-11-22`), and when it closes.
    pub fn day_of(&self, at: Timestamp) -> (String, Timestamp) {
        let local = at.to_zoned(self.tz.clone());
        let mut start = local.date();
        if local.time() < self.reset_at {
            start = start.yesterday().unwrap_or(start);
        }
        let close_date = start.tomorrow().unwrap_or(start);
        let close = close_date
            .to_datetime(self.reset_at)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| at.checked_add(24.hours()).unwrap_or(at));
        (start.to_string(), close)
    }

    /// Now, with the expiry of the day's keys.
    pub fn now(&self) -> Moment {
        self.moment_at(Timestamp::now())
    }

    pub fn moment_at(&self, at: Timestamp) -> Moment {
        let (_, close) = self.day_of(at);
        Moment {
            now_ms: at.as_millisecond().max(0) as u64,
            expire_at: (close.as_second().max(0) as u64) + self.retention.as_secs(),
        }
    }

    /// The store's offset from UTC now, in ms (Tokyo: +9 h), for local hours on screens.
    pub fn utc_offset_ms(&self) -> i64 {
        i64::from(self.tz.to_offset(Timestamp::now()).seconds()) * 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_day_turns_at_the_reset_time_in_tokyo() {
        let c = Calendar::tokyo().unwrap();
        // 2026-11-22 03:59 JST is still the 21st's business day
        let (day, close) = c.day_of(ts("2026-11-21T18:59:00Z"));
        assert_eq!(day, "2026-11-21");
        assert_eq!(close, ts("2026-11-21T19:00:00Z"));
        // 04:00 JST starts the 22nd's
        let (day, close) = c.day_of(ts("2026-11-21T19:00:00Z"));
        assert_eq!(day, "2026-11-22");
        assert_eq!(close, ts("2026-11-22T19:00:00Z"));
    }

    #[test]
    fn data_expires_a_day_after_the_close() {
        let c = Calendar::tokyo().unwrap();
        let m = c.moment_at(ts("2026-11-22T01:00:00Z"));
        assert_eq!(m.expire_at as i64, ts("2026-11-23T19:00:00Z").as_second());
        assert_eq!(c.utc_offset_ms(), 9 * 3_600_000);
    }
}
