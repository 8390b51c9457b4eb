//! Twilio: SMS and calls really leave, and report their status to our callback.

use super::{Cancelled, Notifier, NotifyError, Reported};
use crate::phone::PhoneNumber;
use crate::store::MessageKind;
use crate::twilio::TwilioClient;
use async_trait::async_trait;

/// Twilio, with the status callback URL its messages report to, and the one its answering
/// machine detection reports to (`/twilio/voice/amd`).
pub struct TwilioNotifier {
    pub client: TwilioClient,
    pub status_callback: Option<String>,
    pub machine_callback: Option<String>,
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
        detect_machine: bool,
    ) -> Result<String, NotifyError> {
        let call = crate::twilio::Call {
            to,
            script: crate::twilio::CallScript::Twiml(twiml.to_owned()),
            status_callback: self.status_callback.clone(),
            timeout_s: 25,
            time_limit_s: super::CALL_TIME_LIMIT_S,
            machine_callback: self.machine_callback.clone().filter(|_| detect_machine),
        };
        Ok(self.client.call(&call).await?.sid)
    }

    async fn already_sent(
        &self,
        kind: MessageKind,
        to: &PhoneNumber,
        body: &str,
        since_ms: u64,
    ) -> Result<Vec<String>, NotifyError> {
        let made = match kind {
            // a call carries no text to tell it by: every call to the number since
            MessageKind::Call => self.client.find_call(to, since_ms).await?,
            MessageKind::Sms => {
                self.client
                    .find_message(to, body.to_owned(), since_ms)
                    .await?
            }
        };
        Ok(made.into_iter().map(|m| m.sid).collect())
    }

    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError> {
        let at = |ms: u64| {
            jiff::Timestamp::from_millisecond(ms as i64).map_err(|e| NotifyError {
                retryable: false,
                message: e.to_string(),
                code: None,
            })
        };
        let now = jiff::Timestamp::now().as_millisecond().max(0) as u64;
        let sent = self
            .client
            .schedule_sms(
                to,
                body,
                at(send_at_ms)?,
                at(now)?,
                self.status_callback.as_deref(),
            )
            .await?;
        Ok(sent.sid)
    }

    async fn cancel_scheduled(&self, sid: &str) -> Result<Cancelled, NotifyError> {
        Ok(self.client.cancel_sms(sid).await?)
    }

    async fn status_of(&self, sid: &str) -> Result<Option<Reported>, NotifyError> {
        let now = self.client.fetch(sid).await?;
        Ok(Some(Reported {
            error_code: now.error(),
            status: now.status,
            answered_by: now.answered_by,
        }))
    }

    fn sends(&self) -> bool {
        true
    }
}
