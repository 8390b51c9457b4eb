//! How far along a message or call is, from the statuses Twilio reports. Callbacks can arrive
//! late or twice: a status never replaces one that is further along (a late `sent` never
//! overwrites `delivered`).

/// The status of an SMS or call the dev outbox kept (no Twilio): never sent, and final.
pub const UNSENT: &str = "unsent";

/// 0 for a status we do not know; final statuses are 5.
pub fn progress(status: &str) -> u8 {
    match status {
        "scheduled" | "accepted" | "queued" => 1,
        "initiated" | "sending" => 2,
        "ringing" | "sent" => 3,
        "in-progress" | "answered" => 4,
        "delivered" | "undelivered" | "failed" | "read" | "canceled" | "completed" | "busy"
        | "no-answer" | "received" | UNSENT => 5,
        _ => 0,
    }
}

/// What staff read of a status: Twilio's many statuses in the few words that matter at a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// On its way to Twilio or the carrier (queued, accepted, scheduled, sending, initiated).
    Sending,
    /// Handed to the carrier, not yet confirmed (an SMS).
    Sent,
    /// Reached the phone (an SMS).
    Delivered,
    /// Could not be delivered or placed.
    Failed,
    Ringing,
    /// Answered, the call goes on.
    InCall,
    /// The call was answered and has ended.
    Completed,
    Busy,
    NoAnswer,
    Canceled,
    /// An SMS the customer sent us.
    Received,
    /// Kept in the dev outbox: not sent (no Twilio).
    Unsent,
}

impl Stage {
    pub fn of(status: &str) -> Self {
        match status {
            "sent" => Stage::Sent,
            "delivered" | "read" => Stage::Delivered,
            "undelivered" | "failed" => Stage::Failed,
            "ringing" => Stage::Ringing,
            "in-progress" | "answered" => Stage::InCall,
            "completed" => Stage::Completed,
            "busy" => Stage::Busy,
            "no-answer" => Stage::NoAnswer,
            "canceled" => Stage::Canceled,
            "received" => Stage::Received,
            UNSENT => Stage::Unsent,
            _ => Stage::Sending,
        }
    }

    /// A call that did not reach a person: the customer is texted instead.
    pub fn missed_call(status: &str, answered_by: Option<&str>) -> bool {
        matches!(
            Stage::of(status),
            Stage::Busy | Stage::NoAnswer | Stage::Failed | Stage::Canceled
        ) || answered_by.is_some_and(|a| a.starts_with("machine") || a == "fax")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_further_along_than_the_ones_before_it() {
        let message = ["queued", "sending", "sent", "delivered"];
        let call = ["queued", "initiated", "ringing", "in-progress", "completed"];
        for steps in [&message[..], &call[..]] {
            for pair in steps.windows(2) {
                assert!(progress(pair[0]) < progress(pair[1]), "{pair:?}");
            }
        }
        assert_eq!(progress("delivered"), progress("undelivered"));
        assert_eq!(progress("no-answer"), progress("busy"));
        assert_eq!(progress("whatever"), 0);
    }

    #[test]
    fn a_call_nobody_answered_is_a_missed_one() {
        for status in ["busy", "no-answer", "failed", "canceled"] {
            assert!(Stage::missed_call(status, None), "{status}");
        }
        assert!(!Stage::missed_call("completed", Some("human")));
        assert!(!Stage::missed_call("completed", None));
        assert!(Stage::missed_call("completed", Some("machine_end_beep")));
        assert!(Stage::missed_call("in-progress", Some("fax")));
        assert_eq!(Stage::of("in-progress"), Stage::InCall);
        assert_eq!(Stage::of("queued"), Stage::Sending);
        assert!(
            !Stage::missed_call(UNSENT, None),
            "the dev outbox texts nobody instead"
        );
    }
}
