//! Where Redis is, and the connection every request shares. `REDIS_URL` names one of three:
//!
//! - one server: `redis://host:6379/0`;
//! - a Redis Cluster, by some of its nodes (the others are found from them):
//!   `redis+cluster://host1:7000,host2:7001,host3:7002`;
//! - the master that Sentinel names, by the sentinels and the master's name:
//!   `redis+sentinel://host1:26379,host2:26379,host3:26379/mymaster`.
//!
//! Every queue script touches the keys of one hash slot (`wr:{queue}:…`, `wr:{log}:…`, …), so a
//! cluster runs them unchanged. Live events are plain `PUBLISH`es, which a cluster passes to every
//! node: the hub subscribes on any one node.

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelServerType};
use redis::{Client, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use std::sync::{Arc, RwLock};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a command's answer is waited for before the request fails (503).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the sentinels are asked who the master is (besides after every lost connection).
const SENTINEL_CHECK: Duration = Duration::from_secs(1);

/// What `REDIS_URL` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisTarget {
    Single(String),
    /// Node URLs (`redis://host:port`).
    Cluster(Vec<String>),
    /// Sentinel URLs and the name of the master they watch.
    Sentinel {
        sentinels: Vec<String>,
        master: String,
    },
}

impl RedisTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let nodes = |rest: &str, scheme: &str| -> Result<Vec<String>, String> {
            let nodes: Vec<String> = rest
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| format!("{scheme}://{n}"))
                .collect();
            for node in &nodes {
                redis::parse_redis_url(node).ok_or_else(|| format!("{node} is not a Redis URL"))?;
            }
            if nodes.is_empty() {
                return Err("no host:port given".into());
            }
            Ok(nodes)
        };
        if let Some(rest) = url.strip_prefix("redis+cluster://") {
            return Ok(Self::Cluster(nodes(rest.trim_end_matches('/'), "redis")?));
        }
        if let Some(rest) = url.strip_prefix("redis+sentinel://") {
            let (hosts, master) = rest
                .split_once('/')
                .filter(|(_, m)| !m.is_empty())
                .ok_or("the master's name is missing: redis+sentinel://host:26379/mymaster")?;
            return Ok(Self::Sentinel {
                sentinels: nodes(hosts, "redis")?,
                master: master.trim_end_matches('/').to_owned(),
            });
        }
        Client::open(url).map_err(|e| e.to_string())?;
        Ok(Self::Single(url.to_owned()))
    }
}

/// One shared connection (cheap to clone) to whatever `REDIS_URL` names; every kind reconnects by
/// itself, a Sentinel one to the master of the moment.
#[derive(Clone)]
pub enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(SentinelConnection),
}

impl Connection {
    /// Prepares the connection without opening it (the server starts while Redis is down). Must run
    /// inside the tokio runtime.
    pub fn open(target: &RedisTarget) -> RedisResult<Self> {
        Ok(match target {
            RedisTarget::Single(url) => Self::Single(ConnectionManager::new_lazy_with_config(
                Client::open(url.as_str())?,
                manager_config(),
            )?),
            RedisTarget::Cluster(nodes) => {
                let client = ClusterClientBuilder::new(nodes.clone())
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(RESPONSE_TIMEOUT)
                    // One retry follows a MOVED or a failed-over node. It also sends again a
                    // command whose connection was lost after it went out (it may have run), and
                    // one that a node did not answer in time if the request still waits: the issue
                    // script answers a press met again with its ticket; more retries would run
                    // other scripts again.
                    .retries(1)
                    .min_retry_wait(20)
                    .max_retry_wait(500)
                    .build()?;
                Self::Cluster(client.get_pending_async_connection_with_config(Default::default()))
            }
            RedisTarget::Sentinel { sentinels, master } => {
                Self::Sentinel(SentinelConnection::open(sentinels, master)?)
            }
        })
    }

    /// A subscription connection: live events reach every node of a cluster, so any one that
    /// answers does.
    pub async fn pubsub(&self, target: &RedisTarget) -> RedisResult<PubSub> {
        match (self, target) {
            (Self::Sentinel(sentinel), _) => {
                sentinel.master_client().await?.get_async_pubsub().await
            }
            (_, RedisTarget::Cluster(nodes)) => {
                let mut last = None;
                for node in nodes {
                    match Client::open(node.as_str())?.get_async_pubsub().await {
                        Ok(pubsub) => return Ok(pubsub),
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| io_error("no node")))
            }
            (_, RedisTarget::Single(url)) => Client::open(url.as_str())?.get_async_pubsub().await,
            (_, RedisTarget::Sentinel { .. }) => Err(io_error("not a sentinel connection")),
        }
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
            Self::Sentinel(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Sentinel(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
            Self::Sentinel(c) => c.get_db(),
        }
    }
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500))
}

fn io_error(what: &'static str) -> RedisError {
    RedisError::from(std::io::Error::new(std::io::ErrorKind::NotConnected, what))
}

/// The master Sentinel names, followed through failovers: the sentinels are asked again after any
/// lost connection or refused write, and every second besides (a demoted master may go on
/// accepting writes for seconds before it learns it is a replica).
#[derive(Clone)]
pub struct SentinelConnection {
    inner: Arc<SentinelInner>,
}

struct SentinelInner {
    sentinel: tokio::sync::Mutex<SentinelClient>,
    /// The master's address and the connection to it, once found.
    master: RwLock<Option<(String, ConnectionManager)>>,
}

impl SentinelConnection {
    fn open(sentinels: &[String], master: &str) -> RedisResult<Self> {
        let client = SentinelClient::build(
            sentinels.to_vec(),
            master.to_owned(),
            None,
            SentinelServerType::Master,
        )?;
        let inner = Arc::new(SentinelInner {
            sentinel: tokio::sync::Mutex::new(client),
            master: RwLock::new(None),
        });
        let watched = Arc::downgrade(&inner);
        tokio::spawn(async move {
            while let Some(inner) = watched.upgrade() {
                let _ = inner.find_master().await;
                drop(inner);
                tokio::time::sleep(SENTINEL_CHECK).await;
            }
        });
        Ok(Self { inner })
    }

    async fn master_client(&self) -> RedisResult<Client> {
        self.inner.sentinel.lock().await.async_get_client().await
    }

    async fn current(&self) -> RedisResult<ConnectionManager> {
        let known = self
            .inner
            .master
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match known {
            Some((_, conn)) => Ok(conn),
            None => self.inner.find_master().await,
        }
    }

    fn get_db(&self) -> i64 {
        0
    }

    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut conn = self.current().await?;
            let reply = conn.req_packed_command(cmd).await;
            self.after(&reply).await;
            reply
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut conn = self.current().await?;
            let reply = conn.req_packed_commands(pipeline, offset, count).await;
            self.after(&reply).await;
            reply
        })
    }

    /// After a lost connection or a write refused by a replica the master may have changed: the
    /// next command goes where the sentinels say. The failed one is not sent again (a script may
    /// have run).
    async fn after<T>(&self, reply: &RedisResult<T>) {
        if let Err(e) = reply {
            if e.is_io_error()
                || e.is_timeout()
                || e.is_connection_dropped()
                || e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
            {
                let _ = self.inner.find_master().await;
            }
        }
    }
}

impl SentinelInner {
    /// Asks the sentinels for the master; a new address gets a new connection.
    async fn find_master(&self) -> RedisResult<ConnectionManager> {
        let client = self.sentinel.lock().await.async_get_client().await?;
        let address = client.get_connection_info().addr().to_string();
        let mut master = self.master.write().unwrap_or_else(|e| e.into_inner());
        if let Some((known, conn)) = master.as_ref() {
            if *known == address {
                return Ok(conn.clone());
            }
            tracing::warn!(master = %address, "Redis Sentinel: the master moved");
        }
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config())?;
        *master = Some((address, conn.clone()));
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_one_server_a_cluster_or_sentinels() {
        assert_eq!(
            RedisTarget::parse("redis://127.0.0.1:6379/0"),
            Ok(RedisTarget::Single("redis://127.0.0.1:6379/0".into()))
        );
        assert_eq!(
            RedisTarget::parse("redis+cluster://a:7000, b:7001,c:7002/"),
            Ok(RedisTarget::Cluster(vec![
                "redis://a:7000".into(),
                "redis://b:7001".into(),
                "redis://c:7002".into()
            ]))
        );
        assert_eq!(
            RedisTarget::parse("redis+sentinel://s1:26379,s2:26379/mymaster"),
            Ok(RedisTarget::Sentinel {
                sentinels: vec!["redis://s1:26379".into(), "redis://s2:26379".into()],
                master: "mymaster".into()
            })
        );
        for bad in [
            "http://nope",
            "redis+cluster://",
            "redis+sentinel://s1:26379",
            "redis+sentinel://s1:26379/",
        ] {
            assert!(RedisTarget::parse(bad).is_err(), "{bad}");
        }
    }
}
