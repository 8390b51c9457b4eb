//! Every script of the store (in `lua/`) with the names of its keys and arguments, and the one
//! reading of the queue scripts' replies: `ok` and what the script's reply type reads after it
//! (`replies.rs`), or a refusal (a [`Problem`]) that changed nothing.

use super::binder::{BoundScript, Name, QueueScript};
use super::queue::parse_intake;
use super::replies::{Items, Reply};
use super::{Moment, Store, StoreError};
use crate::problem::Problem;
use crate::queue::QueueId;
use crate::ticket::TicketState;
use redis::{ScriptInvocation, Value};

/// Every script: the queue scripts, each with the names of its own arguments, then the limits'
/// and the contact log's, each with the names of its keys and arguments.
pub(super) struct Scripts {
    pub(super) issue: QueueScript,
    pub(super) call_next: QueueScript,
    pub(super) act: QueueScript,
    pub(super) set_intake: QueueScript,
    pub(super) reset: QueueScript,
    pub(super) today: QueueScript,
    pub(super) register_phone: QueueScript,
    pub(super) verify_phone: QueueScript,
    pub(super) verify_call: QueueScript,
    pub(super) call_out: QueueScript,
    pub(super) contact: QueueScript,
    pub(super) machine_answered: QueueScript,
    pub(super) answer: QueueScript,
    pub(super) send_text: QueueScript,
    pub(super) set_autodial: QueueScript,
    pub(super) set_late: QueueScript,
    pub(super) set_hours: QueueScript,
    pub(super) reminder: QueueScript,
    pub(super) reminder_set: QueueScript,
    pub(super) reminder_take: QueueScript,
    pub(super) line_code: QueueScript,
    pub(super) line_link: QueueScript,
    pub(super) line_due: QueueScript,
    pub(super) line_follow: BoundScript,
    pub(super) line_event: BoundScript,
    pub(super) take: BoundScript,
    pub(super) give_back: BoundScript,
    pub(super) log: BoundScript,
    pub(super) raise_version: BoundScript,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            issue: QueueScript::new(
                &[
                    "CHANNEL",
                    "TOKEN",
                    "LANG",
                    "MAX_TICKETS",
                    "REMOTE_MAX",
                    "PHONE",
                    "LOCAL_MINUTE",
                    "COUNTERS",
                    "SERVICE",
                ],
                include_str!("lua/issue.lua"),
            ),
            call_next: QueueScript::new(&["COUNTER"], include_str!("lua/call_next.lua")),
            act: QueueScript::new(
                &["ACTION", "NUMBER", "SEEN_REV", "COUNTER"],
                include_str!("lua/act.lua"),
            ),
            set_intake: QueueScript::new(&["INTAKE_STATE"], include_str!("lua/set_intake.lua")),
            reset: QueueScript::new(&["MODE"], include_str!("lua/reset.lua")),
            today: QueueScript::new(&[], include_str!("lua/today.lua")),
            register_phone: QueueScript::new(
                &[
                    "NUMBER",
                    "TOKEN",
                    "PHONE",
                    "LINK",
                    "VERIFY_UNTIL",
                    "MAX_SMS",
                    "BODY",
                    "SEND_SMS",
                    "CALL_IN",
                    "CODES",
                    "MAX_NUMBERS",
                ],
                include_str!("lua/register_phone.lua"),
            ),
            verify_phone: QueueScript::new(&["LINK"], include_str!("lua/verify_phone.lua")),
            call_out: QueueScript::new(
                &["NUMBER", "TWIML", "TEXT"],
                include_str!("lua/call_out.lua"),
            ),
            verify_call: QueueScript::new(&["PHONE", "CODE"], include_str!("lua/verify_call.lua")),
            contact: QueueScript::new(
                &[
                    "NUMBER",
                    "KIND",
                    "SID",
                    "STATUS",
                    "PROGRESS",
                    "TEXT_INSTEAD",
                ],
                include_str!("lua/contact.lua"),
            ),
            machine_answered: QueueScript::new(
                &["NUMBER"],
                include_str!("lua/machine_answered.lua"),
            ),
            answer: QueueScript::new(
                &["ANSWER_DAY", "NUMBER", "ANSWER"],
                include_str!("lua/answer.lua"),
            ),
            set_autodial: QueueScript::new(&["PLACES"], include_str!("lua/set_autodial.lua")),
            set_hours: QueueScript::new(
                &["OPENS", "CLOSES", "LIMIT"],
                include_str!("lua/set_hours.lua"),
            ),
            set_late: QueueScript::new(
                &["PLACES", "NO_SHOW_AFTER"],
                include_str!("lua/set_late.lua"),
            ),
            reminder: QueueScript::new(
                &["NUMBER", "TOKEN", "WANT"],
                include_str!("lua/reminder.lua"),
            ),
            reminder_set: QueueScript::new(
                &["NUMBER", "SID", "SEND_AT", "SENT"],
                include_str!("lua/reminder_set.lua"),
            ),
            reminder_take: QueueScript::new(&["NUMBER"], include_str!("lua/reminder_take.lua")),
            send_text: QueueScript::new(
                &["NUMBER", "BODY", "PURPOSE", "SPEND"],
                include_str!("lua/send_text.lua"),
            ),
            line_code: QueueScript::new(&["NUMBER", "CODE"], include_str!("lua/line_code.lua")),
            line_link: QueueScript::new(&["CODE", "USER"], include_str!("lua/line_link.lua")),
            line_due: QueueScript::new(&["NUMBER"], include_str!("lua/line_due.lua")),
            line_follow: BoundScript::new(
                &[Name::One("FOLLOWS")],
                &[
                    Name::Number("MAX"),
                    Name::One("PLACE"),
                    Name::Number("KEEP_S"),
                    Name::List("RELEASE"),
                ],
                &[include_str!("lua/line_follow.lua")],
            ),
            line_event: BoundScript::new(
                &[Name::One("SEEN"), Name::One("INBOX")],
                &[Name::One("ID"), Name::One("EVENT"), Name::Number("KEEP_S")],
                &[include_str!("lua/line_event.lua")],
            ),
            take: BoundScript::new(
                &[Name::List("SOURCES"), Name::List("HOLDER")],
                &[
                    Name::Number("WINDOW"),
                    Name::Number("MAX_CLIENT"),
                    Name::Number("MAX_ACTIVE"),
                    Name::One("RESERVATION"),
                    Name::List("SOURCE_MAX"),
                    Name::List("RELEASE"),
                ],
                &[include_str!("lua/take.lua")],
            ),
            give_back: BoundScript::new(
                &[Name::List("SOURCES"), Name::List("HOLDER")],
                &[Name::One("RESERVATION")],
                &[include_str!("lua/give_back.lua")],
            ),
            log: BoundScript::new(
                &[Name::One("ENTRIES"), Name::One("ORDER"), Name::One("EARLY")],
                &[
                    Name::One("MODE"),
                    Name::One("SID"),
                    Name::Number("AT"),
                    Name::Number("KEEP_MS"),
                    Name::One("ENTRY"),
                    Name::One("STATUS"),
                    Name::Number("PROGRESS"),
                    Name::One("ERROR"),
                    Name::One("ANSWERED_BY"),
                ],
                &[include_str!("lua/log.lua")],
            ),
            raise_version: BoundScript::new(
                &[Name::One("VERSION")],
                &[Name::Number("AT_LEAST")],
                &[include_str!("lua/raise_version.lua")],
            ),
        }
    }
}

impl Store {
    /// The invocation of a queue script, with what every one of them gets.
    pub(super) fn invoke<'a>(
        &self,
        script: &'a QueueScript,
        queue: &QueueId,
        at: Moment,
        args: &[(&'static str, &str)],
    ) -> ScriptInvocation<'a> {
        script.invoke(queue, at, self.settings.autodial_places.of(queue), args)
    }

    /// Runs a queue script: its reply as `R`, or its refusal.
    pub(super) async fn run<R: Reply>(
        &self,
        invocation: ScriptInvocation<'_>,
    ) -> Result<R, StoreError> {
        let mut conn = self.conn.clone();
        let started = std::time::Instant::now();
        let reply: Result<Vec<Value>, _> = invocation.invoke_async(&mut conn).await;
        self.metrics.redis_script(started.elapsed(), reply.is_err());
        let reply = reply?;
        let status = reply
            .first()
            .map(as_string)
            .transpose()?
            .unwrap_or_default();
        let detail = || reply.get(1).map(as_string).transpose();
        match status.as_str() {
            "ok" => {
                let mut items = Items::new(reply);
                let _status: String = items.next("status")?;
                R::decode(&mut items)
            }
            "empty" => Err(StoreError::Refused(Problem::NobodyWaiting)),
            "expired" => Err(StoreError::Refused(Problem::LinkExpired)),
            "no_phone" => Err(StoreError::Refused(Problem::NoPhone)),
            "limit" => {
                let max = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Problem::SmsPerTicket { max }))
            }
            "phones_limit" => Err(StoreError::Refused(Problem::PhoneLimited)),
            "not_found" => Err(StoreError::Refused(Problem::TicketNotFound)),
            "closed" => {
                let why = match detail()?.as_deref() {
                    Some("before") => Problem::NotOpenYet,
                    Some("remote") => Problem::RemoteClosedToday,
                    _ => Problem::ClosedToday,
                };
                Err(StoreError::Refused(why))
            }
            "corrupt" => Err(StoreError::Corrupt(detail()?.unwrap_or_default())),
            "full" => {
                let cap = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Problem::DayFull { max: cap }))
            }
            "remote_full" => {
                let cap = detail()?.and_then(|d| d.parse().ok()).unwrap_or_default();
                Err(StoreError::Refused(Problem::RemoteFull { max: cap }))
            }
            "paused" => {
                let intake = parse_intake(detail()?.as_deref())?;
                Err(StoreError::Refused(Problem::IntakePaused { intake }))
            }
            "conflict" => {
                let state = detail()?.unwrap_or_default();
                let state: TicketState = serde_json::from_value(serde_json::Value::String(state))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Err(StoreError::Refused(Problem::TicketChanged { state }))
            }
            other => Err(StoreError::Corrupt(format!("script answered {other:?}"))),
        }
    }
}

pub(crate) fn as_string(v: &Value) -> Result<String, StoreError> {
    redis::from_redis_value_ref(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    impl Scripts {
        /// Every script, by its file's name; every queue script with its own arguments.
        fn every(&self) -> Vec<(&'static str, &BoundScript, Option<Vec<&'static str>>)> {
            fn queue<'a>(
                name: &'static str,
                s: &'a QueueScript,
            ) -> (&'static str, &'a BoundScript, Option<Vec<&'static str>>) {
                (name, s.bound(), Some(s.own_args()))
            }
            fn bound<'a>(
                name: &'static str,
                s: &'a BoundScript,
            ) -> (&'static str, &'a BoundScript, Option<Vec<&'static str>>) {
                (name, s, None)
            }
            let s = self;
            vec![
                queue("issue", &s.issue),
                queue("call_next", &s.call_next),
                queue("act", &s.act),
                queue("set_intake", &s.set_intake),
                queue("reset", &s.reset),
                queue("today", &s.today),
                queue("register_phone", &s.register_phone),
                queue("verify_phone", &s.verify_phone),
                queue("verify_call", &s.verify_call),
                queue("call_out", &s.call_out),
                queue("contact", &s.contact),
                queue("machine_answered", &s.machine_answered),
                queue("answer", &s.answer),
                queue("send_text", &s.send_text),
                queue("set_autodial", &s.set_autodial),
                queue("set_late", &s.set_late),
                queue("set_hours", &s.set_hours),
                queue("reminder", &s.reminder),
                queue("reminder_set", &s.reminder_set),
                queue("reminder_take", &s.reminder_take),
                queue("line_code", &s.line_code),
                queue("line_link", &s.line_link),
                queue("line_due", &s.line_due),
                bound("line_follow", &s.line_follow),
                bound("line_event", &s.line_event),
                bound("take", &s.take),
                bound("give_back", &s.give_back),
                bound("log", &s.log),
                bound("raise_version", &s.raise_version),
            ]
        }
    }

    /// The code of a Lua source: comments and string literals blanked.
    fn code_of(source: &str) -> String {
        let mut code = String::with_capacity(source.len());
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '-' if chars.peek() == Some(&'-') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            code.push('\n');
                            break;
                        }
                    }
                }
                '\'' | '"' => {
                    let mut escaped = false;
                    for s in chars.by_ref() {
                        if !escaped && s == c {
                            break;
                        }
                        escaped = !escaped && s == '\\';
                    }
                    code.push_str("''");
                }
                c => code.push(c),
            }
        }
        code
    }

    /// The words of `code` (identifiers, numbers).
    fn words(code: &str) -> impl Iterator<Item = &str> {
        code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
    }

    /// The identifiers of `code` written in capitals (`NUMBER`, `MAX_SMS`: what the header binds),
    /// not a table's field (`t.X`).
    fn capitals(code: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            if word(bytes[i]) && (i == 0 || !word(bytes[i - 1])) {
                let start = i;
                while i < bytes.len() && word(bytes[i]) {
                    i += 1;
                }
                let name = &code[start..i];
                let field = start > 0 && bytes[start - 1] == b'.';
                let capital = name.len() > 1
                    && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if capital && !field {
                    found.insert(name.to_owned());
                }
            } else {
                i += 1;
            }
        }
        found
    }

    /// The names `local` declares in `code` (`local A, B = …`, `local function f`).
    fn locals(code: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for (at, _) in code.match_indices("local ") {
            let rest = &code[at + "local ".len()..];
            let rest = rest.strip_prefix("function ").unwrap_or(rest);
            let end = rest.find(['=', '\n', '(']).unwrap_or(rest.len());
            for name in rest[..end].split(',') {
                found.insert(name.trim().to_owned());
            }
        }
        found
    }

    #[test]
    fn every_script_is_listed_once() {
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/lua"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|f| f.strip_suffix(".lua").map(str::to_owned))
            .filter(|f| f != "prelude")
            .collect::<BTreeSet<_>>();
        let scripts = Scripts::new();
        let listed: BTreeSet<String> = scripts
            .every()
            .iter()
            .map(|(n, ..)| n.to_string())
            .collect();
        assert_eq!(listed, files);
    }

    /// A name the Lua reads that Rust does not bind would be `nil`, silently; one Rust binds that
    /// the Lua never reads is an argument lost. Either fails here, whichever script it is in.
    #[test]
    fn every_capital_a_script_reads_is_bound_and_every_argument_it_is_given_is_read() {
        let scripts = Scripts::new();
        let mut wrong = Vec::new();
        for (name, script, own) in scripts.every() {
            let code = code_of(script.source());
            let declared: BTreeSet<String> = locals(&code)
                .into_iter()
                .chain(script.names().iter().map(|n| n.to_string()))
                .chain(["KEYS", "ARGV"].map(String::from))
                .collect();
            for unbound in capitals(&code).difference(&declared) {
                wrong.push(format!("{name}.lua reads {unbound}, which nothing binds"));
            }
            // its own arguments: each read after the header binds it
            for arg in own.unwrap_or_default() {
                if words(&code).filter(|w| *w == arg).count() < 2 {
                    wrong.push(format!("{name}.lua is given {arg} and never reads it"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn the_check_sees_an_unbound_name_and_a_lost_argument() {
        let code = code_of(
            "local NUM, MAX = ARGV[1], ARGV[2]\n-- CODE in a comment\nlocal x = 'TEXT' .. NUM .. t.FIELD .. LOST",
        );
        let unbound: Vec<_> = capitals(&code)
            .difference(&locals(&code))
            .cloned()
            .collect();
        assert_eq!(unbound, ["ARGV", "LOST"]);
        assert_eq!(words(&code).filter(|w| *w == "NUM").count(), 2);
        assert_eq!(
            words(&code).filter(|w| *w == "MAX").count(),
            1,
            "bound, never read"
        );
        assert_eq!(
            words("local MAX_NUMBERS = NUMBER")
                .filter(|w| *w == "NUMBER")
                .count(),
            1
        );
    }

    /// The fields the scripts keep on a ticket for themselves (Rust never reads them).
    const SCRIPT_FIELDS: &[(&str, &str)] = &[
        (
            "verify_link",
            "the pending verification link (dropped when another number comes)",
        ),
        (
            "verify_sms",
            "verification SMS sent for the ticket (its limit)",
        ),
        ("numbers", "different numbers registered (its limit)"),
        (
            "call_entry",
            "the call-in code's entry in the day's `verify` hash",
        ),
        (
            "contact_sid",
            "the SMS or call whose status `contact` shows",
        ),
        (
            "contact_progress",
            "how far that one got (a late status never goes back)",
        ),
    ];

    /// The ticket record is written by the scripts (`cjson.encode` of a Lua table) and read by
    /// serde: every field a script names on a ticket (`t.<field>`, or in `issue.lua`'s table) is
    /// a field of [`Ticket`] or one of [`SCRIPT_FIELDS`], and every field of `Ticket` is one a
    /// script writes. A field renamed on one side only fails here.
    #[test]
    fn the_ticket_record_has_one_set_of_fields() {
        use crate::phone::PhoneNumber;
        use crate::queue::{Channel, CounterId};
        use crate::ticket::{
            CallAnswer, ContactState, PhoneStatus, Ticket, TicketState, TicketSummary, TicketToken,
        };
        let every = Ticket {
            queue: QueueId::parse("default").unwrap(),
            token: TicketToken::from_bytes([7; 16]),
            lang: crate::Lang::En,
            phone: Some(PhoneNumber::parse("090-1234-5678").unwrap()),
            call_code: Some("1234".to_owned()),
            summary: TicketSummary {
                number: 1,
                channel: Channel::Kiosk,
                issued_at: 1,
                state: TicketState::Called,
                counter: Some(CounterId::parse("1").unwrap()),
                called_at: Some(2),
                finished_at: Some(3),
                recalls: 1,
                rev: 4,
                phone_status: Some(PhoneStatus::Verified),
                contact: Some(ContactState {
                    kind: "call".to_owned(),
                    status: "ringing".to_owned(),
                    at: 5,
                }),
                answer: Some(CallAnswer::OnMyWay),
                line: true,
            },
        };
        let rust: BTreeSet<String> = match serde_json::to_value(&every).unwrap() {
            serde_json::Value::Object(fields) => fields.keys().cloned().collect(),
            other => panic!("a ticket is an object: {other}"),
        };

        let lua: String = Scripts::new()
            .every()
            .iter()
            .map(|(_, script, _)| code_of(script.source()))
            .collect();
        let mut named: BTreeSet<String> = BTreeSet::new();
        for (at, _) in lua.match_indices("t.") {
            let before = lua[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let field: String = lua[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !field.is_empty() {
                named.insert(field);
            }
        }
        let issue = code_of(include_str!("lua/issue.lua"));
        let table = issue
            .split("local t = {")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .expect("issue.lua builds the ticket as `local t = {...}`");
        for pair in table.split(',') {
            if let Some((field, _)) = pair.split_once('=') {
                named.insert(field.trim().to_owned());
            }
        }

        let script_only: BTreeSet<String> =
            SCRIPT_FIELDS.iter().map(|(f, _)| (*f).to_owned()).collect();
        assert!(
            rust.is_disjoint(&script_only),
            "a field is Rust's or the scripts' own, not both: {:?}",
            rust.intersection(&script_only).collect::<Vec<_>>()
        );
        let declared: BTreeSet<String> = rust.union(&script_only).cloned().collect();
        assert_eq!(
            named.difference(&declared).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "fields the scripts write that neither Ticket nor SCRIPT_FIELDS declares"
        );
        assert_eq!(
            declared.difference(&named).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "declared fields no script writes"
        );
    }
}
