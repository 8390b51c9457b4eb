//! The Redis store: every state change is one Lua script, every read of several keys one MULTI.
//!
//! Key names live in [`keys`]; every script's `KEYS`/`ARGV` are bound to names in one place
//! (`binder.rs`), and every script is listed in `scripts.rs`.
//! The scripts publish the change with the queue's new version in the same step, so no change
//! is ever seen without its event.

mod binder;
mod connection;
mod contacts;
mod day;
mod error;
pub mod keys;
mod kiosks;
mod limits;
mod outbox;
mod phones;
mod queue;
mod reminders;
mod scripts;
pub mod sessions;
mod staff;
mod tickets;
mod webhooks;

use crate::queue::QueueId;
use crate::services::calendar::Calendar;
pub use connection::{Connection, RedisTarget, RESPONSE_TIMEOUT};
pub use contacts::{EarlyStatus, LogUpdate};
pub use day::TokenDay;
pub use error::{BadRedisUrl, Refusal, StoreError};
pub use keys::{DayId, DayKeys, QueueKeys, EVENTS_PATTERN};
pub use limits::{
    address_key, networks, wide_network, HeldPlace, Holder, LimitReached, Source, TakeLimits, Taker,
};
pub use outbox::{DevMessage, JobEntry, MessageKind, OutboxJob, Outgoing, Task, UnreadableJob};
pub use phones::Registration;
pub use reminders::Reminder;
pub(crate) use scripts::as_string;
use scripts::{int_at, Scripts};
pub use tickets::{Issued, NewTicket};

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

/// The connection to Redis shared by every request (one multiplexed connection, or one per cluster
/// node, that reconnects by itself), plus the scripts.
#[derive(Clone)]
pub struct Store {
    target: std::sync::Arc<RedisTarget>,
    conn: Connection,
    scripts: std::sync::Arc<Scripts>,
    /// The day's cap of tickets per queue (0: none).
    max_tickets_per_day: u32,
    /// Percent of `max_tickets_per_day` remote intake may take (100: all of it).
    remote_share_percent: u32,
    /// How many places ahead a verified phone gets its automatic call (0: never), per queue as
    /// configured (the console's setting, in Redis, goes over it).
    autodial: std::sync::Arc<AutodialPlaces>,
    /// What the app counts (the scripts' time and failures among it).
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Now and the business day, for reads (changes are given their moment).
    calendar: Calendar,
    /// The key of the stop list's hashes (`PHONE_HASH_SECRET`).
    phone_key: Option<std::sync::Arc<[u8]>>,
}

/// `AUTODIAL_PLACES`: how many places ahead a verified phone is called, for every queue and for
/// some queues apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutodialPlaces {
    pub default: u32,
    pub per_queue: Vec<(QueueId, u32)>,
}

impl AutodialPlaces {
    pub fn of(&self, queue: &QueueId) -> u32 {
        self.per_queue
            .iter()
            .find(|(q, _)| q == queue)
            .map_or(self.default, |(_, places)| *places)
    }
}

impl Store {
    /// Prepares the connection without opening it: the server starts while Redis is down and
    /// connects as soon as it is up. Must run inside the tokio runtime.
    pub fn open(url: &str) -> Result<Self, BadRedisUrl> {
        let target = RedisTarget::parse(url).map_err(BadRedisUrl)?;
        let conn = Connection::open(&target).map_err(|e| BadRedisUrl(e.to_string()))?;
        Ok(Self {
            target: std::sync::Arc::new(target),
            conn,
            scripts: std::sync::Arc::new(Scripts::new()),
            max_tickets_per_day: 0,
            remote_share_percent: 100,
            autodial: Default::default(),
            metrics: Default::default(),
            calendar: Calendar::tokyo(),
            phone_key: None,
        })
    }

    /// Reads the current business day by `calendar` (Asia/Tokyo, turning at 04:00, by default).
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// Keeps all but `percent` of the day's cap for the people in the store: remote intake (see
    /// [`NewTicket::remote`]) stops at that share, so a flood from outside never refuses the
    /// kiosk (`REMOTE_SHARE_PERCENT`).
    pub fn with_remote_share(mut self, percent: u32) -> Self {
        self.remote_share_percent = percent.clamp(1, 100);
        self
    }

    /// The tickets remote intake may take in a day, when the day has a cap.
    fn remote_max_per_day(&self) -> Option<u64> {
        (self.max_tickets_per_day > 0).then(|| {
            (u64::from(self.max_tickets_per_day) * u64::from(self.remote_share_percent) / 100)
                .max(1)
        })
    }

    /// Caps the tickets a queue issues in a day (`MAX_TICKETS_PER_DAY`; 0: no cap).
    pub fn with_max_tickets_per_day(mut self, max: u32) -> Self {
        self.max_tickets_per_day = max;
        self
    }

    /// Calls a verified phone once its ticket is this many places from its turn
    /// (`AUTODIAL_PLACES`; 0: never).
    pub fn with_autodial_places(mut self, places: AutodialPlaces) -> Self {
        self.autodial = std::sync::Arc::new(places);
        self
    }

    /// What the app counts.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// A connection of its own for the event hub's subscription.
    pub async fn pubsub(&self) -> Result<redis::aio::PubSub, redis::RedisError> {
        self.conn.pubsub(&self.target).await
    }

    /// The shared connection, for other stores on the same Redis (sessions).
    pub fn connection(&self) -> Connection {
        self.conn.clone()
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_with_a_message() {
        let err = Store::open("http://nope").err().expect("must fail");
        assert!(err.to_string().contains("REDIS_URL"), "{err}");
    }
}
