//! The audit trail as Redis keeps it: a list of entries (JSON) and the head of the chain (the last
//! entry's number and hash), appended together by one script that refuses when the head moved.

use super::keys::{AUDIT_HEAD, AUDIT_LOG};
use super::scripts::AuditAppendArgs;
use super::{Store, StoreError};
use redis::AsyncCommands;

/// The store's audit trail: a handle on [`Store`], from [`Store::audit_records`].
#[derive(Clone)]
pub struct AuditRecords {
    store: Store,
}

impl AuditRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// The head of the chain: the last entry's number and hash (`(0, "")` before the first).
    pub async fn head(&self) -> Result<(u64, String), StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Option<String> = conn.get(AUDIT_HEAD).await?;
        Ok(parse_head(raw.as_deref()))
    }

    /// Appends `entry` (JSON) as the new head `(seq, hash)`, if the head is still `read`: whether
    /// it was appended (another process may have appended first).
    pub async fn append(
        &self,
        read: &(u64, String),
        new: &(u64, String),
        entry: &str,
    ) -> Result<bool, StoreError> {
        let call = AuditAppendArgs {
            log: AUDIT_LOG.to_owned(),
            head: AUDIT_HEAD.to_owned(),
            prev: head_text(read),
            next: head_text(new),
            entry: entry.to_owned(),
        };
        let mut conn = self.store.conn.clone();
        let appended: u64 = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        Ok(appended == 1)
    }

    /// Every entry kept (JSON), oldest first, with the head read in the same step.
    pub async fn entries(&self) -> Result<(Vec<String>, (u64, String)), StoreError> {
        let mut conn = self.store.conn.clone();
        let (entries, head): (Vec<String>, Option<String>) = redis::pipe()
            .atomic()
            .lrange(AUDIT_LOG, 0, -1)
            .get(AUDIT_HEAD)
            .query_async(&mut conn)
            .await?;
        Ok((entries, parse_head(head.as_deref())))
    }
}

fn head_text((seq, hash): &(u64, String)) -> String {
    if *seq == 0 {
        String::new()
    } else {
        format!("{seq} {hash}")
    }
}

fn parse_head(raw: Option<&str>) -> (u64, String) {
    raw.and_then(|r| r.split_once(' '))
        .and_then(|(seq, hash)| Some((seq.parse().ok()?, hash.to_owned())))
        .unwrap_or((0, String::new()))
}
