//! Where SMS and calls go: one [`Notifier`] interface, one file per channel — Twilio
//! ([`TwilioNotifier`]) or, without Twilio credentials, the dev outbox the staff console shows
//! ([`DevOutbox`]) — and what they say ([`Texts`], [`Words`]). The outbox's worker
//! (`services/outbox.rs`) hands them the jobs the queue's scripts made due.

mod dev_outbox;
mod line;
mod twilio;
mod words;

pub use dev_outbox::DevOutbox;
pub use line::LineNotifier;
pub use twilio::TwilioNotifier;
pub use words::{Texts, Words};

use crate::phone::PhoneNumber;
use crate::store::{MessageKind, StoreError};
pub use crate::twilio::client::Cancelled;
use crate::twilio::TwilioError;
use async_trait::async_trait;

/// The longest a call we place may last (Twilio's `TimeLimit`, seconds). The automatic call is
/// the longest: its words and menu take about 15 s to say and the menu waits 8 s for a key, so
/// the first hearing and [`MAX_REPEATS`](crate::services::voice::MAX_REPEATS) repeats take about 92 s, a few more for answering machine
/// detection and the last words; a staff call says its words twice (about 15 s). Past two
/// minutes nobody is listening to a menu any more, and the call costs only its minutes.
pub const CALL_TIME_LIMIT_S: u32 = 120;

/// Where an installation's SMS and calls go: through Twilio when its section has an account
/// (Twilio reports each message's status to `public_url`'s `/twilio/status`, and who answered an
/// automatic call to `/twilio/voice/amd`: the only address it reaches us at), else to the dev outbox in `store`.
pub fn notifier_for(
    twilio: &crate::twilio::TwilioSettings,
    public_url: Option<&str>,
    store: &crate::store::Store,
) -> std::sync::Arc<dyn Notifier> {
    match &twilio.api {
        Some(api) => std::sync::Arc::new(TwilioNotifier {
            client: crate::twilio::TwilioClient::new(api.clone()),
            status_callback: public_url.map(|url| format!("{url}/twilio/status")),
            // answering machine detection reports apart (AsyncAmd)
            machine_callback: public_url.map(|url| format!("{url}/twilio/voice/amd")),
        }),
        None => std::sync::Arc::new(DevOutbox {
            store: store.clone(),
        }),
    }
}

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
impl From<StoreError> for NotifyError {
    fn from(e: StoreError) -> Self {
        Self {
            retryable: true,
            message: e.to_string(),
            code: None,
        }
    }
}

/// A status of a message or call, read from Twilio.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    pub status: String,
    pub error_code: Option<String>,
    pub answered_by: Option<String>,
}

/// Where SMS and calls go.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `body` to `to`; answers its id (Twilio's Sid).
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError>;
    /// Calls `to`; the call says `twiml` (`text`: the same words, for the dev outbox);
    /// `detect_machine`: Twilio tells whether a person or a machine answered.
    async fn call(
        &self,
        to: &PhoneNumber,
        twiml: &str,
        text: &str,
        detect_machine: bool,
    ) -> Result<String, NotifyError>;
    /// What an earlier attempt (of a process that stopped, or whose answer was lost) may have
    /// made of a job made due at `since_ms`: the ids of the messages of `body` to `to` (of the
    /// calls to `to`, for a call) made since, newest first. Scheduled and queued ones count.
    async fn already_sent(
        &self,
        kind: MessageKind,
        to: &PhoneNumber,
        body: &str,
        since_ms: u64,
    ) -> Result<Vec<String>, NotifyError>;
    /// Schedules `body` to `to` at `send_at_ms`; answers its id.
    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError>;
    /// Cancels scheduled message `sid` ([`Cancelled::TooLate`]: it went already).
    async fn cancel_scheduled(&self, sid: &str) -> Result<Cancelled, NotifyError>;
    /// Where message or call `sid` stands now, as Twilio reports it when asked (`None`: not a
    /// message of this channel's, or none to ask about).
    async fn status_of(&self, sid: &str) -> Result<Option<Reported>, NotifyError>;
    /// `true`: messages really leave (Twilio); `false`: the dev outbox.
    fn sends(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilios_refusals_keep_their_code_and_only_what_may_pass_later_is_retried() {
        let refused = NotifyError::from(TwilioError::Api {
            status: 400,
            code: Some(21610),
            message: "unsubscribed".into(),
        });
        assert!(!refused.retryable);
        assert_eq!(refused.code, Some(21610));
        let throttled = NotifyError::from(TwilioError::Api {
            status: 429,
            code: Some(20429),
            message: "too many".into(),
        });
        assert!(throttled.retryable);
        let silent = NotifyError::from(TwilioError::Unreachable("timed out".into()));
        assert!(silent.retryable && silent.code.is_none());
        let redis = NotifyError::from(StoreError::Corrupt("x".into()));
        assert!(
            redis.retryable,
            "Redis failing: a later attempt may succeed"
        );
    }
}
