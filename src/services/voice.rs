//! What calls say and what callers press: the automatic call when the turn is near (with its
//! menu: 1 on my way, 2 cancel my ticket, 9 repeat) and the answers Twilio posts back. The words
//! come from the app's locale files ([`Texts`]), in the ticket's language.

use super::notify::{Texts, Words};
use super::{ServiceError, WaitingRoom};
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
