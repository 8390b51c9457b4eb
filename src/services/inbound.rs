//! What customers text to the store's number: 受付 / JOIN takes a ticket for that phone (it is
//! verified: it texted us), 状況 / STATUS tells where its ticket is, キャンセル / CANCEL cancels it,
//! STOP / START stop and resume everything we send to it; anything else gets a short help text.
//! Only numbers we may text (a mobile of an allowed region) get a reply: any other's text changes
//! nothing.
//! Each reply is in the sender's language, and a retried webhook gets the same reply and changes
//! nothing twice.

use super::contacts::Contacts;
use super::desk::Desk;
use super::estimate::Estimate;
use super::issue::Issuing;
use super::phones::Phones;
use super::{ticket_url, ServiceError, Setup, Via};
use crate::command::Command;
use crate::lang::Lang;
use crate::notify::Texts;
use crate::notify::Words;
use crate::phone::{ContactRecord, PhoneNumber, PhoneRules};
use crate::problem::Problem;
use crate::queue::{minutes_ceil, Channel, QueueInfo};
use crate::store::{self, Store};
use crate::store::{MessageKind, Source};
use crate::ticket::{IssuedTicket, Ticket};
use crate::twilio::opt_out::{self, OptOut};
use crate::twilio::status::progress;
use crate::twilio::twiml::{response, Verb};
use std::sync::Arc;
use std::time::Duration;

/// A text to the store's number, as Twilio posts it.
#[derive(Clone, Copy, Debug)]
pub struct InboundText<'a> {
    /// Its MessageSid: a text posted again (Twilio retrying) is answered once.
    pub sid: &'a str,
    pub from: &'a str,
    pub body: &'a str,
    /// Twilio's `OptOutType` (STOP, START, HELP), sent by a Messaging Service with Advanced
    /// Opt-Out when the text was one of its keywords.
    pub opt_out_type: Option<&'a str>,
}

/// Texts received and answered (status, cancel, check-in, stop). Handed out by [`super::WaitingRoom::inbound`].
#[derive(Clone)]
pub struct Inbound {
    phone_records: store::PhoneRecords,
    reminder_records: store::ReminderRecords,
    replies: store::Replies,
    setup: Arc<Setup>,
    texts: Arc<dyn Texts>,
    desk: Desk,
    issuing: Issuing,
    phones: Phones,
    estimate: Estimate,
    contacts: Contacts,
}

impl Inbound {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        store: &Store,
        setup: Arc<Setup>,
        texts: Arc<dyn Texts>,
        desk: Desk,
        issuing: Issuing,
        phones: Phones,
        estimate: Estimate,
        contacts: Contacts,
    ) -> Self {
        Self {
            phone_records: store.phone_records(),
            reminder_records: store.reminder_records(),
            replies: store.replies(),
            setup,
            texts,
            desk,
            issuing,
            phones,
            estimate,
            contacts,
        }
    }

    /// `text` arrived: carries out its command once and answers the reply's TwiML (the same
    /// reply again when Twilio retries).
    pub async fn text_received(&self, text: &InboundText<'_>) -> Result<String, ServiceError> {
        let sid = text.sid;
        if let Some(reply) = self.replies.claim_inbound(sid).await? {
            return Ok(if reply.is_empty() {
                response(&[])
            } else {
                reply
            });
        }
        let answered = self.answer_text(text).await;
        let twiml = answered
            .as_ref()
            .ok()
            .map(|reply| response(&reply.iter().cloned().map(Verb::Message).collect::<Vec<_>>()));
        if let Err(e) = self.replies.keep_reply(sid, twiml.as_deref()).await {
            tracing::warn!(error = %e, "the reply to a text is not kept");
        }
        answered?;
        Ok(twiml.unwrap_or_default())
    }

    /// Carries out what the text asks; answers the reply (none: the number is not one we text).
    async fn answer_text(&self, text: &InboundText<'_>) -> Result<Option<String>, ServiceError> {
        let InboundText {
            sid,
            from,
            body,
            opt_out_type,
        } = *text;
        // short codes and alphanumeric senders get no reply
        let Ok(phone) = PhoneNumber::parse(from) else {
            return Ok(None);
        };
        // a reply is a text we pay for: none to a region we do not serve (a forged sender in a
        // toll-fraud range) or to a number that cannot receive texts
        if let Err(e) = phone.check_texts(&self.setup.sms.allowed_countries) {
            tracing::info!(%sid, error = %e, "a text from a number we do not text: no reply");
            return Ok(None);
        }
        let (command, lang) = Command::parse(body);
        let held = self.ticket_of_phone(&phone).await?;
        let lang = lang.or(held.as_ref().map(|t| t.lang)).unwrap_or_default();
        self.log_received(sid, &phone, held.as_ref()).await;
        // what Twilio took as a keyword it answered itself: ours follows it, and says nothing
        if let Some(opt_out) = OptOut::of(body, opt_out_type) {
            match opt_out {
                OptOut::Stop => {
                    self.stop_texting(&phone, held.as_ref()).await?;
                    if let Some(ticket) = held.filter(|_| opt_out::cancels_ticket(body)) {
                        self.desk.cancel(&ticket).await?;
                    }
                }
                OptOut::Start => self.phone_records.resume_sending(&phone).await?,
                OptOut::Help => {}
            }
            return Ok(None);
        }
        // a number that texted STOP hears nothing more, until START
        if command != Command::Start && self.phone_records.is_stopped(&phone).await? {
            return Ok(None);
        }
        let say = |words: Words<'_>| Ok(Some(self.texts.say(lang, words)));
        match command {
            Command::Stop => {
                // our own words (停止): nothing more is sent, so no reply either
                self.stop_texting(&phone, held.as_ref()).await?;
                Ok(None)
            }
            Command::Start => {
                self.phone_records.resume_sending(&phone).await?;
                say(Words::Started)
            }
            Command::Help => say(Words::Help),
            Command::Status => match held {
                Some(ticket) => Ok(Some(self.where_is(lang, &ticket).await?)),
                None => say(Words::NoTicket { spoken: false }),
            },
            Command::Cancel => match held {
                Some(ticket) => {
                    self.desk.cancel(&ticket).await?;
                    let label = self.setup.label_of(&ticket.queue, ticket.number());
                    say(Words::Cancelled { label: &label })
                }
                None => say(Words::NoTicket { spoken: false }),
            },
            Command::Join { queue } => {
                if let Some(ticket) = held {
                    return Ok(Some(self.where_is(lang, &ticket).await?));
                }
                let queue = match queue {
                    Some(name) => match self.setup.queue(&name) {
                        Ok(queue) => queue.clone(),
                        Err(_) => return say(Words::Help),
                    },
                    None => self.setup.default_queue().clone(),
                };
                let Some(issued) = self.join_by_phone(lang, &queue, &phone).await? else {
                    return say(Words::NotNow { spoken: false });
                };
                let link = ticket_url(self.setup.public_url().unwrap_or_default(), &issued.token);
                say(Words::Joined {
                    label: &issued.label,
                    ahead: issued.people_ahead,
                    link: &link,
                })
            }
        }
    }

    /// Nothing more goes to `phone` (until START); the reminder of its ticket `held` is off, which
    /// cancels one scheduled with Twilio (STOP does not cancel scheduled messages at Twilio).
    async fn stop_texting(
        &self,
        phone: &PhoneNumber,
        held: Option<&Ticket>,
    ) -> Result<(), ServiceError> {
        self.phone_records.stop_sending(phone).await?;
        if let Some(ticket) = held {
            let now = self.setup.calendar.now();
            self.reminder_records
                .ask_reminder(&ticket.queue, ticket.number(), None, false, now)
                .await?;
        }
        Ok(())
    }

    /// Takes a ticket of `queue` for `phone` (by SMS or a call: it keeps the number, verified);
    /// `None` when none can be taken now (intake paused, the day full, the number's limit, the
    /// shop's `PHONE_MAX_PER_HOUR`: a caller ID can be forged, so the shop's tickets by phone are
    /// capped whatever numbers they come from).
    pub(crate) async fn join_by_phone(
        &self,
        lang: Lang,
        queue: &QueueInfo,
        phone: &PhoneNumber,
    ) -> Result<Option<IssuedTicket>, ServiceError> {
        let client = super::RemoteClient {
            via: Via::Phone(phone.clone()),
            id: Some(format!("phone:{}", phone.as_str())),
        };
        let shop = [(
            Source::PhoneJoins,
            self.setup.limits.phone_per_hour,
            Duration::from_secs(3600),
        )];
        let Some(taken) = self.phones.take_all(&shop).await? else {
            tracing::warn!(
                "the shop's tickets by phone for this hour are taken (PHONE_MAX_PER_HOUR)"
            );
            return Ok(None);
        };
        let issued = self
            .issuing
            .issue_limited(queue, Channel::Phone, lang, &client)
            .await;
        if issued.is_err() {
            self.phones.give_back(&taken).await;
        }
        match issued {
            Ok(issued) => Ok(Some(issued)),
            Err(ServiceError::Refused(
                Problem::IntakePaused { .. }
                | Problem::DayFull { .. }
                | Problem::RemoteFull { .. }
                | Problem::LimitActive { .. }
                | Problem::LimitPerHour { .. }
                | Problem::LimitAddress { .. }
                | Problem::LimitKiosk { .. },
            )) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Where `ticket` is, as a text (with its page's link).
    async fn where_is(&self, lang: Lang, ticket: &Ticket) -> Result<String, ServiceError> {
        let link = ticket_url(self.setup.public_url().unwrap_or_default(), &ticket.token);
        self.place_words(lang, ticket, Some(&link)).await
    }

    /// Where `ticket` is, as a call says it.
    pub(crate) async fn spoken_place(
        &self,
        lang: Lang,
        ticket: &Ticket,
    ) -> Result<String, ServiceError> {
        self.place_words(lang, ticket, None).await
    }

    /// Its place and estimated wait, or the counter it is called to.
    async fn place_words(
        &self,
        lang: Lang,
        ticket: &Ticket,
        link: Option<&str>,
    ) -> Result<String, ServiceError> {
        let snapshot = self.desk.snapshot(&ticket.queue).await?;
        let label = self.setup.label_of(&ticket.queue, ticket.number());
        if let Some(counter) = snapshot.counter_of(ticket.number()) {
            return Ok(self.texts.say(
                lang,
                Words::AtCounter {
                    label: &label,
                    counter,
                    spoken: link.is_none(),
                },
            ));
        }
        let ahead = snapshot.people_ahead(ticket.number()).unwrap_or(0);
        let basis = self.estimate.wait_basis(&ticket.queue, &snapshot).await?;
        let minutes = self
            .estimate
            .wait_ms(ahead, snapshot.avg_service_ms, &basis)
            .map(minutes_ceil);
        Ok(self.texts.say(
            lang,
            Words::Waiting {
                label: &label,
                ahead: ahead as u64,
                minutes,
                link,
            },
        ))
    }

    /// The active ticket `phone` holds today (in any queue), if any.
    pub async fn ticket_of_phone(
        &self,
        phone: &PhoneNumber,
    ) -> Result<Option<Ticket>, ServiceError> {
        for queue in &self.setup.queues {
            if let Some(ticket) = self.phone_records.ticket_of_phone(&queue.id, phone).await? {
                if ticket.state().is_active() {
                    return Ok(Some(ticket));
                }
            }
        }
        Ok(None)
    }

    /// The text received, in the day's log.
    async fn log_received(&self, sid: &str, phone: &PhoneNumber, held: Option<&Ticket>) {
        let now_ms = self.setup.calendar.now().now_ms;
        let record = ContactRecord {
            sid: sid.to_owned(),
            kind: MessageKind::Sms.as_str().to_owned(),
            to: phone.masked(),
            status: "received".to_owned(),
            progress: progress("received"),
            created_at: now_ms,
            updated_at: now_ms,
            error_code: None,
            ticket: held.map(Ticket::number),
            queue: held.map(|t| t.queue.clone()),
            purpose: Some("inbound".to_owned()),
        };
        if let Err(e) = self.contacts.log_contact(record, false).await {
            tracing::warn!(error = %e, "a text received is missing from the log");
        }
    }
}
