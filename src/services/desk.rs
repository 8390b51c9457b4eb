//! The desk: a ticket after its issue (found by its token or number, called, acted on by staff,
//! cancelled by its holder), the queue's snapshot it is seen in, what the staff console starts
//! from and the queue's settings staff change there, and the business day (started by staff, and
//! by every process when its date comes).

use super::{ServiceError, Setup};
use crate::account::SignedIn;
use crate::day::Console;
use crate::problem::Problem;
use crate::queue::{
    CounterId, Intake, LateArrivals, OpeningHours, QueueId, QueueInfo, QueueSnapshot,
    MAX_AUTODIAL_PLACES,
};
use crate::store;
use crate::store::{Store, TokenDay};
use crate::ticket::{Ticket, TicketAction, TicketState, TicketToken};
use std::sync::Arc;

/// What staff type to confirm a reset of the day's numbering.
pub const RESET_CONFIRMATION: &str = "reset";

/// The tickets once issued, the console's settings and the day. Handed out by
/// [`super::WaitingRoom::desk`].
#[derive(Clone)]
pub struct Desk {
    days: store::Days,
    metrics: Arc<crate::metrics::Metrics>,
    queues: store::Queues,
    tickets: store::Tickets,
    setup: Arc<Setup>,
}

impl Desk {
    pub(super) fn new(store: &Store, setup: Arc<Setup>) -> Self {
        Self {
            days: store.days(),
            metrics: store.shared_metrics(),
            queues: store.queues(),
            tickets: store.tickets(),
            setup,
        }
    }

    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, ServiceError> {
        Ok(self.queues.snapshot(queue).await?)
    }

    /// The ticket with `token`, in whichever queue it is, today. A ticket of an earlier day is
    /// over: [`Problem::TicketOfEarlierDay`].
    pub async fn ticket_by_token(
        &self,
        token: &TicketToken,
    ) -> Result<Option<Ticket>, ServiceError> {
        let mut earlier = false;
        for queue in &self.setup.queues {
            match self.days.token_day_and_today(&queue.id, token).await? {
                (TokenDay::Today(number), day) => {
                    return Ok(self.tickets.ticket_on(&queue.id, &day, number).await?)
                }
                (TokenDay::Earlier, _) => earlier = true,
                (TokenDay::Unknown, _) => {}
            }
        }
        if earlier {
            return Err(Problem::TicketOfEarlierDay.into());
        }
        Ok(None)
    }

    pub async fn ticket(
        &self,
        queue: &QueueId,
        number: u64,
    ) -> Result<Option<Ticket>, ServiceError> {
        Ok(self.tickets.ticket(queue, number).await?)
    }

    /// Its holder cancels `ticket` (on its page, by SMS or on the phone).
    pub async fn cancel(&self, ticket: &Ticket) -> Result<u64, ServiceError> {
        self.act(
            &ticket.queue,
            ticket.number(),
            TicketAction::Cancel,
            None,
            None,
        )
        .await
    }

    /// The customer cancels their own ticket.
    pub async fn cancel_by_token(&self, token: &TicketToken) -> Result<Ticket, ServiceError> {
        let ticket = self
            .ticket_by_token(token)
            .await?
            .ok_or(Problem::TicketNotFound)?;
        self.cancel(&ticket).await?;
        self.ticket(&ticket.queue, ticket.number())
            .await?
            .ok_or(Problem::TicketNotFound.into())
    }

    /// Calls the first in line to `counter`; answers the ticket's number and the queue's version.
    pub async fn call_next(
        &self,
        queue: &QueueId,
        counter: &CounterId,
    ) -> Result<(u64, u64), ServiceError> {
        let called = self
            .tickets
            .call_next(queue, counter, self.setup.calendar.now())
            .await?;
        self.metrics.ticket_called(queue.as_str());
        Ok(called)
    }

    /// A staff action on ticket `number`, refused when the ticket changed since revision
    /// `seen_rev`; `counter` is where [`TicketAction::Call`] calls to.
    pub async fn act(
        &self,
        queue: &QueueId,
        number: u64,
        action: TicketAction,
        counter: Option<&CounterId>,
        seen_rev: Option<u64>,
    ) -> Result<u64, ServiceError> {
        if action == TicketAction::Call && counter.is_none() {
            return Err(Problem::BadRequest {
                detail: "a call needs the counter to call to".to_owned(),
            }
            .into());
        }
        let at = self.setup.calendar.now();
        let version = self
            .tickets
            .act(queue, number, action, counter, seen_rev, at)
            .await?;
        if action == TicketAction::Call {
            self.metrics.ticket_called(queue.as_str());
        }
        Ok(version)
    }

    /// What the staff console of `queue` starts from (and re-reads only after a gap).
    pub async fn console(&self, queue: &QueueInfo, you: SignedIn) -> Result<Console, ServiceError> {
        let day = self.queues.day(&queue.id).await?;
        let calendar = &self.setup.calendar;
        Ok(Console {
            queues: self.setup.queues.clone(),
            queue: queue.clone(),
            counters: self.setup.counters.clone(),
            autodial_places: self.queues.autodial_places(&queue.id).await?,
            late: self.queues.late_arrivals(&queue.id).await?,
            hours: self.queues.opening_hours(&queue.id).await?,
            day,
            now_ms: calendar.now().now_ms,
            utc_offset_ms: calendar.utc_offset_ms(),
            you,
        })
    }

    /// Staff set how many places ahead `queue` calls a verified phone (0: never); tickets now
    /// within reach get their call at once. Answers the setting before (for the audit trail).
    pub async fn set_autodial_places(
        &self,
        queue: &QueueId,
        places: u32,
    ) -> Result<u32, ServiceError> {
        if places > MAX_AUTODIAL_PLACES {
            return Err(Problem::BadAutodial {
                max: MAX_AUTODIAL_PLACES,
            }
            .into());
        }
        let before = self.queues.autodial_places(queue).await?;
        self.queues
            .set_autodial_places(queue, places, self.setup.calendar.now())
            .await?;
        Ok(before)
    }

    /// Staff set how far 「後ろに回す」 moves a called ticket back, and after how many minutes a
    /// called ticket becomes a no-show by itself (0: never). Answers the setting before.
    pub async fn set_late_arrivals(
        &self,
        queue: &QueueId,
        late: LateArrivals,
    ) -> Result<LateArrivals, ServiceError> {
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
        let before = self.queues.late_arrivals(queue).await?;
        self.queues
            .set_late_arrivals(queue, late, self.setup.calendar.now())
            .await?;
        Ok(before)
    }

    /// Staff set when `queue` takes tickets and how many a day (受付上限); intake then closes and
    /// opens again by itself. Answers the setting before.
    pub async fn set_opening_hours(
        &self,
        queue: &QueueId,
        hours: OpeningHours,
    ) -> Result<OpeningHours, ServiceError> {
        if !hours.is_valid() {
            return Err(Problem::BadSetting {
                detail: format!(
                    "opening hours: both times or neither, opening before closing; a daily limit of 0 to {}",
                    OpeningHours::MAX_LIMIT
                ),
            }
            .into());
        }
        let before = self.queues.opening_hours(queue).await?;
        self.queues
            .set_opening_hours(queue, hours, self.setup.calendar.now())
            .await?;
        Ok(before)
    }

    /// Every called ticket whose call is older than its queue's automatic no-show becomes a
    /// no-show: the same typed action as the console's button, naming the revision read, so a
    /// ticket recalled, finished or moved meanwhile is left alone. Run by every server process
    /// every minute (the revision makes it happen once). Answers how many it changed.
    pub async fn auto_no_shows(&self) -> Result<usize, ServiceError> {
        let now = self.setup.calendar.now().now_ms;
        let mut changed = 0;
        for queue in &self.setup.queues {
            let late = self.queues.late_arrivals(&queue.id).await?;
            if late.no_show_after_minutes == 0 {
                continue;
            }
            let after_ms = u64::from(late.no_show_after_minutes) * 60_000;
            let day = self.queues.day(&queue.id).await?;
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

    /// Staff open, pause or close intake. Answers the queue's version and the intake before.
    pub async fn set_intake(
        &self,
        queue: &QueueId,
        intake: Intake,
    ) -> Result<(u64, Intake), ServiceError> {
        let before = self.queues.snapshot(queue).await?.intake;
        let version = self
            .queues
            .set_intake(queue, intake, self.setup.calendar.now())
            .await?;
        Ok((version, before))
    }

    /// The staff start a new business day now (numbering from 1), having typed
    /// [`RESET_CONFIRMATION`]. The day before stays as it was until its data expires.
    pub async fn reset(&self, queue: &QueueId, confirmation: &str) -> Result<(), ServiceError> {
        if confirmation.trim() != RESET_CONFIRMATION {
            return Err(Problem::ResetNotConfirmed.into());
        }
        let now = self.setup.calendar.now();
        if let Some(day) = self.days.reset(queue, true, now).await? {
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
            if let Some(day) = self.days.reset(&queue.id, false, now).await? {
                tracing::info!(queue = %queue.id, %day, "a new business day started");
            }
        }
        Ok(())
    }
}
