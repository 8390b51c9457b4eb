//! Phone numbers as customers type them (090-1234-5678, 09012345678, +81 90 1234 5678, full-width
//! digits), turned into E.164 (`+819012345678`), the only form the rest of the system sees.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164: `+`, the country calling code, the national number; 8 to 15 digits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadPhone {
    #[error("not a phone number")]
    NotANumber,
    #[error("not a Japanese phone number (0X0-XXXX-XXXX, or +81 …)")]
    NotJapanese,
    #[error("calls and texts to {0} are not allowed here")]
    CountryNotAllowed(String),
    /// Texts go to mobiles only (a landline, an IP phone, a pager cannot receive them).
    #[error("{0} is not a mobile number: it cannot receive texts")]
    NotMobile(String),
    /// Calls go to mobiles, landlines and IP phones: never to premium-rate, shared-cost,
    /// toll-free, personal or other special numbers.
    #[error("calls to {0} are not allowed: not an ordinary landline or mobile number")]
    NotCallable(String),
}

/// Why a number was refused, without the number: what a screen is told (the `reason` of a
/// `bad_phone` error, and the words it shows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadPhoneReason {
    NotANumber,
    NotJapanese,
    #[serde(rename = "country")]
    CountryNotAllowed,
    NotMobile,
    NotCallable,
}

impl BadPhone {
    pub fn reason(&self) -> BadPhoneReason {
        match self {
            BadPhone::NotANumber => BadPhoneReason::NotANumber,
            BadPhone::NotJapanese => BadPhoneReason::NotJapanese,
            BadPhone::CountryNotAllowed(_) => BadPhoneReason::CountryNotAllowed,
            BadPhone::NotMobile(_) => BadPhoneReason::NotMobile,
            BadPhone::NotCallable(_) => BadPhoneReason::NotCallable,
        }
    }
}

impl PhoneNumber {
    /// Reads a number as a customer in Japan types it: a national number starting with 0
    /// (Japanese), or an international one starting with `+` (or `00`). Spaces, hyphens, dots,
    /// parentheses and full-width characters are allowed.
    pub fn parse(raw: &str) -> Result<Self, BadPhone> {
        let mut digits = String::new();
        let mut plus = false;
        for (i, c) in raw.trim().chars().enumerate() {
            let c = half_width(c);
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '\u{3000}' | '-' | '‐' | '‑' | '–' | '—' | '−' | 'ー' | '.' | '(' | ')' =>
                    {}
                _ => return Err(BadPhone::NotANumber),
            }
        }
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(national) = digits.strip_prefix('0') {
            format!("81{national}")
        } else {
            return Err(BadPhone::NotANumber);
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(BadPhone::NotANumber);
        }
        if let Some(national) = international.strip_prefix("81") {
            // a Japanese number: 9 digits (landlines) or 10 (mobiles, 050), never a leading 0
            if !(9..=10).contains(&national.len()) || national.starts_with('0') {
                return Err(BadPhone::NotJapanese);
            }
        }
        Ok(Self(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For screens and logs: `090-****-5678` (a Japanese number) or `+44 ****5678`.
    pub fn masked(&self) -> String {
        self.written(|_| "****")
    }

    /// The whole number as people write it (`090-1234-5678`; E.164 outside Japan), for staff
    /// who open the ticket.
    pub fn national(&self) -> String {
        if self.0.starts_with("+81") {
            self.written(|middle| middle)
        } else {
            self.0.clone()
        }
    }

    /// `0AA-MMMM-LLLL` (a Japanese number; `middle` writes the middle digits), else
    /// `+CC MMMMLLLL`.
    fn written<'a>(&'a self, middle: impl Fn(&'a str) -> &'a str) -> String {
        let last4 = &self.0[self.0.len() - 4..];
        let before_last4 = &self.0[..self.0.len() - 4];
        match self.0.strip_prefix("+81") {
            Some(national) => {
                let area = if national.len() == 10 { 2 } else { 1 };
                let between = &before_last4[3 + area..];
                format!("0{}-{}-{last4}", &national[..area], middle(between))
            }
            None => format!("{} {}{last4}", &self.0[..3], middle(&before_last4[3..])),
        }
    }
}

/// One SMS or call of the day's log, as the staff console shows it (the number masked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// Twilio's Sid (`SM…`, `CA…`).
    pub sid: String,
    /// `sms` or `call`.
    pub kind: String,
    /// The number, masked (`090-****-5678`).
    pub to: String,
    /// Twilio's latest status (`queued`, `sent`, `delivered`, `ringing`, `no-answer`, ...).
    pub status: String,
    /// How far along the status is (`twilio::status::progress`).
    #[serde(default)]
    pub progress: u8,
    pub created_at: u64,
    #[serde(default)]
    pub updated_at: u64,
    #[serde(default)]
    pub error_code: Option<String>,
    /// The ticket it is about (its queue and number), if any.
    #[serde(default)]
    pub ticket: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<crate::queue::QueueId>,
    /// Why it was sent: `verify`, `call_out`, `autodial`, `turn_text`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '＋' => '+',
        '－' | '（' | '）' | '．' => match c {
            '（' => '(',
            '）' => ')',
            '．' => '.',
            _ => '-',
        },
        _ => c,
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = BadPhone;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        // stored numbers are already E.164; parse accepts them as they are
        Self::parse(&raw)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> Self {
        p.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Never print a whole number in logs.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_usual_way_of_writing_a_mobile_number_is_one_number() {
        for raw in [
            "090-1234-5678",
            "09012345678",
            "+81 90 1234 5678",
            "+819012345678",
            "０９０－１２３４－５６７８",
            "０９０ー１２３４ー５６７８",
            "(090) 1234-5678",
            "＋８１ ９０ １２３４ ５６７８",
            "0081-90-1234-5678",
            " 090.1234.5678 ",
        ] {
            let phone = PhoneNumber::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(phone.as_str(), "+819012345678", "{raw:?}");
        }
        let phone = PhoneNumber::parse("090-1234-5678").unwrap();
        assert_eq!(phone.masked(), "090-****-5678");
        assert_eq!(phone.national(), "090-1234-5678");
    }

    #[test]
    fn landlines_and_other_countries() {
        let tokyo = PhoneNumber::parse("03-1234-5678").unwrap();
        assert_eq!(tokyo.as_str(), "+81312345678");
        assert_eq!(tokyo.masked(), "03-****-5678");
        assert_eq!(tokyo.national(), "03-1234-5678");
        let us = PhoneNumber::parse("+1 415 867 5309").unwrap();
        assert_eq!(us.as_str(), "+14158675309");
        assert_eq!(us.masked(), "+14 ****5309");
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for raw in [
            "",
            "abc",
            "090-1234-567a",
            "12345",
            "090-1234",
            "090-1234-56789",
            "+81 0 90 1234 5678",
            "1+2",
            "+",
        ] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw:?}");
        }
        assert_eq!(
            PhoneNumber::parse("0901234567890"),
            Err(BadPhone::NotJapanese)
        );
    }
}
