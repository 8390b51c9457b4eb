//! Why the store refused or failed: a script's refusal (it changed nothing), Redis unreachable
//! or answering unexpectedly, data that cannot be read; and a Redis URL that is not one.

use crate::queue::Intake;
use crate::ticket::TicketState;

/// Why a script refused a change (and changed nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Intake is paused for this channel.
    Paused(Intake),
    /// The day's cap of tickets is reached.
    DayFull(u32),
    /// The share of the day's cap kept for remote intake is taken (the kiosk still issues).
    RemoteFull(u32),
    /// Nobody is waiting.
    Empty,
    /// No such ticket (today).
    NotFound,
    /// The ticket is in another state, or changed since the actor saw it.
    Conflict(TicketState),
    /// The ticket had its most messages (verification SMS, or all it may cause).
    SmsPerTicket(u32),
    /// The ticket registered its most different phone numbers.
    PhonesPerTicket(u32),
    /// A verification link that is unknown, was used, expired, or was sent to a number the
    /// ticket no longer has.
    Expired,
    /// The ticket has no verified phone.
    NoPhone,
    /// Outside the queue's opening hours (`before`, `after`), or (`remote`) a ticket taken now
    /// from outside the store would not be served before closing.
    Closed(Closed),
}

/// Why intake is closed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    Before,
    After,
    Remote,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Redis is unreachable: {0}")]
    Unavailable(#[source] redis::RedisError),
    #[error("Redis answered unexpectedly: {0}")]
    Redis(#[source] redis::RedisError),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("refused: {0:?}")]
    Refused(Refusal),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_timeout()
        {
            StoreError::Unavailable(e)
        } else {
            StoreError::Redis(e)
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL is not a valid Redis URL ({0}); expected e.g. redis://127.0.0.1:6379/0, redis+cluster://host1:7000,host2:7001 or redis+sentinel://host1:26379,host2:26379/mymaster")]
pub struct BadRedisUrl(pub(super) String);
