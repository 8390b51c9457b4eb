//! What the staff console starts from, and the queue's settings staff change there: intake and
//! the reach of the automatic call.

use super::{ServiceError, WaitingRoom};
use crate::day::Console;
use crate::problem::Problem;
use crate::queue::{Intake, LateArrivals, OpeningHours, QueueId, QueueInfo, MAX_AUTODIAL_PLACES};
use crate::ticket::{TicketAction, TicketState};

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
            late: self.store.late_arrivals(&queue.id).await?,
            hours: self.store.opening_hours(&queue.id).await?,
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
            return Err(Problem::BadAutodial {
                max: MAX_AUTODIAL_PLACES,
            }
            .into());
        }
        Ok(self
            .store
            .set_autodial_places(queue, places, self.setup.calendar.now())
            .await?)
    }

    /// Staff set how far 「後ろに回す」 moves a called ticket back, and after how many minutes a
    /// called ticket becomes a no-show by itself (0: never).
    pub async fn set_late_arrivals(
        &self,
        queue: &QueueId,
        late: LateArrivals,
    ) -> Result<(), ServiceError> {
        if !late.is_valid() {
            return Err(Problem::BadSetting {
                detail: format!(
                    "late arrivals: 0 to {} places, 0 to {} minutes",
                    LateArrivals::MAX_PLACES,
                    LateArrivals::MAX_MINUTES
                ),
            }
            .into());
        }
        Ok(self
            .store
            .set_late_arrivals(queue, late, self.setup.calendar.now())
            .await?)
    }

    /// Staff set when `queue` takes tickets and how many a day (受付上限); intake then closes and
    /// opens again by itself.
    pub async fn set_opening_hours(
        &self,
        queue: &QueueId,
        hours: OpeningHours,
    ) -> Result<(), ServiceError> {
        if !hours.is_valid() {
            return Err(Problem::BadSetting {
                detail: format!(
                    "opening hours: both times or neither, opening before closing; a daily limit of 0 to {}",
                    OpeningHours::MAX_LIMIT
                ),
            }
            .into());
        }
        Ok(self
            .store
            .set_opening_hours(queue, hours, self.setup.calendar.now())
            .await?)
    }

    /// Every called ticket whose call is older than its queue's automatic no-show becomes a
    /// no-show: the same typed action as the console's button, naming the revision read, so a
    /// ticket recalled, finished or moved meanwhile is left alone. Run by every server process
    /// every minute (the revision makes it happen once). Answers how many it changed.
    pub async fn auto_no_shows(&self) -> Result<usize, ServiceError> {
        let now = self.setup.calendar.now().now_ms;
        let mut changed = 0;
        for queue in &self.setup.queues {
            let late = self.store.late_arrivals(&queue.id).await?;
            if late.no_show_after_minutes == 0 {
                continue;
            }
            let after_ms = u64::from(late.no_show_after_minutes) * 60_000;
            let day = self.store.day(&queue.id).await?;
            for t in day.serving() {
                let due = t.state == TicketState::Called
                    && t.called_at.is_some_and(|at| at + after_ms <= now);
                if !due {
                    continue;
                }
                match self
                    .act(&queue.id, t.number, TicketAction::NoShow, None, Some(t.rev))
                    .await
                {
                    Ok(_) => changed += 1,
                    // staff acted on it meanwhile
                    Err(ServiceError::Refused(
                        Problem::TicketChanged { .. } | Problem::TicketNotFound,
                    )) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(changed)
    }

    pub async fn set_intake(&self, queue: &QueueId, intake: Intake) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .set_intake(queue, intake, self.setup.calendar.now())
            .await?)
    }
}
