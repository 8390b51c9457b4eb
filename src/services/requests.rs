//! The API's calls with an `Idempotency-Key` (server/src/idempotency.rs), carried out once: the
//! first is taken, its answer kept a day, and a retry gets that answer.

use super::ServiceError;
use crate::store::{self, Store};

/// The API's calls carried out once. Handed out by [`super::WaitingRoom::requests`].
#[derive(Clone)]
pub struct Requests {
    replies: store::Replies,
}

impl Requests {
    pub(super) fn new(store: &Store) -> Self {
        Self {
            replies: store.replies(),
        }
    }

    /// Takes API call `slot` (the hash of its caller and key) to carry out: `None` the first
    /// time, else the answer kept for it (empty while the first is still being carried out).
    pub async fn claim_request(&self, slot: &str) -> Result<Option<String>, ServiceError> {
        Ok(self.replies.claim_request(slot).await?)
    }

    /// Keeps `answer` for API call `slot`, or (`None`) lets a retry carry it out.
    pub async fn keep_request(&self, slot: &str, answer: Option<&str>) -> Result<(), ServiceError> {
        Ok(self.replies.keep_request(slot, answer).await?)
    }
}
