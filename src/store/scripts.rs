//! Every script of the store (in `lua/`) with the names of its keys and arguments, and the one
//! reading of the queue scripts' replies: `ok` and what the script's reply type reads after it
//! (`replies.rs`), or a refusal (a [`Problem`]) that changed nothing.

use super::binder::{BoundScript, Name, QueueScript};
use super::line::{LineCode, LineLinked};
use super::queue::parse_intake;
use super::replies::{CallNextReply, IssueReply, Items, Reply, Reset, Today, Verified, Version};
use super::{Moment, Store, StoreError};
use crate::problem::Problem;
use crate::queue::QueueId;
use crate::ticket::TicketState;
use redis::{ScriptInvocation, Value};

/// One call of a queue script: its own arguments, each declared once with the name the script
/// binds it to (a missing or extra one does not compile), the script, and its reply's type (a
/// caller reading another does not compile).
pub(super) trait QueueCall {
    /// The names its script binds its own arguments to, in order.
    const ARGS: &'static [&'static str];
    /// What its script's `ok` reply reads as.
    type Reply: Reply;
    /// Its script.
    fn script(scripts: &Scripts) -> &QueueScript;
    /// Its arguments, each with its name, in the order of [`Self::ARGS`].
    fn args(self) -> Vec<(&'static str, String)>;
}

/// Declares each queue script once: the type of its call (its own arguments as fields, each with
/// the name `lua/<script>.lua` binds), the script, and its reply's type.
macro_rules! queue_scripts {
    ($($(#[$doc:meta])* $call:ident = $script:ident -> $reply:ty { $($field:ident: $lua:literal),* $(,)? })*) => {
        /// Every queue script, built from the file of its name with its call's arguments.
        pub(super) struct QueueScripts {
            $(pub(super) $script: QueueScript,)*
        }

        impl QueueScripts {
            fn new() -> Self {
                Self {
                    $($script: QueueScript::new(
                        $call::ARGS,
                        include_str!(concat!("lua/", stringify!($script), ".lua")),
                    ),)*
                }
            }
        }

        $(
            $(#[$doc])*
            pub(super) struct $call {
                $(pub $field: String,)*
            }

            impl QueueCall for $call {
                const ARGS: &'static [&'static str] = &[$($lua),*];
                type Reply = $reply;

                fn script(scripts: &Scripts) -> &QueueScript {
                    &scripts.queue.$script
                }

                fn args(self) -> Vec<(&'static str, String)> {
                    vec![$(($lua, self.$field)),*]
                }
            }
        )*
    };
}

queue_scripts! {
    /// Issues the next ticket (`issue.lua`).
    IssueArgs = issue -> IssueReply {
        channel: "CHANNEL",
        token: "TOKEN",
        lang: "LANG",
        max_tickets: "MAX_TICKETS",
        remote_max: "REMOTE_MAX",
        phone: "PHONE",
        local_minute: "LOCAL_MINUTE",
        counters: "COUNTERS",
        service: "SERVICE",
    }
    /// Calls the first in line to a counter.
    CallNextArgs = call_next -> CallNextReply {
        counter: "COUNTER",
    }
    /// A staff action on a ticket, unless it changed since the revision seen.
    ActArgs = act -> Version {
        action: "ACTION",
        number: "NUMBER",
        seen_rev: "SEEN_REV",
        counter: "COUNTER",
    }
    /// Opens, pauses or closes intake.
    SetIntakeArgs = set_intake -> Version {
        intake_state: "INTAKE_STATE",
    }
    /// Starts a new business day (`force`: now).
    ResetArgs = reset -> Reset {
        mode: "MODE",
    }
    /// The queue's current business day (turned if its date came).
    TodayArgs = today -> Today {}
    /// Registers a ticket's phone and makes its verification due.
    RegisterPhoneArgs = register_phone -> () {
        number: "NUMBER",
        token: "TOKEN",
        phone: "PHONE",
        link: "LINK",
        verify_until: "VERIFY_UNTIL",
        max_sms: "MAX_SMS",
        body: "BODY",
        send_sms: "SEND_SMS",
        call_in: "CALL_IN",
        codes: "CODES",
        max_numbers: "MAX_NUMBERS",
    }
    /// Verifies a phone by its texted link.
    VerifyPhoneArgs = verify_phone -> Verified {
        link: "LINK",
    }
    /// Puts a staff call of a ticket's phone in the outbox.
    CallOutArgs = call_out -> () {
        number: "NUMBER",
        twiml: "TWIML",
        text: "TEXT",
    }
    /// Verifies a phone by the code keyed in on a call to the store.
    VerifyCallArgs = verify_call -> Verified {
        phone: "PHONE",
        code: "CODE",
    }
    /// Notes where a text or call of a ticket got to.
    ContactArgs = contact -> () {
        number: "NUMBER",
        kind: "KIND",
        sid: "SID",
        status: "STATUS",
        progress: "PROGRESS",
        text_instead: "TEXT_INSTEAD",
    }
    /// Notes that an answering machine took a ticket's automatic call.
    MachineAnsweredArgs = machine_answered -> () {
        number: "NUMBER",
    }
    /// Keeps what a customer pressed in a call.
    AnswerArgs = answer -> () {
        answer_day: "ANSWER_DAY",
        number: "NUMBER",
        answer: "ANSWER",
    }
    /// Sets how many places ahead the automatic call goes.
    SetAutodialArgs = set_autodial -> () {
        places: "PLACES",
    }
    /// Sets the opening hours and the daily limit.
    SetHoursArgs = set_hours -> () {
        opens: "OPENS",
        closes: "CLOSES",
        limit: "LIMIT",
    }
    /// Sets how far a late arrival moves back and when a call becomes a no-show.
    SetLateArgs = set_late -> () {
        places: "PLACES",
        no_show_after: "NO_SHOW_AFTER",
    }
    /// Asks for, or cancels, a reminder.
    ReminderArgs = reminder -> () {
        number: "NUMBER",
        token: "TOKEN",
        want: "WANT",
    }
    /// Notes a reminder scheduled (or sent).
    ReminderSetArgs = reminder_set -> () {
        number: "NUMBER",
        sid: "SID",
        send_at: "SEND_AT",
        sent: "SENT",
    }
    /// Takes a due reminder to schedule it.
    ReminderTakeArgs = reminder_take -> () {
        number: "NUMBER",
        at_once: "AT_ONCE",
    }
    /// Puts a text to a ticket's phone in the outbox, within its limit.
    SendTextArgs = send_text -> () {
        number: "NUMBER",
        body: "BODY",
        purpose: "PURPOSE",
        spend: "SPEND",
    }
    /// A ticket's one-time LINE code (made if it has none).
    LineCodeArgs = line_code -> LineCode {
        number: "NUMBER",
        code: "CODE",
    }
    /// Links a LINE user to the ticket of a code.
    LineLinkArgs = line_link -> LineLinked {
        code: "CODE",
        user: "USER",
    }
    /// Marks a ticket's LINE reminder as due.
    LineDueArgs = line_due -> () {
        number: "NUMBER",
    }
}

/// A queue script's invocation, whose reply reads as `R`: its call's reply type.
pub(super) struct Prepared<'a, R> {
    pub(super) invocation: ScriptInvocation<'a>,
    reply: std::marker::PhantomData<R>,
}

/// The type of a value given for a [`Name`] of a bound script: text, a number, or a list.
macro_rules! given_type {
    (One) => { String };
    (Number) => { u64 };
    (List) => { Vec<String> };
}

/// Gives `$value` to `$call` for the key or argument named `$name`.
macro_rules! give {
    ($call:ident, key, One, $name:literal, $value:expr) => {
        $call.key($name, $value)
    };
    ($call:ident, key, List, $name:literal, $value:expr) => {
        $call.keys($name, $value)
    };
    ($call:ident, arg, One, $name:literal, $value:expr) => {
        $call.arg($name, $value)
    };
    ($call:ident, arg, Number, $name:literal, $value:expr) => {
        $call.arg($name, $value)
    };
    ($call:ident, arg, List, $name:literal, $value:expr) => {
        $call.args($name, $value)
    };
}

/// Declares each script that is not a queue script once: the type of its call (its keys and
/// arguments as fields, each with the name `lua/<script>.lua` binds and what it is), and the
/// script, built from the same declaration.
macro_rules! bound_scripts {
    ($($(#[$doc:meta])* $call:ident = $script:ident {
        keys { $($key:ident: $key_kind:ident($key_name:literal)),* $(,)? }
        args { $($arg:ident: $arg_kind:ident($arg_name:literal)),* $(,)? }
    })*) => {
        /// Every script that is not a queue script, built from the file of its name.
        pub(super) struct BoundScripts {
            $(pub(super) $script: BoundScript,)*
        }

        impl BoundScripts {
            fn new() -> Self {
                Self {
                    $($script: BoundScript::new(
                        &[$(Name::$key_kind($key_name)),*],
                        &[$(Name::$arg_kind($arg_name)),*],
                        &[include_str!(concat!("lua/", stringify!($script), ".lua"))],
                    ),)*
                }
            }
        }

        $(
            $(#[$doc])*
            pub(super) struct $call {
                $(pub $key: given_type!($key_kind),)*
                $(pub $arg: given_type!($arg_kind),)*
            }

            impl $call {
                /// The invocation of its script with these keys and arguments.
                pub(super) fn invocation(self, scripts: &Scripts) -> ScriptInvocation<'_> {
                    let mut call = scripts.bound.$script.call();
                    $(give!(call, key, $key_kind, $key_name, self.$key);)*
                    $(give!(call, arg, $arg_kind, $arg_name, self.$arg);)*
                    call.invocation()
                }
            }
        )*
    };
}

bound_scripts! {
    /// Follows a place on LINE, within the user's limit (releasing places that are over).
    LineFollowArgs = line_follow {
        keys { follows: One("FOLLOWS") }
        args { max: Number("MAX"), place: One("PLACE"), keep_s: Number("KEEP_S"), release: List("RELEASE") }
    }
    /// Records a LINE event once, in the inbox.
    LineEventArgs = line_event {
        keys { seen: One("SEEN"), inbox: One("INBOX") }
        args { id: One("ID"), event: One("EVENT"), keep_s: Number("KEEP_S") }
    }
    /// Takes a place under every limit of its sources at once.
    TakeArgs = take {
        keys { sources: List("SOURCES"), holder: List("HOLDER") }
        args {
            window: Number("WINDOW"),
            max_client: Number("MAX_CLIENT"),
            max_active: Number("MAX_ACTIVE"),
            reservation: One("RESERVATION"),
            source_max: List("SOURCE_MAX"),
            release: List("RELEASE"),
        }
    }
    /// Gives a place taken back.
    GiveBackArgs = give_back {
        keys { sources: List("SOURCES"), holder: List("HOLDER") }
        args { reservation: One("RESERVATION") }
    }
    /// Adds an entry to the contact log, or moves one on to a status.
    LogArgs = log {
        keys { entries: One("ENTRIES"), order: One("ORDER"), early: One("EARLY") }
        args {
            mode: One("MODE"),
            sid: One("SID"),
            at: Number("AT"),
            keep_ms: Number("KEEP_MS"),
            entry: One("ENTRY"),
            status: One("STATUS"),
            progress: Number("PROGRESS"),
            error: One("ERROR"),
            answered_by: One("ANSWERED_BY"),
        }
    }
    /// Adds an account unless its login is taken.
    AccountAddArgs = account_add {
        keys { all: One("ALL"), logins: One("LOGINS") }
        args { id: One("ID"), login: One("LOGIN"), record: One("RECORD") }
    }
    /// Writes an account unless it changed since it was read.
    AccountPutArgs = account_put {
        keys { all: One("ALL") }
        args { id: One("ID"), read_rev: Number("READ_REV"), record: One("RECORD") }
    }
    /// Appends an entry to the audit trail, unless another came first.
    AuditAppendArgs = audit_append {
        keys { log: One("LOG"), head: One("HEAD") }
        args { prev: One("PREV"), next: One("NEXT"), entry: One("ENTRY") }
    }
    /// Raises a queue's version to at least a value (a restore).
    RaiseVersionArgs = raise_version {
        keys { version: One("VERSION") }
        args { at_least: Number("AT_LEAST") }
    }
}

/// Every script: the queue scripts and the others, each declared once above.
pub(super) struct Scripts {
    pub(super) queue: QueueScripts,
    pub(super) bound: BoundScripts,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            queue: QueueScripts::new(),
            bound: BoundScripts::new(),
        }
    }
}

impl Store {
    /// The invocation of a queue script's `call`, with what every queue script gets.
    pub(super) fn invoke<C: QueueCall>(
        &self,
        queue: &QueueId,
        at: Moment,
        call: C,
    ) -> Prepared<'_, C::Reply> {
        let autodial = self.settings.autodial_places.of(queue);
        Prepared {
            invocation: C::script(&self.scripts).invoke(queue, at, autodial, &call.args()),
            reply: std::marker::PhantomData,
        }
    }

    /// Runs a queue script: its reply (as its call's type), or its refusal.
    pub(super) async fn run<R: Reply>(&self, prepared: Prepared<'_, R>) -> Result<R, StoreError> {
        let invocation = prepared.invocation;
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
                queue("issue", &s.queue.issue),
                queue("call_next", &s.queue.call_next),
                queue("act", &s.queue.act),
                queue("set_intake", &s.queue.set_intake),
                queue("reset", &s.queue.reset),
                queue("today", &s.queue.today),
                queue("register_phone", &s.queue.register_phone),
                queue("verify_phone", &s.queue.verify_phone),
                queue("verify_call", &s.queue.verify_call),
                queue("call_out", &s.queue.call_out),
                queue("contact", &s.queue.contact),
                queue("machine_answered", &s.queue.machine_answered),
                queue("answer", &s.queue.answer),
                queue("send_text", &s.queue.send_text),
                queue("set_autodial", &s.queue.set_autodial),
                queue("set_late", &s.queue.set_late),
                queue("set_hours", &s.queue.set_hours),
                queue("reminder", &s.queue.reminder),
                queue("reminder_set", &s.queue.reminder_set),
                queue("reminder_take", &s.queue.reminder_take),
                queue("line_code", &s.queue.line_code),
                queue("line_link", &s.queue.line_link),
                queue("line_due", &s.queue.line_due),
                bound("line_follow", &s.bound.line_follow),
                bound("line_event", &s.bound.line_event),
                bound("take", &s.bound.take),
                bound("give_back", &s.bound.give_back),
                bound("log", &s.bound.log),
                bound("raise_version", &s.bound.raise_version),
                bound("account_add", &s.bound.account_add),
                bound("account_put", &s.bound.account_put),
                bound("audit_append", &s.bound.audit_append),
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
