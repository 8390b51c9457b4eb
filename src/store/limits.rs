//! The limits of remote takes (remote check-in and the anonymous API), kept in Redis so they hold
//! across server processes and across a customer's new cookies: one script checks every limit and
//! takes a place in the same step, so parallel requests cannot both slip under a limit.

use super::keys;
use super::{Store, StoreError};
use redis::{AsyncCommands, Script, Value};
use std::time::Duration;

/// Who takes: where from (a client address, or a kiosk) and, for a phone with a session, the
/// session's client id.
#[derive(Clone, Copy, Debug)]
pub struct Taker<'a> {
    pub source: Source<'a>,
    pub client: Option<&'a str>,
}

/// Where a take comes from; each has its own count.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A client address, as a limit key (see `services::address_key`), or `phone:<E.164>` for a
    /// take by SMS or a call.
    Address(&'a str),
    /// A kiosk, by its id.
    Kiosk(&'a str),
    /// Verification SMS to one number (E.164).
    SmsTo(&'a str),
    /// Verification SMS asked for from one client address.
    SmsFrom(&'a str),
    /// Verification SMS in all.
    SmsAll,
}

/// How many takes a window allows.
#[derive(Clone, Copy, Debug)]
pub struct TakeLimits {
    pub window: Duration,
    pub per_source: u32,
    pub per_client: u32,
    /// Tickets one client may hold at once.
    pub active: u32,
}

/// Which limit refused a take; `retry_after_s`: when its window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHit {
    Source { retry_after_s: u64 },
    Client { retry_after_s: u64 },
    Active,
}

pub(crate) struct LimitScripts {
    take: Script,
    give_back: Script,
}

impl LimitScripts {
    pub fn new() -> Self {
        Self {
            take: Script::new(include_str!("take.lua")),
            give_back: Script::new(include_str!("give_back.lua")),
        }
    }
}

impl Taker<'_> {
    fn keys(&self) -> Vec<String> {
        let mut keys = vec![match self.source {
            Source::Address(address) => keys::address_takes(address),
            Source::Kiosk(kiosk) => keys::kiosk_takes(kiosk),
            Source::SmsTo(phone) => keys::sms_takes(&format!("to:{phone}")),
            Source::SmsFrom(address) => keys::sms_takes(&format!("from:{address}")),
            Source::SmsAll => keys::sms_takes("all"),
        }];
        if let Some(client) = self.client {
            keys.extend([keys::client_takes(client), keys::client_held(client)]);
        }
        keys
    }
}

impl Store {
    /// What `client` holds: `queue/number` of each ticket, or `pending:<ms>:<id>` of a place
    /// being issued.
    pub async fn held(&self, client: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        Ok(conn.smembers(keys::client_held(client)).await?)
    }

    /// Takes a place within every limit, recorded as `reservation` among what the client holds,
    /// after releasing `release` (held tickets that have finished); or answers which limit refused
    /// and takes nothing.
    pub async fn take_place(
        &self,
        taker: Taker<'_>,
        limits: TakeLimits,
        reservation: &str,
        release: &[String],
    ) -> Result<Option<LimitHit>, StoreError> {
        let mut invocation = self.limits.take.prepare_invoke();
        for key in taker.keys() {
            invocation.key(key);
        }
        invocation
            .arg(limits.window.as_secs().max(1))
            .arg(limits.per_source)
            .arg(limits.per_client)
            .arg(limits.active)
            .arg(reservation);
        for member in release {
            invocation.arg(member);
        }
        let mut conn = self.conn.clone();
        let reply: Vec<Value> = invocation.invoke_async(&mut conn).await?;
        let field = |i: usize| -> Result<String, StoreError> {
            reply
                .get(i)
                .map(super::as_string)
                .transpose()?
                .ok_or_else(|| StoreError::Corrupt(format!("take.lua reply lacks item {i}")))
        };
        if field(0)? == "ok" {
            return Ok(None);
        }
        let retry_after_s = super::int_at(&reply, 2).unwrap_or(0);
        match field(1)?.as_str() {
            "source" => Ok(Some(LimitHit::Source { retry_after_s })),
            "per_hour" => Ok(Some(LimitHit::Client { retry_after_s })),
            "active" => Ok(Some(LimitHit::Active)),
            other => Err(StoreError::Corrupt(format!("take.lua refused {other:?}"))),
        }
    }

    /// The ticket of `reservation` was issued: the client now holds `ticket` (`queue/number`).
    pub async fn settle_place(
        &self,
        client: &str,
        reservation: &str,
        ticket: &str,
    ) -> Result<(), StoreError> {
        let key = keys::client_held(client);
        let mut conn = self.conn.clone();
        let _: () = redis::pipe()
            .atomic()
            .srem(&key, reservation)
            .ignore()
            .sadd(&key, ticket)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The ticket of `reservation` was not issued: the place is given back.
    pub async fn give_back_place(
        &self,
        taker: Taker<'_>,
        reservation: &str,
    ) -> Result<(), StoreError> {
        let mut invocation = self.limits.give_back.prepare_invoke();
        for key in taker.keys() {
            invocation.key(key);
        }
        invocation.arg(reservation);
        let mut conn = self.conn.clone();
        let _: Value = invocation.invoke_async(&mut conn).await?;
        Ok(())
    }
}
