//! `GET /healthz`: 200 when Redis answers, 503 with a short JSON reason when it does not (a fixed
//! text: internal error messages go to the log, never to whoever asks); both name this build's
//! version.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(Duration::from_secs(2), state.room.health()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "version": crate::VERSION})),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health: Redis unavailable");
            unavailable("the queue store is unreachable")
        }
        Err(_) => unavailable("the queue store did not answer within 2 s"),
    }
}

fn unavailable(reason: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": reason, "version": crate::VERSION})),
    )
}
