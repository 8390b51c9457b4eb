//! The Waiting Room server: configuration, state and the axum router. `main.rs` only wires.

pub mod api;
pub mod audit;
pub mod backup;
pub mod config;
pub mod health;
mod idempotency;
pub mod line;
pub mod live;
pub mod serve;
pub mod settings;
pub mod twilio;
pub mod web;

use app::{shell, App};
use axum::extract::FromRef;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_sessions::{Expiry, SessionManagerLayer};
use waitingroom::live::EventHub;
use waitingroom::services::WaitingRoom;
use waitingroom::store::sessions::RedisSessionStore;
use waitingroom::store::{BadRedisUrl, Store};

pub use config::{BackupConfig, Config, ConfigError};

/// This build's version, printed at start, by `--version`, on `/healthz` and in a backup
/// (`app_version`): Cargo's, and the commit `scripts/release.sh` built it from
/// (`WAITINGROOM_BUILD_VERSION` at compile time).
pub const VERSION: &str = match option_env!("WAITINGROOM_BUILD_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    /// The waiting room, with its setup (the staff and Twilio sections among it).
    pub room: WaitingRoom,
    pub sessions: RedisSessionStore,
    /// The live connections open now, within their limits.
    pub live: std::sync::Arc<live::LiveGate>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    /// Prepares the state; Redis is connected lazily, so this works while Redis is down.
    /// Must run inside the tokio runtime (it starts the live event subscriber).
    pub fn new(config: &Config, addr: SocketAddr) -> Result<Self, BadRedisUrl> {
        let store = Store::new(config.store.clone(), config.room.calendar.clone())?;
        let hub = EventHub::start(store.clone());
        let sessions = RedisSessionStore::new(store.connection());
        let leptos = LeptosOptions::builder()
            .output_name(env!("LEPTOS_OUTPUT_NAME"))
            .site_root(config.server.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        Ok(Self {
            leptos,
            // what SMS and calls say: the app's locale files
            room: WaitingRoom::new(
                store,
                hub,
                config.room.clone(),
                std::sync::Arc::new(app::ssr::LocaleTexts),
            ),
            sessions,
            live: live::LiveGate::new(config.live),
        })
    }
}

/// The app's routes, listed once per process. Listing them runs the app with resource loading
/// suppressed by a process-wide flag (leptos_server's `SuppressResourceLoad`): a page that starts
/// rendering meanwhile, in the same process, waits forever (leptos issue #4773). A server lists
/// them once before it serves; the tests run many apps in one process, and hung at random while
/// another test's app started.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application: pages and server functions, the JSON API, health.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let room = state.room.clone();
    let room_for_metrics = state.room.clone();
    let leptos = state.leptos.clone();
    let secure = state
        .room
        .setup()
        .public_url()
        .is_some_and(|u| u.starts_with("https://"));
    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name("wr_session")
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(i64::from(
            state.room.setup().staff.session_hours,
        ))));
    let router = Router::new()
        .merge(api::routes())
        .merge(twilio::routes())
        .merge(line::routes())
        .route("/healthz", axum::routing::get(health::healthz))
        .route("/metrics", axum::routing::get(api::metrics))
        .route("/t/{token}/qr.svg", axum::routing::get(api::ticket_qr))
        .route("/lang/{code}", axum::routing::get(web::choose_language))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(room.clone()),
            move || shell(leptos.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::map_response(web::server_fn_status))
        .layer(sessions)
        // what the one door's extractors (`waitingroom::door`) read
        .layer(axum::Extension(state.room.clone()))
        // before any session is touched: a forged request changes nothing, not even a session
        .layer(axum::middleware::from_fn_with_state(
            web::SiteOrigin::new(state.room.setup().public_url()),
            web::same_site_only,
        ))
        .layer(axum::middleware::map_response_with_state(
            web::Https(secure),
            web::security_headers,
        ))
        .with_state(state);
    web::traced(router, room_for_metrics)
}

/// Work that runs beside the requests: the staff password at first start, the daily restart of
/// the numbering, the outbox's SMS and calls.
fn start_background(room: WaitingRoom) {
    let outbox_room = room.clone();
    // one consumer name per process: what it took and did not finish, others take over
    let consumer = format!(
        "{}-{}",
        std::process::id(),
        &waitingroom::services::random_token().to_string()[..8]
    );
    tokio::spawn(async move { outbox_room.outbox().work_outbox(consumer).await });
    let password_room = room.clone();
    tokio::spawn(async move {
        // Redis may still be starting: try until the password is settled.
        loop {
            match password_room.staff().init_staff_password().await {
                Ok(Some(generated)) => {
                    show_generated_password(&generated);
                    break;
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "staff password not settled yet; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    });
    tokio::spawn(async move {
        // at each boundary (a moment after it) and every minute: every screen learns of the new
        // day without waiting for the first change of it
        loop {
            let until_close = room.setup().calendar.until_close() + Duration::from_millis(50);
            tokio::time::sleep(until_close.min(Duration::from_secs(60))).await;
            if let Err(e) = room.desk().daily_reset().await {
                tracing::warn!(error = %e, "daily reset check failed; will retry");
            }
            if let Err(e) = room.history().close_all_days().await {
                tracing::warn!(error = %e, "keeping the closed days' figures failed; will retry");
            }
            match room.desk().auto_no_shows().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(tickets = n, "called tickets became no-shows by themselves")
                }
                Err(e) => tracing::warn!(error = %e, "automatic no-show check failed; will retry"),
            }
        }
    });
}

/// Where a generated staff password is written when no terminal can show it.
const PASSWORD_FILE: &str = "data/staff-password.txt";

/// Shows a generated staff password once: on an interactive terminal, else (a log that may
/// persist) written to a file only the owner can read, whose path is printed instead.
fn show_generated_password(password: &str) {
    use std::io::{IsTerminal, Write};
    if std::io::stdout().is_terminal() {
        println!("Staff password (shown once; set ADMIN_PASSWORD to choose your own): {password}");
        return;
    }
    let path = std::path::Path::new(PASSWORD_FILE);
    let written = (|| -> std::io::Result<std::path::PathBuf> {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let _ = std::fs::remove_file(path);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        writeln!(file, "{password}")?;
        std::fs::canonicalize(path)
    })();
    match written {
        Ok(at) => println!(
            "Staff password generated and written to {} (readable by you only); set ADMIN_PASSWORD to choose your own",
            at.display()
        ),
        Err(e) => tracing::error!(error = %e, path = PASSWORD_FILE, "the generated staff password could not be written; set ADMIN_PASSWORD"),
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    listener: TcpListener,
    app: Router,
    http: serve::HttpLimits,
}

impl Server {
    /// Binds the address (port 0 picks a free one) and builds the application.
    pub async fn bind(config: &Config) -> Result<Self, StartError> {
        let at = config.server.addr;
        let listener = TcpListener::bind(at)
            .await
            .map_err(|e| StartError::Bind(at, e))?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind(at, e))?;
        let state = AppState::new(config, addr)?;
        start_background(state.room.clone());
        Ok(Self {
            addr,
            listener,
            app: router(state),
            http: config.server.http,
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        serve::serve(self.listener, self.app, self.http, shutdown).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {0} ({1}); set PORT or BIND_ADDR to a free address")]
    Bind(SocketAddr, #[source] std::io::Error),
    #[error(transparent)]
    Redis(#[from] BadRedisUrl),
}
