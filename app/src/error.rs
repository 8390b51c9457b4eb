//! The errors a screen can get from a server function, as they cross to the browser: the JSON
//! body's `error` is the code, with the fields the words need (`{"error": "day_full", "max": 3}`).
//! Code and HTTP status come from the one table, [`ErrorCode`]; most errors are a use case's
//! refusal, `waitingroom::services::ServiceError`, serialised (`From` below, on the server). The
//! words a clerk or customer reads are the locale files' `error.*`, in the page's language.

use crate::i18n::{td_string, Locale};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use waitingroom::{BadPhoneReason, ErrorCode, Intake, TicketState};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// Redis (or another part of the server) cannot be reached right now.
    #[error("the service is unavailable")]
    Unavailable,
    #[error("unknown queue")]
    UnknownQueue,
    #[error("unknown counter")]
    UnknownCounter,
    #[error("no such ticket")]
    TicketNotFound,
    /// A ticket of an earlier business day: it is over.
    #[error("the ticket is of an earlier day")]
    TicketOfEarlierDay,
    #[error("nobody is waiting")]
    NobodyWaiting,
    #[error("the ticket changed meanwhile (now {state:?})")]
    TicketChanged { state: TicketState },
    #[error("intake is paused ({intake:?})")]
    IntakePaused { intake: Intake },
    /// The day's cap of tickets is reached.
    #[error("today's {max} tickets are all issued")]
    DayFull { max: u32 },
    /// Remote intake's share of the day is taken (the kiosk in the store still issues).
    #[error("today's {max} tickets for remote intake are all issued")]
    RemoteFull { max: u32 },
    #[error("intake has not opened yet today")]
    NotOpenYet,
    #[error("intake is closed for today")]
    ClosedToday,
    #[error("remote intake is closed for today")]
    RemoteClosedToday,
    #[error("at most {max} active tickets")]
    LimitActive { max: u32 },
    #[error("at most {max} tickets per hour")]
    LimitPerHour { max: u32 },
    /// This kiosk issued its most tickets this minute.
    #[error("at most {max} tickets a minute from one kiosk")]
    LimitKiosk { max: u32 },
    /// The device is not a kiosk (or its kiosk was revoked).
    #[error("this device is not a kiosk")]
    NotAKiosk,
    #[error("no such kiosk")]
    KioskNotFound,
    #[error("a kiosk's name is 1 to 40 characters")]
    BadKioskName,
    #[error("at most {max} kiosks")]
    TooManyKiosks { max: usize },
    /// Not a phone number one can register (`reason`: `not_a_number`, `not_japanese`,
    /// `country`, `not_mobile`: it cannot receive the verification SMS).
    #[error("not a phone number we can text ({reason:?})")]
    BadPhone { reason: BadPhoneReason },
    /// This ticket had its most verification SMS.
    #[error("at most {max} verification SMS per ticket")]
    SmsPerTicket { max: u32 },
    /// A limit of verification SMS (per number, per address or in all) is reached.
    #[error("too many verification SMS for now")]
    SmsLimited,
    /// A limit of phone registrations (per ticket, per number, per address) is reached.
    #[error("too many phone registrations for now")]
    PhoneLimited,
    /// The number texted STOP: nothing is sent to it until it texts START.
    #[error("the number asked for no more texts")]
    PhoneStopped,
    /// A verification link that expired, was used, or was sent to an older number.
    #[error("the link expired")]
    LinkExpired,
    /// The ticket has no verified phone to call.
    #[error("no verified phone")]
    NoPhone,
    /// The client's address (its network) took its most tickets this hour.
    #[error("at most {max} tickets per hour from one address")]
    LimitAddress { max: u32 },
    #[error("staff sign-in required")]
    NotSignedIn,
    /// The request did not come from this site's own pages (CSRF).
    #[error("refused: not from this site")]
    Forbidden,
    #[error("wrong password")]
    WrongPassword,
    /// Too many failed sign-ins from this address: wait this many minutes.
    #[error("too many failed sign-ins; wait {wait_minutes} min")]
    TooManyAttempts { wait_minutes: u64 },
    #[error("the reset was not confirmed")]
    ResetNotConfirmed,
    /// The automatic call's reach is out of range.
    #[error("the automatic call's reach is 0 to {max} places")]
    BadAutodial { max: u32 },
    /// A console setting out of its range.
    #[error("a setting out of its range")]
    BadSetting,
    /// Input no screen of ours sends (a missing or malformed field).
    #[error("bad request: {detail}")]
    BadRequest { detail: String },
    /// The browser could not reach the server, or could not read its answer.
    #[error("network error: {detail}")]
    Network { detail: String },
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        use ServerFnErrorErr as E;
        match value {
            E::Args(detail)
            | E::MissingArg(detail)
            | E::Deserialization(detail)
            | E::UnsupportedRequestMethod(detail) => AppError::BadRequest { detail },
            E::Request(detail) | E::Response(detail) => AppError::Network { detail },
            E::Registration(_)
            | E::ServerError(_)
            | E::MiddlewareError(_)
            | E::Serialization(_) => AppError::Unavailable,
        }
    }
}

impl AppError {
    /// The error's code (the JSON body's `error`: the serialised tag is the same).
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::UnknownQueue => ErrorCode::UnknownQueue,
            AppError::UnknownCounter => ErrorCode::UnknownCounter,
            AppError::TicketNotFound => ErrorCode::TicketNotFound,
            AppError::TicketOfEarlierDay => ErrorCode::TicketOfEarlierDay,
            AppError::NobodyWaiting => ErrorCode::NobodyWaiting,
            AppError::TicketChanged { .. } => ErrorCode::TicketChanged,
            AppError::IntakePaused { .. } => ErrorCode::IntakePaused,
            AppError::DayFull { .. } => ErrorCode::DayFull,
            AppError::RemoteFull { .. } => ErrorCode::RemoteFull,
            AppError::NotOpenYet => ErrorCode::NotOpenYet,
            AppError::ClosedToday => ErrorCode::ClosedToday,
            AppError::RemoteClosedToday => ErrorCode::RemoteClosedToday,
            AppError::LimitActive { .. } => ErrorCode::LimitActive,
            AppError::LimitPerHour { .. } => ErrorCode::LimitPerHour,
            AppError::LimitKiosk { .. } => ErrorCode::LimitKiosk,
            AppError::NotAKiosk => ErrorCode::NotAKiosk,
            AppError::KioskNotFound => ErrorCode::KioskNotFound,
            AppError::BadKioskName => ErrorCode::BadKioskName,
            AppError::TooManyKiosks { .. } => ErrorCode::TooManyKiosks,
            AppError::BadPhone { .. } => ErrorCode::BadPhone,
            AppError::SmsPerTicket { .. } => ErrorCode::SmsPerTicket,
            AppError::SmsLimited => ErrorCode::SmsLimited,
            AppError::PhoneLimited => ErrorCode::PhoneLimited,
            AppError::PhoneStopped => ErrorCode::PhoneStopped,
            AppError::LinkExpired => ErrorCode::LinkExpired,
            AppError::NoPhone => ErrorCode::NoPhone,
            AppError::LimitAddress { .. } => ErrorCode::LimitAddress,
            AppError::NotSignedIn => ErrorCode::NotSignedIn,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::WrongPassword => ErrorCode::WrongPassword,
            AppError::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            AppError::ResetNotConfirmed => ErrorCode::ResetNotConfirmed,
            AppError::BadAutodial { .. } => ErrorCode::BadAutodial,
            AppError::BadSetting => ErrorCode::BadSetting,
            AppError::BadRequest { .. } => ErrorCode::BadRequest,
            AppError::Network { .. } => ErrorCode::Network,
        }
    }

    /// The HTTP status a server function answers with this error.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// Whether trying again later may succeed (the server or Redis could not be reached).
    pub fn is_transient(&self) -> bool {
        matches!(self, AppError::Unavailable | AppError::Network { .. })
    }

    /// What the screen says, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            AppError::Unavailable => td_string!(locale, error.unavailable).to_owned(),
            AppError::UnknownQueue => td_string!(locale, error.unknown_queue).to_owned(),
            AppError::UnknownCounter => td_string!(locale, error.unknown_counter).to_owned(),
            AppError::TicketNotFound => td_string!(locale, error.ticket_not_found).to_owned(),
            AppError::TicketOfEarlierDay => {
                td_string!(locale, error.ticket_of_earlier_day).to_owned()
            }
            AppError::NobodyWaiting => td_string!(locale, error.nobody_waiting).to_owned(),
            AppError::TicketChanged { state } => {
                td_string!(
                    locale,
                    error.ticket_changed,
                    state = state_name(*state, locale)
                )
            }
            AppError::IntakePaused {
                intake: Intake::RemotePaused,
            } => td_string!(locale, error.remote_paused).to_owned(),
            AppError::IntakePaused { .. } => td_string!(locale, error.intake_paused).to_owned(),
            AppError::DayFull { max } => td_string!(locale, error.day_full, n = max),
            AppError::RemoteFull { .. } => td_string!(locale, error.remote_full).to_owned(),
            AppError::NotOpenYet => td_string!(locale, error.not_open_yet).to_owned(),
            AppError::ClosedToday => td_string!(locale, error.closed_today).to_owned(),
            AppError::RemoteClosedToday => td_string!(locale, error.remote_closed_today).to_owned(),
            AppError::LimitActive { max } => td_string!(locale, error.limit_active, n = max),
            AppError::LimitPerHour { max } => td_string!(locale, error.limit_per_hour, n = max),
            AppError::LimitAddress { max } => td_string!(locale, error.limit_address, n = max),
            AppError::LimitKiosk { .. } => td_string!(locale, error.limit_kiosk).to_owned(),
            AppError::BadPhone { reason } => match reason {
                BadPhoneReason::CountryNotAllowed => {
                    td_string!(locale, error.phone_country).to_owned()
                }
                BadPhoneReason::NotMobile => td_string!(locale, error.phone_not_mobile).to_owned(),
                BadPhoneReason::NotANumber
                | BadPhoneReason::NotJapanese
                | BadPhoneReason::NotCallable => td_string!(locale, error.bad_phone).to_owned(),
            },
            AppError::SmsPerTicket { max } => td_string!(locale, error.sms_per_ticket, n = max),
            AppError::SmsLimited => td_string!(locale, error.sms_limited).to_owned(),
            AppError::PhoneLimited => td_string!(locale, error.phone_limited).to_owned(),
            AppError::PhoneStopped => td_string!(locale, error.phone_stopped).to_owned(),
            AppError::LinkExpired => td_string!(locale, error.link_expired).to_owned(),
            AppError::NoPhone => td_string!(locale, error.no_phone).to_owned(),
            AppError::NotAKiosk => td_string!(locale, error.not_a_kiosk).to_owned(),
            AppError::KioskNotFound => td_string!(locale, error.kiosk_not_found).to_owned(),
            AppError::BadKioskName => td_string!(locale, error.bad_kiosk_name).to_owned(),
            AppError::TooManyKiosks { max } => td_string!(locale, error.too_many_kiosks, n = max),
            AppError::NotSignedIn => td_string!(locale, error.not_signed_in).to_owned(),
            AppError::Forbidden => td_string!(locale, error.forbidden).to_owned(),
            AppError::WrongPassword => td_string!(locale, error.wrong_password).to_owned(),
            AppError::TooManyAttempts { wait_minutes } => {
                td_string!(locale, error.too_many_attempts, n = wait_minutes)
            }
            AppError::ResetNotConfirmed => td_string!(locale, error.reset_not_confirmed).to_owned(),
            AppError::BadAutodial { max } => td_string!(locale, error.bad_autodial, n = max),
            AppError::BadSetting => td_string!(locale, error.bad_setting).to_owned(),
            AppError::BadRequest { .. } => td_string!(locale, error.bad_request).to_owned(),
            AppError::Network { .. } => td_string!(locale, error.network).to_owned(),
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
        use waitingroom::services::ServiceError as E;
        match e {
            E::UnknownQueue(_) => AppError::UnknownQueue,
            E::UnknownCounter(_) => AppError::UnknownCounter,
            E::TicketNotFound => AppError::TicketNotFound,
            E::TicketOfEarlierDay => AppError::TicketOfEarlierDay,
            E::NobodyWaiting => AppError::NobodyWaiting,
            E::TicketChanged(state) => AppError::TicketChanged { state },
            E::IntakePaused(intake) => AppError::IntakePaused { intake },
            E::DayFull(max) => AppError::DayFull { max },
            E::RemoteFull(max) => AppError::RemoteFull { max },
            E::Closed(waitingroom::store::Closed::Before) => AppError::NotOpenYet,
            E::Closed(waitingroom::store::Closed::After) => AppError::ClosedToday,
            E::Closed(waitingroom::store::Closed::Remote) => AppError::RemoteClosedToday,
            E::LimitActive { max } => AppError::LimitActive { max },
            E::LimitPerHour { max, .. } => AppError::LimitPerHour { max },
            E::LimitAddress { max, .. } => AppError::LimitAddress { max },
            E::LimitKiosk { max, .. } => AppError::LimitKiosk { max },
            E::NotAKiosk => AppError::NotAKiosk,
            E::KioskNotFound => AppError::KioskNotFound,
            E::BadKioskName => AppError::BadKioskName,
            E::TooManyKiosks(max) => AppError::TooManyKiosks { max },
            E::BadPhone(bad) => AppError::BadPhone {
                reason: bad.reason(),
            },
            E::SmsPerTicket(max) => AppError::SmsPerTicket { max },
            E::SmsLimited => AppError::SmsLimited,
            E::PhoneLimited => AppError::PhoneLimited,
            E::PhoneStopped => AppError::PhoneStopped,
            E::LinkExpired => AppError::LinkExpired,
            E::NoPhone => AppError::NoPhone,
            E::CounterMissing => AppError::BadRequest {
                detail: e.to_string(),
            },
            E::ResetNotConfirmed => AppError::ResetNotConfirmed,
            E::BadAutodial(max) => AppError::BadAutodial { max },
            E::BadSetting(_) => AppError::BadSetting,
            E::BadRange(detail) => AppError::BadRequest { detail },
            E::WrongPassword => AppError::WrongPassword,
            E::TooManyAttempts { retry_after_s } => AppError::TooManyAttempts {
                wait_minutes: retry_after_s.div_ceil(60).max(1),
            },
            E::Staff(_) | E::Store(_) => {
                tracing::error!(error = %e, "a server function could not finish");
                AppError::Unavailable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18nLocaleTrait;

    #[test]
    fn errors_travel_as_a_stable_code_with_their_status() {
        let e = AppError::TicketChanged {
            state: TicketState::Done,
        };
        let body = serde_json::to_string(&e).unwrap();
        assert_eq!(body, r#"{"error":"ticket_changed","state":"done"}"#);
        assert_eq!(AppError::status_of_body(body.as_bytes()), Some(409));
        assert_eq!(
            AppError::status_of_body(br#"{"error":"nobody_waiting"}"#),
            Some(409)
        );
        assert_eq!(AppError::status_of_body(b"not json"), None);
        let reset = serde_json::to_vec(&AppError::ResetNotConfirmed).unwrap();
        assert_eq!(AppError::status_of_body(&reset), Some(422));
    }

    /// One of every error a page can get.
    fn one_of_each() -> Vec<AppError> {
        let detail = || "x".to_owned();
        vec![
            AppError::Unavailable,
            AppError::UnknownQueue,
            AppError::UnknownCounter,
            AppError::TicketNotFound,
            AppError::TicketOfEarlierDay,
            AppError::NobodyWaiting,
            AppError::TicketChanged {
                state: TicketState::Called,
            },
            AppError::IntakePaused {
                intake: Intake::RemotePaused,
            },
            AppError::DayFull { max: 3 },
            AppError::RemoteFull { max: 2 },
            AppError::NotOpenYet,
            AppError::ClosedToday,
            AppError::RemoteClosedToday,
            AppError::LimitActive { max: 2 },
            AppError::LimitPerHour { max: 4 },
            AppError::LimitKiosk { max: 30 },
            AppError::NotAKiosk,
            AppError::KioskNotFound,
            AppError::BadKioskName,
            AppError::TooManyKiosks { max: 100 },
            AppError::BadPhone {
                reason: BadPhoneReason::CountryNotAllowed,
            },
            AppError::SmsPerTicket { max: 3 },
            AppError::SmsLimited,
            AppError::PhoneLimited,
            AppError::PhoneStopped,
            AppError::LinkExpired,
            AppError::NoPhone,
            AppError::LimitAddress { max: 20 },
            AppError::NotSignedIn,
            AppError::Forbidden,
            AppError::WrongPassword,
            AppError::TooManyAttempts { wait_minutes: 15 },
            AppError::ResetNotConfirmed,
            AppError::BadAutodial { max: 10 },
            AppError::BadSetting,
            AppError::BadRequest { detail: detail() },
            AppError::Network { detail: detail() },
        ]
    }

    #[test]
    fn the_body_names_the_code_of_the_table() {
        let mut covered = std::collections::HashSet::new();
        for e in one_of_each() {
            let body = serde_json::to_value(&e).unwrap();
            assert_eq!(body["error"], e.code().as_str(), "{e:?}");
            let back: AppError = serde_json::from_value(body).unwrap();
            assert_eq!(back, e);
            covered.insert(e.code());
        }
        // the codes only the JSON API answers
        let api_only = [
            ErrorCode::Unauthorized,
            ErrorCode::TooManyConnections,
            ErrorCode::Internal,
            ErrorCode::IdempotencyInProgress,
            ErrorCode::IdempotencyKeyReused,
        ];
        for code in ErrorCode::ALL {
            assert_eq!(
                covered.contains(code),
                !api_only.contains(code),
                "{code}: a page error of every code but the API's own"
            );
        }
        let body = serde_json::to_string(&AppError::BadPhone {
            reason: BadPhoneReason::CountryNotAllowed,
        })
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
        let ja = AppError::LimitActive { max: 2 }.message(Locale::ja);
        assert!(ja.contains('2') && ja.contains('枚'), "{ja}");
        let ko = AppError::TicketChanged {
            state: TicketState::Called,
        }
        .message(Locale::ko);
        assert_ne!(
            ko,
            AppError::TicketChanged {
                state: TicketState::Called
            }
            .message(Locale::en)
        );
    }
}
