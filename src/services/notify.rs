//! Sending what the outbox holds (SMS and calls): through Twilio, or — without Twilio credentials — into the dev
//! outbox the staff console shows, clearly marked as not sent. Every server process works the
//! outbox off; Twilio down or slow never slows the queue, which only writes the job.

use super::WaitingRoom;
use crate::lang::Lang;
use crate::phone::{ContactRecord, PhoneNumber};
use crate::store::{DevMessage, LogUpdate, OutboxJob, Store};
use crate::twilio::status::progress;
use crate::twilio::{TwilioClient, TwilioError};
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Why a message was not sent; `retryable`: a later attempt may succeed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct NotifyError {
    pub retryable: bool,
    pub message: String,
    /// Twilio's error code (21211 invalid number, 21610 replied STOP, ...).
    pub code: Option<u32>,
}

impl From<TwilioError> for NotifyError {
    fn from(e: TwilioError) -> Self {
        Self {
            retryable: e.is_retryable(),
            message: e.to_string(),
            code: match e {
                TwilioError::Api { code, .. } => code,
                _ => None,
            },
        }
    }
}

/// Redis failing: a later attempt may succeed.
impl From<crate::store::StoreError> for NotifyError {
    fn from(e: crate::store::StoreError) -> Self {
        Self {
            retryable: true,
            message: e.to_string(),
            code: None,
        }
    }
}

/// Where SMS and calls go.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `body` to `to`; answers its id (Twilio's Sid).
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError>;
    /// Calls `to`; the call says `twiml` (`text`: the same words, for the dev outbox).
    async fn call(&self, to: &PhoneNumber, twiml: &str, text: &str) -> Result<String, NotifyError>;
    /// The id of `body` to `to` (of a call to `to`, for `kind` `call`) if an earlier attempt, of a
    /// process that stopped, already made it.
    async fn already_sent(
        &self,
        kind: &str,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError>;
    /// `true`: messages really leave (Twilio); `false`: the dev outbox.
    fn sends(&self) -> bool;
}

/// What calls and messages say, in a ticket's language (the words live in the app's locale
/// files, so the app provides them).
pub trait Texts: Send + Sync {
    /// The automatic call when the turn is near: 「受付番号42番の方、まもなく順番です。…」
    fn turn_near(&self, lang: Lang, label: &str) -> String;
}

/// Twilio, with the status callback URL its messages report to.
pub struct TwilioNotifier {
    pub client: TwilioClient,
    pub status_callback: Option<String>,
}

#[async_trait]
impl Notifier for TwilioNotifier {
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        let sent = self
            .client
            .send_sms(to, body, self.status_callback.as_deref())
            .await?;
        Ok(sent.sid)
    }

    async fn call(
        &self,
        to: &PhoneNumber,
        twiml: &str,
        _text: &str,
    ) -> Result<String, NotifyError> {
        let call = crate::twilio::Call {
            to,
            script: crate::twilio::CallScript::Twiml(twiml.to_owned()),
            status_callback: self.status_callback.clone(),
            timeout_s: 25,
            detect_machine: false,
        };
        Ok(self.client.call(&call).await?.sid)
    }

    async fn already_sent(
        &self,
        kind: &str,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError> {
        if kind == "call" {
            // a call carries no text to tell it by: the latest call to this number
            let calls = self.client.calls_to(to).await?;
            return Ok(calls.into_iter().next().map(|c| c.sid));
        }
        let sent = self.client.messages_to(to).await?;
        Ok(sent
            .into_iter()
            .find(|m| m.body.as_deref() == Some(body))
            .map(|m| m.sid))
    }

    fn sends(&self) -> bool {
        true
    }
}

/// Without Twilio: messages are kept in Redis for the console, marked as not sent.
pub struct DevOutbox {
    pub store: Store,
}

#[async_trait]
impl Notifier for DevOutbox {
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        self.keep("sms", to, body).await
    }

    async fn call(
        &self,
        to: &PhoneNumber,
        _twiml: &str,
        text: &str,
    ) -> Result<String, NotifyError> {
        self.keep("call", to, text).await
    }

    async fn already_sent(
        &self,
        kind: &str,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError> {
        let kept = self.store.dev_messages().await?;
        Ok(kept
            .into_iter()
            .find(|m| m.kind == kind && m.to == to.as_str() && m.body == body)
            .map(|m| format!("dev-{}", m.at)))
    }

    fn sends(&self) -> bool {
        false
    }
}

impl DevOutbox {
    async fn keep(&self, kind: &str, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        let message = DevMessage {
            at: jiff::Timestamp::now().as_millisecond().max(0) as u64,
            to: to.to_string(),
            body: body.to_owned(),
            kind: kind.to_owned(),
        };
        self.store.add_dev_message(&message).await?;
        Ok(format!("dev-{}", message.at))
    }
}

/// How often the outbox is looked at.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// A job handed out this long ago and not acknowledged is taken over (its process stopped, or
/// its attempt failed and waits for a retry).
const TAKE_OVER_AFTER_MS: u64 = 15_000;
/// Every this many rounds the consumer groups are made sure of (they expire with the day).
const ENSURE_EVERY: u32 = 50;

impl WaitingRoom {
    /// Works the outbox off, as `consumer` (one name per server process), forever.
    pub async fn work_outbox(
        &self,
        notifier: Arc<dyn Notifier>,
        texts: Arc<dyn Texts>,
        consumer: String,
    ) {
        let mut ready: HashSet<crate::queue::QueueId> = HashSet::new();
        let mut round: u32 = 0;
        loop {
            round = round.wrapping_add(1);
            if round % ENSURE_EVERY == 0 {
                ready.clear();
            }
            for queue in &self.setup.queues {
                if !ready.contains(&queue.id) {
                    if self.store.ensure_outbox(&queue.id).await.is_err() {
                        continue;
                    }
                    ready.insert(queue.id.clone());
                }
                let stale = self
                    .store
                    .stale_jobs(&queue.id, &consumer, TAKE_OVER_AFTER_MS)
                    .await;
                let fresh = self.store.new_jobs(&queue.id, &consumer, 20).await;
                match (stale, fresh) {
                    (Ok(stale), Ok(fresh)) => {
                        for job in stale.into_iter().chain(fresh) {
                            self.perform(notifier.as_ref(), texts.as_ref(), &job).await;
                        }
                    }
                    _ => {
                        ready.remove(&queue.id);
                    }
                }
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Sends one job and acknowledges it, unless a retry may succeed. A job handed out before is
    /// first looked up: if that attempt reached Twilio, it is not sent again.
    async fn perform(&self, notifier: &dyn Notifier, texts: &dyn Texts, job: &OutboxJob) {
        let (Some(to), Some(body)) = (
            job.field("to").and_then(|t| PhoneNumber::parse(t).ok()),
            job.field("body"),
        ) else {
            tracing::error!(job = %job.id, "an outbox job without a number or text; dropped");
            let _ = self.store.ack_job(job).await;
            return;
        };
        let kind = job.field("kind").unwrap_or("sms");
        // the automatic call says its words in the ticket's language, written now
        let (kind, spoken) = match kind {
            "autodial" => {
                let lang = job.field("lang").and_then(Lang::parse).unwrap_or_default();
                let label = self
                    .setup
                    .queues
                    .iter()
                    .find(|q| q.id == job.queue)
                    .map(|q| {
                        q.label(
                            job.field("number")
                                .and_then(|n| n.parse().ok())
                                .unwrap_or(0),
                        )
                    })
                    .unwrap_or_default();
                let words = texts.turn_near(lang, &label);
                let twiml = crate::twilio::twiml::response(&[crate::twilio::twiml::Verb::Say {
                    text: words.clone(),
                    language: lang.speech_code(),
                    times: 2,
                }]);
                ("call", Some((twiml, words)))
            }
            other => (other, None),
        };
        let body = spoken.as_ref().map_or(body, |(_, words)| words.as_str());
        if job.deliveries > 0 {
            match notifier.already_sent(kind, &to, body).await {
                Ok(Some(sid)) => {
                    tracing::info!(job = %job.id, %sid, "sent by an earlier attempt");
                    let _ = self.store.ack_job(job).await;
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "cannot tell whether it was sent; later");
                    return;
                }
            }
        }
        let twiml = spoken
            .as_ref()
            .map(|(twiml, _)| twiml.as_str())
            .or(job.field("twiml"));
        let made = match (kind, twiml) {
            ("call", Some(twiml)) => notifier.call(&to, twiml, body).await,
            ("sms", _) => notifier.send_sms(&to, body).await,
            (other, _) => {
                tracing::error!(job = %job.id, kind = %other, "an outbox job of no known kind; dropped");
                let _ = self.store.ack_job(job).await;
                return;
            }
        };
        match made {
            Ok(sid) => {
                tracing::info!(job = %job.id, to = %to.masked(), %sid, %kind, sent = notifier.sends(), "sent");
                if let Err(e) = self.store.ack_job(job).await {
                    tracing::warn!(job = %job.id, error = %e, "sent, not yet acknowledged");
                }
                if notifier.sends() {
                    self.note_contact(job, kind, &to, sid, "queued", None).await;
                }
            }
            Err(e) if e.retryable => {
                tracing::warn!(job = %job.id, %kind, error = %e, "not sent; will retry");
            }
            Err(e) => {
                tracing::warn!(job = %job.id, %kind, to = %to.masked(), error = %e, "refused; dropped");
                let _ = self.store.ack_job(job).await;
                // the console's log shows what Twilio refused, and why
                let code = e.code.map(|c| c.to_string());
                let id = format!("job-{}", job.id);
                self.note_contact(job, kind, &to, id, "failed", code.as_deref())
                    .await;
            }
        }
    }

    /// Writes what became of a job into the day's log.
    async fn note_contact(
        &self,
        job: &OutboxJob,
        kind: &str,
        to: &PhoneNumber,
        sid: String,
        status: &str,
        error_code: Option<&str>,
    ) {
        let now_ms = self.setup.calendar.now().now_ms;
        let record = ContactRecord {
            sid,
            kind: kind.to_owned(),
            to: to.masked(),
            status: status.to_owned(),
            progress: progress(status),
            created_at: now_ms,
            updated_at: now_ms,
            error_code: error_code.map(str::to_owned),
            ticket: job.field("number").and_then(|n| n.parse().ok()),
        };
        if let Err(e) = self.store.log_contact(&record).await {
            tracing::warn!(error = %e, "a message or call is missing from the log");
        }
    }

    /// A status callback of Twilio's for message or call `sid`: moves its log entry on, never
    /// backwards; a Sid that is not ours is ignored.
    pub async fn contact_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Result<LogUpdate, super::ServiceError> {
        let now_ms = self.setup.calendar.now().now_ms;
        Ok(self
            .store
            .update_contact(sid, status, progress(status), now_ms, error_code)
            .await?)
    }

    /// The day's SMS and calls, newest first.
    pub async fn contact_log(&self) -> Result<Vec<ContactRecord>, super::ServiceError> {
        Ok(self.store.contact_log().await?)
    }

    /// The dev outbox, newest first (empty when Twilio sends for real).
    pub async fn dev_messages(&self) -> Result<Vec<DevMessage>, super::ServiceError> {
        Ok(self.store.dev_messages().await?)
    }
}
