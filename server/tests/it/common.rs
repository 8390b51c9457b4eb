//! Test harness: a real, throwaway Redis server per test and the real app on port 0.

use server::{Config, Server};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A `redis-server` of this test's own, on a free port, without persistence.
pub struct TestRedis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl TestRedis {
    pub fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("wr-test-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut redis = Self {
            port,
            dir,
            child: None,
        };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// (Re)starts the server on the same port.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A direct connection, to look at what the app stored.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real app, serving on a free port of 127.0.0.1.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
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

    /// Issues a ticket of `queue` through the JSON API with the staff token (no limits).
    pub async fn issue_as_staff(&self, queue: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/v1/queues/{queue}/tickets")))
            .bearer_auth(STAFF_API_TOKEN)
            .send()
            .await
            .expect("request")
    }

    /// Issues a ticket the way the kiosk does (its server function).
    pub async fn issue(&self, queue: &str) -> reqwest::Response {
        self.post(&self.http, "/api/kiosk/issue_ticket")
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
    }
}

pub const ADMIN_PASSWORD: &str = "test-password-123";
pub const STAFF_API_TOKEN: &str = "test-staff-token-0123456789abcdef0123";

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
    let app = TestApp {
        addr,
        http: reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap(),
        stop: Some(stop),
    };
    // the staff password is set by a background task at start
    let password = config.admin_password.clone().unwrap_or_default();
    let settled = eventually(Duration::from_secs(10), || async {
        if config_has_no_redis(&app).await {
            return true;
        }
        let status = app.sign_in(&client(), &password).await;
        status.is_success() || status.is_redirection()
    })
    .await;
    assert!(settled, "the app started");
    app
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

/// The resident memory of this test process (the app runs inside it), in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
