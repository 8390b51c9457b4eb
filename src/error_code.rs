//! Every error the server answers, by its stable code (the JSON body's `error`), with its HTTP
//! status: the one table of both. The use cases' refusals ([`crate::services::ServiceError`]),
//! the pages' errors (`app::error::AppError`) and the JSON API's answers all take their code and
//! status from here; this module is plain data, so the browser's build has it too.

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $status:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $name,)*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$name),*];

            /// The code as the JSON body's `error` names it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $code,)*
                }
            }

            /// The HTTP status of an answer with this code.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$name => $status,)*
                }
            }
        }
    };
}

error_codes! {
    // a use case refused (nothing was changed)
    UnknownQueue = "unknown_queue", 404;
    UnknownCounter = "unknown_counter", 422;
    TicketNotFound = "ticket_not_found", 404;
    /// A ticket of an earlier business day: it is over.
    TicketOfEarlierDay = "ticket_of_earlier_day", 410;
    NobodyWaiting = "nobody_waiting", 409;
    /// The ticket is in another state, or changed since it was seen.
    TicketChanged = "ticket_changed", 409;
    IntakePaused = "intake_paused", 409;
    /// The day's cap of tickets is reached.
    DayFull = "day_full", 409;
    /// Remote intake's share of the day is taken (the kiosk in the store still issues).
    RemoteFull = "remote_full", 409;
    /// Before the queue's opening time today.
    NotOpenYet = "not_open_yet", 409;
    /// After the queue's closing time: 本日の受付は終了しました.
    ClosedToday = "closed_today", 409;
    /// A ticket taken from outside now would not be served before closing: 本日のオンライン受付は終了しました.
    RemoteClosedToday = "remote_closed_today", 409;
    /// A client holds its most active tickets.
    LimitActive = "limit_active", 429;
    /// A client (a phone) took its most tickets this hour.
    LimitPerHour = "limit_per_hour", 429;
    /// A client address (its network) took its most tickets this hour.
    LimitAddress = "limit_address", 429;
    /// A kiosk issued its most tickets this minute.
    LimitKiosk = "limit_kiosk", 429;
    /// The device is not a kiosk (or its kiosk was revoked).
    NotAKiosk = "not_a_kiosk", 403;
    KioskNotFound = "kiosk_not_found", 404;
    BadKioskName = "bad_kiosk_name", 422;
    TooManyKiosks = "too_many_kiosks", 409;
    /// Not a number texts may go to (the body's `reason` says why).
    BadPhone = "bad_phone", 422;
    /// A ticket had its most verification SMS.
    SmsPerTicket = "sms_per_ticket", 429;
    /// A limit of verification SMS (per number, per address or in all) is reached.
    SmsLimited = "sms_limited", 429;
    /// A limit of phone registrations (per ticket, per number, per address) is reached.
    PhoneLimited = "phone_limited", 429;
    /// The number texted STOP: nothing is sent to it until it texts START.
    PhoneStopped = "phone_stopped", 409;
    /// A verification link that expired, was used, or was sent to an older number.
    LinkExpired = "link_expired", 410;
    /// The ticket has no verified phone.
    NoPhone = "no_phone", 409;
    ResetNotConfirmed = "reset_not_confirmed", 422;
    /// The automatic call's reach is out of range.
    BadAutodial = "bad_autodial", 422;
    /// A console setting (late arrivals, opening hours, the daily limit) out of its range.
    BadSetting = "bad_setting", 422;
    WrongPassword = "wrong_password", 401;
    /// Too many failed sign-ins from this address.
    TooManyAttempts = "too_many_attempts", 429;

    // the request itself
    /// Input no screen of ours sends (a missing or malformed field).
    BadRequest = "bad_request", 400;
    /// A staff page's server function without a staff session.
    NotSignedIn = "not_signed_in", 401;
    /// A JSON API call without a valid staff token.
    Unauthorized = "unauthorized", 401;
    /// The request did not come from this site's own pages (CSRF).
    Forbidden = "forbidden", 403;
    /// One address holds its most live connections.
    TooManyConnections = "too_many_connections", 429;
    /// An API call with the `Idempotency-Key` of a call still being carried out.
    IdempotencyInProgress = "idempotency_in_progress", 409;
    /// An API call with the `Idempotency-Key` of another call (another route or body).
    IdempotencyKeyReused = "idempotency_key_reused", 422;

    // the server
    /// A request panicked (or a step of it could not finish).
    Internal = "internal", 500;
    /// The browser could not reach the server, or could not read its answer (never sent by the
    /// server).
    Network = "network", 502;
    /// Redis (or another part of the server) cannot be reached, or the server is full, right
    /// now: try again shortly.
    Unavailable = "unavailable", 503;
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_distinct_snake_case_with_an_error_status() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert!((400..600).contains(&code.status()), "{name}");
        }
        assert_eq!(ErrorCode::LimitAddress.to_string(), "limit_address");
        assert_eq!(ErrorCode::Unavailable.status(), 503);
    }
}
