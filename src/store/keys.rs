//! Every Redis key name, in one place. Services and sessions ask the store, never Redis.
//!
//! All keys of a queue share the hash tag `{<queue>}` (`wr:{default}:waiting`), so each script
//! touches a single slot and runs unchanged on a Redis Cluster.

use crate::queue::QueueId;

/// The pattern every queue's event channel matches.
pub const EVENTS_PATTERN: &str = "wr:{*}:events";

/// The argon2 hash of the staff password.
pub const STAFF_PASSWORD: &str = "wr:staff:password";

/// The accounts (id → JSON `StoredAccount`), their logins (login → id) and when each last
/// signed in (id → ms); one hash tag, so a script makes an account and takes its login at once.
pub const ACCOUNTS: &str = "wr:{accounts}:all";
pub const ACCOUNT_LOGINS: &str = "wr:{accounts}:logins";
pub const ACCOUNTS_SEEN: &str = "wr:{accounts}:seen";

/// The API tokens made in the console (id → JSON: name, scopes, the SHA-256 of the secret) and
/// when each was last used.
pub const API_TOKENS: &str = "wr:{tokens}:all";
pub const API_TOKENS_SEEN: &str = "wr:{tokens}:seen";

/// The audit trail: its entries (a list of JSON, oldest first) and its head (`<seq> <hash>` of
/// the last); one hash tag, so one script appends to both.
pub const AUDIT_LOG: &str = "wr:{audit}:log";
pub const AUDIT_HEAD: &str = "wr:{audit}:head";

/// Goes up whenever every staff session must end (the password changed, or "sign out
/// everywhere"): a staff session remembers the value it signed in under.
pub const STAFF_EPOCH: &str = "wr:staff:epoch";

/// Staff sign-in attempts (less those that had the right password) from one network of client
/// addresses (an IPv4 address, an IPv6 /64, /56 or /48) in the current window; one hash tag, so
/// one step counts a client in all of its networks.
pub fn sign_in_attempts(address: &str) -> String {
    format!("wr:{{signin}}:fail:{address}")
}

/// Remote takes from one client address (or IPv6 /64) in the current window. Every limit key
/// shares the hash tag `{limits}`, so one script checks an address and a phone together.
pub fn address_takes(address: &str) -> String {
    format!("wr:{{limits}}:address:{address}")
}

/// Remote takes of one phone (its session's client id) in the current window.
pub fn client_takes(client: &str) -> String {
    format!("wr:{{limits}}:client:{client}")
}

/// Tickets one kiosk issued in the current window.
pub fn kiosk_takes(kiosk: &str) -> String {
    format!("wr:{{limits}}:kiosk:{kiosk}")
}

/// Verification SMS in the current window, per number, per client address or in all.
pub fn sms_takes(which: &str) -> String {
    format!("wr:{{limits}}:sms:{which}")
}

/// Phone registrations in the current window, per number (`to:`) or per client network (`from:`).
pub fn registration_takes(which: &str) -> String {
    format!("wr:{{limits}}:register:{which}")
}

/// Call codes a caller keyed in (each counted, given back when right) in the current window.
pub fn code_tries(phone: &str) -> String {
    format!("wr:{{limits}}:code:{phone}")
}

/// Messages of one LINE user (the HMAC of its id) answered in the current window.
pub fn line_takes(user_hash: &str) -> String {
    format!("wr:{{limits}}:line:{user_hash}")
}

/// Tickets taken by phone (the phone menu, an SMS) in the current hour, for the whole shop.
pub const PHONE_JOINS: &str = "wr:{limits}:phone-joins";

/// HASH kiosk id → the kiosk (JSON: name, created_at, the SHA-256 of its secret). Never expires.
pub const KIOSKS: &str = "wr:{kiosks}:all";

/// HASH kiosk id → when it was last seen (ms).
pub const KIOSKS_SEEN: &str = "wr:{kiosks}:seen";

/// The day's log of SMS and calls: HASH Sid → record (JSON), and ZSET Sid by when it was first
/// logged (one hash tag, so one script keeps both).
pub const CONTACTS: &str = "wr:{log}:entries";
pub const CONTACTS_ORDER: &str = "wr:{log}:order";

/// Who reads from Twilio the statuses its callbacks never brought (one process at a time).
pub const RECONCILER: &str = "wr:{log}:reconciler";

/// A status of Sid `sid` that came before its log entry (kept a few minutes).
pub fn early_contact(sid: &str) -> String {
    format!("wr:{{log}}:early:{sid}")
}

/// SET of the numbers that texted STOP (the HMAC of each under `PHONE_HASH_SECRET`, not the
/// number: it is kept until START, longer than a day's personal data).
pub const STOPPED: &str = "wr:{optout}:numbers";

/// The reply to inbound message `sid` (Twilio's MessageSid), kept a day: a retried webhook gets
/// the same reply and changes nothing twice.
pub fn inbound(sid: &str) -> String {
    format!("wr:{{log}}:inbound:{sid}")
}

/// The TwiML answered to key `digits` pressed on the phone menu in call `call_sid` (Twilio's
/// CallSid), kept a few minutes: a retried webhook gets the same answer and changes nothing twice.
pub fn menu_press(call_sid: &str, digits: &str) -> String {
    format!("wr:{{log}}:press:{call_sid}:{digits}")
}

/// STRING: the answer to an API call with an `Idempotency-Key` (JSON; empty while it is carried
/// out), by the SHA-256 of its caller and key. A day.
pub fn api_request(slot: &str) -> String {
    format!("wr:{{log}}:request:{slot}")
}

/// SET of the LINE users who blocked the account (the HMAC of each userId under
/// `PHONE_HASH_SECRET`, never the id): nothing is pushed to them until they follow again.
pub const LINE_STOPPED: &str = "wr:{line}:stopped";

/// HASH webhook event id → the event (JSON) recorded before the webhook was answered and not yet
/// carried out; emptied as each is.
pub const LINE_INBOX: &str = "wr:{line}:inbox";

/// SET of the tickets (`queue/day/number`) one LINE user (the HMAC of the id) follows.
pub fn line_follows(user_hash: &str) -> String {
    format!("wr:{{line}}:follows:{user_hash}")
}

/// Webhook event `id` was received (kept a day: a redelivery is dropped).
pub fn line_event(id: &str) -> String {
    format!("wr:{{line}}:event:{id}")
}

/// Who carries out webhook event `id` now (a short lease).
pub fn line_claim(id: &str) -> String {
    format!("wr:{{line}}:claim:{id}")
}

/// LIST of what would have been sent (JSON, newest first) while Twilio is not configured.
pub const DEV_OUTBOX: &str = "wr:devoutbox";

/// SET of the tickets one phone holds (`queue/number`, or a `pending:` place being issued).
pub fn client_held(client: &str) -> String {
    format!("wr:{{limits}}:held:{client}")
}

/// One browser session (tower-sessions), expiring with the session.
pub fn session(id: &impl std::fmt::Display) -> String {
    format!("wr:session:{id}")
}

/// The keys of one queue that every queue script receives, in `KEYS` order, each with the Lua
/// name the scripts know it by: what lasts across days (the current day, the version, settings,
/// the outbox). The scripts' header is generated from this list, so the order is written once.
pub(crate) const SCRIPT_KEYS: [(&str, &str); 7] = [
    ("DAY_KEY", "day"),
    ("DAYS", "days"),
    ("VERSION", "version"),
    ("INTAKE", "intake"),
    ("AUTODIAL_SET", "autodial"),
    ("OUTBOX", "outbox"),
    ("RULES", "rules"),
];

/// The keys of one business day of a queue, with the Lua names the scripts bind them to once they
/// know the day (`wr:{default}:2026-11-25:tickets`). Everything personal lives here: the day is in
/// the name, outside the hash tag (one slot per queue still), so nothing of one day is reachable
/// from another, and each key expires at its own day's close plus the retention.
pub(crate) const DAY_KEYS: [(&str, &str); 16] = [
    ("SEQ", "seq"),
    ("WAITING", "waiting"),
    ("TICKETS", "tickets"),
    ("TOKENS", "tokens"),
    ("SERVING", "serving"),
    ("RECENT", "recent"),
    ("SERVICE_MS", "service_ms"),
    ("AVG_SERVICE", "avg_service"),
    ("VERIFY", "verify"),
    ("DIALED", "dialed"),
    ("PHONES", "phones"),
    ("REMINDERS", "reminders"),
    ("REMOTE", "remote"),
    ("BUDGET", "budget"),
    ("LINE", "line"),
    ("STATS", "stats"),
];

/// A business day of a queue as its keys name it: the day's date (`2026-11-25`), and after a
/// staff reset on that date a count (`2026-11-25.2`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DayId(String);

impl DayId {
    /// What a script answered or a key held; `None` unless it is `YYYY-MM-DD` or `YYYY-MM-DD.N`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (date, count) = match raw.split_once('.') {
            Some((date, count)) => (date, Some(count)),
            None => (raw, None),
        };
        let date_ok = date.len() == 10 && date.parse::<jiff::civil::Date>().is_ok();
        let count_ok = count
            .is_none_or(|c| !c.is_empty() && c.len() <= 6 && c.bytes().all(|b| b.is_ascii_digit()));
        (date_ok && count_ok).then(|| Self(raw.to_owned()))
    }

    /// The date whose business day this is.
    pub fn date(&self) -> &str {
        &self.0[..10]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DayId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Redis keys of one queue.
#[derive(Clone, Debug)]
pub struct QueueKeys {
    queue: QueueId,
}

/// The Redis keys of one business day of a queue.
#[derive(Clone, Debug)]
pub struct DayKeys {
    prefix: String,
}

impl QueueKeys {
    pub fn of(queue: &QueueId) -> Self {
        Self {
            queue: queue.clone(),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("wr:{{{}}}:{name}", self.queue)
    }

    /// The keys of [`SCRIPT_KEYS`], in order.
    pub(crate) fn script_keys(&self) -> Vec<String> {
        SCRIPT_KEYS.iter().map(|(_, name)| self.key(name)).collect()
    }

    /// The keys of business day `day`.
    pub fn day_keys(&self, day: &DayId) -> DayKeys {
        DayKeys {
            prefix: format!("wr:{{{}}}:{day}:", self.queue),
        }
    }

    /// The queue's current business day ([`DayId`]); a later date turns it (see the prelude).
    pub fn day(&self) -> String {
        self.key("day")
    }
    /// LIST of the queue's recent business days, newest first (no personal data): an old
    /// ticket's token is recognised as one of an earlier day while that day's keys live.
    pub fn days(&self) -> String {
        self.key("days")
    }
    /// Goes up with every change, across days: screens see every change in order.
    pub fn version(&self) -> String {
        self.key("version")
    }
    /// Whether intake is open (a setting: it does not end with the day).
    pub fn intake(&self) -> String {
        self.key("intake")
    }
    /// How many places ahead a verified phone is called, as staff set it in the console (a
    /// setting: it does not expire with the day).
    pub fn autodial(&self) -> String {
        self.key("autodial")
    }
    /// HASH of the console's rules of the queue (settings, no expiry): `places` (how far
    /// 「後ろに回す」 moves a called ticket back), `no_show_after` (minutes after a call before an
    /// automatic no-show), `opens` / `closes` (local minutes of the day intake opens and closes),
    /// `limit` (受付上限: tickets a day).
    pub fn rules(&self) -> String {
        self.key("rules")
    }
    /// Held by the process planning the queue's reminders (one at a time).
    pub fn planner(&self) -> String {
        self.key("planner")
    }
    /// STREAM of the SMS and calls the queue's changes made due (consumer group `senders`); each
    /// job names its business day, and one of a past day is never sent. Done jobs are deleted.
    pub fn outbox(&self) -> String {
        self.key("outbox")
    }
    /// HASH business day (`2026-11-25`, `2026-11-25.2`) → its figures (JSON
    /// [`crate::history::DayFigures`]: counts only, nothing personal), one key per date, expiring
    /// `HISTORY_DAYS` after that date's close.
    pub fn history(&self, date: &str) -> String {
        self.key(&format!("history:{date}"))
    }
    /// Held by the process summing business day `day` into the history (one at a time, a minute).
    pub fn closing(&self, day: &DayId) -> String {
        self.key(&format!("closing:{day}"))
    }
    /// The Pub/Sub channel of the queue's events.
    pub fn events(&self) -> String {
        self.key("events")
    }
}

impl DayKeys {
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The last number issued (INCR).
    pub fn sequence(&self) -> String {
        self.key("seq")
    }
    /// LIST of the waiting numbers, first in line first.
    pub fn waiting(&self) -> String {
        self.key("waiting")
    }
    /// HASH number → ticket JSON.
    pub fn tickets(&self) -> String {
        self.key("tickets")
    }
    /// HASH token → number.
    pub fn tokens(&self) -> String {
        self.key("tokens")
    }
    /// HASH counter → number being served.
    pub fn serving(&self) -> String {
        self.key("serving")
    }
    /// LIST of the latest calls (JSON), newest first.
    pub fn recent(&self) -> String {
        self.key("recent")
    }
    pub fn avg_service(&self) -> String {
        self.key("avg_service")
    }
    /// HASH verification token → `number:expires_at_ms:phone` (single use); and
    /// `call:<phone>` → the number of the latest ticket a call from that phone verifies.
    pub fn verify(&self) -> String {
        self.key("verify")
    }
    /// HASH number → when its automatic call was made due (`number:text`: its SMS instead).
    pub fn dialed(&self) -> String {
        self.key("dialed")
    }
    /// HASH verified phone (E.164) → the number of its latest ticket of the day.
    pub fn phones(&self) -> String {
        self.key("phones")
    }
    /// HASH of a day's LINE links: `code:<code>` → the number whose one-time code it is,
    /// `code_of:<number>` → that code, `to:<number>` → the LINE user the ticket is linked to
    /// (personal data: it expires with the day).
    pub fn line(&self) -> String {
        self.key("line")
    }
    /// HASH `sms:<slot>` / `call:<slot>` → the SMS and calls made due in that quarter hour
    /// (slot: ms since the epoch / 900,000): counts for the history, nothing personal.
    pub fn stats(&self) -> String {
        self.key("stats")
    }
    /// HASH number → the ticket's SMS reminder (JSON: asked_at, to, and once planned sid,
    /// send_at, sent).
    pub fn reminders(&self) -> String {
        self.key("reminders")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_of_a_queue_share_one_hash_tag() {
        let keys = QueueKeys::of(&QueueId::parse("kaikei").unwrap());
        let day = DayId::parse("2026-11-25.2").unwrap();
        let mut all = keys.script_keys();
        all.push(keys.events());
        all.push(keys.day_keys(&day).tickets());
        for key in all {
            assert!(key.starts_with("wr:{kaikei}:"), "{key}");
        }
        assert_eq!(
            keys.day_keys(&day).waiting(),
            "wr:{kaikei}:2026-11-25.2:waiting"
        );
        assert!(DAY_KEYS.iter().any(|(lua, _)| *lua == "WAITING"));
    }

    #[test]
    fn a_day_is_a_date_and_a_count() {
        for bad in [
            "",
            "2026-11-25.",
            "2026-13-01",
            "2026-11-25.x",
            "../x",
            "2026-11-25:a",
        ] {
            assert_eq!(DayId::parse(bad), None, "{bad}");
        }
        let d = |s: &str| DayId::parse(s).unwrap();
        assert_eq!(d("2026-11-25.2").date(), "2026-11-25");
    }
}
