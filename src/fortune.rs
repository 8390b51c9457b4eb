//! The fortune (占い) printed on each ticket: fixed per ticket, chosen from its token.

use crate::lang::Lang;
use crate::ticket::TicketToken;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rank {
    Daikichi,
    Chukichi,
    Shokichi,
    Kichi,
    Suekichi,
    Kyo,
}

impl Rank {
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Rank::Daikichi => lang.pick("大吉", "Great blessing"),
            Rank::Chukichi => lang.pick("中吉", "Middle blessing"),
            Rank::Shokichi => lang.pick("小吉", "Small blessing"),
            Rank::Kichi => lang.pick("吉", "Blessing"),
            Rank::Suekichi => lang.pick("末吉", "Future blessing"),
            Rank::Kyo => lang.pick("凶", "Bad luck"),
        }
    }
}

/// A one-line message, in Japanese and English.
type Message = (&'static str, &'static str);

/// (rank, weight out of 100, messages)
const TABLE: &[(Rank, u32, &[Message])] = &[
    (
        Rank::Daikichi,
        12,
        &[
            (
                "待てば海路の日和あり。今日はきっと良い日です。",
                "Good things come to those who wait: today is your day.",
            ),
            (
                "思いがけない嬉しい知らせが届きそう。",
                "Happy news may reach you unexpectedly.",
            ),
        ],
    ),
    (
        Rank::Chukichi,
        18,
        &[
            (
                "小さな親切が大きな幸運を呼びます。",
                "A small kindness brings great luck.",
            ),
            (
                "笑顔で過ごすと運気が上がります。",
                "Keep smiling and your luck will rise.",
            ),
        ],
    ),
    (
        Rank::Shokichi,
        20,
        &[
            (
                "ゆっくり深呼吸。焦らずいきましょう。",
                "Take a deep breath; there is no hurry.",
            ),
            (
                "身近な人に感謝を伝えると吉。",
                "Thank someone close to you today.",
            ),
        ],
    ),
    (
        Rank::Kichi,
        25,
        &[
            (
                "待ち時間に新しいアイデアが浮かびそう。",
                "A new idea may come to you while you wait.",
            ),
            (
                "温かい飲み物で一息つきましょう。",
                "Treat yourself to a warm drink.",
            ),
        ],
    ),
    (
        Rank::Suekichi,
        17,
        &[
            (
                "後半にかけて運気上昇。",
                "Your luck improves as the day goes on.",
            ),
            (
                "探し物は意外な場所に。",
                "What you are looking for is somewhere unexpected.",
            ),
        ],
    ),
    (
        Rank::Kyo,
        8,
        &[
            (
                "今日は慎重に。忘れ物に気をつけて。",
                "Take care today, and do not forget your things.",
            ),
            (
                "凶は吉に転じる前触れ。良いことが待っています。",
                "Bad luck turns to good: better things await.",
            ),
        ],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fortune {
    pub rank: Rank,
    message: Message,
}

impl Fortune {
    /// The fortune of the ticket with `token`: always the same for the same ticket.
    pub fn of(token: &TicketToken) -> Self {
        let seed = token.seed();
        let total: u32 = TABLE.iter().map(|(_, w, _)| w).sum();
        let mut pick = seed % total;
        for (rank, weight, messages) in TABLE {
            if pick < *weight {
                let message = messages[(seed / total) as usize % messages.len()];
                return Self {
                    rank: *rank,
                    message,
                };
            }
            pick -= weight;
        }
        unreachable!("the weights cover 0..total")
    }

    pub fn message(&self, lang: Lang) -> &'static str {
        lang.pick(self.message.0, self.message.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_keeps_its_fortune_and_all_ranks_occur() {
        let token = TicketToken::from_bytes([7; 16]);
        assert_eq!(Fortune::of(&token), Fortune::of(&token));
        let mut seen = std::collections::HashSet::new();
        for i in 0..=255u8 {
            for j in [0u8, 99, 200] {
                let mut bytes = [0u8; 16];
                bytes[0] = j;
                bytes[3] = i;
                seen.insert(
                    Fortune::of(&TicketToken::from_bytes(bytes))
                        .rank
                        .name(Lang::Ja),
                );
            }
        }
        assert_eq!(seen.len(), TABLE.len(), "every rank can be drawn: {seen:?}");
        let f = Fortune::of(&token);
        assert!(!f.message(Lang::Ja).is_empty() && f.message(Lang::En).is_ascii());
    }
}
