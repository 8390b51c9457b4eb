//! The queue's day as the staff console keeps it: the snapshot every screen has, plus every
//! ticket of the day (without tokens), kept up to date by the same events.
//!
//! Each event about a ticket carries the ticket as it is after the change, so a console applies
//! events without reading anything; it reads the whole day again only after a gap.

use crate::analytics::Analytics;
use crate::queue::{Applied, Change, CounterId, QueueEvent, QueueInfo, QueueSnapshot};
use crate::ticket::{TicketState, TicketSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many no-shows the console lists (most recent first) for putting back into the line.
pub const MISSED_SHOWN: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDay {
    pub snapshot: QueueSnapshot,
    /// Every ticket of the day, by number.
    pub tickets: BTreeMap<u64, TicketSummary>,
}

impl QueueDay {
    pub fn new(snapshot: QueueSnapshot, tickets: impl IntoIterator<Item = TicketSummary>) -> Self {
        Self {
            snapshot,
            tickets: tickets.into_iter().map(|t| (t.number, t)).collect(),
        }
    }

    pub fn version(&self) -> u64 {
        self.snapshot.version
    }

    /// Applies `event` exactly as [`QueueSnapshot::apply`] does, and keeps the ticket it carries.
    pub fn apply(&mut self, event: &QueueEvent) -> Applied {
        let applied = self.snapshot.apply(event);
        if applied == Applied::Updated {
            if event.change == Change::Reset {
                self.tickets.clear();
            }
            if let Some(ticket) = &event.ticket {
                self.tickets.insert(ticket.number, ticket.clone());
            }
        }
        applied
    }

    /// Waiting tickets, first in line first.
    pub fn waiting(&self) -> Vec<TicketSummary> {
        self.in_order(self.snapshot.waiting.iter().copied())
    }

    /// Called tickets, in counter order.
    pub fn serving(&self) -> Vec<TicketSummary> {
        self.in_order(self.snapshot.serving.iter().map(|s| s.number))
    }

    /// The latest no-shows, most recent first: they can be put back into the line.
    pub fn missed(&self) -> Vec<TicketSummary> {
        let mut missed: Vec<TicketSummary> = self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::NoShow)
            .cloned()
            .collect();
        missed.sort_by_key(|t| std::cmp::Reverse((t.finished_at, t.number)));
        missed.truncate(MISSED_SHOWN);
        missed
    }

    /// The day's figures; `utc_offset_ms` is the store's offset from UTC (for the hours).
    pub fn analytics(&self, utc_offset_ms: i64) -> Analytics {
        Analytics::of(self.tickets.values(), utc_offset_ms)
    }

    fn in_order(&self, numbers: impl Iterator<Item = u64>) -> Vec<TicketSummary> {
        numbers
            .filter_map(|n| self.tickets.get(&n).cloned())
            .collect()
    }
}

/// What the staff console of one queue starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Console {
    /// Every queue of the installation, for switching.
    pub queues: Vec<QueueInfo>,
    pub queue: QueueInfo,
    pub counters: Vec<CounterId>,
    /// How many places ahead a verified phone is called (0: never).
    pub autodial_places: u32,
    /// 「後ろに回す」's places and the automatic no-show.
    pub late: crate::queue::LateArrivals,
    /// Opening hours and the daily limit (受付上限).
    pub hours: crate::queue::OpeningHours,
    pub day: QueueDay,
    /// When this was read (ms since the Unix epoch), for the minutes waited.
    pub now_ms: u64,
    /// The store's offset from UTC, for the day's hours.
    pub utc_offset_ms: i64,
    /// Who is signed in: what the console names and what it shows (a role's parts only).
    pub you: crate::account::SignedIn,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{Channel, CounterId, Outcome, QueueId};

    fn summary(number: u64, state: TicketState, rev: u64) -> TicketSummary {
        TicketSummary {
            number,
            channel: Channel::Kiosk,
            issued_at: 1_000 * number,
            state,
            counter: (state == TicketState::Called).then(|| CounterId::parse("1").unwrap()),
            called_at: None,
            finished_at: (state == TicketState::NoShow).then_some(5_000 + number),
            recalls: 0,
            rev,
            phone_status: None,
            contact: None,
            answer: None,
            line: false,
        }
    }

    fn event(version: u64, change: Change, ticket: Option<TicketSummary>) -> QueueEvent {
        QueueEvent {
            queue: QueueId::default_queue(),
            version,
            change,
            ticket,
        }
    }

    #[test]
    fn events_keep_the_tickets_the_console_shows() {
        let mut day = QueueDay::new(QueueSnapshot::empty(QueueId::default_queue()), []);
        for n in 1..=3 {
            let e = event(
                n,
                Change::Issued { number: n },
                Some(summary(n, TicketState::Waiting, 1)),
            );
            assert_eq!(day.apply(&e), Applied::Updated);
        }
        let called = Change::Called {
            number: 2,
            counter: CounterId::parse("1").unwrap(),
            at: 9,
            recall: false,
        };
        day.apply(&event(4, called, Some(summary(2, TicketState::Called, 2))));
        let no_show = Change::Finished {
            number: 2,
            outcome: Outcome::NoShow,
            avg_service_ms: None,
        };
        day.apply(&event(5, no_show, Some(summary(2, TicketState::NoShow, 3))));

        let numbers = |ts: Vec<TicketSummary>| ts.iter().map(|t| t.number).collect::<Vec<_>>();
        assert_eq!(numbers(day.waiting()), [1, 3]);
        assert!(day.serving().is_empty());
        assert_eq!(numbers(day.missed()), [2]);
        assert_eq!(day.tickets[&2].rev, 3);
        assert_eq!(day.analytics(0).issued, 3);

        // a gap changes nothing and is reported
        let late = event(
            7,
            Change::Requeued {
                number: 2,
                place: 0,
            },
            None,
        );
        assert_eq!(day.apply(&late), Applied::Gap);
        assert_eq!(day.tickets[&2].state, TicketState::NoShow);

        day.apply(&event(6, Change::Reset, None));
        assert!(day.tickets.is_empty() && day.waiting().is_empty());
    }
}
