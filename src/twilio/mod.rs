//! Twilio: the REST client, webhook signatures and TwiML. Everything about Twilio's wire format
//! lives here; the use cases decide what to send. `status` (what a status means) is the domain's
//! (`domain::twilio::status`, in the browser's build too).

pub mod client;
pub mod opt_out;
pub mod signature;
pub use domain::twilio::status;
pub mod twiml;

pub use client::{Call, CallScript, Resource, TwilioClient, TwilioConfig, TwilioError};

/// Twilio's section of the configuration (`TWILIO_*`). A new Twilio setting is one more field
/// here, read in the server's `config.rs`. No `Debug`: it holds secrets.
#[derive(Clone, Default)]
pub struct TwilioSettings {
    /// The REST API's account and sender; `None`: SMS and calls go to the dev outbox.
    pub api: Option<TwilioConfig>,
    /// `TWILIO_AUTH_TOKEN`: what Twilio signs its webhooks with (`None`: every webhook is
    /// refused).
    pub auth_token: Option<String>,
}

impl TwilioSettings {
    /// Whether SMS and calls really leave (Twilio), or go to the dev outbox.
    pub fn sends(&self) -> bool {
        self.api.is_some()
    }

    /// Whether SMS can be scheduled (Twilio with a messaging service, or the dev outbox): the
    /// ticket page offers reminders only then.
    pub fn schedules_sms(&self) -> bool {
        self.api
            .as_ref()
            .is_none_or(|api| api.messaging_service_sid.is_some())
    }
}

/// Whether Twilio's `StirVerstat` on an inbound call says the caller ID failed its STIR/SHAKEN
/// check (`TN-Validation-Failed`, `TN-Validation-Failed-A`, `-B`, `-C`): the number the call
/// claims to come from may be forged. Absent (most calls to Japan carry none), passed or
/// `No-TN-Validation`: nothing is known against it.
pub fn caller_id_failed(stir_verstat: Option<&str>) -> bool {
    stir_verstat.is_some_and(|v| v.trim().starts_with("TN-Validation-Failed"))
}

#[cfg(test)]
mod attestation_tests {
    use super::caller_id_failed;

    #[test]
    fn only_a_failed_attestation_counts_against_the_caller_id() {
        for failed in [
            "TN-Validation-Failed",
            "TN-Validation-Failed-A",
            "TN-Validation-Failed-C",
        ] {
            assert!(caller_id_failed(Some(failed)), "{failed}");
        }
        for other in [
            None,
            Some(""),
            Some("TN-Validation-Passed-A"),
            Some("No-TN-Validation"),
        ] {
            assert!(!caller_id_failed(other), "{other:?}");
        }
    }
}
