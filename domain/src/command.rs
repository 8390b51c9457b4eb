//! What a customer asks for by SMS (or by a key on a call): the words of a text become a command,
//! in Japanese or English, written any usual way (full-width, kana, lower case).

use crate::lang::Lang;

/// A command texted to the store's number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// 受付 / JOIN, optionally naming a queue: take a ticket for this phone.
    Join { queue: Option<String> },
    /// 状況 / STATUS: where my ticket is.
    Status,
    /// キャンセル / CANCEL: cancel my ticket.
    Cancel,
    /// STOP (and Twilio's other opt-out words): send this number nothing more.
    Stop,
    /// START: sending may go on.
    Start,
    /// Anything else: a short help text.
    Help,
}

/// The words of each command, with the language they are in.
const WORDS: [(&str, Lang, Keyword); 24] = [
    ("受付", Lang::Ja, Keyword::Join),
    ("うけつけ", Lang::Ja, Keyword::Join),
    ("ウケツケ", Lang::Ja, Keyword::Join),
    ("JOIN", Lang::En, Keyword::Join),
    ("状況", Lang::Ja, Keyword::Status),
    ("じょうきょう", Lang::Ja, Keyword::Status),
    ("確認", Lang::Ja, Keyword::Status),
    ("STATUS", Lang::En, Keyword::Status),
    ("キャンセル", Lang::Ja, Keyword::Cancel),
    ("きゃんせる", Lang::Ja, Keyword::Cancel),
    ("取消", Lang::Ja, Keyword::Cancel),
    ("取り消し", Lang::Ja, Keyword::Cancel),
    ("CANCEL", Lang::En, Keyword::Cancel),
    ("停止", Lang::Ja, Keyword::Stop),
    ("配信停止", Lang::Ja, Keyword::Stop),
    ("STOP", Lang::En, Keyword::Stop),
    ("STOPALL", Lang::En, Keyword::Stop),
    ("UNSUBSCRIBE", Lang::En, Keyword::Stop),
    ("END", Lang::En, Keyword::Stop),
    ("QUIT", Lang::En, Keyword::Stop),
    ("再開", Lang::Ja, Keyword::Start),
    ("START", Lang::En, Keyword::Start),
    ("UNSTOP", Lang::En, Keyword::Start),
    ("HELP", Lang::En, Keyword::Help),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    Join,
    Status,
    Cancel,
    Stop,
    Start,
    Help,
}

impl Command {
    /// The command `body` asks for, and the language its word is in (`None`: no known word).
    pub fn parse(body: &str) -> (Command, Option<Lang>) {
        let text: String = body.chars().map(half_width).collect::<String>();
        let mut words = text.split_whitespace();
        let Some(first) = words.next() else {
            return (Command::Help, None);
        };
        let first = first
            .trim_end_matches(['。', '.', '!', '！', '?', '？'])
            .to_uppercase();
        let Some((_, lang, keyword)) = WORDS.iter().find(|(word, _, _)| *word == first) else {
            return (Command::Help, guess_lang(&text));
        };
        let command = match keyword {
            Keyword::Join => Command::Join {
                queue: words.next().map(str::to_lowercase),
            },
            Keyword::Status => Command::Status,
            Keyword::Cancel => Command::Cancel,
            Keyword::Stop => Command::Stop,
            Keyword::Start => Command::Start,
            Keyword::Help => Command::Help,
        };
        (command, Some(*lang))
    }
}

/// A text with no known word: Japanese if it has any Japanese in it, else English.
fn guess_lang(text: &str) -> Option<Lang> {
    let japanese = text
        .chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'));
    Some(if japanese { Lang::Ja } else { Lang::En })
}

/// Full-width ASCII (ＳＴＯＰ, ａ) and the ideographic space as their ASCII selves.
fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_of_writing_a_command_is_that_command() {
        for (body, command, lang) in [
            ("受付", Command::Join { queue: None }, Lang::Ja),
            (" join ", Command::Join { queue: None }, Lang::En),
            (
                "Join Kaikei",
                Command::Join {
                    queue: Some("kaikei".into()),
                },
                Lang::En,
            ),
            ("ＪＯＩＮ", Command::Join { queue: None }, Lang::En),
            (
                "受付　kaikei",
                Command::Join {
                    queue: Some("kaikei".into()),
                },
                Lang::Ja,
            ),
            ("状況", Command::Status, Lang::Ja),
            ("status?", Command::Status, Lang::En),
            ("キャンセル", Command::Cancel, Lang::Ja),
            ("Cancel.", Command::Cancel, Lang::En),
            ("STOP", Command::Stop, Lang::En),
            ("stop", Command::Stop, Lang::En),
            ("ＳＴＯＰ", Command::Stop, Lang::En),
            ("unsubscribe", Command::Stop, Lang::En),
            ("配信停止", Command::Stop, Lang::Ja),
            ("START", Command::Start, Lang::En),
            ("再開", Command::Start, Lang::Ja),
        ] {
            assert_eq!(Command::parse(body), (command, Some(lang)), "{body:?}");
        }
    }

    #[test]
    fn anything_else_is_help_in_the_language_it_is_written_in() {
        assert_eq!(
            Command::parse("こんにちは"),
            (Command::Help, Some(Lang::Ja))
        );
        assert_eq!(
            Command::parse("hello there"),
            (Command::Help, Some(Lang::En))
        );
        assert_eq!(Command::parse(""), (Command::Help, None));
        assert_eq!(Command::parse("   "), (Command::Help, None));
        // a command word inside a sentence is not a command
        assert_eq!(
            Command::parse("please stop"),
            (Command::Help, Some(Lang::En))
        );
    }
}
