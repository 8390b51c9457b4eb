//! One ticket of a queue: its number, its secret token and its state.

use crate::lang::Lang;
use crate::queue::{Channel, CounterId, QueueId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The secret of a ticket: 128 random bits, written as 32 lowercase hex characters. Whoever has it
/// may see and cancel that one ticket (`/t/{token}`), and nothing else.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketToken(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a ticket token is 32 lowercase hex characters")]
pub struct BadToken;

impl TicketToken {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn parse(raw: &str) -> Result<Self, BadToken> {
        if raw.len() == 32
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err(BadToken)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A few bits of the token, for choices fixed per ticket (its fortune).
    pub fn seed(&self) -> u32 {
        u32::from_str_radix(&self.0[..8], 16).unwrap_or(0)
    }
}

impl TryFrom<String> for TicketToken {
    type Error = BadToken;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<TicketToken> for String {
    fn from(t: TicketToken) -> Self {
        t.0
    }
}

impl fmt::Display for TicketToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Never print a whole token in logs.
impl fmt::Debug for TicketToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketToken({}…)", &self.0[..4])
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
    Called,
    Done,
    Cancelled,
    NoShow,
}

impl TicketState {
    pub const ALL: [TicketState; 5] = [
        TicketState::Waiting,
        TicketState::Called,
        TicketState::Done,
        TicketState::Cancelled,
        TicketState::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Done => "done",
            TicketState::Cancelled => "cancelled",
            TicketState::NoShow => "no_show",
        }
    }

    /// Still in line or at a counter.
    pub fn is_active(self) -> bool {
        matches!(self, TicketState::Waiting | TicketState::Called)
    }
}

/// What staff (or the customer) can do to one ticket: the one spelling used by the console's
/// buttons, the server functions, the store and the Lua script (`act.lua`), through serde.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketAction {
    /// Call this ticket (out of order) to a counter.
    Call,
    /// Call it again to the counter it was called to.
    Recall,
    Done,
    NoShow,
    Cancel,
    /// Back to the front of the line.
    Requeue,
    /// 「後ろに回す」: a called ticket whose holder is not here yet goes back into the line a few
    /// places from the front (the queue's [`crate::queue::LateArrivals::move_back_places`])
    /// instead of becoming a no-show.
    MoveBack,
}

impl TicketAction {
    pub const ALL: [TicketAction; 7] = [
        TicketAction::Call,
        TicketAction::Recall,
        TicketAction::Done,
        TicketAction::NoShow,
        TicketAction::Cancel,
        TicketAction::Requeue,
        TicketAction::MoveBack,
    ];

    /// The serde name, as the Lua script receives it.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketAction::Call => "call",
            TicketAction::Recall => "recall",
            TicketAction::Done => "done",
            TicketAction::NoShow => "no_show",
            TicketAction::Cancel => "cancel",
            TicketAction::Requeue => "requeue",
            TicketAction::MoveBack => "move_back",
        }
    }

    /// The state a ticket in `state` is in after this action, or `None` when the action does not
    /// apply to it (and is refused, changing nothing). The rule the store's scripts follow.
    pub fn outcome(self, state: TicketState) -> Option<TicketState> {
        use TicketAction as A;
        use TicketState as S;
        match (self, state) {
            (A::Call, S::Waiting) => Some(S::Called),
            (A::Recall, S::Called) => Some(S::Called),
            (A::Done, S::Called) => Some(S::Done),
            (A::NoShow, S::Called) => Some(S::NoShow),
            (A::Cancel, S::Waiting | S::Called) => Some(S::Cancelled),
            (A::Requeue, S::Called | S::NoShow) => Some(S::Waiting),
            (A::MoveBack, S::Called) => Some(S::Waiting),
            _ => None,
        }
    }
}

/// Where a ticket's phone number stands: registered and sent a link, or verified by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneStatus {
    Pending,
    Verified,
}

/// The latest SMS or call about a ticket: which, and Twilio's latest status of it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactState {
    /// `sms` or `call`.
    pub kind: String,
    /// Twilio's status (`queued`, `ringing`, `no-answer`, `delivered`, ...), or `unsent` (kept in
    /// the dev outbox).
    pub status: String,
    /// When it moved to `status` (ms): a second SMS or call that stands where the first did
    /// (the dev outbox's `unsent`) is a change too, which the console's log follows.
    #[serde(default)]
    pub at: u64,
}

/// A ticket's SMS reminder (about 30 minutes before the turn), as its page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderState {
    /// When it is to be sent (ms), once planned.
    pub send_at: Option<u64>,
    /// Sent already.
    pub sent: bool,
}

/// What the customer pressed on the automatic call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallAnswer {
    /// 1: on my way.
    OnMyWay,
    /// 2: cancel my ticket.
    Cancel,
}

impl CallAnswer {
    /// The key pressed for it.
    pub fn from_digits(digits: &str) -> Option<Self> {
        match digits.trim() {
            "1" => Some(CallAnswer::OnMyWay),
            "2" => Some(CallAnswer::Cancel),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallAnswer::OnMyWay => "on_my_way",
            CallAnswer::Cancel => "cancel",
        }
    }
}

/// A ticket without its secret: what the staff console shows, and what every event about a
/// ticket carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub number: u64,
    pub channel: Channel,
    /// Milliseconds since the Unix epoch, as are all times here.
    pub issued_at: u64,
    pub state: TicketState,
    #[serde(default)]
    pub counter: Option<CounterId>,
    #[serde(default)]
    pub called_at: Option<u64>,
    #[serde(default)]
    pub finished_at: Option<u64>,
    #[serde(default)]
    pub recalls: u32,
    /// Goes up with every change of this ticket: a staff action names the revision it saw, and
    /// is refused when the ticket changed meanwhile.
    pub rev: u64,
    /// Whether the customer registered a phone, and verified it (never the number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_status: Option<PhoneStatus>,
    /// The latest SMS or call about this ticket and where it stands (from Twilio's callbacks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactState>,
    /// What the customer answered on the automatic call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<CallAnswer>,
    /// The ticket follows on LINE: a LINE user sent its code (never who).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub line: bool,
}

impl TicketSummary {
    /// Every field, by its name in the stored ticket: what the scripts copy of a ticket into the
    /// events they publish (declared in their header as `SUMMARY_FIELDS`).
    pub const FIELDS: [&'static str; 13] = [
        "number",
        "channel",
        "issued_at",
        "state",
        "counter",
        "called_at",
        "finished_at",
        "recalls",
        "rev",
        "phone_status",
        "contact",
        "answer",
        "line",
    ];
}

/// A ticket as stored: its number is unique within its queue and day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub queue: QueueId,
    pub token: TicketToken,
    /// The language the ticket was taken in, for what it says later (its page, messages).
    #[serde(default)]
    pub lang: Lang,
    /// The phone the customer registered (E.164), verified or not: see `summary.phone_status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<crate::phone::PhoneNumber>,
    /// While its phone waits for a call from it: the code the caller keys in (shown only on the
    /// ticket's page, to its holder; never in an event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_code: Option<String>,
    #[serde(flatten)]
    pub summary: TicketSummary,
}

impl Ticket {
    pub fn number(&self) -> u64 {
        self.summary.number
    }

    pub fn state(&self) -> TicketState {
        self.summary.state
    }
}

/// The printed and spoken form of a number: with a prefix `A-001`, without one `42`.
pub fn label(prefix: &str, number: u64) -> String {
    if prefix.is_empty() {
        number.to_string()
    } else {
        format!("{prefix}-{number:03}")
    }
}

/// What issuing a ticket answers: the new ticket and the queue right after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedTicket {
    pub queue: QueueId,
    pub number: u64,
    pub label: String,
    pub token: TicketToken,
    /// People waiting before this ticket.
    pub people_ahead: u64,
    /// The queue's version after the issue.
    pub version: u64,
    /// The expected wait; `None` until the queue has enough recent service times.
    pub estimated_wait_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bits_of_hex() {
        let t = TicketToken::from_bytes([0xab; 16]);
        assert_eq!(t.as_str().len(), 32);
        assert_eq!(TicketToken::parse(t.as_str()), Ok(t.clone()));
        assert_eq!(
            TicketToken::parse("ABABABABABABABABABABABABABABABAB"),
            Err(BadToken)
        );
        assert_eq!(TicketToken::parse("abc"), Err(BadToken));
        assert_eq!(
            TicketToken::parse(&format!("{}/", &t.as_str()[..31])),
            Err(BadToken)
        );
        assert!(
            !format!("{t:?}").contains(t.as_str()),
            "debug output hides the token"
        );
    }

    #[test]
    fn action_names_are_their_serde_names() {
        for action in TicketAction::ALL {
            let json = serde_json::to_value(action).unwrap();
            assert_eq!(json, action.as_str());
        }
        for state in TicketState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        assert!(serde_json::from_str::<TicketAction>("\"delete\"").is_err());
    }

    #[test]
    fn finished_tickets_only_come_back_by_requeue_after_a_no_show() {
        use TicketState as S;
        for action in TicketAction::ALL {
            assert_eq!(action.outcome(S::Done), None, "{action:?}");
            assert_eq!(action.outcome(S::Cancelled), None, "{action:?}");
        }
        assert_eq!(TicketAction::Requeue.outcome(S::NoShow), Some(S::Waiting));
        assert_eq!(TicketAction::Call.outcome(S::Called), None);
        // moving back is for someone called and not here yet: not for a no-show nor a waiting one
        assert_eq!(TicketAction::MoveBack.outcome(S::Called), Some(S::Waiting));
        assert_eq!(TicketAction::MoveBack.outcome(S::Waiting), None);
        assert_eq!(TicketAction::MoveBack.outcome(S::NoShow), None);
    }

    #[test]
    fn the_summary_fields_are_every_field_of_a_summary() {
        let summary = TicketSummary {
            number: 7,
            channel: crate::queue::Channel::Kiosk,
            issued_at: 1,
            state: TicketState::Called,
            counter: Some(crate::queue::CounterId::parse("1").unwrap()),
            called_at: Some(2),
            finished_at: Some(3),
            recalls: 1,
            rev: 4,
            phone_status: Some(PhoneStatus::Verified),
            contact: Some(ContactState {
                kind: "call".into(),
                status: "ringing".into(),
                at: 5,
            }),
            answer: Some(CallAnswer::OnMyWay),
            line: true,
        };
        let json = serde_json::to_value(&summary).unwrap();
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut fields = TicketSummary::FIELDS.to_vec();
        names.sort_unstable();
        fields.sort_unstable();
        assert_eq!(names, fields);
    }

    #[test]
    fn labels_pad_prefixed_numbers() {
        assert_eq!(label("", 42), "42");
        assert_eq!(label("A", 1), "A-001");
        assert_eq!(label("B", 1234), "B-1234");
    }
}
