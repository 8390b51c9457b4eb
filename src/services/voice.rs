//! What calls say and what callers press: the automatic call when the turn is near (with its
//! menu: 1 on my way, 2 cancel my ticket, 9 repeat) and the answers Twilio posts back, and the
//! menu of a call to the store's number (1 take a ticket, 2 hear my place, 3 cancel), for
//! customers without a smartphone. The words come from the app's locale files ([`Texts`]), in
//! the ticket's language (the store's menu: Japanese).

use super::notify::{Texts, Words};
use super::{ServiceError, WaitingRoom};
use crate::lang::Lang;
use crate::phone::PhoneNumber;
use crate::queue::QueueId;
use crate::store::{Refusal, StoreError};
use crate::ticket::{CallAnswer, Ticket};
use crate::twilio::twiml::{response, Verb};

/// How long the menu waits for a key, in seconds.
const MENU_WAITS_S: u32 = 8;

impl WaitingRoom {
    /// The automatic call's TwiML for `ticket`: the turn is near, then the menu, whose answer
    /// Twilio posts to `/twilio/voice/answer/{queue}/{number}`. Without `PUBLIC_URL` Twilio could
    /// not reach the menu's answer: the words are said twice instead.
    pub fn turn_near_call(&self, texts: &dyn Texts, ticket: &Ticket) -> (String, String) {
        let lang = ticket.lang;
        let label = self.label_of(&ticket.queue, ticket.number());
        let words = texts.say(lang, Words::TurnNear { label: &label });
        let say = |text: String, times| Verb::Say {
            text,
            language: lang.speech_code(),
            times,
        };
        let twiml = match self.public_url() {
            Some(base) => {
                let menu = texts.say(lang, Words::TurnMenu);
                response(&[
                    Verb::Gather {
                        action: format!(
                            "{}/twilio/voice/answer/{}/{}",
                            base.trim_end_matches('/'),
                            ticket.queue,
                            ticket.number()
                        ),
                        timeout_s: MENU_WAITS_S,
                        prompt: vec![say(words.clone(), 1), say(menu, 1)],
                    },
                    say(texts.say(lang, Words::Goodbye), 1),
                ])
            }
            None => response(&[say(words.clone(), 2)]),
        };
        (twiml, words)
    }

    /// A key the customer pressed on the automatic call of ticket `number`: answers the TwiML
    /// that goes on with the call. 1 notes "on my way", 2 cancels the ticket, anything else
    /// repeats the call's words and menu. A repeated answer changes nothing twice.
    pub async fn answer_call(
        &self,
        texts: &dyn Texts,
        queue: &str,
        number: u64,
        digits: &str,
    ) -> Result<String, ServiceError> {
        let queue: QueueId = self.queue(queue)?.id.clone();
        let Some(ticket) = self.ticket(&queue, number).await? else {
            return Err(ServiceError::TicketNotFound);
        };
        let lang = ticket.lang;
        let say = |words: Words<'_>| {
            response(&[Verb::Say {
                text: texts.say(lang, words),
                language: lang.speech_code(),
                times: 1,
            }])
        };
        let Some(answer) = CallAnswer::from_digits(digits) else {
            return Ok(self.turn_near_call(texts, &ticket).0);
        };
        let now = self.setup.calendar.now();
        match self.store.answer_call(&queue, number, answer, now).await {
            Ok(()) => {}
            // the ticket was called, done or cancelled meanwhile
            Err(StoreError::Refused(Refusal::Conflict(_))) => return Ok(say(Words::Goodbye)),
            Err(e) => return Err(e.into()),
        }
        let label = self.label_of(&queue, number);
        Ok(match answer {
            CallAnswer::OnMyWay => say(Words::OnMyWay),
            CallAnswer::Cancel => say(Words::Cancelled { label: &label }),
        })
    }

    /// How ticket `number` of `queue` is printed and spoken (`A-042`, `42`).
    pub(crate) fn label_of(&self, queue: &QueueId, number: u64) -> String {
        self.setup
            .queues
            .iter()
            .find(|q| &q.id == queue)
            .map(|q| q.label(number))
            .unwrap_or_else(|| number.to_string())
    }
}

impl WaitingRoom {
    /// A call to the store's number: the menu. Its key goes to `/twilio/voice/menu`.
    pub fn phone_menu(&self, texts: &dyn Texts) -> String {
        let lang = Lang::Ja;
        let say = |words| Verb::Say {
            text: texts.say(lang, words),
            language: lang.speech_code(),
            times: 1,
        };
        let action = format!(
            "{}/twilio/voice/menu",
            self.public_url().unwrap_or_default().trim_end_matches('/')
        );
        response(&[
            Verb::Gather {
                action,
                timeout_s: MENU_WAITS_S,
                prompt: vec![say(Words::PhoneMenu)],
            },
            say(Words::Goodbye),
        ])
    }

    /// The key a caller pressed on the menu (`from`: the caller's number, as Twilio reports
    /// it): 1 takes a ticket (a mobile number is also texted its page), 2 tells the place of the
    /// caller's ticket, 3 cancels it; anything else, the menu again.
    pub async fn phone_menu_choice(
        &self,
        texts: &dyn Texts,
        from: &str,
        digits: &str,
    ) -> Result<String, ServiceError> {
        let lang = Lang::Ja;
        let say = |text: String, times: u32| {
            response(&[Verb::Say {
                text,
                language: lang.speech_code(),
                times,
            }])
        };
        let choice = digits.trim();
        if !matches!(choice, "1" | "2" | "3") {
            return Ok(self.phone_menu(texts));
        }
        // a withheld caller id, or one we may not call back, cannot hold a ticket
        let allowed = &self.setup.sms.allowed_countries;
        let Some(phone) = PhoneNumber::parse(from)
            .ok()
            .filter(|p| p.check_calls(allowed).is_ok())
        else {
            return Ok(say(texts.say(lang, Words::NoCallerId), 1));
        };
        let held = self.ticket_of_phone(&phone).await?;
        Ok(match (choice, held) {
            ("1", None) => {
                let issued = self
                    .join_by_phone(lang, self.default_queue(), &phone)
                    .await?;
                match issued {
                    Some(issued) => {
                        if phone.check_texts(allowed).is_ok() {
                            let link = super::ticket_url(
                                self.public_url().unwrap_or_default(),
                                &issued.token,
                            );
                            let words = Words::Joined {
                                label: &issued.label,
                                ahead: issued.people_ahead,
                                link: &link,
                            };
                            // the caller hears the number; the text keeps it, with the page
                            let body = texts.say(lang, words);
                            let now = self.setup.calendar.now();
                            if let Err(e) = self
                                .store
                                .text_ticket(&issued.queue, issued.number, &body, "joined", now)
                                .await
                            {
                                tracing::warn!(error = %e, "a ticket taken by phone was not texted");
                            }
                        }
                        let words = Words::JoinedByCall {
                            label: &issued.label,
                            ahead: issued.people_ahead,
                        };
                        say(texts.say(lang, words), 2)
                    }
                    None => say(texts.say(lang, Words::NotNow { spoken: true }), 1),
                }
            }
            ("1" | "2", Some(ticket)) => say(self.spoken_place(texts, lang, &ticket).await?, 2),
            ("3", Some(ticket)) => {
                self.cancel(&ticket).await?;
                let label = self.label_of(&ticket.queue, ticket.number());
                say(texts.say(lang, Words::Cancelled { label: &label }), 1)
            }
            _ => say(texts.say(lang, Words::NoTicket { spoken: true }), 1),
        })
    }
}
