//! The fortune (占い) printed on each ticket: fixed per ticket, chosen from its token.

use crate::ticket::TicketToken;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rank {
    Daikichi,
    Chukichi,
    Shokichi,
    Kichi,
    Suekichi,
    Kyo,
}

/// How many messages each rank has in the locale files (`fortune.<rank>.m0`, `m1`, ...).
pub const MESSAGES_PER_RANK: u32 = 2;

/// (rank, weight out of 100)
const TABLE: &[(Rank, u32)] = &[
    (Rank::Daikichi, 12),
    (Rank::Chukichi, 18),
    (Rank::Shokichi, 20),
    (Rank::Kichi, 25),
    (Rank::Suekichi, 17),
    (Rank::Kyo, 8),
];

/// A ticket's fortune: a rank and which of its messages; the words are in the locale files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fortune {
    pub rank: Rank,
    /// 0..[`MESSAGES_PER_RANK`]
    pub message: u32,
}

impl Fortune {
    /// The fortune of the ticket with `token`: always the same for the same ticket.
    pub fn of(token: &TicketToken) -> Self {
        let seed = token.seed();
        let total: u32 = TABLE.iter().map(|(_, w)| w).sum();
        let mut pick = seed % total;
        for (rank, weight) in TABLE {
            if pick < *weight {
                return Self {
                    rank: *rank,
                    message: (seed / total) % MESSAGES_PER_RANK,
                };
            }
            pick -= weight;
        }
        unreachable!("the weights cover 0..total")
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
                let fortune = Fortune::of(&TicketToken::from_bytes(bytes));
                assert!(fortune.message < MESSAGES_PER_RANK);
                seen.insert(fortune.rank);
            }
        }
        assert_eq!(seen.len(), TABLE.len(), "every rank can be drawn: {seen:?}");
    }
}
