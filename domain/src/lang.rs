//! The languages of every screen: Japanese first, then English, Simplified Chinese and Korean.
//! The texts themselves live in the app's locale files (`app/locales/`); this is the language a
//! ticket was taken in, kept with it so that what it says later speaks the same language.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Ja,
    En,
    Zh,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Ja, Lang::En, Lang::Zh, Lang::Ko];

    /// Reads a language tag (`ja`, `en-US`, `zh-Hans-CN`, `ko`); `None` for any other language.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The first language of an `Accept-Language` header that we speak, by its weights.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut offered: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let weight = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (weight > 0.0).then_some((weight, lang))
            })
            .collect();
        // stable: equal weights keep the header's order
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map(|(_, lang)| *lang)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Ko => "ko",
        }
    }

    /// The voice a spoken announcement uses (speechSynthesis, later Twilio `<Say>`).
    pub fn speech_code(self) -> &'static str {
        match self {
            Lang::Ja => "ja-JP",
            Lang::En => "en-US",
            Lang::Zh => "zh-CN",
            Lang::Ko => "ko-KR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_by_their_primary_language() {
        assert_eq!(Lang::parse("EN-us"), Some(Lang::En));
        assert_eq!(Lang::parse("zh-Hans-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("ko"), Some(Lang::Ko));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(Lang::default(), Lang::Ja);
    }

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        assert_eq!(
            Lang::from_accept_language("fr-FR,ko;q=0.8,en;q=0.9"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,ja;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_accept_language("ko-KR;q=0.5, en;q=0"),
            Some(Lang::Ko)
        );
        assert_eq!(Lang::from_accept_language("de, fr;q=0.5"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }
}
