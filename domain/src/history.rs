//! A queue's days as figures that hold nothing personal: per local hour, tickets issued by
//! channel, served, no-shows, cancellations, waits (as a histogram of minutes, so days and resets
//! add up and any percentile can be read), service time per counter, phones verified, LINE links,
//! SMS and calls sent. What is kept for `HISTORY_DAYS` after the day's own data expires, what the
//! export answers and what the console's 履歴 draws.

use crate::queue::{Channel, CounterId};
use crate::ticket::{PhoneStatus, TicketState, TicketSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Waits are counted per whole minute up to this; longer ones count here.
pub const MAX_WAIT_MINUTES: u32 = 600;

/// One hour of one day (local time), as stored: counts only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourFigures {
    /// Tickets issued, by channel.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub issued: BTreeMap<Channel, u32>,
    /// Tickets finished as done (at the hour they finished).
    #[serde(default)]
    pub served: u32,
    #[serde(default)]
    pub no_shows: u32,
    #[serde(default)]
    pub cancelled: u32,
    /// Minutes waited from issue to first call → how many tickets (at the hour they were issued).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub waits: BTreeMap<u32, u32>,
    /// Per counter: the tickets served and their service time in all (ms).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service: BTreeMap<CounterId, Service>,
    /// Tickets issued with a verified phone (by SMS or a call, or verified later).
    #[serde(default)]
    pub phones_verified: u32,
    /// Tickets linked to LINE (none yet: the field waits for the LINE channel).
    #[serde(default)]
    pub line_links: u32,
    /// SMS sent (verification, reminders, staff's, the text instead of a call).
    #[serde(default)]
    pub sms: u32,
    /// Calls made (automatic and staff's).
    #[serde(default)]
    pub calls: u32,
}

/// Service at one counter: how many, and how long in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub served: u32,
    pub total_ms: u64,
}

/// One business day's figures, by local hour (0–23).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub hours: BTreeMap<u8, HourFigures>,
}

/// The SMS and calls a day made due, as the scripts count them: `sms:<slot>` / `call:<slot>`, the
/// slot being a quarter of an hour since the Unix epoch (local hours in any zone).
pub const SLOT_MS: u64 = 15 * 60 * 1000;

impl DayFigures {
    /// The figures of one business day: its tickets, and what the scripts counted of its SMS and
    /// calls (`sent`: `sms:<slot>` / `call:<slot>` → count). `hour_of` is the local hour of a
    /// moment (ms).
    pub fn of<'a>(
        tickets: impl IntoIterator<Item = &'a TicketSummary>,
        sent: &[(String, u64)],
        hour_of: impl Fn(u64) -> u8,
    ) -> Self {
        let mut day = DayFigures::default();
        for t in tickets {
            let issued = day.hour(hour_of(t.issued_at));
            *issued.issued.entry(t.channel).or_default() += 1;
            if t.phone_status == Some(PhoneStatus::Verified) {
                issued.phones_verified += 1;
            }
            if t.line {
                issued.line_links += 1;
            }
            if let Some(called) = t.called_at {
                let minutes =
                    (called.saturating_sub(t.issued_at) / 60_000).min(u64::from(MAX_WAIT_MINUTES));
                *issued.waits.entry(minutes as u32).or_default() += 1;
            }
            let Some(finished) = t.finished_at else {
                continue;
            };
            let at = day.hour(hour_of(finished));
            match t.state {
                TicketState::Done => {
                    at.served += 1;
                    if let (Some(counter), Some(called)) = (&t.counter, t.called_at) {
                        let s = at.service.entry(counter.clone()).or_default();
                        s.served += 1;
                        s.total_ms += finished.saturating_sub(called);
                    }
                }
                TicketState::NoShow => at.no_shows += 1,
                TicketState::Cancelled => at.cancelled += 1,
                TicketState::Waiting | TicketState::Called => {}
            }
        }
        for (field, count) in sent {
            let Some((kind, slot)) = field.split_once(':') else {
                continue;
            };
            let Ok(slot) = slot.parse::<u64>() else {
                continue;
            };
            let count = u32::try_from(*count).unwrap_or(u32::MAX);
            let hour = day.hour(hour_of(slot * SLOT_MS));
            match kind {
                "sms" => hour.sms += count,
                "call" => hour.calls += count,
                _ => {}
            }
        }
        day
    }

    fn hour(&mut self, hour: u8) -> &mut HourFigures {
        self.hours.entry(hour.min(23)).or_default()
    }

    /// Adds `other` (another business day of the same date, after a staff reset).
    pub fn add(&mut self, other: &DayFigures) {
        for (h, figures) in &other.hours {
            self.hour(*h).add(figures);
        }
    }

    /// The whole day as one hour.
    pub fn total(&self) -> HourFigures {
        let mut total = HourFigures::default();
        for figures in self.hours.values() {
            total.add(figures);
        }
        total
    }
}

impl HourFigures {
    pub fn add(&mut self, other: &HourFigures) {
        for (channel, n) in &other.issued {
            *self.issued.entry(*channel).or_default() += n;
        }
        self.served += other.served;
        self.no_shows += other.no_shows;
        self.cancelled += other.cancelled;
        for (m, n) in &other.waits {
            *self.waits.entry(*m).or_default() += n;
        }
        for (counter, s) in &other.service {
            let mine = self.service.entry(counter.clone()).or_default();
            mine.served += s.served;
            mine.total_ms += s.total_ms;
        }
        self.phones_verified += other.phones_verified;
        self.line_links += other.line_links;
        self.sms += other.sms;
        self.calls += other.calls;
    }

    pub fn issued_total(&self) -> u32 {
        self.issued.values().sum()
    }

    /// The wait (whole minutes) that `percent` % of the called tickets waited at most.
    pub fn wait_percentile(&self, percent: u32) -> Option<u32> {
        let n: u64 = self.waits.values().map(|c| u64::from(*c)).sum();
        if n == 0 {
            return None;
        }
        let rank = (n * u64::from(percent)).div_ceil(100).max(1);
        let mut seen = 0u64;
        for (minutes, count) in &self.waits {
            seen += u64::from(*count);
            if seen >= rank {
                return Some(*minutes);
            }
        }
        self.waits.keys().last().copied()
    }

    /// The mean service time at all counters (ms).
    pub fn mean_service_ms(&self) -> Option<u64> {
        let (n, total) = self.service.values().fold((0u64, 0u64), |(n, t), s| {
            (n + u64::from(s.served), t + s.total_ms)
        });
        (n > 0).then(|| total / n)
    }

    /// Nothing happened in this hour.
    pub fn is_empty(&self) -> bool {
        *self == HourFigures::default()
    }
}

/// One hour as the export and the console show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourReport {
    /// The local hour (absent for a day's total).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<u8>,
    pub issued: u32,
    pub issued_by_channel: BTreeMap<Channel, u32>,
    pub served: u32,
    pub no_shows: u32,
    pub cancelled: u32,
    pub wait_p50_min: Option<u32>,
    pub wait_p90_min: Option<u32>,
    /// Per counter: served and the mean service time (s).
    pub service: BTreeMap<CounterId, CounterReport>,
    pub phones_verified: u32,
    pub line_links: u32,
    pub sms: u32,
    pub calls: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterReport {
    pub served: u32,
    pub mean_service_s: u64,
}

impl HourReport {
    pub fn of(hour: Option<u8>, f: &HourFigures) -> Self {
        Self {
            hour,
            issued: f.issued_total(),
            issued_by_channel: f.issued.clone(),
            served: f.served,
            no_shows: f.no_shows,
            cancelled: f.cancelled,
            wait_p50_min: f.wait_percentile(50),
            wait_p90_min: f.wait_percentile(90),
            service: f
                .service
                .iter()
                .map(|(c, s)| {
                    let mean = s.total_ms / u64::from(s.served.max(1)) / 1000;
                    (
                        c.clone(),
                        CounterReport {
                            served: s.served,
                            mean_service_s: mean,
                        },
                    )
                })
                .collect(),
            phones_verified: f.phones_verified,
            line_links: f.line_links,
            sms: f.sms,
            calls: f.calls,
        }
    }
}

/// One day of the export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// `2026-11-25`.
    pub date: String,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: u8,
    /// Today, still going (read live, not yet kept).
    pub live: bool,
    pub total: HourReport,
    /// The hours in which anything happened.
    pub hours: Vec<HourReport>,
    /// The stored figures (histograms), for charts that add days up.
    pub figures: DayFigures,
}

/// The JSON export: `GET /api/v1/queues/{queue}/history?from=&to=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub queue: String,
    pub from: String,
    pub to: String,
    /// Every date of the range with figures, oldest first (a date without any is left out).
    pub days: Vec<DayReport>,
}

/// The CSV's line ending and byte order mark: Excel in Japan opens UTF-8 with its BOM intact.
pub const CSV_BOM: &str = "\u{feff}";

/// The history's CSV (Japanese headers): one row per date and hour with anything in it.
pub fn history_csv(history: &History) -> String {
    let mut out = String::from(CSV_BOM);
    let headers = [
        "日付",
        "曜日",
        "時",
        "発行数",
        "発行数（受付機）",
        "発行数（オンライン）",
        "発行数（API）",
        "発行数（電話・SMS）",
        "対応数",
        "不在",
        "取消",
        "待ち時間 中央値（分）",
        "待ち時間 90%（分）",
        "窓口別 対応数/平均対応時間（秒）",
        "電話番号確認",
        "LINE連携",
        "SMS送信",
        "電話発信",
    ];
    push_row(&mut out, headers.iter().map(|h| (*h).to_owned()));
    const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    for day in &history.days {
        let weekday = WEEKDAYS[usize::from(day.weekday.clamp(1, 7) - 1)];
        for h in &day.hours {
            let channel = |c: Channel| {
                h.issued_by_channel
                    .get(&c)
                    .copied()
                    .unwrap_or(0)
                    .to_string()
            };
            let opt = |v: Option<u32>| v.map(|m| m.to_string()).unwrap_or_default();
            let service: Vec<String> = h
                .service
                .iter()
                .map(|(c, s)| format!("{c}:{}/{}", s.served, s.mean_service_s))
                .collect();
            push_row(
                &mut out,
                [
                    day.date.clone(),
                    weekday.to_owned(),
                    h.hour.map(|x| x.to_string()).unwrap_or_default(),
                    h.issued.to_string(),
                    channel(Channel::Kiosk),
                    channel(Channel::Remote),
                    channel(Channel::Api),
                    channel(Channel::Phone),
                    h.served.to_string(),
                    h.no_shows.to_string(),
                    h.cancelled.to_string(),
                    opt(h.wait_p50_min),
                    opt(h.wait_p90_min),
                    service.join(" "),
                    h.phones_verified.to_string(),
                    h.line_links.to_string(),
                    h.sms.to_string(),
                    h.calls.to_string(),
                ]
                .into_iter(),
            );
        }
    }
    out
}

/// One row of today's tickets for the CSV: no phone, no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRow {
    pub label: String,
    pub channel: Channel,
    pub issued_at: String,
    pub called_at: String,
    pub finished_at: String,
    pub counter: String,
    pub state: TicketState,
    pub recalls: u32,
}

/// Today's tickets as CSV (Japanese headers), in number order.
pub fn tickets_csv(rows: &[TicketRow]) -> String {
    let mut out = String::from(CSV_BOM);
    push_row(
        &mut out,
        [
            "番号",
            "受付方法",
            "発行時刻",
            "呼出時刻",
            "終了時刻",
            "窓口",
            "結果",
            "再呼出回数",
        ]
        .iter()
        .map(|h| (*h).to_owned()),
    );
    for r in rows {
        let channel = match r.channel {
            Channel::Kiosk => "受付機",
            Channel::Remote => "オンライン",
            Channel::Api => "API",
            Channel::Phone => "電話・SMS",
        };
        let state = match r.state {
            TicketState::Waiting => "待ち",
            TicketState::Called => "呼出中",
            TicketState::Done => "完了",
            TicketState::Cancelled => "取消",
            TicketState::NoShow => "不在",
        };
        push_row(
            &mut out,
            [
                r.label.clone(),
                channel.to_owned(),
                r.issued_at.clone(),
                r.called_at.clone(),
                r.finished_at.clone(),
                r.counter.clone(),
                state.to_owned(),
                r.recalls.to_string(),
            ]
            .into_iter(),
        );
    }
    out
}

/// One CSV line, CRLF-terminated; a field with a comma, a quote or a line break is quoted, and
/// one that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) starts with a quote mark.
pub fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields
        .map(|f| {
            let f = if f.starts_with(['=', '+', '-', '@']) {
                format!("'{f}")
            } else {
                f
            };
            if f.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(number: u64, issued_min: u64, state: TicketState) -> TicketSummary {
        TicketSummary {
            number,
            channel: if number % 2 == 0 {
                Channel::Remote
            } else {
                Channel::Kiosk
            },
            issued_at: issued_min * 60_000,
            state,
            counter: None,
            called_at: None,
            finished_at: None,
            recalls: 0,
            rev: 1,
            phone_status: None,
            contact: None,
            answer: None,
            line: false,
        }
    }

    /// Hours are minutes / 60 here (a day starting at the epoch).
    fn hour_of(ms: u64) -> u8 {
        (ms / 3_600_000) as u8
    }

    #[test]
    fn a_day_is_summed_per_hour_without_anything_personal() {
        let one = CounterId::parse("1").unwrap();
        let mut served = ticket(1, 9 * 60, TicketState::Done);
        served.counter = Some(one.clone());
        served.called_at = Some((9 * 60 + 10) * 60_000);
        served.finished_at = Some((10 * 60 + 2) * 60_000);
        served.phone_status = Some(PhoneStatus::Verified);
        let mut no_show = ticket(2, 9 * 60 + 30, TicketState::NoShow);
        no_show.line = true;
        no_show.called_at = Some((9 * 60 + 50) * 60_000);
        no_show.finished_at = Some((9 * 60 + 55) * 60_000);
        let waiting = ticket(3, 10 * 60, TicketState::Waiting);
        let sent = [
            (format!("sms:{}", 9 * 4 + 1), 2),
            (format!("call:{}", 10 * 4), 1),
            ("junk".to_owned(), 5),
        ];
        let day = DayFigures::of([&served, &no_show, &waiting], &sent, hour_of);
        let nine = &day.hours[&9];
        assert_eq!(nine.issued_total(), 2);
        assert_eq!(nine.issued[&Channel::Kiosk], 1);
        assert_eq!(nine.issued[&Channel::Remote], 1);
        assert_eq!(nine.waits, BTreeMap::from([(10, 1), (20, 1)]));
        assert_eq!(nine.no_shows, 1);
        assert_eq!(nine.phones_verified, 1);
        assert_eq!(nine.line_links, 1, "followed on LINE");
        assert_eq!(nine.sms, 2);
        let ten = &day.hours[&10];
        assert_eq!(ten.served, 1, "served at the hour it finished");
        assert_eq!(
            ten.service[&one],
            Service {
                served: 1,
                total_ms: 52 * 60_000
            }
        );
        assert_eq!(ten.calls, 1);
        assert_eq!(ten.issued_total(), 1);
        let total = day.total();
        assert_eq!(
            (total.issued_total(), total.served, total.no_shows),
            (3, 1, 1)
        );
        let json = serde_json::to_string(&day).unwrap();
        assert!(
            !json.contains("token") && !json.contains("phone\""),
            "{json}"
        );
    }

    #[test]
    fn percentiles_come_from_the_histogram_and_days_add_up() {
        let mut a = HourFigures::default();
        for m in 1..=10 {
            a.waits.insert(m, 1);
        }
        assert_eq!(a.wait_percentile(50), Some(5));
        assert_eq!(a.wait_percentile(90), Some(9));
        assert_eq!(HourFigures::default().wait_percentile(50), None);
        let mut day = DayFigures::default();
        day.hours.insert(9, a.clone());
        let mut other = DayFigures::default();
        other.hours.insert(9, a);
        day.add(&other);
        assert_eq!(day.hours[&9].waits[&3], 2);
        assert_eq!(day.hours[&9].wait_percentile(50), Some(5));
    }

    #[test]
    fn csv_is_excel_ready_and_never_a_formula() {
        let mut out = String::new();
        push_row(
            &mut out,
            ["a,b".to_owned(), "=1+1".to_owned(), "x\"y".to_owned()].into_iter(),
        );
        assert_eq!(out, "\"a,b\",'=1+1,\"x\"\"y\"\r\n");
        let csv = tickets_csv(&[TicketRow {
            label: "A-001".into(),
            channel: Channel::Phone,
            issued_at: "2026-11-25 09:00:00".into(),
            called_at: String::new(),
            finished_at: String::new(),
            counter: String::new(),
            state: TicketState::Waiting,
            recalls: 0,
        }]);
        assert!(csv.starts_with("\u{feff}番号,受付方法,"), "{csv}");
        assert!(
            csv.ends_with("A-001,電話・SMS,2026-11-25 09:00:00,,,,待ち,0\r\n"),
            "{csv}"
        );
        assert_eq!(csv.matches("\r\n").count(), 2);
    }
}
