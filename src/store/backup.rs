//! A backup of what a shop must not lose, and its restore: the staff password's hash, the
//! accounts (with their password hashes), the kiosks,
//! each queue's settings, version and history, and the two stop lists (SMS and LINE: both HMACs).
//! Nothing of a business day (tickets, tokens, phones), no session, limit or log: see
//! `docs/redis-keys.md`.
//!
//! A restore checks the whole document first ([`Backup::parse`], [`Backup::check`]) and writes
//! nothing unless all of it holds. It then writes each key on its own (or a queue's settings
//! together: one hash slot), so it runs on a cluster as on one server. A key it writes becomes
//! what the backup held, except where that would lose something: the stop lists and the history
//! are added to (a STOP is never undone by a restore, nor a kept day lost), and a queue's version
//! only goes up (screens ignore a version they have seen).

use super::accounts::StoredAccount;
use super::keys::{
    QueueKeys, ACCOUNTS, ACCOUNT_LOGINS, KIOSKS, KIOSKS_SEEN, LINE_STOPPED, STAFF_EPOCH,
    STAFF_PASSWORD, STOPPED,
};
use super::kiosks::StoredKiosk;
use super::queue::parse_intake;
use super::scripts::RaiseVersionArgs;
use super::{DayId, Store, StoreError};
use crate::queue::QueueId;
use crate::ticket::TicketToken;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the document calls itself.
pub const FORMAT: &str = "waitingroom-backup";
/// The version of the document's shape this build writes (it reads this one and the ones before:
/// 1 had no accounts).
pub const FORMAT_VERSION: u32 = 2;

/// The backup document (JSON). Every value is kept as Redis stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of the server that made it.
    pub app_version: String,
    /// When it was made (RFC 3339, UTC).
    pub made_at: String,
    /// `wr:staff:password`: the argon2 hash (none set yet: `null`).
    pub staff_password_hash: Option<String>,
    /// `wr:{accounts}:all`: account id → the account (JSON: login, name, role, the argon2 hash of
    /// its password, ...); its logins are made again from them. Absent before version 2.
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
    /// `wr:{kiosks}:all`: kiosk id → the kiosk (JSON: name, created_at, the SHA-256 of its secret).
    pub kiosks: BTreeMap<String, String>,
    /// `wr:{kiosks}:seen`: kiosk id → when it was last seen (ms since the epoch).
    pub kiosks_seen: BTreeMap<String, String>,
    /// `wr:{optout}:numbers`: the numbers that texted STOP, as HMACs.
    pub sms_stopped: BTreeSet<String>,
    /// `wr:{line}:stopped`: the LINE users who blocked the account, as HMACs.
    pub line_stopped: BTreeSet<String>,
    /// Per queue id.
    pub queues: BTreeMap<String, QueueBackup>,
}

/// What is kept of one queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueBackup {
    /// `version` (0: none yet).
    pub version: u64,
    /// `intake` (`null`: never set, open).
    pub intake: Option<String>,
    /// `autodial` (`null`: never set, `AUTODIAL_PLACES`).
    pub autodial: Option<String>,
    /// `rules`: field → value.
    pub rules: BTreeMap<String, String>,
    /// `history:<date>`, one per date, oldest first.
    pub history: Vec<HistoryDate>,
}

/// One `history:<date>` hash and when it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryDate {
    /// `2026-11-25`.
    pub date: String,
    /// When the key expires (ms since the epoch; `null`: never).
    pub expires_at_ms: Option<u64>,
    /// Business day (`2026-11-25`, `2026-11-25.2`) → its figures (JSON `history::DayFigures`).
    pub days: BTreeMap<String, String>,
}

/// Why a backup document is refused (nothing was written).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadBackup {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a Waiting Room backup (its \"format\" is not {FORMAT:?})")]
    NotABackup,
    #[error("format version {0} is unknown (this server reads versions 1 to {FORMAT_VERSION})")]
    UnknownVersion(u64),
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("queue {0:?} is not in QUEUES")]
    UnknownQueue(String),
}

/// What a restore wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub accounts: usize,
    pub kiosks: usize,
    pub queues: usize,
    /// History keys written (those already expired are skipped).
    pub history_dates: usize,
    pub history_skipped: usize,
    pub sms_stopped: usize,
    pub line_stopped: usize,
}

impl Backup {
    /// Reads a document: its format and version first, then its shape.
    pub fn parse(text: &str) -> Result<Self, BadBackup> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| BadBackup::NotJson(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(BadBackup::NotABackup);
        }
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if (1..=u64::from(FORMAT_VERSION)).contains(&v) => {}
            Some(other) => return Err(BadBackup::UnknownVersion(other)),
            None => return Err(BadBackup::Malformed("no format_version".into())),
        }
        serde_json::from_value(value).map_err(|e| BadBackup::Malformed(e.to_string()))
    }

    /// Checks every value before anything is written: each is what the app itself would store,
    /// and each queue is one of `queues`.
    pub fn check(&self, queues: &[QueueId]) -> Result<(), BadBackup> {
        let bad = |what: String| Err(BadBackup::Malformed(what));
        if let Some(hash) = &self.staff_password_hash {
            if let Err(why) = crate::secret::bounded_argon2(hash) {
                return bad(format!("staff_password_hash: {why}"));
            }
        }
        let mut logins = BTreeSet::new();
        for (id, json) in &self.accounts {
            let Ok(account) = serde_json::from_str::<StoredAccount>(json) else {
                return bad(format!("account {id:?}"));
            };
            if TicketToken::parse(id).is_err()
                || crate::account::login_id(&account.login).as_deref() != Ok(account.login.as_str())
                || !logins.insert(account.login.clone())
            {
                return bad(format!("account {id:?}: its id or login"));
            }
            if let Some(Err(why)) = account
                .password
                .as_deref()
                .map(crate::secret::bounded_argon2)
            {
                return bad(format!("account {id}: password hash: {why}"));
            }
        }
        for (id, json) in &self.kiosks {
            if TicketToken::parse(id).is_err() {
                return bad(format!("kiosk id {id:?}"));
            }
            if serde_json::from_str::<StoredKiosk>(json).is_err() {
                return bad(format!("kiosk {id}"));
            }
        }
        for (id, at) in &self.kiosks_seen {
            if TicketToken::parse(id).is_err() || at.parse::<u64>().is_err() {
                return bad(format!("kiosks_seen {id:?}"));
            }
        }
        for hmac in self.sms_stopped.iter().chain(&self.line_stopped) {
            if hmac.is_empty() || !hmac.bytes().all(|b| b.is_ascii_hexdigit()) {
                return bad(format!("stop list entry {hmac:?} is not a hex HMAC"));
            }
        }
        for (name, queue) in &self.queues {
            let id = QueueId::parse(name).map_err(|_| BadBackup::UnknownQueue(name.clone()))?;
            if !queues.contains(&id) {
                return Err(BadBackup::UnknownQueue(name.clone()));
            }
            if parse_intake(queue.intake.as_deref()).is_err() {
                return bad(format!("queue {name}: intake {:?}", queue.intake));
            }
            if queue
                .autodial
                .as_ref()
                .is_some_and(|a| a.parse::<u32>().is_err())
            {
                return bad(format!("queue {name}: autodial {:?}", queue.autodial));
            }
            for (field, value) in &queue.rules {
                if value.parse::<u32>().is_err() {
                    return bad(format!("queue {name}: rule {field} = {value:?}"));
                }
            }
            for kept in &queue.history {
                if kept.date.len() != 10 || kept.date.parse::<jiff::civil::Date>().is_err() {
                    return bad(format!("queue {name}: history date {:?}", kept.date));
                }
                for (day, figures) in &kept.days {
                    if DayId::parse(day).is_none_or(|d| d.date() != kept.date) {
                        return bad(format!("queue {name}: history day {day:?}"));
                    }
                    if serde_json::from_str::<crate::history::DayFigures>(figures).is_err() {
                        return bad(format!("queue {name}: the figures of {day}"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The store's backups and restores: a handle on [`Store`], from [`Store::backups`].
#[derive(Clone)]
pub struct Backups {
    store: Store,
}

impl Backups {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Reads what a backup keeps: the installation's keys, and for each of `queues` its settings,
    /// version and the history of each of `dates` that has one. `app_version` and `made_at` are
    /// written into the document as given.
    pub async fn backup(
        &self,
        queues: &[QueueId],
        dates: &[jiff::civil::Date],
        app_version: &str,
        made_at: &str,
    ) -> Result<Backup, StoreError> {
        let mut conn = self.store.conn.clone();
        let staff_password_hash: Option<String> = conn.get(STAFF_PASSWORD).await?;
        // one hash slot: read together
        let (kiosks, kiosks_seen): (BTreeMap<String, String>, BTreeMap<String, String>) =
            redis::pipe()
                .atomic()
                .hgetall(KIOSKS)
                .hgetall(KIOSKS_SEEN)
                .query_async(&mut conn)
                .await?;
        let sms_stopped: BTreeSet<String> = conn.smembers(STOPPED).await?;
        let line_stopped: BTreeSet<String> = conn.smembers(LINE_STOPPED).await?;
        let accounts: BTreeMap<String, String> = conn.hgetall(ACCOUNTS).await?;
        let mut backup = Backup {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            app_version: app_version.to_owned(),
            made_at: made_at.to_owned(),
            staff_password_hash,
            accounts,
            kiosks,
            kiosks_seen,
            sms_stopped,
            line_stopped,
            queues: BTreeMap::new(),
        };
        for queue in queues {
            backup
                .queues
                .insert(queue.to_string(), self.backup_queue(queue, dates).await?);
        }
        Ok(backup)
    }

    async fn backup_queue(
        &self,
        queue: &QueueId,
        dates: &[jiff::civil::Date],
    ) -> Result<QueueBackup, StoreError> {
        let keys = QueueKeys::of(queue);
        let mut conn = self.store.conn.clone();
        let (version, intake, autodial, rules): (
            Option<u64>,
            Option<String>,
            Option<String>,
            BTreeMap<String, String>,
        ) = redis::pipe()
            .atomic()
            .get(keys.version())
            .get(keys.intake())
            .get(keys.autodial())
            .hgetall(keys.rules())
            .query_async(&mut conn)
            .await?;
        let mut history = Vec::new();
        if !dates.is_empty() {
            // one slot: plain pipelines, each command routed to the queue's node
            let mut hashes = redis::pipe();
            for date in dates {
                hashes.hgetall(keys.history(&date.to_string()));
            }
            let read: Vec<BTreeMap<String, String>> = hashes.query_async(&mut conn).await?;
            let kept: Vec<(String, BTreeMap<String, String>)> = dates
                .iter()
                .zip(read)
                .filter(|(_, days)| !days.is_empty())
                .map(|(date, days)| (date.to_string(), days))
                .collect();
            if !kept.is_empty() {
                let mut expiries = redis::pipe();
                for (date, _) in &kept {
                    expiries.cmd("PEXPIRETIME").arg(keys.history(date));
                }
                let expiries: Vec<i64> = expiries.query_async(&mut conn).await?;
                for ((date, days), expires_at) in kept.into_iter().zip(expiries) {
                    // -2: it expired meanwhile; -1: it never expires
                    if expires_at == -2 {
                        continue;
                    }
                    history.push(HistoryDate {
                        date,
                        expires_at_ms: u64::try_from(expires_at).ok(),
                        days,
                    });
                }
            }
        }
        Ok(QueueBackup {
            version: version.unwrap_or(0),
            intake,
            autodial,
            rules,
            history,
        })
    }

    /// Writes `backup` (checked with [`Backup::check`] first: nothing is written unless it
    /// holds); history keys whose expiry passed before `now_ms` are skipped.
    pub async fn restore(&self, backup: &Backup, now_ms: u64) -> Result<Restored, StoreError> {
        let mut conn = self.store.conn.clone();
        let mut restored = Restored::default();
        if let Some(hash) = &backup.staff_password_hash {
            let current: Option<String> = conn.get(STAFF_PASSWORD).await?;
            if current.as_ref() != Some(hash) {
                let _: () = conn.set(STAFF_PASSWORD, hash).await?;
                // as when the password changes: every staff session ends
                let _: u64 = conn.incr(STAFF_EPOCH, 1).await?;
            }
        }
        let mut kiosks = redis::pipe();
        kiosks
            .atomic()
            .del(KIOSKS)
            .ignore()
            .del(KIOSKS_SEEN)
            .ignore();
        for (id, json) in &backup.kiosks {
            kiosks.hset(KIOSKS, id, json).ignore();
        }
        for (id, at) in &backup.kiosks_seen {
            kiosks.hset(KIOSKS_SEEN, id, at).ignore();
        }
        let () = kiosks.query_async(&mut conn).await?;
        restored.kiosks = backup.kiosks.len();
        // a document of version 1 has no accounts: those there stay (the owner's is made at start)
        if !backup.accounts.is_empty() {
            let mut accounts = redis::pipe();
            accounts
                .atomic()
                .del(ACCOUNTS)
                .ignore()
                .del(ACCOUNT_LOGINS)
                .ignore();
            for (id, json) in &backup.accounts {
                let login = serde_json::from_str::<StoredAccount>(json)
                    .map(|a| a.login)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                accounts.hset(ACCOUNTS, id, json).ignore();
                accounts.hset(ACCOUNT_LOGINS, login, id).ignore();
            }
            let () = accounts.query_async(&mut conn).await?;
            restored.accounts = backup.accounts.len();
        }
        for (key, members) in [
            (STOPPED, &backup.sms_stopped),
            (LINE_STOPPED, &backup.line_stopped),
        ] {
            if !members.is_empty() {
                let _: u64 = conn.sadd(key, members).await?;
            }
        }
        restored.sms_stopped = backup.sms_stopped.len();
        restored.line_stopped = backup.line_stopped.len();
        for (name, queue) in &backup.queues {
            let id = QueueId::parse(name)
                .map_err(|_| StoreError::Corrupt(format!("queue {name:?} in a backup")))?;
            self.restore_queue(&id, queue, now_ms, &mut restored)
                .await?;
            restored.queues += 1;
        }
        Ok(restored)
    }

    async fn restore_queue(
        &self,
        queue: &QueueId,
        backup: &QueueBackup,
        now_ms: u64,
        restored: &mut Restored,
    ) -> Result<(), StoreError> {
        let keys = QueueKeys::of(queue);
        let mut conn = self.store.conn.clone();
        let mut settings = redis::pipe();
        settings.atomic();
        for (key, value) in [
            (keys.intake(), &backup.intake),
            (keys.autodial(), &backup.autodial),
        ] {
            match value {
                Some(value) => settings.set(key, value).ignore(),
                None => settings.del(key).ignore(),
            };
        }
        settings.del(keys.rules()).ignore();
        if !backup.rules.is_empty() {
            let rules: Vec<(&String, &String)> = backup.rules.iter().collect();
            settings.hset_multiple(keys.rules(), &rules).ignore();
        }
        let () = settings.query_async(&mut conn).await?;
        let raise = RaiseVersionArgs {
            version: keys.version(),
            at_least: backup.version,
        };
        let _: u64 = raise
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        for kept in &backup.history {
            if kept.expires_at_ms.is_some_and(|at| at <= now_ms) {
                restored.history_skipped += 1;
                continue;
            }
            let key = keys.history(&kept.date);
            let days: Vec<(&String, &String)> = kept.days.iter().collect();
            let mut pipe = redis::pipe();
            pipe.atomic().hset_multiple(&key, &days).ignore();
            if let Some(at) = kept.expires_at_ms {
                pipe.cmd("PEXPIREAT").arg(&key).arg(at).ignore();
            }
            let () = pipe.query_async(&mut conn).await?;
            restored.history_dates += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> String {
        serde_json::to_string(&crate::history::DayFigures::default()).unwrap()
    }

    fn document() -> Backup {
        Backup {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            app_version: "0.1.0".into(),
            made_at: "2026-11-25T10:00:00Z".into(),
            staff_password_hash: None,
            accounts: BTreeMap::new(),
            kiosks: BTreeMap::new(),
            kiosks_seen: BTreeMap::new(),
            sms_stopped: ["ab01".to_owned()].into(),
            line_stopped: BTreeSet::new(),
            queues: [(
                "default".to_owned(),
                QueueBackup {
                    version: 7,
                    rules: [("places".to_owned(), "3".to_owned())].into(),
                    history: vec![HistoryDate {
                        date: "2026-11-24".into(),
                        expires_at_ms: Some(1_800_000_000_000),
                        days: [("2026-11-24.2".to_owned(), figures())].into(),
                    }],
                    ..QueueBackup::default()
                },
            )]
            .into(),
        }
    }

    #[test]
    fn a_document_reads_back_as_written_and_checks() {
        let text = serde_json::to_string_pretty(&document()).unwrap();
        let read = Backup::parse(&text).unwrap();
        assert_eq!(read, document());
        assert_eq!(read.check(&[QueueId::default_queue()]), Ok(()));
    }

    #[test]
    fn a_document_that_is_not_one_of_ours_or_of_another_version_is_refused() {
        let mut value = serde_json::to_value(document()).unwrap();
        assert!(matches!(Backup::parse("{"), Err(BadBackup::NotJson(_))));
        assert_eq!(Backup::parse("{}"), Err(BadBackup::NotABackup));
        value["format_version"] = 3.into();
        assert_eq!(
            Backup::parse(&value.to_string()),
            Err(BadBackup::UnknownVersion(3))
        );
        // version 1 (no accounts) is read still
        value["format_version"] = 1.into();
        value.as_object_mut().unwrap().remove("accounts");
        assert!(Backup::parse(&value.to_string()).is_ok());
        value["surprise"] = true.into();
        assert!(matches!(
            Backup::parse(&value.to_string()),
            Err(BadBackup::Malformed(_))
        ));
    }

    #[test]
    fn every_value_is_checked_before_anything_is_written() {
        let queues = [QueueId::default_queue()];
        let refused = |change: &dyn Fn(&mut Backup)| {
            let mut backup = document();
            change(&mut backup);
            backup.check(&queues).unwrap_err()
        };
        assert_eq!(
            refused(&|b| {
                let q = b.queues.remove("default").unwrap();
                b.queues.insert("other".into(), q);
            }),
            BadBackup::UnknownQueue("other".into())
        );
        let q = |b: &mut Backup| b.queues.get_mut("default").unwrap().clone();
        for change in [
            &(|b: &mut Backup| b.staff_password_hash = Some("plain".into()))
                as &dyn Fn(&mut Backup),
            &|b| {
                b.kiosks.insert("0123".into(), "{}".into());
            },
            &|b| {
                b.sms_stopped.insert("+819011112222".into());
            },
            &|b| {
                let mut queue = q(b);
                queue.intake = Some("closed".into());
                b.queues.insert("default".into(), queue);
            },
            &|b| {
                let mut queue = q(b);
                queue.rules.insert("places".into(), "x".into());
                b.queues.insert("default".into(), queue);
            },
            &|b| {
                let mut queue = q(b);
                queue.history[0].date = "../x".into();
                b.queues.insert("default".into(), queue);
            },
            &|b| {
                let mut queue = q(b);
                queue.history[0].days.insert("2026-11-23".into(), figures());
                b.queues.insert("default".into(), queue);
            },
        ] {
            assert!(matches!(refused(change), BadBackup::Malformed(_)));
        }
    }
}
