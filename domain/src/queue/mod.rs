//! Queues, counters, the queue's snapshot and the events that change it.
//!
//! Every screen holds a [`QueueSnapshot`] and applies [`QueueEvent`]s to it with
//! [`QueueSnapshot::apply`]; the server's scripts publish exactly these events, so a screen that
//! applies every event in version order holds the same picture as a fresh snapshot.

mod events;
mod ids;
mod info;
mod intake;
mod rules;
mod snapshot;

pub use events::{Applied, Change, LiveMessage, Outcome, QueueEvent};
pub use ids::{CounterId, IdError, QueueId};
pub use info::{estimated_wait_ms, minutes_ceil, QueueInfo, MAX_PREFIX_CHARS};
pub use intake::{Intake, UnknownIntake};
pub use rules::{Channel, LateArrivals, OpeningHours, MAX_AUTODIAL_PLACES};
pub use snapshot::{Call, QueueSnapshot, Serving, RECENT_CALLS};

#[cfg(test)]
mod tests;
