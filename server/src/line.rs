//! LINE's webhook, `POST /line/webhook` (the URL pasted in the LINE Developers console):
//! `X-Line-Signature` is checked over the raw body before anything reads it (403, changing
//! nothing, when it is missing or not LINE's); LINE's verify request (no events) answers 200; each
//! new event is recorded in Redis before the answer (a redelivery, by its `webhookEventId`, is
//! dropped) and carried out after it, so the answer comes at once and nothing answered is lost.
//! Redis down before the events are recorded: 500, so LINE delivers them again (with redelivery
//! on). LINE off: 404.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use waitingroom::services::LineWebhookError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/line/webhook", post(webhook))
}

async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("x-line-signature")
        .and_then(|v| v.to_str().ok());
    match state.room.line().line_webhook(&body, signature).await {
        Ok(events) => {
            if !events.is_empty() {
                let room = state.room.clone();
                tokio::spawn(async move { room.line().carry_out_line_events(events).await });
            }
            StatusCode::OK.into_response()
        }
        Err(LineWebhookError::Off) => {
            (StatusCode::NOT_FOUND, "LINE is not configured").into_response()
        }
        Err(LineWebhookError::Forged) => {
            tracing::warn!("a LINE webhook with an invalid signature: refused");
            (StatusCode::FORBIDDEN, "invalid LINE signature").into_response()
        }
        Err(e @ LineWebhookError::Malformed(_)) => {
            (StatusCode::BAD_REQUEST, e.to_string()).into_response()
        }
        Err(LineWebhookError::Store(e)) => {
            tracing::error!(error = %e, "LINE's events were not recorded; LINE may deliver them again");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response()
        }
    }
}
