//! A ticket after its issue: found (by its token, or by number), called, acted on by staff,
//! cancelled by its holder; and the queue's snapshot it is seen in.

use super::{ServiceError, WaitingRoom};
use crate::problem::Problem;
use crate::queue::{CounterId, QueueId, QueueSnapshot};
use crate::store::TokenDay;
use crate::ticket::{Ticket, TicketAction, TicketToken};

impl WaitingRoom {
    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, ServiceError> {
        Ok(self.store.snapshot(queue).await?)
    }

    /// The ticket with `token`, in whichever queue it is, today. A ticket of an earlier day is
    /// over: [`Problem::TicketOfEarlierDay`].
    pub async fn ticket_by_token(
        &self,
        token: &TicketToken,
    ) -> Result<Option<Ticket>, ServiceError> {
        let mut earlier = false;
        for queue in &self.setup.queues {
            match self.store.token_day_and_today(&queue.id, token).await? {
                (TokenDay::Today(number), day) => {
                    return Ok(self.store.ticket_on(&queue.id, &day, number).await?)
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
        Ok(self.store.ticket(queue, number).await?)
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
            .store
            .call_next(queue, counter, self.setup.calendar.now())
            .await?;
        self.metrics().ticket_called(queue.as_str());
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
            .store
            .act(queue, number, action, counter, seen_rev, at)
            .await?;
        if action == TicketAction::Call {
            self.metrics().ticket_called(queue.as_str());
        }
        Ok(version)
    }
}
