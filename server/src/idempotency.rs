//! `Idempotency-Key` on the API's calls that change something (issue, call-next), as Stripe's
//! and Twilio's APIs take it: an integration that retries a call after a timeout sends the same
//! key, and gets the first call's answer (`Idempotent-Replayed: true`) instead of acting twice.
//! The key is the caller's own (the hash of its bearer token, or of its address when it has
//! none), kept a day. A key still being carried out answers 409; the same key with another route
//! or body answers 422; an answer of 5xx or 429 (nothing was done) is not kept, so a retry acts.

use crate::api::ApiError;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use waitingroom::door::ClientAddr;
use waitingroom::secret::sha256_hex;
use waitingroom::services::{address_key, WaitingRoom};
use waitingroom::Problem;

/// The longest request or answer body kept (the API's are a few hundred bytes).
const MAX_BODY: usize = 64 * 1024;

/// What is kept of an answer.
#[derive(Serialize, Deserialize)]
struct Kept {
    /// The SHA-256 of the call's method, path and body: the same key with another call is refused.
    call: String,
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: String,
}

/// The middleware: the call as it is without the header, once per key with it.
pub async fn idempotent(request: Request, next: Next) -> Response {
    let Some(raw) = request.headers().get("idempotency-key") else {
        return next.run(request).await;
    };
    let Some(key) = raw
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
    else {
        return ApiError::from(Problem::BadRequest {
            detail: "an Idempotency-Key is 1 to 255 visible ASCII characters".to_owned(),
        })
        .into_response();
    };
    let Some(room) = request.extensions().get::<WaitingRoom>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (mut parts, body) = request.into_parts();
    let caller = match parts.headers.get(header::AUTHORIZATION) {
        Some(token) => format!(
            "token:{}",
            sha256_hex(&String::from_utf8_lossy(token.as_bytes()))
        ),
        None => match ClientAddr::from_request_parts(&mut parts, &()).await {
            Ok(ClientAddr(client)) => format!("address:{}", address_key(client)),
            Err(refused) => return refused.into_response(),
        },
    };
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return ApiError::from(Problem::BadRequest {
            detail: "the body is too large".to_owned(),
        })
        .into_response();
    };
    let call = sha256_hex(&format!(
        "{} {}?{}\n{}",
        parts.method,
        parts.uri.path(),
        parts.uri.query().unwrap_or_default(),
        String::from_utf8_lossy(&body)
    ));
    let slot = sha256_hex(&format!("{caller}\n{key}"));
    match room.requests().claim_request(&slot).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(None) => {
            let answer = next.run(Request::from_parts(parts, Body::from(body))).await;
            keep(&room, &slot, call, answer).await
        }
        Ok(Some(kept)) if kept.is_empty() => {
            ApiError::from(Problem::IdempotencyInProgress).into_response()
        }
        Ok(Some(kept)) => match serde_json::from_str::<Kept>(&kept) {
            Ok(kept) if kept.call == call => replay(kept),
            _ => ApiError::from(Problem::IdempotencyKeyReused).into_response(),
        },
    }
}

/// Keeps `answer` for `slot` and answers it; a 5xx or a 429 (nothing was done: the store failed,
/// or a limit said "later") frees the key instead, so the retry it asks for acts.
async fn keep(room: &WaitingRoom, slot: &str, call: String, answer: Response) -> Response {
    let (parts, body) = answer.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        let _ = room.requests().keep_request(slot, None).await;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let header_of = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_later =
        parts.status.is_server_error() || parts.status == StatusCode::TOO_MANY_REQUESTS;
    let kept = (!retry_later)
        .then(|| {
            serde_json::to_string(&Kept {
                call,
                status: parts.status.as_u16(),
                content_type: header_of(header::CONTENT_TYPE),
                retry_after: header_of(header::RETRY_AFTER),
                body: String::from_utf8_lossy(&body).into_owned(),
            })
            .ok()
        })
        .flatten();
    if let Err(e) = room.requests().keep_request(slot, kept.as_deref()).await {
        // the call was carried out: its answer goes out; a retry may act again
        tracing::warn!(error = %e, "the answer to an API call with an Idempotency-Key is not kept");
    }
    Response::from_parts(parts, Body::from(body))
}

/// The kept answer, again.
fn replay(kept: Kept) -> Response {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let mut response = (status, kept.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, kept.content_type),
        (header::RETRY_AFTER, kept.retry_after),
    ] {
        match value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            Some(value) => {
                headers.insert(name, value);
            }
            None => {
                headers.remove(name);
            }
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
