//! The Waiting Room server: configuration, state and the axum router. `main.rs` only wires.

pub mod api;
pub mod config;
pub mod health;

use app::{shell, App};
use axum::extract::FromRef;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use waitingroom::live::EventHub;
use waitingroom::services::WaitingRoom;
use waitingroom::store::{BadRedisUrl, Store};

pub use config::{Config, ConfigError};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub room: WaitingRoom,
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
        let store = Store::open(&config.redis_url)?;
        let hub = EventHub::start(store.client().clone());
        let leptos = LeptosOptions::builder()
            .output_name(env!("LEPTOS_OUTPUT_NAME"))
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        Ok(Self {
            leptos,
            room: WaitingRoom::new(store, hub, config.queues.clone()),
        })
    }
}

/// The whole application: pages and server functions, the JSON API, health.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let room = state.room.clone();
    let leptos = state.leptos.clone();
    Router::new()
        .merge(api::routes())
        .route("/healthz", axum::routing::get(health::healthz))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(room.clone()),
            move || shell(leptos.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    listener: TcpListener,
    app: Router,
}

impl Server {
    /// Binds the address (port 0 picks a free one) and builds the application.
    pub async fn bind(config: &Config) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|e| StartError::Bind(config.addr, e))?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind(config.addr, e))?;
        let state = AppState::new(config, addr)?;
        Ok(Self {
            addr,
            listener,
            app: router(state),
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {0} ({1}); set PORT or BIND_ADDR to a free address")]
    Bind(SocketAddr, #[source] std::io::Error),
    #[error(transparent)]
    Redis(#[from] BadRedisUrl),
}
