//! A ticket's phone: registered with its verification SMS made due in the same script, verified
//! by opening the link or by calling the store's number from it; the SMS and calls staff and the phone line make due for it, where its
//! latest one stands, the customer's answer to the automatic call; the stop list; and the ticket a
//! phone holds.

use super::keys;
use super::replies::Verified;
use super::{DayId, Moment, Store, StoreError};
use crate::phone::{ContactRecord, PhoneNumber};
use crate::queue::QueueId;
use crate::ticket::{CallAnswer, TicketToken};
use redis::AsyncCommands;

/// What a registration needs besides the ticket: the link's token, how long it is valid, the
/// most verification SMS a ticket gets, and the SMS text; whether the SMS is sent at all, and
/// whether a call from the number verifies it.
#[derive(Clone, Debug)]
pub struct Registration<'a> {
    pub phone: &'a PhoneNumber,
    pub link_token: &'a str,
    pub valid_until_ms: u64,
    pub max_sms: u32,
    pub body: &'a str,
    pub send_sms: bool,
    pub call_in: bool,
    /// Candidates for the code a caller keys in (the first no other ticket of this number holds).
    pub call_codes: &'a [String],
    /// Different numbers a ticket may register.
    pub max_numbers: u32,
}

/// The store's tickets' phones, calls and the stop list: a handle on [`Store`], from [`Store::phone_records`].
#[derive(Clone)]
pub struct PhoneRecords {
    store: Store,
}

impl PhoneRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Registers `registration.phone` for ticket `number` (held by `token`) and makes the SMS due.
    pub async fn register_phone(
        &self,
        queue: &QueueId,
        number: u64,
        token: &TicketToken,
        registration: &Registration<'_>,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.register_phone,
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
                ("SEND_SMS", if registration.send_sms { "1" } else { "" }),
                ("CALL_IN", if registration.call_in { "1" } else { "" }),
                ("CODES", &registration.call_codes.join(" ")),
                ("MAX_NUMBERS", &registration.max_numbers.to_string()),
            ],
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// Opens verification link `link_token`: answers the token of the ticket it verified.
    pub async fn verify_phone(
        &self,
        queue: &QueueId,
        link_token: &str,
        at: Moment,
    ) -> Result<TicketToken, StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.verify_phone,
            queue,
            at,
            &[("LINK", link_token)],
        );
        let Verified(token) = self.store.run(invocation).await?;
        Ok(token)
    }

    /// Whether a ticket of `queue`'s current day waits for a call from `phone` (with its code).
    pub async fn awaits_call(
        &self,
        queue: &QueueId,
        phone: &PhoneNumber,
    ) -> Result<bool, StoreError> {
        let (_, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hexists(day.verify(), format!("calls:{}", phone.as_str()));
            })
            .await?;
        super::day::single::<bool>(replies)
    }

    /// A call from `phone` to the store's number keyed in `code`: verifies the phone of the ticket
    /// of the current day that registered it and was given that code, while that ticket is active
    /// and its phone pending; answers its token (refused, not found or conflict, otherwise).
    pub async fn verify_call(
        &self,
        queue: &QueueId,
        phone: &PhoneNumber,
        code: &str,
        at: Moment,
    ) -> Result<TicketToken, StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.verify_call,
            queue,
            at,
            &[("PHONE", phone.as_str()), ("CODE", code)],
        );
        let Verified(token) = self.store.run(invocation).await?;
        Ok(token)
    }

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
        let invocation = self.store.invoke(
            &self.store.scripts.call_out,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("TWIML", twiml),
                ("TEXT", text),
            ],
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// Notes where the latest SMS or call about ticket `number` stands (`entry`'s status, never
    /// back to an earlier one of the same Sid); `text_instead`: an automatic call did not reach
    /// the customer, so an SMS is made due (once).
    pub async fn note_contact_state(
        &self,
        queue: &QueueId,
        number: u64,
        entry: &ContactRecord,
        text_instead: bool,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.contact,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("KIND", &entry.kind),
                ("SID", &entry.sid),
                ("STATUS", &entry.status),
                ("PROGRESS", &entry.progress.to_string()),
                ("TEXT_INSTEAD", if text_instead { "1" } else { "" }),
            ],
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// A machine (or a fax) answered ticket `number`'s automatic call, as Twilio's answering
    /// machine detection reports it: an SMS is made due instead (once per ticket).
    pub async fn machine_answered(
        &self,
        queue: &QueueId,
        number: u64,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.machine_answered,
            queue,
            at,
            &[("NUMBER", &number.to_string())],
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// Notes what the customer pressed on the automatic call made for ticket `number` of
    /// business day `day` (`cancel` cancels the ticket); refused (not found) once another day is
    /// current.
    pub async fn answer_call(
        &self,
        queue: &QueueId,
        day: &DayId,
        number: u64,
        answer: CallAnswer,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.answer,
            queue,
            at,
            &[
                ("ANSWER_DAY", day.as_str()),
                ("NUMBER", &number.to_string()),
                ("ANSWER", answer.as_str()),
            ],
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// What the stop list keeps of a number: its HMAC under the server's secret, not the number
    /// (nor its plain hash, which trying every mobile number reverses).
    fn stop_entry(&self, phone: &PhoneNumber) -> Result<String, StoreError> {
        let key = self
            .store
            .settings
            .phone_hash_secret
            .as_ref()
            .ok_or_else(|| {
                StoreError::Corrupt("the stop list needs PHONE_HASH_SECRET".to_owned())
            })?;
        Ok(crate::secret::keyed_hash_hex(
            key.as_bytes(),
            phone.as_str(),
        ))
    }

    /// `phone` texted STOP: nothing more is sent to it until it texts START.
    pub async fn stop_sending(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        let entry = self.stop_entry(phone)?;
        let mut conn = self.store.conn.clone();
        let _: u64 = conn.sadd(keys::STOPPED, entry).await?;
        Ok(())
    }

    /// `phone` texted START.
    pub async fn resume_sending(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        let entry = self.stop_entry(phone)?;
        let mut conn = self.store.conn.clone();
        let _: u64 = conn.srem(keys::STOPPED, entry).await?;
        Ok(())
    }

    pub async fn is_stopped(&self, phone: &PhoneNumber) -> Result<bool, StoreError> {
        if self.store.settings.phone_hash_secret.is_none() {
            return Ok(false);
        }
        let entry = self.stop_entry(phone)?;
        let mut conn = self.store.conn.clone();
        Ok(conn.sismember(keys::STOPPED, entry).await?)
    }

    /// The latest ticket of `queue`'s current day whose verified phone is `phone` (a phone of
    /// an earlier day reaches nothing).
    pub async fn ticket_of_phone(
        &self,
        queue: &QueueId,
        phone: &PhoneNumber,
    ) -> Result<Option<crate::ticket::Ticket>, StoreError> {
        let (day, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hget(day.phones(), phone.as_str());
            })
            .await?;
        let Some(number) = super::day::single::<Option<u64>>(replies)? else {
            return Ok(None);
        };
        // the ticket of that same day, even if the next has started since
        self.store.tickets().ticket_on(queue, &day, number).await
    }

    /// Makes an SMS of `body` to ticket `number`'s verified phone due; `purpose` names it in the
    /// log; `spends`: it counts against the ticket's budget of messages (refused past it).
    pub async fn text_ticket(
        &self,
        queue: &QueueId,
        number: u64,
        body: &str,
        purpose: &str,
        spends: bool,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            &self.store.scripts.send_text,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("BODY", body),
                ("PURPOSE", purpose),
                ("SPEND", if spends { "1" } else { "" }),
            ],
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }
}
