//! Every script's reply as a type of its own, decoded here and nowhere else: a script answers an
//! array (`{'ok', number, version}`), whose items are read in the order its type reads them, each
//! by what it is; no caller indexes a reply. A queue script's status (`ok`, or a refusal) is read
//! first, by `Store::run` (`scripts.rs`); the limits' and the contact log's scripts answer a
//! status of their own, which their types read.

use super::keys::DayId;
use super::limits::LimitReached;
use super::{EarlyStatus, LogUpdate, StoreError};
use crate::ticket::TicketToken;
use redis::{FromRedisValue, Value};

/// The items of a reply, read in order.
pub(super) struct Items(std::vec::IntoIter<Value>);

impl Items {
    pub(super) fn new(reply: Vec<Value>) -> Self {
        Self(reply.into_iter())
    }

    /// The next item, as `what` (named in the error when it is not one; a missing item reads as
    /// nil).
    pub(super) fn next<T: FromRedisValue>(&mut self, what: &str) -> Result<T, StoreError> {
        let value = self.0.next().unwrap_or(Value::Nil);
        redis::from_redis_value(value)
            .map_err(|e| StoreError::Corrupt(format!("a script's reply: {what}: {e}")))
    }

    /// The next item, a business day (`2026-11-25`).
    fn day(&mut self) -> Result<DayId, StoreError> {
        let raw: Option<String> = self.next("day")?;
        let raw = raw.unwrap_or_default();
        DayId::parse(&raw)
            .ok_or_else(|| StoreError::Corrupt(format!("not a business day: {raw:?}")))
    }
}

/// What a script answers, decoded from its items.
pub(super) trait Reply: Sized {
    fn decode(items: &mut Items) -> Result<Self, StoreError>;
}

/// A script whose `ok` is all it says (anything after it is not read).
impl Reply for () {
    fn decode(_: &mut Items) -> Result<Self, StoreError> {
        Ok(())
    }
}

/// The queue's version after the change (`act`, `set_intake`).
pub(super) struct Version(pub u64);

impl Reply for Version {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        Ok(Self(items.next("version")?))
    }
}

/// `issue.lua`: the new number, the people ahead, the queue's version, the average service time
/// (ms, when known) and the business day it was issued in.
pub(super) struct IssueReply {
    pub number: u64,
    pub ahead: u64,
    pub version: u64,
    pub avg_service_ms: Option<u64>,
    pub day: DayId,
}

impl Reply for IssueReply {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        Ok(Self {
            number: items.next("number")?,
            ahead: items.next("ahead")?,
            version: items.next("version")?,
            // '' until there is an average
            avg_service_ms: items
                .next::<Option<String>>("average service time")?
                .and_then(|s| s.parse().ok()),
            day: items.day()?,
        })
    }
}

/// `call_next.lua`: the number called and the queue's version.
pub(super) struct CallNextReply {
    pub number: u64,
    pub version: u64,
}

impl Reply for CallNextReply {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        Ok(Self {
            number: items.next("number")?,
            version: items.next("version")?,
        })
    }
}

/// `today.lua`: the queue's current business day.
pub(super) struct Today(pub DayId);

impl Reply for Today {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        Ok(Self(items.day()?))
    }
}

/// `verify_phone.lua`: the token of the ticket whose phone was verified.
pub(super) struct Verified(pub TicketToken);

impl Reply for Verified {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let raw: Option<String> = items.next("token")?;
        TicketToken::parse(&raw.unwrap_or_default())
            .map(Self)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// `reset.lua`, with its own status: the day it started (`ok`), or `None` when the day stays.
pub(super) struct Reset(pub Option<DayId>);

impl Reply for Reset {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let status: Option<String> = items.next("status")?;
        if status.as_deref() != Some("ok") {
            return Ok(Self(None));
        }
        Ok(Self(Some(items.day()?)))
    }
}

/// `take.lua`, with its own status: `ok`, or which limit was reached and how long its window
/// still lasts.
pub(super) struct Taken(pub Option<LimitReached>);

impl Reply for Taken {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let status: String = items.next("status")?;
        if status == "ok" {
            return Ok(Self(None));
        }
        let why: String = items.next("why")?;
        // the window's TTL: none, or a key without one (-1), counts as no wait
        let retry_after_s = items
            .next::<Option<i64>>("retry after")
            .ok()
            .flatten()
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(0);
        match why.as_str() {
            "source" => Ok(Self(Some(LimitReached::Source { retry_after_s }))),
            "per_hour" => Ok(Self(Some(LimitReached::Client { retry_after_s }))),
            "active" => Ok(Self(Some(LimitReached::Active))),
            other => Err(StoreError::Corrupt(format!("take.lua refused {other:?}"))),
        }
    }
}

/// `log.lua` adding an entry: what Twilio said of its Sid before it was logged, if anything.
pub(super) struct Logged(pub Option<EarlyStatus>);

impl Reply for Logged {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let _status: Option<String> = items.next("status")?;
        let early: Option<String> = items.next("early status")?;
        early
            .map(|json| {
                serde_json::from_str::<EarlyStatus>(&json)
                    .map(|mut early| {
                        // Lua writes an absent value as ''
                        early.error_code = early.error_code.filter(|c| !c.is_empty());
                        early.answered_by = early.answered_by.filter(|a| !a.is_empty());
                        early
                    })
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
            .map(Self)
    }
}

/// `log.lua` moving an entry on.
impl Reply for LogUpdate {
    fn decode(items: &mut Items) -> Result<Self, StoreError> {
        let status: Option<String> = items.next("status")?;
        match status.as_deref() {
            Some("updated") => {
                let json: Option<String> = items.next("entry")?;
                let entry = serde_json::from_str(&json.unwrap_or_default())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(LogUpdate::Updated(Box::new(entry)))
            }
            Some("kept") => Ok(LogUpdate::Kept),
            Some("unknown") => Ok(LogUpdate::Unknown),
            other => Err(StoreError::Corrupt(format!("log.lua answered {other:?}"))),
        }
    }
}

/// Decodes a whole reply (status included) as `R`.
pub(super) fn decode<R: Reply>(reply: Vec<Value>) -> Result<R, StoreError> {
    R::decode(&mut Items::new(reply))
}
