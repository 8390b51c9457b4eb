//! The day's figures for the staff console, computed from the day's tickets.

use crate::queue::CounterId;
use crate::ticket::{TicketState, TicketSummary};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytics {
    /// Tickets issued in each local hour of the day (index 0 = 00:00–00:59).
    pub issued_per_hour: Vec<u32>,
    pub issued: u32,
    /// From issue to (first) call, of the tickets called so far.
    pub avg_wait_ms: Option<u64>,
    pub p90_wait_ms: Option<u64>,
    pub no_shows: u32,
    pub cancelled: u32,
    /// Tickets done, per counter, in counter order.
    pub served_per_counter: Vec<(CounterId, u32)>,
}

impl Analytics {
    /// The figures of the day's `tickets`; `utc_offset_ms` places them in the store's local hours.
    pub fn of<'a>(
        tickets: impl IntoIterator<Item = &'a TicketSummary>,
        utc_offset_ms: i64,
    ) -> Self {
        let local_hour = |ms: u64| {
            (ms as i64 + utc_offset_ms)
                .div_euclid(3_600_000)
                .rem_euclid(24) as usize
        };
        let mut a = Analytics {
            issued_per_hour: vec![0; 24],
            ..Default::default()
        };
        let mut waits: Vec<u64> = Vec::new();
        for t in tickets {
            a.issued += 1;
            a.issued_per_hour[local_hour(t.issued_at)] += 1;
            if let Some(called) = t.called_at {
                waits.push(called.saturating_sub(t.issued_at));
            }
            match t.state {
                TicketState::NoShow => a.no_shows += 1,
                TicketState::Cancelled => a.cancelled += 1,
                TicketState::Done => {
                    if let Some(counter) = &t.counter {
                        match a.served_per_counter.iter_mut().find(|(c, _)| c == counter) {
                            Some((_, n)) => *n += 1,
                            None => a.served_per_counter.push((counter.clone(), 1)),
                        }
                    }
                }
                TicketState::Waiting | TicketState::Called => {}
            }
        }
        a.served_per_counter.sort();
        if !waits.is_empty() {
            waits.sort_unstable();
            a.avg_wait_ms = Some(waits.iter().sum::<u64>() / waits.len() as u64);
            // nearest-rank 90th percentile
            let rank = (waits.len() * 90).div_ceil(100).max(1);
            a.p90_wait_ms = Some(waits[rank - 1]);
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Channel;

    fn ticket(
        number: u64,
        issued_at: u64,
        called_after: Option<u64>,
        state: TicketState,
        counter: &str,
    ) -> TicketSummary {
        TicketSummary {
            number,
            channel: Channel::Kiosk,
            issued_at,
            state,
            counter: Some(CounterId::parse(counter).unwrap()),
            called_at: called_after.map(|w| issued_at + w),
            finished_at: None,
            recalls: 0,
            rev: 1,
            phone_status: None,
            contact: None,
            answer: None,
            line: false,
        }
    }

    #[test]
    fn figures_of_a_day() {
        let hour = 3_600_000;
        let tickets: Vec<TicketSummary> = (1..=10)
            .map(|n| {
                ticket(
                    n,
                    9 * hour + n * 60_000,
                    Some(n * 60_000),
                    TicketState::Done,
                    if n % 2 == 0 { "2" } else { "1" },
                )
            })
            .chain([
                ticket(11, 10 * hour, None, TicketState::Cancelled, "1"),
                ticket(12, 10 * hour, Some(60_000), TicketState::NoShow, "1"),
            ])
            .collect();
        let a = Analytics::of(&tickets, 0);
        // Tokyo is 9 hours ahead: the 9:00 UTC tickets count at 18:00
        assert_eq!(
            Analytics::of(&tickets, 9 * hour as i64).issued_per_hour[18],
            10
        );
        assert_eq!(a.issued, 12);
        assert_eq!(a.issued_per_hour[9], 10);
        assert_eq!(a.issued_per_hour[10], 2);
        assert_eq!((a.no_shows, a.cancelled), (1, 1));
        let served: Vec<(&str, u32)> = a
            .served_per_counter
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect();
        assert_eq!(served, [("1", 5), ("2", 5)]);
        // waits: 1..=10 minutes and one of 1 minute
        assert_eq!(a.avg_wait_ms, Some((55 + 1) * 60_000 / 11));
        assert_eq!(a.p90_wait_ms, Some(9 * 60_000));
    }

    #[test]
    fn an_empty_day_has_no_averages() {
        let a = Analytics::of(&[], 0);
        assert_eq!((a.issued, a.avg_wait_ms, a.p90_wait_ms), (0, None, None));
        assert_eq!(a.issued_per_hour.len(), 24);
    }
}
