//! A ticket's life in the store: issued (the issue script), called, acted on, and read back.

use super::keys::{DayId, QueueKeys};
use super::replies::{CallNextReply, IssueReply, Version};
use super::scripts::{ActArgs, CallNextArgs, IssueArgs};
use super::{day, Moment, Store, StoreError};
use crate::lang::Lang;
use crate::queue::{Channel, CounterId, QueueId};
use crate::ticket::{IssuedTicket, Ticket, TicketAction, TicketToken};
use redis::AsyncCommands;

/// What a new ticket starts with: where it was taken, its secret, its language and, taken by SMS
/// or a call, the phone it came from.
#[derive(Clone, Copy, Debug)]
pub struct NewTicket<'a> {
    pub channel: Channel,
    pub token: &'a TicketToken,
    pub lang: Lang,
    pub phone: Option<&'a crate::phone::PhoneNumber>,
    /// Taken from outside the store (remote check-in, the anonymous API, SMS or a call): counts
    /// against remote intake's share of the day.
    pub remote: bool,
    /// The counters serving (for the predicted finish against closing time).
    pub counters: u32,
    /// The service time the history learned for this hour (ms; `None`: the day's average).
    pub service_ms: Option<u64>,
}

impl<'a> NewTicket<'a> {
    /// A ticket taken at a kiosk, a browser or the API (no phone yet).
    pub fn new(channel: Channel, token: &'a TicketToken, lang: Lang) -> Self {
        Self {
            channel,
            token,
            lang,
            phone: None,
            remote: false,
            counters: 1,
            service_ms: None,
        }
    }
}

/// What the issue script answers: the ticket (its wait not yet estimated), the queue's average
/// service time (from which the caller estimates it) and the business day it belongs to.
#[derive(Clone, Debug)]
pub struct Issued {
    pub ticket: IssuedTicket,
    pub avg_service_ms: Option<u64>,
    pub day: DayId,
}

/// The store's tickets issued and acted on: a handle on [`Store`], from [`Store::tickets`].
#[derive(Clone)]
pub struct Tickets {
    store: Store,
}

impl Tickets {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Issues the next number: INCR, RPUSH onto the waiting LIST, the ticket, its token, the
    /// version and the event, in one script.
    pub async fn issue(
        &self,
        queue: &QueueId,
        new: NewTicket<'_>,
        prefix: &str,
        at: Moment,
    ) -> Result<Issued, StoreError> {
        let NewTicket {
            channel,
            token,
            lang,
            phone,
            remote,
            counters,
            service_ms,
        } = new;
        let service = service_ms.map(|ms| ms.to_string()).unwrap_or_default();
        let local_minute = self.store.calendar.local_minute(at.now_ms).to_string();
        let remote_max = match self.store.remote_max_per_day() {
            Some(max) if remote => max.to_string(),
            _ => String::new(),
        };
        let invocation = self.store.invoke(
            queue,
            at,
            IssueArgs {
                channel: channel.as_str().to_string(),
                token: token.as_str().to_string(),
                lang: lang.code().to_string(),
                max_tickets: self.store.settings.max_tickets_per_day.to_string(),
                remote_max,
                phone: phone.map(|p| p.as_str()).unwrap_or_default().to_string(),
                local_minute,
                counters: counters.max(1).to_string(),
                service,
            },
        );
        let IssueReply {
            number,
            ahead,
            version,
            avg_service_ms,
            day,
        } = self.store.run(invocation).await?;
        let ticket = IssuedTicket {
            queue: queue.clone(),
            number,
            label: crate::ticket::label(prefix, number),
            token: token.clone(),
            people_ahead: ahead,
            version,
            estimated_wait_ms: None,
        };
        Ok(Issued {
            ticket,
            avg_service_ms,
            day,
        })
    }

    /// The issue script's source and one `EVALSHA` command line of it for `queue` (a kiosk
    /// ticket, a fixed token): what `redis-benchmark` runs to measure the ceiling an issue has in
    /// this Redis. Only for the benchmark (feature `bench`).
    #[cfg(feature = "bench")]
    pub fn issue_command_line(&self, queue: &QueueId, at: Moment) -> (String, Vec<String>) {
        let args = IssueArgs {
            channel: Channel::Kiosk.as_str().to_owned(),
            token: "0".repeat(32),
            lang: Lang::Ja.code().to_owned(),
            max_tickets: "0".to_owned(),
            remote_max: String::new(),
            phone: String::new(),
            local_minute: "600".to_owned(),
            counters: "1".to_owned(),
            service: String::new(),
        };
        self.store.scripts.queue.issue.command_line(
            queue,
            at,
            0,
            &super::scripts::QueueCall::args(args),
        )
    }

    /// Calls the first in line to `counter`; answers its number and the queue's version.
    pub async fn call_next(
        &self,
        queue: &QueueId,
        counter: &CounterId,
        at: Moment,
    ) -> Result<(u64, u64), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            CallNextArgs {
                counter: counter.as_str().to_string(),
            },
        );
        let CallNextReply { number, version } = self.store.run(invocation).await?;
        Ok((number, version))
    }

    /// Applies `action` to ticket `number` if it still has revision `seen_rev` (when given);
    /// `counter` is where [`TicketAction::Call`] calls to. Answers the queue's version.
    pub async fn act(
        &self,
        queue: &QueueId,
        number: u64,
        action: TicketAction,
        counter: Option<&CounterId>,
        seen_rev: Option<u64>,
        at: Moment,
    ) -> Result<u64, StoreError> {
        let number = number.to_string();
        let seen_rev = seen_rev.map(|r| r.to_string()).unwrap_or_default();
        let invocation = self.store.invoke(
            queue,
            at,
            ActArgs {
                action: action.as_str().to_string(),
                number: number.to_string(),
                seen_rev: seen_rev.to_string(),
                counter: counter
                    .map(CounterId::as_str)
                    .unwrap_or_default()
                    .to_string(),
            },
        );
        let Version(version) = self.store.run(invocation).await?;
        Ok(version)
    }

    /// Ticket `number` of business `day` (while that day's keys live).
    pub async fn ticket_on(
        &self,
        queue: &QueueId,
        day: &DayId,
        number: u64,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Option<String> = conn
            .hget(QueueKeys::of(queue).day_keys(day).tickets(), number)
            .await?;
        raw.map(|json| parse_ticket(&json)).transpose()
    }

    /// Ticket `number` of the current business day.
    pub async fn ticket(&self, queue: &QueueId, number: u64) -> Result<Option<Ticket>, StoreError> {
        let (_, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hget(day.tickets(), number);
            })
            .await?;
        let raw: Option<String> = day::single(replies)?;
        raw.map(|json| parse_ticket(&json)).transpose()
    }
}

pub(super) fn parse_ticket(json: &str) -> Result<Ticket, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("ticket: {e}")))
}
