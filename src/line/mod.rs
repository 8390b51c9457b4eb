//! LINE (the Messaging API of a LINE Official Account): the REST client, webhook signatures and
//! the webhook's events. Everything about LINE's wire format lives here; the use cases decide
//! what to send. The one-time codes that link a ticket to a LINE user are in [`code`], the
//! domain's (`domain::line::code`, in the browser's build too).

pub mod client;
pub use domain::line::code;
pub mod signature;
pub mod webhook;

pub use client::{LineClient, LineConfig, LineError, Pushed};

/// LINE's section of the configuration (`LINE_*`). No `Debug`: it holds secrets.
#[derive(Clone, Default)]
pub struct LineSettings {
    /// The channel; `None`: nothing of LINE shows (no link on the ticket page, no pushes, the
    /// webhook answers 404).
    pub channel: Option<LineConfig>,
}

impl LineSettings {
    /// Whether LINE is on.
    pub fn is_on(&self) -> bool {
        self.channel.is_some()
    }
}

/// The most tickets one LINE user follows at once (all queues together).
pub const MAX_FOLLOWED: u32 = 3;

/// The link that opens a chat with the account `account_id` (its LINE ID, `@abc1234`) with `text`
/// typed in, for the customer to send (`https://line.me/R/oaMessage/{id}/?{text}`).
pub fn message_link(account_id: &str, text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    // the `@` of the ID is written %40 in LINE's own examples
    format!(
        "https://line.me/R/oaMessage/{}/?{encoded}",
        account_id.replace('@', "%40")
    )
}

/// A LINE ID as `LINE_ACCOUNT_ID` takes it: `@` then 1 to 20 of `a-z 0-9 . _ -` (a basic ID such
/// as `@abc1234`, or a premium one).
pub fn is_account_id(raw: &str) -> bool {
    raw.strip_prefix('@').is_some_and(|id| {
        (1..=20).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_link_carries_the_text_url_encoded() {
        let link = message_link("@abc1234", "受付 A7K2");
        assert_eq!(
            link,
            "https://line.me/R/oaMessage/%40abc1234/?%E5%8F%97%E4%BB%98%20A7K2"
        );
    }

    #[test]
    fn a_line_id_starts_with_an_at_sign() {
        for good in ["@abc1234", "@shop.tokyo", "@a"] {
            assert!(is_account_id(good), "{good}");
        }
        for bad in ["abc1234", "@", "@ABC", "@a b", "@abcdefghijklmnopqrstu"] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }
}
