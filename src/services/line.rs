//! LINE: the ticket page's link (a one-time code in a prefilled message), the webhook (checked,
//! recorded before it is answered, redeliveries dropped, then carried out), linking a ticket to
//! the user who sent its code, and the pushes the outbox hands over. A LINE user id never reaches
//! a log or an event: logs name a user by a few characters of its HMAC.

use super::contacts::Contacts;
use super::phones::Phones;
use super::{ticket_url, ServiceError, Setup};
use crate::lang::Lang;
use crate::line::webhook::{self, Event};
use crate::line::{code, message_link, Pushed, MAX_FOLLOWED};
use crate::notify::LineNotifier;
use crate::notify::Texts;
use crate::notify::Words;
use crate::phone::ContactRecord;
use crate::store::{self, Store};
use crate::store::{LineNotice, OutboxJob, Source, StoreError};
use crate::ticket::{Ticket, TicketState};
use crate::twilio::status::progress;
use std::sync::Arc;
use std::time::Duration;

/// Why a webhook was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LineWebhookError {
    /// LINE is not configured here.
    #[error("LINE is not configured")]
    Off,
    /// No signature, or not LINE's (nothing was read or changed).
    #[error("invalid LINE signature")]
    Forged,
    /// Signed, but not LINE's JSON.
    #[error("not a LINE webhook body: {0}")]
    Malformed(String),
    /// Redis failed before the events were recorded: LINE may deliver them again.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long one process has an event to carry out before another may take it over.
const EVENT_LEASE_MS: u64 = 60_000;

/// Messages of one LINE user answered per hour: linking a ticket takes one, a mistyped code a
/// second; past this a user's messages get no reply (each reply counts in the shop's quota).
pub const LINE_MESSAGES_PER_HOUR: u32 = 10;

/// The shop's LINE account: links, the webhook, pushes. Handed out by [`super::WaitingRoom::line`].
#[derive(Clone)]
pub struct Line {
    days: store::Days,
    line_records: store::LineRecords,
    metrics: Arc<crate::metrics::Metrics>,
    outbox_stream: store::OutboxStream,
    tickets: store::Tickets,
    setup: Arc<Setup>,
    texts: Arc<dyn Texts>,
    line: Option<LineNotifier>,
    phones: Phones,
    contacts: Contacts,
}

impl Line {
    pub(super) fn new(
        store: &Store,
        setup: Arc<Setup>,
        texts: Arc<dyn Texts>,
        line: Option<LineNotifier>,
        phones: Phones,
        contacts: Contacts,
    ) -> Self {
        Self {
            days: store.days(),
            line_records: store.line_records(),
            metrics: store.shared_metrics(),
            outbox_stream: store.outbox_stream(),
            tickets: store.tickets(),
            setup,
            texts,
            line,
            phones,
            contacts,
        }
    }

    /// Whether LINE is on.
    pub fn line_on(&self) -> bool {
        self.line.is_some()
    }

    /// The ticket page's 「LINEで通知を受け取る」 link: a chat with the shop's account with the
    /// ticket's one-time code typed in. `None`: LINE is off, or the ticket does not wait, or
    /// follows on LINE already.
    pub async fn line_link_of(&self, ticket: &Ticket) -> Result<Option<String>, ServiceError> {
        let Some(line) = &self.line else {
            return Ok(None);
        };
        if ticket.state() != TicketState::Waiting || ticket.summary.line {
            return Ok(None);
        }
        let now = self.setup.calendar.now();
        match self
            .line_records
            .line_code(&ticket.queue, ticket.number(), now)
            .await
        {
            Ok(Some(code)) => {
                let label = self.setup.label_of(&ticket.queue, ticket.number());
                let words = Words::LinePrefill {
                    label: &label,
                    code: &code,
                };
                let text = self.texts.say(ticket.lang, words);
                Ok(Some(message_link(line.account_id(), &text)))
            }
            Ok(None) | Err(StoreError::Refused(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// `POST /line/webhook`: checks `signature` over the raw `body`, then records each new event
    /// (a redelivery, by its `webhookEventId`, is dropped) before the webhook is answered.
    /// Answers the events to carry out next (id and JSON).
    pub async fn line_webhook(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Vec<(String, String)>, LineWebhookError> {
        let Some(line) = &self.line else {
            return Err(LineWebhookError::Off);
        };
        let secret = &line.client.config().channel_secret;
        let signed =
            signature.is_some_and(|given| crate::line::signature::is_valid(secret, body, given));
        if !signed {
            return Err(LineWebhookError::Forged);
        }
        let events = webhook::parse(body).map_err(LineWebhookError::Malformed)?;
        let mut new = Vec::new();
        for (event, raw) in events {
            let Some(id) = event.id() else { continue };
            if matches!(event, Event::Ignored { .. }) {
                continue;
            }
            let json = raw.to_string();
            if self.line_records.line_record_event(id, &json).await? {
                new.push((id.to_owned(), json));
            } else {
                tracing::info!(event = %id, "a LINE event received before: dropped");
            }
        }
        Ok(new)
    }

    /// Carries out recorded events, each by one process (the first to take it).
    pub async fn carry_out_line_events(&self, events: Vec<(String, String)>) {
        for (id, json) in events {
            match self
                .line_records
                .line_claim_event(&id, EVENT_LEASE_MS)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(event = %id, error = %e, "a LINE event is not carried out yet");
                    continue;
                }
            }
            let event = serde_json::from_str(&json)
                .map(|raw| Event::read(&raw))
                .unwrap_or(Event::Ignored {
                    id: Some(id.clone()),
                    kind: "unreadable".into(),
                });
            match self.line_event(&event).await {
                Ok(()) => {
                    if let Err(e) = self.line_records.line_event_done(&id).await {
                        tracing::warn!(event = %id, error = %e, "a LINE event done is still recorded");
                    }
                }
                Err(e) => {
                    tracing::warn!(event = %id, error = %e, "a LINE event failed; it is tried again")
                }
            }
        }
    }

    /// Carries out the events recorded but not done (a process stopped, or Redis failed while
    /// one was carried out): the outbox's worker calls it now and then.
    pub async fn line_inbox_round(&self) {
        if self.line.is_none() {
            return;
        }
        match self.line_records.line_inbox().await {
            Ok(events) if !events.is_empty() => self.carry_out_line_events(events).await,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "LINE's recorded events are unreadable"),
        }
    }

    /// A few characters of what is kept of `user`: enough to follow one user in the logs.
    fn user_tag(&self, user: &str) -> String {
        self.line_records
            .line_user_hash(user)
            .map(|h| h[..8].to_owned())
            .unwrap_or_default()
    }

    async fn line_event(&self, event: &Event) -> Result<(), ServiceError> {
        let Some(line) = &self.line else {
            return Ok(());
        };
        match event {
            Event::Message {
                user,
                reply_token,
                text,
                ..
            } => {
                // each reply spends the shop's monthly quota: a follower sending message after
                // message is answered LINE_MESSAGES_PER_HOUR times, then with nothing
                let who = self.line_records.line_user_hash(user)?;
                let answered = [(
                    Source::LineUser(&who),
                    LINE_MESSAGES_PER_HOUR,
                    Duration::from_secs(3600),
                )];
                if self.phones.take_all(&answered).await?.is_none() {
                    tracing::info!(user = %self.user_tag(user), "a LINE user's messages past the hour's limit: no answer");
                    return Ok(());
                }
                let found = text.as_deref().and_then(code::find);
                // the reply is in the ticket's language (a message with no code: Japanese)
                let (_lang, answer) = match found {
                    Some(code) => self.link_line(&code, user).await?,
                    None => (Lang::Ja, self.texts.say(Lang::Ja, Words::LineHelp)),
                };
                if let Some(token) = reply_token {
                    if let Err(e) = line.reply(token, &answer).await {
                        tracing::warn!(user = %self.user_tag(user), error = %e, "a LINE reply did not go");
                    }
                }
            }
            Event::Follow {
                user, reply_token, ..
            } => {
                self.line_records.line_resume(user).await?;
                tracing::info!(user = %self.user_tag(user), "a LINE friend (again)");
                if let Some(token) = reply_token {
                    let greeting = self.texts.say(Lang::Ja, Words::LineGreeting);
                    if let Err(e) = line.reply(token, &greeting).await {
                        tracing::warn!(error = %e, "a LINE greeting did not go");
                    }
                }
            }
            Event::Unfollow { user, .. } => {
                self.line_records.line_stop(user).await?;
                tracing::info!(user = %self.user_tag(user), "a LINE user blocked the account: nothing more is pushed to them");
            }
            Event::Ignored { .. } => {}
        }
        Ok(())
    }

    /// `user` sent `code`: the ticket it belongs to (in whichever queue) follows on LINE, if the
    /// user follows fewer than [`MAX_FOLLOWED`] tickets. Answers the reply, in the ticket's
    /// language.
    async fn link_line(&self, code: &str, user: &str) -> Result<(Lang, String), ServiceError> {
        let tag = self.user_tag(user);
        for queue in &self.setup.queues {
            let Some((day, number)) = self.line_records.line_code_owner(&queue.id, code).await?
            else {
                continue;
            };
            let lang = self
                .tickets
                .ticket_on(&queue.id, &day, number)
                .await?
                .map_or(Lang::Ja, |t| t.lang);
            let place = format!("{}/{day}/{number}", queue.id);
            let release = self.finished_follows(user).await?;
            if !self
                .line_records
                .line_follow(user, &place, &release, MAX_FOLLOWED)
                .await?
            {
                tracing::info!(user = %tag, "a LINE user follows the most tickets already");
                let words = Words::LineTooMany { max: MAX_FOLLOWED };
                return Ok((lang, self.texts.say(lang, words)));
            }
            let now = self.setup.calendar.now();
            return match self
                .line_records
                .line_link(&queue.id, code, user, now)
                .await
            {
                Ok(linked) => {
                    tracing::info!(queue = %queue.id, number, user = %tag, "a ticket follows on LINE");
                    let label = self.setup.label_of(&queue.id, linked.number);
                    let words = Words::LineLinked { label: &label };
                    Ok((linked.lang, self.texts.say(linked.lang, words)))
                }
                Err(e) => {
                    self.line_records.line_unfollow_place(user, &place).await?;
                    match e {
                        StoreError::Refused(_) => {
                            Ok((lang, self.texts.say(lang, Words::LineCodeUnknown)))
                        }
                        e => Err(e.into()),
                    }
                }
            };
        }
        Ok((Lang::Ja, self.texts.say(Lang::Ja, Words::LineCodeUnknown)))
    }

    /// The places `user` follows whose ticket is over (or of an earlier day, or gone).
    async fn finished_follows(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut done = Vec::new();
        for place in self.line_records.line_follows(user).await? {
            let mut parts = place.splitn(3, '/');
            let (Some(queue), Some(day), Some(number)) = (parts.next(), parts.next(), parts.next())
            else {
                done.push(place);
                continue;
            };
            let parsed = (
                crate::queue::QueueId::parse(queue).ok(),
                crate::store::DayId::parse(day),
                number.parse::<u64>().ok(),
            );
            let (Some(queue), Some(day), Some(number)) = parsed else {
                done.push(place);
                continue;
            };
            let active = self.days.today(&queue).await? == day
                && self
                    .tickets
                    .ticket_on(&queue, &day, number)
                    .await?
                    .is_some_and(|t| t.state().is_active());
            if !active {
                done.push(place);
            }
        }
        Ok(done)
    }

    /// Carries out a LINE job of the outbox: `notice` pushed to the user its ticket follows on,
    /// with a retry key made from the job, so no attempt of it (here or in another process)
    /// is a second message. Acknowledged unless a retry may succeed.
    pub(crate) async fn push_line(&self, job: &OutboxJob, notice: LineNotice) {
        let id = &job.entry.id;
        let queue = &job.entry.queue;
        let Some(line) = &self.line else {
            tracing::info!(job = %id, "not pushed: LINE is off");
            let _ = self.outbox_stream.ack_job(&job.entry).await;
            return;
        };
        match self.days.today(queue).await {
            Ok(today) if job.day == today => {}
            Ok(_) => {
                tracing::info!(job = %id, day = %job.day, "not pushed: made due on an earlier business day");
                let _ = self.outbox_stream.ack_job(&job.entry).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "the business day is unreadable; later");
                return;
            }
        }
        let read = async {
            let ticket = self.tickets.ticket_on(queue, &job.day, job.number).await?;
            let user = self
                .line_records
                .line_user_of(queue, &job.day, job.number)
                .await?;
            let stopped = match &user {
                Some(user) => self.line_records.line_is_stopped(user).await?,
                None => false,
            };
            Ok::<_, StoreError>((ticket, user, stopped))
        };
        let (ticket, user, stopped) = match read.await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "a LINE job's ticket is unreadable; later");
                return;
            }
        };
        let wanted = match notice {
            LineNotice::Near | LineNotice::Reminder => TicketState::Waiting,
            LineNotice::Called => TicketState::Called,
        };
        let (Some(ticket), Some(user)) = (ticket.filter(|t| t.state() == wanted), user) else {
            tracing::info!(job = %id, "nothing to push (its ticket moved on, or follows on LINE no more)");
            let _ = self.outbox_stream.ack_job(&job.entry).await;
            return;
        };
        let key = line.retry_key(&format!("{queue}/{}/{id}", job.day));
        if stopped {
            tracing::info!(job = %id, user = %self.user_tag(&user), "not pushed: the user blocked the account");
            self.metrics.outbound("line", "stopped");
            let _ = self.outbox_stream.ack_job(&job.entry).await;
            self.note_line(
                job,
                notice,
                format!("line-{key}"),
                "failed",
                Some("blocked"),
            )
            .await;
            return;
        }
        let label = self.setup.label_of(queue, job.number);
        let link = ticket_url(self.setup.public_url().unwrap_or_default(), &ticket.token);
        let counter = ticket
            .summary
            .counter
            .clone()
            .unwrap_or_else(|| self.setup.counters[0].clone());
        let words = match notice {
            LineNotice::Near => Words::LineTurnNear {
                label: &label,
                link: &link,
            },
            LineNotice::Called => Words::LineCalled {
                label: &label,
                counter: &counter,
                link: &link,
            },
            LineNotice::Reminder => Words::LineReminder {
                label: &label,
                link: &link,
            },
        };
        let text = self.texts.say(ticket.lang, words);
        match line.push(&user, &text, &key).await {
            Ok(pushed) => {
                let before = matches!(pushed, Pushed::AcceptedBefore { .. });
                self.metrics.outbound("line", "sent");
                tracing::info!(job = %id, user = %self.user_tag(&user), notice = notice.as_str(), accepted_before = before, "pushed on LINE");
                if let Err(e) = self.outbox_stream.ack_job(&job.entry).await {
                    tracing::warn!(job = %id, error = %e, "pushed, not yet acknowledged");
                }
                self.note_line(job, notice, format!("line-{key}"), "sent", None)
                    .await;
            }
            Err(e) if e.is_retryable() => {
                self.metrics.outbound("line", "retry");
                tracing::warn!(job = %id, error = %e, "not pushed on LINE; will retry with the same key");
            }
            Err(e) => {
                self.metrics.outbound("line", "refused");
                tracing::warn!(job = %id, error = %e, "LINE refused a push; dropped");
                let _ = self.outbox_stream.ack_job(&job.entry).await;
                let code = e.status().map(|s| s.to_string());
                self.note_line(
                    job,
                    notice,
                    format!("line-{key}"),
                    "failed",
                    code.as_deref(),
                )
                .await;
            }
        }
    }

    /// Writes a push into the day's log beside SMS and calls (the user is never named), and
    /// shows it on its ticket.
    async fn note_line(
        &self,
        job: &OutboxJob,
        notice: LineNotice,
        sid: String,
        status: &str,
        error_code: Option<&str>,
    ) {
        let now_ms = self.setup.calendar.now().now_ms;
        let record = ContactRecord {
            sid,
            kind: "line".to_owned(),
            to: "LINE".to_owned(),
            status: status.to_owned(),
            progress: progress(status),
            created_at: now_ms,
            updated_at: now_ms,
            error_code: error_code.map(str::to_owned),
            ticket: Some(job.number),
            queue: Some(job.entry.queue.clone()),
            purpose: Some(notice.as_str().to_owned()),
        };
        if let Err(e) = self.contacts.log_contact(record, true).await {
            tracing::warn!(error = %e, "a LINE push is missing from the log or its ticket");
        }
    }

    /// A LINE-linked ticket's reminder whose time came: its push is made due (once).
    pub(crate) async fn line_reminder_due(
        &self,
        queue: &crate::queue::QueueId,
        number: u64,
    ) -> Result<(), StoreError> {
        let now = self.setup.calendar.now();
        match self
            .line_records
            .line_reminder_due(queue, number, now)
            .await
        {
            Ok(()) | Err(StoreError::Refused(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
