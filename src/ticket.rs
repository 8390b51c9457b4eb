//! One ticket of a queue.

use crate::queue::{Channel, QueueId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
}

/// A ticket as stored: its number is unique within its queue and day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub number: u64,
    pub channel: Channel,
    /// Milliseconds since the Unix epoch.
    pub issued_at: u64,
    pub state: TicketState,
}

/// What issuing a ticket answers: the new number and the queue right after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedTicket {
    pub queue: QueueId,
    pub number: u64,
    /// People waiting before this ticket.
    pub people_ahead: u64,
    /// People waiting, this ticket included.
    pub waiting: u64,
    /// The queue's version after the issue.
    pub version: u64,
}
