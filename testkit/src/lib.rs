//! The tests' harness (a dev-only crate): a real, throwaway Redis server per test (or a cluster of
//! three), the real app on port 0 (in the test's process or as a process of its own), and the
//! Twilio stand-in behind Stoplight Prism.

pub mod line_standin;
mod prism;
pub mod twilio_standin;

use server::{Config, Server};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A `redis-server` of this test's own, on a free port, without persistence (or durable: every
/// write in its append-only file before it answers). With `WR_TEST_REDIS=cluster`, a Redis Cluster
/// of three masters instead (the slots split in three), which the app reaches by a
/// `redis+cluster://` URL: the same tests, run once against a cluster.
pub struct TestRedis {
    /// The first node's port.
    pub port: u16,
    /// Each node's port and cluster bus port (one node, no bus, unless a cluster).
    nodes: Vec<(u16, u16)>,
    dir: PathBuf,
    children: Vec<Child>,
    durable: bool,
    /// A cluster whose nodes have met (a restart waits until they serve every slot again).
    formed: bool,
}

/// Whether the tests run against a Redis Cluster (`WR_TEST_REDIS=cluster`).
pub fn cluster_mode() -> bool {
    std::env::var("WR_TEST_REDIS").as_deref() == Ok("cluster")
}

impl TestRedis {
    pub fn start() -> Self {
        Self::start_as(false)
    }

    /// With `appendonly yes` and `appendfsync always`, as a shop's Redis should run: a restart
    /// after a crash loses nothing it acknowledged.
    pub fn start_durable() -> Self {
        Self::start_as(true)
    }

    fn start_as(durable: bool) -> Self {
        // a free port can be taken by another test before our server binds it: then again
        for _ in 0..5 {
            let nodes: Vec<(u16, u16)> = if cluster_mode() {
                (0..3).map(|_| (free_port(), free_port())).collect()
            } else {
                vec![(free_port(), 0)]
            };
            let port = nodes[0].0;
            let dir =
                std::env::temp_dir().join(format!("wr-test-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let mut redis = Self {
                port,
                nodes,
                dir,
                children: Vec::new(),
                durable,
                formed: false,
            };
            if !redis.spawn_nodes() {
                continue;
            }
            if cluster_mode() {
                redis.form_cluster();
            }
            return redis;
        }
        panic!("no free ports for redis-server");
    }

    /// What the app is given as `REDIS_URL`.
    pub fn url(&self) -> String {
        if cluster_mode() {
            let nodes: Vec<String> = self
                .nodes
                .iter()
                .map(|(port, _)| format!("127.0.0.1:{port}"))
                .collect();
            format!("redis+cluster://{}", nodes.join(","))
        } else {
            self.node_url()
        }
    }

    /// Each server's URL.
    pub fn node_urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|(port, _)| format!("redis://127.0.0.1:{port}/"))
            .collect()
    }

    /// One server's URL (a cluster passes every PUBLISH to each of its nodes).
    pub fn node_url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// (Re)starts the server(s) on the same ports (a cluster's nodes find each other again).
    pub fn restart(&mut self) {
        assert!(
            self.spawn_nodes(),
            "redis-server did not start again on its ports"
        );
        if self.formed {
            self.wait_for_cluster();
        }
    }

    /// Starts each node; false when one could not have its port.
    fn spawn_nodes(&mut self) -> bool {
        for (i, &(port, bus)) in self.nodes.iter().enumerate() {
            let dir = self.dir.join(format!("node{i}"));
            std::fs::create_dir_all(&dir).expect("node dir");
            let mut command = Command::new("redis-server");
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", ""])
                .args(if self.durable {
                    ["--appendonly", "yes", "--appendfsync", "always"].as_slice()
                } else {
                    ["--appendonly", "no"].as_slice()
                })
                .arg("--dir")
                .arg(&dir);
            if bus != 0 {
                command
                    .args([
                        "--cluster-enabled",
                        "yes",
                        "--cluster-port",
                        &bus.to_string(),
                    ])
                    .args(["--cluster-node-timeout", "2000"]);
            }
            let child = command
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server must be installed (scripts/test.sh installs it)");
            self.children.push(child);
        }
        // each port answers, and it is our server that answers
        let deadline = Instant::now() + Duration::from_secs(10);
        let ours = self
            .children
            .iter_mut()
            .zip(&self.nodes)
            .all(|(child, &(port, _))| loop {
                if !matches!(child.try_wait(), Ok(None)) {
                    break false;
                }
                if server_pid(port) == Some(child.id()) {
                    break true;
                }
                if Instant::now() > deadline {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(20));
            });
        if !ours {
            self.stop();
        }
        ours
    }

    /// Every node's `INFO commandstats`, one after another (a command's lines to be summed).
    pub fn command_stats(&self) -> String {
        self.nodes
            .iter()
            .map(|&(port, _)| {
                redis::cmd("INFO")
                    .arg("commandstats")
                    .query::<String>(&mut node(port))
                    .unwrap()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Holds every write and every script on every node for `pause`, as a stalled Redis would
    /// (`CLIENT PAUSE … WRITE`): what clients send meanwhile waits, then runs, and its answer comes
    /// late. Reads, and a cluster's own bus, go on.
    pub fn pause_writes(&self, pause: Duration) {
        for &(port, _) in &self.nodes {
            redis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(pause.as_millis() as u64)
                .arg("WRITE")
                .exec(&mut node(port))
                .expect("CLIENT PAUSE");
        }
    }

    /// Waits until no node holds writes any more (a write of its own, a `PUBLISH`, goes through
    /// each).
    pub async fn wait_for_writes(&self) {
        for &(port, _) in &self.nodes {
            let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
            let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
            let mut conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .expect("a node");
            redis::cmd("PUBLISH")
                .arg("wr-test:probe")
                .arg(1)
                .exec_async(&mut conn)
                .await
                .expect("a write after the pause");
        }
    }

    /// Splits the 16,384 slots over the nodes and introduces them to each other.
    fn form_cluster(&mut self) {
        let per_node = 16384 / self.nodes.len();
        for (i, &(port, _)) in self.nodes.iter().enumerate() {
            let first = i * per_node;
            let last = if i + 1 == self.nodes.len() {
                16383
            } else {
                first + per_node - 1
            };
            let mut conn = node(port);
            redis::cmd("CLUSTER")
                .arg("ADDSLOTSRANGE")
                .arg(first)
                .arg(last)
                .exec(&mut conn)
                .expect("CLUSTER ADDSLOTSRANGE");
            redis::cmd("CLUSTER")
                .arg("SET-CONFIG-EPOCH")
                .arg(i + 1)
                .exec(&mut conn)
                .expect("CLUSTER SET-CONFIG-EPOCH");
        }
        let mut first = node(self.port);
        for &(port, bus) in &self.nodes[1..] {
            redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(port)
                .arg(bus)
                .exec(&mut first)
                .expect("CLUSTER MEET");
        }
        self.formed = true;
        self.wait_for_cluster();
    }

    /// Until every node knows every node and serves every slot.
    fn wait_for_cluster(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.nodes.iter().all(|&(port, _)| {
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut node(port))
                    .unwrap_or_default();
                info.contains("cluster_state:ok")
                    && info.contains(&format!("cluster_known_nodes:{}", self.nodes.len()))
            });
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "the Redis Cluster did not form");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        for mut child in self.children.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A direct connection (to the cluster, in cluster mode), to look at what the app stored.
    pub async fn connection(&self) -> waitingroom::store::Connection {
        let target = waitingroom::store::RedisTarget::parse(&self.url()).unwrap();
        waitingroom::store::Connection::open(&target).unwrap()
    }
}

/// The process id of the redis-server on `port`, if one answers.
fn server_pid(port: u16) -> Option<u32> {
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .ok()?
        .get_connection()
        .ok()?;
    let info: String = redis::cmd("INFO").arg("server").query(&mut conn).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|p| p.trim().parse().ok())
}

fn node(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .expect("a cluster node")
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port free now for a server of the tests, chosen below Linux's ephemeral range
/// (32768–60999): a port from that range (what binding port 0 gives) can be taken by any outgoing
/// connection's local end between this choice and the server's bind (seen once: `Address already
/// in use`). Each port is handed out once per test process, from an offset by the process id.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const PORTS: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7919) % PORTS,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..PORTS {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % PORTS) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port from {FIRST} to {}", FIRST + PORTS - 1)
}

/// The real app, serving on a free port of 127.0.0.1.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The staff password the app was started with.
    pub password: String,
    /// The kiosk `issue` uses, set up at its first use.
    kiosk: tokio::sync::OnceCell<reqwest::Client>,
    stop: Option<oneshot::Sender<()>>,
    /// The server binary, when the app runs as a process of its own, and what it printed.
    process: Option<Child>,
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestApp {
    fn new(
        addr: SocketAddr,
        password: String,
        stop: Option<oneshot::Sender<()>>,
        process: Option<Child>,
    ) -> Self {
        Self {
            addr,
            http: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap(),
            password,
            kiosk: tokio::sync::OnceCell::new(),
            stop,
            process,
            output: Default::default(),
        }
    }

    /// What the server process printed so far, line by line.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A POST to `path` as this site's own pages send it (with their `Origin`).
    pub fn post(&self, client: &reqwest::Client, path: &str) -> reqwest::RequestBuilder {
        client
            .post(self.url(path))
            .header("origin", format!("http://{}", self.addr))
    }

    /// GETs `path` and answers its body as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GETs `path` and answers its body as text.
    pub async fn get_text(&self, path: &str) -> String {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Signs `client` in as staff; answers the login's status.
    pub async fn sign_in(&self, client: &reqwest::Client, password: &str) -> reqwest::StatusCode {
        self.post(client, "/api/admin/login")
            .form(&[("password", password)])
            .send()
            .await
            .map(|r| r.status())
            .unwrap_or(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    }

    /// Posts a server function's form and answers (status, JSON body).
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = self
            .post(client, path)
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// Calls the next ticket of `queue` to `counter` through the JSON API with the staff token.
    pub async fn call_next_as_staff(&self, queue: &str, counter: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/v1/queues/{queue}/call-next")))
            .bearer_auth(STAFF_API_TOKEN)
            .json(&serde_json::json!({ "counter": counter }))
            .send()
            .await
            .expect("request")
    }

    /// Staff press 「電話で呼び出す」 on ticket `number` of the default queue, calling it to
    /// `counter` (from `staff`, signed in): answers (status, JSON body).
    pub async fn call_phone(
        &self,
        staff: &reqwest::Client,
        number: u64,
        counter: &str,
    ) -> (u16, serde_json::Value) {
        let number = number.to_string();
        self.post_form(
            staff,
            "/api/admin/call_phone",
            &[
                ("queue", "default"),
                ("number", &number),
                ("counter", counter),
            ],
        )
        .await
    }

    /// Issues a ticket of `queue` through the JSON API with the staff token (no limits).
    pub async fn issue_as_staff(&self, queue: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/v1/queues/{queue}/tickets")))
            .bearer_auth(STAFF_API_TOKEN)
            .send()
            .await
            .expect("request")
    }

    /// A device set up as a kiosk the way staff do it: sign in on it, then 「この端末を受付機にする」.
    pub async fn new_kiosk(&self, name: &str) -> reqwest::Client {
        let device = client();
        let signed_in = self.sign_in(&device, &self.password).await;
        assert!(
            signed_in.is_success() || signed_in.is_redirection(),
            "{signed_in}"
        );
        let (status, body) = self
            .post_form(&device, "/api/admin/make_kiosk", &[("name", name)])
            .await;
        assert!(
            (200..400).contains(&status),
            "kiosk set up: {status} {body}"
        );
        device
    }

    /// The process id of the server, when it runs as a process of its own
    /// ([`spawn_app_process`]).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Child::id)
    }

    /// Kills the server process (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// This app's kiosk (set up at the first call).
    pub async fn kiosk(&self) -> &reqwest::Client {
        self.kiosk
            .get_or_init(|| self.new_kiosk("テスト受付機"))
            .await
    }

    /// Issues a ticket the way the kiosk does (its server function).
    pub async fn issue(&self, queue: &str) -> reqwest::Response {
        self.post(self.kiosk().await, "/api/kiosk/issue_ticket")
            .form(&[("queue", queue)])
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.kill();
    }
}

pub const ADMIN_PASSWORD: &str = "test-password-123";
pub const STAFF_API_TOKEN: &str = "test-staff-token-0123456789abcdef0123";
pub const PHONE_HASH_SECRET: &str = "test-phone-hash-secret-0123456789abcdef";

/// The tests' `DAY_RESETS_AT`: twelve hours after the run started (Tokyo time), so no test lives
/// across a turn of the business day by accident, whenever CI runs; the tests of days
/// (`it/days.rs`) move their clock across it on purpose.
pub fn day_resets_at() -> &'static str {
    static AT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AT.get_or_init(|| {
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(12);
        let local = later.to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap());
        format!("{:02}:{:02}", local.hour(), local.minute())
    })
}

/// The business calendar the test apps run by (Asia/Tokyo, turning at [`day_resets_at`]).
pub fn test_calendar() -> waitingroom::calendar::Calendar {
    waitingroom::calendar::Calendar::new(
        jiff::tz::TimeZone::get("Asia/Tokyo").unwrap(),
        day_resets_at().parse().unwrap(),
        Duration::from_secs(24 * 3600),
    )
}

pub fn config(redis_url: &str) -> Config {
    config_with(redis_url, &[])
}

/// The test configuration, with `extra` variables on top.
pub fn config_with(redis_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("REDIS_URL", redis_url.to_owned()),
        ("PORT", "0".to_owned()),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ("STAFF_API_TOKEN", STAFF_API_TOKEN.to_owned()),
        // tests issue thousands of tickets from one kiosk; `it/kiosks.rs` tests the limit
        ("KIOSK_MAX_PER_MINUTE", "1000000".to_owned()),
        ("DAY_RESETS_AT", day_resets_at().to_owned()),
    ];
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push((k, v.to_string()));
    }
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test config")
}

/// A refusal of a plain form post (no JavaScript): it goes back to its page with the error;
/// answers where, and that page (what `client` then sees).
pub async fn refusal_page(
    client: &reqwest::Client,
    response: reqwest::Response,
) -> (String, String) {
    assert_eq!(response.status(), 302, "a plain form goes back to its page");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let page = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (location, page)
}

/// A store on `redis` that reads by the test apps' calendar (the same business day as theirs).
pub fn store(redis: &TestRedis) -> waitingroom::store::Store {
    waitingroom::store::Store::open(&redis.url())
        .unwrap()
        .with_calendar(test_calendar())
}

/// The keys of `queue`'s current business day, as the app names them now.
pub async fn day_keys(redis: &TestRedis, queue: &str) -> waitingroom::store::DayKeys {
    let store = store(redis);
    let queue = waitingroom::QueueId::parse(queue).unwrap();
    let day = store.days().today(&queue).await.unwrap();
    waitingroom::store::QueueKeys::of(&queue).day_keys(&day)
}

/// A browser-like client with its own cookie jar (a session of its own), not following redirects.
pub fn client() -> reqwest::Client {
    client_at("127.0.0.1")
}

/// The same, connecting from its own loopback address (`127.0.0.N`), as another machine would.
pub fn client_at(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

/// No request of a test waits longer: a hang fails the test instead of stalling the run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

pub async fn spawn_app_with(config: Config) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("info").try_init();
    }
    let server = Server::bind(&config).await.expect("server starts");
    let addr = server.addr;
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let password = config.room.staff.password.clone().unwrap_or_default();
    let app = TestApp::new(addr, password, Some(stop), None);
    settle(&app).await;
    app
}

/// The real server binary, a process of its own (so its memory is measured alone), with the test
/// configuration and `extra` variables on top.
pub async fn spawn_app_process(redis: &TestRedis, extra: &[(&str, &str)]) -> TestApp {
    use std::io::BufRead;
    let mut command = Command::new(server_binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("REDIS_URL", redis.url())
        .env("PORT", "0")
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("STAFF_API_TOKEN", STAFF_API_TOKEN)
        .env("KIOSK_MAX_PER_MINUTE", "1000000")
        .env("DAY_RESETS_AT", day_resets_at());
    for (k, v) in extra {
        command.env(k, v);
    }
    let mut process = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let stdout = process.stdout.take().unwrap();
    let (found, address) = std::sync::mpsc::channel();
    let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = output.clone();
    // reads the address, then keeps the output (so the server never blocks on it)
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(url) = line.split("serving on http://").nth(1) {
                let _ = found.send(url.trim().to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let addr: SocketAddr = address
        .recv_timeout(Duration::from_secs(20))
        .expect("the server says where it serves")
        .parse()
        .unwrap();
    let mut app = TestApp::new(addr, ADMIN_PASSWORD.to_owned(), None, Some(process));
    app.output = output;
    settle(&app).await;
    app
}

/// Waits until the app has settled its staff password (a background task at start), unless it
/// runs without Redis.
async fn settle(app: &TestApp) {
    let settled = eventually(Duration::from_secs(10), || async {
        if config_has_no_redis(app).await {
            return true;
        }
        let status = app.sign_in(&client(), &app.password).await;
        status.is_success() || status.is_redirection()
    })
    .await;
    assert!(settled, "the app started");
}

/// True when Redis is unreachable (some tests start the app without it).
async fn config_has_no_redis(app: &TestApp) -> bool {
    app.http
        .get(app.url("/healthz"))
        .send()
        .await
        .map(|r| r.status() == 503)
        .unwrap_or(false)
}

pub async fn spawn_app(redis: &TestRedis) -> TestApp {
    spawn_app_with(config(&redis.url())).await
}

/// The text inside the element with `data-testid="{id}"` in server-rendered `html`.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("data-testid=\"{id}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find('<')?;
    Some(html[start..end].to_owned())
}

/// Retries `check` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message of a live channel (within 5 s).
pub async fn next_json(socket: &mut Socket) -> serde_json::Value {
    use futures::StreamExt;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("socket open")
            .expect("no socket error");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// A memory figure of process `pid` (`VmRSS`: now, `VmHWM`: its peak), in KiB.
pub fn memory_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

impl crate::line_standin::LineStandIn {
    /// The test configuration of an app with LINE on through this stand-in (and `extra` on top):
    /// it serves on a port chosen now, which is also its `PUBLIC_URL` (where LINE posts its
    /// webhook: `webhook_url`).
    pub fn config(&self, redis: &TestRedis, extra: &[(&str, &str)]) -> server::Config {
        let port = free_port().to_string();
        let public_url = format!("http://127.0.0.1:{port}");
        let mut vars = vec![
            ("LINE_CHANNEL_SECRET", crate::line_standin::CHANNEL_SECRET),
            (
                "LINE_CHANNEL_ACCESS_TOKEN",
                crate::line_standin::ACCESS_TOKEN,
            ),
            ("LINE_ACCOUNT_ID", crate::line_standin::ACCOUNT_ID),
            ("LINE_API_BASE_URL", self.base_url.as_str()),
            ("PHONE_HASH_SECRET", PHONE_HASH_SECRET),
            ("PORT", port.as_str()),
            ("PUBLIC_URL", public_url.as_str()),
        ];
        vars.extend_from_slice(extra);
        config_with(&redis.url(), &vars)
    }
}

impl crate::twilio_standin::TwilioStandIn {
    /// The test configuration of an app that sends through this stand-in, with `extra` on top:
    /// it serves on a port chosen now, which is also its `PUBLIC_URL` (where Twilio calls back).
    pub fn config(&self, redis: &TestRedis, extra: &[(&str, &str)]) -> server::Config {
        let port = free_port().to_string();
        let public_url = format!("http://127.0.0.1:{port}");
        let mut vars = vec![
            ("TWILIO_ACCOUNT_SID", crate::twilio_standin::ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", crate::twilio_standin::AUTH_TOKEN),
            ("TWILIO_FROM_NUMBER", "+15005550006"),
            // SMS come from an alphanumeric sender, as in Japan (never the voice number)
            ("TWILIO_SMS_SENDER", "WaitingRoom"),
            ("TWILIO_API_BASE_URL", self.base_url.as_str()),
            ("PHONE_HASH_SECRET", PHONE_HASH_SECRET),
            ("PORT", port.as_str()),
            ("PUBLIC_URL", public_url.as_str()),
        ];
        vars.extend_from_slice(extra);
        config_with(&redis.url(), &vars)
    }
}

/// TCP forwarders, one in front of each node of a [`TestRedis`], through which an app reaches
/// it, and which can lose one answer: once armed, the first connection that carries a script
/// (`EVALSHA`) is cut when the answer comes, before it is passed on — the network failing after
/// Redis did the work.
pub struct CuttingProxies {
    /// `REDIS_URL` through the forwarders.
    pub url: String,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    listeners: Vec<tokio::task::JoinHandle<()>>,
}

impl CuttingProxies {
    /// The next answer to a script is lost, and its connection with it.
    pub fn cut_next_script_answer(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many answers were cut off.
    pub fn cuts(&self) -> usize {
        self.cuts.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for CuttingProxies {
    fn drop(&mut self) {
        for listener in &self.listeners {
            listener.abort();
        }
    }
}

impl TestRedis {
    /// Puts a [`CuttingProxies`] forwarder in front of every node; a cluster's nodes announce
    /// the forwarders' ports, so its clients reach every node through them.
    pub async fn behind_proxies(&self) -> CuttingProxies {
        let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cuts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut listeners = Vec::new();
        let mut fronts = Vec::new();
        for &(port, _) in &self.nodes {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            fronts.push(listener.local_addr().unwrap().port());
            let (armed, cuts) = (armed.clone(), cuts.clone());
            listeners.push(tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(forward(client, port, armed.clone(), cuts.clone()));
                }
            }));
        }
        let url = if cluster_mode() {
            for (&(port, _), front) in self.nodes.iter().zip(&fronts) {
                redis::cmd("CONFIG")
                    .arg("SET")
                    .arg("cluster-announce-port")
                    .arg(front)
                    .exec(&mut node(port))
                    .expect("CONFIG SET cluster-announce-port");
            }
            // until every node names the forwarders as where the slots are
            let deadline = Instant::now() + Duration::from_secs(30);
            while !self.nodes.iter().all(|&(port, _)| {
                // `<id> <ip>:<port>@<bus> <flags> …`, a line per node
                let nodes: String = redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query(&mut node(port))
                    .unwrap_or_default();
                let ports: Vec<Option<u16>> = nodes
                    .lines()
                    .map(|line| {
                        let address = line.split(' ').nth(1)?;
                        let (_, port) = address.split('@').next()?.rsplit_once(':')?;
                        port.parse().ok()
                    })
                    .collect();
                ports.len() == fronts.len()
                    && ports.iter().all(|p| p.is_some_and(|p| fronts.contains(&p)))
            }) {
                assert!(
                    Instant::now() < deadline,
                    "the nodes announce the forwarders"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let fronts: Vec<String> = fronts.iter().map(|p| format!("127.0.0.1:{p}")).collect();
            format!("redis+cluster://{}", fronts.join(","))
        } else {
            format!("redis://127.0.0.1:{}/", fronts[0])
        };
        CuttingProxies {
            url,
            armed,
            cuts,
            listeners,
        }
    }
}

/// Passes bytes both ways between `client` and the node on `port`; cuts both connections at the
/// answer to a script sent while armed.
async fn forward(
    client: tokio::net::TcpStream,
    port: u16,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering::SeqCst;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let (mut up, mut down) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut sent_script = false;
    loop {
        tokio::select! {
            read = from_client.read(&mut up) => {
                let Ok(n @ 1..) = read else { return };
                if armed.load(SeqCst) && up[..n].windows(7).any(|w| w == b"EVALSHA") {
                    sent_script = true;
                }
                if to_server.write_all(&up[..n]).await.is_err() {
                    return;
                }
            }
            read = from_server.read(&mut down) => {
                let Ok(n @ 1..) = read else { return };
                if sent_script && armed.swap(false, SeqCst) {
                    cuts.fetch_add(1, SeqCst);
                    return; // both connections close; the answer is never passed on
                }
                if to_client.write_all(&down[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The server binary cargo built beside the test binary running now (`target/debug/server`, the
/// test being `target/debug/deps/<test>-<hash>`), or `SERVER_BIN`.
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SERVER_BIN") {
        return path.into();
    }
    let test = std::env::current_exe().expect("the test binary's path");
    let debug = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lies in target/<profile>/deps");
    debug.join("server")
}
