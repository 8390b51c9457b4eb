//! The JSON API v1 (the live channel the screens use is in `live.rs`).
//!
//! Errors are `{"error": "<code>", "message": "..."}` with the matching status; the status of
//! every error is decided here, once.

use crate::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use waitingroom::services::{qr_svg, ticket_url, RemoteClient, RequestOrigin, ServiceError, Via};
use waitingroom::{Channel, Lang, TicketToken};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/queues/{queue}", get(snapshot))
        .route("/api/v1/queues/{queue}/tickets", post(issue))
        .route("/api/v1/queues/{queue}/call-next", post(call_next))
        .route("/api/v1/queues/{queue}/live", get(crate::live::live))
        .route("/api/v1/queues/{queue}/events", get(crate::live::events))
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds until a limit's window ends (`Retry-After`).
    retry_after_s: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_s: None,
        }
    }

    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid staff token is required (Authorization: Bearer ...)",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        let message = e.to_string();
        match e {
            E::UnknownQueue(_) => Self::new(StatusCode::NOT_FOUND, "unknown_queue", message),
            E::UnknownCounter(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_counter", message)
            }
            E::TicketNotFound => Self::new(StatusCode::NOT_FOUND, "ticket_not_found", message),
            E::TicketOfEarlierDay => Self::new(StatusCode::GONE, "ticket_of_earlier_day", message),
            E::NobodyWaiting => Self::new(StatusCode::CONFLICT, "nobody_waiting", message),
            E::TicketChanged(_) => Self::new(StatusCode::CONFLICT, "ticket_changed", message),
            E::IntakePaused(_) => Self::new(StatusCode::CONFLICT, "intake_paused", message),
            E::DayFull(_) => Self::new(StatusCode::CONFLICT, "day_full", message),
            E::RemoteFull(_) => Self::new(StatusCode::CONFLICT, "remote_full", message),
            E::Limit(hit) => Self {
                retry_after_s: hit.retry_after_s(),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "limit_reached", message)
            },
            E::NotAKiosk => Self::new(StatusCode::FORBIDDEN, "not_a_kiosk", message),
            E::KioskNotFound => Self::new(StatusCode::NOT_FOUND, "kiosk_not_found", message),
            E::BadKioskName => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_kiosk_name", message)
            }
            E::TooManyKiosks(_) => Self::new(StatusCode::CONFLICT, "too_many_kiosks", message),
            E::Sms(waitingroom::services::phones::SmsRefused::BadPhone(_)) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_phone", message)
            }
            E::Sms(waitingroom::services::phones::SmsRefused::Stopped) => {
                Self::new(StatusCode::CONFLICT, "phone_stopped", message)
            }
            E::Sms(_) => Self::new(StatusCode::TOO_MANY_REQUESTS, "sms_limit", message),
            E::LinkExpired => Self::new(StatusCode::GONE, "link_expired", message),
            E::NoVerifiedPhone => Self::new(StatusCode::CONFLICT, "no_phone", message),
            E::CounterMissing => Self::new(StatusCode::BAD_REQUEST, "bad_request", message),
            E::BadAutodial(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_autodial", message)
            }
            E::ResetNotConfirmed => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "reset_not_confirmed",
                message,
            ),
            E::Store(e) => {
                tracing::error!(error = %e, "api: store error");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the queue store is unavailable; try again shortly",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.code, "message": self.message})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// Where the request says it was sent, for the links it gets back.
fn request_origin(peer: SocketAddr, headers: &HeaderMap) -> RequestOrigin<'_> {
    let named = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    RequestOrigin {
        host: named("host"),
        peer: peer.ip(),
        forwarded_proto: named("x-forwarded-proto"),
    }
}

/// `None` without an Authorization header; `Some(valid)` with one.
fn staff_token(state: &AppState, headers: &HeaderMap) -> Option<bool> {
    let given = headers.get(header::AUTHORIZATION)?;
    let given = given
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    Some(match &state.staff_api_token {
        Some(expected) => {
            waitingroom::secret::constant_time_eq(given.as_bytes(), expected.as_bytes())
        }
        None => false,
    })
}

/// `GET /api/v1/queues/{queue}`: version, the waiting numbers in order, now serving per counter.
async fn snapshot(
    State(state): State<AppState>,
    Path(queue): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let info = state.room.queue(&queue)?;
    let s = state.room.snapshot(&info.id).await?;
    let serving: Vec<_> = s
        .serving
        .iter()
        .map(|x| json!({"counter": x.counter, "number": x.number, "label": info.label(x.number)}))
        .collect();
    Ok(Json(json!({
        "queue": s.queue,
        "version": s.version,
        "waiting": s.waiting,
        "waiting_count": s.waiting.len(),
        "now_serving": serving,
        "last_number": s.last_number,
        "intake": s.intake,
    })))
}

/// `POST /api/v1/queues/{queue}/tickets`: 201 with the new ticket. Anonymous calls are limited
/// per address (over all queues, together with remote check-in); staff-token calls are not.
async fn issue(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let info = state.room.queue(&queue)?;
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default();
    let ticket = match staff_token(&state, &headers) {
        Some(false) => return Err(ApiError::unauthorized()),
        Some(true) => state.room.issue_ticket(info, Channel::Api, lang).await?,
        None => {
            let forwarded = headers.get("x-forwarded-for").and_then(|h| h.to_str().ok());
            let client = RemoteClient {
                via: Via::Address(state.room.client_ip(peer.ip(), forwarded)),
                id: None,
            };
            state
                .room
                .issue_limited(info, Channel::Api, lang, &client)
                .await?
        }
    };
    let url = ticket_url(
        &state.room.base_url(&request_origin(peer, &headers)),
        &ticket.token,
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "number": ticket.number,
            "label": ticket.label,
            "token": ticket.token,
            "url": url,
            "people_ahead": ticket.people_ahead,
            "version": ticket.version,
        })),
    ))
}

/// `GET /t/{token}/qr.svg`: the QR code of a ticket's page (for the kiosk's screen and print).
pub async fn ticket_qr(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = TicketToken::parse(&token).map_err(|_| ServiceError::TicketNotFound)?;
    state
        .room
        .ticket_by_token(&token)
        .await?
        .ok_or(ServiceError::TicketNotFound)?;
    let url = ticket_url(
        &state.room.base_url(&request_origin(peer, &headers)),
        &token,
    );
    let svg = tokio::task::spawn_blocking(move || qr_svg(&url))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the QR code could not be made",
            )
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        svg,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct CallNextBody {
    counter: Option<String>,
}

/// `POST /api/v1/queues/{queue}/call-next` (staff token): 200 with the called number, 409 when
/// nobody waits.
async fn call_next(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    if staff_token(&state, &headers) != Some(true) {
        return Err(ApiError::unauthorized());
    }
    let info = state.room.queue(&queue)?;
    let body: CallNextBody = if body.iter().all(u8::is_ascii_whitespace) {
        CallNextBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the body must be JSON like {{\"counter\": \"1\"}}: {e}"),
            )
        })?
    };
    let counter = match body.counter {
        Some(raw) => state.room.counter(&raw)?,
        None => state.room.counters()[0].clone(),
    };
    let (number, version) = state.room.call_next(&info.id, &counter).await?;
    Ok(Json(
        json!({"number": number, "label": info.label(number), "counter": counter, "version": version}),
    ))
}

/// `GET /metrics` (staff token): what the server counts, for Prometheus (OpenMetrics text).
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if staff_token(&state, &headers) != Some(true) {
        return ApiError::unauthorized().into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.room.metrics().render(),
    )
        .into_response()
}
