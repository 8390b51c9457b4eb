//! Sending what the outbox holds: through Twilio, or — without Twilio credentials — into the dev
//! outbox the staff console shows, clearly marked as not sent. Every server process works the
//! outbox off; Twilio down or slow never slows the queue, which only writes the job.

use super::WaitingRoom;
use crate::phone::PhoneNumber;
use crate::store::{DevMessage, OutboxJob, Store};
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
}

impl From<TwilioError> for NotifyError {
    fn from(e: TwilioError) -> Self {
        Self {
            retryable: e.is_retryable(),
            message: e.to_string(),
        }
    }
}

/// Where SMS (and, later, calls) go.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `body` to `to`; answers its id (Twilio's Sid).
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError>;
    /// The id of `body` to `to` if an earlier attempt (of a process that stopped) already sent it.
    async fn already_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError>;
    /// `true`: messages really leave (Twilio); `false`: the dev outbox.
    fn sends(&self) -> bool;
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

    async fn already_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError> {
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
        let message = DevMessage {
            at: jiff::Timestamp::now().as_millisecond().max(0) as u64,
            to: to.to_string(),
            body: body.to_owned(),
            kind: "sms".to_owned(),
        };
        self.store
            .add_dev_message(&message)
            .await
            .map_err(|e| NotifyError {
                retryable: true,
                message: e.to_string(),
            })?;
        Ok(format!("dev-{}", message.at))
    }

    async fn already_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError> {
        let kept = self.store.dev_messages().await.map_err(|e| NotifyError {
            retryable: true,
            message: e.to_string(),
        })?;
        Ok(kept
            .into_iter()
            .find(|m| m.to == to.as_str() && m.body == body)
            .map(|m| format!("dev-{}", m.at)))
    }

    fn sends(&self) -> bool {
        false
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
    pub async fn work_outbox(&self, notifier: Arc<dyn Notifier>, consumer: String) {
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
                            self.perform(notifier.as_ref(), &job).await;
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
    async fn perform(&self, notifier: &dyn Notifier, job: &OutboxJob) {
        let (Some(to), Some(body)) = (
            job.field("to").and_then(|t| PhoneNumber::parse(t).ok()),
            job.field("body"),
        ) else {
            tracing::error!(job = %job.id, "an outbox job without a number or text; dropped");
            let _ = self.store.ack_job(job).await;
            return;
        };
        if job.deliveries > 0 {
            match notifier.already_sent(&to, body).await {
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
        match notifier.send_sms(&to, body).await {
            Ok(sid) => {
                tracing::info!(job = %job.id, to = %to.masked(), %sid, sent = notifier.sends(), "SMS");
                if let Err(e) = self.store.ack_job(job).await {
                    tracing::warn!(job = %job.id, error = %e, "sent, not yet acknowledged");
                }
            }
            Err(e) if e.retryable => {
                tracing::warn!(job = %job.id, error = %e, "SMS not sent; will retry");
            }
            Err(e) => {
                tracing::warn!(job = %job.id, to = %to.masked(), error = %e, "SMS refused; dropped");
                let _ = self.store.ack_job(job).await;
            }
        }
    }

    /// The dev outbox, newest first (empty when Twilio sends for real).
    pub async fn dev_messages(&self) -> Result<Vec<DevMessage>, super::ServiceError> {
        Ok(self.store.dev_messages().await?)
    }
}
