//! The day's log of SMS and calls, one entry per Sid, kept 24 hours: written when a message
//! leaves, moved on by Twilio's status callbacks (never backwards).

use super::keys::{early_contact as early, CONTACTS, CONTACTS_ORDER};
use super::{as_string, Store, StoreError};
use crate::phone::ContactRecord;
use redis::{AsyncCommands, Value};

/// How long the log keeps an entry.
const KEEP_MS: u64 = 24 * 3600 * 1000;
/// The entries the console shows at most.
const SHOWN: isize = 200;

/// What a status callback did to the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogUpdate {
    /// The status moved the entry on: the entry now.
    Updated(Box<ContactRecord>),
    /// The entry is already as far along (a late or repeated callback).
    Kept,
    /// No such Sid in the log (not ours, or older than a day): ignored.
    Unknown,
}

/// A status Twilio reported for a Sid before the sender logged it: the entry took it when it
/// was added.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct EarlyStatus {
    pub status: String,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub answered_by: Option<String>,
}

impl Store {
    /// Adds `record` to the log (once per Sid); answers the status that arrived before it, if
    /// one did and moved it on.
    pub async fn log_contact(
        &self,
        record: &ContactRecord,
    ) -> Result<Option<EarlyStatus>, StoreError> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.conn.clone();
        let mut call = self.scripts.log.call();
        call.key("ENTRIES", CONTACTS)
            .key("ORDER", CONTACTS_ORDER)
            .key("EARLY", early(&record.sid))
            .arg("MODE", "add")
            .arg("SID", &record.sid)
            .arg("AT", record.created_at)
            .arg("KEEP_MS", KEEP_MS)
            .arg("ENTRY", json)
            .arg("STATUS", "")
            .arg("PROGRESS", 0)
            .arg("ERROR", "")
            .arg("ANSWERED_BY", "");
        let reply: Vec<Value> = call.invocation().invoke_async(&mut conn).await?;
        reply
            .get(1)
            .map(as_string)
            .transpose()?
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
    }

    /// Moves entry `sid` on to `status` (of `progress`), unless it is already as far along; a
    /// Sid not logged yet keeps the status aside for its entry (`answered_by` with it).
    pub async fn update_contact(
        &self,
        sid: &str,
        status: &str,
        progress: u8,
        at_ms: u64,
        error_code: Option<&str>,
        answered_by: Option<&str>,
    ) -> Result<LogUpdate, StoreError> {
        let mut conn = self.conn.clone();
        let mut call = self.scripts.log.call();
        call.key("ENTRIES", CONTACTS)
            .key("ORDER", CONTACTS_ORDER)
            .key("EARLY", early(sid))
            .arg("MODE", "status")
            .arg("SID", sid)
            .arg("AT", at_ms)
            .arg("KEEP_MS", KEEP_MS)
            .arg("ENTRY", "")
            .arg("STATUS", status)
            .arg("PROGRESS", progress)
            .arg("ERROR", error_code.unwrap_or(""))
            .arg("ANSWERED_BY", answered_by.unwrap_or(""));
        let reply: Vec<Value> = call.invocation().invoke_async(&mut conn).await?;
        match reply.first().map(as_string).transpose()?.as_deref() {
            Some("updated") => {
                let json = reply.get(1).map(as_string).transpose()?.unwrap_or_default();
                let entry =
                    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(LogUpdate::Updated(Box::new(entry)))
            }
            Some("kept") => Ok(LogUpdate::Kept),
            Some("unknown") => Ok(LogUpdate::Unknown),
            other => Err(StoreError::Corrupt(format!("log.lua answered {other:?}"))),
        }
    }

    /// Entry `sid` of the log, if it is there.
    pub async fn contact_entry(&self, sid: &str) -> Result<Option<ContactRecord>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = conn.hget(CONTACTS, sid).await?;
        raw.map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// The log, newest first.
    pub async fn contact_log(&self) -> Result<Vec<ContactRecord>, StoreError> {
        let mut conn = self.conn.clone();
        let sids: Vec<String> = conn.zrevrange(CONTACTS_ORDER, 0, SHOWN - 1).await?;
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(CONTACTS)
            .arg(&sids)
            .query_async(&mut conn)
            .await?;
        raw.into_iter()
            .flatten()
            .map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}
