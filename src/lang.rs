//! The languages of every screen: Japanese first, English second.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    /// Reads a `lang` code (`ja`, `en`); anything else is the default, Japanese.
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(str::trim) {
            Some(c) if c.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Ja,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch on every page.
    pub fn other(self) -> Self {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// The name of this language, written in itself.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "English",
        }
    }

    /// Picks the text of this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_is_the_default() {
        assert_eq!(Lang::from_code(None), Lang::Ja);
        assert_eq!(Lang::from_code(Some("fr")), Lang::Ja);
        assert_eq!(Lang::from_code(Some("EN")), Lang::En);
        assert_eq!(Lang::En.pick("受付", "Take a number"), "Take a number");
        assert_eq!(Lang::Ja.other(), Lang::En);
    }
}
