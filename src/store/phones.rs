//! A ticket's phone: registered with its verification SMS made due in the same script, verified
//! by opening the link or by calling the store's number from it; the SMS and calls staff and the phone line make due for it, where its
//! latest one stands, the customer's answer to the automatic call; the stop list; and the ticket a
//! phone holds.

use super::keys;
use super::replies::Verified;
use super::scripts::{
    AnswerArgs, CallOutArgs, ContactArgs, MachineAnsweredArgs, RegisterPhoneArgs, SendTextArgs,
    VerifyCallArgs, VerifyPhoneArgs,
};
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
            queue,
            at,
            RegisterPhoneArgs {
                number: number.to_string(),
                token: token.as_str().to_string(),
                phone: registration.phone.as_str().to_string(),
                link: registration.link_token.to_string(),
                verify_until: registration.valid_until_ms.to_string(),
                max_sms: registration.max_sms.to_string(),
                body: registration.body.to_string(),
                send_sms: if registration.send_sms { "1" } else { "" }.to_string(),
                call_in: if registration.call_in { "1" } else { "" }.to_string(),
                codes: registration.call_codes.join(" "),
                max_numbers: registration.max_numbers.to_string(),
            },
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
            queue,
            at,
            VerifyPhoneArgs {
                link: link_token.to_string(),
            },
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
            queue,
            at,
            VerifyCallArgs {
                phone: phone.as_str().to_string(),
                code: code.to_string(),
            },
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
            queue,
            at,
            CallOutArgs {
                number: number.to_string(),
                twiml: twiml.to_string(),
                text: text.to_string(),
            },
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
            queue,
            at,
            ContactArgs {
                number: number.to_string(),
                kind: entry.kind.to_string(),
                sid: entry.sid.to_string(),
                status: entry.status.to_string(),
                progress: entry.progress.to_string(),
                text_instead: if text_instead { "1" } else { "" }.to_string(),
            },
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
            queue,
            at,
            MachineAnsweredArgs {
                number: number.to_string(),
            },
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
            queue,
            at,
            AnswerArgs {
                answer_day: day.as_str().to_string(),
                number: number.to_string(),
                answer: answer.as_str().to_string(),
            },
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
            queue,
            at,
            SendTextArgs {
                number: number.to_string(),
                body: body.to_string(),
                purpose: purpose.to_string(),
                spend: if spends { "1" } else { "" }.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }
}
