//! The queue's snapshot, what every screen draws, and the reducer that applies each event to it
//! ([`QueueSnapshot::apply`]): the same code on the server and in the browser.

use super::{Applied, Change, CounterId, Intake, QueueEvent, QueueId};
use serde::{Deserialize, Serialize};

/// A ticket being served at a counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serving {
    pub counter: CounterId,
    pub number: u64,
}

/// One call (or recall) of a ticket to a counter, for the display board's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub number: u64,
    pub counter: CounterId,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub recall: bool,
}

/// How many calls the snapshot keeps (newest first).
pub const RECENT_CALLS: usize = 6;

/// What a screen needs to draw a queue, read atomically together with the version it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    pub queue: QueueId,
    /// Goes up by exactly one with every change of the queue, and never goes back (not even when
    /// the day's numbering restarts).
    pub version: u64,
    /// Ticket numbers waiting, first in line first.
    pub waiting: Vec<u64>,
    /// Now serving, in counter order.
    pub serving: Vec<Serving>,
    /// The latest calls, newest first.
    pub recent_calls: Vec<Call>,
    /// The last number issued today, 0 before the first.
    pub last_number: u64,
    pub intake: Intake,
    /// The average of the recent service times, once there are enough of them.
    pub avg_service_ms: Option<u64>,
}

impl QueueSnapshot {
    pub fn empty(queue: QueueId) -> Self {
        Self {
            queue,
            version: 0,
            waiting: Vec::new(),
            serving: Vec::new(),
            recent_calls: Vec::new(),
            last_number: 0,
            intake: Intake::Open,
            avg_service_ms: None,
        }
    }

    /// Applies `event` if it is the very next change; never guesses across a gap.
    pub fn apply(&mut self, event: &QueueEvent) -> Applied {
        if event.queue != self.queue || event.version <= self.version {
            return Applied::Stale;
        }
        if event.version != self.version + 1 {
            return Applied::Gap;
        }
        self.version = event.version;
        match &event.change {
            Change::Issued { number } => {
                self.waiting.push(*number);
                self.last_number = *number;
            }
            Change::Called {
                number,
                counter,
                at,
                recall,
            } => {
                self.waiting.retain(|n| n != number);
                self.serving
                    .retain(|s| &s.counter != counter && s.number != *number);
                let at_index = self.serving.partition_point(|s| &s.counter < counter);
                self.serving.insert(
                    at_index,
                    Serving {
                        counter: counter.clone(),
                        number: *number,
                    },
                );
                self.recent_calls.insert(
                    0,
                    Call {
                        number: *number,
                        counter: counter.clone(),
                        at: *at,
                        recall: *recall,
                    },
                );
                self.recent_calls.truncate(RECENT_CALLS);
            }
            Change::Finished {
                number,
                avg_service_ms,
                ..
            } => {
                self.waiting.retain(|n| n != number);
                self.serving.retain(|s| s.number != *number);
                self.avg_service_ms = *avg_service_ms;
            }
            Change::Requeued { number, place } => {
                self.serving.retain(|s| s.number != *number);
                self.waiting.retain(|n| n != number);
                let at = usize::try_from(*place)
                    .unwrap_or(usize::MAX)
                    .min(self.waiting.len());
                self.waiting.insert(at, *number);
            }
            Change::Intake { intake } => self.intake = *intake,
            Change::Phone { .. } => {}
            Change::Reset => {
                self.waiting.clear();
                self.serving.clear();
                self.recent_calls.clear();
                self.last_number = 0;
                self.avg_service_ms = None;
            }
        }
        Applied::Updated
    }

    /// People in line before ticket `number`, or `None` when it is not waiting.
    pub fn people_ahead(&self, number: u64) -> Option<usize> {
        self.waiting.iter().position(|n| *n == number)
    }

    /// The counter serving ticket `number`, if any.
    pub fn counter_of(&self, number: u64) -> Option<&CounterId> {
        self.serving
            .iter()
            .find(|s| s.number == number)
            .map(|s| &s.counter)
    }
}
