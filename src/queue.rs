//! Queues, ticket numbers, the queue's snapshot and the events that change it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The id of one queue (a service such as 診察 or 会計): 1–32 characters of `a-z`, `0-9`, `-`, `_`.
///
/// It becomes part of Redis keys (`wr:{<id>}:...`) and URLs, so nothing else gets in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QueueId(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueIdError {
    #[error("a queue id must not be empty")]
    Empty,
    #[error("a queue id has at most {max} characters", max = QueueId::MAX_LEN)]
    TooLong,
    #[error("a queue id may only hold a-z, 0-9, '-' and '_' (found {0:?})")]
    BadCharacter(char),
}

impl QueueId {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, QueueIdError> {
        if raw.is_empty() {
            return Err(QueueIdError::Empty);
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(QueueIdError::TooLong);
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(QueueIdError::BadCharacter(bad));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The queue every installation has when nothing else is configured.
    pub fn default_queue() -> Self {
        Self("default".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for QueueId {
    type Error = QueueIdError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<QueueId> for String {
    fn from(id: QueueId) -> Self {
        id.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a ticket was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The touch panel in the store.
    Kiosk,
    /// A customer's phone, from outside the store.
    Remote,
    /// An integration through the JSON API.
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Kiosk => "kiosk",
            Channel::Remote => "remote",
            Channel::Api => "api",
        }
    }
}

/// What a screen needs to draw a queue, read atomically together with the version it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    pub queue: QueueId,
    /// Goes up by exactly one with every change of the queue.
    pub version: u64,
    /// People waiting (tickets issued and not yet called).
    pub waiting: u64,
    /// The last number issued today, 0 before the first.
    pub last_number: u64,
}

/// One change of a queue, as published to every server process and every open screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QueueEvent {
    /// A ticket was issued; `waiting` is the count after it.
    Issued {
        queue: QueueId,
        version: u64,
        number: u64,
        waiting: u64,
    },
}

impl QueueEvent {
    pub fn queue(&self) -> &QueueId {
        match self {
            QueueEvent::Issued { queue, .. } => queue,
        }
    }

    pub fn version(&self) -> u64 {
        match self {
            QueueEvent::Issued { version, .. } => *version,
        }
    }
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
            waiting: 0,
            last_number: 0,
        }
    }

    /// Applies `event` if it is the very next change; never guesses across a gap.
    pub fn apply(&mut self, event: &QueueEvent) -> Applied {
        if event.queue() != &self.queue || event.version() <= self.version {
            return Applied::Stale;
        }
        if event.version() != self.version + 1 {
            return Applied::Gap;
        }
        match event {
            QueueEvent::Issued {
                version,
                number,
                waiting,
                ..
            } => {
                self.version = *version;
                self.waiting = *waiting;
                self.last_number = *number;
            }
        }
        Applied::Updated
    }
}

/// A message on the live channel (`/api/v1/queues/{queue}/live`): the snapshot first, then events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    Snapshot(QueueSnapshot),
    #[serde(untagged)]
    Event(QueueEvent),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> QueueId {
        QueueId::default_queue()
    }

    fn issued(version: u64, number: u64, waiting: u64) -> QueueEvent {
        QueueEvent::Issued {
            queue: q(),
            version,
            number,
            waiting,
        }
    }

    #[test]
    fn queue_ids_accept_the_safe_alphabet_only() {
        assert_eq!(QueueId::parse("shinsatsu-2").unwrap().as_str(), "shinsatsu-2");
        assert_eq!(QueueId::parse(""), Err(QueueIdError::Empty));
        assert_eq!(QueueId::parse("a}b"), Err(QueueIdError::BadCharacter('}')));
        assert_eq!(QueueId::parse("Kaikei"), Err(QueueIdError::BadCharacter('K')));
        assert_eq!(QueueId::parse("診察"), Err(QueueIdError::BadCharacter('診')));
        assert_eq!(QueueId::parse(&"a".repeat(33)), Err(QueueIdError::TooLong));
        assert!(QueueId::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn queue_ids_are_checked_when_deserialized() {
        assert!(serde_json::from_str::<QueueId>("\"ok_1\"").is_ok());
        assert!(serde_json::from_str::<QueueId>("\"{default}\"").is_err());
    }

    #[test]
    fn the_next_event_updates_the_snapshot() {
        let mut s = QueueSnapshot::empty(q());
        assert_eq!(s.apply(&issued(1, 1, 1)), Applied::Updated);
        assert_eq!(s.apply(&issued(2, 2, 2)), Applied::Updated);
        assert_eq!((s.version, s.waiting, s.last_number), (2, 2, 2));
    }

    #[test]
    fn old_and_repeated_events_change_nothing() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1, 1));
        let before = s.clone();
        assert_eq!(s.apply(&issued(1, 1, 1)), Applied::Stale);
        assert_eq!(s, before);
    }

    #[test]
    fn a_gap_is_reported_and_not_papered_over() {
        let mut s = QueueSnapshot::empty(q());
        s.apply(&issued(1, 1, 1));
        assert_eq!(s.apply(&issued(3, 3, 3)), Applied::Gap);
        assert_eq!(s.version, 1);
    }

    #[test]
    fn events_of_other_queues_are_ignored() {
        let mut s = QueueSnapshot::empty(QueueId::parse("kaikei").unwrap());
        assert_eq!(s.apply(&issued(1, 1, 1)), Applied::Stale);
        assert_eq!(s.version, 0);
    }

    #[test]
    fn live_messages_have_a_documented_wire_format() {
        let event = LiveMessage::Event(issued(7, 42, 3));
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"type": "issued", "queue": "default", "version": 7, "number": 42, "waiting": 3})
        );
        let snap = LiveMessage::Snapshot(QueueSnapshot {
            queue: q(),
            version: 7,
            waiting: 3,
            last_number: 42,
        });
        let json = serde_json::to_string(&snap).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            serde_json::json!({"type": "snapshot", "queue": "default", "version": 7, "waiting": 3, "last_number": 42})
        );
        assert_eq!(serde_json::from_str::<LiveMessage>(&json).unwrap(), snap);
        let back: LiveMessage = serde_json::from_value(serde_json::to_value(&event).unwrap()).unwrap();
        assert_eq!(back, event);
    }
}
