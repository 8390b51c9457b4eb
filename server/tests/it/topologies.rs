//! Beyond one Redis: a master that Sentinel fails over, and a cluster's queues on several nodes.
//! (The whole suite also runs once against a Redis Cluster: `WR_TEST_REDIS=cluster`.)

use crate::common::{
    cluster_mode, config_with, eventually, free_port, next_json, spawn_app_with, TestRedis,
};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

/// A master, its replica and three sentinels (quorum 2) watching it as `mymaster`, each a
/// `redis-server` of the Debian package (`--sentinel` makes one a sentinel).
struct Sentinels {
    master: u16,
    replica: u16,
    sentinels: Vec<u16>,
    dir: PathBuf,
    children: Vec<(u16, Child)>,
}

impl Sentinels {
    /// A set started, once its sentinels agree on the master.
    async fn agreed() -> Self {
        let set = Self::start();
        assert!(
            eventually(Duration::from_secs(20), || async {
                set.master_port() == Some(set.master)
            })
            .await,
            "the sentinels agree on the master"
        );
        set
    }

    fn start() -> Self {
        let (master, replica) = (free_port(), free_port());
        let sentinels: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let dir =
            std::env::temp_dir().join(format!("wr-test-sentinel-{}-{master}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut set = Self {
            master,
            replica,
            sentinels: sentinels.clone(),
            dir,
            children: Vec::new(),
        };
        set.server(master, &[]);
        set.server(replica, &["--replicaof", "127.0.0.1", &master.to_string()]);
        for port in sentinels {
            let conf = set.dir.join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master} 2\n\
                     sentinel down-after-milliseconds mymaster 1000\n\
                     sentinel failover-timeout mymaster 3000\n"
                ),
            )
            .unwrap();
            let child = Command::new("redis-server")
                .arg(&conf)
                .arg("--sentinel")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            set.children.push((port, child));
            wait_for_port(port);
        }
        set
    }

    fn server(&mut self, port: u16, extra: &[&str]) {
        let dir = self.dir.join(port.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.children.push((port, child));
        wait_for_port(port);
    }

    fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+sentinel://{}/mymaster", hosts.join(","))
    }

    /// The same, with `first` listed before the set's sentinels.
    fn url_after(&self, first: u16) -> String {
        self.url()
            .replacen("sentinel://", &format!("sentinel://127.0.0.1:{first},"), 1)
    }

    fn redis(&self, port: u16) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// What the sentinels say the master's port is, when they all agree.
    fn master_port(&self) -> Option<u16> {
        let said: Vec<Option<u16>> = self
            .sentinels
            .iter()
            .map(|&s| {
                let addr: Option<Vec<String>> = redis::cmd("SENTINEL")
                    .arg("GET-MASTER-ADDR-BY-NAME")
                    .arg("mymaster")
                    .query(&mut self.redis(s))
                    .ok();
                addr.and_then(|a| a.get(1).and_then(|p| p.parse().ok()))
            })
            .collect();
        said.windows(2)
            .all(|w| w[0] == w[1])
            .then(|| said[0])
            .flatten()
    }

    fn kill(&mut self, port: u16) {
        if let Some(i) = self.children.iter().position(|(p, _)| *p == port) {
            let (_, mut child) = self.children.remove(i);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Sentinels {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A sentinel that is there but never answers (a hung host): it takes every connection and reads
/// what comes. It counts the connections made to it and those that ended (their client gave up).
struct SilentSentinel {
    port: u16,
    opened: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
    listener: tokio::task::JoinHandle<()>,
}

impl SilentSentinel {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (opened, ended) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (counted, gone) = (opened.clone(), ended.clone());
        let listener = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, SeqCst);
                let gone = gone.clone();
                tokio::spawn(async move {
                    use tokio::io::AsyncReadExt;
                    let mut sink = [0u8; 1024];
                    while let Ok(1..) = socket.read(&mut sink).await {}
                    gone.fetch_add(1, SeqCst);
                });
            }
        });
        Self {
            port,
            opened,
            ended,
            listener,
        }
    }

    fn opened(&self) -> usize {
        self.opened.load(SeqCst)
    }

    fn ended(&self) -> usize {
        self.ended.load(SeqCst)
    }
}

impl Drop for SilentSentinel {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn through_sentinel_the_app_follows_a_failover_and_loses_nothing_replicated() {
    if cluster_mode() {
        return; // its own Redis servers: once is enough
    }
    let mut set = Sentinels::agreed().await;
    // listed first, a sentinel that never answers: the look-ups go on without it
    let silent = SilentSentinel::start().await;
    let app = spawn_app_with(config_with(&set.url_after(silent.port), &[])).await;
    for expected in 1..=3 {
        let issued: serde_json::Value = app.issue("default").await.json().await.unwrap();
        assert_eq!(issued["ticket"]["number"], expected);
    }
    let (mut screen, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
            .await
            .unwrap();
    assert_eq!(
        next_json(&mut screen).await["snapshot"]["waiting"],
        serde_json::json!([1, 2, 3])
    );
    // every write is on the replica before the master goes (Redis replicates asynchronously: what
    // a master acknowledged and died before passing on is lost in any failover)
    let copies: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut set.redis(set.master))
        .unwrap();
    assert_eq!(copies, 1);

    set.kill(set.master);
    assert!(
        eventually(Duration::from_secs(30), || async {
            set.master_port() == Some(set.replica)
        })
        .await,
        "the sentinels promote the replica"
    );
    // the first requests after the loss may fail (503); then the app issues on the new master
    let fourth = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let answer = app.issue("default").await;
            if answer.status() == 200 {
                return answer.json::<serde_json::Value>().await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the app issues again after the failover");
    assert_eq!(
        fourth["ticket"]["number"], 4,
        "numbering goes on, nothing lost"
    );
    let day = app.get_json("/api/v1/queues/default").await;
    assert_eq!(day["waiting"], serde_json::json!([1, 2, 3, 4]));

    // the hub subscribes to the new master by itself (its screens get a snapshot then), and
    // events flow to screens again
    let (mut screen, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
            .await
            .unwrap();
    assert_eq!(next_json(&mut screen).await["kind"], "snapshot");
    let heard = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            app.issue("default").await;
            let wait = Duration::from_millis(500);
            while let Ok(message) = tokio::time::timeout(wait, next_json(&mut screen)).await {
                if message["kind"] == "event" {
                    return message["event"]["number"].as_u64();
                }
            }
        }
    })
    .await
    .expect("live events reach screens again after the failover");
    assert!(heard >= Some(5), "{heard:?}");
}

#[tokio::test]
async fn a_sentinel_that_never_answers_holds_up_no_request() {
    if cluster_mode() {
        return; // its own Redis servers: once is enough
    }
    let set = Sentinels::agreed().await;
    let silent = SilentSentinel::start().await;
    let store = waitingroom::store::Store::open(&set.url_after(silent.port))
        .unwrap()
        .with_calendar(crate::common::test_calendar());
    let issue = || async {
        use waitingroom::{store::NewTicket, Channel, Lang, QueueId};
        let token = waitingroom::services::random_token();
        let queue = QueueId::parse("default").unwrap();
        let new = NewTicket::new(Channel::Kiosk, &token, Lang::Ja);
        let at = crate::common::test_calendar().now();
        let issued = store.tickets().issue(&queue, new, "", at).await;
        issued.expect("a ticket is issued").ticket.number
    };

    // the first request needs the master the first look-up finds: it is answered by the
    // sentinels that answer, while the look-up still waits for the silent one
    assert_eq!(issue().await, 1);
    assert_eq!(
        silent.ended(),
        0,
        "the first request waited for no sentinel to time out"
    );

    // every second a look-up asks the silent sentinel again and waits for it until its time-out
    // (`SENTINEL_TIMEOUT`, 500 ms); requests meanwhile go to the master found last
    for number in 2..=4 {
        let asked = silent.opened();
        let look_up = tokio::time::timeout(Duration::from_secs(5), async {
            while silent.opened() == asked {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        look_up.await.expect("a look-up asks the silent sentinel");
        let gave_up = silent.ended();
        assert_eq!(issue().await, number);
        assert_eq!(
            silent.ended(),
            gave_up,
            "the request was answered while the look-up waited for the silent sentinel"
        );
    }
    assert!(
        eventually(Duration::from_secs(5), || async { silent.ended() >= 3 }).await,
        "each look-up gave up on the silent sentinel, and the next one came"
    );
}

#[tokio::test]
async fn a_cluster_keeps_each_queue_on_one_node_and_spreads_queues_over_nodes() {
    if !cluster_mode() {
        return; // needs the cluster the suite runs against with WR_TEST_REDIS=cluster
    }
    let redis = TestRedis::start();
    let queues: Vec<String> = (0..12).map(|i| format!("q{i}")).collect();
    let app = spawn_app_with(config_with(&redis.url(), &[("QUEUES", &queues.join(","))])).await;
    for queue in &queues {
        assert_eq!(app.issue(queue).await.status(), 200);
        assert_eq!(app.call_next_as_staff(queue, "1").await.status(), 200);
    }
    let mut nodes_of: std::collections::BTreeMap<String, std::collections::BTreeSet<usize>> =
        Default::default();
    for (i, node) in redis.node_urls().into_iter().enumerate() {
        let mut conn = redis::Client::open(node).unwrap().get_connection().unwrap();
        let keys: Vec<String> = redis::cmd("KEYS").arg("wr:{q*").query(&mut conn).unwrap();
        for key in keys {
            let queue = key[4..key.find('}').unwrap()].to_owned();
            nodes_of.entry(queue).or_default().insert(i);
        }
    }
    assert_eq!(
        nodes_of.len(),
        queues.len(),
        "every queue's keys are found: {nodes_of:?}"
    );
    assert!(
        nodes_of.values().all(|nodes| nodes.len() == 1),
        "all the keys of a queue are on one node: {nodes_of:?}"
    );
    let holding: std::collections::BTreeSet<usize> = nodes_of.values().flatten().copied().collect();
    assert!(
        holding.len() >= 2,
        "12 queues spread over at least two of the three nodes: {nodes_of:?}"
    );
}
