//! LINE in the store: a ticket's one-time code and its link to a LINE user (in the queue's day
//! keys, so both expire with the day and nothing of yesterday is reachable today), the pushes the
//! queue's scripts make due, the tickets a user follows (at most a few at once), who blocked the
//! account, and the webhook's events recorded before they are answered. A LINE user id is kept in
//! the day's keys only; wherever one is kept longer or names a key, it is its HMAC under
//! `PHONE_HASH_SECRET`.

use super::keys::{self, DayId, QueueKeys};
use super::replies::{self, Items, Reply};
use super::scripts::{LineCodeArgs, LineDueArgs, LineEventArgs, LineFollowArgs, LineLinkArgs};
use super::{Moment, Store, StoreError};
use crate::lang::Lang;
use crate::queue::QueueId;
use redis::{AsyncCommands, Value};

/// How long a webhook event id is remembered (a redelivery later than that is LINE's own
/// retries' limit and more), and an unfinished event kept.
pub const LINE_EVENT_KEPT_S: u64 = 86_400;
/// How long the set of tickets a user follows lives after its last change.
const FOLLOWS_KEPT_S: u64 = 86_400;

/// `line_link.lua`: the ticket linked, and its language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineLinked {
    pub number: u64,
    pub lang: Lang,
}

impl Reply for LineLinked {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let number = items.next("number")?;
        let lang: String = items.next("lang")?;
        Ok(Self {
            number,
            lang: Lang::parse(&lang).unwrap_or_default(),
        })
    }
}

/// `line_code.lua`: the ticket's code (`None`: it follows on LINE already).
pub(super) struct LineCode(pub Option<String>);

impl Reply for LineCode {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let code: String = items.next("code")?;
        Ok(Self(Some(code).filter(|c| !c.is_empty())))
    }
}

/// What a [`super::binder::BoundScript`] of LINE's answered: its status.
struct Status(String);

impl Reply for Status {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        Ok(Self(items.next("status")?))
    }
}

/// The store's LINE links, follows and events: a handle on [`Store`], from [`Store::line_records`].
#[derive(Clone)]
pub struct LineRecords {
    store: Store,
}

impl LineRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// The one-time code of waiting ticket `number` (made now if it has none); `None` when the
    /// ticket follows on LINE already.
    pub async fn line_code(
        &self,
        queue: &QueueId,
        number: u64,
        at: Moment,
    ) -> Result<Option<String>, StoreError> {
        let mut bytes = [0u8; crate::line::code::LEN];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let code = crate::line::code::from_bytes(bytes);
        let invocation = self.store.invoke(
            queue,
            at,
            LineCodeArgs {
                number: number.to_string(),
                code: code.to_string(),
            },
        );
        let LineCode(code) = self.store.run(invocation).await?;
        Ok(code)
    }

    /// The ticket of `queue`'s current day whose one-time code is `code`, if any (and the day).
    pub async fn line_code_owner(
        &self,
        queue: &QueueId,
        code: &str,
    ) -> Result<Option<(DayId, u64)>, StoreError> {
        let field = format!("code:{code}");
        let (day, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hget(day.line(), &field);
            })
            .await?;
        let number: Option<u64> = super::day::single(replies)?;
        Ok(number.map(|n| (day, n)))
    }

    /// Links the ticket whose code is `code` to LINE user `user` (single use, while the ticket
    /// waits).
    pub async fn line_link(
        &self,
        queue: &QueueId,
        code: &str,
        user: &str,
        at: Moment,
    ) -> Result<LineLinked, StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            LineLinkArgs {
                code: code.to_string(),
                user: user.to_string(),
            },
        );
        self.store.run(invocation).await
    }

    /// LINE-linked ticket `number`'s reminder is due: its push is made due (once).
    pub async fn line_reminder_due(
        &self,
        queue: &QueueId,
        number: u64,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            LineDueArgs {
                number: number.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// The LINE user ticket `number` of business `day` is linked to, while that day's keys live.
    pub async fn line_user_of(
        &self,
        queue: &QueueId,
        day: &DayId,
        number: u64,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn
            .hget(
                QueueKeys::of(queue).day_keys(day).line(),
                format!("to:{number}"),
            )
            .await?)
    }

    /// What is kept of LINE user `user` wherever the id itself must not be: its HMAC.
    pub fn line_user_hash(&self, user: &str) -> Result<String, StoreError> {
        let key = self
            .store
            .settings
            .phone_hash_secret
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("LINE needs PHONE_HASH_SECRET".to_owned()))?;
        Ok(crate::secret::keyed_hash_hex(
            key.as_bytes(),
            &format!("line:{user}"),
        ))
    }

    /// The places (`queue/day/number`) user `user` follows.
    pub async fn line_follows(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn
            .smembers(keys::line_follows(&self.line_user_hash(user)?))
            .await?)
    }

    /// Keeps `place` among those `user` follows, within `max` (after letting `release` go):
    /// whether there was room.
    pub async fn line_follow(
        &self,
        user: &str,
        place: &str,
        release: &[String],
        max: u32,
    ) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        let call = LineFollowArgs {
            follows: keys::line_follows(&self.line_user_hash(user)?),
            max: max.into(),
            place: place.to_owned(),
            keep_s: FOLLOWS_KEPT_S,
            release: release.to_vec(),
        };
        let reply: Vec<Value> = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        let Status(status) = replies::decode(reply)?;
        Ok(status == "ok")
    }

    /// `user` no longer follows `place` (its link was refused after all).
    pub async fn line_unfollow_place(&self, user: &str, place: &str) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: u64 = conn
            .srem(keys::line_follows(&self.line_user_hash(user)?), place)
            .await?;
        Ok(())
    }

    /// `user` blocked the account: nothing more is pushed to them, and they follow nothing.
    pub async fn line_stop(&self, user: &str) -> Result<(), StoreError> {
        let hash = self.line_user_hash(user)?;
        let mut conn = self.store.conn.clone();
        let _: u64 = conn.sadd(keys::LINE_STOPPED, &hash).await?;
        let _: u64 = conn.del(keys::line_follows(&hash)).await?;
        Ok(())
    }

    /// `user` follows the account again.
    pub async fn line_resume(&self, user: &str) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: u64 = conn
            .srem(keys::LINE_STOPPED, self.line_user_hash(user)?)
            .await?;
        Ok(())
    }

    /// Whether `user` blocked the account.
    pub async fn line_is_stopped(&self, user: &str) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn
            .sismember(keys::LINE_STOPPED, self.line_user_hash(user)?)
            .await?)
    }

    /// Records webhook event `id` (`event`: its JSON) to carry out: `false` when it was received
    /// before (a redelivery), which changes nothing.
    pub async fn line_record_event(&self, id: &str, event: &str) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        let call = LineEventArgs {
            seen: keys::line_event(id),
            inbox: keys::LINE_INBOX.to_owned(),
            id: id.to_owned(),
            event: event.to_owned(),
            keep_s: LINE_EVENT_KEPT_S,
        };
        let new: u64 = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        Ok(new == 1)
    }

    /// Takes event `id` to carry out for `for_ms` (one process at a time): whether it was free.
    pub async fn line_claim_event(&self, id: &str, for_ms: u64) -> Result<bool, StoreError> {
        self.store.take_turn(&keys::line_claim(id), for_ms).await
    }

    /// Event `id` was carried out.
    pub async fn line_event_done(&self, id: &str) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: u64 = conn.hdel(keys::LINE_INBOX, id).await?;
        Ok(())
    }

    /// The events recorded and not carried out yet: id and JSON.
    pub async fn line_inbox(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn.hgetall(keys::LINE_INBOX).await?)
    }
}
