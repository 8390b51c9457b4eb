//! The Redis store: every state change is one Lua script or one MULTI/EXEC.
//!
//! All keys of a queue share the hash tag `{<queue>}` (`wr:{default}:waiting`), so each script
//! touches a single slot and runs unchanged on a Redis Cluster.

use crate::queue::{Channel, QueueId, QueueSnapshot};
use crate::ticket::{IssuedTicket, Ticket};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Client, Script};
use std::time::Duration;

/// The Redis keys of one queue.
pub struct QueueKeys {
    pub sequence: String,
    pub waiting: String,
    pub tickets: String,
    pub version: String,
    pub events: String,
}

impl QueueKeys {
    pub fn of(queue: &QueueId) -> Self {
        let key = |name: &str| format!("wr:{{{queue}}}:{name}");
        Self {
            sequence: key("seq"),
            waiting: key("waiting"),
            tickets: key("tickets"),
            version: key("version"),
            events: key("events"),
        }
    }
}

/// The pattern every queue's event channel matches.
pub const EVENTS_PATTERN: &str = "wr:{*}:events";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Redis is unreachable: {0}")]
    Unavailable(#[source] redis::RedisError),
    #[error("Redis answered unexpectedly: {0}")]
    Redis(#[source] redis::RedisError),
    #[error("a stored ticket could not be read: {0}")]
    Corrupt(String),
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

/// The connection to Redis shared by every request (one multiplexed connection that reconnects by
/// itself), plus the scripts.
#[derive(Clone)]
pub struct Store {
    client: Client,
    conn: ConnectionManager,
    issue: Script,
}

impl Store {
    /// Prepares the connection without opening it: the server starts while Redis is down and
    /// connects as soon as it is up.
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
            issue: Script::new(include_str!("issue.lua")),
        })
    }

    /// The client, for the pub/sub connection of the event hub.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    /// Issues the next number: INCR, RPUSH onto the waiting LIST, the ticket, the version and the
    /// event, all in one script.
    pub async fn issue(
        &self,
        queue: &QueueId,
        channel: Channel,
        issued_at_ms: u64,
    ) -> Result<IssuedTicket, StoreError> {
        let keys = QueueKeys::of(queue);
        let mut conn = self.conn.clone();
        let (number, waiting, version): (u64, u64, u64) = self
            .issue
            .key(&keys.sequence)
            .key(&keys.waiting)
            .key(&keys.tickets)
            .key(&keys.version)
            .arg(queue.as_str())
            .arg(channel.as_str())
            .arg(issued_at_ms)
            .arg(&keys.events)
            .invoke_async(&mut conn)
            .await?;
        Ok(IssuedTicket {
            queue: queue.clone(),
            number,
            people_ahead: waiting.saturating_sub(1),
            waiting,
            version,
        })
    }

    /// The queue as one consistent picture (MULTI/EXEC).
    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let keys = QueueKeys::of(queue);
        let mut conn = self.conn.clone();
        let (version, waiting, last_number): (Option<u64>, u64, Option<u64>) = redis::pipe()
            .atomic()
            .get(&keys.version)
            .llen(&keys.waiting)
            .get(&keys.sequence)
            .query_async(&mut conn)
            .await?;
        Ok(QueueSnapshot {
            queue: queue.clone(),
            version: version.unwrap_or(0),
            waiting,
            last_number: last_number.unwrap_or(0),
        })
    }

    /// The waiting numbers, first in line first.
    pub async fn waiting_numbers(&self, queue: &QueueId) -> Result<Vec<u64>, StoreError> {
        let mut conn = self.conn.clone();
        Ok(conn.lrange(QueueKeys::of(queue).waiting, 0, -1).await?)
    }

    pub async fn ticket(&self, queue: &QueueId, number: u64) -> Result<Option<Ticket>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = conn.hget(QueueKeys::of(queue).tickets, number).await?;
        raw.map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_of_a_queue_share_one_hash_tag() {
        let keys = QueueKeys::of(&QueueId::parse("kaikei").unwrap());
        for key in [keys.sequence, keys.waiting, keys.tickets, keys.version, keys.events] {
            assert!(key.starts_with("wr:{kaikei}:"), "{key}");
        }
    }

    #[test]
    fn a_bad_url_is_refused_with_a_message() {
        let err = Store::open("http://nope").err().expect("must fail");
        assert!(err.to_string().contains("REDIS_URL"), "{err}");
    }
}
