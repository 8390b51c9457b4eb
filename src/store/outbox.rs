//! The outbox: the SMS and calls the queue's scripts made due, one Redis stream per queue (in the
//! queue's hash slot, so the script that moves the queue also writes the job), worked off by the
//! consumer group `senders` of every server process. A job stays pending until acknowledged; a
//! process that stopped leaves its pending jobs to be claimed by another. And the dev outbox:
//! what would have been sent, when Twilio is not configured.

use super::keys::{DayId, QueueKeys, DEV_OUTBOX};
use super::{Store, StoreError};
use crate::phone::PhoneNumber;
use crate::queue::QueueId;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply,
};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const GROUP: &str = "senders";
/// The dev outbox keeps the latest messages only, for a day.
const DEV_OUTBOX_KEPT: isize = 100;

/// One SMS or call a queue's script made due (`make_due` in `prelude.lua`), read once from its
/// outbox: the fields the scripts write become this type here and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxJob {
    pub entry: JobEntry,
    /// How many times it was handed out before (0: never).
    pub deliveries: u64,
    /// The business day it was made due in: a job of a day that is over is never sent.
    pub day: DayId,
    /// The ticket it is about.
    pub number: u64,
    pub task: Task,
}

/// Where a job is kept: its queue's outbox, and its entry's id there (also when it was made due).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEntry {
    pub queue: QueueId,
    pub id: String,
}

impl JobEntry {
    /// When the job was made due, in ms (a stream entry's id starts with it).
    pub fn made_ms(&self) -> u64 {
        self.id
            .split('-')
            .next()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0)
    }
}

/// An entry of the outbox that is not a job this version can read: it is dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableJob {
    pub entry: JobEntry,
    pub why: String,
}

/// What a job does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Task {
    /// Reach `to` with `outgoing`.
    Send { to: PhoneNumber, outgoing: Outgoing },
    /// Cancel the reminder scheduled with Twilio as `sid` (its ticket was called, or is over).
    Unschedule { sid: String },
    /// Push to the LINE user the ticket follows on (read when it goes: no user id is written
    /// into the outbox).
    Line { notice: LineNotice },
}

/// What LINE tells a ticket's follower, each once per ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineNotice {
    /// The turn is near (`AUTODIAL_PLACES` ahead or fewer).
    Near,
    /// The ticket was called to a counter.
    Called,
    /// About 30 minutes before the turn, when asked for.
    Reminder,
}

impl LineNotice {
    pub fn as_str(self) -> &'static str {
        match self {
            LineNotice::Near => "line_near",
            LineNotice::Called => "line_called",
            LineNotice::Reminder => "line_reminder",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "near" => Some(LineNotice::Near),
            "called" => Some(LineNotice::Called),
            "reminder" => Some(LineNotice::Reminder),
            _ => None,
        }
    }
}

/// What goes out: given whole by the script, or written when it goes, in the ticket's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// An SMS of `body`; `purpose` names it in the log (`verify`, `joined`, ...).
    Sms { purpose: String, body: String },
    /// Staff's call: it says `twiml` (`text`: the same words, for the dev outbox).
    Call {
        purpose: String,
        twiml: String,
        text: String,
    },
    /// The automatic call when the turn is near.
    Autodial,
    /// The SMS instead of an automatic call that reached nobody.
    TurnText,
}

/// How a message reaches a phone: as in the contact log's `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Sms,
    Call,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Sms => "sms",
            MessageKind::Call => "call",
        }
    }
}

impl Outgoing {
    pub fn kind(&self) -> MessageKind {
        match self {
            Outgoing::Sms { .. } | Outgoing::TurnText => MessageKind::Sms,
            Outgoing::Call { .. } | Outgoing::Autodial => MessageKind::Call,
        }
    }

    /// What it is for, in the contact log.
    pub fn purpose(&self) -> &str {
        match self {
            Outgoing::Sms { purpose, .. } | Outgoing::Call { purpose, .. } => purpose,
            Outgoing::Autodial => "autodial",
            Outgoing::TurnText => "turn_text",
        }
    }
}

impl OutboxJob {
    /// The job of outbox entry `entry` whose fields are `fields` (name to value, as the scripts
    /// wrote them), handed out `deliveries` times before.
    pub fn parse(
        entry: JobEntry,
        deliveries: u64,
        fields: &HashMap<String, String>,
    ) -> Result<Self, UnreadableJob> {
        match read_fields(fields) {
            Ok((day, number, task)) => Ok(Self {
                entry,
                deliveries,
                day,
                number,
                task,
            }),
            Err(why) => Err(UnreadableJob { entry, why }),
        }
    }
}

/// The day, the ticket and the task of a job's fields.
fn read_fields(fields: &HashMap<String, String>) -> Result<(DayId, u64, Task), String> {
    let field = |name: &str| fields.get(name).map(String::as_str);
    let need = |name: &str| field(name).ok_or_else(|| format!("no {name}"));
    let kind = need("kind")?;
    let day = DayId::parse(need("day")?).ok_or("not a business day")?;
    let number = need("number")?.parse().map_err(|_| "not a ticket number")?;
    let purpose = || field("purpose").unwrap_or(kind).to_owned();
    let outgoing = match kind {
        "unschedule" => {
            let sid = need("sid")?.to_owned();
            return Ok((day, number, Task::Unschedule { sid }));
        }
        "line" => {
            let purpose = need("purpose")?;
            let notice = LineNotice::parse(purpose)
                .ok_or_else(|| format!("unknown LINE purpose {purpose:?}"))?;
            return Ok((day, number, Task::Line { notice }));
        }
        "sms" => Outgoing::Sms {
            purpose: purpose(),
            body: need("body")?.to_owned(),
        },
        "call" => Outgoing::Call {
            purpose: purpose(),
            twiml: need("twiml")?.to_owned(),
            text: field("body").unwrap_or_default().to_owned(),
        },
        "autodial" => Outgoing::Autodial,
        "turn_text" => Outgoing::TurnText,
        other => return Err(format!("unknown kind {other:?}")),
    };
    let to = PhoneNumber::parse(need("to")?).map_err(|e| format!("to: {e}"))?;
    Ok((day, number, Task::Send { to, outgoing }))
}

/// A message of the dev outbox: what would have been sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevMessage {
    pub at: u64,
    pub to: String,
    pub body: String,
    pub kind: String,
}

/// The job of a stream entry (its fields that are not strings are ignored).
fn job(
    queue: &QueueId,
    id: String,
    map: HashMap<String, redis::Value>,
    deliveries: u64,
) -> Result<OutboxJob, UnreadableJob> {
    let fields = map
        .into_iter()
        .filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v)))
        .collect();
    let entry = JobEntry {
        queue: queue.clone(),
        id,
    };
    OutboxJob::parse(entry, deliveries, &fields)
}

/// The store's the outbox stream and the dev outbox: a handle on [`Store`], from [`Store::outbox_stream`].
#[derive(Clone)]
pub struct OutboxStream {
    store: Store,
}

impl OutboxStream {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Makes sure the consumer group exists (it goes with the stream when the day's keys expire).
    pub async fn ensure_outbox(&self, queue: &QueueId) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let created: Result<(), redis::RedisError> = conn
            .xgroup_create_mkstream(QueueKeys::of(queue).outbox(), GROUP, "0")
            .await;
        match created {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Jobs not handed out yet, to `consumer` (without waiting); an entry that is not a job is
    /// answered as such, to be dropped.
    pub async fn new_jobs(
        &self,
        queue: &QueueId,
        consumer: &str,
        count: usize,
    ) -> Result<Vec<Result<OutboxJob, UnreadableJob>>, StoreError> {
        let mut conn = self.store.conn.clone();
        let options = StreamReadOptions::default()
            .group(GROUP, consumer)
            .count(count);
        let reply: Option<StreamReadReply> = conn
            .xread_options(&[QueueKeys::of(queue).outbox()], &[">"], &options)
            .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .map(|entry| job(queue, entry.id, entry.map, 0))
            .collect())
    }

    /// Jobs handed out to a consumer that has not acknowledged them for `idle_ms` (its process
    /// stopped, or the attempt failed): now `consumer`'s.
    pub async fn stale_jobs(
        &self,
        queue: &QueueId,
        consumer: &str,
        idle_ms: u64,
    ) -> Result<Vec<Result<OutboxJob, UnreadableJob>>, StoreError> {
        let mut conn = self.store.conn.clone();
        let options = StreamAutoClaimOptions::default().count(10);
        let reply: StreamAutoClaimReply = conn
            .xautoclaim_options(
                QueueKeys::of(queue).outbox(),
                GROUP,
                consumer,
                idle_ms,
                "0-0",
                options,
            )
            .await?;
        Ok(reply
            .claimed
            .into_iter()
            .map(|entry| job(queue, entry.id, entry.map, 1))
            .collect())
    }

    /// `consumer` still works on the job: it is not taken over while an attempt runs (its idle
    /// time starts again).
    pub async fn renew_job(&self, entry: &JobEntry, consumer: &str) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: redis::Value = redis::cmd("XCLAIM")
            .arg(QueueKeys::of(&entry.queue).outbox())
            .arg(GROUP)
            .arg(consumer)
            .arg(0)
            .arg(&entry.id)
            .arg("JUSTID")
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The job is done (or will never be): it is not handed out again, and it is deleted (the
    /// stream keeps no number longer than its job needs it).
    pub async fn ack_job(&self, entry: &JobEntry) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let outbox = QueueKeys::of(&entry.queue).outbox();
        let _: () = redis::pipe()
            .atomic()
            .xack(&outbox, GROUP, &[&entry.id])
            .ignore()
            .xdel(&outbox, &[&entry.id])
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn add_dev_message(&self, message: &DevMessage) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.store.conn.clone();
        let _: () = redis::pipe()
            .atomic()
            .lpush(DEV_OUTBOX, json)
            .ignore()
            .ltrim(DEV_OUTBOX, 0, DEV_OUTBOX_KEPT - 1)
            .ignore()
            .expire(DEV_OUTBOX, 86_400)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The dev outbox, newest first.
    pub async fn dev_messages(&self) -> Result<Vec<DevMessage>, StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Vec<String> = conn.lrange(DEV_OUTBOX, 0, -1).await?;
        raw.iter()
            .map(|json| serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job's fields as `make_due` writes them: its kind, day and time, then its own.
    fn fields(kind: &str, own: &[(&str, &str)]) -> HashMap<String, String> {
        [
            ("kind", kind),
            ("day", "2026-11-25.2"),
            ("at", "1764000000000"),
        ]
        .iter()
        .chain(own)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn parse(fields: &HashMap<String, String>) -> Result<OutboxJob, UnreadableJob> {
        let entry = JobEntry {
            queue: QueueId::parse("kaikei").unwrap(),
            id: "1764000000000-0".into(),
        };
        OutboxJob::parse(entry, 1, fields)
    }

    fn sent(fields: &HashMap<String, String>) -> (PhoneNumber, Outgoing) {
        match parse(fields).unwrap().task {
            Task::Send { to, outgoing } => (to, outgoing),
            other => panic!("not a send: {other:?}"),
        }
    }

    const TO: &str = "+819012345678";

    #[test]
    fn every_kind_the_scripts_make_due_reads_as_its_task() {
        // register_phone.lua, send_text.lua
        let verify = fields(
            "sms",
            &[
                ("purpose", "verify"),
                ("number", "7"),
                ("to", TO),
                ("body", "リンク"),
            ],
        );
        let job = parse(&verify).unwrap();
        assert_eq!(job.day.as_str(), "2026-11-25.2");
        assert_eq!((job.number, job.deliveries), (7, 1));
        let (to, outgoing) = sent(&verify);
        assert_eq!(to.as_str(), TO);
        assert_eq!(
            outgoing,
            Outgoing::Sms {
                purpose: "verify".into(),
                body: "リンク".into()
            }
        );
        assert_eq!(
            (outgoing.kind(), outgoing.purpose()),
            (MessageKind::Sms, "verify")
        );
        // call_out.lua
        let call = fields(
            "call",
            &[
                ("purpose", "call_out"),
                ("number", "7"),
                ("to", TO),
                ("twiml", "<Response/>"),
                ("body", "words"),
            ],
        );
        let (_, outgoing) = sent(&call);
        assert_eq!(
            outgoing,
            Outgoing::Call {
                purpose: "call_out".into(),
                twiml: "<Response/>".into(),
                text: "words".into()
            }
        );
        assert_eq!(outgoing.kind(), MessageKind::Call);
        // the prelude's autodial_due, contact.lua: their words are written when they go
        for (kind, outgoing, reach) in [
            ("autodial", Outgoing::Autodial, MessageKind::Call),
            ("turn_text", Outgoing::TurnText, MessageKind::Sms),
        ] {
            let job = fields(
                kind,
                &[("number", "7"), ("to", TO), ("lang", "en"), ("body", "")],
            );
            assert_eq!(sent(&job).1, outgoing);
            assert_eq!((outgoing.kind(), outgoing.purpose()), (reach, kind));
        }
        // the prelude's drop_reminder: no number to reach needed
        let unschedule = fields(
            "unschedule",
            &[("sid", "SM123"), ("number", "7"), ("to", ""), ("body", "")],
        );
        assert_eq!(
            parse(&unschedule).unwrap().task,
            Task::Unschedule {
                sid: "SM123".into()
            }
        );
        // the prelude's autodial_due and call_to_counter, line_due.lua: no user id in the job
        for (purpose, notice) in [
            ("near", LineNotice::Near),
            ("called", LineNotice::Called),
            ("reminder", LineNotice::Reminder),
        ] {
            let job = fields("line", &[("purpose", purpose), ("number", "7")]);
            assert_eq!(parse(&job).unwrap().task, Task::Line { notice });
        }
        let odd = fields("line", &[("purpose", "fax"), ("number", "7")]);
        assert_eq!(parse(&odd).unwrap_err().why, "unknown LINE purpose \"fax\"");
    }

    #[test]
    fn a_job_lacking_what_its_kind_needs_is_unreadable_and_says_why() {
        let sms = |own: &[(&str, &str)]| parse(&fields("sms", own)).map(|_| ()).map_err(|e| e.why);
        let whole = [("number", "7"), ("to", TO), ("body", "b")];
        assert_eq!(sms(&whole), Ok(()));
        assert_eq!(sms(&whole[1..]), Err("no number".into()));
        assert_eq!(sms(&whole[..2]), Err("no body".into()));
        assert!(sms(&[("number", "7"), ("to", "anonymous"), ("body", "b")])
            .unwrap_err()
            .starts_with("to: "));
        assert_eq!(
            sms(&[("number", "x"), ("to", TO), ("body", "b")]),
            Err("not a ticket number".into())
        );
        let mut past = fields("sms", &whole);
        past.insert("day".into(), "yesterday".into());
        assert_eq!(parse(&past).unwrap_err().why, "not a business day");
        let unknown = parse(&fields("fax", &whole)).unwrap_err();
        assert_eq!(unknown.why, "unknown kind \"fax\"");
        assert_eq!(unknown.entry.id, "1764000000000-0", "dropped by its entry");
        let call = parse(&fields("call", &whole)).unwrap_err();
        assert_eq!(call.why, "no twiml");
        // a purpose is optional: the log then names the kind
        let (_, outgoing) = sent(&fields("sms", &whole));
        assert_eq!(outgoing.purpose(), "sms");
    }
}
