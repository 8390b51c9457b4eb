//! The business day: staff start a new one (numbering from 1), and every process starts the next
//! one when its date comes.

use super::{ServiceError, WaitingRoom};
use crate::problem::Problem;
use crate::queue::QueueId;

/// What staff type to confirm a reset of the day's numbering.
pub const RESET_CONFIRMATION: &str = "reset";

impl WaitingRoom {
    /// The staff start a new business day now (numbering from 1), having typed
    /// [`RESET_CONFIRMATION`]. The day before stays as it was until its data expires.
    pub async fn reset(&self, queue: &QueueId, confirmation: &str) -> Result<(), ServiceError> {
        if confirmation.trim() != RESET_CONFIRMATION {
            return Err(Problem::ResetNotConfirmed.into());
        }
        let now = self.setup.calendar.now();
        if let Some(day) = self.store.reset(queue, true, now).await? {
            tracing::info!(%queue, %day, "staff started a new day");
        }
        Ok(())
    }

    /// Starts the new business day of every queue whose date came. The first change after the
    /// boundary does it anyway, in any process; this tells idle screens in time. Run by every
    /// server process at each boundary and every minute (the script makes it happen once).
    pub async fn daily_reset(&self) -> Result<(), ServiceError> {
        let now = self.setup.calendar.now();
        for queue in &self.setup.queues {
            if let Some(day) = self.store.reset(&queue.id, false, now).await? {
                tracing::info!(queue = %queue.id, %day, "a new business day started");
            }
        }
        Ok(())
    }
}
