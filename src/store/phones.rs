//! A ticket's phone: registered with its verification SMS made due in the same script, verified
//! by opening the link.

use super::{as_string, Moment, Store, StoreError};
use crate::phone::PhoneNumber;
use crate::queue::QueueId;
use crate::ticket::{CallAnswer, TicketToken};

/// What a registration needs besides the ticket: the link's token, how long it is valid, the
/// most verification SMS a ticket gets, and the SMS text.
#[derive(Clone, Debug)]
pub struct Registration<'a> {
    pub phone: &'a PhoneNumber,
    pub link_token: &'a str,
    pub valid_until_ms: u64,
    pub max_sms: u32,
    pub body: &'a str,
}

impl Store {
    /// Registers `registration.phone` for ticket `number` (held by `token`) and makes the SMS due.
    pub async fn register_phone(
        &self,
        queue: &QueueId,
        number: u64,
        token: &TicketToken,
        registration: &Registration<'_>,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.invoke(
            &self.scripts.register_phone,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("TOKEN", token.as_str()),
                ("PHONE", registration.phone.as_str()),
                ("LINK", registration.link_token),
                ("VERIFY_UNTIL", &registration.valid_until_ms.to_string()),
                ("MAX_SMS", &registration.max_sms.to_string()),
                ("BODY", registration.body),
            ],
        );
        self.run(invocation).await?;
        Ok(())
    }

    /// Opens verification link `link_token`: answers the token of the ticket it verified.
    pub async fn verify_phone(
        &self,
        queue: &QueueId,
        link_token: &str,
        at: Moment,
    ) -> Result<TicketToken, StoreError> {
        let invocation = self.invoke(
            &self.scripts.verify_phone,
            queue,
            at,
            &[("LINK", link_token)],
        );
        let reply = self.run(invocation).await?;
        let raw = reply.get(1).map(as_string).transpose()?.unwrap_or_default();
        TicketToken::parse(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

impl Store {
    /// Makes a call to ticket `number`'s verified phone due, saying `twiml` (`text` for the dev
    /// outbox).
    pub async fn call_out(
        &self,
        queue: &QueueId,
        number: u64,
        twiml: &str,
        text: &str,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.invoke(
            &self.scripts.call_out,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("TWIML", twiml),
                ("TEXT", text),
            ],
        );
        self.run(invocation).await?;
        Ok(())
    }
}

impl Store {
    /// Notes where the latest SMS or call about ticket `number` stands (`status`, Twilio's);
    /// `text_instead`: an automatic call did not reach the customer, so an SMS is made due (once).
    pub async fn note_contact_state(
        &self,
        queue: &QueueId,
        number: u64,
        kind: &str,
        status: &str,
        text_instead: bool,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.invoke(
            &self.scripts.contact,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("KIND", kind),
                ("STATUS", status),
                ("TEXT_INSTEAD", if text_instead { "1" } else { "" }),
            ],
        );
        self.run(invocation).await?;
        Ok(())
    }

    /// Notes what the customer pressed on the automatic call (`cancel` cancels the ticket).
    pub async fn answer_call(
        &self,
        queue: &QueueId,
        number: u64,
        answer: CallAnswer,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.invoke(
            &self.scripts.answer,
            queue,
            at,
            &[("NUMBER", &number.to_string()), ("ANSWER", answer.as_str())],
        );
        self.run(invocation).await?;
        Ok(())
    }
}
