//! The business day: numbering restarts daily at a local time, and the day's data expires a
//! while after the day closes.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The current time, its business day and how long that day's keys live, passed to every change.
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    /// Milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// When the day's keys expire (Unix seconds).
    pub expire_at: u64,
    /// The date of the business day now is in (after midnight, before the reset time: yesterday).
    pub day: jiff::civil::Date,
}

#[derive(Clone, Debug)]
pub struct Calendar {
    tz: TimeZone,
    /// The local time the day's numbering restarts.
    reset_at: Time,
    /// How long the day's data lives after the day closes.
    retention: Duration,
    clock: Clock,
}

/// Where "now" comes from: the system's clock, or (tests) the system's clock moved on by a shift
/// the test sets, shared by every clone, so a test lives a week in seconds while time still
/// flows.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    shift_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system's clock, moved on by [`Clock::advance`] (tests).
    pub fn shifted() -> Self {
        Self {
            shift_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Moves a shifted clock on by `by` (no effect on the system's clock).
    pub fn advance(&self, by: SignedDuration) {
        if let Some(shift) = &self.shift_ms {
            shift.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        }
    }

    /// Moves a shifted clock so that it reads `at` now.
    pub fn set(&self, at: Timestamp) {
        if let Some(shift) = &self.shift_ms {
            let now = Timestamp::now().as_millisecond();
            shift.store(at.as_millisecond() - now, Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        match &self.shift_ms {
            Some(shift) => now
                .checked_add(SignedDuration::from_millis(shift.load(Ordering::SeqCst)))
                .unwrap_or(now),
            None => now,
        }
    }
}

impl Calendar {
    pub fn new(tz: TimeZone, reset_at: Time, retention: Duration) -> Self {
        Self {
            tz,
            reset_at,
            retention,
            clock: Clock::system(),
        }
    }

    /// The same calendar on `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Asia/Tokyo, restarting at 04:00, data kept 24 h after the day closes. Without a time
    /// zone database, a fixed +09:00 (Tokyo has kept no daylight saving time since 1951).
    pub fn tokyo() -> Self {
        let tz =
            TimeZone::get("Asia/Tokyo").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(9)));
        Self::new(
            tz,
            Time::constant(4, 0, 0, 0),
            Duration::from_secs(24 * 3600),
        )
    }

    /// The business day `at` belongs to (`2026-11-22`), and when it closes: the day of date D runs
    /// from D's reset time to the next date's. Where daylight saving time skips the reset time,
    /// the day starts when the clocks show it after the jump (02:30 skipped: at 03:30); where it
    /// repeats, at its first occurrence. One day's close is always the next one's start.
    pub fn day_of(&self, at: Timestamp) -> (jiff::civil::Date, Timestamp) {
        let date = at.to_zoned(self.tz.clone()).date();
        let day = if at >= self.start_of(date, at) {
            date
        } else {
            date.yesterday().unwrap_or(date)
        };
        let next = day.tomorrow().unwrap_or(day);
        (day, self.start_of(next, at))
    }

    /// When the business day of `date` starts (`fallback`'s day after, if the zone cannot say).
    fn start_of(&self, date: jiff::civil::Date, fallback: Timestamp) -> Timestamp {
        date.to_datetime(self.reset_at)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| fallback.checked_add(24.hours()).unwrap_or(fallback))
    }

    /// Now, with today's business day and the expiry of its keys.
    pub fn now(&self) -> Moment {
        self.moment_at(self.clock.now())
    }

    pub fn moment_at(&self, at: Timestamp) -> Moment {
        let (day, close) = self.day_of(at);
        Moment {
            now_ms: at.as_millisecond().max(0) as u64,
            expire_at: (close.as_second().max(0) as u64) + self.retention.as_secs(),
            day,
        }
    }

    /// How long until the current business day closes (by this calendar's clock).
    pub fn until_close(&self) -> Duration {
        let now = self.clock.now();
        let (_, close) = self.day_of(now);
        Duration::try_from(close.duration_since(now)).unwrap_or_default()
    }

    /// When the business day of `date` closes (the next date's starts).
    pub fn close_of(&self, date: jiff::civil::Date) -> Timestamp {
        let next = date.tomorrow().unwrap_or(date);
        self.start_of(next, self.clock.now())
    }

    /// The local hour (0–23) of a moment (ms since the epoch).
    pub fn local_hour(&self, ms: u64) -> u8 {
        Timestamp::from_millisecond(ms as i64)
            .map(|t| t.to_zoned(self.tz.clone()).hour() as u8)
            .unwrap_or(0)
    }

    /// The local minute of the day (0–1439) of a moment (ms since the epoch).
    pub fn local_minute(&self, ms: u64) -> u16 {
        Timestamp::from_millisecond(ms as i64)
            .map(|t| {
                let z = t.to_zoned(self.tz.clone());
                z.hour() as u16 * 60 + z.minute() as u16
            })
            .unwrap_or(0)
    }

    /// A moment (ms) as local `2026-11-25 09:05:00`.
    pub fn local_time(&self, ms: u64) -> String {
        Timestamp::from_millisecond(ms as i64)
            .map(|t| {
                t.to_zoned(self.tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// The local date and time of now.
    pub fn local_now(&self) -> jiff::Zoned {
        self.clock.now().to_zoned(self.tz.clone())
    }

    /// How long the day's data lives after the day closes.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// The store's offset from UTC now, in ms (Tokyo: +9 h), for local hours on screens.
    pub fn utc_offset_ms(&self) -> i64 {
        i64::from(self.tz.to_offset(self.clock.now()).seconds()) * 1000
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
        let c = Calendar::tokyo();
        // 2026-11-22 03:59 JST is still the 21st's business day
        let (day, close) = c.day_of(ts("2026-11-21T18:59:00Z"));
        assert_eq!(day.to_string(), "2026-11-21");
        assert_eq!(close, ts("2026-11-21T19:00:00Z"));
        // 04:00 JST starts the 22nd's
        let (day, close) = c.day_of(ts("2026-11-21T19:00:00Z"));
        assert_eq!(day.to_string(), "2026-11-22");
        assert_eq!(close, ts("2026-11-22T19:00:00Z"));
    }

    #[test]
    fn the_day_turns_at_the_reset_time_across_daylight_saving_time() {
        // New York: 2027-03-14 02:00 EST jumps to 03:00 EDT; 2027-11-07 02:00 EDT falls back to
        // 01:00 EST
        let ny = |reset: Time| {
            Calendar::new(
                TimeZone::get("America/New_York").unwrap(),
                reset,
                Duration::from_secs(3600),
            )
        };
        let c = ny(Time::constant(2, 30, 0, 0));
        // 02:30 does not exist on the 14th: the 14th's day starts at 03:30 EDT (07:30Z)
        let (day, close) = c.day_of(ts("2027-03-14T07:29:59Z"));
        assert_eq!(day.to_string(), "2027-03-13");
        assert_eq!(close, ts("2027-03-14T07:30:00Z"));
        let (day, close) = c.day_of(ts("2027-03-14T07:30:00Z"));
        assert_eq!(day.to_string(), "2027-03-14");
        // a 23-hour day... of clocks: the 15th's starts at 02:30 EDT
        assert_eq!(close, ts("2027-03-15T06:30:00Z"));
        // 01:30 happens twice on 2027-11-07: the day starts at the first (EDT, 05:30Z)
        let c = ny(Time::constant(1, 30, 0, 0));
        let (day, close) = c.day_of(ts("2027-11-07T05:29:59Z"));
        assert_eq!(day.to_string(), "2027-11-06");
        assert_eq!(close, ts("2027-11-07T05:30:00Z"));
        let (day, close) = c.day_of(ts("2027-11-07T06:45:00Z"));
        assert_eq!(
            day.to_string(),
            "2027-11-07",
            "the second 01:45 is the same day"
        );
        assert_eq!(close, ts("2027-11-08T06:30:00Z"), "a 25-hour day");
        // every moment's day closes when the next starts, across both changes
        for c in [
            ny(Time::constant(2, 30, 0, 0)),
            ny(Time::constant(1, 30, 0, 0)),
        ] {
            let mut at = ts("2027-03-10T00:00:00Z");
            while at < ts("2027-11-10T00:00:00Z") {
                let (day, close) = c.day_of(at);
                assert!(close > at, "{at}");
                assert_eq!(c.day_of(close).0, day.tomorrow().unwrap(), "{at}");
                at = at.checked_add(SignedDuration::from_mins(20)).unwrap();
            }
        }
    }

    #[test]
    fn a_shifted_clock_moves_every_clone() {
        let clock = Clock::shifted();
        let c = Calendar::tokyo().with_clock(clock.clone());
        let before = c.now().day;
        clock.advance(SignedDuration::from_hours(48));
        assert_eq!(c.now().day, before.tomorrow().unwrap().tomorrow().unwrap());
        clock.set(ts("2026-11-21T19:00:00Z"));
        assert_eq!(c.now().day.to_string(), "2026-11-22");
        Clock::system().advance(SignedDuration::from_hours(1)); // no effect, no panic
    }

    #[test]
    fn data_expires_a_day_after_the_close() {
        let c = Calendar::tokyo();
        let m = c.moment_at(ts("2026-11-22T01:00:00Z"));
        assert_eq!(m.expire_at as i64, ts("2026-11-23T19:00:00Z").as_second());
        assert_eq!(c.utc_offset_ms(), 9 * 3_600_000);
    }
}
