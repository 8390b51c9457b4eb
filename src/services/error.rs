//! Why a use case did not happen: [`ServiceError`], a [`Problem`] it refused with (the one table
//! of codes, statuses and fields), or a fault of the server (Redis, the password check), which is
//! logged where it is answered and reaches the caller as `unavailable`. The pages' error
//! (`app::error::AppError`) and the JSON API's (`server::api::ApiError`) only carry the problem.

use super::staff::StaffError;
use crate::problem::{ErrorCode, Problem};
use crate::store::StoreError;
use std::time::Duration;

/// Why a use case did not happen; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A refusal, or a request that is not one.
    #[error(transparent)]
    Refused(Problem),
    /// The password check could not run.
    #[error(transparent)]
    Staff(StaffError),
    /// Redis could not be reached, or answered what cannot be read (never a refusal: those are
    /// `Refused`).
    #[error(transparent)]
    Store(StoreError),
}

impl ServiceError {
    /// The problem as the caller gets it: a fault is `unavailable`, without its details.
    pub fn problem(&self) -> Problem {
        match self {
            ServiceError::Refused(problem) => problem.clone(),
            ServiceError::Staff(_) | ServiceError::Store(_) => Problem::Unavailable,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Refused(problem) => problem.code(),
            ServiceError::Staff(_) | ServiceError::Store(_) => ErrorCode::Unavailable,
        }
    }

    /// The HTTP status of an answer with this error.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// How long until trying again may succeed (see [`Problem::retry_after_s`]).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ServiceError::Refused(problem) => problem.retry_after_s().map(Duration::from_secs),
            _ => None,
        }
    }

    /// Whether this is the server's fault (Redis, the password check), not a refusal: it is
    /// logged where it is answered, and answered without its details.
    pub fn is_fault(&self) -> bool {
        !matches!(self, ServiceError::Refused(_))
    }
}

impl From<Problem> for ServiceError {
    fn from(problem: Problem) -> Self {
        ServiceError::Refused(problem)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(problem) => ServiceError::Refused(problem),
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
    fn a_refusal_of_the_store_is_refused_and_a_fault_is_unavailable() {
        let refused = ServiceError::from(StoreError::Refused(Problem::NobodyWaiting));
        assert!(!refused.is_fault());
        assert_eq!(
            (refused.code(), refused.status()),
            (ErrorCode::NobodyWaiting, 409)
        );
        let corrupt = ServiceError::from(StoreError::Corrupt("?".to_owned()));
        assert!(corrupt.is_fault());
        assert_eq!(
            (corrupt.code(), corrupt.status(), corrupt.problem()),
            (ErrorCode::Unavailable, 503, Problem::Unavailable)
        );
        let limit = ServiceError::from(Problem::LimitKiosk {
            max: 30,
            retry_after_s: 5,
        });
        assert_eq!(limit.retry_after(), Some(Duration::from_secs(5)));
    }
}
