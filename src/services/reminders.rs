//! A customer whose wait is long asks on the ticket page to be texted about 30 minutes before the
//! turn. One process at a time plans each queue's reminders: it schedules the SMS with Twilio
//! (Message Scheduling), schedules it again (cancel, then create) when the estimate moves by more
//! than 10 minutes, and sends it at once when the turn is already that near. The queue's scripts
//! drop a reminder when its ticket is called or over, which cancels the scheduled SMS through the
//! outbox; so does STOP.

use super::contacts::Contacts;
use super::desk::Desk;
use super::estimate::Estimate;
use super::line::Line;
use super::{ticket_url, ServiceError, Setup};
use crate::notify::Notifier;
use crate::notify::Texts;
use crate::notify::{Cancelled, NotifyError, Words};
use crate::phone::ContactRecord;
use crate::phone::PhoneRules;
use crate::problem::Problem;
use crate::queue::QueueId;
use crate::queue::QueueSnapshot;
use crate::store::{self, Store};
use crate::store::{DayId, MessageKind, Reminder, StoreError};
use crate::ticket::{ReminderState, Ticket, TicketToken};
use crate::twilio::client::SCHEDULE_MIN_AHEAD;
use crate::twilio::status::progress;
use std::sync::Arc;

/// How long before the turn the reminder goes.
pub const REMIND_BEFORE_MS: u64 = 30 * 60_000;
/// How far the estimate may move before the reminder is scheduled again.
pub const MOVE_TOLERANCE_MS: u64 = 10 * 60_000;
/// Twilio schedules 15 minutes ahead at the least ([`SCHEDULE_MIN_AHEAD`]; 35114 below it); a
/// minute of margin for the time the request takes. A reminder due sooner is sent at once.
const SCHEDULE_MIN_AHEAD_MS: u64 = SCHEDULE_MIN_AHEAD.as_millis() as u64 + 60_000;

/// Reminders customers ask for, planned and scheduled. Handed out by [`super::WaitingRoom::reminders`].
#[derive(Clone)]
pub struct Reminders {
    contact_records: store::ContactRecords,
    phone_records: store::PhoneRecords,
    queues: store::Queues,
    reminder_records: store::ReminderRecords,
    tickets: store::Tickets,
    setup: Arc<Setup>,
    texts: Arc<dyn Texts>,
    desk: Desk,
    notifier: Arc<dyn Notifier>,
    line: Line,
    estimate: Estimate,
    contacts: Contacts,
}

impl Reminders {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        store: &Store,
        setup: Arc<Setup>,
        texts: Arc<dyn Texts>,
        desk: Desk,
        notifier: Arc<dyn Notifier>,
        line: Line,
        estimate: Estimate,
        contacts: Contacts,
    ) -> Self {
        Self {
            contact_records: store.contact_records(),
            phone_records: store.phone_records(),
            queues: store.queues(),
            reminder_records: store.reminder_records(),
            tickets: store.tickets(),
            setup,
            texts,
            desk,
            notifier,
            line,
            estimate,
            contacts,
        }
    }

    /// The customer holding `token` asks (`want`), or no longer asks, to be texted about 30
    /// minutes before the turn. Needs a verified phone and a waiting ticket.
    pub async fn ask_reminder(&self, token: &TicketToken, want: bool) -> Result<(), ServiceError> {
        let ticket = self
            .desk
            .ticket_by_token(token)
            .await?
            .ok_or(Problem::TicketNotFound)?;
        let now = self.setup.calendar.now();
        Ok(self
            .reminder_records
            .ask_reminder(&ticket.queue, ticket.number(), Some(token), want, now)
            .await?)
    }

    /// `ticket`'s reminder, as its page shows it.
    pub async fn reminder_of(
        &self,
        ticket: &Ticket,
    ) -> Result<Option<ReminderState>, ServiceError> {
        Ok(self
            .reminder_records
            .reminder(&ticket.queue, ticket.number())
            .await?
            .map(|r| ReminderState {
                send_at: r.send_at,
                sent: r.sent,
            }))
    }

    /// Whether reminders can be scheduled here (Twilio needs a messaging service for it; the dev
    /// outbox always can).
    pub fn offers_reminders(&self) -> bool {
        self.setup.twilio.schedules_sms()
    }

    /// Plans the reminders of every queue whose planning this process takes (for `hold_ms`:
    /// one process plans a queue at a time).
    pub async fn plan_reminders(&self, hold_ms: u64) {
        for queue in &self.setup.queues {
            match self.reminder_records.take_planner(&queue.id, hold_ms).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "reminders not planned");
                    continue;
                }
            }
            if let Err(e) = self.plan_queue(&queue.id).await {
                tracing::warn!(queue = %queue.id, error = %e, "reminders not planned; later");
            }
        }
    }

    /// Plans each reminder of `queue`; one that Twilio refuses is logged, and the others are
    /// planned all the same.
    async fn plan_queue(&self, queue: &QueueId) -> Result<(), NotifyError> {
        let (day, reminders) = self.reminder_records.reminders(queue).await?;
        if reminders.is_empty() {
            return Ok(());
        }
        let snapshot = self.queues.snapshot(queue).await?;
        for (number, reminder) in reminders {
            let planned = self
                .plan_one(queue, &day, &snapshot, number, &reminder)
                .await;
            if let Err(e) = planned {
                self.reminder_failed(queue, number, &e).await;
            }
        }
        Ok(())
    }

    /// A reminder that could not be planned: tried again next round, unless Twilio refused it for
    /// good; then it is off, and the log shows Twilio's code.
    async fn reminder_failed(&self, queue: &QueueId, number: u64, e: &NotifyError) {
        if e.retryable {
            tracing::warn!(%queue, number, error = %e, "a reminder is not planned; next round");
            return;
        }
        tracing::warn!(%queue, number, error = %e, "Twilio refused a reminder: it is off");
        let now = self.setup.calendar.now();
        if let Err(e) = self
            .reminder_records
            .ask_reminder(queue, number, None, false, now)
            .await
        {
            tracing::warn!(error = %e, "a refused reminder is still on");
        }
        let Ok(Some(ticket)) = self.tickets.ticket(queue, number).await else {
            return;
        };
        let Some(phone) = ticket.phone else { return };
        if e.code == Some(super::outbox::OPTED_OUT) {
            self.contacts.opted_out(&phone).await;
        }
        let record = ContactRecord {
            sid: format!("reminder-{queue}-{number}-{}", now.now_ms),
            kind: MessageKind::Sms.as_str().to_owned(),
            to: phone.masked(),
            status: "failed".to_owned(),
            progress: progress("failed"),
            created_at: now.now_ms,
            updated_at: now.now_ms,
            error_code: e.code.map(|c| c.to_string()),
            ticket: Some(number),
            queue: Some(queue.clone()),
            purpose: Some("reminder".to_owned()),
        };
        if let Err(e) = self.contacts.log_contact(record, true).await {
            tracing::warn!(error = %e, "a refused reminder is missing from the log");
        }
    }

    /// Schedules (or sends, when the turn is near) the reminder of ticket `number`, or schedules
    /// it again when the estimate moved.
    #[allow(clippy::too_many_arguments)]
    async fn plan_one(
        &self,
        queue: &QueueId,
        day: &DayId,
        snapshot: &QueueSnapshot,
        number: u64,
        reminder: &Reminder,
    ) -> Result<(), NotifyError> {
        let now = self.setup.calendar.now();
        // sent, or due already (Twilio sends it)
        if reminder.sent || reminder.send_at.is_some_and(|at| at <= now.now_ms) {
            return Ok(());
        }
        let (Some(ticket), Some(ahead)) = (
            self.tickets.ticket_on(queue, day, number).await?,
            snapshot.people_ahead(number),
        ) else {
            return Ok(());
        };
        let basis = self.estimate.wait_basis(queue, snapshot).await?;
        let Some(wait) = self
            .estimate
            .wait_ms(ahead, snapshot.avg_service_ms, &basis)
        else {
            return Ok(());
        };
        let target = (now.now_ms + wait).saturating_sub(REMIND_BEFORE_MS);
        // a ticket that follows on LINE is pushed when the time comes (no scheduling at LINE)
        if ticket.summary.line && self.line.line_on() {
            if target <= now.now_ms {
                self.line.line_reminder_due(queue, number).await?;
            }
            return Ok(());
        }
        let Some(phone) = ticket.phone.clone() else {
            return Ok(());
        };
        if reminder
            .send_at
            .is_some_and(|at| at.abs_diff(target) <= MOVE_TOLERANCE_MS)
        {
            return Ok(());
        }
        // a number that texted STOP, or one we may not text (a landline that called in)
        let may_text = phone.check_texts(&self.setup.sms.allowed_countries).is_ok();
        if !may_text || self.phone_records.is_stopped(&phone).await? {
            self.reminder_records
                .ask_reminder(queue, number, None, false, now)
                .await?;
            return Ok(());
        }
        let at_once = target < now.now_ms + SCHEDULE_MIN_AHEAD_MS;
        // never planned, or the estimate moved by more than 10 minutes
        if reminder.sid.is_none() {
            // the first plan of this reminder: one of the ticket's messages
            match self
                .reminder_records
                .take_reminder(queue, number, at_once, now)
                .await
            {
                Ok(()) => {}
                Err(StoreError::Refused(_)) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(sid) = &reminder.sid {
            match self.notifier.cancel_scheduled(sid).await? {
                Cancelled::Cancelled => {
                    self.contact_records
                        .update_contact(
                            sid,
                            "canceled",
                            progress("canceled"),
                            now.now_ms,
                            None,
                            None,
                        )
                        .await?;
                }
                Cancelled::TooLate => {
                    // Twilio's 30409: the reminder went already; it is not sent again
                    let send_at = reminder.send_at.unwrap_or(now.now_ms);
                    let sent = self
                        .reminder_records
                        .reminder_planned(queue, number, Some(sid), send_at, true, now)
                        .await;
                    return match sent {
                        Ok(()) | Err(StoreError::Refused(_)) => Ok(()),
                        Err(e) => Err(e.into()),
                    };
                }
            }
        }
        let label = self.setup.label_of(queue, number);
        let link = ticket_url(self.setup.public_url().unwrap_or_default(), &ticket.token);
        let words = Words::Reminder {
            label: &label,
            link: &link,
        };
        let body = self.texts.say(ticket.lang, words);
        let (sid, send_at) = if at_once {
            (self.notifier.send_sms(&phone, &body).await?, now.now_ms)
        } else {
            (
                self.notifier.schedule_sms(&phone, &body, target).await?,
                target,
            )
        };
        let planned = self
            .reminder_records
            .reminder_planned(queue, number, Some(&sid), send_at, at_once, now)
            .await;
        match planned {
            Ok(()) => {}
            // dropped meanwhile (the ticket was called or is over)
            Err(StoreError::Refused(_)) if !at_once => {
                self.notifier.cancel_scheduled(&sid).await?;
            }
            Err(StoreError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
        if self.notifier.sends() {
            let status = if at_once { "queued" } else { "scheduled" };
            let record = ContactRecord {
                sid,
                kind: MessageKind::Sms.as_str().to_owned(),
                to: phone.masked(),
                status: status.to_owned(),
                progress: progress(status),
                created_at: now.now_ms,
                updated_at: now.now_ms,
                error_code: None,
                ticket: Some(number),
                queue: Some(queue.clone()),
                purpose: Some("reminder".to_owned()),
            };
            self.contacts.log_contact(record, false).await?;
        }
        Ok(())
    }
}
