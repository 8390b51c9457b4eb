//! What stands in for api.line.me, which the tests cannot reach: a small stateful server behind
//! Stoplight Prism in validating-proxy mode with LINE's own OpenAPI spec
//! (`testdata/line/messaging-api.yml`): a request that breaks the spec gets Prism's 422 and never
//! reaches the stand-in. It records every push and reply; honours `X-Line-Retry-Key` as LINE does
//! (a key accepted before answers 409 with `x-line-accepted-request-id`, and no second message);
//! takes each reply token it handed out once; and fails when told to (429, 500, an answer too
//! late for the client, a 500 after the message was sent). It also posts webhook events shaped by
//! `webhook.yml` to the app, signed with the channel secret as LINE signs them.
//! The end-to-end tests run it as a process of its own (`testkit/examples/line_standin.rs`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The channel secret the app is given: LINE signs its webhooks with it.
pub const CHANNEL_SECRET: &str = "0ae71c5f39e191095278da7bb8a0aece";
/// The channel access token the app is given.
pub const ACCESS_TOKEN: &str = "test-line-channel-access-token";
/// The account's LINE ID.
pub const ACCOUNT_ID: &str = "@waitroom";
/// The bot's own user id (`destination` of every webhook).
pub const BOT_USER_ID: &str = "U0000000000000000000000000000b0t";

/// A message LINE delivered: pushed to `to`, or replied with `reply_token`.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub to: Option<String>,
    pub reply_token: Option<String>,
    pub messages: Vec<Value>,
    pub retry_key: Option<String>,
    pub request_id: String,
}

impl Delivered {
    /// The texts of its messages, joined by newlines.
    pub fn text(&self) -> String {
        self.messages
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How the stand-in answers the next push.
#[derive(Clone, Debug)]
pub enum Fault {
    /// LINE's error JSON with this HTTP status (429, 500, ...); nothing is sent.
    Refuse(u16),
    /// Sends the message, but answers only after this long (the client times out).
    Slow(Duration),
    /// Sends the message, then answers this 5xx all the same.
    Lost(u16),
}

#[derive(Default)]
struct Channel {
    pushes: Vec<Delivered>,
    replies: Vec<Delivered>,
    /// Every push request that reached the stand-in (attempts, answered or not).
    push_attempts: Vec<Option<String>>,
    /// Retry key → the request id that accepted it.
    accepted: HashMap<String, String>,
    faults: VecDeque<Fault>,
    /// Reply tokens handed out with events and not used yet.
    reply_tokens: HashSet<String>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Channel>>);

/// The stand-in and the Prism proxy in front of it; both stop when this is dropped.
pub struct LineStandIn {
    shared: Shared,
    prism: Child,
    /// What the client under test uses as `LINE_API_BASE_URL`: the Prism proxy.
    pub base_url: String,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

/// A webhook event id as LINE writes them (a ULID: 26 characters of Crockford's base32).
fn event_id() -> String {
    let ms = u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0);
    let n = next_id();
    let alphabet = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut value: u128 =
        (u128::from(ms) << 80) | u128::from(n) | (u128::from(std::process::id()) << 40);
    let mut out = [b'0'; 26];
    for slot in out.iter_mut().rev() {
        *slot = alphabet[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

impl LineStandIn {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/v2/bot/message/push", post(push))
            .route("/v2/bot/message/reply", post(reply))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let standin: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/line/messaging-api.yml");
        let (prism, base_url) = crate::prism::start(&spec, standin).await;
        Self {
            shared,
            prism,
            base_url,
        }
    }

    /// The pushes LINE delivered (one per message, whatever the attempts), in order.
    pub fn pushes(&self) -> Vec<Delivered> {
        self.shared.0.lock().unwrap().pushes.clone()
    }

    /// The replies LINE delivered, in order.
    pub fn replies(&self) -> Vec<Delivered> {
        self.shared.0.lock().unwrap().replies.clone()
    }

    /// The retry key of every push request that reached the stand-in, attempts included.
    pub fn push_attempts(&self) -> Vec<Option<String>> {
        self.shared.0.lock().unwrap().push_attempts.clone()
    }

    /// The next pushes meet these faults, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.shared
            .0
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().cloned());
    }

    /// A text message event from `user`, as LINE posts it (with a reply token this stand-in
    /// takes once).
    pub fn text_event(&self, user: &str, text: &str) -> Value {
        let token = self.reply_token();
        json!({
            "type": "message",
            "message": {"type": "text", "id": next_id().to_string(), "quoteToken": "q", "text": text},
            "webhookEventId": event_id(),
            "deliveryContext": {"isRedelivery": false},
            "timestamp": jiff::Timestamp::now().as_millisecond(),
            "source": {"type": "user", "userId": user},
            "replyToken": token,
            "mode": "active"
        })
    }

    /// `user` added the account as a friend.
    pub fn follow_event(&self, user: &str) -> Value {
        let token = self.reply_token();
        json!({
            "type": "follow",
            "follow": {"isUnblocked": false},
            "webhookEventId": event_id(),
            "deliveryContext": {"isRedelivery": false},
            "timestamp": jiff::Timestamp::now().as_millisecond(),
            "source": {"type": "user", "userId": user},
            "replyToken": token,
            "mode": "active"
        })
    }

    /// `user` blocked the account.
    pub fn unfollow_event(&self, user: &str) -> Value {
        json!({
            "type": "unfollow",
            "webhookEventId": event_id(),
            "deliveryContext": {"isRedelivery": false},
            "timestamp": jiff::Timestamp::now().as_millisecond(),
            "source": {"type": "user", "userId": user},
            "mode": "active"
        })
    }

    fn reply_token(&self) -> String {
        let token = format!("{:032x}", u128::from(next_id()) * 0x9e37_79b9_7f4a_7c15);
        self.shared
            .0
            .lock()
            .unwrap()
            .reply_tokens
            .insert(token.clone());
        token
    }

    /// Posts `events` to the app's webhook at `url`, signed as LINE signs; answers the HTTP
    /// status.
    pub async fn post_events(&self, url: &str, events: &[Value]) -> u16 {
        let body = json!({"destination": BOT_USER_ID, "events": events}).to_string();
        signed_post(url, &body).await
    }
}

impl Drop for LineStandIn {
    fn drop(&mut self) {
        let _ = self.prism.kill();
        let _ = self.prism.wait();
    }
}

/// Posts `body` to `url` with `X-Line-Signature` under [`CHANNEL_SECRET`]; answers the HTTP
/// status (0: the app did not answer).
pub async fn signed_post(url: &str, body: &str) -> u16 {
    let signature = waitingroom::line::signature::signature(CHANNEL_SECRET, body.as_bytes());
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-line-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .map_or(0, |answer| answer.status().as_u16())
}

fn error(status: u16, message: &str, request_id: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("x-line-request-id", request_id.to_owned())],
        Json(json!({ "message": message })),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {ACCESS_TOKEN}").as_str())
}

async fn push(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let request_id = format!("{:016x}", next_id());
    if !authorized(&headers) {
        return error(401, "Authentication failed", &request_id);
    }
    let retry_key = headers
        .get("x-line-retry-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fault = {
        let mut channel = shared.0.lock().unwrap();
        channel.push_attempts.push(retry_key.clone());
        if let Some(accepted) = retry_key.as_ref().and_then(|k| channel.accepted.get(k)) {
            // LINE: "The retry key is already accepted" — nothing is sent again
            return (
                StatusCode::CONFLICT,
                [
                    ("x-line-request-id", request_id.clone()),
                    ("x-line-accepted-request-id", accepted.clone()),
                ],
                Json(json!({"message": "The retry key is already accepted", "sentMessages": [{"id": accepted}]})),
            )
                .into_response();
        }
        let fault = channel.faults.pop_front();
        if let Some(Fault::Refuse(status)) = fault {
            let message = if status == 429 {
                "The API rate limit has been exceeded. Try again later."
            } else {
                "An error occurred in the backend server."
            };
            return error(status, message, &request_id);
        }
        let to = body["to"].as_str().unwrap_or_default().to_owned();
        if !to.starts_with('U') {
            return error(400, "Failed to send messages", &request_id);
        }
        channel.pushes.push(Delivered {
            to: Some(to),
            reply_token: None,
            messages: body["messages"].as_array().cloned().unwrap_or_default(),
            retry_key: retry_key.clone(),
            request_id: request_id.clone(),
        });
        if let Some(key) = retry_key {
            channel.accepted.insert(key, request_id.clone());
        }
        fault
    };
    match fault {
        Some(Fault::Slow(wait)) => tokio::time::sleep(wait).await,
        Some(Fault::Lost(status)) => {
            return error(
                status,
                "An error occurred in the backend server.",
                &request_id,
            )
        }
        _ => {}
    }
    (
        [("x-line-request-id", request_id.clone())],
        Json(json!({"sentMessages": [{"id": request_id}]})),
    )
        .into_response()
}

async fn reply(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let request_id = format!("{:016x}", next_id());
    if !authorized(&headers) {
        return error(401, "Authentication failed", &request_id);
    }
    let token = body["replyToken"].as_str().unwrap_or_default().to_owned();
    let mut channel = shared.0.lock().unwrap();
    if !channel.reply_tokens.remove(&token) {
        return error(400, "Invalid reply token", &request_id);
    }
    channel.replies.push(Delivered {
        to: None,
        reply_token: Some(token),
        messages: body["messages"].as_array().cloned().unwrap_or_default(),
        retry_key: None,
        request_id: request_id.clone(),
    });
    (
        [("x-line-request-id", request_id.clone())],
        Json(json!({"sentMessages": [{"id": request_id}]})),
    )
        .into_response()
}
