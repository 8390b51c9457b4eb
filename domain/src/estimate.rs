//! Waits that come true: the estimate learns the service time of each queue, weekday and local
//! hour from the history (the same weekday's same hour of earlier weeks) and scales with the
//! counters calling right now. Until the history knows the hour it is today's estimate exactly
//! ([`estimated_wait_ms`]: the recent average over the configured counters).
//!
//! Pure: the services read the history and the recent calls, and hand them in.

use crate::history::HourFigures;
use crate::queue::{estimated_wait_ms, Call, Serving};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The history must have served this many at the hour before its time is believed.
pub const MIN_LEARNED: u32 = 8;

/// A counter serving someone, or that called within this long (or three times its learned service time, if longer) is
/// calling now.
pub const ACTIVE_WINDOW_MS: u64 = 10 * 60_000;

/// How many earlier weeks of the same weekday the estimate learns from.
pub const LEARN_WEEKS: u32 = 8;

/// What the estimate knows beyond today's recent average: what the history says of this hour, and
/// how many counters are calling. Sent to the ticket page with its ticket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitBasis {
    /// The mean service time of one customer at one counter at this weekday and hour of earlier
    /// weeks (`None`: the history does not know it yet).
    #[serde(default)]
    pub learned_service_ms: Option<u64>,
    /// The counters that called in the last minutes (0: none, the configured ones count).
    #[serde(default)]
    pub active_counters: u32,
}

/// The mean service time of one customer at one counter in `hours` (the same weekday's hour of
/// earlier weeks), once they served [`MIN_LEARNED`].
pub fn learned_service_ms<'a>(hours: impl IntoIterator<Item = &'a HourFigures>) -> Option<u64> {
    let (served, total) = hours
        .into_iter()
        .flat_map(|h| h.service.values())
        .fold((0u64, 0u64), |(n, t), s| {
            (n + u64::from(s.served), t + s.total_ms)
        });
    (served >= u64::from(MIN_LEARNED)).then(|| total / served)
}

/// The counters calling now: those serving someone (they call again when done) and those that
/// called within the window before `now_ms` (`recent`: the latest calls).
pub fn active_counters(
    recent: &[Call],
    serving: &[Serving],
    now_ms: u64,
    learned_service_ms: Option<u64>,
) -> u32 {
    let window = ACTIVE_WINDOW_MS.max(learned_service_ms.unwrap_or(0).saturating_mul(3));
    let since = now_ms.saturating_sub(window);
    recent
        .iter()
        .filter(|c| c.at >= since)
        .map(|c| &c.counter)
        .chain(serving.iter().map(|s| &s.counter))
        .collect::<BTreeSet<_>>()
        .len() as u32
}

/// The expected wait of someone with `people_ahead` in front: with the history's service time of
/// the hour over the counters calling now (the configured `counters` when none called lately);
/// without history, today's estimate (`recent_avg_ms` over the configured counters).
pub fn wait_ms(
    people_ahead: usize,
    recent_avg_ms: Option<u64>,
    counters: usize,
    basis: &WaitBasis,
) -> Option<u64> {
    let Some(learned) = basis.learned_service_ms else {
        return estimated_wait_ms(people_ahead, recent_avg_ms, counters);
    };
    let active = match basis.active_counters {
        0 => counters,
        n => n as usize,
    };
    estimated_wait_ms(people_ahead, Some(learned), active)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Service;
    use crate::queue::CounterId;

    fn hour(counter: &str, served: u32, each_ms: u64) -> HourFigures {
        let mut h = HourFigures::default();
        h.service.insert(
            CounterId::parse(counter).unwrap(),
            Service {
                served,
                total_ms: u64::from(served) * each_ms,
            },
        );
        h
    }

    fn call(counter: &str, at: u64) -> Call {
        Call {
            number: 1,
            counter: CounterId::parse(counter).unwrap(),
            at,
            recall: false,
        }
    }

    #[test]
    fn without_history_it_is_todays_estimate() {
        let none = WaitBasis::default();
        for (ahead, avg, counters) in [(0, Some(300_000), 2), (5, Some(300_000), 2), (7, None, 3)] {
            assert_eq!(
                wait_ms(ahead, avg, counters, &none),
                estimated_wait_ms(ahead, avg, counters)
            );
        }
        // counters calling now change nothing until the history knows the hour
        let active = WaitBasis {
            learned_service_ms: None,
            active_counters: 1,
        };
        assert_eq!(wait_ms(4, Some(300_000), 2, &active), Some(600_000));
        // too few served in the history: not learned
        assert_eq!(
            learned_service_ms([&hour("1", MIN_LEARNED - 1, 60_000)]),
            None
        );
    }

    #[test]
    fn learns_an_hours_slower_service() {
        // earlier Mondays at 12: 10 minutes a customer; today's recent average says 4
        let weeks = [hour("1", 5, 600_000), hour("2", 5, 600_000)];
        let learned = learned_service_ms(&weeks);
        assert_eq!(learned, Some(600_000));
        let basis = WaitBasis {
            learned_service_ms: learned,
            active_counters: 0,
        };
        assert_eq!(wait_ms(4, Some(240_000), 2, &basis), Some(1_200_000));
        assert_eq!(estimated_wait_ms(4, Some(240_000), 2), Some(480_000));
        // the counters' times weigh by the customers they served
        let mixed = [hour("1", 6, 300_000), hour("2", 2, 900_000)];
        assert_eq!(learned_service_ms(&mixed), Some(450_000));
        // the history alone is enough: no recent average yet today
        assert_eq!(wait_ms(1, None, 2, &basis), Some(600_000));
    }

    #[test]
    fn scales_with_the_counters_calling_now() {
        let now = 100 * 60_000;
        let recent = [
            call("1", now - 60_000),
            call("2", now - 3 * 60_000),
            call("1", now - 6 * 60_000),
            call("3", now - 30 * 60_000),
        ];
        assert_eq!(active_counters(&recent, &[], now, None), 2);
        // a long service widens the window: counter 3 (30 minutes ago) still counts
        assert_eq!(active_counters(&recent, &[], now, Some(20 * 60_000)), 3);
        assert_eq!(active_counters(&[], &[], now, None), 0);
        // a counter still serving its customer counts, however long ago it called
        let serving = [Serving {
            counter: CounterId::parse("3").unwrap(),
            number: 9,
        }];
        assert_eq!(active_counters(&recent, &serving, now, None), 3);
        let learned = Some(300_000);
        let one = WaitBasis {
            learned_service_ms: learned,
            active_counters: 1,
        };
        let two = WaitBasis {
            learned_service_ms: learned,
            active_counters: 2,
        };
        assert_eq!(wait_ms(6, None, 2, &one), Some(1_800_000));
        assert_eq!(wait_ms(6, None, 2, &two), Some(900_000));
        // nobody called lately: the configured counters
        let idle = WaitBasis {
            learned_service_ms: learned,
            active_counters: 0,
        };
        assert_eq!(wait_ms(6, None, 3, &idle), Some(600_000));
    }
}
