//! The outbox's worker: every server process works off the SMS and calls the queue's scripts
//! made due, through the [`Notifier`] (Twilio, or the dev outbox); Twilio down or slow never
//! slows the queue, which only writes the job. A job of a business day that is over, to a number
//! we may not reach or one that texted STOP, is not sent; a job handed out before is first looked
//! up, so what an earlier attempt sent is not sent twice.

use super::contacts::Contacts;
use super::contacts::RECONCILE_EVERY_MS;
use super::line::Line;
use super::reminders::Reminders;
use super::voice::Voice;
use super::Setup;
use crate::notify::Notifier;
use crate::notify::Texts;
use crate::notify::{Cancelled, NotifyError, Words};
use crate::phone::{BadPhone, ContactRecord, PhoneNumber, PhoneRules};
use crate::store::{self, Store};
use crate::store::{MessageKind, OutboxJob, Outgoing, StoreError, Task};
use crate::twilio::status::{progress, UNSENT};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// One SMS or call, ready to go.
#[derive(Debug, PartialEq, Eq)]
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
/// its attempt failed and waits for a retry). While an attempt runs, its process renews its
/// claim every [`RENEW_EVERY`]: a slow Twilio (four tries of 10 s, and a look between them)
/// never has the job taken over and sent again by another process meanwhile.
const TAKE_OVER_AFTER_MS: u64 = 15_000;
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// Every this many rounds (10 s) LINE's webhook events recorded and not carried out are.
const LINE_INBOX_EVERY: u32 = 50;

/// Every this many rounds the consumer groups are made sure of (they expire with the day).
const ENSURE_EVERY: u32 = 50;

/// What is sent (texts, calls, LINE pushes), once each, by whichever process takes it. Handed out by [`super::WaitingRoom::outbox`].
#[derive(Clone)]
pub struct Outbox {
    contact_records: store::ContactRecords,
    days: store::Days,
    metrics: Arc<crate::metrics::Metrics>,
    outbox_stream: store::OutboxStream,
    phone_records: store::PhoneRecords,
    tickets: store::Tickets,
    setup: Arc<Setup>,
    texts: Arc<dyn Texts>,
    notifier: Arc<dyn Notifier>,
    contacts: Contacts,
    line: Line,
    reminders: Reminders,
    voice: Voice,
}

impl Outbox {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        store: &Store,
        setup: Arc<Setup>,
        texts: Arc<dyn Texts>,
        notifier: Arc<dyn Notifier>,
        contacts: Contacts,
        line: Line,
        reminders: Reminders,
        voice: Voice,
    ) -> Self {
        Self {
            contact_records: store.contact_records(),
            days: store.days(),
            metrics: store.shared_metrics(),
            outbox_stream: store.outbox_stream(),
            phone_records: store.phone_records(),
            tickets: store.tickets(),
            setup,
            texts,
            notifier,
            contacts,
            line,
            reminders,
            voice,
        }
    }

    /// Works the outbox off, as `consumer` (one name per server process), forever.
    pub async fn work_outbox(&self, consumer: String) {
        let mut ready: HashSet<crate::queue::QueueId> = HashSet::new();
        let mut round: u32 = 0;
        let plan_every = self.setup.reminder_check;
        let mut planned = tokio::time::Instant::now();
        // on the calendar's clock, like the log's times it compares
        let mut reconciled_ms = self.setup.calendar.now().now_ms;
        loop {
            let now_ms = self.setup.calendar.now().now_ms;
            if now_ms >= reconciled_ms + RECONCILE_EVERY_MS {
                reconciled_ms = now_ms;
                if let Ok(true) = self
                    .contact_records
                    .take_reconciler(RECONCILE_EVERY_MS - 1_000)
                    .await
                {
                    self.contacts.reconcile_contacts().await;
                }
            }
            if round % LINE_INBOX_EVERY == 0 {
                self.line.line_inbox_round().await;
            }
            if planned.elapsed() >= plan_every {
                planned = tokio::time::Instant::now();
                let hold_ms = plan_every.as_millis().saturating_sub(100).max(100) as u64;
                self.reminders.plan_reminders(hold_ms).await;
            }
            round = round.wrapping_add(1);
            if round % ENSURE_EVERY == 0 {
                ready.clear();
            }
            for queue in &self.setup.queues {
                if !ready.contains(&queue.id) {
                    if self.outbox_stream.ensure_outbox(&queue.id).await.is_err() {
                        continue;
                    }
                    ready.insert(queue.id.clone());
                }
                let stale = self
                    .outbox_stream
                    .stale_jobs(&queue.id, &consumer, TAKE_OVER_AFTER_MS)
                    .await;
                let fresh = self.outbox_stream.new_jobs(&queue.id, &consumer, 20).await;
                match (stale, fresh) {
                    (Ok(stale), Ok(fresh)) => {
                        for job in stale.into_iter().chain(fresh) {
                            match job {
                                Ok(job) => {
                                    let work = self.perform(&job);
                                    self.renewing(&job, &consumer, work).await
                                }
                                Err(bad) => {
                                    tracing::error!(job = %bad.entry.id, why = %bad.why, "an outbox job that cannot be read; dropped");
                                    let _ = self.outbox_stream.ack_job(&bad.entry).await;
                                }
                            }
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

    /// Runs `work` on `job`, renewing `consumer`'s claim on it meanwhile.
    async fn renewing(
        &self,
        job: &OutboxJob,
        consumer: &str,
        work: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(work);
        let mut renew = tokio::time::interval(RENEW_EVERY);
        renew.tick().await;
        loop {
            tokio::select! {
                () = &mut work => return,
                _ = renew.tick() => {
                    if let Err(e) = self.outbox_stream.renew_job(&job.entry, consumer).await {
                        tracing::warn!(job = %job.entry.id, error = %e, "a job's claim is not renewed");
                    }
                }
            }
        }
    }

    /// Carries out one job and acknowledges it, unless a retry may succeed.
    async fn perform(&self, job: &OutboxJob) {
        match &job.task {
            Task::Unschedule { sid } => self.unschedule(job, sid).await,
            Task::Send { to, outgoing } => self.send(job, to, outgoing).await,
            Task::Line { notice } => self.line.push_line(job, *notice).await,
        }
    }

    /// Sends what `job` makes due to `to`. A job handed out before is first looked up: if that
    /// attempt reached Twilio, it is not sent again.
    async fn send(&self, job: &OutboxJob, to: &PhoneNumber, outgoing: &Outgoing) {
        let id = &job.entry.id;
        // a job of a business day that is over is never sent: its ticket is over, and its number
        // may be someone else's today
        match self.days.today(&job.entry.queue).await {
            Ok(today) if job.day == today => {}
            Ok(today) => {
                tracing::info!(job = %id, day = %job.day, %today, "not sent: made due on an earlier business day");
                let _ = self.outbox_stream.ack_job(&job.entry).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "the business day is unreadable; later");
                return;
            }
        }
        // texts go to mobiles of the allowed regions, calls to ordinary numbers there: a number
        // kept before the allow-list changed (or by any other way) gets nothing else
        let kind = outgoing.kind();
        let allowed = &self.setup.sms.allowed_countries;
        let permitted = match kind {
            MessageKind::Sms => to.check_texts(allowed),
            MessageKind::Call => to.check_calls(allowed),
        };
        if let Err(e) = permitted {
            tracing::warn!(job = %id, error = %e, "not sent: not a number we may reach");
            self.metrics.outbound(kind.as_str(), "refused");
            self.give_up(job, outgoing, to, Some(refusal_code(&e, kind)))
                .await;
            return;
        }
        match self.phone_records.is_stopped(to).await {
            Ok(false) => {}
            Ok(true) => {
                // the number texted STOP: nothing more goes to it (Twilio's code for it: 21610)
                tracing::info!(job = %id, to = %to.masked(), "not sent: the number texted STOP");
                self.metrics.outbound(kind.as_str(), "stopped");
                self.give_up(job, outgoing, to, Some(&OPTED_OUT.to_string()))
                    .await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "the stop list is unreadable; later");
                return;
            }
        }
        let message = match self.message_of(job, outgoing).await {
            Ok(Some(message)) => message,
            Ok(None) => {
                tracing::info!(job = %id, "nothing to send (its ticket is over)");
                let _ = self.outbox_stream.ack_job(&job.entry).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "the job's ticket is unreadable; later");
                return;
            }
        };
        let text = match &message {
            Message::Sms(body) => body.as_str(),
            Message::Call { text, .. } => text.as_str(),
        };
        if job.deliveries > 0 {
            match self.made_before(job, outgoing, to, text).await {
                Ok(Some(sid)) => {
                    tracing::info!(job = %id, %sid, "sent by an earlier attempt");
                    let _ = self.outbox_stream.ack_job(&job.entry).await;
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = %id, error = %e, "cannot tell whether it was sent; later");
                    return;
                }
            }
        }
        let made = match &message {
            Message::Sms(body) => self.notifier.send_sms(to, body).await,
            Message::Call {
                twiml,
                text,
                detect_machine,
            } => self.notifier.call(to, twiml, text, *detect_machine).await,
        };
        let kind = kind.as_str();
        match made {
            Ok(sid) => {
                self.metrics.outbound(kind, "sent");
                tracing::info!(job = %id, to = %to.masked(), %sid, %kind, sent = self.notifier.sends(), "sent");
                if let Err(e) = self.outbox_stream.ack_job(&job.entry).await {
                    tracing::warn!(job = %id, error = %e, "sent, not yet acknowledged");
                }
                let status = if self.notifier.sends() {
                    "queued"
                } else {
                    UNSENT
                };
                self.note_contact(job, outgoing, to, sid, status, None)
                    .await;
            }
            Err(e) if e.retryable => {
                self.metrics.outbound(kind, "retry");
                tracing::warn!(job = %id, %kind, error = %e, "not sent; will retry");
            }
            Err(e) => {
                self.metrics.outbound(kind, "refused");
                tracing::warn!(job = %id, %kind, to = %to.masked(), error = %e, "refused; dropped");
                if e.code == Some(OPTED_OUT) {
                    self.contacts.opted_out(to).await;
                }
                // the console's log shows what Twilio refused, and why
                let code = e.code.map(|c| c.to_string());
                self.give_up(job, outgoing, to, code.as_deref()).await;
            }
        }
    }

    /// Cancels the scheduled reminder `sid` of an unschedule job (its ticket was called or is
    /// over).
    async fn unschedule(&self, job: &OutboxJob, sid: &str) {
        match self.notifier.cancel_scheduled(sid).await {
            Ok(Cancelled::TooLate) => {
                // Twilio's 30409: it is no longer scheduled (it went): nothing to cancel
                tracing::info!(job = %job.entry.id, %sid, "a reminder went before it could be cancelled");
                let _ = self.outbox_stream.ack_job(&job.entry).await;
            }
            Ok(Cancelled::Cancelled) => {
                let now_ms = self.setup.calendar.now().now_ms;
                let _ = self.outbox_stream.ack_job(&job.entry).await;
                if let Err(e) = self
                    .contact_records
                    .update_contact(sid, "canceled", progress("canceled"), now_ms, None, None)
                    .await
                {
                    tracing::warn!(error = %e, "a cancelled reminder is not so in the log");
                }
            }
            Err(e) if e.retryable => {
                tracing::warn!(job = %job.entry.id, error = %e, "a reminder is not cancelled yet; will retry");
            }
            Err(e) => {
                // sent already, or cancelled: nothing more to do
                tracing::warn!(job = %job.entry.id, error = %e, "a reminder could not be cancelled");
                let _ = self.outbox_stream.ack_job(&job.entry).await;
            }
        }
    }

    /// What `outgoing` says: given in the job, or written now in its ticket's language (the
    /// automatic call, the text instead: not when the ticket is over meanwhile). `None`: nothing
    /// to send.
    async fn message_of(
        &self,
        job: &OutboxJob,
        outgoing: &Outgoing,
    ) -> Result<Option<Message>, StoreError> {
        if let Some(given) = given(outgoing) {
            return Ok(Some(given));
        }
        let queue = &job.entry.queue;
        let Some(ticket) = self.tickets.ticket_on(queue, &job.day, job.number).await? else {
            return Ok(None);
        };
        if !ticket.state().is_active() {
            return Ok(None);
        }
        Ok(Some(if *outgoing == Outgoing::Autodial {
            let (twiml, text) = self.voice.turn_near_call(&ticket, &job.day, 0);
            Message::Call {
                twiml,
                text,
                // a machine that answers hears nothing useful: the customer is texted instead
                detect_machine: true,
            }
        } else {
            let label = self.setup.label_of(queue, job.number);
            let link =
                super::ticket_url(self.setup.public_url().unwrap_or_default(), &ticket.token);
            let words = Words::TurnNearText {
                label: &label,
                link: &link,
            };
            Message::Sms(self.texts.say(ticket.lang, words))
        }))
    }

    /// The Sid of what an earlier attempt of `job` made, if one did: a message of its words to
    /// `to`, or a call to `to`, made since the job was, that the log does not know as another
    /// job's (another ticket's, or another purpose).
    async fn made_before(
        &self,
        job: &OutboxJob,
        outgoing: &Outgoing,
        to: &PhoneNumber,
        text: &str,
    ) -> Result<Option<String>, NotifyError> {
        let made = self
            .notifier
            .already_sent(outgoing.kind(), to, text, job.entry.made_ms())
            .await?;
        for sid in made {
            let theirs = self
                .contact_records
                .contact(&sid)
                .await?
                .is_some_and(|logged| {
                    logged.ticket != Some(job.number)
                        || logged.queue.as_ref() != Some(&job.entry.queue)
                        || logged.purpose.as_deref() != Some(outgoing.purpose())
                });
            if !theirs {
                return Ok(Some(sid));
            }
        }
        Ok(None)
    }

    /// A job that will never go: acknowledged, and in the day's log as failed with `code`
    /// (Twilio's, or Twilio's for the same refusal of ours).
    async fn give_up(
        &self,
        job: &OutboxJob,
        outgoing: &Outgoing,
        to: &PhoneNumber,
        code: Option<&str>,
    ) {
        let _ = self.outbox_stream.ack_job(&job.entry).await;
        let id = format!("job-{}", job.entry.id);
        self.note_contact(job, outgoing, to, id, "failed", code)
            .await;
    }

    /// Writes what became of a job into the day's log (but for what the dev outbox kept, which
    /// no Twilio status will follow), and shows it on its ticket: the event of that has the
    /// consoles read their log and dev outbox again.
    async fn note_contact(
        &self,
        job: &OutboxJob,
        outgoing: &Outgoing,
        to: &PhoneNumber,
        sid: String,
        status: &str,
        error_code: Option<&str>,
    ) {
        let now_ms = self.setup.calendar.now().now_ms;
        let record = ContactRecord {
            sid,
            kind: outgoing.kind().as_str().to_owned(),
            to: to.masked(),
            status: status.to_owned(),
            progress: progress(status),
            created_at: now_ms,
            updated_at: now_ms,
            error_code: error_code.map(str::to_owned),
            ticket: Some(job.number),
            queue: Some(job.entry.queue.clone()),
            purpose: Some(outgoing.purpose().to_owned()),
        };
        let noted = if status == UNSENT {
            self.contacts.contact_moved(&record, None).await
        } else {
            self.contacts.log_contact(record, true).await
        };
        if let Err(e) = noted {
            tracing::warn!(error = %e, "a message or call is missing from the log or its ticket");
        }
    }
}

/// Twilio's error for a send to a number that opted out (replied STOP): 21610.
pub(crate) const OPTED_OUT: u32 = 21610;

/// What a job gives whole (an SMS's text, staff's call); `None`: written when it goes.
fn given(outgoing: &Outgoing) -> Option<Message> {
    match outgoing {
        Outgoing::Sms { body, .. } => Some(Message::Sms(body.clone())),
        Outgoing::Call { twiml, text, .. } => Some(Message::Call {
            twiml: twiml.clone(),
            text: text.clone(),
            detect_machine: false,
        }),
        Outgoing::Autodial | Outgoing::TurnText => None,
    }
}

/// Twilio's code for a refusal of ours to reach a number (the log shows the same code whether
/// Twilio or we refused): a region not enabled, not a mobile, a call blocked.
fn refusal_code(e: &BadPhone, kind: MessageKind) -> &'static str {
    match (e, kind) {
        (BadPhone::CountryNotAllowed(_), MessageKind::Sms) => "21408",
        (_, MessageKind::Sms) => "21614",
        (_, MessageKind::Call) => "21215",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sms_and_staffs_call_go_as_given_and_the_automatic_ones_are_written_when_they_go() {
        let sms = Outgoing::Sms {
            purpose: "verify".into(),
            body: "リンク".into(),
        };
        assert_eq!(given(&sms), Some(Message::Sms("リンク".into())));
        let call = Outgoing::Call {
            purpose: "call_out".into(),
            twiml: "<Response/>".into(),
            text: "words".into(),
        };
        assert_eq!(
            given(&call),
            Some(Message::Call {
                twiml: "<Response/>".into(),
                text: "words".into(),
                detect_machine: false,
            }),
            "staff's call is not screened for machines"
        );
        assert_eq!(given(&Outgoing::Autodial), None);
        assert_eq!(given(&Outgoing::TurnText), None);
    }

    #[test]
    fn a_number_we_may_not_reach_is_logged_with_twilios_code_for_the_same_refusal() {
        let region = BadPhone::CountryNotAllowed("US".into());
        let landline = BadPhone::NotMobile("+81312345678".into());
        assert_eq!(refusal_code(&region, MessageKind::Sms), "21408");
        assert_eq!(refusal_code(&landline, MessageKind::Sms), "21614");
        assert_eq!(refusal_code(&region, MessageKind::Call), "21215");
    }
}
