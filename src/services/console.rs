//! What the staff console starts from, and the queue's settings staff change there: intake and
//! the reach of the automatic call.

use super::{ServiceError, WaitingRoom};
use crate::day::Console;
use crate::queue::{Intake, QueueId, QueueInfo, MAX_AUTODIAL_PLACES};

impl WaitingRoom {
    /// What the staff console of `queue` starts from (and re-reads only after a gap).
    pub async fn console(&self, queue: &QueueInfo) -> Result<Console, ServiceError> {
        let day = self.store.day(&queue.id).await?;
        let calendar = &self.setup.calendar;
        Ok(Console {
            queues: self.setup.queues.clone(),
            queue: queue.clone(),
            counters: self.setup.counters.clone(),
            autodial_places: self.store.autodial_places(&queue.id).await?,
            day,
            now_ms: calendar.now().now_ms,
            utc_offset_ms: calendar.utc_offset_ms(),
        })
    }

    /// Staff set how many places ahead `queue` calls a verified phone (0: never); tickets now
    /// within reach get their call at once.
    pub async fn set_autodial_places(
        &self,
        queue: &QueueId,
        places: u32,
    ) -> Result<(), ServiceError> {
        if places > MAX_AUTODIAL_PLACES {
            return Err(ServiceError::BadAutodial(MAX_AUTODIAL_PLACES));
        }
        Ok(self
            .store
            .set_autodial_places(queue, places, self.setup.calendar.now())
            .await?)
    }

    pub async fn set_intake(&self, queue: &QueueId, intake: Intake) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .set_intake(queue, intake, self.setup.calendar.now())
            .await?)
    }
}
