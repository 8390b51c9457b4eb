//! The dev outbox: without Twilio credentials, what would have been sent is kept in Redis for
//! the staff console, marked as not sent.

use super::{Notifier, NotifyError};
use crate::phone::PhoneNumber;
use crate::store::{DevMessage, Store};
use async_trait::async_trait;

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
        _detect_machine: bool,
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

    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError> {
        let when = jiff::Timestamp::from_millisecond(send_at_ms as i64)
            .map(|t| t.to_string())
            .unwrap_or_default();
        self.keep("scheduled", to, &format!("[{when}] {body}"))
            .await
    }

    async fn cancel_scheduled(&self, sid: &str) -> Result<(), NotifyError> {
        tracing::info!(%sid, "dev outbox: a scheduled message is cancelled");
        Ok(())
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
