//! The business day of a queue: which day is current, starting a new one, and reads of that
//! day's keys.
//!
//! Every key of a day carries the day in its name (`keys::DayKeys`). The scripts' prelude settles
//! the current day: the first script after the boundary, in any process, starts the new one, and a
//! staff reset starts one the same way. Nothing of a day is deleted when the next starts; its keys
//! expire at its close plus the retention and are never named again.

use super::keys::{DayId, DayKeys, QueueKeys};
use super::replies::{self, Reset, Today};
use super::scripts::{ResetArgs, TodayArgs};
use super::{as_string, Moment, Store, StoreError};
use crate::queue::QueueId;
use crate::ticket::TicketToken;
use redis::Value;

/// Where a ticket's token was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenDay {
    /// A ticket of the current day, with this number.
    Today(u64),
    /// A ticket of an earlier day (whose keys have not expired yet): it is over.
    Earlier,
    /// Nothing known.
    Unknown,
}

/// How often a read is tried again when the day turned between learning it and reading it.
const READ_TRIES: usize = 3;

/// The store's business days: a handle on [`Store`], from [`Store::days`].
#[derive(Clone)]
pub struct Days {
    store: Store,
}

impl Days {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// The queue's current business day (turned by this call if its date came).
    pub async fn today(&self, queue: &QueueId) -> Result<DayId, StoreError> {
        let at = self.store.calendar.now();
        let Today(day) = self
            .store
            .run(self.store.invoke(queue, at, TodayArgs {}))
            .await?;
        Ok(day)
    }

    /// Starts a new business day: `force` (staff) now, otherwise when the clock's date came (the
    /// first script after the boundary does that anyway; this tells idle screens in time).
    /// Answers the day it started, if it did.
    pub async fn reset(
        &self,
        queue: &QueueId,
        force: bool,
        at: Moment,
    ) -> Result<Option<DayId>, StoreError> {
        let mode = if force { "force" } else { "" };
        let invocation = self.store.invoke(
            queue,
            at,
            ResetArgs {
                mode: mode.to_string(),
            },
        );
        let mut conn = self.store.conn.clone();
        let reply: Vec<Value> = invocation.invocation.invoke_async(&mut conn).await?;
        let Reset(day) = replies::decode(reply)?;
        Ok(day)
    }

    /// Which day's ticket `token` is in `queue`: today's (its number), an earlier day's, or none.
    pub async fn token_day(
        &self,
        queue: &QueueId,
        token: &TicketToken,
    ) -> Result<TokenDay, StoreError> {
        Ok(self.token_day_and_today(queue, token).await?.0)
    }

    /// [`Store::token_day`], and the current day it was read in (for reading the ticket of it).
    pub async fn token_day_and_today(
        &self,
        queue: &QueueId,
        token: &TicketToken,
    ) -> Result<(TokenDay, DayId), StoreError> {
        let (today, replies) = self
            .store
            .read_day(queue, |pipe, queue, day| {
                pipe.hget(day.tokens(), token.as_str())
                    .lrange(queue.days(), 0, -1);
            })
            .await?;
        let (number, days): (Option<u64>, Vec<String>) =
            redis::from_redis_value_ref(&Value::Array(replies))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(number) = number {
            return Ok((TokenDay::Today(number), today));
        }
        let keys = QueueKeys::of(queue);
        let earlier: Vec<DayId> = days
            .iter()
            .filter_map(|d| DayId::parse(d))
            .filter(|d| *d != today)
            .collect();
        if earlier.is_empty() {
            return Ok((TokenDay::Unknown, today));
        }
        let mut pipe = redis::pipe();
        for day in &earlier {
            pipe.hexists(keys.day_keys(day).tokens(), token.as_str());
        }
        let mut conn = self.store.conn.clone();
        let found: Vec<bool> = pipe.query_async(&mut conn).await?;
        let found = if found.contains(&true) {
            TokenDay::Earlier
        } else {
            TokenDay::Unknown
        };
        Ok((found, today))
    }
}

/// The one reply of a read of one value.
pub(super) fn single<T: redis::FromRedisValue>(replies: Vec<Value>) -> Result<T, StoreError> {
    let value = replies
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt("a read answered nothing".to_owned()))?;
    redis::from_redis_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Runs `reads` on the keys of the queue's current day as one MULTI/EXEC (again if the day
    /// turned between learning it and reading): answers the day and the replies, in order.
    pub(crate) async fn read_day(
        &self,
        queue: &QueueId,
        reads: impl Fn(&mut redis::Pipeline, &QueueKeys, &DayKeys),
    ) -> Result<(DayId, Vec<Value>), StoreError> {
        let keys = QueueKeys::of(queue);
        let mut conn = self.conn.clone();
        for _ in 0..READ_TRIES {
            let day = self.days().today(queue).await?;
            let mut pipe = redis::pipe();
            pipe.atomic().get(keys.day());
            reads(&mut pipe, &keys, &keys.day_keys(&day));
            let mut replies: Vec<Value> = pipe.query_async(&mut conn).await?;
            if replies.is_empty() {
                return Err(StoreError::Corrupt("a read answered nothing".to_owned()));
            }
            let current = as_string(&replies.remove(0))?;
            if current == day.as_str() {
                return Ok((day, replies));
            }
        }
        Err(StoreError::Corrupt(format!(
            "the day of queue {queue} changed during {READ_TRIES} reads in a row"
        )))
    }
}
