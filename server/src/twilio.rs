//! Twilio's webhooks. Each checks `X-Twilio-Signature` against the URL Twilio called (built from
//! `PUBLIC_URL`, else the request's host) and answers 403 when it fails, changing nothing; each is
//! idempotent (a retried callback changes nothing twice) and answers at once. A signed request
//! never gets a 5xx: Twilio retries no webhook that answered one (it would be lost), and a call
//! whose webhook fails says "an application error has occurred" and hangs up (BEHAVIOUR.md
//! "Webhooks"). So when Redis fails, a status is answered 204 (it is read from Twilio later), a
//! text and a call are answered an apology in the caller's language.
//!
//! - `POST /twilio/status`: message and call status callbacks, into the day's SMS/call log.
//! - `POST /twilio/sms`: a text to the store's number (受付 / JOIN, 状況 / STATUS, ...), answered
//!   with TwiML `<Message>`.
//! - `POST /twilio/voice/answer?queue=…&day=…&number=…&key=…&repeats=…`: the key pressed on an
//!   automatic call, about the ticket (of that business day) its key was made for.
//! - `POST /twilio/voice/amd`: who answered an automatic call (a person or a machine), as
//!   Twilio's answering machine detection reports it (`AsyncAmdStatusCallback`).
//! - `POST /twilio/voice/incoming`: a call to the store's number from a number typed on a
//!   ticket's page is asked for that page's code; any other hears the menu;
//!   `POST /twilio/voice/code?repeats=…`: the code keyed in (verifies the phone of the ticket
//!   given it); `POST /twilio/voice/menu?repeats=…`: the key pressed on the menu.

use crate::AppState;
use axum::extract::{FromRequestParts, OriginalUri, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use waitingroom::command::Command;
use waitingroom::door::{BaseUrl, ClientAddr};
use waitingroom::services::inbound::InboundText;
use waitingroom::services::voice::{AnsweredCall, MenuPress};
use waitingroom::twilio::signature;
use waitingroom::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/twilio/status", post(status))
        .route("/twilio/sms", post(sms))
        .route("/twilio/voice/answer", post(voice_answer))
        .route("/twilio/voice/amd", post(voice_amd))
        .route("/twilio/voice/incoming", post(voice_incoming))
        .route("/twilio/voice/menu", post(voice_menu))
        .route("/twilio/voice/code", post(voice_code))
}

/// A webhook's form, its parameters in order (repeated keys kept), once its signature is valid:
/// as an extractor, a request signed otherwise is answered 403 before the handler runs.
struct Signed(Vec<(String, String)>);

impl axum::extract::FromRequest<AppState> for Signed {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let refused = || (StatusCode::FORBIDDEN, "invalid Twilio signature").into_response();
        let Some(token) = state.room.setup().twilio.auth_token.clone() else {
            tracing::warn!("a Twilio webhook arrived, but TWILIO_AUTH_TOKEN is not set: refused");
            return Err(refused());
        };
        let (mut parts, body) = request.into_parts();
        let BaseUrl(base) = BaseUrl::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let ClientAddr(client) = ClientAddr::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let named = |name: &str| parts.headers.get(name).and_then(|h| h.to_str().ok());
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
            tracing::warn!(path = %uri.path(), %client, "a webhook with an invalid Twilio signature: refused");
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
        .contacts()
        .contact_status(sid, status, form.get("ErrorCode"), form.get("AnsweredBy"))
        .await
    {
        Ok(update) => {
            tracing::info!(%sid, %status, ?update, "Twilio status");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            // Twilio would not retry a 5xx: the outbox worker reads the status from Twilio later
            tracing::error!(error = %e, "a Twilio status was not noted; it will be read from Twilio");
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

/// `POST /twilio/voice/amd`: `AnsweredBy` of call `CallSid`, from Twilio's asynchronous
/// answering machine detection; the request carries no `CallStatus` (BEHAVIOUR.md, "Answering
/// machine detection"). 204 once taken — also when it could not be noted: Twilio does not retry
/// a webhook that answered 5xx (BEHAVIOUR.md, "Webhooks"), so an error answer would only be lost
/// the same way; 400 without a CallSid and AnsweredBy, 403 unsigned.
async fn voice_amd(State(state): State<AppState>, form: Signed) -> Response {
    let (Some(sid), Some(answered_by)) = (form.get("CallSid"), form.get("AnsweredBy")) else {
        return (
            StatusCode::BAD_REQUEST,
            "a CallSid and AnsweredBy are required",
        )
            .into_response();
    };
    match state
        .room
        .contacts()
        .machine_detection(sid, answered_by)
        .await
    {
        Ok(update) => {
            tracing::info!(%sid, %answered_by, ?update, "Twilio answering machine detection")
        }
        Err(e) => {
            tracing::error!(error = %e, %sid, %answered_by, "who answered a call was not noted")
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

/// TwiML, as Twilio reads it.
fn twiml(xml: String) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// The parameters of a webhook URL's query.
fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// `POST /twilio/voice/answer?…`: `Digits` pressed on the automatic call of the ticket the query
/// names ([`AnsweredCall`]); answers the TwiML the call goes on with (a goodbye, changing nothing,
/// when the query names no ticket or its key is not that ticket's).
async fn voice_answer(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    form: Signed,
) -> Response {
    let digits = form.get("Digits").unwrap_or_default();
    let params = query_params(query.as_deref());
    let call = AnsweredCall::parse(|name| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    });
    match state.room.voice().answer_call(call.as_ref(), digits).await {
        Ok(xml) => twiml(xml),
        Err(e) => {
            tracing::error!(error = %e, "an answer to a call was not taken");
            let lang = call.map_or(Lang::Ja, |c| c.lang);
            twiml(state.room.voice().apology(lang))
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
    let text = InboundText {
        sid,
        from,
        body: form.get("Body").unwrap_or_default(),
        opt_out_type: form.get("OptOutType"),
    };
    match state.room.inbound().text_received(&text).await {
        Ok(xml) => twiml(xml),
        Err(e) => {
            tracing::error!(error = %e, "a text was not answered");
            let lang = Command::parse(text.body).1.unwrap_or_default();
            twiml(state.room.voice().apology_text(lang))
        }
    }
}

/// `POST /twilio/voice/incoming`: a call to the store's number from `From`; answers, from a
/// number typed on a ticket's page, the question for that page's code, else the menu (or, when
/// Twilio says its caller ID failed its attestation, that the menu cannot serve it).
async fn voice_incoming(State(state): State<AppState>, form: Signed) -> Response {
    twiml(
        state
            .room
            .voice()
            .phone_call(form.get("From"), form.get("StirVerstat"))
            .await,
    )
}

/// `POST /twilio/voice/menu?repeats=N`: `Digits` pressed on the menu by caller `From` in call
/// `CallSid`. 400 without a CallSid (Twilio always sends one: it makes a press happen once).
async fn voice_menu(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    form: Signed,
) -> Response {
    gathered(&state, query.as_deref(), &form, Gathered::Menu).await
}

/// `POST /twilio/voice/code?repeats=N`: the call code (`Digits`) keyed in by caller `From` in call
/// `CallSid`, after the call was asked for it. 400 without a CallSid.
async fn voice_code(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    form: Signed,
) -> Response {
    gathered(&state, query.as_deref(), &form, Gathered::Code).await
}

/// What a call's `<Gather>` asked for.
#[derive(Clone, Copy, Debug)]
enum Gathered {
    /// A key of the store's menu.
    Menu,
    /// The code a ticket's page shows.
    Code,
}

/// The keys of a call's `<Gather>` as Twilio posts them (`repeats` from the action URL's query),
/// carried out; on our failure an apology (the store's menu speaks Japanese).
async fn gathered(
    state: &AppState,
    query: Option<&str>,
    form: &Signed,
    asked: Gathered,
) -> Response {
    let Some(call_sid) = form.get("CallSid").filter(|sid| {
        (1..=64).contains(&sid.len()) && sid.bytes().all(|b| b.is_ascii_alphanumeric())
    }) else {
        return (StatusCode::BAD_REQUEST, "a CallSid is required").into_response();
    };
    let repeats = query_params(query)
        .into_iter()
        .find(|(k, _)| k == "repeats")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let press = MenuPress {
        call_sid,
        from: form.get("From").unwrap_or_default(),
        stir_verstat: form.get("StirVerstat"),
        digits: form.get("Digits").unwrap_or_default(),
        repeats,
    };
    let answered = match asked {
        Gathered::Menu => state.room.voice().phone_menu_choice(&press).await,
        Gathered::Code => state.room.voice().call_code(&press).await,
    };
    match answered {
        Ok(xml) => twiml(xml),
        Err(e) => {
            tracing::error!(error = %e, ?asked, "keys pressed on a call were not carried out");
            twiml(state.room.voice().apology(Lang::Ja))
        }
    }
}
