//! The day's log of SMS and calls, one entry per Sid, kept 24 hours: written when a message
//! leaves, moved on by Twilio's status callbacks (never backwards).

use super::keys::{early_contact as early, CONTACTS, CONTACTS_ORDER};
use super::replies::{self, Logged};
use super::scripts::LogArgs;
use super::{Store, StoreError};
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

/// The store's the contact log: a handle on [`Store`], from [`Store::contact_records`].
#[derive(Clone)]
pub struct ContactRecords {
    store: Store,
}

impl ContactRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Adds `record` to the log (once per Sid); answers the status that arrived before it, if
    /// one did and moved it on.
    pub async fn log_contact(
        &self,
        record: &ContactRecord,
    ) -> Result<Option<EarlyStatus>, StoreError> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.store.conn.clone();
        let call = LogArgs {
            entries: CONTACTS.to_owned(),
            order: CONTACTS_ORDER.to_owned(),
            early: early(&record.sid),
            mode: "add".to_owned(),
            sid: record.sid.clone(),
            at: record.created_at,
            keep_ms: KEEP_MS,
            entry: json,
            status: String::new(),
            progress: 0,
            error: String::new(),
            answered_by: String::new(),
        };
        let reply: Vec<Value> = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        let Logged(early) = replies::decode(reply)?;
        Ok(early)
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
        let mut conn = self.store.conn.clone();
        let call = LogArgs {
            entries: CONTACTS.to_owned(),
            order: CONTACTS_ORDER.to_owned(),
            early: early(sid),
            mode: "status".to_owned(),
            sid: sid.to_owned(),
            at: at_ms,
            keep_ms: KEEP_MS,
            entry: String::new(),
            status: status.to_owned(),
            progress: progress.into(),
            error: error_code.unwrap_or("").to_owned(),
            answered_by: answered_by.unwrap_or("").to_owned(),
        };
        let reply: Vec<Value> = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        replies::decode(reply)
    }

    /// Entry `sid` of the log, if it is there.
    pub async fn contact(&self, sid: &str) -> Result<Option<ContactRecord>, StoreError> {
        let mut conn = self.store.conn.clone();
        let json: Option<String> = conn.hget(CONTACTS, sid).await?;
        json.map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// Takes the reconciling of the log with Twilio for `for_ms` (one process at a time):
    /// whether it was free.
    pub async fn take_reconciler(&self, for_ms: u64) -> Result<bool, StoreError> {
        self.store.take_turn(super::keys::RECONCILER, for_ms).await
    }

    /// The log, newest first.
    pub async fn contact_log(&self) -> Result<Vec<ContactRecord>, StoreError> {
        let mut conn = self.store.conn.clone();
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
