//! The errors a screen can get from a server function, as they cross to the browser: a
//! [`Problem`] (the one table of codes, statuses and fields, `domain/src/problem.rs`), its JSON body's
//! `error` the code, with the fields the words need (`{"error": "day_full", "max": 3}`); most are
//! a use case's refusal, `waitingroom::services::ServiceError` (`From` below, on the server). The
//! words a clerk or customer reads are the locale files' `error.*`, in the page's language: the
//! one `match` of this file, which a new problem fails to compile until it has its words.

use crate::i18n::{td_string, Locale};
use domain::{BadPhoneReason, ErrorCode, Intake, Problem, Role, TicketState};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A [`Problem`] as it crosses to the browser: the same JSON (`{"error": "day_full", "max": 3}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error(transparent)]
pub struct AppError(pub Problem);

impl From<Problem> for AppError {
    fn from(problem: Problem) -> Self {
        AppError(problem)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        use ServerFnErrorErr as E;
        match value {
            E::Args(detail)
            | E::MissingArg(detail)
            | E::Deserialization(detail)
            | E::UnsupportedRequestMethod(detail) => AppError(Problem::BadRequest { detail }),
            E::Request(detail) | E::Response(detail) => AppError(Problem::Network { detail }),
            E::Registration(_)
            | E::ServerError(_)
            | E::MiddlewareError(_)
            | E::Serialization(_) => AppError(Problem::Unavailable),
        }
    }
}

impl AppError {
    /// The error's code (the JSON body's `error`).
    pub fn code(&self) -> ErrorCode {
        self.0.code()
    }

    /// The HTTP status a server function answers with this error.
    pub fn status(&self) -> u16 {
        self.0.status()
    }

    /// Whether trying again later may succeed (the server or Redis could not be reached).
    pub fn is_transient(&self) -> bool {
        self.0.is_transient()
    }

    /// What the screen says, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        use Problem as P;
        match &self.0 {
            P::Unavailable => td_string!(locale, error.unavailable).to_owned(),
            P::UnknownQueue { .. } => td_string!(locale, error.unknown_queue).to_owned(),
            P::UnknownCounter { .. } => td_string!(locale, error.unknown_counter).to_owned(),
            P::TicketNotFound => td_string!(locale, error.ticket_not_found).to_owned(),
            P::TicketOfEarlierDay => td_string!(locale, error.ticket_of_earlier_day).to_owned(),
            P::NobodyWaiting => td_string!(locale, error.nobody_waiting).to_owned(),
            P::TicketChanged { state } => {
                td_string!(
                    locale,
                    error.ticket_changed,
                    state = state_name(*state, locale)
                )
            }
            P::IntakePaused {
                intake: Intake::RemotePaused,
            } => td_string!(locale, error.remote_paused).to_owned(),
            P::IntakePaused { .. } => td_string!(locale, error.intake_paused).to_owned(),
            P::DayFull { max } => td_string!(locale, error.day_full, n = max),
            P::RemoteFull { .. } => td_string!(locale, error.remote_full).to_owned(),
            P::NotOpenYet => td_string!(locale, error.not_open_yet).to_owned(),
            P::ClosedToday => td_string!(locale, error.closed_today).to_owned(),
            P::RemoteClosedToday => td_string!(locale, error.remote_closed_today).to_owned(),
            P::LimitActive { max } => td_string!(locale, error.limit_active, n = max),
            P::LimitPerHour { max, .. } => td_string!(locale, error.limit_per_hour, n = max),
            P::LimitAddress { max, .. } => td_string!(locale, error.limit_address, n = max),
            P::LimitKiosk { .. } => td_string!(locale, error.limit_kiosk).to_owned(),
            P::BadPhone { reason } => match reason {
                BadPhoneReason::CountryNotAllowed => {
                    td_string!(locale, error.phone_country).to_owned()
                }
                BadPhoneReason::NotMobile => td_string!(locale, error.phone_not_mobile).to_owned(),
                BadPhoneReason::NotANumber
                | BadPhoneReason::NotJapanese
                | BadPhoneReason::NotCallable => td_string!(locale, error.bad_phone).to_owned(),
            },
            P::SmsPerTicket { max } => td_string!(locale, error.sms_per_ticket, n = max),
            P::SmsLimited => td_string!(locale, error.sms_limited).to_owned(),
            P::PhoneLimited => td_string!(locale, error.phone_limited).to_owned(),
            P::PhoneStopped => td_string!(locale, error.phone_stopped).to_owned(),
            P::LinkExpired => td_string!(locale, error.link_expired).to_owned(),
            P::NoPhone => td_string!(locale, error.no_phone).to_owned(),
            P::NotAKiosk => td_string!(locale, error.not_a_kiosk).to_owned(),
            P::KioskNotFound => td_string!(locale, error.kiosk_not_found).to_owned(),
            P::BadKioskName => td_string!(locale, error.bad_kiosk_name).to_owned(),
            P::TooManyKiosks { max } => td_string!(locale, error.too_many_kiosks, n = max),
            P::NotSignedIn => td_string!(locale, error.not_signed_in).to_owned(),
            P::Forbidden => td_string!(locale, error.forbidden).to_owned(),
            P::WrongPassword => td_string!(locale, error.wrong_password).to_owned(),
            P::AccountDisabled => td_string!(locale, error.account_disabled).to_owned(),
            P::PasswordChangeRequired => {
                td_string!(locale, error.password_change_required).to_owned()
            }
            P::NotAllowed { needs } => {
                td_string!(locale, error.not_allowed, role = role_name(*needs, locale))
            }
            P::AccountNotFound => td_string!(locale, error.account_not_found).to_owned(),
            P::LoginTaken => td_string!(locale, error.login_taken).to_owned(),
            P::BadLogin => td_string!(locale, error.bad_login).to_owned(),
            P::BadAccountName => td_string!(locale, error.bad_account_name).to_owned(),
            P::WeakPassword { min } => td_string!(locale, error.weak_password, n = min),
            P::OwnerIsKept => td_string!(locale, error.owner_is_kept).to_owned(),
            P::AccountChanged => td_string!(locale, error.account_changed).to_owned(),
            P::TokenNotFound => td_string!(locale, error.token_not_found).to_owned(),
            P::TooManyAttempts { wait_minutes, .. } => {
                td_string!(locale, error.too_many_attempts, n = wait_minutes)
            }
            P::ResetNotConfirmed => td_string!(locale, error.reset_not_confirmed).to_owned(),
            P::BadAutodial { max } => td_string!(locale, error.bad_autodial, n = max),
            P::BadSetting { .. } => td_string!(locale, error.bad_setting).to_owned(),
            P::BadRequest { .. } => td_string!(locale, error.bad_request).to_owned(),
            P::Network { .. } => td_string!(locale, error.network).to_owned(),
            // answered by the JSON API and the live channel only: no page shows them
            P::Unauthorized
            | P::MissingScope { .. }
            | P::TooManyConnections { .. }
            | P::IdempotencyInProgress
            | P::IdempotencyKeyReused
            | P::Internal => td_string!(locale, error.unavailable).to_owned(),
        }
    }

    /// The status of a server function's error answer, from its body (for the server's
    /// response layer: server functions themselves answer 500 for every error).
    pub fn status_of_body(body: &[u8]) -> Option<u16> {
        serde_json::from_slice::<AppError>(body)
            .ok()
            .map(|e| e.status())
    }
}

/// A role in the staff's words.
pub fn role_name(role: Role, locale: Locale) -> &'static str {
    match role {
        Role::Staff => td_string!(locale, role.staff),
        Role::Manager => td_string!(locale, role.manager),
        Role::Admin => td_string!(locale, role.admin),
        Role::Owner => td_string!(locale, role.owner),
    }
}

/// A ticket's state in the staff's words.
pub fn state_name(state: TicketState, locale: Locale) -> &'static str {
    match state {
        TicketState::Waiting => td_string!(locale, state.waiting),
        TicketState::Called => td_string!(locale, state.called),
        TicketState::Done => td_string!(locale, state.done),
        TicketState::Cancelled => td_string!(locale, state.cancelled),
        TicketState::NoShow => td_string!(locale, state.no_show),
    }
}

/// A use case's refusal, as the page gets it; a fault of the server is logged here, once, and
/// reaches the page as `unavailable`.
#[cfg(feature = "ssr")]
impl From<waitingroom::services::ServiceError> for AppError {
    fn from(e: waitingroom::services::ServiceError) -> Self {
        if e.is_fault() {
            tracing::error!(error = %e, "a server function could not finish");
        }
        AppError(e.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18nLocaleTrait;

    #[test]
    fn errors_travel_as_a_stable_code_with_their_status() {
        let e = AppError(Problem::TicketChanged {
            state: TicketState::Done,
        });
        let body = serde_json::to_string(&e).unwrap();
        assert_eq!(body, r#"{"error":"ticket_changed","state":"done"}"#);
        assert_eq!(AppError::status_of_body(body.as_bytes()), Some(409));
        assert_eq!(
            AppError::status_of_body(br#"{"error":"nobody_waiting"}"#),
            Some(409)
        );
        assert_eq!(AppError::status_of_body(b"not json"), None);
        let reset = serde_json::to_vec(&AppError(Problem::ResetNotConfirmed)).unwrap();
        assert_eq!(AppError::status_of_body(&reset), Some(422));
        // a limit's window goes to the API's Retry-After, not into the page's body
        let body = serde_json::to_string(&AppError(Problem::too_many_attempts(900))).unwrap();
        assert_eq!(body, r#"{"error":"too_many_attempts","wait_minutes":15}"#);
    }

    fn one_of_each() -> Vec<AppError> {
        Problem::one_of_each().into_iter().map(AppError).collect()
    }

    #[test]
    fn the_body_names_the_code_of_the_table() {
        let mut covered = std::collections::HashSet::new();
        for e in one_of_each() {
            let body = serde_json::to_value(&e).unwrap();
            assert_eq!(body["error"], e.code().as_str(), "{e:?}");
            let back: AppError = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), body, "{e:?}");
            covered.insert(e.code());
        }
        for code in ErrorCode::ALL {
            assert!(covered.contains(code), "{code}: one of every problem");
        }
        let body = serde_json::to_string(&AppError(Problem::BadPhone {
            reason: BadPhoneReason::CountryNotAllowed,
        }))
        .unwrap();
        assert_eq!(body, r#"{"error":"bad_phone","reason":"country"}"#);
    }

    #[test]
    fn every_message_is_in_every_language() {
        for locale in Locale::get_all() {
            for e in &one_of_each() {
                assert!(!e.message(*locale).is_empty(), "{locale:?} {e:?}");
            }
        }
        let ja = AppError(Problem::LimitActive { max: 2 }).message(Locale::ja);
        assert!(ja.contains('2') && ja.contains('枚'), "{ja}");
        let called = AppError(Problem::TicketChanged {
            state: TicketState::Called,
        });
        assert_ne!(called.message(Locale::ko), called.message(Locale::en));
    }
}
