//! The JSON API v1 and the live channel the screens use.
//!
//! Errors are `{"error": "<code>", "message": "..."}` with the matching status.

use crate::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use waitingroom::live::HubMessage;
use waitingroom::services::{ServiceError, WaitingRoom};
use waitingroom::{LiveMessage, QueueId, QueueSnapshot};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/queues/{queue}", get(snapshot))
        .route("/api/v1/queues/{queue}/live", get(live))
}

/// An API error: the HTTP status is decided here, once.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::UnknownQueue(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                code: "unknown_queue",
                message: e.to_string(),
            },
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "api: store error");
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "unavailable",
                    message: "the queue store is unavailable; try again shortly".into(),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code, "message": self.message});
        (self.status, Json(body)).into_response()
    }
}

/// `GET /api/v1/queues/{queue}`: the snapshot with the waiting numbers in order.
async fn snapshot(
    State(state): State<AppState>,
    Path(queue): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let queue = state.room.queue(&queue)?;
    let snapshot = state.room.snapshot(&queue).await?;
    let waiting = state.room.waiting_numbers(&queue).await?;
    Ok(Json(serde_json::json!({
        "queue": snapshot.queue,
        "version": snapshot.version,
        "waiting_count": snapshot.waiting,
        "last_number": snapshot.last_number,
        "waiting": waiting,
    })))
}

/// `GET /api/v1/queues/{queue}/live` (WebSocket): the snapshot, then every event.
async fn live(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let queue = state.room.queue(&queue)?;
    let room = state.room.clone();
    Ok(upgrade.on_upgrade(move |socket| follow(socket, room, queue)))
}

/// How often an idle live channel is pinged, so dead peers are noticed.
const PING_EVERY: Duration = Duration::from_secs(25);

async fn follow(mut socket: WebSocket, room: WaitingRoom, queue: QueueId) {
    // Subscribe before reading the snapshot: nothing can fall between the two.
    let mut events = room.subscribe();
    if send_snapshot(&mut socket, &room, &queue).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let sent = tokio::select! {
            received = events.recv() => match received {
                Ok(HubMessage::Event(event)) if event.queue() == &queue => {
                    send(&mut socket, &LiveMessage::Event(event)).await
                }
                Ok(HubMessage::Event(_)) => Ok(()),
                // Events were missed (Redis reconnect, or this channel fell behind).
                Ok(HubMessage::Resync) | Err(RecvError::Lagged(_)) => {
                    send_snapshot(&mut socket, &room, &queue).await
                }
                Err(RecvError::Closed) => Err(()),
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(()),
                Some(Ok(_)) => Ok(()),
            },
            _ = ping.tick() => socket.send(Message::Ping(Default::default())).await.map_err(|_| ()),
        };
        if sent.is_err() {
            break;
        }
    }
}

async fn send_snapshot(socket: &mut WebSocket, room: &WaitingRoom, queue: &QueueId) -> Result<(), ()> {
    let snapshot: QueueSnapshot = match room.snapshot(queue).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "live channel: snapshot unavailable; closing");
            let frame = axum::extract::ws::CloseFrame {
                code: axum::extract::ws::close_code::AGAIN,
                reason: "queue store unavailable; reconnect later".into(),
            };
            let _ = socket.send(Message::Close(Some(frame))).await;
            return Err(());
        }
    };
    send(socket, &LiveMessage::Snapshot(snapshot)).await
}

async fn send(socket: &mut WebSocket, message: &LiveMessage) -> Result<(), ()> {
    let text = serde_json::to_string(message).map_err(|_| ())?;
    socket.send(Message::Text(text.into())).await.map_err(|_| ())
}
