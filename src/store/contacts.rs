//! The day's log of SMS and calls, one entry per Sid, kept 24 hours: written when a message
//! leaves, moved on by Twilio's status callbacks (never backwards).

use super::keys::{CONTACTS, CONTACTS_ORDER};
use super::{as_string, Store, StoreError};
use crate::phone::ContactRecord;
use redis::{AsyncCommands, Script, Value};

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

pub(crate) struct LogScript(Script);

impl LogScript {
    pub fn new() -> Self {
        Self(Script::new(include_str!("log.lua")))
    }
}

impl Store {
    pub async fn log_contact(&self, record: &ContactRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.conn.clone();
        let _: Value = self
            .log
            .0
            .key(CONTACTS)
            .key(CONTACTS_ORDER)
            .arg("add")
            .arg(&record.sid)
            .arg(json)
            .arg(record.created_at)
            .arg(KEEP_MS)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Moves entry `sid` on to `status` (of `progress`), unless it is already as far along.
    pub async fn update_contact(
        &self,
        sid: &str,
        status: &str,
        progress: u8,
        at_ms: u64,
        error_code: Option<&str>,
    ) -> Result<LogUpdate, StoreError> {
        let mut conn = self.conn.clone();
        let reply: Vec<Value> = self
            .log
            .0
            .key(CONTACTS)
            .key(CONTACTS_ORDER)
            .arg("status")
            .arg(sid)
            .arg(status)
            .arg(progress)
            .arg(at_ms)
            .arg(error_code.unwrap_or(""))
            .arg(KEEP_MS)
            .invoke_async(&mut conn)
            .await?;
        match reply.first().map(as_string).transpose()?.as_deref() {
            Some("updated") => {
                let json = reply.get(1).map(as_string).transpose()?.unwrap_or_default();
                let entry = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(LogUpdate::Updated(Box::new(entry)))
            }
            Some("kept") => Ok(LogUpdate::Kept),
            Some("unknown") => Ok(LogUpdate::Unknown),
            other => Err(StoreError::Corrupt(format!("log.lua answered {other:?}"))),
        }
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
