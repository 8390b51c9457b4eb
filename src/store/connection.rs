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

use futures::stream::{FuturesUnordered, StreamExt};
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection, PubSub,
};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, ConnectionAddr, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a command's answer is waited for before the request fails (503).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the sentinels are asked who the master is (besides after every lost connection).
const SENTINEL_CHECK: Duration = Duration::from_secs(1);
/// How long one sentinel has to connect and answer in a look-up, and the master it names to say
/// it is one.
const SENTINEL_TIMEOUT: Duration = Duration::from_millis(500);
/// The least time between two look-ups (each failing request asks for one).
const SENTINEL_GAP: Duration = Duration::from_millis(100);

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
                let pubsub = sentinel.master_client().await?.get_async_pubsub().await;
                sentinel.after(&pubsub);
                pubsub
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
///
/// One task asks them, one look-up at a time; requests never wait for it: they use the master
/// found last (only before the first one is found do they wait for it). A look-up asks every
/// sentinel at once, each within [`SENTINEL_TIMEOUT`], and the first master named that says it is
/// one (`ROLE`) is used from then on, so a sentinel that hangs holds nothing up.
#[derive(Clone)]
pub struct SentinelConnection {
    inner: Arc<SentinelInner>,
}

struct SentinelInner {
    /// The master found last.
    master: watch::Sender<Option<Master>>,
    /// Asks the look-up task to ask the sentinels now.
    look_now: Arc<Notify>,
}

#[derive(Clone)]
struct Master {
    /// `host:port`.
    address: String,
    client: Client,
    conn: ConnectionManager,
}

impl SentinelConnection {
    fn open(sentinels: &[String], name: &str) -> RedisResult<Self> {
        let sentinels = sentinels
            .iter()
            .map(|url| Client::open(url.as_str()))
            .collect::<RedisResult<Vec<_>>>()?;
        let look_now = Arc::new(Notify::new());
        let inner = Arc::new(SentinelInner {
            master: watch::Sender::new(None),
            look_now: look_now.clone(),
        });
        let watched = Arc::downgrade(&inner);
        let name = name.to_owned();
        tokio::spawn(async move {
            // one connection per sentinel, kept between look-ups
            let mut connections = vec![None; sentinels.len()];
            while let Some(inner) = watched.upgrade() {
                inner.look_up(&sentinels, &mut connections, &name).await;
                drop(inner);
                tokio::time::sleep(SENTINEL_GAP).await;
                let _ = tokio::time::timeout(SENTINEL_CHECK, look_now.notified()).await;
            }
        });
        Ok(Self { inner })
    }

    /// The master found last; before the first is found, the first (within the connect timeout).
    async fn master(&self) -> RedisResult<Master> {
        if let Some(master) = self.inner.master.borrow().clone() {
            return Ok(master);
        }
        let mut found = self.inner.master.subscribe();
        self.inner.look_now.notify_one();
        let first = tokio::time::timeout(CONNECT_TIMEOUT, async {
            found.wait_for(Option::is_some).await.ok()?.clone()
        })
        .await;
        first
            .ok()
            .flatten()
            .ok_or_else(|| io_error("no sentinel named a master"))
    }

    async fn master_client(&self) -> RedisResult<Client> {
        Ok(self.master().await?.client)
    }

    fn get_db(&self) -> i64 {
        0
    }

    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut conn = self.master().await?.conn;
            let reply = conn.req_packed_command(cmd).await;
            self.after(&reply);
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
            let mut conn = self.master().await?.conn;
            let reply = conn.req_packed_commands(pipeline, offset, count).await;
            self.after(&reply);
            reply
        })
    }

    /// After a lost connection or a write refused by a replica the master may have changed: the
    /// sentinels are asked at once (the request does not wait for them). The failed command is not
    /// sent again (a script may have run).
    fn after<T>(&self, reply: &RedisResult<T>) {
        if let Err(e) = reply {
            if e.is_io_error()
                || e.is_timeout()
                || e.is_connection_dropped()
                || e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
            {
                self.inner.look_now.notify_one();
            }
        }
    }
}

impl SentinelInner {
    /// Asks every sentinel at once; the first master named that says it is one is used from then
    /// on. When none does, the last one found stays.
    async fn look_up(
        &self,
        sentinels: &[Client],
        connections: &mut [Option<MultiplexedConnection>],
        name: &str,
    ) {
        let known = self.master.borrow().clone();
        let mut answers: FuturesUnordered<_> = sentinels
            .iter()
            .zip(connections.iter_mut())
            .map(|(sentinel, conn)| ask_sentinel(sentinel, conn, name))
            .collect();
        let mut checked: Vec<String> = Vec::new();
        let mut found = false;
        // every answer is awaited (each within its timeout), so each sentinel's connection is
        // kept or dropped by what it did; the first master confirmed is used at once
        while let Some(answer) = answers.next().await {
            let Some((host, port)) = answer else { continue };
            let address = format!("{host}:{port}");
            if found || checked.contains(&address) {
                continue;
            }
            checked.push(address.clone());
            let master = match &known {
                Some(known) if known.address == address => known.clone(),
                _ => {
                    let Ok(client) = Client::open(ConnectionAddr::Tcp(host, port)) else {
                        continue;
                    };
                    let Ok(conn) =
                        ConnectionManager::new_lazy_with_config(client.clone(), manager_config())
                    else {
                        continue;
                    };
                    Master {
                        address,
                        client,
                        conn,
                    }
                }
            };
            if !says_master(&master.conn).await {
                continue;
            }
            found = true;
            if known.as_ref().map(|k| &k.address) != Some(&master.address) {
                if known.is_some() {
                    tracing::warn!(master = %master.address, "Redis Sentinel: the master moved");
                }
                self.master.send_replace(Some(master));
            }
        }
    }
}

/// The master's address as one sentinel names it, if it answers within [`SENTINEL_TIMEOUT`]
/// (connecting included); a sentinel that fails or takes longer is connected afresh next time.
async fn ask_sentinel(
    sentinel: &Client,
    conn: &mut Option<MultiplexedConnection>,
    name: &str,
) -> Option<(String, u16)> {
    let asked = tokio::time::timeout(SENTINEL_TIMEOUT, async {
        let conn = match conn {
            Some(conn) => conn,
            None => conn.insert(sentinel.get_multiplexed_async_connection().await?),
        };
        redis::cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(name)
            .query_async::<Option<(String, u16)>>(conn)
            .await
    })
    .await;
    match asked {
        Ok(Ok(address)) => address,
        _ => {
            *conn = None;
            None
        }
    }
}

/// Whether the server behind `conn` says it is a master, within [`SENTINEL_TIMEOUT`].
async fn says_master(conn: &ConnectionManager) -> bool {
    let role = tokio::time::timeout(
        SENTINEL_TIMEOUT,
        redis::cmd("ROLE").query_async::<redis::Role>(&mut conn.clone()),
    )
    .await;
    matches!(role, Ok(Ok(redis::Role::Primary { .. })))
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
