//! Every Redis key name, in one place. Services and sessions ask the store, never Redis.
//!
//! All keys of a queue share the hash tag `{<queue>}` (`wr:{default}:waiting`), so each script
//! touches a single slot and runs unchanged on a Redis Cluster.

use crate::queue::QueueId;

/// The pattern every queue's event channel matches.
pub const EVENTS_PATTERN: &str = "wr:{*}:events";

/// The argon2 hash of the staff password.
pub const STAFF_PASSWORD: &str = "wr:staff:password";

/// Goes up whenever every staff session must end (the password changed, or "sign out
/// everywhere"): a staff session remembers the value it signed in under.
pub const STAFF_EPOCH: &str = "wr:staff:epoch";

/// Failed staff sign-ins from one client address in the current window.
pub fn sign_in_failures(client: &std::net::IpAddr) -> String {
    format!("wr:signin:fail:{client}")
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

/// HASH kiosk id → the kiosk (JSON: name, created_at, the SHA-256 of its secret). Never expires.
pub const KIOSKS: &str = "wr:{kiosks}:all";

/// HASH kiosk id → when it was last seen (ms).
pub const KIOSKS_SEEN: &str = "wr:{kiosks}:seen";

/// The day's log of SMS and calls: HASH Sid → record (JSON), and ZSET Sid by when it was first
/// logged (one hash tag, so one script keeps both).
pub const CONTACTS: &str = "wr:{log}:entries";
pub const CONTACTS_ORDER: &str = "wr:{log}:order";

/// A status of Sid `sid` that came before its log entry (kept a few minutes).
pub fn early_contact(sid: &str) -> String {
    format!("wr:{{log}}:early:{sid}")
}

/// SET of the numbers that texted STOP (the SHA-256 of each, not the number: it is kept until
/// START, longer than a day's personal data).
pub const STOPPED: &str = "wr:{optout}:numbers";

/// The reply to inbound message `sid` (Twilio's MessageSid), kept a day: a retried webhook gets
/// the same reply and changes nothing twice.
pub fn inbound(sid: &str) -> String {
    format!("wr:{{log}}:inbound:{sid}")
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

/// The keys of one queue's day that every queue script receives, in `KEYS` order, each with
/// the Lua name the scripts know it by. The scripts' prelude is generated from this list, so the
/// order is written down once.
pub(crate) const SCRIPT_KEYS: [(&str, &str); 17] = [
    ("SEQ", "seq"),
    ("WAITING", "waiting"),
    ("TICKETS", "tickets"),
    ("TOKENS", "tokens"),
    ("SERVING", "serving"),
    ("RECENT", "recent"),
    ("SERVICE_MS", "service_ms"),
    ("AVG_SERVICE", "avg_service"),
    ("VERSION", "version"),
    ("INTAKE", "intake"),
    ("DAY", "day"),
    ("VERIFY", "verify"),
    ("OUTBOX", "outbox"),
    ("DIALED", "dialed"),
    ("PHONES", "phones"),
    ("AUTODIAL_SET", "autodial"),
    ("REMINDERS", "reminders"),
];

/// The Redis keys of one queue.
#[derive(Clone, Debug)]
pub struct QueueKeys {
    queue: QueueId,
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
    pub fn version(&self) -> String {
        self.key("version")
    }
    pub fn intake(&self) -> String {
        self.key("intake")
    }
    /// HASH verification token → `number:expires_at_ms` (single use).
    pub fn verify(&self) -> String {
        self.key("verify")
    }
    /// HASH verified phone (E.164) → the number of its latest ticket today.
    pub fn phones(&self) -> String {
        self.key("phones")
    }
    /// How many places ahead a verified phone is called, as staff set it in the console (a
    /// setting: it does not expire with the day).
    pub fn autodial(&self) -> String {
        self.key("autodial")
    }
    /// HASH number → the ticket's SMS reminder (JSON: asked_at, to, and once planned sid,
    /// send_at, sent).
    pub fn reminders(&self) -> String {
        self.key("reminders")
    }
    /// Held by the process planning the queue's reminders (one at a time).
    pub fn planner(&self) -> String {
        self.key("planner")
    }
    /// STREAM of the SMS and calls the queue's changes made due (consumer group `senders`).
    pub fn outbox(&self) -> String {
        self.key("outbox")
    }
    /// The Pub/Sub channel of the queue's events.
    pub fn events(&self) -> String {
        self.key("events")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_of_a_queue_share_one_hash_tag() {
        let keys = QueueKeys::of(&QueueId::parse("kaikei").unwrap());
        let mut all = keys.script_keys();
        all.push(keys.events());
        for key in all {
            assert!(key.starts_with("wr:{kaikei}:"), "{key}");
        }
        assert_eq!(keys.waiting(), "wr:{kaikei}:waiting");
        assert!(SCRIPT_KEYS.iter().any(|(lua, _)| *lua == "WAITING"));
    }
}
