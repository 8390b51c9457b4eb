//! Sending what the outbox holds (SMS and calls): through Twilio, or — without Twilio credentials — into the dev
//! outbox the staff console shows, clearly marked as not sent. Every server process works the
//! outbox off; Twilio down or slow never slows the queue, which only writes the job.

use super::WaitingRoom;
use crate::lang::Lang;
use crate::phone::{ContactRecord, PhoneNumber};
use crate::store::StoreError;
use crate::store::{DayId, DevMessage, LogUpdate, OutboxJob, Store};
use crate::twilio::status::{progress, Stage, UNSENT};
use crate::twilio::{TwilioClient, TwilioError};
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Why a message was not sent; `retryable`: a later attempt may succeed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct NotifyError {
    pub retryable: bool,
    pub message: String,
    /// Twilio's error code (21211 invalid number, 21610 replied STOP, ...).
    pub code: Option<u32>,
}

impl From<TwilioError> for NotifyError {
    fn from(e: TwilioError) -> Self {
        Self {
            retryable: e.is_retryable(),
            message: e.to_string(),
            code: match e {
                TwilioError::Api { code, .. } => code,
                _ => None,
            },
        }
    }
}

/// Redis failing: a later attempt may succeed.
impl From<StoreError> for NotifyError {
    fn from(e: StoreError) -> Self {
        Self {
            retryable: true,
            message: e.to_string(),
            code: None,
        }
    }
}

/// Where SMS and calls go.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `body` to `to`; answers its id (Twilio's Sid).
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError>;
    /// Calls `to`; the call says `twiml` (`text`: the same words, for the dev outbox);
    /// `detect_machine`: Twilio tells whether a person or a machine answered.
    async fn call(
        &self,
        to: &PhoneNumber,
        twiml: &str,
        text: &str,
        detect_machine: bool,
    ) -> Result<String, NotifyError>;
    /// The id of `body` to `to` (of a call to `to`, for `kind` `call`) if an earlier attempt, of a
    /// process that stopped, already made it.
    async fn already_sent(
        &self,
        kind: &str,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError>;
    /// Schedules `body` to `to` at `send_at_ms`; answers its id.
    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError>;
    /// Cancels scheduled message `sid`.
    async fn cancel_scheduled(&self, sid: &str) -> Result<(), NotifyError>;
    /// `true`: messages really leave (Twilio); `false`: the dev outbox.
    fn sends(&self) -> bool;
}

/// What calls and messages say, in a ticket's language (the words live in the app's locale
/// files, so the app provides them).
pub trait Texts: Send + Sync {
    fn say(&self, lang: Lang, words: Words<'_>) -> String;
}

/// Everything SMS and calls say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Words<'a> {
    /// The automatic call when the turn is near: 「受付番号42番の方、まもなく順番です。…」
    TurnNear { label: &'a str },
    /// Its menu: 1 on my way, 2 cancel, 9 repeat.
    TurnMenu,
    /// 1 pressed.
    OnMyWay,
    /// 2 pressed: the ticket is cancelled.
    Cancelled { label: &'a str },
    /// Nothing (more) to do on the call.
    Goodbye,
    /// The SMS instead of an automatic call that reached nobody, with the ticket's page.
    TurnNearText { label: &'a str, link: &'a str },
    /// A ticket taken by SMS: its number, the people ahead and its page.
    Joined {
        label: &'a str,
        ahead: u64,
        link: &'a str,
    },
    /// Where a waiting ticket is (`minutes`: the estimate, if there is one yet), texted with its
    /// page's `link`, or spoken (`None`).
    Waiting {
        label: &'a str,
        ahead: u64,
        minutes: Option<u64>,
        link: Option<&'a str>,
    },
    /// The ticket is called to `counter`.
    AtCounter {
        label: &'a str,
        counter: &'a crate::queue::CounterId,
        spoken: bool,
    },
    /// A call to the store's number: 1 take a ticket, 2 hear my place, 3 cancel my ticket.
    PhoneMenu,
    /// A ticket taken on the phone menu, said to the caller.
    JoinedByCall { label: &'a str, ahead: u64 },
    /// The caller's number is withheld (or not one we serve).
    NoCallerId,
    /// Twilio says the caller's number failed its attestation (it may be forged): the menu does
    /// nothing for it.
    CallerNotConfirmed,
    /// The phone holds no ticket today (texted, or `spoken` on a call).
    NoTicket { spoken: bool },
    /// No ticket can be taken now (intake paused, the day full).
    NotNow { spoken: bool },
    /// START: texts and calls resume.
    Started,
    /// What one can text.
    Help,
    /// The reminder about 30 minutes before the turn, with the ticket's page.
    Reminder { label: &'a str, link: &'a str },
}

/// Twilio, with the status callback URL its messages report to.
pub struct TwilioNotifier {
    pub client: TwilioClient,
    pub status_callback: Option<String>,
}

#[async_trait]
impl Notifier for TwilioNotifier {
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        let sent = self
            .client
            .send_sms(to, body, self.status_callback.as_deref())
            .await?;
        Ok(sent.sid)
    }

    async fn call(
        &self,
        to: &PhoneNumber,
        twiml: &str,
        _text: &str,
        detect_machine: bool,
    ) -> Result<String, NotifyError> {
        let call = crate::twilio::Call {
            to,
            script: crate::twilio::CallScript::Twiml(twiml.to_owned()),
            status_callback: self.status_callback.clone(),
            timeout_s: 25,
            time_limit_s: super::voice::CALL_TIME_LIMIT_S,
            detect_machine,
        };
        Ok(self.client.call(&call).await?.sid)
    }

    async fn already_sent(
        &self,
        kind: &str,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError> {
        if kind == "call" {
            // a call carries no text to tell it by: the latest call to this number
            let calls = self.client.calls_to(to).await?;
            return Ok(calls.into_iter().next().map(|c| c.sid));
        }
        let sent = self.client.messages_to(to).await?;
        Ok(sent
            .into_iter()
            .find(|m| m.body.as_deref() == Some(body))
            .map(|m| m.sid))
    }

    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError> {
        let at = |ms: u64| {
            jiff::Timestamp::from_millisecond(ms as i64).map_err(|e| NotifyError {
                retryable: false,
                message: e.to_string(),
                code: None,
            })
        };
        let now = jiff::Timestamp::now().as_millisecond().max(0) as u64;
        let sent = self
            .client
            .schedule_sms(to, body, at(send_at_ms)?, at(now)?)
            .await?;
        Ok(sent.sid)
    }

    async fn cancel_scheduled(&self, sid: &str) -> Result<(), NotifyError> {
        self.client.cancel_sms(sid).await?;
        Ok(())
    }

    fn sends(&self) -> bool {
        true
    }
}

/// Without Twilio: messages are kept in Redis for the console, marked as not sent.
pub struct DevOutbox {
    pub store: Store,
}

#[async_trait]
impl Notifier for DevOutbox {
    async fn send_sms(&self, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        self.keep("sms", to, body).await
    }

    async fn call(
        &self,
        to: &PhoneNumber,
        _twiml: &str,
        text: &str,
        _detect_machine: bool,
    ) -> Result<String, NotifyError> {
        self.keep("call", to, text).await
    }

    async fn already_sent(
        &self,
        kind: &str,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<Option<String>, NotifyError> {
        let kept = self.store.dev_messages().await?;
        Ok(kept
            .into_iter()
            .find(|m| m.kind == kind && m.to == to.as_str() && m.body == body)
            .map(|m| format!("dev-{}", m.at)))
    }

    async fn schedule_sms(
        &self,
        to: &PhoneNumber,
        body: &str,
        send_at_ms: u64,
    ) -> Result<String, NotifyError> {
        let when = jiff::Timestamp::from_millisecond(send_at_ms as i64)
            .map(|t| t.to_string())
            .unwrap_or_default();
        self.keep("scheduled", to, &format!("[{when}] {body}"))
            .await
    }

    async fn cancel_scheduled(&self, sid: &str) -> Result<(), NotifyError> {
        tracing::info!(%sid, "dev outbox: a scheduled message is cancelled");
        Ok(())
    }

    fn sends(&self) -> bool {
        false
    }
}

impl DevOutbox {
    async fn keep(&self, kind: &str, to: &PhoneNumber, body: &str) -> Result<String, NotifyError> {
        let message = DevMessage {
            at: jiff::Timestamp::now().as_millisecond().max(0) as u64,
            to: to.to_string(),
            body: body.to_owned(),
            kind: kind.to_owned(),
        };
        self.store.add_dev_message(&message).await?;
        Ok(format!("dev-{}", message.at))
    }
}

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
                let status = if notifier.sends() { "queued" } else { UNSENT };
                self.note_contact(job, kind, &to, sid, status, None).await;
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

    /// Writes what became of a job into the day's log (but for what the dev outbox kept, which
    /// no Twilio status will follow), and shows it on its ticket: the event of that has the
    /// consoles read their log and dev outbox again.
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
        let noted = if status == UNSENT {
            self.contact_moved(&record, None).await
        } else {
            self.log_contact(record, true).await
        };
        if let Err(e) = noted {
            tracing::warn!(error = %e, "a message or call is missing from the log or its ticket");
        }
    }

    /// Adds `record` to the day's log; a status Twilio reported before it (its first callback
    /// can beat the answer to the create) takes effect now. `on_ticket`: its ticket shows it
    /// even without one.
    pub(crate) async fn log_contact(
        &self,
        mut record: ContactRecord,
        on_ticket: bool,
    ) -> Result<(), StoreError> {
        let answered_by = match self.store.log_contact(&record).await? {
            Some(early) => {
                record.status = early.status;
                record.progress = progress(&record.status);
                early.answered_by
            }
            None if on_ticket => None,
            None => return Ok(()),
        };
        self.contact_moved(&record, answered_by.as_deref()).await
    }

    /// Log entry `entry` moved on to its status: the ticket it is about shows it, and an
    /// automatic call that reached nobody (busy, no answer, failed, a machine: `answered_by`)
    /// makes an SMS due instead.
    async fn contact_moved(
        &self,
        entry: &ContactRecord,
        answered_by: Option<&str>,
    ) -> Result<(), StoreError> {
        let (Some(queue), Some(number)) = (&entry.queue, entry.ticket) else {
            return Ok(());
        };
        let text_instead = entry.purpose.as_deref() == Some("autodial")
            && Stage::missed_call(&entry.status, answered_by);
        let now = self.setup.calendar.now();
        match self
            .store
            .note_contact_state(queue, number, entry, text_instead, now)
            .await
        {
            Ok(()) | Err(StoreError::Refused(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A status callback of Twilio's for message or call `sid`: moves its log entry on, never
    /// backwards, and with it the state its ticket shows (see `contact_moved`). A Sid not in the
    /// log is kept aside a few minutes, for the entry its sender is about to write; one that is
    /// not ours is thus ignored.
    pub async fn contact_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
        answered_by: Option<&str>,
    ) -> Result<LogUpdate, super::ServiceError> {
        let now_ms = self.setup.calendar.now().now_ms;
        let update = self
            .store
            .update_contact(
                sid,
                status,
                progress(status),
                now_ms,
                error_code,
                answered_by,
            )
            .await?;
        if let LogUpdate::Updated(entry) = &update {
            self.contact_moved(entry, answered_by).await?;
        }
        Ok(update)
    }

    /// The day's SMS and calls, newest first.
    pub async fn contact_log(&self) -> Result<Vec<ContactRecord>, super::ServiceError> {
        Ok(self.store.contact_log().await?)
    }

    /// The dev outbox, newest first (empty when Twilio sends for real).
    pub async fn dev_messages(&self) -> Result<Vec<DevMessage>, super::ServiceError> {
        Ok(self.store.dev_messages().await?)
    }
}
