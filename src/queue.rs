//! Queues, counters, the queue's snapshot and the events that change it.
//!
//! Every screen holds a [`QueueSnapshot`] and applies [`QueueEvent`]s to it with
//! [`QueueSnapshot::apply`]; the server's scripts publish exactly these events, so a screen that
//! applies every event in version order holds the same picture as a fresh snapshot.

use crate::ticket::TicketSummary;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("has at most {0} characters")]
    TooLong(usize),
    #[error("may only hold a-z, 0-9, '-' and '_' (found {0:?})")]
    BadCharacter(char),
}

fn check_id(raw: &str, max: usize) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.chars().count() > max {
        return Err(IdError::TooLong(max));
    }
    match raw
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        Some(bad) => Err(IdError::BadCharacter(bad)),
        None => Ok(()),
    }
}

/// An id of 1–`$max` characters of `a-z`, `0-9`, `-`, `_`, checked when parsed and when
/// deserialized, so nothing else reaches Redis keys or URLs.
macro_rules! safe_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, IdError> {
                check_id(raw, Self::MAX_LEN)?;
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

safe_id!(
    /// The id of one queue (a service such as 診察 or 会計), part of its Redis keys
    /// (`wr:{<id>}:...`) and URLs.
    QueueId,
    32
);

safe_id!(
    /// A counter (窓口) where customers are served, shown as 「{id}番窓口」 / "Counter {id}".
    CounterId,
    8
);

impl QueueId {
    /// The queue every installation has when nothing else is configured.
    pub fn default_queue() -> Self {
        Self("default".to_owned())
    }
}

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

/// Whether the queue takes new tickets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intake {
    #[default]
    Open,
    /// The kiosk still issues tickets; remote check-in is paused.
    RemotePaused,
    /// No new tickets at all (受付停止).
    Paused,
}

impl Intake {
    pub fn as_str(self) -> &'static str {
        match self {
            Intake::Open => "open",
            Intake::RemotePaused => "remote_paused",
            Intake::Paused => "paused",
        }
    }

    /// Reads the stored or submitted name; anything else is an error, never a guess.
    pub fn parse(raw: &str) -> Result<Self, UnknownIntake> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == raw)
            .ok_or_else(|| UnknownIntake(raw.chars().take(32).collect()))
    }

    pub const ALL: [Intake; 3] = [Intake::Open, Intake::RemotePaused, Intake::Paused];
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown intake {0:?} (expected open, remote_paused or paused)")]
pub struct UnknownIntake(pub String);

/// A ticket being served at a counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serving {
    pub counter: CounterId,
    pub number: u64,
}

/// One call (or recall) of a ticket to a counter, for the display board's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub number: u64,
    pub counter: CounterId,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub recall: bool,
}

/// How many calls the snapshot keeps (newest first).
pub const RECENT_CALLS: usize = 6;

/// What a screen needs to draw a queue, read atomically together with the version it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    pub queue: QueueId,
    /// Goes up by exactly one with every change of the queue, and never goes back (not even when
    /// the day's numbering restarts).
    pub version: u64,
    /// Ticket numbers waiting, first in line first.
    pub waiting: Vec<u64>,
    /// Now serving, in counter order.
    pub serving: Vec<Serving>,
    /// The latest calls, newest first.
    pub recent_calls: Vec<Call>,
    /// The last number issued today, 0 before the first.
    pub last_number: u64,
    pub intake: Intake,
    /// The average of the recent service times, once there are enough of them.
    pub avg_service_ms: Option<u64>,
}

/// One change of a queue, as published to every server process and every open screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEvent {
    pub queue: QueueId,
    pub version: u64,
    #[serde(flatten)]
    pub change: Change,
    /// The ticket the change is about, as it is after the change (without its token): what the
    /// staff console shows. Absent for `intake` and `reset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketSummary>,
}

/// The state a ticket leaves the line in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    NoShow,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A ticket was issued and joined the end of the line.
    Issued { number: u64 },
    /// A ticket was called (or called again) to a counter.
    Called {
        number: u64,
        counter: CounterId,
        at: u64,
        recall: bool,
    },
    /// A ticket left the line or its counter for good.
    Finished {
        number: u64,
        outcome: Outcome,
        avg_service_ms: Option<u64>,
    },
    /// A called ticket (or a no-show) was put back into the line: at the front, or `place`
    /// places from it (「後ろに回す」; at the end when the line is shorter).
    Requeued {
        number: u64,
        #[serde(default)]
        place: u64,
    },
    /// Intake was paused or resumed.
    Intake { intake: Intake },
    /// The day's numbering restarted: the line, the counters and the history are empty.
    Reset,
    /// A ticket's phone was registered or verified, or it was linked to LINE (the number and the
    /// LINE user never travel in events).
    Phone { number: u64 },
}

/// What applying an event to a snapshot did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The event was the next one; the snapshot now includes it.
    Updated,
    /// The snapshot already includes this event (it arrived twice, or before the snapshot was read).
    Stale,
    /// One or more events were missed: the screen must read a new snapshot.
    Gap,
}

impl QueueSnapshot {
    pub fn empty(queue: QueueId) -> Self {
        Self {
            queue,
            version: 0,
            waiting: Vec::new(),
            serving: Vec::new(),
            recent_calls: Vec::new(),
            last_number: 0,
            intake: Intake::Open,
            avg_service_ms: None,
        }
    }

    /// Applies `event` if it is the very next change; never guesses across a gap.
    pub fn apply(&mut self, event: &QueueEvent) -> Applied {
        if event.queue != self.queue || event.version <= self.version {
            return Applied::Stale;
        }
        if event.version != self.version + 1 {
            return Applied::Gap;
        }
        self.version = event.version;
        match &event.change {
            Change::Issued { number } => {
                self.waiting.push(*number);
                self.last_number = *number;
            }
            Change::Called {
                number,
                counter,
                at,
                recall,
            } => {
                self.waiting.retain(|n| n != number);
                self.serving
                    .retain(|s| &s.counter != counter && s.number != *number);
                let at_index = self.serving.partition_point(|s| &s.counter < counter);
                self.serving.insert(
                    at_index,
                    Serving {
                        counter: counter.clone(),
                        number: *number,
                    },
                );
                self.recent_calls.insert(
                    0,
                    Call {
                        number: *number,
                        counter: counter.clone(),
                        at: *at,
                        recall: *recall,
                    },
                );
                self.recent_calls.truncate(RECENT_CALLS);
            }
            Change::Finished {
                number,
                avg_service_ms,
                ..
            } => {
                self.waiting.retain(|n| n != number);
                self.serving.retain(|s| s.number != *number);
                self.avg_service_ms = *avg_service_ms;
            }
            Change::Requeued { number, place } => {
                self.serving.retain(|s| s.number != *number);
                self.waiting.retain(|n| n != number);
                let at = usize::try_from(*place)
                    .unwrap_or(usize::MAX)
                    .min(self.waiting.len());
                self.waiting.insert(at, *number);
            }
            Change::Intake { intake } => self.intake = *intake,
            Change::Phone { .. } => {}
            Change::Reset => {
                self.waiting.clear();
                self.serving.clear();
                self.recent_calls.clear();
                self.last_number = 0;
                self.avg_service_ms = None;
            }
        }
        Applied::Updated
    }

    /// People in line before ticket `number`, or `None` when it is not waiting.
    pub fn people_ahead(&self, number: u64) -> Option<usize> {
        self.waiting.iter().position(|n| *n == number)
    }

    /// The counter serving ticket `number`, if any.
    pub fn counter_of(&self, number: u64) -> Option<&CounterId> {
        self.serving
            .iter()
            .find(|s| s.number == number)
            .map(|s| &s.counter)
    }
}

/// A queue as configured: its id, the prefix of its numbers and its names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueInfo {
    pub id: QueueId,
    /// Printed before the number (`A` gives `A-001`); empty for plain numbers.
    pub prefix: String,
    pub name_ja: String,
    pub name_en: String,
    /// Chinese and Korean names, when configured (else the English name is shown).
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub name_ko: Option<String>,
}

impl QueueInfo {
    /// The queue of an installation without configuration.
    pub fn default_queue() -> Self {
        Self {
            id: QueueId::default_queue(),
            prefix: String::new(),
            name_ja: "受付".into(),
            name_en: "Reception".into(),
            name_zh: Some("取号".into()),
            name_ko: Some("접수".into()),
        }
    }

    /// The name in `lang`; Chinese and Korean fall back to the English name.
    pub fn name(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::Ja => &self.name_ja,
            crate::Lang::En => &self.name_en,
            crate::Lang::Zh => self.name_zh.as_deref().unwrap_or(&self.name_en),
            crate::Lang::Ko => self.name_ko.as_deref().unwrap_or(&self.name_en),
        }
    }

    pub fn label(&self, number: u64) -> String {
        crate::ticket::label(&self.prefix, number)
    }
}

impl QueueInfo {
    /// The queues of `QUEUES`, comma-separated, each as its `FromStr` reads it: at least one,
    /// none twice.
    pub fn parse_list(raw: &str) -> Result<Vec<QueueInfo>, String> {
        let mut queues: Vec<QueueInfo> = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let queue: QueueInfo = part.parse()?;
            if queues.iter().any(|q| q.id == queue.id) {
                return Err(format!("{} is listed twice", queue.id));
            }
            queues.push(queue);
        }
        if queues.is_empty() {
            return Err("no queue given".into());
        }
        Ok(queues)
    }
}

/// A queue's number prefix may hold at most this many letters or digits (`A` gives `A-001`).
pub const MAX_PREFIX_CHARS: usize = 3;

impl std::str::FromStr for QueueInfo {
    type Err = String;

    /// `id[:prefix[:日本語名[:English name[:中文名[:한국어 이름]]]]]`, e.g. `shinsatsu:A:診察:Consultation`:
    /// the Japanese name defaults to the id, the English one to the Japanese one.
    fn from_str(raw: &str) -> Result<Self, String> {
        let mut fields = raw.split(':').map(str::trim);
        let id = fields.next().unwrap_or_default();
        let id = QueueId::parse(id).map_err(|e| format!("queue id {id:?} {e}"))?;
        let prefix = fields.next().unwrap_or_default().to_owned();
        if prefix.chars().count() > MAX_PREFIX_CHARS
            || !prefix.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(format!(
                "prefix {prefix:?} must be at most {MAX_PREFIX_CHARS} letters or digits"
            ));
        }
        let name_ja = fields
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(id.as_str())
            .to_owned();
        let name_en = fields
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(&name_ja)
            .to_owned();
        let mut other = || fields.next().filter(|n| !n.is_empty()).map(str::to_owned);
        let (name_zh, name_ko) = (other(), other());
        Ok(Self {
            id,
            prefix,
            name_ja,
            name_en,
            name_zh,
            name_ko,
        })
    }
}

/// The expected wait of someone with `people_ahead` in front, served at `counters` counters that
/// each take `avg_service_ms` per customer; `None` while there is not enough data.
pub fn estimated_wait_ms(
    people_ahead: usize,
    avg_service_ms: Option<u64>,
    counters: usize,
) -> Option<u64> {
    let avg = avg_service_ms?;
    let counters = counters.max(1) as u64;
    Some((people_ahead as u64).div_ceil(counters) * avg)
}

/// Whole minutes, rounded up, for "about N minutes".
pub fn minutes_ceil(ms: u64) -> u64 {
    ms.div_ceil(60_000)
}

/// A message on the live channel (`/api/v1/queues/{queue}/live`): a snapshot first, then events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveMessage {
    Snapshot { snapshot: QueueSnapshot },
    Event { event: QueueEvent },
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_queue_is_read_with_its_prefix_and_names() {
        let q: super::QueueInfo = "shinsatsu:A:診察:Consultation:看诊:진찰".parse().unwrap();
        assert_eq!((q.id.as_str(), q.label(7).as_str()), ("shinsatsu", "A-007"));
        assert_eq!(q.name(crate::Lang::Ko), "진찰");
        let plain: super::QueueInfo = "kaikei".parse().unwrap();
        assert_eq!(
            (plain.label(7).as_str(), plain.name_en.as_str()),
            ("7", "kaikei")
        );
        for bad in ["a:TOOLONG", "a:A-1", "A", ""] {
            assert!(bad.parse::<super::QueueInfo>().is_err(), "{bad}");
        }
        let twice = super::QueueInfo::parse_list("a, b:B, a").unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
        assert!(super::QueueInfo::parse_list(" , ").is_err());
    }

    use super::*;

    fn q() -> QueueId {
        QueueId::default_queue()
    }

    fn counter(id: &str) -> CounterId {
        CounterId::parse(id).unwrap()
    }

    fn event(version: u64, change: Change) -> QueueEvent {
        QueueEvent {
            queue: q(),
            version,
            change,
            ticket: None,
        }
    }

    fn issued(version: u64, number: u64) -> QueueEvent {
        event(version, Change::Issued { number })
    }

    fn called(version: u64, number: u64, at: &str, recall: bool) -> QueueEvent {
        event(
            version,
            Change::Called {
                number,
                counter: counter(at),
                at: 1000 * version,
                recall,
            },
        )
    }

    #[test]
    fn ids_accept_the_safe_alphabet_only() {
        assert_eq!(
            QueueId::parse("shinsatsu-2").unwrap().as_str(),
            "shinsatsu-2"
        );
        assert_eq!(QueueId::parse(""), Err(IdError::Empty));
        assert_eq!(QueueId::parse("a}b"), Err(IdError::BadCharacter('}')));
        assert_eq!(QueueId::parse("Kaikei"), Err(IdError::BadCharacter('K')));
        assert_eq!(QueueId::parse("診察"), Err(IdError::BadCharacter('診')));
        assert_eq!(QueueId::parse(&"a".repeat(33)), Err(IdError::TooLong(32)));
        assert!(QueueId::parse(&"a".repeat(32)).is_ok());
        assert!(CounterId::parse("2").is_ok());
        assert_eq!(CounterId::parse("123456789"), Err(IdError::TooLong(8)));
    }

    #[test]
    fn ids_are_checked_when_deserialized() {
        assert!(serde_json::from_str::<QueueId>("\"ok_1\"").is_ok());
        assert!(serde_json::from_str::<QueueId>("\"{default}\"").is_err());
        assert!(serde_json::from_str::<CounterId>("\"a b\"").is_err());
    }

    #[test]
    fn issues_join_the_end_of_the_line() {
        let mut s = QueueSnapshot::empty(q());
        assert_eq!(s.apply(&issued(1, 1)), Applied::Updated);
        assert_eq!(s.apply(&issued(2, 2)), Applied::Updated);
        assert_eq!(s.waiting, vec![1, 2]);
        assert_eq!((s.version, s.last_number), (2, 2));
        assert_eq!(s.people_ahead(2), Some(1));
        assert_eq!(s.people_ahead(3), None);
    }

    #[test]
    fn a_call_moves_a_ticket_from_the_line_to_its_counter() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        s.apply(&issued(2, 2));
        s.apply(&issued(3, 3));
        s.apply(&called(4, 1, "2", false));
        s.apply(&called(5, 3, "1", false)); // out of order, to counter 1
        assert_eq!(s.waiting, vec![2]);
        let serving: Vec<(&str, u64)> = s
            .serving
            .iter()
            .map(|x| (x.counter.as_str(), x.number))
            .collect();
        assert_eq!(serving, [("1", 3), ("2", 1)], "in counter order");
        assert_eq!(s.recent_calls[0].number, 3);
        assert_eq!(s.counter_of(1).map(CounterId::as_str), Some("2"));

        // the next call to counter 2 replaces what it served
        s.apply(&called(6, 2, "2", false));
        assert_eq!(s.counter_of(1), None);
        assert_eq!(s.counter_of(2).map(CounterId::as_str), Some("2"));
    }

    #[test]
    fn a_recall_is_history_and_keeps_the_counter() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        s.apply(&called(2, 1, "1", false));
        s.apply(&called(3, 1, "1", true));
        assert_eq!(s.serving.len(), 1);
        assert_eq!(s.recent_calls.len(), 2);
        assert!(s.recent_calls[0].recall);
    }

    #[test]
    fn the_history_keeps_the_latest_calls_only() {
        let mut s = QueueSnapshot::empty(q());
        for v in 1..=10 {
            s.apply(&called(v, v, "1", false));
        }
        assert_eq!(s.recent_calls.len(), RECENT_CALLS);
        assert_eq!(s.recent_calls[0].number, 10);
    }

    #[test]
    fn finished_tickets_leave_line_and_counter() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        s.apply(&issued(2, 2));
        s.apply(&called(3, 1, "1", false));
        let done = Change::Finished {
            number: 1,
            outcome: Outcome::Done,
            avg_service_ms: Some(60_000),
        };
        s.apply(&event(4, done));
        let cancelled = Change::Finished {
            number: 2,
            outcome: Outcome::Cancelled,
            avg_service_ms: Some(60_000),
        };
        s.apply(&event(5, cancelled));
        assert!(s.waiting.is_empty() && s.serving.is_empty());
        assert_eq!(s.avg_service_ms, Some(60_000));
        assert_eq!(s.recent_calls.len(), 1, "history stays");
    }

    #[test]
    fn a_requeued_ticket_is_next_in_line() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        s.apply(&issued(2, 2));
        s.apply(&called(3, 1, "1", false));
        s.apply(&event(
            4,
            Change::Requeued {
                number: 1,
                place: 0,
            },
        ));
        assert_eq!(s.waiting, vec![1, 2]);
        assert!(s.serving.is_empty());
    }

    #[test]
    fn opening_hours_are_both_times_in_order_or_none() {
        let h = |opens, closes, daily_limit| OpeningHours {
            opens,
            closes,
            daily_limit,
        };
        assert!(h(None, None, 0).is_valid());
        assert!(h(Some(540), Some(1080), 120).is_valid());
        assert!(!h(Some(540), None, 0).is_valid());
        assert!(!h(Some(1080), Some(540), 0).is_valid());
        assert!(!h(Some(540), Some(1441), 0).is_valid());
        assert!(!h(None, None, OpeningHours::MAX_LIMIT + 1).is_valid());
        assert_eq!(OpeningHours::parse_hhmm("09:30"), Some(570));
        assert_eq!(OpeningHours::parse_hhmm("24:00"), Some(1440));
        for bad in ["24:01", "9", "09:60", "-1:00", "ab:cd"] {
            assert_eq!(OpeningHours::parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(OpeningHours::hhmm(570), "09:30");
    }

    #[test]
    fn a_ticket_moved_back_goes_its_places_back_or_to_the_end() {
        let mut s = QueueSnapshot::empty(q());
        for n in 1..=5 {
            s.apply(&issued(n, n));
        }
        s.apply(&called(6, 1, "1", false));
        s.apply(&event(
            7,
            Change::Requeued {
                number: 1,
                place: 3,
            },
        ));
        assert_eq!(s.waiting, vec![2, 3, 4, 1, 5]);
        s.apply(&called(8, 2, "1", false));
        s.apply(&event(
            9,
            Change::Requeued {
                number: 2,
                place: 99,
            },
        ));
        assert_eq!(s.waiting, vec![3, 4, 1, 5, 2], "a short line: at its end");
        // an event of an older server (no place) is the front, as before
        let old: QueueEvent = serde_json::from_value(serde_json::json!({
            "queue": "default", "version": 10, "change": "requeued", "number": 5
        }))
        .unwrap();
        s.apply(&old);
        assert_eq!(s.waiting, vec![5, 3, 4, 1, 2]);
    }

    #[test]
    fn reset_empties_the_day_but_keeps_the_version() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        s.apply(&called(2, 1, "1", false));
        s.apply(&event(
            3,
            Change::Intake {
                intake: Intake::Paused,
            },
        ));
        s.apply(&event(4, Change::Reset));
        assert_eq!(s.version, 4);
        assert!(s.waiting.is_empty() && s.serving.is_empty() && s.recent_calls.is_empty());
        assert_eq!(s.last_number, 0);
        assert_eq!(s.intake, Intake::Paused, "a reset does not reopen intake");
    }

    #[test]
    fn old_and_repeated_events_change_nothing() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        let before = s.clone();
        assert_eq!(s.apply(&issued(1, 1)), Applied::Stale);
        assert_eq!(s, before);
    }

    #[test]
    fn a_gap_is_reported_and_not_papered_over() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1));
        assert_eq!(s.apply(&issued(3, 3)), Applied::Gap);
        assert_eq!(s.version, 1);
        assert_eq!(s.waiting, vec![1]);
    }

    #[test]
    fn events_of_other_queues_are_ignored() {
        let mut s = QueueSnapshot::empty(QueueId::parse("kaikei").unwrap());
        assert_eq!(s.apply(&issued(1, 1)), Applied::Stale);
        assert_eq!(s.version, 0);
    }

    #[test]
    fn waits_are_estimated_from_service_times_and_counters() {
        assert_eq!(estimated_wait_ms(5, None, 2), None, "no data, no guess");
        assert_eq!(estimated_wait_ms(0, Some(300_000), 2), Some(0));
        assert_eq!(estimated_wait_ms(4, Some(300_000), 2), Some(600_000));
        assert_eq!(estimated_wait_ms(5, Some(300_000), 2), Some(900_000));
        assert_eq!(
            estimated_wait_ms(3, Some(60_000), 0),
            Some(180_000),
            "zero counters count as one"
        );
        assert_eq!(minutes_ceil(61_000), 2);
        assert_eq!(minutes_ceil(0), 0);
    }

    #[test]
    fn names_and_labels() {
        let info = QueueInfo {
            id: QueueId::parse("kaikei").unwrap(),
            prefix: "B".into(),
            name_ja: "会計".into(),
            name_en: "Payment".into(),
            name_zh: None,
            name_ko: Some("계산".into()),
        };
        assert_eq!(info.label(7), "B-007");
        assert_eq!(info.name(crate::Lang::Ja), "会計");
        assert_eq!(info.name(crate::Lang::En), "Payment");
        assert_eq!(
            info.name(crate::Lang::Zh),
            "Payment",
            "English when not configured"
        );
        assert_eq!(info.name(crate::Lang::Ko), "계산");
        assert_eq!(QueueInfo::default_queue().name(crate::Lang::Zh), "取号");
    }

    #[test]
    fn intake_is_parsed_strictly() {
        for intake in Intake::ALL {
            assert_eq!(Intake::parse(intake.as_str()), Ok(intake));
            assert_eq!(serde_json::to_value(intake).unwrap(), intake.as_str());
        }
        assert!(Intake::parse("closed").is_err());
        assert!(Intake::parse("").is_err());
        assert!(serde_json::from_str::<Intake>("\"closed\"").is_err());
    }

    #[test]
    fn events_have_a_documented_wire_format() {
        // exactly what the store's Lua scripts publish
        let json = r#"{"queue":"default","version":8,"change":"called","number":43,"counter":"2","at":1700000000000,"recall":false}"#;
        let event: QueueEvent = serde_json::from_str(json).unwrap();
        assert_eq!(event.version, 8);
        assert!(matches!(
            event.change,
            Change::Called {
                number: 43,
                recall: false,
                ..
            }
        ));
        let finished = r#"{"queue":"default","version":9,"change":"finished","number":43,"outcome":"no_show","avg_service_ms":null}"#;
        assert!(serde_json::from_str::<QueueEvent>(finished).is_ok());

        let message = LiveMessage::Event {
            event: event.clone(),
        };
        let value = serde_json::to_value(&message).unwrap();
        assert_eq!(value["kind"], "event");
        assert_eq!(value["event"]["change"], "called");
        assert_eq!(
            serde_json::from_value::<LiveMessage>(value).unwrap(),
            message
        );

        let snapshot = LiveMessage::Snapshot {
            snapshot: QueueSnapshot::empty(q()),
        };
        let value = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(value["kind"], "snapshot");
        assert_eq!(value["snapshot"]["intake"], "open");
        assert_eq!(
            serde_json::from_value::<LiveMessage>(value).unwrap(),
            snapshot
        );
    }
}
