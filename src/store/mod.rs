//! The Redis store: every state change is one Lua script, every read of several keys one MULTI.
//!
//! Key names live in [`keys`]; the scripts' `KEYS`/`ARGV` are built in one place (`script.rs`).
//! The scripts publish the change with the queue's new version in the same step, so no change
//! is ever seen without its event.

mod connection;
mod contacts;
mod day;
mod error;
pub mod keys;
mod kiosks;
mod limits;
mod outbox;
mod phones;
mod reminders;
mod script;
pub mod sessions;
mod staff;

use crate::day::QueueDay;
use crate::lang::Lang;
use crate::queue::{Call, Channel, CounterId, Intake, QueueId, QueueSnapshot, Serving};
use crate::services::calendar::Calendar;
use crate::ticket::{IssuedTicket, Ticket, TicketAction, TicketState, TicketToken};
pub use connection::{Connection, RedisTarget, RESPONSE_TIMEOUT};
pub use contacts::{EarlyStatus, LogUpdate};
pub use day::TokenDay;
pub use error::{BadRedisUrl, Refusal, StoreError};
pub use keys::{DayId, DayKeys, QueueKeys, EVENTS_PATTERN};
pub use limits::{address_key, networks, wide_network, LimitReached, Source, TakeLimits, Taker};
pub use outbox::{DevMessage, OutboxJob};
pub use phones::Registration;
use redis::{AsyncCommands, ScriptInvocation, Value};
pub use reminders::Reminder;
use script::QueueScript;

/// What a new ticket starts with: where it was taken, its secret, its language and, taken by SMS
/// or a call, the phone it came from.
#[derive(Clone, Copy, Debug)]
pub struct NewTicket<'a> {
    pub channel: Channel,
    pub token: &'a TicketToken,
    pub lang: Lang,
    pub phone: Option<&'a crate::phone::PhoneNumber>,
    /// Taken from outside the store (remote check-in, the anonymous API, SMS or a call): counts
    /// against remote intake's share of the day.
    pub remote: bool,
}

impl<'a> NewTicket<'a> {
    /// A ticket taken at a kiosk, a browser or the API (no phone yet).
    pub fn new(channel: Channel, token: &'a TicketToken, lang: Lang) -> Self {
        Self {
            channel,
            token,
            lang,
            phone: None,
            remote: false,
        }
    }
}

/// What the issue script answers: the ticket (its wait not yet estimated), the queue's average
/// service time (from which the caller estimates it) and the business day it belongs to.
#[derive(Clone, Debug)]
pub struct Issued {
    pub ticket: IssuedTicket,
    pub avg_service_ms: Option<u64>,
    pub day: DayId,
}

/// The current time, its business day and how long that day's keys live, passed to every change.
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    /// Milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// When the day's keys expire (Unix seconds).
    pub expire_at: u64,
    /// The date of the business day now is in (after midnight, before the reset time: yesterday).
    pub day: jiff::civil::Date,
}

struct Scripts {
    issue: QueueScript,
    call_next: QueueScript,
    act: QueueScript,
    set_intake: QueueScript,
    reset: QueueScript,
    today: QueueScript,
    register_phone: QueueScript,
    verify_phone: QueueScript,
    call_out: QueueScript,
    contact: QueueScript,
    answer: QueueScript,
    send_text: QueueScript,
    set_autodial: QueueScript,
    reminder: QueueScript,
    reminder_set: QueueScript,
    reminder_take: QueueScript,
}

impl Scripts {
    fn new() -> Self {
        Self {
            issue: QueueScript::new(
                &[
                    "CHANNEL",
                    "TOKEN",
                    "LANG",
                    "MAX_TICKETS",
                    "REMOTE_MAX",
                    "PHONE",
                ],
                include_str!("issue.lua"),
            ),
            call_next: QueueScript::new(&["COUNTER"], include_str!("call_next.lua")),
            act: QueueScript::new(
                &["ACTION", "NUMBER", "SEEN_REV", "COUNTER"],
                include_str!("act.lua"),
            ),
            set_intake: QueueScript::new(&["INTAKE_STATE"], include_str!("set_intake.lua")),
            reset: QueueScript::new(&["MODE"], include_str!("reset.lua")),
            today: QueueScript::new(&[], include_str!("today.lua")),
            register_phone: QueueScript::new(
                &[
                    "NUMBER",
                    "TOKEN",
                    "PHONE",
                    "LINK",
                    "VERIFY_UNTIL",
                    "MAX_SMS",
                    "BODY",
                ],
                include_str!("register_phone.lua"),
            ),
            verify_phone: QueueScript::new(&["LINK"], include_str!("verify_phone.lua")),
            call_out: QueueScript::new(&["NUMBER", "TWIML", "TEXT"], include_str!("call_out.lua")),
            contact: QueueScript::new(
                &["NUMBER", "KIND", "STATUS", "TEXT_INSTEAD"],
                include_str!("contact.lua"),
            ),
            answer: QueueScript::new(
                &["ANSWER_DAY", "NUMBER", "ANSWER"],
                include_str!("answer.lua"),
            ),
            set_autodial: QueueScript::new(&["PLACES"], include_str!("set_autodial.lua")),
            reminder: QueueScript::new(&["NUMBER", "TOKEN", "WANT"], include_str!("reminder.lua")),
            reminder_set: QueueScript::new(
                &["NUMBER", "SID", "SEND_AT", "SENT"],
                include_str!("reminder_set.lua"),
            ),
            reminder_take: QueueScript::new(&["NUMBER"], include_str!("reminder_take.lua")),
            send_text: QueueScript::new(
                &["NUMBER", "BODY", "PURPOSE"],
                include_str!("send_text.lua"),
            ),
        }
    }
}

/// The connection to Redis shared by every request (one multiplexed connection, or one per cluster
/// node, that reconnects by itself), plus the scripts.
#[derive(Clone)]
pub struct Store {
    target: std::sync::Arc<RedisTarget>,
    conn: Connection,
    scripts: std::sync::Arc<Scripts>,
    limits: std::sync::Arc<limits::LimitScripts>,
    log: std::sync::Arc<contacts::LogScript>,
    /// The day's cap of tickets per queue (0: none).
    max_tickets_per_day: u32,
    /// Percent of `max_tickets_per_day` remote intake may take (100: all of it).
    remote_share_percent: u32,
    /// How many places ahead a verified phone gets its automatic call (0: never), per queue as
    /// configured (the console's setting, in Redis, goes over it).
    autodial: std::sync::Arc<AutodialPlaces>,
    /// What the app counts (the scripts' time and failures among it).
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Now and the business day, for reads (changes are given their moment).
    calendar: Calendar,
    /// The key of the stop list's hashes (`PHONE_HASH_SECRET`).
    phone_key: Option<std::sync::Arc<[u8]>>,
}

/// `AUTODIAL_PLACES`: how many places ahead a verified phone is called, for every queue and for
/// some queues apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutodialPlaces {
    pub default: u32,
    pub per_queue: Vec<(QueueId, u32)>,
}

impl AutodialPlaces {
    pub fn of(&self, queue: &QueueId) -> u32 {
        self.per_queue
            .iter()
            .find(|(q, _)| q == queue)
            .map_or(self.default, |(_, places)| *places)
    }
}

impl Store {
    /// Prepares the connection without opening it: the server starts while Redis is down and
    /// connects as soon as it is up. Must run inside the tokio runtime.
    pub fn open(url: &str) -> Result<Self, BadRedisUrl> {
        let target = RedisTarget::parse(url).map_err(BadRedisUrl)?;
        let conn = Connection::open(&target).map_err(|e| BadRedisUrl(e.to_string()))?;
        Ok(Self {
            target: std::sync::Arc::new(target),
            conn,
            scripts: std::sync::Arc::new(Scripts::new()),
            limits: std::sync::Arc::new(limits::LimitScripts::new()),
            log: std::sync::Arc::new(contacts::LogScript::new()),
            max_tickets_per_day: 0,
            remote_share_percent: 100,
            autodial: Default::default(),
            metrics: Default::default(),
            calendar: Calendar::tokyo(),
            phone_key: None,
        })
    }

    /// Reads the current business day by `calendar` (Asia/Tokyo, turning at 04:00, by default).
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// Caps the tickets a queue issues in a day (`MAX_TICKETS_PER_DAY`; 0: no cap).
    /// Keeps all but `percent` of the day's cap for the people in the store: remote intake (see
    /// [`NewTicket::remote`]) stops at that share, so a flood from outside never refuses the
    /// kiosk (`REMOTE_SHARE_PERCENT`).
    pub fn with_remote_share(mut self, percent: u32) -> Self {
        self.remote_share_percent = percent.clamp(1, 100);
        self
    }

    /// The tickets remote intake may take in a day, when the day has a cap.
    fn remote_max_per_day(&self) -> Option<u64> {
        (self.max_tickets_per_day > 0).then(|| {
            (u64::from(self.max_tickets_per_day) * u64::from(self.remote_share_percent) / 100)
                .max(1)
        })
    }

    pub fn with_max_tickets_per_day(mut self, max: u32) -> Self {
        self.max_tickets_per_day = max;
        self
    }

    /// Calls a verified phone once its ticket is this many places from its turn
    /// (`AUTODIAL_PLACES`; 0: never).
    pub fn with_autodial_places(mut self, places: AutodialPlaces) -> Self {
        self.autodial = std::sync::Arc::new(places);
        self
    }

    /// How many places ahead `queue` calls a verified phone now (the console's setting, else
    /// the configured one).
    pub async fn autodial_places(&self, queue: &QueueId) -> Result<u32, StoreError> {
        let mut conn = self.conn.clone();
        let set: Option<u32> = conn.get(QueueKeys::of(queue).autodial()).await?;
        Ok(set.unwrap_or_else(|| self.autodial.of(queue)))
    }

    /// Staff set how many places ahead `queue` calls a verified phone; tickets now within reach
    /// get their call.
    pub async fn set_autodial_places(
        &self,
        queue: &QueueId,
        places: u32,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.invoke(
            &self.scripts.set_autodial,
            queue,
            at,
            &[("PLACES", &places.to_string())],
        );
        self.run(invocation).await?;
        Ok(())
    }

    /// The invocation of a queue script, with what every one of them gets.
    fn invoke<'a>(
        &self,
        script: &'a QueueScript,
        queue: &QueueId,
        at: Moment,
        args: &[(&str, &str)],
    ) -> ScriptInvocation<'a> {
        script.invoke(queue, at, self.autodial.of(queue), args)
    }

    /// What the app counts.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// A connection of its own for the event hub's subscription.
    pub async fn pubsub(&self) -> Result<redis::aio::PubSub, redis::RedisError> {
        self.conn.pubsub(&self.target).await
    }

    /// The shared connection, for other stores on the same Redis (sessions).
    pub fn connection(&self) -> Connection {
        self.conn.clone()
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    async fn run(&self, invocation: ScriptInvocation<'_>) -> Result<Vec<Value>, StoreError> {
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
            "ok" => Ok(reply),
            "empty" => Err(StoreError::Refused(Refusal::Empty)),
            "expired" => Err(StoreError::Refused(Refusal::Expired)),
            "no_phone" => Err(StoreError::Refused(Refusal::NoPhone)),
            "limit" => {
                let max = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Refusal::SmsPerTicket(max)))
            }
            "not_found" => Err(StoreError::Refused(Refusal::NotFound)),
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

    /// Issues the next number: INCR, RPUSH onto the waiting LIST, the ticket, its token, the
    /// version and the event, in one script.
    pub async fn issue(
        &self,
        queue: &QueueId,
        new: NewTicket<'_>,
        prefix: &str,
        at: Moment,
    ) -> Result<Issued, StoreError> {
        let NewTicket {
            channel,
            token,
            lang,
            phone,
            remote,
        } = new;
        let remote_max = match self.remote_max_per_day() {
            Some(max) if remote => max.to_string(),
            _ => String::new(),
        };
        let invocation = self.invoke(
            &self.scripts.issue,
            queue,
            at,
            &[
                ("CHANNEL", channel.as_str()),
                ("TOKEN", token.as_str()),
                ("LANG", lang.code()),
                ("MAX_TICKETS", &self.max_tickets_per_day.to_string()),
                ("REMOTE_MAX", &remote_max),
                ("PHONE", phone.map(|p| p.as_str()).unwrap_or_default()),
            ],
        );
        let reply = self.run(invocation).await?;
        let number = int_at(&reply, 1)?;
        let avg_service_ms = reply
            .get(4)
            .map(as_string)
            .transpose()?
            .and_then(|s| s.parse().ok());
        let ticket = IssuedTicket {
            queue: queue.clone(),
            number,
            label: crate::ticket::label(prefix, number),
            token: token.clone(),
            people_ahead: int_at(&reply, 2)?,
            version: int_at(&reply, 3)?,
            estimated_wait_ms: None,
        };
        Ok(Issued {
            ticket,
            avg_service_ms,
            day: day::day_at(&reply, 5)?,
        })
    }

    /// The issue script's source and one `EVALSHA` command line of it for `queue` (a kiosk
    /// ticket, a fixed token): what `redis-benchmark` runs to measure the ceiling an issue has in
    /// this Redis. Only for the benchmark (feature `bench`).
    #[cfg(feature = "bench")]
    pub fn issue_command_line(&self, queue: &QueueId, at: Moment) -> (String, Vec<String>) {
        let token = "0".repeat(32);
        self.scripts.issue.command_line(
            queue,
            at,
            0,
            &[
                ("CHANNEL", Channel::Kiosk.as_str()),
                ("TOKEN", &token),
                ("LANG", Lang::Ja.code()),
                ("MAX_TICKETS", "0"),
                ("REMOTE_MAX", ""),
                ("PHONE", ""),
            ],
        )
    }

    /// Calls the first in line to `counter`; answers its number and the queue's version.
    pub async fn call_next(
        &self,
        queue: &QueueId,
        counter: &CounterId,
        at: Moment,
    ) -> Result<(u64, u64), StoreError> {
        let invocation = self.invoke(
            &self.scripts.call_next,
            queue,
            at,
            &[("COUNTER", counter.as_str())],
        );
        let reply = self.run(invocation).await?;
        Ok((int_at(&reply, 1)?, int_at(&reply, 2)?))
    }

    /// Applies `action` to ticket `number` if it still has revision `seen_rev` (when given);
    /// `counter` is where [`TicketAction::Call`] calls to. Answers the queue's version.
    pub async fn act(
        &self,
        queue: &QueueId,
        number: u64,
        action: TicketAction,
        counter: Option<&CounterId>,
        seen_rev: Option<u64>,
        at: Moment,
    ) -> Result<u64, StoreError> {
        let number = number.to_string();
        let seen_rev = seen_rev.map(|r| r.to_string()).unwrap_or_default();
        let invocation = self.invoke(
            &self.scripts.act,
            queue,
            at,
            &[
                ("ACTION", action.as_str()),
                ("NUMBER", &number),
                ("SEEN_REV", &seen_rev),
                (
                    "COUNTER",
                    counter.map(CounterId::as_str).unwrap_or_default(),
                ),
            ],
        );
        let reply = self.run(invocation).await?;
        int_at(&reply, 1)
    }

    pub async fn set_intake(
        &self,
        queue: &QueueId,
        intake: Intake,
        at: Moment,
    ) -> Result<u64, StoreError> {
        let invocation = self.invoke(
            &self.scripts.set_intake,
            queue,
            at,
            &[("INTAKE_STATE", intake.as_str())],
        );
        let reply = self.run(invocation).await?;
        int_at(&reply, 1)
    }

    /// Starts a new business day: `force` (staff) now, otherwise when the clock's date came (the
    /// first script after the boundary does that anyway; this tells idle screens in time).
    /// Answers the day it started, if it did.
    pub async fn reset(
        &self,
        queue: &QueueId,
        force: bool,
        at: Moment,
    ) -> Result<Option<DayId>, StoreError> {
        let mode = if force { "force" } else { "" };
        let invocation = self.invoke(&self.scripts.reset, queue, at, &[("MODE", mode)]);
        let mut conn = self.conn.clone();
        let reply: Vec<Value> = invocation.invoke_async(&mut conn).await?;
        if reply.first().map(as_string).transpose()?.as_deref() != Some("ok") {
            return Ok(None);
        }
        day::day_at(&reply, 1).map(Some)
    }

    /// The queue as one consistent picture (MULTI/EXEC).
    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let (_, replies) = self.read_day(queue, snapshot_reads).await?;
        let raw: RawSnapshot = redis::from_redis_value_ref(&Value::Array(replies))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        raw.into_snapshot(queue)
    }

    /// The snapshot and every ticket of the day, read together (one MULTI/EXEC): what the staff
    /// console starts from, and reads again only after a gap in the events.
    pub async fn day(&self, queue: &QueueId) -> Result<QueueDay, StoreError> {
        let (_, mut replies) = self
            .read_day(queue, |pipe, queue_keys, day_keys| {
                snapshot_reads(pipe, queue_keys, day_keys);
                pipe.hvals(day_keys.tickets());
            })
            .await?;
        let corrupt = |e: redis::ParsingError| StoreError::Corrupt(e.to_string());
        let tickets: Vec<String> = replies
            .pop()
            .map(|v| redis::from_redis_value_ref(&v).map_err(corrupt))
            .transpose()?
            .unwrap_or_default();
        let raw: RawSnapshot =
            redis::from_redis_value_ref(&Value::Array(replies)).map_err(corrupt)?;
        let snapshot = raw.into_snapshot(queue)?;
        let tickets = tickets
            .iter()
            .map(|json| parse_ticket(json).map(|t| t.summary))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QueueDay::new(snapshot, tickets))
    }

    /// Ticket `number` of business `day` (while that day's keys live).
    pub async fn ticket_on(
        &self,
        queue: &QueueId,
        day: &DayId,
        number: u64,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = conn
            .hget(QueueKeys::of(queue).day_keys(day).tickets(), number)
            .await?;
        raw.map(|json| parse_ticket(&json)).transpose()
    }

    /// Ticket `number` of the current business day.
    pub async fn ticket(&self, queue: &QueueId, number: u64) -> Result<Option<Ticket>, StoreError> {
        let (_, replies) = self
            .read_day(queue, |pipe, _, day| {
                pipe.hget(day.tickets(), number);
            })
            .await?;
        let raw: Option<String> = day::single(replies)?;
        raw.map(|json| parse_ticket(&json)).transpose()
    }
}

/// What [`snapshot_reads`] answers, in its order.
type RawSnapshot = (
    Option<u64>,
    Vec<u64>,
    Vec<(String, u64)>,
    Vec<String>,
    Option<u64>,
    Option<String>,
    Option<u64>,
);

/// The reads of a snapshot, in a MULTI/EXEC that callers may extend.
fn snapshot_reads(pipe: &mut redis::Pipeline, queue: &QueueKeys, day: &DayKeys) {
    pipe.get(queue.version())
        .lrange(day.waiting(), 0, -1)
        .hgetall(day.serving())
        .lrange(day.recent(), 0, -1)
        .get(day.sequence())
        .get(queue.intake())
        .get(day.avg_service());
}

trait IntoSnapshot {
    fn into_snapshot(self, queue: &QueueId) -> Result<QueueSnapshot, StoreError>;
}

impl IntoSnapshot for RawSnapshot {
    fn into_snapshot(self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let (version, waiting, serving, recent, last_number, intake, avg) = self;
        let mut serving = serving
            .into_iter()
            .map(|(counter, number)| {
                let counter =
                    CounterId::parse(&counter).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(Serving { counter, number })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        serving.sort_by(|a, b| a.counter.cmp(&b.counter));
        let recent_calls = recent
            .iter()
            .map(|raw| {
                serde_json::from_str::<Call>(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QueueSnapshot {
            queue: queue.clone(),
            version: version.unwrap_or(0),
            waiting,
            serving,
            recent_calls,
            last_number: last_number.unwrap_or(0),
            intake: parse_intake(intake.as_deref())?,
            avg_service_ms: avg,
        })
    }
}

fn parse_ticket(json: &str) -> Result<Ticket, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("ticket: {e}")))
}

/// No intake key means open; anything but a known name is corrupt data, never a guess.
fn parse_intake(raw: Option<&str>) -> Result<Intake, StoreError> {
    raw.map_or(Ok(Intake::Open), |raw| {
        Intake::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
    })
}

pub(crate) fn as_string(v: &Value) -> Result<String, StoreError> {
    redis::from_redis_value_ref(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn int_at(reply: &[Value], i: usize) -> Result<u64, StoreError> {
    let v = reply
        .get(i)
        .ok_or_else(|| StoreError::Corrupt(format!("script reply lacks item {i}")))?;
    redis::from_redis_value_ref(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_with_a_message() {
        let err = Store::open("http://nope").err().expect("must fail");
        assert!(err.to_string().contains("REDIS_URL"), "{err}");
    }

    #[test]
    fn unknown_intake_is_corrupt_data() {
        assert_eq!(parse_intake(None).unwrap(), Intake::Open);
        assert_eq!(parse_intake(Some("paused")).unwrap(), Intake::Paused);
        assert!(parse_intake(Some("closed")).is_err());
    }
}
