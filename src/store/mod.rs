//! The Redis store: every state change is one Lua script, every read of several keys one MULTI.
//!
//! Key names live in [`keys`]; every script's `KEYS`/`ARGV` are bound to names in one place
//! (`binder.rs`), and every script is listed in `scripts.rs`.
//! The scripts publish the change with the queue's new version in the same step, so no change
//! is ever seen without its event.

mod accounts;
mod api_tokens;
mod audit;
mod backup;
mod binder;
mod connection;
mod contacts;
mod day;
mod error;
mod history;
pub mod keys;
mod kiosks;
mod limits;
mod line;
mod outbox;
mod phones;
mod queue;
mod reminders;
mod replies;
mod scripts;
pub mod sessions;
mod staff;
mod tickets;
mod webhooks;

use crate::calendar::Calendar;
pub use crate::calendar::Moment;
use crate::queue::{QueueId, MAX_AUTODIAL_PLACES};
pub use accounts::{AccountRecords, StaffCheck, StoredAccount};
pub use api_tokens::{ApiTokenRecords, StoredToken};
pub use audit::AuditRecords;
pub use backup::Backups;
pub use backup::{Backup, BadBackup, HistoryDate, QueueBackup, Restored, FORMAT, FORMAT_VERSION};
pub use connection::{Connection, RedisTarget, RESPONSE_TIMEOUT};
pub use contacts::ContactRecords;
pub use contacts::{EarlyStatus, LogUpdate};
pub use day::{Days, TokenDay};
pub use error::{BadRedisUrl, StoreError};
pub use history::HistoryRecords;
pub use keys::{DayId, DayKeys, QueueKeys, EVENTS_PATTERN};
pub use kiosks::Kiosks;
pub use limits::Places;
pub use limits::{
    address_key, networks, wide_network, HeldPlace, Holder, LimitReached, Source, TakeLimits, Taker,
};
pub use line::LineRecords;
pub use line::{LineLinked, LINE_EVENT_KEPT_S};
pub use outbox::OutboxStream;
pub use outbox::{
    DevMessage, JobEntry, LineNotice, MessageKind, OutboxJob, Outgoing, Task, UnreadableJob,
};
pub use phones::PhoneRecords;
pub use phones::Registration;
pub use queue::Queues;
pub use reminders::Reminder;
pub use reminders::ReminderRecords;
pub(crate) use scripts::as_string;
use scripts::Scripts;
pub use staff::StaffRecords;
use std::collections::HashMap;
pub use tickets::Tickets;
pub use tickets::{Issued, NewTicket};
pub use webhooks::Replies;

/// The connection to Redis shared by every request (one multiplexed connection, or one per cluster
/// node, that reconnects by itself), plus the scripts.
#[derive(Clone)]
pub struct Store {
    target: std::sync::Arc<RedisTarget>,
    conn: Connection,
    scripts: std::sync::Arc<Scripts>,
    /// Its section of the configuration, whole.
    settings: std::sync::Arc<StoreSettings>,
    /// What the app counts (the scripts' time and failures among it).
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Now and the business day, for reads (changes are given their moment).
    calendar: Calendar,
}

/// The store's section of the configuration: where Redis is and the rules the scripts keep. No
/// `Debug`: it holds a secret.
#[derive(Clone)]
pub struct StoreSettings {
    /// `REDIS_URL` (see [`RedisTarget`]).
    pub redis_url: String,
    /// `MAX_TICKETS_PER_DAY`: the day's cap of tickets per queue (0: none).
    pub max_tickets_per_day: u32,
    /// `REMOTE_SHARE_PERCENT`: the part of the day's cap remote intake (see
    /// [`NewTicket::remote`]) may take, so a flood from outside never refuses the kiosk (100: all
    /// of it).
    pub remote_share_percent: u32,
    /// `AUTODIAL_PLACES`: how many places ahead a verified phone gets its automatic call (0:
    /// never), per queue as configured (the console's setting, in Redis, goes over it).
    pub autodial_places: AutodialPlaces,
    /// `PHONE_HASH_SECRET`: the key of the stop list's hashes. Without one (no Twilio: nobody can
    /// text STOP) the stop list is empty and cannot be written.
    pub phone_hash_secret: Option<String>,
}

impl StoreSettings {
    /// Redis at `redis_url`, with no cap, no share kept, no automatic call and no stop list.
    pub fn at(redis_url: &str) -> Self {
        Self {
            redis_url: redis_url.to_owned(),
            max_tickets_per_day: 0,
            remote_share_percent: 100,
            autodial_places: AutodialPlaces::default(),
            phone_hash_secret: None,
        }
    }
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

impl std::str::FromStr for AutodialPlaces {
    type Err = String;

    /// `3` (every queue) or `3,kaikei:5` (one queue apart); unset: 3. Each a whole number from 0
    /// to [`MAX_AUTODIAL_PLACES`].
    fn from_str(raw: &str) -> Result<Self, String> {
        let mut places = Self {
            default: 3,
            per_queue: Vec::new(),
        };
        let count = |n: &str| {
            n.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_AUTODIAL_PLACES)
                .ok_or_else(|| {
                    format!("{n:?} is not a whole number from 0 to {MAX_AUTODIAL_PLACES}")
                })
        };
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once(':') {
                None => places.default = count(part)?,
                Some((queue, n)) => {
                    let queue = QueueId::parse(queue.trim())
                        .map_err(|_| format!("{queue:?} is not a queue of QUEUES"))?;
                    places.per_queue.push((queue, count(n)?));
                }
            }
        }
        Ok(places)
    }
}

impl Store {
    /// Its API tokens.
    pub fn api_token_records(&self) -> ApiTokenRecords {
        ApiTokenRecords::of(self.clone())
    }

    /// Its audit trail.
    pub fn audit_records(&self) -> AuditRecords {
        AuditRecords::of(self.clone())
    }

    /// Its accounts.
    pub fn account_records(&self) -> AccountRecords {
        AccountRecords::of(self.clone())
    }

    /// Its backups and restores.
    pub fn backups(&self) -> Backups {
        Backups::of(self.clone())
    }

    /// Its the contact log.
    pub fn contact_records(&self) -> ContactRecords {
        ContactRecords::of(self.clone())
    }

    /// Its business days.
    pub fn days(&self) -> Days {
        Days::of(self.clone())
    }

    /// Its the days' figures kept.
    pub fn history_records(&self) -> HistoryRecords {
        HistoryRecords::of(self.clone())
    }

    /// Its kiosks.
    pub fn kiosks(&self) -> Kiosks {
        Kiosks::of(self.clone())
    }

    /// Its places taken under the limits.
    pub fn places(&self) -> Places {
        Places::of(self.clone())
    }

    /// Its LINE links, follows and events.
    pub fn line_records(&self) -> LineRecords {
        LineRecords::of(self.clone())
    }

    /// Its the outbox stream and the dev outbox.
    pub fn outbox_stream(&self) -> OutboxStream {
        OutboxStream::of(self.clone())
    }

    /// Its tickets' phones, calls and the stop list.
    pub fn phone_records(&self) -> PhoneRecords {
        PhoneRecords::of(self.clone())
    }

    /// Its queues' settings and snapshots.
    pub fn queues(&self) -> Queues {
        Queues::of(self.clone())
    }

    /// Its reminders.
    pub fn reminder_records(&self) -> ReminderRecords {
        ReminderRecords::of(self.clone())
    }

    /// Its the staff password, epoch and sign-in attempts.
    pub fn staff_records(&self) -> StaffRecords {
        StaffRecords::of(self.clone())
    }

    /// Its tickets issued and acted on.
    pub fn tickets(&self) -> Tickets {
        Tickets::of(self.clone())
    }

    /// Its answers kept so a retry gets the same.
    pub fn replies(&self) -> Replies {
        Replies::of(self.clone())
    }

    /// The records of `all` (id → JSON, read as `T`) with when each was last seen (`seen`: id →
    /// ms), both hashes of one slot read together: what kiosks, accounts and API tokens list.
    pub(crate) async fn records_with_seen<T: serde::de::DeserializeOwned>(
        &self,
        all: &str,
        seen: &str,
    ) -> Result<Vec<(String, T, Option<u64>)>, StoreError> {
        let mut conn = self.conn.clone();
        let (all, seen): (HashMap<String, String>, HashMap<String, u64>) = redis::pipe()
            .hgetall(all)
            .hgetall(seen)
            .query_async(&mut conn)
            .await?;
        all.into_iter()
            .map(|(id, json)| {
                let record = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("{id}: {e}")))?;
                let seen = seen.get(&id).copied();
                Ok((id, record, seen))
            })
            .collect()
    }

    /// Takes the turn kept at `key` for `for_ms`, unless another process holds it: whether it
    /// was free.
    pub(crate) async fn take_turn(&self, key: &str, for_ms: u64) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let taken: Option<String> = redis::cmd("SET")
            .arg(key)
            .arg(std::process::id())
            .arg("NX")
            .arg("PX")
            .arg(for_ms)
            .query_async(&mut conn)
            .await?;
        Ok(taken.is_some())
    }

    /// Prepares the connection to Redis at `redis_url` with the defaults of [`StoreSettings::at`],
    /// reading by Tokyo's calendar (see [`Self::new`]).
    pub fn open(redis_url: &str) -> Result<Self, BadRedisUrl> {
        Self::new(StoreSettings::at(redis_url), Calendar::tokyo())
    }

    /// Prepares the connection without opening it: the server starts while Redis is down and
    /// connects as soon as it is up. Reads the current business day by `calendar`. Must run
    /// inside the tokio runtime.
    pub fn new(settings: StoreSettings, calendar: Calendar) -> Result<Self, BadRedisUrl> {
        let target = RedisTarget::parse(&settings.redis_url).map_err(BadRedisUrl)?;
        let conn = Connection::open(&target).map_err(|e| BadRedisUrl(e.to_string()))?;
        Ok(Self {
            target: std::sync::Arc::new(target),
            conn,
            scripts: std::sync::Arc::new(Scripts::new()),
            settings: std::sync::Arc::new(settings),
            metrics: Default::default(),
            calendar,
        })
    }

    /// Reads the current business day by `calendar` (Asia/Tokyo, turning at 04:00, by default).
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// The tickets remote intake may take in a day, when the day has a cap.
    fn remote_max_per_day(&self) -> Option<u64> {
        let max = self.settings.max_tickets_per_day;
        let percent = self.settings.remote_share_percent.clamp(1, 100);
        (max > 0).then(|| (u64::from(max) * u64::from(percent) / 100).max(1))
    }

    /// What the app counts.
    /// What the app counts, to keep (for a service that counts).
    pub fn shared_metrics(&self) -> std::sync::Arc<crate::metrics::Metrics> {
        std::sync::Arc::clone(&self.metrics)
    }

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
