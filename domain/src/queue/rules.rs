//! How a ticket was taken, and a queue's rules set in the console: late arrivals, opening hours
//! and the daily limit, the automatic call's reach.

use serde::{Deserialize, Serialize};

/// How a ticket was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The touch panel in the store.
    Kiosk,
    /// A customer's phone, from outside the store.
    Remote,
    /// An integration through the JSON API.
    Api,
    /// By SMS or a phone call to the store's number (the ticket keeps that number, verified).
    Phone,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Kiosk => "kiosk",
            Channel::Remote => "remote",
            Channel::Api => "api",
            Channel::Phone => "phone",
        }
    }
}

/// The farthest from its turn a verified phone is called (`AUTODIAL_PLACES`, the console).
pub const MAX_AUTODIAL_PLACES: u32 = 20;

/// What a queue does with a called customer who is not there yet (set in the console).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateArrivals {
    /// 「後ろに回す」 puts the ticket this many places from the front of the line.
    pub move_back_places: u32,
    /// A called ticket becomes a no-show by itself this many minutes after its call (0: never).
    pub no_show_after_minutes: u32,
}

impl LateArrivals {
    /// The farthest back 「後ろに回す」 goes.
    pub const MAX_PLACES: u32 = 20;
    /// The longest wait before a called ticket becomes a no-show by itself.
    pub const MAX_MINUTES: u32 = 120;

    /// Within the limits the console offers.
    pub fn is_valid(&self) -> bool {
        self.move_back_places <= Self::MAX_PLACES && self.no_show_after_minutes <= Self::MAX_MINUTES
    }
}

/// When a queue takes tickets, and how many a day (set in the console; nothing set: always,
/// up to `MAX_TICKETS_PER_DAY`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// Local minutes of the day intake opens and closes (both or neither): the kiosk takes
    /// tickets from `opens` until `closes`; remote intake pauses when the predicted finish of a
    /// new ticket passes `closes`. Each business day opens again by itself.
    pub opens: Option<u16>,
    pub closes: Option<u16>,
    /// 受付上限: tickets a day (0: none besides `MAX_TICKETS_PER_DAY`).
    pub daily_limit: u32,
}

impl OpeningHours {
    /// The most a day's limit can be.
    pub const MAX_LIMIT: u32 = 10_000;

    /// Both times or neither, opening before closing, within the day; the limit within range.
    pub fn is_valid(&self) -> bool {
        let times = match (self.opens, self.closes) {
            (None, None) => true,
            (Some(o), Some(c)) => o < c && c <= 24 * 60,
            _ => false,
        };
        times && self.daily_limit <= Self::MAX_LIMIT
    }

    /// `HH:MM` of a minute of the day.
    pub fn hhmm(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// The minute of the day of `HH:MM` (`24:00` is the day's end).
    pub fn parse_hhmm(raw: &str) -> Option<u16> {
        let (h, m) = raw.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    }
}

impl Default for LateArrivals {
    /// Three places back; no automatic no-show.
    fn default() -> Self {
        Self {
            move_back_places: 3,
            no_show_after_minutes: 0,
        }
    }
}
