//! The audit trail: each sign-in, staff action on a ticket, phone shown or called, setting,
//! account, kiosk and export is written as an entry carrying the hash of the one before, so an
//! entry edited or removed breaks the chain ([`verify`], `waitingroom audit verify`).

use super::staff::Actor;
use super::{ServiceError, Setup};
use crate::audit::{AuditAction, AuditEntry, AuditEvent, AuditWho};
use crate::secret::sha256_hex;
use crate::store::{self, Store, StoreError};
use std::net::IpAddr;
use std::sync::Arc;

/// How often an append is tried again when another process appended first.
const TRIES: usize = 20;

impl From<&Actor> for AuditWho {
    fn from(actor: &Actor) -> Self {
        AuditWho {
            account: actor.account.clone(),
            name: actor.name.clone(),
            role: Some(actor.role),
        }
    }
}

/// What an entry's hash is taken of: the hash before it, a line feed, and the entry's JSON with
/// an empty `hash`.
pub fn hashed_text(entry: &AuditEntry) -> String {
    let mut bare = entry.clone();
    bare.hash = String::new();
    let json = serde_json::to_string(&bare).unwrap_or_default();
    format!("{}\n{json}", entry.prev)
}

/// Where the chain breaks: the entry's number (the first entry whose number, link or hash is
/// wrong, or the head's when entries after the last kept are gone) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the audit trail breaks at entry {seq}: {why}")]
pub struct Broken {
    pub seq: u64,
    pub why: String,
}

/// Checks the chain of `entries` (JSON, oldest first) against its `head`: numbers 1, 2, 3, …,
/// each entry's `prev` the hash of the one before, each hash its own, the last the head's.
/// Answers how many entries hold.
pub fn verify(entries: &[String], head: &(u64, String)) -> Result<u64, Broken> {
    let mut prev = String::new();
    let mut seq = 0;
    for raw in entries {
        let entry: AuditEntry = serde_json::from_str(raw).map_err(|e| Broken {
            seq: seq + 1,
            why: format!("not an entry ({e})"),
        })?;
        let broken = |why: &str| Broken {
            seq: entry.seq,
            why: why.to_owned(),
        };
        if entry.seq != seq + 1 {
            return Err(Broken {
                seq: seq + 1,
                why: format!("missing (the next kept is {})", entry.seq),
            });
        }
        if entry.prev != prev {
            return Err(broken(
                "its link to the entry before is not that entry's hash",
            ));
        }
        if sha256_hex(&hashed_text(&entry)) != entry.hash {
            return Err(broken("its content does not match its hash (edited)"));
        }
        prev = entry.hash;
        seq = entry.seq;
    }
    if (seq, prev.as_str()) != (head.0, head.1.as_str()) {
        return Err(Broken {
            seq: seq + 1,
            why: format!("the trail ends at {seq} but its head is at {}", head.0),
        });
    }
    Ok(seq)
}

/// The audit trail. Handed out by [`super::WaitingRoom::audit`].
#[derive(Clone)]
pub struct Audit {
    audit_records: store::AuditRecords,
    setup: Arc<Setup>,
}

impl Audit {
    pub(super) fn new(store: &Store, setup: Arc<Setup>) -> Self {
        Self {
            audit_records: store.audit_records(),
            setup,
        }
    }

    /// Writes `event`, done by `who` from `address`. A failure is logged (the action it records
    /// happened; the log says the trail misses it).
    pub async fn record(&self, who: AuditWho, address: Option<IpAddr>, event: AuditEvent) {
        if let Err(e) = self.append(who, address, event.clone()).await {
            tracing::error!(error = %e, action = event.action.as_str(), "an audit entry was not written");
        }
    }

    /// The same, for an account (or the API's token).
    pub async fn record_by(&self, actor: &Actor, address: Option<IpAddr>, event: AuditEvent) {
        self.record(actor.into(), address, event).await;
    }

    async fn append(
        &self,
        who: AuditWho,
        address: Option<IpAddr>,
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        for _ in 0..TRIES {
            let head = self.audit_records.head().await?;
            let mut entry = AuditEntry {
                seq: head.0 + 1,
                at: self.setup.calendar.now().now_ms,
                who: who.clone(),
                address: address.map(|a| a.to_string()),
                event: event.clone(),
                prev: head.1.clone(),
                hash: String::new(),
            };
            entry.hash = sha256_hex(&hashed_text(&entry));
            let json =
                serde_json::to_string(&entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let next = (entry.seq, entry.hash.clone());
            if self.audit_records.append(&head, &next, &json).await? {
                return Ok(());
            }
        }
        Err(StoreError::Corrupt(
            "the audit trail's head kept moving".to_owned(),
        ))
    }

    /// The entries, newest first, of the local date `date` (`YYYY-MM-DD`; none: every date), of
    /// account `account` and of `action`, when given.
    pub async fn entries(
        &self,
        date: Option<&str>,
        account: Option<&str>,
        action: Option<AuditAction>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let (raw, _) = self.audit_records.entries().await?;
        let calendar = &self.setup.calendar;
        let mut entries: Vec<AuditEntry> = raw
            .iter()
            .filter_map(|json| serde_json::from_str::<AuditEntry>(json).ok())
            .filter(|e| date.is_none_or(|d| calendar.local_time(e.at).starts_with(d)))
            .filter(|e| account.is_none_or(|a| e.who.account.as_deref() == Some(a)))
            .filter(|e| action.is_none_or(|a| e.event.action == a))
            .collect();
        entries.reverse();
        Ok(entries)
    }

    /// Checks the whole chain (see [`verify`]).
    pub async fn verify(&self) -> Result<Result<u64, Broken>, ServiceError> {
        let (entries, head) = self.audit_records.entries().await?;
        Ok(verify(&entries, &head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = String::new();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: 1_700_000_000_000 + seq,
                    who: AuditWho {
                        account: Some("a".into()),
                        name: "山田".into(),
                        role: Some(crate::account::Role::Staff),
                    },
                    address: Some("192.0.2.1".into()),
                    event: AuditEvent::new(AuditAction::CallNext)
                        .queue("default")
                        .target(seq),
                    prev: prev.clone(),
                    hash: String::new(),
                };
                e.hash = sha256_hex(&hashed_text(&e));
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn json(entries: &[AuditEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect()
    }

    #[test]
    fn an_edited_removed_or_cut_off_entry_breaks_the_chain() {
        let entries = chain(4);
        let head = (4, entries[3].hash.clone());
        assert_eq!(verify(&json(&entries), &head), Ok(4));
        assert_eq!(verify(&[], &(0, String::new())), Ok(0));

        let mut edited = json(&entries);
        edited[1] = edited[1].replace("山田", "佐藤");
        assert_eq!(verify(&edited, &head).unwrap_err().seq, 2);

        let mut removed = json(&entries);
        removed.remove(2);
        assert_eq!(verify(&removed, &head).unwrap_err().seq, 3);

        let cut = json(&entries[..3]);
        assert_eq!(verify(&cut, &head).unwrap_err().seq, 4);

        // an entry edited and its hash made again breaks the link of the next
        let mut rehashed = entries.clone();
        rehashed[1].event.target = Some("99".into());
        rehashed[1].hash = sha256_hex(&hashed_text(&rehashed[1]));
        assert_eq!(verify(&json(&rehashed), &head).unwrap_err().seq, 3);
    }
}
