//! Every script of the store (in `lua/`) with the names of its keys and arguments, and the one
//! reading of the queue scripts' replies: `ok` and what the script's reply type reads after it
//! (`replies.rs`), or a refusal ([`Refusal`]) that changed nothing.

use super::binder::{BoundScript, Name, QueueScript};
use super::queue::parse_intake;
use super::replies::{Items, Reply};
use super::{Moment, Refusal, Store, StoreError};
use crate::queue::QueueId;
use crate::ticket::TicketState;
use redis::{ScriptInvocation, Value};

/// Every script: the queue scripts, each with the names of its own arguments, then the limits'
/// and the contact log's, each with the names of its keys and arguments.
pub(super) struct Scripts {
    pub(super) issue: QueueScript,
    pub(super) call_next: QueueScript,
    pub(super) act: QueueScript,
    pub(super) set_intake: QueueScript,
    pub(super) reset: QueueScript,
    pub(super) today: QueueScript,
    pub(super) register_phone: QueueScript,
    pub(super) verify_phone: QueueScript,
    pub(super) verify_call: QueueScript,
    pub(super) call_out: QueueScript,
    pub(super) contact: QueueScript,
    pub(super) machine_answered: QueueScript,
    pub(super) answer: QueueScript,
    pub(super) send_text: QueueScript,
    pub(super) set_autodial: QueueScript,
    pub(super) set_late: QueueScript,
    pub(super) set_hours: QueueScript,
    pub(super) reminder: QueueScript,
    pub(super) reminder_set: QueueScript,
    pub(super) reminder_take: QueueScript,
    pub(super) line_code: QueueScript,
    pub(super) line_link: QueueScript,
    pub(super) line_due: QueueScript,
    pub(super) line_follow: BoundScript,
    pub(super) line_event: BoundScript,
    pub(super) take: BoundScript,
    pub(super) give_back: BoundScript,
    pub(super) log: BoundScript,
    pub(super) raise_version: BoundScript,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            issue: QueueScript::new(
                &[
                    "CHANNEL",
                    "TOKEN",
                    "LANG",
                    "MAX_TICKETS",
                    "REMOTE_MAX",
                    "PHONE",
                    "LOCAL_MINUTE",
                    "COUNTERS",
                    "SERVICE",
                ],
                include_str!("lua/issue.lua"),
            ),
            call_next: QueueScript::new(&["COUNTER"], include_str!("lua/call_next.lua")),
            act: QueueScript::new(
                &["ACTION", "NUMBER", "SEEN_REV", "COUNTER"],
                include_str!("lua/act.lua"),
            ),
            set_intake: QueueScript::new(&["INTAKE_STATE"], include_str!("lua/set_intake.lua")),
            reset: QueueScript::new(&["MODE"], include_str!("lua/reset.lua")),
            today: QueueScript::new(&[], include_str!("lua/today.lua")),
            register_phone: QueueScript::new(
                &[
                    "NUMBER",
                    "TOKEN",
                    "PHONE",
                    "LINK",
                    "VERIFY_UNTIL",
                    "MAX_SMS",
                    "BODY",
                    "SEND_SMS",
                    "CALL_IN",
                    "CODES",
                    "MAX_NUMBERS",
                ],
                include_str!("lua/register_phone.lua"),
            ),
            verify_phone: QueueScript::new(&["LINK"], include_str!("lua/verify_phone.lua")),
            call_out: QueueScript::new(
                &["NUMBER", "TWIML", "TEXT"],
                include_str!("lua/call_out.lua"),
            ),
            verify_call: QueueScript::new(&["PHONE", "CODE"], include_str!("lua/verify_call.lua")),
            contact: QueueScript::new(
                &[
                    "NUMBER",
                    "KIND",
                    "SID",
                    "STATUS",
                    "PROGRESS",
                    "TEXT_INSTEAD",
                ],
                include_str!("lua/contact.lua"),
            ),
            machine_answered: QueueScript::new(
                &["NUMBER"],
                include_str!("lua/machine_answered.lua"),
            ),
            answer: QueueScript::new(
                &["ANSWER_DAY", "NUMBER", "ANSWER"],
                include_str!("lua/answer.lua"),
            ),
            set_autodial: QueueScript::new(&["PLACES"], include_str!("lua/set_autodial.lua")),
            set_hours: QueueScript::new(
                &["OPENS", "CLOSES", "LIMIT"],
                include_str!("lua/set_hours.lua"),
            ),
            set_late: QueueScript::new(
                &["PLACES", "NO_SHOW_AFTER"],
                include_str!("lua/set_late.lua"),
            ),
            reminder: QueueScript::new(
                &["NUMBER", "TOKEN", "WANT"],
                include_str!("lua/reminder.lua"),
            ),
            reminder_set: QueueScript::new(
                &["NUMBER", "SID", "SEND_AT", "SENT"],
                include_str!("lua/reminder_set.lua"),
            ),
            reminder_take: QueueScript::new(&["NUMBER"], include_str!("lua/reminder_take.lua")),
            send_text: QueueScript::new(
                &["NUMBER", "BODY", "PURPOSE", "SPEND"],
                include_str!("lua/send_text.lua"),
            ),
            line_code: QueueScript::new(&["NUMBER", "CODE"], include_str!("lua/line_code.lua")),
            line_link: QueueScript::new(&["CODE", "USER"], include_str!("lua/line_link.lua")),
            line_due: QueueScript::new(&["NUMBER"], include_str!("lua/line_due.lua")),
            line_follow: BoundScript::new(
                &[Name::One("FOLLOWS")],
                &[
                    Name::Number("MAX"),
                    Name::One("PLACE"),
                    Name::Number("KEEP_S"),
                    Name::List("RELEASE"),
                ],
                &[include_str!("lua/line_follow.lua")],
            ),
            line_event: BoundScript::new(
                &[Name::One("SEEN"), Name::One("INBOX")],
                &[Name::One("ID"), Name::One("EVENT"), Name::Number("KEEP_S")],
                &[include_str!("lua/line_event.lua")],
            ),
            take: BoundScript::new(
                &[Name::List("SOURCES"), Name::List("HOLDER")],
                &[
                    Name::Number("WINDOW"),
                    Name::Number("MAX_CLIENT"),
                    Name::Number("MAX_ACTIVE"),
                    Name::One("RESERVATION"),
                    Name::List("SOURCE_MAX"),
                    Name::List("RELEASE"),
                ],
                &[include_str!("lua/take.lua")],
            ),
            give_back: BoundScript::new(
                &[Name::List("SOURCES"), Name::List("HOLDER")],
                &[Name::One("RESERVATION")],
                &[include_str!("lua/give_back.lua")],
            ),
            log: BoundScript::new(
                &[Name::One("ENTRIES"), Name::One("ORDER"), Name::One("EARLY")],
                &[
                    Name::One("MODE"),
                    Name::One("SID"),
                    Name::Number("AT"),
                    Name::Number("KEEP_MS"),
                    Name::One("ENTRY"),
                    Name::One("STATUS"),
                    Name::Number("PROGRESS"),
                    Name::One("ERROR"),
                    Name::One("ANSWERED_BY"),
                ],
                &[include_str!("lua/log.lua")],
            ),
            raise_version: BoundScript::new(
                &[Name::One("VERSION")],
                &[Name::Number("AT_LEAST")],
                &[include_str!("lua/raise_version.lua")],
            ),
        }
    }
}

impl Store {
    /// The invocation of a queue script, with what every one of them gets.
    pub(super) fn invoke<'a>(
        &self,
        script: &'a QueueScript,
        queue: &QueueId,
        at: Moment,
        args: &[(&'static str, &str)],
    ) -> ScriptInvocation<'a> {
        script.invoke(queue, at, self.settings.autodial_places.of(queue), args)
    }

    /// Runs a queue script: its reply as `R`, or its refusal.
    pub(super) async fn run<R: Reply>(
        &self,
        invocation: ScriptInvocation<'_>,
    ) -> Result<R, StoreError> {
        let mut conn = self.conn.clone();
        let started = std::time::Instant::now();
        let reply: Result<Vec<Value>, _> = invocation.invoke_async(&mut conn).await;
        self.metrics.redis_script(started.elapsed(), reply.is_err());
        let reply = reply?;
        let status = reply
            .first()
            .map(as_string)
            .transpose()?
            .unwrap_or_default();
        let detail = || reply.get(1).map(as_string).transpose();
        match status.as_str() {
            "ok" => {
                let mut items = Items::new(reply);
                let _status: String = items.next("status")?;
                R::decode(&mut items)
            }
            "empty" => Err(StoreError::Refused(Refusal::Empty)),
            "expired" => Err(StoreError::Refused(Refusal::Expired)),
            "no_phone" => Err(StoreError::Refused(Refusal::NoPhone)),
            "limit" => {
                let max = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Refusal::SmsPerTicket(max)))
            }
            "phones_limit" => {
                let max = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Refusal::PhonesPerTicket(max)))
            }
            "not_found" => Err(StoreError::Refused(Refusal::NotFound)),
            "closed" => {
                let why = match detail()?.as_deref() {
                    Some("before") => super::Closed::Before,
                    Some("remote") => super::Closed::Remote,
                    _ => super::Closed::After,
                };
                Err(StoreError::Refused(Refusal::Closed(why)))
            }
            "corrupt" => Err(StoreError::Corrupt(detail()?.unwrap_or_default())),
            "full" => {
                let cap = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Refusal::DayFull(cap)))
            }
            "remote_full" => {
                let cap = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Refusal::RemoteFull(cap)))
            }
            "paused" => {
                let intake = parse_intake(detail()?.as_deref())?;
                Err(StoreError::Refused(Refusal::Paused(intake)))
            }
            "conflict" => {
                let state = detail()?.unwrap_or_default();
                let state: TicketState = serde_json::from_value(serde_json::Value::String(state))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Err(StoreError::Refused(Refusal::Conflict(state)))
            }
            other => Err(StoreError::Corrupt(format!("script answered {other:?}"))),
        }
    }
}

pub(crate) fn as_string(v: &Value) -> Result<String, StoreError> {
    redis::from_redis_value_ref(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}
