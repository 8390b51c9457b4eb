//! The dev outbox: without Twilio credentials, what would have been sent is kept in Redis for
//! the staff console, marked as not sent.

use super::{Cancelled, Notifier, NotifyError, Reported};
use crate::phone::PhoneNumber;
use crate::store::{DevMessage, MessageKind, Store};
use async_trait::async_trait;

/// Without Twilio: messages are kept in Redis for the console, marked as not sent.
pub struct DevOutbox {
    pub store: Store,
}

#[async_trait]
impl Notifier for DevOutbox {
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        self.keep(MessageKind::Sms.as_str(), to, body).await
    }

    async fn call(
        &self,
        to: &PhoneNumber,
        _twiml: &str,
        text: &str,
        _detect_machine: bool,
    ) -> Result<String, NotifyError> {
        self.keep(MessageKind::Call.as_str(), to, text).await
    }

    async fn already_sent(
        &self,
        kind: MessageKind,
        to: &PhoneNumber,
        body: &str,
        since_ms: u64,
    ) -> Result<Vec<String>, NotifyError> {
        let kept = self.store.outbox_stream().dev_messages().await?;
        Ok(sent_before(&kept, kind, to, body, since_ms))
    }

    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError> {
        self.keep(SCHEDULED, to, &scheduled_text(body, send_at_ms))
            .await
    }

    async fn cancel_scheduled(&self, sid: &str) -> Result<Cancelled, NotifyError> {
        tracing::info!(%sid, "dev outbox: a scheduled message is cancelled");
        Ok(Cancelled::Cancelled)
    }

    async fn status_of(&self, _sid: &str) -> Result<Option<Reported>, NotifyError> {
        Ok(None)
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
        self.store.outbox_stream().add_dev_message(&message).await?;
        Ok(id_of(&message))
    }
}

/// The kind of a scheduled SMS, beside `sms` and `call`.
const SCHEDULED: &str = "scheduled";

/// The id a kept message stands for (in place of Twilio's Sid).
fn id_of(message: &DevMessage) -> String {
    format!("dev-{}", message.at)
}

/// The ids of the messages of `kind` with `body` to `to` kept since `since_ms`, newest first.
fn sent_before(
    kept: &[DevMessage],
    kind: MessageKind,
    to: &PhoneNumber,
    body: &str,
    since_ms: u64,
) -> Vec<String> {
    kept.iter()
        .filter(|m| m.kind == kind.as_str() && m.to == to.as_str() && m.body == body)
        .filter(|m| m.at >= since_ms)
        .map(id_of)
        .collect()
}

/// A scheduled SMS as kept: when it would go, then its text.
fn scheduled_text(body: &str, send_at_ms: u64) -> String {
    let when = jiff::Timestamp::from_millisecond(send_at_ms as i64)
        .map(|t| t.to_string())
        .unwrap_or_default();
    format!("[{when}] {body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(kind: &str, to: &str, body: &str, at: u64) -> DevMessage {
        DevMessage {
            at,
            to: to.into(),
            body: body.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn a_message_was_sent_before_only_with_its_kind_number_and_words() {
        let to = PhoneNumber::parse("090-1234-5678").unwrap();
        let all = [
            kept("call", "+819012345678", "42番の方", 1),
            kept("sms", "+819087654321", "42番の方", 2),
            kept("sms", "+819012345678", "42番の方", 3),
        ];
        assert_eq!(
            sent_before(&all, MessageKind::Sms, &to, "42番の方", 0),
            ["dev-3"]
        );
        assert_eq!(
            sent_before(&all, MessageKind::Call, &to, "42番の方", 0),
            ["dev-1"]
        );
        assert!(sent_before(&all, MessageKind::Sms, &to, "43番の方", 0).is_empty());
        assert!(sent_before(&all[..2], MessageKind::Sms, &to, "42番の方", 0).is_empty());
        assert!(
            sent_before(&all, MessageKind::Call, &to, "42番の方", 2).is_empty(),
            "kept before the job was made: another job's"
        );
    }

    #[test]
    fn a_scheduled_text_shows_when_it_would_go() {
        assert_eq!(
            scheduled_text("まもなくです", 1_764_000_000_000),
            "[2025-11-24T16:00:00Z] まもなくです"
        );
    }
}
