//! Every problem the server answers, declared once: its stable code (the JSON body's `error`), its
//! HTTP status, the fields its words need and its English message (the API's `message`, the log's
//! line). [`Problem`] is what a use case refuses with, what a page gets from a server function
//! (`{"error": "day_full", "max": 3}`) and what the JSON API answers; [`ErrorCode`] is its code
//! alone. Adding a refusal is a row here, its words in `app/src/error.rs` and the locale files.
//! Plain data: the browser's build has it too.

use crate::phone::BadPhoneReason;
use crate::queue::Intake;
use crate::ticket::TicketState;
use serde::{Deserialize, Serialize};

macro_rules! problems {
    ($(
        $(#[$attr:meta])*
        $name:ident $({ $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)? })? = $code:literal, $status:literal;
    )*) => {
        /// A problem: what was refused (nothing was changed), what was wrong with the request,
        /// or that the server cannot answer now.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
        #[serde(tag = "error")]
        pub enum Problem {
            $($(#[$attr])* #[serde(rename = $code)] $name $({ $($(#[$field_attr])* $field: $ty),* })?,)*
        }

        /// A problem's code alone.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($name,)*
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

        impl Problem {
            pub fn code(&self) -> ErrorCode {
                match self {
                    $(Problem::$name { .. } => ErrorCode::$name,)*
                }
            }
        }
    };
}

problems! {
    // a use case refused (nothing was changed)
    #[error("there is no queue {queue:?}")]
    UnknownQueue { #[serde(skip)] queue: String } = "unknown_queue", 404;
    #[error("there is no counter {counter:?}")]
    UnknownCounter { #[serde(skip)] counter: String } = "unknown_counter", 422;
    #[error("no such ticket")]
    TicketNotFound = "ticket_not_found", 404;
    /// A ticket of an earlier business day: it is over.
    #[error("the ticket is of an earlier day")]
    TicketOfEarlierDay = "ticket_of_earlier_day", 410;
    #[error("nobody is waiting")]
    NobodyWaiting = "nobody_waiting", 409;
    /// The ticket is in another state, or changed since it was seen.
    #[error("the ticket changed meanwhile (now {state:?})")]
    TicketChanged { state: TicketState } = "ticket_changed", 409;
    #[error("intake is paused ({intake:?})")]
    IntakePaused { intake: Intake } = "intake_paused", 409;
    /// The day's cap of tickets is reached.
    #[error("today's {max} tickets are all issued")]
    DayFull { max: u32 } = "day_full", 409;
    /// Remote intake's share of the day is taken (the kiosk in the store still issues).
    #[error("today's {max} tickets for remote intake are all issued")]
    RemoteFull { max: u32 } = "remote_full", 409;
    /// Before the queue's opening time today.
    #[error("intake has not opened yet today")]
    NotOpenYet = "not_open_yet", 409;
    /// After the queue's closing time: 本日の受付は終了しました.
    #[error("intake is closed for today")]
    ClosedToday = "closed_today", 409;
    /// A ticket taken from outside now would not be served before closing: 本日のオンライン受付は終了しました.
    #[error("remote intake is closed for today")]
    RemoteClosedToday = "remote_closed_today", 409;
    /// A client holds its most active tickets (the limit lifts as one finishes).
    #[error("a client may hold at most {max} active tickets")]
    LimitActive { max: u32 } = "limit_active", 429;
    /// A client (a phone) took its most tickets this hour; `Retry-After`: when the window ends.
    #[error("this client took {max} tickets in the last hour")]
    LimitPerHour { max: u32, #[serde(skip)] retry_after_s: u64 } = "limit_per_hour", 429;
    /// A client address (its network) took its most tickets this hour.
    #[error("{max} tickets were taken from this address in the last hour")]
    LimitAddress { max: u32, #[serde(skip)] retry_after_s: u64 } = "limit_address", 429;
    /// A kiosk issued its most tickets this minute.
    #[error("this kiosk issued {max} tickets in the last minute")]
    LimitKiosk { max: u32, #[serde(skip)] retry_after_s: u64 } = "limit_kiosk", 429;
    /// The device is not a kiosk (or its kiosk was revoked).
    #[error("this device is not a kiosk (staff set one up from the console)")]
    NotAKiosk = "not_a_kiosk", 403;
    #[error("no such kiosk")]
    KioskNotFound = "kiosk_not_found", 404;
    #[error("a kiosk's name is 1 to 40 characters")]
    BadKioskName = "bad_kiosk_name", 422;
    #[error("at most {max} kiosks")]
    TooManyKiosks { max: usize } = "too_many_kiosks", 409;
    /// Not a number texts may go to (`reason`: `not_a_number`, `not_japanese`, `country`,
    /// `not_mobile`: it cannot receive the verification SMS; `not_callable`).
    #[error("not a phone number we can text or call ({reason:?})")]
    BadPhone { reason: BadPhoneReason } = "bad_phone", 422;
    /// A ticket had its most verification SMS.
    #[error("this ticket had its {max} verification SMS")]
    SmsPerTicket { max: u32 } = "sms_per_ticket", 429;
    /// A limit of verification SMS (per number, per address or in all) is reached.
    #[error("the limit of verification SMS is reached; try later")]
    SmsLimited = "sms_limited", 429;
    /// A limit of phone registrations (per ticket, per number, per address) is reached.
    #[error("too many phone registrations; try later")]
    PhoneLimited = "phone_limited", 429;
    /// The number texted STOP: nothing is sent to it until it texts START.
    #[error("this number asked for no more texts (STOP); text START to resume")]
    PhoneStopped = "phone_stopped", 409;
    /// A verification link that expired, was used, or was sent to an older number.
    #[error("the verification link expired or was used")]
    LinkExpired = "link_expired", 410;
    /// The ticket has no verified phone.
    #[error("the ticket has no verified phone")]
    NoPhone = "no_phone", 409;
    #[error("the reset was not confirmed (type \"reset\")")]
    ResetNotConfirmed = "reset_not_confirmed", 422;
    /// The automatic call's reach is out of range.
    #[error("the automatic call's reach is 0 to {max} places")]
    BadAutodial { max: u32 } = "bad_autodial", 422;
    /// A console setting (late arrivals, opening hours, the daily limit) out of its range (the
    /// detail names the range).
    #[error("{detail}")]
    BadSetting { #[serde(skip)] detail: String } = "bad_setting", 422;
    #[error("wrong login or password")]
    WrongPassword = "wrong_password", 401;
    /// The account was disabled by an admin.
    #[error("this account is disabled")]
    AccountDisabled = "account_disabled", 403;
    /// Signed in with a temporary password: a new one first.
    #[error("choose a new password first")]
    PasswordChangeRequired = "password_change_required", 403;
    /// The signed-in account's role may not do this.
    #[error("this needs the {needs:?} role or above")]
    NotAllowed { needs: crate::account::Role } = "not_allowed", 403;
    #[error("no such account")]
    AccountNotFound = "account_not_found", 404;
    #[error("this login is taken")]
    LoginTaken = "login_taken", 409;
    #[error("a login is 1 to 32 of a-z, 0-9, '.', '_' and '-'")]
    BadLogin = "bad_login", 422;
    #[error("a name is 1 to 40 characters")]
    BadAccountName = "bad_account_name", 422;
    /// A new password too short (or too long).
    #[error("a password is {min} to 128 characters")]
    WeakPassword { min: usize } = "weak_password", 422;
    /// The owner cannot be disabled, demoted or made twice; the owner's password is set where
    /// the server's settings are (`ADMIN_PASSWORD`).
    #[error("the owner's account is kept as it is")]
    OwnerIsKept = "owner_is_kept", 409;
    /// An API token without the scope a call needs.
    #[error("this token's scopes do not include `{}`", .needs.as_str())]
    MissingScope { needs: crate::account::ApiScope } = "missing_scope", 403;
    #[error("no such API token")]
    TokenNotFound = "token_not_found", 404;
    /// The account changed meanwhile (another admin): read it again.
    #[error("the account changed meanwhile; try again")]
    AccountChanged = "account_changed", 409;
    /// Too many failed sign-ins from this address.
    #[error("too many failed sign-ins from this address; retry in {wait_minutes} min")]
    TooManyAttempts { wait_minutes: u64, #[serde(skip)] retry_after_s: u64 } = "too_many_attempts", 429;

    // the request itself
    /// Input no screen of ours sends (a missing or malformed field).
    #[error("bad request: {detail}")]
    BadRequest { detail: String } = "bad_request", 400;
    /// A staff page's server function without a staff session.
    #[error("staff sign-in required")]
    NotSignedIn = "not_signed_in", 401;
    /// A JSON API call without a valid staff token.
    #[error("a valid staff token is required (Authorization: Bearer ...)")]
    Unauthorized = "unauthorized", 401;
    /// The request did not come from this site's own pages (CSRF).
    #[error("requests from another site's pages are refused")]
    Forbidden = "forbidden", 403;
    /// One address holds its most live connections.
    #[error("at most {max} live connections from one address")]
    TooManyConnections { max: usize } = "too_many_connections", 429;
    /// An API call with the `Idempotency-Key` of a call still being carried out.
    #[error("a call with this Idempotency-Key is still being carried out; retry shortly")]
    IdempotencyInProgress = "idempotency_in_progress", 409;
    /// An API call with the `Idempotency-Key` of another call (another route or body).
    #[error("this Idempotency-Key was used for another call (another route or body)")]
    IdempotencyKeyReused = "idempotency_key_reused", 422;

    // the server
    /// A request panicked (or a step of it could not finish).
    #[error("internal error")]
    Internal = "internal", 500;
    /// The browser could not reach the server, or could not read its answer (never sent by the
    /// server).
    #[error("network error: {detail}")]
    Network { detail: String } = "network", 502;
    /// Redis (or another part of the server) cannot be reached, or the server is full, right
    /// now: try again shortly.
    #[error("the service is unavailable; try again shortly")]
    Unavailable = "unavailable", 503;
}

impl Problem {
    /// The HTTP status of an answer with this problem.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// How long until trying again may succeed: the window of the limit that refused (none when
    /// the limit lifts as a ticket finishes, and for every other problem).
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            Problem::LimitPerHour { retry_after_s, .. }
            | Problem::LimitAddress { retry_after_s, .. }
            | Problem::LimitKiosk { retry_after_s, .. }
            | Problem::TooManyAttempts { retry_after_s, .. } => Some(*retry_after_s),
            _ => None,
        }
    }

    /// Too many failed sign-ins: wait `retry_after_s` (shown in whole minutes, at least one).
    pub fn too_many_attempts(retry_after_s: u64) -> Self {
        Problem::TooManyAttempts {
            wait_minutes: retry_after_s.div_ceil(60).max(1),
            retry_after_s,
        }
    }

    /// Whether trying again later may succeed (the server or Redis could not be reached).
    pub fn is_transient(&self) -> bool {
        matches!(self, Problem::Unavailable | Problem::Network { .. })
    }
}

impl Problem {
    /// One problem of every code, with sample fields (for the tests of every side that answers
    /// them; a unit test below checks that it has every code).
    pub fn one_of_each() -> Vec<Problem> {
        vec![
            Problem::Unavailable,
            Problem::UnknownQueue {
                queue: "x".to_owned(),
            },
            Problem::UnknownCounter {
                counter: "x".to_owned(),
            },
            Problem::TicketNotFound,
            Problem::TicketOfEarlierDay,
            Problem::NobodyWaiting,
            Problem::TicketChanged {
                state: TicketState::Called,
            },
            Problem::IntakePaused {
                intake: Intake::RemotePaused,
            },
            Problem::DayFull { max: 3 },
            Problem::RemoteFull { max: 2 },
            Problem::NotOpenYet,
            Problem::ClosedToday,
            Problem::RemoteClosedToday,
            Problem::LimitActive { max: 2 },
            Problem::LimitPerHour {
                max: 4,
                retry_after_s: 60,
            },
            Problem::LimitKiosk {
                max: 30,
                retry_after_s: 5,
            },
            Problem::NotAKiosk,
            Problem::KioskNotFound,
            Problem::BadKioskName,
            Problem::TooManyKiosks { max: 100 },
            Problem::BadPhone {
                reason: BadPhoneReason::CountryNotAllowed,
            },
            Problem::SmsPerTicket { max: 3 },
            Problem::SmsLimited,
            Problem::PhoneLimited,
            Problem::PhoneStopped,
            Problem::LinkExpired,
            Problem::NoPhone,
            Problem::LimitAddress {
                max: 20,
                retry_after_s: 61,
            },
            Problem::NotSignedIn,
            Problem::Forbidden,
            Problem::WrongPassword,
            Problem::AccountDisabled,
            Problem::PasswordChangeRequired,
            Problem::NotAllowed {
                needs: crate::account::Role::Manager,
            },
            Problem::AccountNotFound,
            Problem::LoginTaken,
            Problem::BadLogin,
            Problem::BadAccountName,
            Problem::WeakPassword { min: 10 },
            Problem::OwnerIsKept,
            Problem::AccountChanged,
            Problem::MissingScope {
                needs: crate::account::ApiScope::Act,
            },
            Problem::TokenNotFound,
            Problem::too_many_attempts(900),
            Problem::ResetNotConfirmed,
            Problem::BadAutodial { max: 10 },
            Problem::BadSetting {
                detail: "0 to 10".to_owned(),
            },
            Problem::BadRequest {
                detail: "x".to_owned(),
            },
            Problem::Network {
                detail: "x".to_owned(),
            },
            Problem::Unauthorized,
            Problem::TooManyConnections { max: 8 },
            Problem::IdempotencyInProgress,
            Problem::IdempotencyKeyReused,
            Problem::Internal,
        ]
    }
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
        let examples: Vec<ErrorCode> = Problem::one_of_each().iter().map(Problem::code).collect();
        let mut all = ErrorCode::ALL.to_vec();
        let mut sorted = examples.clone();
        all.sort_by_key(|c| c.as_str());
        sorted.sort_by_key(|c| c.as_str());
        assert_eq!(sorted, all, "one example of every code, once");
        assert_eq!(ErrorCode::Unavailable.status(), 503);
    }
}
