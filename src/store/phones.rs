//! A ticket's phone: registered with its verification SMS made due in the same script, verified
//! by opening the link.

use super::keys;
use super::{as_string, DayId, Moment, Store, StoreError};
use crate::phone::{ContactRecord, PhoneNumber};
use crate::queue::QueueId;
use crate::ticket::{CallAnswer, TicketToken};
use redis::AsyncCommands;

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
        let invocation = self.invoke(
            &self.scripts.contact,
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
        self.run(invocation).await?;
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
        let invocation = self.invoke(
            &self.scripts.answer,
            queue,
            at,
            &[
                ("ANSWER_DAY", day.as_str()),
                ("NUMBER", &number.to_string()),
                ("ANSWER", answer.as_str()),
            ],
        );
        self.run(invocation).await?;
        Ok(())
    }
}

impl Store {
    /// Keys the stop list's hashes with `secret` (`PHONE_HASH_SECRET`). Without one (no Twilio:
    /// nobody can text STOP) the stop list is empty and cannot be written.
    pub fn with_phone_key(mut self, secret: Option<&str>) -> Self {
        self.phone_key = secret.map(|s| std::sync::Arc::from(s.as_bytes()));
        self
    }

    /// What the stop list keeps of a number: its HMAC under the server's secret, not the number
    /// (nor its plain hash, which trying every mobile number reverses).
    fn stop_entry(&self, phone: &PhoneNumber) -> Result<String, StoreError> {
        let key = self.phone_key.as_ref().ok_or_else(|| {
            StoreError::Corrupt("the stop list needs PHONE_HASH_SECRET".to_owned())
        })?;
        Ok(crate::secret::keyed_hash_hex(key, phone.as_str()))
    }

    /// `phone` texted STOP: nothing more is sent to it until it texts START.
    pub async fn stop_sending(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        let entry = self.stop_entry(phone)?;
        let mut conn = self.conn.clone();
        let _: u64 = conn.sadd(keys::STOPPED, entry).await?;
        Ok(())
    }

    /// `phone` texted START.
    pub async fn resume_sending(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        let entry = self.stop_entry(phone)?;
        let mut conn = self.conn.clone();
        let _: u64 = conn.srem(keys::STOPPED, entry).await?;
        Ok(())
    }

    pub async fn is_stopped(&self, phone: &PhoneNumber) -> Result<bool, StoreError> {
        if self.phone_key.is_none() {
            return Ok(false);
        }
        let entry = self.stop_entry(phone)?;
        let mut conn = self.conn.clone();
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
            .read_day(queue, |pipe, _, day| {
                pipe.hget(day.phones(), phone.as_str());
            })
            .await?;
        let Some(number) = super::day::single::<Option<u64>>(replies)? else {
            return Ok(None);
        };
        // the ticket of that same day, even if the next has started since
        self.ticket_on(queue, &day, number).await
    }

    /// Takes inbound message `sid` to answer: `None` the first time; after that the reply kept
    /// for it (empty while the first delivery is still being answered).
    pub async fn claim_inbound(&self, sid: &str) -> Result<Option<String>, StoreError> {
        self.claim_once(&keys::inbound(sid), INBOUND_KEPT_S).await
    }

    /// Keeps the reply to inbound message `sid`, or (`None`: it failed) lets a retry answer it.
    pub async fn keep_reply(&self, sid: &str, reply: Option<&str>) -> Result<(), StoreError> {
        self.keep_once(&keys::inbound(sid), reply, INBOUND_KEPT_S)
            .await
    }

    /// Takes key `digits` pressed on the phone menu of call `call_sid` to carry out: `None` the
    /// first time; after that (Twilio retrying its webhook) the TwiML kept for it (empty while the
    /// first delivery is still being answered).
    pub async fn claim_press(
        &self,
        call_sid: &str,
        digits: &str,
    ) -> Result<Option<String>, StoreError> {
        self.claim_once(&keys::menu_press(call_sid, digits), PRESS_KEPT_S)
            .await
    }

    /// Keeps the TwiML answered to a press, or (`None`: it failed) lets a retry carry it out.
    pub async fn keep_press(
        &self,
        call_sid: &str,
        digits: &str,
        reply: Option<&str>,
    ) -> Result<(), StoreError> {
        self.keep_once(&keys::menu_press(call_sid, digits), reply, PRESS_KEPT_S)
            .await
    }

    /// `None` if this call set `key` (for `ttl_s` seconds), else what it holds.
    async fn claim_once(&self, key: &str, ttl_s: u64) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        let claimed: bool = redis::cmd("SET")
            .arg(key)
            .arg("")
            .arg("NX")
            .arg("EX")
            .arg(ttl_s)
            .query_async::<Option<String>>(&mut conn)
            .await?
            .is_some();
        if claimed {
            return Ok(None);
        }
        let reply: Option<String> = conn.get(key).await?;
        Ok(Some(reply.unwrap_or_default()))
    }

    /// Keeps `reply` in a claimed `key`, or (`None`) frees it.
    async fn keep_once(
        &self,
        key: &str,
        reply: Option<&str>,
        ttl_s: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        match reply {
            Some(reply) => {
                let _: () = conn.set_ex(key, reply, ttl_s).await?;
            }
            None => {
                let _: u64 = conn.del(key).await?;
            }
        }
        Ok(())
    }
}

/// How long the TwiML answered to a press on the phone menu is kept: longer than the call can
/// last (a few rounds of the menu) and than Twilio goes on retrying its webhook.
const PRESS_KEPT_S: u64 = 600;

/// How long the reply to an inbound message is kept (Twilio retries within minutes).
const INBOUND_KEPT_S: u64 = 86_400;

impl Store {
    /// Makes an SMS of `body` to ticket `number`'s verified phone due; `purpose` names it in the
    /// log.
    pub async fn text_ticket(
        &self,
        queue: &QueueId,
        number: u64,
        body: &str,
        purpose: &str,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.invoke(
            &self.scripts.send_text,
            queue,
            at,
            &[
                ("NUMBER", &number.to_string()),
                ("BODY", body),
                ("PURPOSE", purpose),
            ],
        );
        self.run(invocation).await?;
        Ok(())
    }
}
