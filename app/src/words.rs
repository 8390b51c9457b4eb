//! Texts made of the locale files' words and a value: counters, waits, people, fortunes.

use crate::i18n::*;
use domain::{minutes_ceil, CounterId, Fortune, Rank};

/// 「2番窓口」 / "Counter 2"
pub fn counter_name(locale: Locale, counter: &CounterId) -> String {
    td_string!(locale, common.counter, id = counter)
}

/// "about 15 min" / 「約15分」, "any moment", or "—" while there is not enough data.
pub fn wait_text(locale: Locale, ms: Option<u64>) -> String {
    match ms.map(minutes_ceil) {
        None => td_string!(locale, common.wait_unknown).to_owned(),
        Some(0) => td_string!(locale, common.wait_soon).to_owned(),
        Some(n) => td_string!(locale, common.wait_about, n = n),
    }
}

/// 「3人」 / "3"
pub fn people(locale: Locale, n: impl std::fmt::Display) -> String {
    td_string!(locale, common.people, n = n)
}

/// 「15分」 / "15 min", or "—" without a value.
pub fn minutes(locale: Locale, ms: Option<u64>) -> String {
    match ms {
        None => td_string!(locale, common.wait_unknown).to_owned(),
        Some(ms) => td_string!(locale, common.minutes, n = minutes_ceil(ms)),
    }
}

pub fn fortune_rank(locale: Locale, rank: Rank) -> &'static str {
    match rank {
        Rank::Daikichi => td_string!(locale, fortune.daikichi.name),
        Rank::Chukichi => td_string!(locale, fortune.chukichi.name),
        Rank::Shokichi => td_string!(locale, fortune.shokichi.name),
        Rank::Kichi => td_string!(locale, fortune.kichi.name),
        Rank::Suekichi => td_string!(locale, fortune.suekichi.name),
        Rank::Kyo => td_string!(locale, fortune.kyo.name),
    }
}

pub fn fortune_message(locale: Locale, fortune: Fortune) -> &'static str {
    let first = fortune.message == 0;
    match fortune.rank {
        Rank::Daikichi if first => td_string!(locale, fortune.daikichi.m0),
        Rank::Daikichi => td_string!(locale, fortune.daikichi.m1),
        Rank::Chukichi if first => td_string!(locale, fortune.chukichi.m0),
        Rank::Chukichi => td_string!(locale, fortune.chukichi.m1),
        Rank::Shokichi if first => td_string!(locale, fortune.shokichi.m0),
        Rank::Shokichi => td_string!(locale, fortune.shokichi.m1),
        Rank::Kichi if first => td_string!(locale, fortune.kichi.m0),
        Rank::Kichi => td_string!(locale, fortune.kichi.m1),
        Rank::Suekichi if first => td_string!(locale, fortune.suekichi.m0),
        Rank::Suekichi => td_string!(locale, fortune.suekichi.m1),
        Rank::Kyo if first => td_string!(locale, fortune.kyo.m0),
        Rank::Kyo => td_string!(locale, fortune.kyo.m1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_each_language() {
        let two = CounterId::parse("2").unwrap();
        assert_eq!(counter_name(Locale::ja, &two), "2番窓口");
        assert_eq!(counter_name(Locale::en, &two), "Counter 2");
        assert!(counter_name(Locale::zh, &two).contains('2'));
        assert!(counter_name(Locale::ko, &two).contains('2'));
        assert_eq!(wait_text(Locale::ja, Some(61_000)), "約2分");
        assert_eq!(wait_text(Locale::en, Some(0)), "any moment");
        assert_eq!(wait_text(Locale::ko, None), "—");
        assert_eq!(people(Locale::ja, 3), "3人");
    }

    #[test]
    fn every_fortune_has_words_in_every_language() {
        for locale in Locale::get_all() {
            for rank in [
                Rank::Daikichi,
                Rank::Chukichi,
                Rank::Shokichi,
                Rank::Kichi,
                Rank::Suekichi,
                Rank::Kyo,
            ] {
                assert!(!fortune_rank(*locale, rank).is_empty());
                for message in 0..domain::fortune::MESSAGES_PER_RANK {
                    assert!(!fortune_message(*locale, Fortune { rank, message }).is_empty());
                }
            }
        }
        assert_ne!(
            fortune_message(
                Locale::ja,
                Fortune {
                    rank: Rank::Kyo,
                    message: 0
                }
            ),
            fortune_message(
                Locale::ja,
                Fortune {
                    rank: Rank::Kyo,
                    message: 1
                }
            )
        );
    }
}
