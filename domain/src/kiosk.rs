//! Kiosks: the devices staff set up to issue tickets in the store. A kiosk holds a credential of
//! its own (a long-lived cookie), not a staff session; the console lists kiosks and revokes them.

use crate::ticket::TicketToken;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A kiosk, as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kiosk {
    /// 32 hex characters; not a secret (the console shows it to revoke the kiosk).
    pub id: String,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// When it last opened its screen or issued a ticket.
    pub last_seen_at: Option<u64>,
}

/// The longest kiosk name, in characters.
pub const KIOSK_NAME_MAX: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a kiosk's name is 1 to {KIOSK_NAME_MAX} characters, without control characters")]
pub struct BadKioskName;

/// What staff name a kiosk (「入口」, "Entrance"): trimmed, 1 to [`KIOSK_NAME_MAX`] characters.
pub fn kiosk_name(raw: &str) -> Result<String, BadKioskName> {
    let name = raw.trim();
    let length = name.chars().count();
    if (1..=KIOSK_NAME_MAX).contains(&length) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(BadKioskName)
    }
}

/// A kiosk's credential, as its cookie holds it: `<id>.<secret>`, each 128 random bits in hex.
#[derive(Clone, PartialEq, Eq)]
pub struct KioskCredential {
    id: TicketToken,
    secret: TicketToken,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a kiosk credential")]
pub struct BadCredential;

impl KioskCredential {
    pub fn new(id: TicketToken, secret: TicketToken) -> Self {
        Self { id, secret }
    }

    pub fn parse(raw: &str) -> Result<Self, BadCredential> {
        let (id, secret) = raw.split_once('.').ok_or(BadCredential)?;
        Ok(Self {
            id: TicketToken::parse(id).map_err(|_| BadCredential)?,
            secret: TicketToken::parse(secret).map_err(|_| BadCredential)?,
        })
    }

    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    pub fn secret(&self) -> &str {
        self.secret.as_str()
    }
}

/// The cookie's value.
impl fmt::Display for KioskCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.id, self.secret)
    }
}

/// Never print the secret.
impl fmt::Debug for KioskCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KioskCredential({})", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kiosk_name_is_short_plain_text() {
        assert_eq!(kiosk_name("  入口 ").unwrap(), "入口");
        assert_eq!(kiosk_name(&"受".repeat(40)).unwrap().chars().count(), 40);
        assert!(kiosk_name(&"受".repeat(41)).is_err());
        assert!(kiosk_name("   ").is_err());
        assert!(kiosk_name("a\u{0}b").is_err());
        assert!(kiosk_name("a\nb").is_err());
    }

    #[test]
    fn a_credential_is_two_tokens_and_hides_its_secret() {
        let id = "0123456789abcdef0123456789abcdef";
        let secret = "fedcba9876543210fedcba9876543210";
        let raw = format!("{id}.{secret}");
        let c = KioskCredential::parse(&raw).unwrap();
        assert_eq!((c.id(), c.secret()), (id, secret));
        assert_eq!(c.to_string(), raw);
        assert!(!format!("{c:?}").contains(secret));
        for bad in [
            "",
            ".",
            id,
            &format!("{id}."),
            &format!("{id}.{id}.x"),
            &raw.to_uppercase(),
        ] {
            assert!(KioskCredential::parse(bad).is_err(), "{bad:?}");
        }
    }
}
