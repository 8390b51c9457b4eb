//! Why a use case did not happen: [`ServiceError`], the one translation of the store's refusals,
//! with its code, HTTP status and `Retry-After` (from the table of [`ErrorCode`]). The pages'
//! error (`app::error::AppError`) and the JSON API's (`server::api::ApiError`) only serialise it;
//! a test in `server/src/api.rs` checks every variant's code and status on both.

use super::staff::StaffError;
use super::RESET_CONFIRMATION;
use crate::error_code::ErrorCode;
use crate::phone::BadPhone;
use crate::queue::Intake;
use crate::store::{Refusal, StoreError};
use crate::ticket::TicketState;
use std::time::Duration;

/// Why a use case did not happen; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("there is no queue {0:?}")]
    UnknownQueue(String),
    #[error("there is no counter {0:?}")]
    UnknownCounter(String),
    #[error("no such ticket")]
    TicketNotFound,
    #[error("the ticket is of an earlier day")]
    TicketOfEarlierDay,
    #[error("nobody is waiting")]
    NobodyWaiting,
    #[error("the ticket is {0:?} now")]
    TicketChanged(TicketState),
    #[error("intake is paused ({0:?})")]
    IntakePaused(Intake),
    #[error("today's {0} tickets are all issued")]
    DayFull(u32),
    #[error("today's {0} tickets for remote intake are all issued")]
    RemoteFull(u32),
    /// Outside the opening hours, or (remote) too late to be served before closing.
    #[error("intake is closed now ({0:?})")]
    Closed(crate::store::Closed),
    #[error("a client may hold at most {max} active tickets")]
    LimitActive { max: u32 },
    #[error("this client took {max} tickets in the last hour")]
    LimitPerHour { max: u32, retry_after_s: u64 },
    #[error("{max} tickets were taken from this address in the last hour")]
    LimitAddress { max: u32, retry_after_s: u64 },
    #[error("this kiosk issued {max} tickets in the last minute")]
    LimitKiosk { max: u32, retry_after_s: u64 },
    #[error("this device is not a kiosk (staff set one up from the console)")]
    NotAKiosk,
    #[error("no such kiosk")]
    KioskNotFound,
    #[error("a kiosk's name is 1 to 40 characters")]
    BadKioskName,
    #[error("at most {0} kiosks")]
    TooManyKiosks(usize),
    #[error("no verification SMS: {0}")]
    BadPhone(BadPhone),
    #[error("this ticket had its {0} verification SMS")]
    SmsPerTicket(u32),
    #[error("the limit of verification SMS is reached; try later")]
    SmsLimited,
    /// A limit of phone registrations (per ticket, per number, per address) is reached.
    #[error("too many phone registrations; try later")]
    PhoneLimited,
    /// The number texted STOP: it is sent nothing until it texts START.
    #[error("this number asked for no more texts (STOP); text START to resume")]
    PhoneStopped,
    #[error("the verification link expired or was used")]
    LinkExpired,
    #[error("the ticket has no verified phone")]
    NoPhone,
    #[error("a call needs the counter to call to")]
    CounterMissing,
    #[error("the reset was not confirmed (type {RESET_CONFIRMATION:?})")]
    ResetNotConfirmed,
    #[error("the automatic call's reach is 0 to {0} places")]
    BadAutodial(u32),
    /// A range of dates for the history that is not one (the message says why).
    #[error("{0}")]
    BadRange(String),
    /// A console setting out of its range (the message names the range).
    #[error("{0}")]
    BadSetting(String),
    #[error("wrong password")]
    WrongPassword,
    #[error("too many failed sign-ins from this address; retry in {retry_after_s} s")]
    TooManyAttempts { retry_after_s: u64 },
    /// The password check could not run.
    #[error(transparent)]
    Staff(StaffError),
    /// Redis could not be reached, or answered what cannot be read (never a refusal: each of
    /// those has its own variant).
    #[error(transparent)]
    Store(StoreError),
}

impl ServiceError {
    pub fn code(&self) -> ErrorCode {
        use ServiceError as E;
        match self {
            E::UnknownQueue(_) => ErrorCode::UnknownQueue,
            E::UnknownCounter(_) => ErrorCode::UnknownCounter,
            E::TicketNotFound => ErrorCode::TicketNotFound,
            E::TicketOfEarlierDay => ErrorCode::TicketOfEarlierDay,
            E::NobodyWaiting => ErrorCode::NobodyWaiting,
            E::TicketChanged(_) => ErrorCode::TicketChanged,
            E::IntakePaused(_) => ErrorCode::IntakePaused,
            E::DayFull(_) => ErrorCode::DayFull,
            E::RemoteFull(_) => ErrorCode::RemoteFull,
            E::Closed(crate::store::Closed::Before) => ErrorCode::NotOpenYet,
            E::Closed(crate::store::Closed::After) => ErrorCode::ClosedToday,
            E::Closed(crate::store::Closed::Remote) => ErrorCode::RemoteClosedToday,
            E::LimitActive { .. } => ErrorCode::LimitActive,
            E::LimitPerHour { .. } => ErrorCode::LimitPerHour,
            E::LimitAddress { .. } => ErrorCode::LimitAddress,
            E::LimitKiosk { .. } => ErrorCode::LimitKiosk,
            E::NotAKiosk => ErrorCode::NotAKiosk,
            E::KioskNotFound => ErrorCode::KioskNotFound,
            E::BadKioskName => ErrorCode::BadKioskName,
            E::TooManyKiosks(_) => ErrorCode::TooManyKiosks,
            E::BadPhone(_) => ErrorCode::BadPhone,
            E::SmsPerTicket(_) => ErrorCode::SmsPerTicket,
            E::SmsLimited => ErrorCode::SmsLimited,
            E::PhoneLimited => ErrorCode::PhoneLimited,
            E::PhoneStopped => ErrorCode::PhoneStopped,
            E::LinkExpired => ErrorCode::LinkExpired,
            E::NoPhone => ErrorCode::NoPhone,
            E::CounterMissing => ErrorCode::BadRequest,
            E::ResetNotConfirmed => ErrorCode::ResetNotConfirmed,
            E::BadAutodial(_) => ErrorCode::BadAutodial,
            E::BadSetting(_) => ErrorCode::BadSetting,
            E::BadRange(_) => ErrorCode::BadRequest,
            E::WrongPassword => ErrorCode::WrongPassword,
            E::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            E::Staff(_) | E::Store(_) => ErrorCode::Unavailable,
        }
    }

    /// The HTTP status of an answer with this error.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// How long until trying again may succeed: the window of the limit that refused (none when
    /// the limit lifts as a ticket finishes, and for every other error).
    pub fn retry_after(&self) -> Option<Duration> {
        use ServiceError as E;
        match self {
            E::LimitPerHour { retry_after_s, .. }
            | E::LimitAddress { retry_after_s, .. }
            | E::LimitKiosk { retry_after_s, .. }
            | E::TooManyAttempts { retry_after_s } => Some(Duration::from_secs(*retry_after_s)),
            _ => None,
        }
    }

    /// Whether this is the server's fault (Redis, the password check), not a refusal: it is
    /// logged where it is answered, and answered without its details.
    pub fn is_fault(&self) -> bool {
        matches!(self, ServiceError::Staff(_) | ServiceError::Store(_))
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Paused(intake) => ServiceError::IntakePaused(intake),
            Refusal::DayFull(max) => ServiceError::DayFull(max),
            Refusal::RemoteFull(max) => ServiceError::RemoteFull(max),
            Refusal::Closed(why) => ServiceError::Closed(why),
            Refusal::Empty => ServiceError::NobodyWaiting,
            Refusal::NotFound => ServiceError::TicketNotFound,
            Refusal::Conflict(state) => ServiceError::TicketChanged(state),
            Refusal::SmsPerTicket(max) => ServiceError::SmsPerTicket(max),
            Refusal::PhonesPerTicket(_) => ServiceError::PhoneLimited,
            Refusal::Expired => ServiceError::LinkExpired,
            Refusal::NoPhone => ServiceError::NoPhone,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(refusal) => refusal.into(),
            e @ (StoreError::Unavailable(_) | StoreError::Redis(_) | StoreError::Corrupt(_)) => {
                ServiceError::Store(e)
            }
        }
    }
}

impl From<StaffError> for ServiceError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::Store(e) => e.into(),
            e => ServiceError::Staff(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_of_the_store_has_its_own_error() {
        let refusals = [
            (Refusal::Paused(Intake::Paused), ErrorCode::IntakePaused),
            (Refusal::DayFull(3), ErrorCode::DayFull),
            (Refusal::RemoteFull(2), ErrorCode::RemoteFull),
            (
                Refusal::Closed(crate::store::Closed::Remote),
                ErrorCode::RemoteClosedToday,
            ),
            (Refusal::Empty, ErrorCode::NobodyWaiting),
            (Refusal::NotFound, ErrorCode::TicketNotFound),
            (
                Refusal::Conflict(TicketState::Called),
                ErrorCode::TicketChanged,
            ),
            (Refusal::SmsPerTicket(3), ErrorCode::SmsPerTicket),
            (Refusal::PhonesPerTicket(5), ErrorCode::PhoneLimited),
            (Refusal::Expired, ErrorCode::LinkExpired),
            (Refusal::NoPhone, ErrorCode::NoPhone),
        ];
        for (refusal, code) in refusals {
            let e = ServiceError::from(StoreError::Refused(refusal.clone()));
            assert!(!e.is_fault(), "{refusal:?}");
            assert_eq!(e.code(), code, "{refusal:?}");
            assert_ne!(e.status(), 503, "{refusal:?}");
        }
        let corrupt = ServiceError::from(StoreError::Corrupt("?".to_owned()));
        assert!(corrupt.is_fault());
        assert_eq!(
            (corrupt.code(), corrupt.status()),
            (ErrorCode::Unavailable, 503)
        );
    }
}
