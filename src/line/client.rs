//! The Messaging API client on reqwest: push (to a user, counted against the account's monthly
//! quota) and reply (free, with a webhook event's reply token). Every push carries an
//! `X-Line-Retry-Key` its caller keeps for the job, so a retry — by this client after a timeout,
//! a 5xx or a 429, or by another process that took the job over — is never a second message:
//! LINE answers 409 with `x-line-accepted-request-id` to a key it accepted before, which is
//! success. Other 4xx are never retried.

use serde_json::{json, Value};
use std::time::Duration;

/// Where and as whom the client talks to LINE. No `Debug` of its secrets.
#[derive(Clone)]
pub struct LineConfig {
    /// `LINE_API_BASE_URL` (default `https://api.line.me`).
    pub base_url: String,
    /// `LINE_CHANNEL_SECRET`: what LINE signs its webhooks with.
    pub channel_secret: String,
    /// `LINE_CHANNEL_ACCESS_TOKEN`: the bearer token of every API call.
    pub access_token: String,
    /// `LINE_ACCOUNT_ID`: the account's LINE ID (`@abc1234`), for the links that open its chat.
    pub account_id: String,
    /// How long one request may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for LineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineConfig")
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Why LINE did not do it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// LINE answered an error: its HTTP status and message.
    #[error("LINE refused ({status}): {message}")]
    Api { status: u16, message: String },
    /// No answer (connection failed, or timed out).
    #[error("LINE did not answer: {0}")]
    Unreachable(String),
}

impl LineError {
    /// Worth another try: too many requests, a server error, or no answer.
    pub fn is_retryable(&self) -> bool {
        match self {
            LineError::Api { status, .. } => *status == 429 || *status >= 500,
            LineError::Unreachable(_) => true,
        }
    }

    /// LINE's HTTP status, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            LineError::Api { status, .. } => Some(*status),
            LineError::Unreachable(_) => None,
        }
    }
}

/// What became of a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Sent now; LINE's `x-line-request-id`.
    Sent { request_id: Option<String> },
    /// LINE had accepted this retry key before (409): sent by an earlier attempt, not again.
    AcceptedBefore { request_id: Option<String> },
}

use crate::retry::{backoff, ATTEMPTS};
/// How long one request may take, unless configured otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest text message LINE takes (characters).
pub const MAX_TEXT: usize = 5_000;

#[derive(Clone, Debug)]
pub struct LineClient {
    http: reqwest::Client,
    config: std::sync::Arc<LineConfig>,
}

/// A text message object (cut to [`MAX_TEXT`] characters).
pub fn text_message(text: &str) -> Value {
    let text: String = text.chars().take(MAX_TEXT).collect();
    json!({"type": "text", "text": text})
}

impl LineClient {
    pub fn new(config: LineConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .expect("an HTTP client with a timeout");
        Self {
            http,
            config: std::sync::Arc::new(config),
        }
    }

    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// Pushes `messages` (1 to 5) to user `to` with `retry_key` (a UUID, the same for every
    /// attempt of one message): retried with backoff after a 429, a 5xx or no answer.
    pub async fn push(
        &self,
        to: &str,
        messages: &[Value],
        retry_key: &str,
    ) -> Result<Pushed, LineError> {
        let body = json!({"to": to, "messages": messages});
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .http
                .post(self.url("/v2/bot/message/push"))
                .bearer_auth(&self.config.access_token)
                .header("X-Line-Retry-Key", retry_key)
                .json(&body)
                .send()
                .await;
            let result = match sent {
                Err(e) => Err(LineError::Unreachable(e.to_string())),
                Ok(response) => {
                    let header = |name: &str| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let request_id = header("x-line-request-id");
                    let accepted = header("x-line-accepted-request-id");
                    let status = response.status().as_u16();
                    match status {
                        200..=299 => Ok(Pushed::Sent { request_id }),
                        // this key was accepted before: that attempt's message is the one
                        409 => Ok(Pushed::AcceptedBefore {
                            request_id: accepted.or(request_id),
                        }),
                        _ => Err(error_of(status, response).await),
                    }
                }
            };
            match result {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await
                }
                other => return other,
            }
        }
    }

    /// Replies `messages` (1 to 5) with a webhook event's `reply_token` (free; usable once, for
    /// about a minute): tried again after a 429 only (after a 5xx the token may be spent).
    pub async fn reply(&self, reply_token: &str, messages: &[Value]) -> Result<(), LineError> {
        let body = json!({"replyToken": reply_token, "messages": messages});
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .http
                .post(self.url("/v2/bot/message/reply"))
                .bearer_auth(&self.config.access_token)
                .json(&body)
                .send()
                .await;
            let result = match sent {
                Err(e) => Err(LineError::Unreachable(e.to_string())),
                Ok(response) if response.status().is_success() => Ok(()),
                Ok(response) => Err(error_of(response.status().as_u16(), response).await),
            };
            match result {
                Err(LineError::Api { status: 429, .. }) if attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await
                }
                other => return other,
            }
        }
    }
}

/// LINE's error JSON (`{"message": ...}`) as a [`LineError`].
async fn error_of(status: u16, response: reqwest::Response) -> LineError {
    let bytes = response.bytes().await.unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(300).collect());
    LineError::Api { status, message }
}

/// The retry key of one message: a UUID (version 4's layout) made from `seed` (what names the
/// message for good: its queue, business day and outbox entry), so every attempt of that message,
/// in any process, sends the same key; keyed by `secret`, so nobody outside predicts one.
pub fn retry_key(secret: &str, seed: &str) -> String {
    let hex = crate::secret::keyed_hash_hex(secret.as_bytes(), seed);
    let mut bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_throttling_server_errors_and_silence_are_retried() {
        let api = |status| LineError::Api {
            status,
            message: String::new(),
        };
        assert!(api(429).is_retryable());
        assert!(api(500).is_retryable());
        assert!(LineError::Unreachable("timeout".into()).is_retryable());
        assert!(!api(400).is_retryable());
        assert!(!api(403).is_retryable());
    }

    #[test]
    fn a_retry_key_is_a_uuid_the_same_for_one_message_and_another_for_the_next() {
        let key = retry_key("secret", "default/2026-11-25/1764000000000-0/near");
        assert_eq!(key.len(), 36);
        let parts: Vec<&str> = key.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "version 4's layout: {key}");
        assert!("89ab".contains(&parts[3][..1]), "the variant: {key}");
        assert_eq!(
            key,
            retry_key("secret", "default/2026-11-25/1764000000000-0/near")
        );
        assert_ne!(
            key,
            retry_key("secret", "default/2026-11-25/1764000000000-1/near")
        );
        assert_ne!(
            key,
            retry_key("other", "default/2026-11-25/1764000000000-0/near")
        );
    }

    #[test]
    fn a_text_is_cut_to_what_line_takes() {
        let long = "あ".repeat(MAX_TEXT + 10);
        let message = text_message(&long);
        assert_eq!(message["type"], "text");
        assert_eq!(message["text"].as_str().unwrap().chars().count(), MAX_TEXT);
    }
}
