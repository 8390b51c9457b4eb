//! Twilio's webhooks. Each checks `X-Twilio-Signature` against the URL Twilio called (built from
//! `PUBLIC_URL`, else the request's host) and answers 403 when it fails, changing nothing; each is
//! idempotent (a retried callback changes nothing twice) and answers at once.
//!
//! - `POST /twilio/status`: message and call status callbacks, into the day's SMS/call log.
//! - `POST /twilio/sms`: a text to the store's number (受付 / JOIN, 状況 / STATUS, ...), answered
//!   with TwiML `<Message>`.
//! - `POST /twilio/voice/answer/{queue}/{number}`: the key pressed on an automatic call.
//! - `POST /twilio/voice/incoming`: a call to the store's number hears the menu;
//!   `POST /twilio/voice/menu`: the key pressed on it.

use crate::AppState;
use axum::extract::{ConnectInfo, OriginalUri, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use std::net::SocketAddr;
use waitingroom::services::RequestOrigin;
use waitingroom::twilio::signature;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/twilio/status", post(status))
        .route("/twilio/sms", post(sms))
        .route("/twilio/voice/answer/{queue}/{number}", post(voice_answer))
        .route("/twilio/voice/incoming", post(voice_incoming))
        .route("/twilio/voice/menu", post(voice_menu))
}

/// A webhook's form, its parameters in order (repeated keys kept), once its signature is valid:
/// as an extractor, a request signed otherwise is answered 403 before the handler runs.
struct Signed(Vec<(String, String)>);

impl axum::extract::FromRequest<AppState> for Signed {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let refused = || (StatusCode::FORBIDDEN, "invalid Twilio signature").into_response();
        let Some(token) = state.twilio_auth_token.clone() else {
            tracing::warn!("a Twilio webhook arrived, but TWILIO_AUTH_TOKEN is not set: refused");
            return Err(refused());
        };
        let (parts, body) = request.into_parts();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
        let named = |name: &str| parts.headers.get(name).and_then(|h| h.to_str().ok());
        let base = state.room.base_url(&RequestOrigin {
            host: named("host"),
            peer,
            forwarded_proto: named("x-forwarded-proto"),
        });
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        let url = format!("{base}{}", uri.path_and_query().map_or("/", |p| p.as_str()));
        let body = axum::body::to_bytes(body, MAX_WEBHOOK_BODY)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "too large").into_response())?;
        let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let given = named("x-twilio-signature").unwrap_or_default();
        if signature::is_valid(&token, &url, &params, given) {
            Ok(Signed(params))
        } else {
            tracing::warn!(path = %uri.path(), %peer, "a webhook with an invalid Twilio signature: refused");
            Err(refused())
        }
    }
}

/// Twilio's webhooks are a few hundred bytes of form.
const MAX_WEBHOOK_BODY: usize = 64 * 1024;

impl Signed {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `POST /twilio/status`: 204 once noted (or ignored: a Sid that is not ours), 400 without a Sid
/// and status, 403 unsigned.
async fn status(State(state): State<AppState>, form: Signed) -> Response {
    let sid = form.get("MessageSid").or_else(|| form.get("CallSid"));
    let status = form.get("MessageStatus").or_else(|| form.get("CallStatus"));
    let (Some(sid), Some(status)) = (sid, status) else {
        return (StatusCode::BAD_REQUEST, "a Sid and a status are required").into_response();
    };
    match state
        .room
        .contact_status(sid, status, form.get("ErrorCode"), form.get("AnsweredBy"))
        .await
    {
        Ok(update) => {
            tracing::info!(%sid, %status, ?update, "Twilio status");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "a Twilio status was not noted");
            // Twilio retries a failed callback
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// TwiML, as Twilio reads it.
fn twiml(xml: String) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// `POST /twilio/voice/answer/{queue}/{number}`: `Digits` pressed on ticket `number`'s automatic
/// call; answers the TwiML the call goes on with. 404 for a ticket that is not there.
async fn voice_answer(
    State(state): State<AppState>,
    Path((queue, number)): Path<(String, u64)>,
    form: Signed,
) -> Response {
    let digits = form.get("Digits").unwrap_or_default();
    match state
        .room
        .answer_call(&app::ssr::LocaleTexts, &queue, number, digits)
        .await
    {
        Ok(xml) => twiml(xml),
        Err(e) => {
            tracing::warn!(%queue, number, error = %e, "an answer to a call was not taken");
            crate::api::ApiError::from(e).into_response()
        }
    }
}

/// `POST /twilio/sms`: a text to the store's number; answers the reply's TwiML. 400 without a
/// MessageSid and a sender.
async fn sms(State(state): State<AppState>, form: Signed) -> Response {
    let (Some(sid), Some(from)) = (form.get("MessageSid"), form.get("From")) else {
        return (
            StatusCode::BAD_REQUEST,
            "a MessageSid and a sender are required",
        )
            .into_response();
    };
    let text = form.get("Body").unwrap_or_default();
    match state
        .room
        .text_received(&app::ssr::LocaleTexts, sid, from, text)
        .await
    {
        Ok(xml) => twiml(xml),
        Err(e) => {
            tracing::error!(error = %e, "a text was not answered");
            // Twilio tries the webhook again
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /twilio/voice/incoming`: a call to the store's number; answers the menu.
async fn voice_incoming(State(state): State<AppState>, _signed: Signed) -> Response {
    twiml(state.room.phone_menu(&app::ssr::LocaleTexts))
}

/// `POST /twilio/voice/menu`: `Digits` pressed on the menu by caller `From`.
async fn voice_menu(State(state): State<AppState>, form: Signed) -> Response {
    let from = form.get("From").unwrap_or_default();
    let digits = form.get("Digits").unwrap_or_default();
    match state
        .room
        .phone_menu_choice(&app::ssr::LocaleTexts, from, digits)
        .await
    {
        Ok(xml) => twiml(xml),
        Err(e) => {
            tracing::error!(error = %e, "a key on the phone menu was not taken");
            crate::api::ApiError::from(e).into_response()
        }
    }
}
