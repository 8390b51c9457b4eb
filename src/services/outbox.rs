//! The outbox's worker: every server process works off the SMS and calls the queue's scripts
//! made due, through the [`Notifier`] (Twilio, or the dev outbox); Twilio down or slow never
//! slows the queue, which only writes the job. A job of a business day that is over, to a number
//! we may not reach or one that texted STOP, is not sent; a job handed out before is first looked
//! up, so what an earlier attempt sent is not sent twice.

use super::WaitingRoom;
use crate::notify::{Notifier, Texts, Words};
use crate::phone::{ContactRecord, PhoneNumber};
use crate::store::{DayId, OutboxJob, StoreError};
use crate::twilio::status::progress;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// One SMS or call, ready to go.
enum Message {
    Sms(String),
    Call {
        twiml: String,
        text: String,
        detect_machine: bool,
    },
}

/// How often the outbox is looked at.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// A job handed out this long ago and not acknowledged is taken over (its process stopped, or
/// its attempt failed and waits for a retry).
const TAKE_OVER_AFTER_MS: u64 = 15_000;

/// Every this many rounds the consumer groups are made sure of (they expire with the day).
const ENSURE_EVERY: u32 = 50;

impl WaitingRoom {
    /// Works the outbox off, as `consumer` (one name per server process), forever.
    pub async fn work_outbox(
        &self,
        notifier: Arc<dyn Notifier>,
        texts: Arc<dyn Texts>,
        consumer: String,
    ) {
        let mut ready: HashSet<crate::queue::QueueId> = HashSet::new();
        let mut round: u32 = 0;
        let plan_every = self.setup.reminder_check;
        let mut planned = tokio::time::Instant::now();
        loop {
            if planned.elapsed() >= plan_every {
                planned = tokio::time::Instant::now();
                let hold_ms = plan_every.as_millis().saturating_sub(100).max(100) as u64;
                self.plan_reminders(notifier.as_ref(), texts.as_ref(), hold_ms)
                    .await;
            }
            round = round.wrapping_add(1);
            if round % ENSURE_EVERY == 0 {
                ready.clear();
            }
            for queue in &self.setup.queues {
                if !ready.contains(&queue.id) {
                    if self.store.ensure_outbox(&queue.id).await.is_err() {
                        continue;
                    }
                    ready.insert(queue.id.clone());
                }
                let stale = self
                    .store
                    .stale_jobs(&queue.id, &consumer, TAKE_OVER_AFTER_MS)
                    .await;
                let fresh = self.store.new_jobs(&queue.id, &consumer, 20).await;
                match (stale, fresh) {
                    (Ok(stale), Ok(fresh)) => {
                        for job in stale.into_iter().chain(fresh) {
                            self.perform(notifier.as_ref(), texts.as_ref(), &job).await;
                        }
                    }
                    _ => {
                        ready.remove(&queue.id);
                    }
                }
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Sends one job and acknowledges it, unless a retry may succeed. A job handed out before is
    /// first looked up: if that attempt reached Twilio, it is not sent again.
    async fn perform(&self, notifier: &dyn Notifier, texts: &dyn Texts, job: &OutboxJob) {
        let Some(to) = job.field("to").and_then(|t| PhoneNumber::parse(t).ok()) else {
            tracing::error!(job = %job.id, "an outbox job without a number; dropped");
            let _ = self.store.ack_job(job).await;
            return;
        };
        if job.field("kind") == Some("unschedule") {
            self.unschedule(notifier, job).await;
            return;
        }
        // a job of a business day that is over is never sent: its ticket is over, and its number
        // may be someone else's today
        match self.store.today(&job.queue).await {
            Ok(today) if job.field("day") == Some(today.as_str()) => {}
            Ok(today) => {
                tracing::info!(job = %job.id, day = job.field("day").unwrap_or("?"), %today, "not sent: made due on an earlier business day");
                let _ = self.store.ack_job(job).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "the business day is unreadable; later");
                return;
            }
        }
        // texts go to mobiles of the allowed regions, calls to ordinary numbers there: a number
        // kept before the allow-list changed (or by any other way) gets nothing else
        let texted = matches!(job.field("kind"), Some("sms" | "turn_text"));
        let allowed = &self.setup.sms.allowed_countries;
        let permitted = if texted {
            to.check_texts(allowed)
        } else {
            to.check_calls(allowed)
        };
        if let Err(e) = permitted {
            tracing::warn!(job = %job.id, error = %e, "not sent: not a number we may reach");
            let kind = if texted { "sms" } else { "call" };
            self.metrics().outbound(kind, "refused");
            let _ = self.store.ack_job(job).await;
            let id = format!("job-{}", job.id);
            // Twilio's codes for the same refusals: region not enabled, not a mobile, call blocked
            let code = match (&e, texted) {
                (crate::phone::BadPhone::CountryNotAllowed(_), true) => "21408",
                (_, true) => "21614",
                (_, false) => "21215",
            };
            self.note_contact(job, kind, &to, id, "failed", Some(code))
                .await;
            return;
        }
        match self.store.is_stopped(&to).await {
            Ok(false) => {}
            Ok(true) => {
                // the number texted STOP: nothing more goes to it (Twilio's code for it: 21610)
                tracing::info!(job = %job.id, to = %to.masked(), "not sent: the number texted STOP");
                let kind = if texted { "sms" } else { "call" };
                self.metrics().outbound(kind, "stopped");
                let _ = self.store.ack_job(job).await;
                let id = format!("job-{}", job.id);
                self.note_contact(job, kind, &to, id, "failed", Some("21610"))
                    .await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "the stop list is unreadable; later");
                return;
            }
        }
        let message = match self.message_of(texts, job).await {
            Ok(Some(message)) => message,
            Ok(None) => {
                tracing::info!(job = %job.id, "nothing to send (its ticket is over, or the job is unknown)");
                let _ = self.store.ack_job(job).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "the job's ticket is unreadable; later");
                return;
            }
        };
        let (kind, text) = match &message {
            Message::Sms(body) => ("sms", body.as_str()),
            Message::Call { text, .. } => ("call", text.as_str()),
        };
        if job.deliveries > 0 {
            match notifier.already_sent(kind, &to, text).await {
                Ok(Some(sid)) => {
                    tracing::info!(job = %job.id, %sid, "sent by an earlier attempt");
                    let _ = self.store.ack_job(job).await;
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "cannot tell whether it was sent; later");
                    return;
                }
            }
        }
        let made = match &message {
            Message::Sms(body) => notifier.send_sms(&to, body).await,
            Message::Call {
                twiml,
                text,
                detect_machine,
            } => notifier.call(&to, twiml, text, *detect_machine).await,
        };
        match made {
            Ok(sid) => {
                self.metrics().outbound(kind, "sent");
                tracing::info!(job = %job.id, to = %to.masked(), %sid, %kind, sent = notifier.sends(), "sent");
                if let Err(e) = self.store.ack_job(job).await {
                    tracing::warn!(job = %job.id, error = %e, "sent, not yet acknowledged");
                }
                if notifier.sends() {
                    self.note_contact(job, kind, &to, sid, "queued", None).await;
                }
            }
            Err(e) if e.retryable => {
                self.metrics().outbound(kind, "retry");
                tracing::warn!(job = %job.id, %kind, error = %e, "not sent; will retry");
            }
            Err(e) => {
                self.metrics().outbound(kind, "refused");
                tracing::warn!(job = %job.id, %kind, to = %to.masked(), error = %e, "refused; dropped");
                let _ = self.store.ack_job(job).await;
                // the console's log shows what Twilio refused, and why
                let code = e.code.map(|c| c.to_string());
                let id = format!("job-{}", job.id);
                self.note_contact(job, kind, &to, id, "failed", code.as_deref())
                    .await;
            }
        }
    }

    /// Cancels the scheduled reminder of an `unschedule` job (its ticket was called or is over).
    async fn unschedule(&self, notifier: &dyn Notifier, job: &OutboxJob) {
        let Some(sid) = job.field("sid") else {
            let _ = self.store.ack_job(job).await;
            return;
        };
        match notifier.cancel_scheduled(sid).await {
            Ok(()) => {
                let now_ms = self.setup.calendar.now().now_ms;
                let _ = self.store.ack_job(job).await;
                if let Err(e) = self
                    .store
                    .update_contact(sid, "canceled", progress("canceled"), now_ms, None, None)
                    .await
                {
                    tracing::warn!(error = %e, "a cancelled reminder is not so in the log");
                }
            }
            Err(e) if e.retryable => {
                tracing::warn!(job = %job.id, error = %e, "a reminder is not cancelled yet; will retry");
            }
            Err(e) => {
                // sent already, or cancelled: nothing more to do
                tracing::warn!(job = %job.id, error = %e, "a reminder could not be cancelled");
                let _ = self.store.ack_job(job).await;
            }
        }
    }

    /// What job says: given in the job (`sms`, `call`), or written now in its ticket's language
    /// (`autodial`, `turn_text`: not when the ticket is over meanwhile). `None`: nothing to send.
    async fn message_of(
        &self,
        texts: &dyn Texts,
        job: &OutboxJob,
    ) -> Result<Option<Message>, StoreError> {
        let kind = job.field("kind").unwrap_or("sms");
        let given = match kind {
            "sms" => job.field("body").map(|body| Message::Sms(body.to_owned())),
            "call" => job.field("twiml").map(|twiml| Message::Call {
                twiml: twiml.to_owned(),
                text: job.field("body").unwrap_or_default().to_owned(),
                detect_machine: false,
            }),
            _ => None,
        };
        if given.is_some() || !matches!(kind, "autodial" | "turn_text") {
            return Ok(given);
        }
        let (Some(number), Some(day)) = (
            job.field("number").and_then(|n| n.parse().ok()),
            job.field("day").and_then(DayId::parse),
        ) else {
            return Ok(None);
        };
        let Some(ticket) = self.store.ticket_on(&job.queue, &day, number).await? else {
            return Ok(None);
        };
        if !ticket.state().is_active() {
            return Ok(None);
        }
        Ok(Some(if kind == "autodial" {
            let (twiml, text) = self.turn_near_call(texts, &ticket, &day, 0);
            Message::Call {
                twiml,
                text,
                // a machine that answers hears nothing useful: the customer is texted instead
                detect_machine: true,
            }
        } else {
            let label = self.label_of(&job.queue, number);
            let link = super::ticket_url(self.public_url().unwrap_or_default(), &ticket.token);
            Message::Sms(texts.say(
                ticket.lang,
                Words::TurnNearText {
                    label: &label,
                    link: &link,
                },
            ))
        }))
    }

    /// Writes what became of a job into the day's log.
    async fn note_contact(
        &self,
        job: &OutboxJob,
        kind: &str,
        to: &PhoneNumber,
        sid: String,
        status: &str,
        error_code: Option<&str>,
    ) {
        let now_ms = self.setup.calendar.now().now_ms;
        let record = ContactRecord {
            sid,
            kind: kind.to_owned(),
            to: to.masked(),
            status: status.to_owned(),
            progress: progress(status),
            created_at: now_ms,
            updated_at: now_ms,
            error_code: error_code.map(str::to_owned),
            ticket: job.field("number").and_then(|n| n.parse().ok()),
            queue: Some(job.queue.clone()),
            purpose: job
                .field("purpose")
                .or(job.field("kind"))
                .map(str::to_owned),
        };
        if let Err(e) = self.log_contact(record).await {
            tracing::warn!(error = %e, "a message or call is missing from the log");
        }
    }
}
