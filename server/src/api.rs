//! The JSON API v1 (the live channel the screens use is in `live.rs`).
//!
//! Errors are `{"error": "<code>", "message": "..."}` with the code's status (the table of
//! [`ErrorCode`]) and, for a limit, `Retry-After`.

use crate::idempotency::idempotent;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use waitingroom::door::{BaseUrl, ClientAddr, Staff, StaffToken};
use waitingroom::services::{qr_svg, ticket_url, RemoteClient, ServiceError, Via};
use waitingroom::{AuditAction, AuditEvent, Capability};
use waitingroom::{Channel, Lang, Problem, TicketToken};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/queues/{queue}", get(snapshot))
        // every call that changes something takes an Idempotency-Key
        .route(
            "/api/v1/queues/{queue}/tickets",
            post(issue).layer(from_fn(idempotent)),
        )
        .route(
            "/api/v1/queues/{queue}/call-next",
            post(call_next).layer(from_fn(idempotent)),
        )
        .route("/api/v1/queues/{queue}/history", get(history))
        .route("/api/v1/queues/{queue}/history.csv", get(history_csv))
        .route("/api/v1/queues/{queue}/tickets.csv", get(tickets_csv))
        .route("/api/v1/audit.csv", get(audit_csv))
        .route("/api/v1/queues/{queue}/live", get(crate::live::live))
        .route("/api/v1/queues/{queue}/events", get(crate::live::events))
}

/// A [`Problem`] as the API answers it, with its message.
#[derive(Debug)]
pub struct ApiError {
    problem: Problem,
    message: String,
}

impl ApiError {
    /// `problem`, with a message of its own.
    pub(crate) fn new(problem: Problem, message: impl Into<String>) -> Self {
        Self {
            problem,
            message: message.into(),
        }
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        let message = problem.to_string();
        Self { problem, message }
    }
}

/// A use case's refusal, as the API answers it; a fault of the server is logged here, once, and
/// answered without its details.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if e.is_fault() {
            tracing::error!(error = %e, "api: the store could not answer");
            Self::new(
                Problem::Unavailable,
                "the queue store is unavailable; try again shortly",
            )
        } else {
            Self::from(e.problem())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        waitingroom::door::answer(&self.problem, &self.message)
    }
}

/// `GET /api/v1/queues/{queue}`: version, the waiting numbers in order, now serving per counter.
async fn snapshot(
    State(state): State<AppState>,
    Path(queue): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let info = state.room.setup().queue(&queue)?;
    let s = state.room.desk().snapshot(&info.id).await?;
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
    ClientAddr(client): ClientAddr,
    BaseUrl(base): BaseUrl,
    token: StaffToken,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let info = state.room.setup().queue(&queue)?;
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default();
    let ticket = match token {
        StaffToken::Invalid => return Err(ApiError::from(Problem::Unauthorized)),
        StaffToken::Valid(actor) => {
            actor.may(Capability::Line)?;
            state
                .room
                .issuing()
                .issue_ticket(info, Channel::Api, lang)
                .await?
        }
        StaffToken::Absent => {
            let client = RemoteClient {
                via: Via::Address(client),
                id: None,
            };
            state
                .room
                .issuing()
                .issue_limited(info, Channel::Api, lang, &client)
                .await?
        }
    };
    let url = ticket_url(&base, &ticket.token);
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
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let token = TicketToken::parse(&token).map_err(|_| ApiError::from(Problem::TicketNotFound))?;
    state
        .room
        .desk()
        .ticket_by_token(&token)
        .await?
        .ok_or(Problem::TicketNotFound)?;
    let url = ticket_url(&base, &token);
    let svg = tokio::task::spawn_blocking(move || qr_svg(&url))
        .await
        .map_err(|_| ApiError::new(Problem::Internal, "the QR code could not be made"))?;
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
    token: StaffToken,
    ClientAddr(client): ClientAddr,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let StaffToken::Valid(actor) = token else {
        return Err(ApiError::from(Problem::Unauthorized));
    };
    actor.may(Capability::Line)?;
    let info = state.room.setup().queue(&queue)?;
    let body: CallNextBody = if body.iter().all(u8::is_ascii_whitespace) {
        CallNextBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::from(Problem::BadRequest {
                detail: format!("the body must be JSON like {{\"counter\": \"1\"}}: {e}"),
            })
        })?
    };
    let counter = match body.counter {
        Some(raw) => state.room.setup().counter(&raw)?,
        None => state.room.setup().counters[0].clone(),
    };
    let (number, version) = state.room.desk().call_next(&info.id, &counter).await?;
    let event = AuditEvent::new(AuditAction::CallNext)
        .queue(&info.id)
        .target(number)
        .detail(format!("counter {counter}"));
    state
        .room
        .audit()
        .record_by(&actor, Some(client), event)
        .await;
    Ok(Json(
        json!({"number": number, "label": info.label(number), "counter": counter, "version": version}),
    ))
}

/// The history of `queue` over `?from=YYYY-MM-DD&to=YYYY-MM-DD`.
async fn read_history(
    state: &AppState,
    queue: &str,
    query: &HashMap<String, String>,
) -> Result<waitingroom::history::History, ApiError> {
    let info = state.room.setup().queue(queue)?;
    let range = state.room.history().history_range(
        query.get("from").map(String::as_str),
        query.get("to").map(String::as_str),
    )?;
    Ok(state.room.history().report(info, range).await?)
}

/// `GET /api/v1/queues/{queue}/history?from=&to=` (staff): each date's figures per hour, JSON.
async fn history(
    staff: Staff,
    ClientAddr(client): ClientAddr,
    State(state): State<AppState>,
    Path(queue): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<waitingroom::history::History>, ApiError> {
    staff.0.may(Capability::History)?;
    let history = read_history(&state, &queue, &query).await?;
    exported(&state, &staff, client, &queue, "history").await;
    Ok(Json(history))
}

/// Writes a download (`what`) of `queue` by `staff` to the audit trail.
async fn exported(
    state: &AppState,
    staff: &Staff,
    client: std::net::IpAddr,
    queue: &str,
    what: &str,
) {
    let event = AuditEvent::new(AuditAction::Export)
        .queue(queue)
        .detail(what);
    state
        .room
        .audit()
        .record_by(&staff.0, Some(client), event)
        .await;
}

/// A CSV download: UTF-8 with a BOM and CRLF lines (what Excel in Japan opens intact).
fn csv_download(name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/v1/queues/{queue}/history.csv?from=&to=` (staff): the same, one row per date and
/// hour, with Japanese headers.
async fn history_csv(
    staff: Staff,
    ClientAddr(client): ClientAddr,
    State(state): State<AppState>,
    Path(queue): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    staff.0.may(Capability::Export)?;
    let history = read_history(&state, &queue, &query).await?;
    exported(&state, &staff, client, &queue, "history.csv").await;
    let name = format!(
        "history-{}-{}-{}.csv",
        history.queue, history.from, history.to
    );
    Ok(csv_download(
        name,
        waitingroom::history::history_csv(&history),
    ))
}

/// `GET /api/v1/queues/{queue}/tickets.csv` (staff): today's tickets (number, channel, times,
/// outcome; no phone numbers, no tokens).
async fn tickets_csv(
    staff: Staff,
    ClientAddr(client): ClientAddr,
    State(state): State<AppState>,
    Path(queue): Path<String>,
) -> Result<Response, ApiError> {
    staff.0.may(Capability::Export)?;
    let info = state.room.setup().queue(&queue)?;
    let rows = state.room.history().today_ticket_rows(info).await?;
    exported(&state, &staff, client, &queue, "tickets.csv").await;
    let today = state.room.setup().calendar.now().day;
    Ok(csv_download(
        format!("tickets-{}-{today}.csv", info.id),
        waitingroom::history::tickets_csv(&rows),
    ))
}

/// `GET /api/v1/audit.csv?date=YYYY-MM-DD&account=&action=` (admins): the audit trail, newest
/// first, of the day, the account and the action when given.
async fn audit_csv(
    staff: Staff,
    ClientAddr(client): ClientAddr,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    staff.0.may(Capability::Audit)?;
    let action = match query.get("action").filter(|a| !a.is_empty()) {
        Some(raw) => Some(AuditAction::parse(raw).ok_or(Problem::BadRequest {
            detail: format!("no such action: {raw}"),
        })?),
        None => None,
    };
    let nonempty = |key: &str| query.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let entries = state
        .room
        .audit()
        .entries(nonempty("date"), nonempty("account"), action)
        .await?;
    let calendar = &state.room.setup().calendar;
    let body = waitingroom::audit::audit_csv(&entries, |ms| calendar.local_time(ms));
    let event = AuditEvent::new(AuditAction::Export).detail("audit.csv");
    state
        .room
        .audit()
        .record_by(&staff.0, Some(client), event)
        .await;
    Ok(csv_download(
        format!("audit-{}.csv", nonempty("date").unwrap_or("all")),
        body,
    ))
}

/// `GET /metrics` (staff token): what the server counts, for Prometheus (OpenMetrics text).
pub async fn metrics(State(state): State<AppState>, token: StaffToken) -> Response {
    let StaffToken::Valid(actor) = token else {
        return ApiError::from(Problem::Unauthorized).into_response();
    };
    if let Err(problem) = actor.may(Capability::History) {
        return ApiError::from(problem).into_response();
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

#[cfg(test)]
mod tests {
    use super::*;
    use app::error::AppError;
    use waitingroom::services::staff::StaffError;
    use waitingroom::store::StoreError;
    use waitingroom::ErrorCode;

    /// Every problem as a use case's error, and the two faults, with the code, status and
    /// `Retry-After` (seconds) both doors must answer.
    fn table() -> Vec<(ServiceError, ErrorCode, u16, Option<u64>)> {
        let mut rows: Vec<_> = Problem::one_of_each()
            .into_iter()
            .map(|p| {
                let (code, retry) = (p.code(), p.retry_after_s());
                (ServiceError::from(p), code, code.status(), retry)
            })
            .collect();
        rows.push((
            ServiceError::from(StaffError::BadHash),
            ErrorCode::Unavailable,
            503,
            None,
        ));
        rows.push((
            ServiceError::from(StoreError::Corrupt("ticket: bad json".into())),
            ErrorCode::Unavailable,
            503,
            None,
        ));
        rows
    }

    #[tokio::test]
    async fn every_error_has_one_code_and_status_on_the_api_and_the_pages() {
        let retries: Vec<_> = table().iter().filter_map(|row| row.3).collect();
        assert_eq!(retries, [60, 5, 61, 900], "the limits' windows");
        for (e, code, status, retry_after) in table() {
            let what = format!("{e:?}");
            assert_eq!((e.code(), e.status()), (code, status), "{what}");
            assert_eq!(e.retry_after().map(|d| d.as_secs()), retry_after, "{what}");

            let page = AppError::from(e);
            let page_body = serde_json::to_value(&page).unwrap();
            assert_eq!(
                (&page_body["error"], page.status()),
                (&json!(code.as_str()), status),
                "the page's {what}"
            );
        }
        for (e, code, status, retry_after) in table() {
            let what = format!("{e:?}");
            let fault = e.is_fault();
            let response = ApiError::from(e).into_response();
            assert_eq!(response.status().as_u16(), status, "the API's {what}");
            let header = response
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            assert_eq!(header, retry_after, "the API's {what}");
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"], code.as_str(), "the API's {what}");
            let message = body["message"].as_str().unwrap();
            assert!(!message.is_empty(), "{what}");
            if fault {
                assert!(
                    !message.contains("json") && !message.contains("hash"),
                    "a fault's details stay in the log: {message}"
                );
            }
        }
    }

    #[tokio::test]
    async fn the_api_own_errors_answer_their_code_status() {
        let response = ApiError::from(Problem::Unauthorized).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let full = ApiError::new(Problem::Unavailable, "full").into_response();
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(full.headers().get(header::RETRY_AFTER).is_none());
    }
}
