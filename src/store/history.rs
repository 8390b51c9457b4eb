//! The history: each business day of a queue summed into figures without anything personal
//! ([`crate::history::DayFigures`]), kept `HISTORY_DAYS`, one key per date (`keys::history`),
//! each business day of that date (after a staff reset, several) a field written once.

use super::keys::{DayId, QueueKeys};
use super::tickets::parse_ticket;
use super::{Store, StoreError};
use crate::queue::QueueId;
use crate::ticket::TicketSummary;
use redis::AsyncCommands;

/// How long a process holds a day it is summing: another may take over after that.
const CLOSING_HOLD_MS: u64 = 60_000;

/// The store's the days' figures kept: a handle on [`Store`], from [`Store::history_records`].
#[derive(Clone)]
pub struct HistoryRecords {
    store: Store,
}

impl HistoryRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// The queue's recent business days, newest first (the current one among them).
    pub async fn recent_days(&self, queue: &QueueId) -> Result<Vec<DayId>, StoreError> {
        let mut conn = self.store.conn.clone();
        let days: Vec<String> = conn.lrange(QueueKeys::of(queue).days(), 0, -1).await?;
        Ok(days.iter().filter_map(|d| DayId::parse(d)).collect())
    }

    /// Every ticket of business `day` (without tokens or phones) and what its scripts counted of
    /// its SMS and calls, read together.
    pub async fn day_for_history(
        &self,
        queue: &QueueId,
        day: &DayId,
    ) -> Result<(Vec<TicketSummary>, Vec<(String, u64)>), StoreError> {
        let keys = QueueKeys::of(queue).day_keys(day);
        let mut conn = self.store.conn.clone();
        let (tickets, sent): (Vec<String>, Vec<(String, u64)>) = redis::pipe()
            .atomic()
            .hvals(keys.tickets())
            .hgetall(keys.stats())
            .query_async(&mut conn)
            .await?;
        let tickets = tickets
            .iter()
            .map(|json| parse_ticket(json).map(|t| t.summary))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((tickets, sent))
    }

    /// Whether business `day` is in the history already.
    pub async fn is_kept(&self, queue: &QueueId, day: &DayId) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn
            .hexists(QueueKeys::of(queue).history(day.date()), day.as_str())
            .await?)
    }

    /// Takes the summing of business `day` for this process (a minute; `false`: another has it).
    pub async fn claim_closing(&self, queue: &QueueId, day: &DayId) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        let taken: Option<String> = redis::cmd("SET")
            .arg(QueueKeys::of(queue).closing(day))
            .arg(std::process::id())
            .arg("NX")
            .arg("PX")
            .arg(CLOSING_HOLD_MS)
            .query_async(&mut conn)
            .await?;
        Ok(taken.is_some())
    }

    /// Keeps business `day`'s figures (JSON) until `expire_at` (Unix seconds), unless they are
    /// kept already. Answers whether this call kept them.
    pub async fn keep_day(
        &self,
        queue: &QueueId,
        day: &DayId,
        figures_json: &str,
        expire_at: u64,
    ) -> Result<bool, StoreError> {
        let key = QueueKeys::of(queue).history(day.date());
        let mut conn = self.store.conn.clone();
        let (kept, _): (bool, bool) = redis::pipe()
            .atomic()
            .hset_nx(&key, day.as_str(), figures_json)
            .expire_at(&key, expire_at as i64)
            .query_async(&mut conn)
            .await?;
        Ok(kept)
    }

    /// The kept figures (JSON) of each date, in order: every business day of that date.
    pub async fn kept_days(
        &self,
        queue: &QueueId,
        dates: &[String],
    ) -> Result<Vec<Vec<String>>, StoreError> {
        if dates.is_empty() {
            return Ok(Vec::new());
        }
        let keys = QueueKeys::of(queue);
        let mut pipe = redis::pipe();
        for date in dates {
            pipe.hvals(keys.history(date));
        }
        let mut conn = self.store.conn.clone();
        Ok(pipe.query_async(&mut conn).await?)
    }

    /// Today's SMS and calls as the scripts counted them (`sms:<slot>`, `call:<slot>`).
    pub async fn today_sent(&self, queue: &QueueId) -> Result<Vec<(String, u64)>, StoreError> {
        let (_, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hgetall(day.stats());
            })
            .await?;
        super::day::single(replies)
    }
}
