//! The Twilio REST client (API 2010-04-01) on reqwest: SMS (now or scheduled), its cancellation,
//! voice calls, and the lists of messages and calls to a number. Twilio's error JSON becomes a
//! [`TwilioError`]; 429/20429, 5xx and timeouts are retried with backoff and jitter, other 4xx
//! never. Creates are not idempotent at Twilio: after a 5xx (20500) or a timeout the message or
//! call may exist ("Creating messages and calls", BEHAVIOUR.md), so a create whose outcome is
//! unknown is retried only after the recipient's list shows it was not made, and that list is
//! read without a date filter (a queued or scheduled message has no `date_sent` yet).

use crate::phone::PhoneNumber;
use serde::Deserialize;
use std::time::Duration;

/// Where and as whom the client talks to Twilio.
#[derive(Clone)]
pub struct TwilioConfig {
    /// `TWILIO_API_BASE_URL` (default `https://api.twilio.com`).
    pub base_url: String,
    pub account_sid: String,
    /// Basic auth: the account SID and auth token, or an API key SID and its secret.
    pub username: String,
    pub password: String,
    /// `TWILIO_FROM_NUMBER`: the number calls come from, and customers call.
    pub from: Option<PhoneNumber>,
    /// `TWILIO_MESSAGING_SERVICE_SID`: sends SMS (and is needed to schedule them).
    pub messaging_service_sid: Option<String>,
    /// `TWILIO_SMS_SENDER`: who SMS come from without a messaging service.
    pub sms_sender: Option<SmsSender>,
    /// How long one request may take (10 s in production).
    pub timeout: Duration,
}

impl TwilioConfig {
    /// Whether SMS can be sent: through a messaging service or from [`SmsSender`]. Never from
    /// `TWILIO_FROM_NUMBER`: in Japan that is a voice number, and Twilio sells no Japanese number
    /// that sends SMS (BEHAVIOUR.md "Japan").
    pub fn sends_sms(&self) -> bool {
        self.messaging_service_sid.is_some() || self.sms_sender.is_some()
    }
}

/// Who SMS come from without a messaging service (`TWILIO_SMS_SENDER`): an alphanumeric sender
/// ID (what reaches Japanese mobiles; nobody can reply to it), or a number outside Japan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmsSender {
    Alphanumeric(String),
    Number(PhoneNumber),
}

impl SmsSender {
    /// An alphanumeric sender ID (1 to 11 letters, digits and spaces, at least one letter:
    /// Twilio's rule for it), or a phone number that is not Japanese; a Japanese number is
    /// refused with why.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let looks_like_a_number = raw
            .chars()
            .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
        if looks_like_a_number && raw.chars().any(|c| c.is_ascii_digit()) && raw.len() > 6 {
            let number = PhoneNumber::parse(raw).map_err(|e| format!("{raw:?}: {e}"))?;
            if number.as_str().starts_with("+81") {
                return Err(format!(
                    "{raw:?} is a Japanese number, and Twilio sells no Japanese number that sends SMS (050, 0120, 03 numbers are voice numbers): use an alphanumeric sender ID such as WaitingRoom, or TWILIO_MESSAGING_SERVICE_SID"
                ));
            }
            return Ok(Self::Number(number));
        }
        if raw.is_empty() || raw.chars().count() > 11 {
            return Err(format!(
                "{raw:?}: an alphanumeric sender ID has 1 to 11 characters"
            ));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') {
            return Err(format!(
                "{raw:?}: an alphanumeric sender ID has only letters, digits and spaces (A-Z, 0-9)"
            ));
        }
        if !raw.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(format!("{raw:?}: an alphanumeric sender ID needs a letter"));
        }
        Ok(Self::Alphanumeric(raw.to_owned()))
    }
}

impl std::fmt::Display for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSender::Alphanumeric(name) => f.write_str(name),
            SmsSender::Number(number) => write!(f, "{number}"),
        }
    }
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

/// Why Twilio did not do it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TwilioError {
    /// Twilio answered an error: its HTTP status and code (21211 invalid To, 21610 STOP, ...).
    #[error("Twilio refused ({status}, code {code:?}): {message}")]
    Api {
        status: u16,
        code: Option<u32>,
        message: String,
    },
    /// No answer (connection failed, or timed out).
    #[error("Twilio did not answer: {0}")]
    Unreachable(String),
    /// An answer we could not read.
    #[error("Twilio answered unexpectedly: {0}")]
    Unexpected(String),
    /// The request cannot be made with this configuration (e.g. scheduling without a messaging
    /// service), or asks for something Twilio refuses by its rules.
    #[error("not possible: {0}")]
    Invalid(&'static str),
}

impl TwilioError {
    /// A create that failed so may have been carried out all the same: a server error (Twilio's
    /// 20500) or no answer. A 429 is refused before anything is made.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            TwilioError::Api { status, .. } => *status >= 500,
            TwilioError::Unreachable(_) => true,
            TwilioError::Unexpected(_) | TwilioError::Invalid(_) => false,
        }
    }

    /// Worth another try: too many requests, a server error, or no answer.
    pub fn is_retryable(&self) -> bool {
        match self {
            TwilioError::Api { status, code, .. } => {
                *status == 429 || *status >= 500 || *code == Some(20429)
            }
            TwilioError::Unreachable(_) => true,
            TwilioError::Unexpected(_) | TwilioError::Invalid(_) => false,
        }
    }
}

/// A message or call as Twilio reports it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Resource {
    pub sid: String,
    pub status: String,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// RFC 2822, as Twilio writes dates (`Wed, 25 Nov 2026 12:00:00 +0000`).
    #[serde(default)]
    pub date_created: Option<String>,
    /// Twilio's code of a message that failed (30003 unreachable, 30006 landline, ...).
    #[serde(default)]
    pub error_code: Option<serde_json::Value>,
    /// A call's answer (`human`, `machine_start`, ...) when it was screened.
    #[serde(default)]
    pub answered_by: Option<String>,
}

impl Resource {
    /// When Twilio made it, in ms (`None`: no readable date).
    pub fn created_ms(&self) -> Option<u64> {
        let date = self.date_created.as_deref()?;
        let at = jiff::fmt::rfc2822::parse(date).ok()?;
        u64::try_from(at.timestamp().as_millisecond()).ok()
    }

    /// Made at `since_ms` or later (Twilio's dates are in whole seconds, and its clock is not
    /// ours: [`CLOCK_SLACK_MS`] earlier counts).
    pub fn made_since(&self, since_ms: u64) -> bool {
        self.created_ms()
            .is_some_and(|at| at + CLOCK_SLACK_MS >= since_ms)
    }

    /// Twilio's error code, as text.
    pub fn error(&self) -> Option<String> {
        match self.error_code.as_ref()? {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
}

/// How far Twilio's `date_created` may be behind our clock (whole seconds, and clocks that differ).
pub const CLOCK_SLACK_MS: u64 = 5_000;

/// What became of a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// The scheduled message will not go.
    Cancelled,
    /// Too late: Twilio answered 30409, the message is no longer `scheduled` (it went, or was
    /// cancelled before).
    TooLate,
}

/// The least time ahead Twilio schedules a message (Message Scheduling; error 35114; support FAQ
/// 4412165297947: 15 minutes, though some versions of the error page say 300 s: the stricter).
pub const SCHEDULE_MIN_AHEAD: Duration = Duration::from_secs(15 * 60);
/// The most time ahead Twilio schedules a message (35 days).
pub const SCHEDULE_MAX_AHEAD: Duration = Duration::from_secs(35 * 86_400);

/// What a call does once answered: TwiML itself, or the URL Twilio fetches it from.
#[derive(Clone, Debug)]
pub enum CallScript {
    Twiml(String),
    Url(String),
}

/// A call to place.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub to: &'a PhoneNumber,
    pub script: CallScript,
    /// Where Twilio posts the call's progress (initiated, ringing, answered, completed).
    pub status_callback: Option<String>,
    /// Seconds to let it ring.
    pub timeout_s: u32,
    /// Seconds the call may last at most (`TimeLimit`), so no menu keeps it open for long.
    pub time_limit_s: u32,
    /// Where Twilio posts who answered, a person or a machine (`AsyncAmdStatusCallback`);
    /// `None`: no answering machine detection.
    pub machine_callback: Option<String>,
}

use crate::retry::{backoff, ATTEMPTS};
/// How long one request may take, unless configured otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct TwilioClient {
    http: reqwest::Client,
    config: std::sync::Arc<TwilioConfig>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    messages: Vec<Resource>,
    #[serde(default)]
    calls: Vec<Resource>,
}

impl TwilioClient {
    pub fn new(config: TwilioConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .expect("an HTTP client with a timeout");
        Self {
            http,
            config: std::sync::Arc::new(config),
        }
    }

    fn url(&self, resource: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.config.base_url.trim_end_matches('/'),
            self.config.account_sid
        )
    }

    /// Sends `body` to `to` now.
    pub async fn send_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        status_callback: Option<&str>,
    ) -> Result<Resource, TwilioError> {
        let mut form = vec![("To", to.to_string()), ("Body", body.to_owned())];
        form.extend(self.sender()?);
        self.create_message(to, body, form, status_callback).await
    }

    /// Creates message `form` (of `body`, to `to`), reporting to `status_callback`.
    async fn create_message(
        &self,
        to: &PhoneNumber,
        body: &str,
        mut form: Vec<(&'static str, String)>,
        status_callback: Option<&str>,
    ) -> Result<Resource, TwilioError> {
        if let Some(url) = status_callback {
            form.push(("StatusCallback", url.to_owned()));
        }
        let body = body.to_owned();
        self.create("Messages.json", form, |since| {
            self.find_message(to, body.clone(), since)
        })
        .await
    }

    /// Schedules `body` to `to` at `send_at` ([`SCHEDULE_MIN_AHEAD`] to [`SCHEDULE_MAX_AHEAD`]
    /// ahead of `now`; through the messaging service). `status_callback`: where its statuses go
    /// (without one Twilio posts them to the messaging service's own callback URL, if any).
    pub async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at: jiff::Timestamp,
        now: jiff::Timestamp,
        status_callback: Option<&str>,
    ) -> Result<Resource, TwilioError> {
        let service = self
            .config
            .messaging_service_sid
            .clone()
            .ok_or(TwilioError::Invalid(
                "scheduling needs TWILIO_MESSAGING_SERVICE_SID",
            ))?;
        let ahead = send_at.duration_since(now).as_secs();
        let window = SCHEDULE_MIN_AHEAD.as_secs() as i64..=SCHEDULE_MAX_AHEAD.as_secs() as i64;
        if !window.contains(&ahead) {
            return Err(TwilioError::Invalid(
                "SendAt must be 15 minutes to 35 days ahead",
            ));
        }
        let form = vec![
            ("To", to.to_string()),
            ("Body", body.to_owned()),
            ("MessagingServiceSid", service),
            ("ScheduleType", "fixed".to_owned()),
            ("SendAt", send_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        ];
        self.create_message(to, body, form, status_callback).await
    }

    /// Cancels a scheduled message: [`Cancelled::TooLate`] when Twilio answers 30409 (it is no
    /// longer `scheduled`: sent, or cancelled before).
    pub async fn cancel_sms(&self, sid: &str) -> Result<Cancelled, TwilioError> {
        let form = vec![("Status", "canceled".to_owned())];
        let resource = format!("Messages/{sid}.json");
        match self
            .retrying(|| self.post::<Resource>(&resource, &form))
            .await
        {
            Ok(_) => Ok(Cancelled::Cancelled),
            Err(TwilioError::Api {
                code: Some(30409), ..
            }) => Ok(Cancelled::TooLate),
            Err(e) => Err(e),
        }
    }

    /// Message or call `sid` as Twilio has it now (a status callback that never arrived is read
    /// here instead).
    pub async fn fetch(&self, sid: &str) -> Result<Resource, TwilioError> {
        let resource = if sid.starts_with("CA") {
            format!("Calls/{sid}.json")
        } else {
            format!("Messages/{sid}.json")
        };
        self.retrying(|| self.get(&resource, &[])).await
    }

    /// Places a call.
    pub async fn call(&self, call: &Call<'_>) -> Result<Resource, TwilioError> {
        let from = self
            .config
            .from
            .as_ref()
            .ok_or(TwilioError::Invalid("calls need TWILIO_FROM_NUMBER"))?;
        let mut form = vec![
            ("To", call.to.to_string()),
            ("From", from.to_string()),
            ("Timeout", call.timeout_s.to_string()),
            ("TimeLimit", call.time_limit_s.to_string()),
        ];
        match &call.script {
            CallScript::Twiml(twiml) => form.push(("Twiml", twiml.clone())),
            CallScript::Url(url) => form.push(("Url", url.clone())),
        }
        if let Some(url) = &call.status_callback {
            form.push(("StatusCallback", url.clone()));
            for event in ["initiated", "ringing", "answered", "completed"] {
                form.push(("StatusCallbackEvent", event.to_owned()));
            }
        }
        if let Some(url) = &call.machine_callback {
            // Twilio: `MachineDetection=Enable` alone holds the call silent while it listens and
            // posts `AnsweredBy` to the call's `Url`, never with inline `Twiml`; with
            // `AsyncAmd=true` the call starts at once and the result comes later, on its own,
            // to `AsyncAmdStatusCallback` (BEHAVIOUR.md, "Answering machine detection")
            form.push(("MachineDetection", "Enable".to_owned()));
            form.push(("AsyncAmd", "true".to_owned()));
            form.push(("AsyncAmdStatusCallback", url.clone()));
            form.push(("AsyncAmdStatusCallbackMethod", "POST".to_owned()));
        }
        self.create("Calls.json", form, |since| self.find_call(call.to, since))
            .await
    }

    /// The latest messages to `to` (50), newest first: queued and scheduled ones included, which a
    /// `DateSent` filter would never show (their `date_sent` is null until they are sent).
    pub async fn messages_to(&self, to: &PhoneNumber) -> Result<Vec<Resource>, TwilioError> {
        let query = [("To", to.to_string()), ("PageSize", "50".into())];
        let page: Page = self.retrying(|| self.get("Messages.json", &query)).await?;
        Ok(page.messages)
    }

    /// The latest calls to `to` (50), newest first: queued ones included, which a `StartTime`
    /// filter would never show.
    pub async fn calls_to(&self, to: &PhoneNumber) -> Result<Vec<Resource>, TwilioError> {
        let query = [("To", to.to_string()), ("PageSize", "50".into())];
        let page: Page = self.retrying(|| self.get("Calls.json", &query)).await?;
        Ok(page.calls)
    }

    /// The messages of `body` to `to` made since `since_ms`, newest first.
    pub async fn find_message(
        &self,
        to: &PhoneNumber,
        body: String,
        since_ms: u64,
    ) -> Result<Vec<Resource>, TwilioError> {
        Ok(self
            .messages_to(to)
            .await?
            .into_iter()
            .filter(|m| m.body.as_deref() == Some(body.as_str()) && m.made_since(since_ms))
            .collect())
    }

    /// The calls to `to` made since `since_ms`, newest first.
    pub async fn find_call(
        &self,
        to: &PhoneNumber,
        since_ms: u64,
    ) -> Result<Vec<Resource>, TwilioError> {
        Ok(self
            .calls_to(to)
            .await?
            .into_iter()
            .filter(|c| c.made_since(since_ms))
            .collect())
    }

    /// Who an SMS comes from: the messaging service, else `TWILIO_SMS_SENDER` (never the voice
    /// number calls come from).
    fn sender(&self) -> Result<Vec<(&'static str, String)>, TwilioError> {
        match (&self.config.messaging_service_sid, &self.config.sms_sender) {
            (Some(service), _) => Ok(vec![("MessagingServiceSid", service.clone())]),
            (None, Some(sender)) => Ok(vec![("From", sender.to_string())]),
            (None, None) => Err(TwilioError::Invalid(
                "SMS need TWILIO_MESSAGING_SERVICE_SID or TWILIO_SMS_SENDER",
            )),
        }
    }

    /// Creates a message or call. Throttled (429), it is tried again; after a 5xx or no answer it
    /// may exist all the same, so `made(since_ms)` (what exists for the recipient, made since
    /// the first try) is looked at first, and it is not created again if it is there.
    async fn create<F, Fut>(
        &self,
        resource: &str,
        form: Vec<(&'static str, String)>,
        made: F,
    ) -> Result<Resource, TwilioError>
    where
        F: Fn(u64) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Resource>, TwilioError>>,
    {
        let since = now_ms();
        let mut attempt = 0;
        loop {
            let result = self.post(resource, &form).await;
            attempt += 1;
            match result {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    if e.outcome_unknown() {
                        // the request may have made it: look before making it again
                        match made(since).await {
                            Ok(found) if !found.is_empty() => {
                                return Ok(found.into_iter().next().expect("not empty"))
                            }
                            Ok(_) => {}
                            // cannot tell: making it again might make it twice
                            Err(_) => return Err(e),
                        }
                    }
                }
                other => return other,
            }
        }
    }

    async fn retrying<T, F, Fut>(&self, request: F) -> Result<T, TwilioError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, TwilioError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match request().await {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await
                }
                other => return other,
            }
        }
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        resource: &str,
        form: &[(&str, String)],
    ) -> Result<T, TwilioError> {
        let request = self
            .http
            .post(self.url(resource))
            .basic_auth(&self.config.username, Some(&self.config.password))
            .form(form);
        answer(request.send().await).await
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        resource: &str,
        query: &[(&str, String)],
    ) -> Result<T, TwilioError> {
        let request = self
            .http
            .get(self.url(resource))
            .basic_auth(&self.config.username, Some(&self.config.password))
            .query(query);
        answer(request.send().await).await
    }
}

async fn answer<T: serde::de::DeserializeOwned>(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, TwilioError> {
    let response = sent.map_err(|e| TwilioError::Unreachable(e.to_string()))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| TwilioError::Unreachable(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| TwilioError::Unexpected(e.to_string()));
    }
    let error: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
    Err(TwilioError::Api {
        status: status.as_u16(),
        code: error.as_ref().and_then(|e| e.code),
        message: error
            .and_then(|e| e.message)
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(300).collect()),
    })
}

fn now_ms() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_throttling_server_errors_and_silence_are_retried() {
        let api = |status, code| TwilioError::Api {
            status,
            code,
            message: String::new(),
        };
        assert!(api(429, Some(20429)).is_retryable());
        assert!(api(503, None).is_retryable());
        assert!(TwilioError::Unreachable("timeout".into()).is_retryable());
        assert!(!api(400, Some(21211)).is_retryable(), "invalid To");
        assert!(!api(400, Some(21610)).is_retryable(), "STOP");
        assert!(!api(401, Some(20003)).is_retryable());
    }
}
