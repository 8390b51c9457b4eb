//! The queue scripts and the one builder of their `KEYS` and `ARGV`.
//!
//! Each script is a generated header, `prelude.lua`, then its body. The header binds every key
//! (`keys::SCRIPT_KEYS`), the arguments every script gets (`COMMON_ARGS`) and the script's own
//! arguments to Lua names, so positions are written down once, here, and the call sites name
//! each argument they pass. It also declares the business day's keys (`keys::DAY_KEYS`) and
//! `bind_day()`, which names them for the day in `DAY` once the prelude knows which day is
//! current: the day's keys live in the queue's hash slot, so a script may name them itself.

use super::keys::{QueueKeys, DAY_KEYS, SCRIPT_KEYS};
use super::Moment;
use crate::queue::QueueId;
use redis::{Script, ScriptInvocation};

/// The arguments every queue script gets first: the queue id, its events channel, now (ms), when
/// the keys of today's business day expire (Unix seconds), how many places ahead a verified phone
/// is called (0: never), and the date of today's business day (`2026-11-25`) by this process's
/// clock. `true`: the script reads it as a number.
const COMMON_ARGS: [(&str, bool); 6] = [
    ("Q", false),
    ("EVENTS", false),
    ("NOW", true),
    ("EXPIRE_AT", true),
    ("AUTODIAL", true),
    ("BUSINESS_DAY", false),
];

pub(crate) struct QueueScript {
    script: Script,
    /// What the benchmark hands `redis-benchmark`.
    #[cfg(feature = "bench")]
    source: String,
    own_args: &'static [&'static str],
}

impl QueueScript {
    /// A script whose own arguments (strings) are `own_args`, in the order callers pass them.
    pub fn new(own_args: &'static [&'static str], body: &str) -> Self {
        let source = format!(
            "{}\n{}\n{body}",
            header(own_args),
            include_str!("prelude.lua")
        );
        Self {
            script: Script::new(&source),
            #[cfg(feature = "bench")]
            source,
            own_args,
        }
    }

    /// The script's source and the `EVALSHA` command line of an invocation (as `invoke`, and
    /// with the same check of the names), for `redis-benchmark`.
    #[cfg(feature = "bench")]
    pub fn command_line(
        &self,
        queue: &QueueId,
        at: Moment,
        autodial_places: u32,
        args: &[(&str, &str)],
    ) -> (String, Vec<String>) {
        let names: Vec<&str> = args.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, self.own_args, "script arguments out of order");
        let keys = QueueKeys::of(queue).script_keys();
        let mut line = vec![
            "EVALSHA".to_owned(),
            self.script.get_hash().to_owned(),
            keys.len().to_string(),
        ];
        line.extend(keys);
        line.extend([
            queue.as_str().to_owned(),
            QueueKeys::of(queue).events(),
            at.now_ms.to_string(),
            at.expire_at.to_string(),
            autodial_places.to_string(),
            at.day.to_string(),
        ]);
        line.extend(args.iter().map(|(_, v)| v.to_string()));
        (self.source.clone(), line)
    }

    /// The invocation for `queue` at `at`, with the script's own arguments by name.
    ///
    /// Panics when the names are not exactly the script's own arguments in order: a programming
    /// error that every test of the script catches.
    pub fn invoke(
        &self,
        queue: &QueueId,
        at: Moment,
        autodial_places: u32,
        args: &[(&str, &str)],
    ) -> ScriptInvocation<'_> {
        let names: Vec<&str> = args.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, self.own_args, "script arguments out of order");
        let keys = QueueKeys::of(queue);
        let mut invocation = self.script.prepare_invoke();
        for key in keys.script_keys() {
            invocation.key(key);
        }
        invocation
            .arg(queue.as_str())
            .arg(keys.events())
            .arg(at.now_ms)
            .arg(at.expire_at)
            .arg(autodial_places)
            .arg(at.day.to_string());
        for (_, value) in args {
            invocation.arg(*value);
        }
        invocation
    }
}

/// `local DAY_KEY, DAYS, … = KEYS[1], KEYS[2], …`, the same for ARGV, and the day's keys.
fn header(own_args: &[&str]) -> String {
    let keys: Vec<(String, String)> = SCRIPT_KEYS
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.to_string(), format!("KEYS[{}]", i + 1)))
        .collect();
    let args: Vec<(String, String)> = COMMON_ARGS
        .iter()
        .copied()
        .chain(own_args.iter().map(|name| (*name, false)))
        .enumerate()
        .map(|(i, (name, number))| {
            let value = format!("ARGV[{}]", i + 1);
            let value = if number {
                format!("tonumber({value})")
            } else {
                value
            };
            (name.to_string(), value)
        })
        .collect();
    let mut lines: Vec<String> = [keys, args]
        .iter()
        .map(|binding| {
            let (names, values): (Vec<_>, Vec<_>) = binding.iter().cloned().unzip();
            format!("local {} = {}", names.join(", "), values.join(", "))
        })
        .collect();
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
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_binds_keys_and_arguments_in_order() {
        let h = header(&["COUNTER"]);
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
}
