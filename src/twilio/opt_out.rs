//! Twilio's own opt-out handling of inbound texts, which ours follows: Twilio blocks a number
//! after an opt-out keyword, answers STOP, START and HELP itself, and refuses every later send to
//! it with error 21610 until it opts back in (twilio.com/docs/messaging/tutorials/advanced-opt-out; support
//! 223134027; BEHAVIOUR.md "Opt-out"). So what Twilio saw as a keyword changes our stop list the
//! same way, and gets no reply of ours (it would be a second one).

/// What Twilio did with an inbound text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptOut {
    /// An opt-out keyword: Twilio blocks the number and confirms it.
    Stop,
    /// An opt-in keyword: Twilio unblocks the number and confirms it.
    Start,
    /// A help keyword: Twilio answers it.
    Help,
}

/// Twilio's default opt-out keywords.
pub const STOP_WORDS: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
/// Twilio's default opt-in keywords.
pub const START_WORDS: [&str; 3] = ["START", "YES", "UNSTOP"];
/// Twilio's default help keywords.
pub const HELP_WORDS: [&str; 2] = ["HELP", "INFO"];

impl OptOut {
    /// What Twilio did with text `body`: by its `OptOutType` field where it sent one (a Messaging
    /// Service with Advanced Opt-Out, whose keywords the shop may have changed), else by its
    /// default keywords, which match a whole text (any case, spaces around) and nothing inside one.
    pub fn of(body: &str, opt_out_type: Option<&str>) -> Option<OptOut> {
        if let Some(kind) = opt_out_type.map(str::trim).filter(|k| !k.is_empty()) {
            return match kind.to_ascii_uppercase().as_str() {
                "STOP" => Some(OptOut::Stop),
                "START" => Some(OptOut::Start),
                "HELP" => Some(OptOut::Help),
                _ => None,
            };
        }
        let word = body.trim().to_ascii_uppercase();
        let word = word.as_str();
        if STOP_WORDS.contains(&word) {
            Some(OptOut::Stop)
        } else if START_WORDS.contains(&word) {
            Some(OptOut::Start)
        } else if HELP_WORDS.contains(&word) {
            Some(OptOut::Help)
        } else {
            None
        }
    }
}

/// English CANCEL: an opt-out keyword at Twilio (unless the Messaging Service's keywords were
/// changed), and, to us, also the customer's wish to give up the ticket.
pub fn cancels_ticket(body: &str) -> bool {
    body.trim().eq_ignore_ascii_case("CANCEL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilios_keywords_are_whole_texts_in_any_case() {
        for word in STOP_WORDS {
            assert_eq!(OptOut::of(word, None), Some(OptOut::Stop), "{word}");
            assert_eq!(
                OptOut::of(&format!("  {} \n", word.to_lowercase()), None),
                Some(OptOut::Stop)
            );
        }
        for word in ["start", "Yes", "UNSTOP"] {
            assert_eq!(OptOut::of(word, None), Some(OptOut::Start), "{word}");
        }
        for word in ["help", "Info"] {
            assert_eq!(OptOut::of(word, None), Some(OptOut::Help), "{word}");
        }
        for text in [
            "stop please",
            "please stop",
            "キャンセル",
            "停止",
            "STATUS",
            "",
        ] {
            assert_eq!(OptOut::of(text, None), None, "{text:?}");
        }
        assert!(cancels_ticket(" cancel ") && !cancels_ticket("stop"));
    }

    #[test]
    fn twilios_own_verdict_wins_over_the_words() {
        // a shop's Messaging Service that made 配信停止 a keyword, and CANCEL none
        assert_eq!(OptOut::of("配信停止", Some("STOP")), Some(OptOut::Stop));
        assert_eq!(OptOut::of("再開", Some("START")), Some(OptOut::Start));
        assert_eq!(OptOut::of("CANCEL", Some("")), Some(OptOut::Stop));
        assert_eq!(OptOut::of("hello", Some("OTHER")), None);
    }
}
