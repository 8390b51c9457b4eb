//! How far along a message or call is, from the statuses Twilio reports. Callbacks can arrive
//! late or twice: a status never replaces one that is further along (a late `sent` never
//! overwrites `delivered`).

/// 0 for a status we do not know; final statuses are 5.
pub fn progress(status: &str) -> u8 {
    match status {
        "scheduled" | "accepted" | "queued" => 1,
        "initiated" | "sending" => 2,
        "ringing" | "sent" => 3,
        "in-progress" | "answered" => 4,
        "delivered" | "undelivered" | "failed" | "read" | "canceled" | "completed" | "busy"
        | "no-answer" | "received" => 5,
        _ => 0,
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
}
