//! Every parser of outside input (URL segments, form fields, cookies, headers, the live channel's
//! frames, texts to the store's number), fed arbitrary text: it never panics, and it accepts
//! exactly what it should.

use proptest::prelude::*;
use waitingroom::command::Command;
use waitingroom::kiosk::{kiosk_name, KIOSK_NAME_MAX};
use waitingroom::phone::PhoneRules;
use waitingroom::{
    CounterId, Intake, KioskCredential, Lang, LiveMessage, PhoneNumber, QueueEvent, QueueId,
    TicketAction, TicketToken,
};

/// Any text, weighted towards what parsers find tricky: ids, hex, separators, control and
/// full-width characters, long runs.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9_-]{0,40}",
        "[0-9a-fA-F]{0,70}",
        "[0-9a-f]{32}\\.[0-9a-f]{32}",
        "[ \\t\\r\\n\\x00-\\x1f,;=.:q0-9a-zA-Z\\-\\[\\]{}\"]{0,80}",
        "[０-９ａ-ｚ受付窓口番\u{200b}\u{feff}]{0,50}",
    ]
}

fn is_id(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.chars().count() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_token(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn ids_accept_exactly_short_lowercase_names(raw in text()) {
        let queue = QueueId::parse(&raw);
        prop_assert_eq!(queue.is_ok(), is_id(&raw, QueueId::MAX_LEN));
        if let Ok(id) = queue {
            prop_assert_eq!(id.as_str(), raw.as_str());
        }
        prop_assert_eq!(CounterId::parse(&raw).is_ok(), is_id(&raw, CounterId::MAX_LEN));
        // as JSON (API bodies, stored events), the same rule
        let json = serde_json::to_string(&raw).unwrap();
        prop_assert_eq!(serde_json::from_str::<QueueId>(&json).is_ok(), is_id(&raw, QueueId::MAX_LEN));
    }

    #[test]
    fn a_text_to_the_store_is_one_command_and_only_its_first_word_decides(
        raw in text(),
        word in prop::sample::select(vec!["受付", "JOIN", "状況", "status", "キャンセル", "STOP", "start", "ＳＴＯＰ"]),
    ) {
        // anything at all is some command (help at worst), never a panic
        let (command, lang) = Command::parse(&raw);
        if raw.trim().is_empty() {
            prop_assert_eq!((command, lang), (Command::Help, None));
        }
        // a command word first decides, whatever follows it
        let (first, _) = Command::parse(&format!("{word} {raw}"));
        prop_assert_ne!(first, Command::Help, "{} {:?}", word, raw);
        // and anywhere else it does not
        let (later, _) = Command::parse(&format!("x {word}"));
        prop_assert_eq!(later, Command::Help);
    }

    #[test]
    fn tokens_and_kiosk_credentials_are_exactly_hex(raw in text()) {
        prop_assert_eq!(TicketToken::parse(&raw).is_ok(), is_token(&raw));
        let credential = KioskCredential::parse(&raw);
        let expected = raw
            .split_once('.')
            .is_some_and(|(id, secret)| is_token(id) && is_token(secret));
        prop_assert_eq!(credential.is_ok(), expected);
        if let Ok(c) = credential {
            prop_assert_eq!(c.to_string(), raw);
        }
    }

    #[test]
    fn kiosk_names_are_short_plain_text(raw in text()) {
        let name = kiosk_name(&raw);
        let trimmed = raw.trim();
        let expected = (1..=KIOSK_NAME_MAX).contains(&trimmed.chars().count())
            && !trimmed.chars().any(char::is_control);
        prop_assert_eq!(name.is_ok(), expected);
        if let Ok(name) = name {
            prop_assert_eq!(name, trimmed);
        }
    }

    #[test]
    fn form_words_are_one_of_the_known_ones(raw in text()) {
        let intake = Intake::parse(&raw);
        prop_assert_eq!(intake.is_ok(), ["open", "remote_paused", "paused"].contains(&raw.as_str()));
        let json = serde_json::to_string(&raw).unwrap();
        if let Ok(action) = serde_json::from_str::<TicketAction>(&json) {
            prop_assert_eq!(action.as_str(), raw.as_str());
        }
    }

    #[test]
    fn any_language_header_gives_one_of_our_languages_or_none(raw in text()) {
        if let Some(lang) = Lang::parse(&raw) {
            prop_assert!(Lang::ALL.contains(&lang));
        }
        if let Some(lang) = Lang::from_accept_language(&raw) {
            prop_assert!(Lang::ALL.contains(&lang));
        }
    }

    #[test]
    fn a_phone_number_is_e164_or_refused(raw in prop_oneof![text(), "[+＋]?[0-9０-９ \\-ー()]{0,20}".prop_map(String::from)]) {
        if let Ok(phone) = PhoneNumber::parse(&raw) {
            let e164 = phone.as_str();
            prop_assert!(e164.starts_with('+'), "{e164}");
            prop_assert!((9..=16).contains(&e164.len()), "{e164}");
            prop_assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
            let again = PhoneNumber::parse(e164);
            prop_assert_eq!(again, Ok(phone.clone()), "E.164 reads back as itself");
            let masked = phone.masked();
            prop_assert!(masked.contains("****") && masked.ends_with(&e164[e164.len() - 4..]), "{masked}");
            prop_assert!(masked.chars().filter(char::is_ascii_digit).count() <= 7, "{masked}: most digits hidden");
        }
    }

    #[test]
    fn a_mobile_number_however_written_is_one_number(
        prefix in prop::sample::select(vec!["070", "080", "090"]),
        digits in "[0-9]{8}",
        separator in prop::sample::select(vec!["", "-", " ", "ー", "－", "."]),
        full_width in any::<bool>(),
        international in any::<bool>(),
    ) {
        let written = if international {
            format!("+81{separator}{}{separator}{}{separator}{}", &prefix[1..], &digits[..4], &digits[4..])
        } else {
            format!("{prefix}{separator}{}{separator}{}", &digits[..4], &digits[4..])
        };
        let written = if full_width {
            written.chars().map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
                '+' => '＋',
                c => c,
            }).collect()
        } else {
            written
        };
        let phone = PhoneNumber::parse(&written).unwrap();
        prop_assert_eq!(phone.as_str(), format!("+81{}{digits}", &prefix[1..]));
        // by the phone-number metadata a mobile (070-1… to 090-9…: 0X0-0… is not allocated)
        prop_assert_eq!(
            phone.check_texts(&["JP".to_owned()]).is_ok(),
            !digits.starts_with('0'),
            "{}", phone.as_str()
        );
    }

    #[test]
    fn any_live_frame_is_read_or_refused_never_a_panic(raw in text()) {
        let _ = serde_json::from_str::<LiveMessage>(&raw);
        let _ = serde_json::from_str::<QueueEvent>(&raw);
    }
}

mod addresses {
    use super::*;
    use std::net::IpAddr;
    use waitingroom::services::{address_key, client_ip};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn a_forwarded_for_header_names_the_client_only_through_a_trusted_proxy(
            header in "[0-9a-f.:, \\[\\]x]{0,60}",
            peer in any::<IpAddr>(),
            proxy in any::<IpAddr>(),
        ) {
            if peer != proxy {
                prop_assert_eq!(client_ip(&[proxy], peer, Some(&header)), peer, "untrusted: the peer");
            }
            let client = client_ip(&[proxy], proxy, Some(&header));
            let named = header
                .split(',')
                .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
                .any(|hop| hop == client);
            prop_assert!(client == proxy || named, "{client} is the proxy or named by {header:?}");
        }

        #[test]
        fn every_address_has_a_limit_key(ip in any::<IpAddr>()) {
            let key = address_key(ip);
            prop_assert!(!key.is_empty() && !key.contains(char::is_whitespace));
            if let IpAddr::V6(v6) = ip {
                if v6.to_ipv4_mapped().is_none() {
                    prop_assert!(key.ends_with("::/64"), "{key}");
                }
            }
        }
    }
}
