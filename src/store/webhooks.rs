//! Twilio's webhooks and the API's calls with an `Idempotency-Key`, carried out once: the reply to
//! an inbound text is kept per MessageSid, the answer to a key pressed on the phone menu per
//! CallSid and key, an API call's answer per caller and key, so a retried request gets the same
//! answer and changes nothing twice.

use super::keys;
use super::{Store, StoreError};
use redis::AsyncCommands;

/// How long the TwiML answered to a press on the phone menu is kept: longer than the call can
/// last (a few rounds of the menu) and than Twilio goes on retrying its webhook.
const PRESS_KEPT_S: u64 = 600;

/// How long the reply to an inbound message is kept (Twilio retries within minutes).
const INBOUND_KEPT_S: u64 = 86_400;

/// How long the answer to an API call with an `Idempotency-Key` is kept (as Stripe keeps them).
const REQUEST_KEPT_S: u64 = 86_400;

/// The store's answers kept so a retry gets the same: a handle on [`Store`], from [`Store::replies`].
#[derive(Clone)]
pub struct Replies {
    store: Store,
}

impl Replies {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
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

    /// Takes the API call `slot` names (its caller's and `Idempotency-Key`'s hash) to carry out:
    /// `None` the first time; after that the answer kept for it (empty while the first is still
    /// being carried out).
    pub async fn claim_request(&self, slot: &str) -> Result<Option<String>, StoreError> {
        self.claim_once(&keys::api_request(slot), REQUEST_KEPT_S)
            .await
    }

    /// Keeps the answer to API call `slot`, or (`None`: it changed nothing) lets a retry carry it
    /// out.
    pub async fn keep_request(&self, slot: &str, answer: Option<&str>) -> Result<(), StoreError> {
        self.keep_once(&keys::api_request(slot), answer, REQUEST_KEPT_S)
            .await
    }

    /// `None` if this call set `key` (for `ttl_s` seconds), else what it holds.
    async fn claim_once(&self, key: &str, ttl_s: u64) -> Result<Option<String>, StoreError> {
        let mut conn = self.store.conn.clone();
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
        let mut conn = self.store.conn.clone();
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
