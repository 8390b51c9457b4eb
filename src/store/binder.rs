//! The one binder of names for every script's `KEYS` and `ARGV`.
//!
//! A script declares the names of its keys and arguments ([`Name`]); a generated header binds
//! them to Lua locals, and a call names each value it passes ([`Call`]), which is checked against
//! the declaration: a position is written down nowhere, on either side. A list (any number of keys
//! or arguments, a Lua table) comes after the single names; its length travels in `ARGV`.
//!
//! Every queue script ([`QueueScript`]) is that header, the queue's own part (the keys every
//! queue script gets, the arguments every one gets first, the business day's keys with
//! `bind_day()`, and the constants Rust and the scripts share), `prelude.lua`, then its body.
//! The day's keys live in the queue's hash slot, so a script may name them itself once the
//! prelude knows which day is current.

use super::keys::{QueueKeys, DAY_KEYS, SCRIPT_KEYS};
use super::Moment;
use crate::queue::QueueId;
use redis::{Script, ScriptInvocation};

/// The name a script knows one of its keys or arguments by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    /// One key, or one argument (a string).
    One(&'static str),
    /// One argument the script reads as a number.
    Number(&'static str),
    /// Any number of keys or arguments, as a Lua table (after every single name).
    List(&'static str),
}

impl Name {
    fn name(self) -> &'static str {
        match self {
            Name::One(n) | Name::Number(n) | Name::List(n) => n,
        }
    }

    fn is_list(self) -> bool {
        matches!(self, Name::List(_))
    }
}

/// The arguments every queue script gets first: the queue id, its events channel, now (ms), when
/// the keys of today's business day expire (Unix seconds), how many places ahead a verified phone
/// is called (0: never), and the date of today's business day (`2026-11-25`) by this process's
/// clock.
const COMMON_ARGS: [Name; 6] = [
    Name::One("Q"),
    Name::One("EVENTS"),
    Name::Number("NOW"),
    Name::Number("EXPIRE_AT"),
    Name::Number("AUTODIAL"),
    Name::One("BUSINESS_DAY"),
];

/// A script with the names of its keys and arguments bound by its generated header.
pub(crate) struct BoundScript {
    script: Script,
    /// The whole source (what the benchmark hands `redis-benchmark`, what the tests read).
    #[cfg_attr(not(any(test, feature = "bench")), allow(dead_code))]
    source: String,
    keys: Vec<Name>,
    args: Vec<Name>,
}

impl BoundScript {
    /// The script of `parts` (Lua, in order) after the header that binds `keys` and `args`.
    ///
    /// Panics when a single name follows a list: a programming error that building the store's
    /// scripts (every test) catches.
    pub fn new(keys: &[Name], args: &[Name], parts: &[&str]) -> Self {
        for names in [keys, args] {
            let first_list = names.iter().position(|n| n.is_list());
            assert!(
                first_list.is_none_or(|i| names[i..].iter().all(|n| n.is_list())),
                "a script's lists come after its single names: {names:?}"
            );
        }
        let mut source = header(keys, args);
        for part in parts {
            source.push('\n');
            source.push_str(part);
        }
        Self {
            script: Script::new(&source),
            source,
            keys: keys.to_vec(),
            args: args.to_vec(),
        }
    }

    /// A call of the script, to be given every key and argument by name, in order.
    pub fn call(&self) -> Call<'_> {
        Call {
            script: self,
            keys: Vec::new(),
            args: Vec::new(),
        }
    }
}

/// One call of a [`BoundScript`]: its keys and arguments, each given by name.
pub(crate) struct Call<'s> {
    script: &'s BoundScript,
    keys: Vec<(&'static str, Given)>,
    args: Vec<(&'static str, Given)>,
}

/// A value given for a name: one, or a list.
enum Given {
    One(String),
    List(Vec<String>),
}

impl Given {
    fn is_list(&self) -> bool {
        matches!(self, Given::List(_))
    }
}

impl<'s> Call<'s> {
    pub fn key(&mut self, name: &'static str, key: impl Into<String>) -> &mut Self {
        self.keys.push((name, Given::One(key.into())));
        self
    }

    pub fn keys(
        &mut self,
        name: &'static str,
        keys: impl IntoIterator<Item = String>,
    ) -> &mut Self {
        self.keys
            .push((name, Given::List(keys.into_iter().collect())));
        self
    }

    pub fn arg(&mut self, name: &'static str, value: impl ToString) -> &mut Self {
        self.args.push((name, Given::One(value.to_string())));
        self
    }

    pub fn args<T: ToString>(
        &mut self,
        name: &'static str,
        values: impl IntoIterator<Item = T>,
    ) -> &mut Self {
        let values = values.into_iter().map(|v| v.to_string()).collect();
        self.args.push((name, Given::List(values)));
        self
    }

    /// `KEYS` and `ARGV` as the header reads them: the keys in order (lists spread out); the
    /// single arguments, the length of each list of keys, then each list of arguments as its
    /// length and its items.
    ///
    /// Panics when the names given are not the script's, in its order, each one or a list as
    /// declared: a programming error that every test of the script catches.
    fn keys_and_argv(&self) -> (Vec<&str>, Vec<String>) {
        check("keys", &self.script.keys, &self.keys);
        check("arguments", &self.script.args, &self.args);
        let mut keys = Vec::new();
        let mut argv = Vec::new();
        let mut key_lists = Vec::new();
        for (_, given) in &self.keys {
            match given {
                Given::One(key) => keys.push(key.as_str()),
                Given::List(list) => {
                    keys.extend(list.iter().map(String::as_str));
                    key_lists.push(list.len().to_string());
                }
            }
        }
        let mut arg_lists = Vec::new();
        for (_, given) in &self.args {
            match given {
                Given::One(value) => argv.push(value.clone()),
                Given::List(list) => {
                    arg_lists.push(list.len().to_string());
                    arg_lists.extend(list.iter().cloned());
                }
            }
        }
        argv.extend(key_lists);
        argv.extend(arg_lists);
        (keys, argv)
    }

    pub fn invocation(&self) -> ScriptInvocation<'s> {
        let (keys, argv) = self.keys_and_argv();
        let mut invocation = self.script.script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        for value in argv {
            invocation.arg(value);
        }
        invocation
    }

    /// The `EVALSHA` command line of the call, for `redis-benchmark`.
    #[cfg(feature = "bench")]
    pub fn command_line(&self) -> Vec<String> {
        let (keys, argv) = self.keys_and_argv();
        let mut line = vec![
            "EVALSHA".to_owned(),
            self.script.script.get_hash().to_owned(),
            keys.len().to_string(),
        ];
        line.extend(keys.into_iter().map(str::to_owned));
        line.extend(argv);
        line
    }
}

fn check(what: &str, declared: &[Name], given: &[(&'static str, Given)]) {
    let declared: Vec<(&str, bool)> = declared.iter().map(|n| (n.name(), n.is_list())).collect();
    let given: Vec<(&str, bool)> = given.iter().map(|(n, g)| (*n, g.is_list())).collect();
    assert_eq!(
        given, declared,
        "script {what} not as declared (name, is a list)"
    );
}

/// `local DAY_KEY, DAYS, … = KEYS[1], KEYS[2], …`, the same for the single arguments, and the
/// lists after them.
fn header(keys: &[Name], args: &[Name]) -> String {
    let single = |names: &[Name], from: &str| -> Option<String> {
        let bound: Vec<(&str, String)> = names
            .iter()
            .filter(|n| !n.is_list())
            .enumerate()
            .map(|(i, name)| {
                let value = format!("{from}[{}]", i + 1);
                match name {
                    Name::Number(n) => (*n, format!("tonumber({value})")),
                    _ => (name.name(), value),
                }
            })
            .collect();
        (!bound.is_empty()).then(|| {
            let (names, values): (Vec<&str>, Vec<String>) = bound.into_iter().unzip();
            format!("local {} = {}", names.join(", "), values.join(", "))
        })
    };
    let mut lines: Vec<String> = [single(keys, "KEYS"), single(args, "ARGV")]
        .into_iter()
        .flatten()
        .collect();
    let lists: Vec<(&str, &str)> = keys
        .iter()
        .filter(|n| n.is_list())
        .map(|n| (n.name(), "KEYS"))
        .chain(
            args.iter()
                .filter(|n| n.is_list())
                .map(|n| (n.name(), "ARGV")),
        )
        .collect();
    if !lists.is_empty() {
        let names: Vec<&str> = lists.iter().map(|(name, _)| *name).collect();
        lines.push(format!("local {}", names.join(", ")));
        // each list's length is the next argument; a list of arguments follows its length
        lines.push("do".to_owned());
        lines.push(format!(
            "  local k, a = {}, {}",
            keys.iter().filter(|n| !n.is_list()).count(),
            args.iter().filter(|n| !n.is_list()).count()
        ));
        lines.push(
            "  local function take(from, at, n) local t = {} for i = 1, n do t[i] = from[at + i] end return t end"
                .to_owned(),
        );
        for (name, from) in lists {
            let cursor = if from == "KEYS" { "k" } else { "a" };
            lines.push(format!(
                "  a = a + 1; {name} = take({from}, {cursor}, tonumber(ARGV[a])); {cursor} = {cursor} + #{name}"
            ));
        }
        lines.push("end".to_owned());
    }
    lines.join("\n")
}

/// What every queue script declares after its bindings: the business day's keys and
/// `bind_day()`, `day_keys()`, and the constants Rust and the scripts share.
fn queue_part() -> String {
    let mut lines = Vec::new();
    let (names, values): (Vec<&str>, Vec<String>) = DAY_KEYS
        .iter()
        .map(|(lua, name)| (*lua, format!("p .. '{name}'")))
        .unzip();
    lines.push(format!("local DAY, {}", names.join(", ")));
    // the same names as `QueueKeys::day_keys`
    lines.push(format!(
        "local function bind_day()\n  local p = 'wr:{{' .. Q .. '}}:' .. DAY .. ':'\n  {} = {}\nend",
        names.join(", "),
        values.join(", ")
    ));
    // every key of the day, for what applies to them all (their expiry)
    lines.push(format!(
        "local function day_keys()\n  return {{{}}}\nend",
        names.join(", ")
    ));
    lines.extend(shared_constants());
    lines.join("\n")
}

/// The constants both sides need, written once (in Rust) and declared in every queue script:
/// how many calls the snapshot keeps, what an event carries of a ticket (never its token, its
/// language or anything personal), and how far 「後ろに回す」 goes unless the console says.
fn shared_constants() -> [String; 3] {
    let fields: Vec<String> = crate::ticket::TicketSummary::FIELDS
        .iter()
        .map(|f| format!("'{f}'"))
        .collect();
    [
        format!("local RECENT_CALLS = {}", crate::queue::RECENT_CALLS),
        format!("local SUMMARY_FIELDS = {{{}}}", fields.join(", ")),
        format!(
            "local MOVE_BACK_PLACES = {}",
            crate::queue::LateArrivals::default().move_back_places
        ),
    ]
}

/// A script of one queue: it gets the queue's keys ([`SCRIPT_KEYS`]) and [`COMMON_ARGS`], then
/// its own arguments (strings) by name.
pub(crate) struct QueueScript(BoundScript);

#[cfg(test)]
impl BoundScript {
    /// Its whole source: the header, then the parts.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The names it declares (keys, then arguments).
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.keys
            .iter()
            .chain(&self.args)
            .map(|n| n.name())
            .collect()
    }
}

#[cfg(test)]
impl QueueScript {
    /// The bound script.
    pub(crate) fn bound(&self) -> &BoundScript {
        &self.0
    }

    /// Its own arguments' names (after [`COMMON_ARGS`]).
    pub(crate) fn own_args(&self) -> Vec<&'static str> {
        self.0.args[COMMON_ARGS.len()..]
            .iter()
            .map(|n| n.name())
            .collect()
    }
}

impl QueueScript {
    /// A script whose own arguments are `own_args`, in the order callers pass them.
    pub fn new(own_args: &[&'static str], body: &str) -> Self {
        let keys: Vec<Name> = SCRIPT_KEYS.iter().map(|(lua, _)| Name::One(lua)).collect();
        let args: Vec<Name> = COMMON_ARGS
            .iter()
            .copied()
            .chain(own_args.iter().map(|name| Name::One(name)))
            .collect();
        Self(BoundScript::new(
            &keys,
            &args,
            &[&queue_part(), include_str!("lua/prelude.lua"), body],
        ))
    }

    /// The call for `queue` at `at`, with the script's own arguments by name.
    fn call(
        &self,
        queue: &QueueId,
        at: Moment,
        autodial_places: u32,
        args: &[(&'static str, String)],
    ) -> Call<'_> {
        let keys = QueueKeys::of(queue);
        let mut call = self.0.call();
        for ((name, _), key) in SCRIPT_KEYS.iter().zip(keys.script_keys()) {
            call.key(name, key);
        }
        call.arg("Q", queue.as_str())
            .arg("EVENTS", keys.events())
            .arg("NOW", at.now_ms)
            .arg("EXPIRE_AT", at.expire_at)
            .arg("AUTODIAL", autodial_places)
            .arg("BUSINESS_DAY", at.day);
        for (name, value) in args {
            call.arg(name, value);
        }
        call
    }

    /// The invocation for `queue` at `at`, with the script's own arguments by name (see
    /// [`Call::invocation`]).
    pub fn invoke(
        &self,
        queue: &QueueId,
        at: Moment,
        autodial_places: u32,
        args: &[(&'static str, String)],
    ) -> ScriptInvocation<'_> {
        self.call(queue, at, autodial_places, args).invocation()
    }

    /// The script's source and the `EVALSHA` command line of an invocation (as `invoke`, and
    /// with the same check of the names), for `redis-benchmark`.
    #[cfg(feature = "bench")]
    pub fn command_line(
        &self,
        queue: &QueueId,
        at: Moment,
        autodial_places: u32,
        args: &[(&'static str, String)],
    ) -> (String, Vec<String>) {
        let line = self.call(queue, at, autodial_places, args).command_line();
        (self.0.source.clone(), line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_binds_keys_and_arguments_in_order() {
        let keys: Vec<Name> = SCRIPT_KEYS.iter().map(|(lua, _)| Name::One(lua)).collect();
        let mut args = COMMON_ARGS.to_vec();
        args.push(Name::One("COUNTER"));
        let h = format!("{}\n{}", header(&keys, &args), queue_part());
        assert!(h.starts_with("local DAY_KEY, DAYS, VERSION,"), "{h}");
        assert!(h.contains("= KEYS[1], KEYS[2], KEYS[3],"), "{h}");
        assert!(h.contains(
            "local Q, EVENTS, NOW, EXPIRE_AT, AUTODIAL, BUSINESS_DAY, COUNTER = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]\n"
        ), "{h}");
        assert!(h.contains("local DAY, SEQ, WAITING, TICKETS,"), "{h}");
        assert!(
            h.contains("  local p = 'wr:{' .. Q .. '}:' .. DAY .. ':'\n  SEQ, WAITING,"),
            "{h}"
        );
        assert!(h.contains("= p .. 'seq', p .. 'waiting',"), "{h}");
    }

    #[test]
    fn the_shared_constants_are_the_rust_ones() {
        let part = queue_part();
        assert!(part.contains("\nlocal RECENT_CALLS = 6\n"), "{part}");
        assert!(part.contains("\nlocal MOVE_BACK_PLACES = 3"), "{part}");
        assert!(
            part.contains("\nlocal SUMMARY_FIELDS = {'number', 'channel', 'issued_at',"),
            "{part}"
        );
    }

    #[test]
    fn lists_come_after_single_names_with_their_lengths() {
        let keys = [Name::One("CLIENT"), Name::List("SOURCES")];
        let args = [
            Name::Number("WINDOW"),
            Name::One("RESERVATION"),
            Name::List("SOURCE_MAX"),
            Name::List("RELEASE"),
        ];
        let h = header(&keys, &args);
        assert!(h.starts_with("local CLIENT = KEYS[1]\nlocal WINDOW, RESERVATION = tonumber(ARGV[1]), ARGV[2]\nlocal SOURCES, SOURCE_MAX, RELEASE\ndo\n  local k, a = 1, 2\n"), "{h}");
        assert!(h.contains("  a = a + 1; SOURCES = take(KEYS, k, tonumber(ARGV[a])); k = k + #SOURCES\n  a = a + 1; SOURCE_MAX = take(ARGV, a, tonumber(ARGV[a])); a = a + #SOURCE_MAX\n"), "{h}");
        let script = BoundScript::new(&keys, &args, &["return 1"]);
        let mut call = script.call();
        call.key("CLIENT", "c")
            .keys("SOURCES", ["s1".to_owned(), "s2".to_owned()])
            .arg("WINDOW", 60)
            .arg("RESERVATION", "r")
            .args("SOURCE_MAX", [5, 10])
            .args("RELEASE", Vec::<String>::new());
        let (k, argv) = call.keys_and_argv();
        assert_eq!(k, ["c", "s1", "s2"]);
        assert_eq!(argv, ["60", "r", "2", "2", "5", "10", "0"]);
    }

    #[test]
    #[should_panic(expected = "not as declared")]
    fn a_call_names_every_argument_in_order() {
        let script = BoundScript::new(&[], &[Name::One("A"), Name::One("B")], &["return 1"]);
        let mut call = script.call();
        call.arg("B", 1).arg("A", 2);
        call.keys_and_argv();
    }

    #[test]
    #[should_panic(expected = "lists come after")]
    fn a_single_name_after_a_list_is_refused() {
        BoundScript::new(&[], &[Name::List("L"), Name::One("A")], &["return 1"]);
    }
}
