//! The Redis store: every state change is one Lua script, every read of several keys one MULTI.
//!
//! All keys of a queue share the hash tag `{<queue>}` (`wr:{default}:waiting`), so each script
//! touches a single slot and runs unchanged on a Redis Cluster. The scripts publish the change
//! with the queue's new version in the same step, so no change is ever seen without its event.

pub mod sessions;

use crate::queue::{Call, Channel, CounterId, Intake, QueueId, QueueSnapshot, Serving};
use crate::ticket::{IssuedTicket, Ticket, TicketState, TicketToken};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Client, Script, ScriptInvocation, Value};
use std::time::Duration;

/// The Redis keys of one queue.
pub struct QueueKeys {
    pub sequence: String,
    pub waiting: String,
    pub tickets: String,
    pub tokens: String,
    pub serving: String,
    pub recent: String,
    pub service_ms: String,
    pub avg_service: String,
    pub version: String,
    pub intake: String,
    pub day: String,
    pub events: String,
}

impl QueueKeys {
    pub fn of(queue: &QueueId) -> Self {
        let key = |name: &str| format!("wr:{{{queue}}}:{name}");
        Self {
            sequence: key("seq"),
            waiting: key("waiting"),
            tickets: key("tickets"),
            tokens: key("tokens"),
            serving: key("serving"),
            recent: key("recent"),
            service_ms: key("service_ms"),
            avg_service: key("avg_service"),
            version: key("version"),
            intake: key("intake"),
            day: key("day"),
            events: key("events"),
        }
    }

    /// In the order of the scripts' KEYS (see prelude.lua).
    fn script_keys(&self) -> [&str; 11] {
        [
            &self.sequence,
            &self.waiting,
            &self.tickets,
            &self.tokens,
            &self.serving,
            &self.recent,
            &self.service_ms,
            &self.avg_service,
            &self.version,
            &self.intake,
            &self.day,
        ]
    }
}

/// The pattern every queue's event channel matches.
pub const EVENTS_PATTERN: &str = "wr:{*}:events";

/// Why a script refused a change (and changed nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Intake is paused for this channel.
    Paused(Intake),
    /// Nobody is waiting.
    Empty,
    /// No such ticket (today).
    NotFound,
    /// The ticket is in another state, or changed since the actor saw it.
    Conflict(TicketState),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Redis is unreachable: {0}")]
    Unavailable(#[source] redis::RedisError),
    #[error("Redis answered unexpectedly: {0}")]
    Redis(#[source] redis::RedisError),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("refused: {0:?}")]
    Refused(Refusal),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_timeout()
        {
            StoreError::Unavailable(e)
        } else {
            StoreError::Redis(e)
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL is not a valid Redis URL ({0}); expected e.g. redis://127.0.0.1:6379/0")]
pub struct BadRedisUrl(String);

/// The current time and how long the day's keys live, passed to every change.
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    /// Milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// When the day's keys expire (Unix seconds).
    pub expire_at: u64,
}

struct Scripts {
    issue: Script,
    call_next: Script,
    act: Script,
    set_intake: Script,
    reset: Script,
}

impl Scripts {
    fn new() -> Self {
        let with_prelude =
            |body: &str| Script::new(&format!("{}\n{body}", include_str!("prelude.lua")));
        Self {
            issue: with_prelude(include_str!("issue.lua")),
            call_next: with_prelude(include_str!("call_next.lua")),
            act: with_prelude(include_str!("act.lua")),
            set_intake: with_prelude(include_str!("set_intake.lua")),
            reset: with_prelude(include_str!("reset.lua")),
        }
    }
}

/// A staff or customer action on one ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Call(CounterId),
    Recall,
    Done,
    NoShow,
    Cancel,
    Requeue,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Call(_) => "call",
            Action::Recall => "recall",
            Action::Done => "done",
            Action::NoShow => "no_show",
            Action::Cancel => "cancel",
            Action::Requeue => "requeue",
        }
    }
}

/// The connection to Redis shared by every request (one multiplexed connection that reconnects by
/// itself), plus the scripts.
#[derive(Clone)]
pub struct Store {
    client: Client,
    conn: ConnectionManager,
    scripts: std::sync::Arc<Scripts>,
}

impl Store {
    /// Prepares the connection without opening it: the server starts while Redis is down and
    /// connects as soon as it is up. Must run inside the tokio runtime.
    pub fn open(url: &str) -> Result<Self, BadRedisUrl> {
        let client = Client::open(url).map_err(|e| BadRedisUrl(e.to_string()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| BadRedisUrl(e.to_string()))?;
        Ok(Self {
            client,
            conn,
            scripts: std::sync::Arc::new(Scripts::new()),
        })
    }

    /// The client, for the pub/sub connection of the event hub.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The shared connection, for other stores on the same Redis (sessions).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    fn invocation<'a>(script: &'a Script, queue: &QueueId, at: Moment) -> ScriptInvocation<'a> {
        let keys = QueueKeys::of(queue);
        let mut invocation = script.prepare_invoke();
        for key in keys.script_keys() {
            invocation.key(key);
        }
        invocation
            .arg(queue.as_str())
            .arg(&keys.events)
            .arg(at.now_ms)
            .arg(at.expire_at);
        invocation
    }

    async fn run(&self, invocation: ScriptInvocation<'_>) -> Result<Vec<Value>, StoreError> {
        let mut conn = self.conn.clone();
        let reply: Vec<Value> = invocation.invoke_async(&mut conn).await?;
        let status = reply
            .first()
            .map(as_string)
            .transpose()?
            .unwrap_or_default();
        let detail = || reply.get(1).map(as_string).transpose();
        match status.as_str() {
            "ok" => Ok(reply),
            "empty" => Err(StoreError::Refused(Refusal::Empty)),
            "not_found" => Err(StoreError::Refused(Refusal::NotFound)),
            "paused" => {
                let intake = parse_intake(detail()?.as_deref());
                Err(StoreError::Refused(Refusal::Paused(intake)))
            }
            "conflict" => {
                let state = detail()?.unwrap_or_default();
                let state = serde_json::from_value(serde_json::Value::String(state))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Err(StoreError::Refused(Refusal::Conflict(state)))
            }
            other => Err(StoreError::Corrupt(format!("script answered {other:?}"))),
        }
    }

    /// Issues the next number: INCR, RPUSH onto the waiting LIST, the ticket, its token, the
    /// version and the event, in one script. `estimated_wait_ms` answers the average service
    /// time; the caller turns it into the estimate.
    pub async fn issue(
        &self,
        queue: &QueueId,
        channel: Channel,
        token: &TicketToken,
        prefix: &str,
        at: Moment,
    ) -> Result<IssuedTicket, StoreError> {
        let mut invocation = Self::invocation(&self.scripts.issue, queue, at);
        invocation.arg(channel.as_str()).arg(token.as_str());
        let reply = self.run(invocation).await?;
        let number = int_at(&reply, 1)?;
        let avg_service_ms = reply
            .get(4)
            .map(as_string)
            .transpose()?
            .and_then(|s| s.parse().ok());
        Ok(IssuedTicket {
            queue: queue.clone(),
            number,
            label: crate::ticket::label(prefix, number),
            token: token.clone(),
            people_ahead: int_at(&reply, 2)?,
            version: int_at(&reply, 3)?,
            estimated_wait_ms: avg_service_ms,
        })
    }

    /// Calls the first in line to `counter`; answers its number and the queue's version.
    pub async fn call_next(
        &self,
        queue: &QueueId,
        counter: &CounterId,
        at: Moment,
    ) -> Result<(u64, u64), StoreError> {
        let mut invocation = Self::invocation(&self.scripts.call_next, queue, at);
        invocation.arg(counter.as_str());
        let reply = self.run(invocation).await?;
        Ok((int_at(&reply, 1)?, int_at(&reply, 2)?))
    }

    /// Applies `action` to ticket `number` if it still has revision `seen_rev` (when given);
    /// answers the queue's version.
    pub async fn act(
        &self,
        queue: &QueueId,
        number: u64,
        action: &Action,
        seen_rev: Option<u64>,
        at: Moment,
    ) -> Result<u64, StoreError> {
        let mut invocation = Self::invocation(&self.scripts.act, queue, at);
        let counter = match action {
            Action::Call(c) => c.as_str(),
            _ => "",
        };
        invocation
            .arg(action.name())
            .arg(number)
            .arg(seen_rev.map(|r| r.to_string()).unwrap_or_default())
            .arg(counter);
        let reply = self.run(invocation).await?;
        int_at(&reply, 1)
    }

    pub async fn set_intake(
        &self,
        queue: &QueueId,
        intake: Intake,
        at: Moment,
    ) -> Result<u64, StoreError> {
        let mut invocation = Self::invocation(&self.scripts.set_intake, queue, at);
        invocation.arg(intake.as_str());
        let reply = self.run(invocation).await?;
        int_at(&reply, 1)
    }

    /// Restarts the numbering: `force` (staff) always, otherwise once per business `day`.
    /// Answers whether it reset.
    pub async fn reset(
        &self,
        queue: &QueueId,
        day: &str,
        force: bool,
        at: Moment,
    ) -> Result<bool, StoreError> {
        let mut invocation = Self::invocation(&self.scripts.reset, queue, at);
        invocation.arg(day).arg(if force { "force" } else { "" });
        let mut conn = self.conn.clone();
        let reply: Vec<Value> = invocation.invoke_async(&mut conn).await?;
        Ok(reply.first().map(as_string).transpose()?.as_deref() == Some("ok"))
    }

    /// The queue as one consistent picture (MULTI/EXEC).
    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let keys = QueueKeys::of(queue);
        let mut conn = self.conn.clone();
        #[allow(clippy::type_complexity)]
        let (version, waiting, serving, recent, last_number, intake, avg): (
            Option<u64>,
            Vec<u64>,
            Vec<(String, u64)>,
            Vec<String>,
            Option<u64>,
            Option<String>,
            Option<u64>,
        ) = redis::pipe()
            .atomic()
            .get(&keys.version)
            .lrange(&keys.waiting, 0, -1)
            .hgetall(&keys.serving)
            .lrange(&keys.recent, 0, -1)
            .get(&keys.sequence)
            .get(&keys.intake)
            .get(&keys.avg_service)
            .query_async(&mut conn)
            .await?;
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
            intake: parse_intake(intake.as_deref()),
            avg_service_ms: avg,
        })
    }

    pub async fn ticket(&self, queue: &QueueId, number: u64) -> Result<Option<Ticket>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = conn.hget(QueueKeys::of(queue).tickets, number).await?;
        raw.map(|json| parse_ticket(&json)).transpose()
    }

    /// The number of the ticket with `token` in `queue`, if it exists today.
    pub async fn number_of(
        &self,
        queue: &QueueId,
        token: &TicketToken,
    ) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn.clone();
        Ok(conn
            .hget(QueueKeys::of(queue).tokens, token.as_str())
            .await?)
    }

    /// Every ticket of the day, by number.
    pub async fn tickets(&self, queue: &QueueId) -> Result<Vec<Ticket>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Vec<(u64, String)> = conn.hgetall(QueueKeys::of(queue).tickets).await?;
        let mut tickets = raw
            .iter()
            .map(|(_, json)| parse_ticket(json))
            .collect::<Result<Vec<_>, _>>()?;
        tickets.sort_by_key(|t| t.number);
        Ok(tickets)
    }
}

fn parse_ticket(json: &str) -> Result<Ticket, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("ticket: {e}")))
}

fn parse_intake(raw: Option<&str>) -> Intake {
    match raw {
        Some("paused") => Intake::Paused,
        Some("remote_paused") => Intake::RemotePaused,
        _ => Intake::Open,
    }
}

fn as_string(v: &Value) -> Result<String, StoreError> {
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
    fn all_keys_of_a_queue_share_one_hash_tag() {
        let keys = QueueKeys::of(&QueueId::parse("kaikei").unwrap());
        for key in keys.script_keys().into_iter().chain([keys.events.as_str()]) {
            assert!(key.starts_with("wr:{kaikei}:"), "{key}");
        }
    }

    #[test]
    fn a_bad_url_is_refused_with_a_message() {
        let err = Store::open("http://nope").err().expect("must fail");
        assert!(err.to_string().contains("REDIS_URL"), "{err}");
    }
}
