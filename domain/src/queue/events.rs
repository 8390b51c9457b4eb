//! The events that change a queue, as the scripts publish them, and the live channel's messages.

use super::{CounterId, Intake, QueueId, QueueSnapshot};
use crate::ticket::TicketSummary;
use serde::{Deserialize, Serialize};

/// One change of a queue, as published to every server process and every open screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEvent {
    pub queue: QueueId,
    pub version: u64,
    #[serde(flatten)]
    pub change: Change,
    /// The ticket the change is about, as it is after the change (without its token): what the
    /// staff console shows. Absent for `intake` and `reset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketSummary>,
}

/// The state a ticket leaves the line in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    NoShow,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A ticket was issued and joined the end of the line.
    Issued { number: u64 },
    /// A ticket was called (or called again) to a counter.
    Called {
        number: u64,
        counter: CounterId,
        at: u64,
        recall: bool,
    },
    /// A ticket left the line or its counter for good.
    Finished {
        number: u64,
        outcome: Outcome,
        avg_service_ms: Option<u64>,
    },
    /// A called ticket (or a no-show) was put back into the line: at the front, or `place`
    /// places from it (「後ろに回す」; at the end when the line is shorter).
    Requeued {
        number: u64,
        #[serde(default)]
        place: u64,
    },
    /// Intake was paused or resumed.
    Intake { intake: Intake },
    /// The day's numbering restarted: the line, the counters and the history are empty.
    Reset,
    /// A ticket's phone was registered or verified, or it was linked to LINE (the number and the
    /// LINE user never travel in events).
    Phone { number: u64 },
}

/// What applying an event to a snapshot did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The event was the next one; the snapshot now includes it.
    Updated,
    /// The snapshot already includes this event (it arrived twice, or before the snapshot was read).
    Stale,
    /// One or more events were missed: the screen must read a new snapshot.
    Gap,
}

/// A message on the live channel (`/api/v1/queues/{queue}/live`): a snapshot first, then events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveMessage {
    Snapshot { snapshot: QueueSnapshot },
    Event { event: QueueEvent },
}
