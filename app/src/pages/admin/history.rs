//! The console's 履歴 (`/admin/history`): a queue's kept figures by day, week or month — tickets
//! issued and served, waits (median and 90 %) — a weekday × hour map of waits, the same weekday
//! of earlier weeks, and the downloads (history.csv, tickets.csv). Every chart is plain SVG or a
//! table drawn on the server; the page reads as well printed (black and grey, no header).

use crate::components::lang_menu::to_lang;
use crate::components::page::{Loaded, Page};
use crate::error::AppError;
use crate::i18n::*;
use crate::words::minutes;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use domain::history::{DayReport, History, HourFigures};
use domain::QueueInfo;

/// How a period is shown: one day per hour, a week or a month per day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryView {
    Day,
    Week,
    #[default]
    Month,
}

impl HistoryView {
    pub const ALL: [HistoryView; 3] = [HistoryView::Day, HistoryView::Week, HistoryView::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryView::Day => "day",
            HistoryView::Week => "week",
            HistoryView::Month => "month",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw)
    }
}

/// How many weeks the comparison of the same weekday goes back (the date's own included).
#[cfg(feature = "ssr")]
pub const COMPARED_WEEKS: usize = 8;

/// What the page shows, read once on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryScreen {
    pub queue: QueueInfo,
    pub view: HistoryView,
    /// The date asked for (`2026-11-25`) and today's business day.
    pub date: String,
    pub today: String,
    /// Each date of the view's period with its weekday (1 Monday … 7 Sunday), oldest first.
    pub period: Vec<(String, u8)>,
    /// The dates the arrows go to.
    pub previous: String,
    pub next: String,
    /// The dates the weekday × hour map covers (both included).
    pub map_from: String,
    pub map_to: String,
    /// `date` and the same weekday of the weeks before, newest first.
    pub same_weekdays: Vec<String>,
    /// Every date of all that with figures.
    pub history: History,
}

/// The history of `queue` (the first queue when absent) around `date` (today when absent): the
/// `view`'s period, the map's weeks and the same weekday of [`COMPARED_WEEKS`] weeks.
#[server(endpoint = "admin/history")]
pub async fn load_history(
    queue: Option<String>,
    view: Option<HistoryView>,
    date: Option<String>,
) -> Result<HistoryScreen, AppError> {
    use jiff::civil::Date;
    use jiff::ToSpan;
    use waitingroom::history::DateRange;

    let room = crate::ssr::require(domain::Capability::History).await?.0;
    let info = match queue {
        Some(raw) => room.setup().queue(&raw)?.clone(),
        None => room.setup().default_queue().clone(),
    };
    let view = view.unwrap_or_default();
    let today = room.setup().calendar.now().day;
    let date = match date.as_deref() {
        None | Some("") => today,
        Some(raw) => room.history().history_range(Some(raw), Some(raw))?.from,
    };
    let out_of_range = || AppError(domain::Problem::BadRequest {
        detail: "the date is out of range".into(),
    });
    let days = |d: Date, n: i64| d.checked_add(n.days()).map_err(|_| out_of_range());
    let (from, to, previous, next) = match view {
        HistoryView::Day => (date, date, days(date, -1)?, days(date, 1)?),
        HistoryView::Week => {
            let monday = days(date, 1 - i64::from(date.weekday().to_monday_one_offset()))?;
            (monday, days(monday, 6)?, days(date, -7)?, days(date, 7)?)
        }
        HistoryView::Month => (
            date.first_of_month(),
            date.last_of_month(),
            date.checked_sub(1.month()).map_err(|_| out_of_range())?,
            date.checked_add(1.month()).map_err(|_| out_of_range())?,
        ),
    };
    let (map_from, map_to) = match view {
        HistoryView::Month => (from, to),
        _ => (days(to, -27)?, to),
    };
    let same_weekdays = (0..COMPARED_WEEKS as i64)
        .map(|w| days(date, -7 * w))
        .collect::<Result<Vec<_>, _>>()?;
    let oldest = same_weekdays.last().copied().unwrap_or(date);
    let range = DateRange {
        from: from.min(map_from).min(oldest),
        to,
    };
    let history = room.history().report(&info, range).await?;
    let mut period = Vec::new();
    let mut d = from;
    while d <= to {
        period.push((d.to_string(), d.weekday().to_monday_one_offset() as u8));
        d = days(d, 1)?;
    }
    Ok(HistoryScreen {
        queue: info,
        view,
        date: date.to_string(),
        today: today.to_string(),
        period,
        previous: previous.to_string(),
        next: next.to_string(),
        map_from: map_from.to_string(),
        map_to: map_to.to_string(),
        same_weekdays: same_weekdays.iter().map(Date::to_string).collect(),
        history,
    })
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let loaded = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("queue"),
                    q.get("view").and_then(|v| HistoryView::parse(&v)),
                    q.get("date"),
                )
            })
        },
        |(queue, view, date)| load_history(queue, view, date),
    );
    view! {
        <Page class="console history-page" title=move || t!(i18n, admin.history.title) tools=super::ConsoleTools>
            <Loaded resource=loaded testid="history-error" view=|s| view! { <HistoryScreenView screen=s /> } />
        </Page>
    }
}

/// One point of a chart: an hour or a date, summed.
struct Point {
    /// The label under the bar (`9`, `25`).
    label: String,
    figures: HourFigures,
}

#[component]
fn HistoryScreenView(screen: HistoryScreen) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let locale = i18n.get_locale();
        render(locale, &screen)
    }
}

fn weekday_name(locale: Locale, weekday: u8) -> &'static str {
    match weekday {
        1 => td_string!(locale, admin.history.weekday.mon),
        2 => td_string!(locale, admin.history.weekday.tue),
        3 => td_string!(locale, admin.history.weekday.wed),
        4 => td_string!(locale, admin.history.weekday.thu),
        5 => td_string!(locale, admin.history.weekday.fri),
        6 => td_string!(locale, admin.history.weekday.sat),
        _ => td_string!(locale, admin.history.weekday.sun),
    }
}

fn view_name(locale: Locale, view: HistoryView) -> &'static str {
    match view {
        HistoryView::Day => td_string!(locale, admin.history.view_day),
        HistoryView::Week => td_string!(locale, admin.history.view_week),
        HistoryView::Month => td_string!(locale, admin.history.view_month),
    }
}

/// `11/25（水）`
fn short_date(locale: Locale, date: &str, weekday: u8) -> String {
    let month = date.get(5..7).unwrap_or("").trim_start_matches('0');
    let day = date.get(8..10).unwrap_or("").trim_start_matches('0');
    td_string!(
        locale,
        admin.history.short_date,
        month = month,
        day = day,
        weekday = weekday_name(locale, weekday)
    )
}

fn wait(locale: Locale, m: Option<u32>) -> String {
    minutes(locale, m.map(|m| u64::from(m) * 60_000))
}

/// The page's address for `view` on `date`, of the same queue.
fn link(screen: &HistoryScreen, view: HistoryView, date: &str) -> String {
    format!(
        "/admin/history?queue={}&view={}&date={date}",
        screen.queue.id,
        view.as_str()
    )
}

fn render(locale: Locale, s: &HistoryScreen) -> AnyView {
    let days: BTreeMap<&str, &DayReport> =
        s.history.days.iter().map(|d| (d.date.as_str(), d)).collect();
    let (first, last) = (
        s.period.first().map(|p| p.0.clone()).unwrap_or_default(),
        s.period.last().map(|p| p.0.clone()).unwrap_or_default(),
    );
    // the hours anything happened in, over all that is read (so the day's chart and the map agree)
    let hours: Vec<u8> = {
        let seen: Vec<u8> = s
            .history
            .days
            .iter()
            .flat_map(|d| d.figures.hours.iter())
            .filter(|(_, f)| !f.is_empty())
            .map(|(h, _)| *h)
            .collect();
        match (seen.iter().min(), seen.iter().max()) {
            (Some(lo), Some(hi)) => (*lo..=*hi).collect(),
            _ => (9..=17).collect(),
        }
    };
    let points: Vec<Point> = match s.view {
        HistoryView::Day => {
            let day = days.get(s.date.as_str());
            hours
                .iter()
                .map(|h| Point {
                    label: h.to_string(),
                    figures: day
                        .and_then(|d| d.figures.hours.get(h).cloned())
                        .unwrap_or_default(),
                })
                .collect()
        }
        HistoryView::Week | HistoryView::Month => s
            .period
            .iter()
            .map(|(date, weekday)| Point {
                label: if s.view == HistoryView::Week {
                    short_date(locale, date, *weekday)
                } else {
                    date.get(8..10).unwrap_or("").trim_start_matches('0').to_owned()
                },
                figures: days
                    .get(date.as_str())
                    .map(|d| d.figures.total())
                    .unwrap_or_default(),
            })
            .collect(),
    };
    let mut total = HourFigures::default();
    for p in &points {
        total.add(&p.figures);
    }
    let period_text = if first == last {
        first.clone()
    } else {
        td_string!(locale, admin.history.period, from = first.clone(), to = last.clone())
    };
    let history_csv = format!(
        "/api/v1/queues/{}/history.csv?from={first}&to={last}",
        s.queue.id
    );
    let tickets_csv = format!("/api/v1/queues/{}/tickets.csv", s.queue.id);
    let figure = |label: &'static str, value: String, testid: &'static str| {
        view! { <div><dt>{label}</dt><dd data-testid=testid>{value}</dd></div> }
    };
    let mean_service = total
        .mean_service_ms()
        .map(|ms| minutes(locale, Some(ms)))
        .unwrap_or_else(|| td_string!(locale, common.wait_unknown).to_owned());
    view! {
        <div class="history">
            <nav class="history-tools no-print" aria-label=td_string!(locale, admin.history.views)>
                <ul class="history-views">
                    {HistoryView::ALL.into_iter().map(|v| view! {
                        <li><a href=link(s, v, &s.date) aria-current=(v == s.view).then_some("page")>{view_name(locale, v)}</a></li>
                    }).collect_view()}
                </ul>
                <a href=link(s, s.view, &s.previous) rel="prev">{td_string!(locale, admin.history.previous)}</a>
                <a href=link(s, s.view, &s.next) rel="next">{td_string!(locale, admin.history.next)}</a>
                <form method="get" action="/admin/history" class="history-date">
                    <input type="hidden" name="queue" value=s.queue.id.to_string() />
                    <input type="hidden" name="view" value=s.view.as_str() />
                    <label for="history-date">{td_string!(locale, admin.history.date)}</label>
                    <input id="history-date" type="date" name="date" value=s.date.clone() max=s.today.clone() />
                    <button type="submit" class="small-action">{td_string!(locale, admin.history.show)}</button>
                </form>
            </nav>
            <h2 class="history-period" data-testid="history-period">
                {s.queue.name(to_lang(locale)).to_owned()}" · "{view_name(locale, s.view)}" · "{period_text}
            </h2>
            <dl class="figures history-figures">
                {figure(td_string!(locale, admin.history.issued), total.issued_total().to_string(), "history-issued")}
                {figure(td_string!(locale, admin.history.served), total.served.to_string(), "history-served")}
                {figure(td_string!(locale, admin.history.no_shows), total.no_shows.to_string(), "history-no-shows")}
                {figure(td_string!(locale, admin.history.cancelled), total.cancelled.to_string(), "history-cancelled")}
                {figure(td_string!(locale, admin.history.wait_p50), wait(locale, total.wait_percentile(50)), "history-p50")}
                {figure(td_string!(locale, admin.history.wait_p90), wait(locale, total.wait_percentile(90)), "history-p90")}
                {figure(td_string!(locale, admin.history.mean_service), mean_service, "history-service")}
                {figure(td_string!(locale, admin.history.phones), total.phones_verified.to_string(), "history-phones")}
                {figure(td_string!(locale, admin.history.line), total.line_links.to_string(), "history-line")}
                {figure(td_string!(locale, admin.history.sms), total.sms.to_string(), "history-sms")}
                {figure(td_string!(locale, admin.history.calls), total.calls.to_string(), "history-calls")}
            </dl>
            {(total.is_empty()).then(|| view! { <p class="muted" data-testid="history-empty">{td_string!(locale, admin.history.no_data)}</p> })}
            <div class="history-charts">
                <section class="history-chart">
                    <h3>{td_string!(locale, admin.history.chart_counts)}</h3>
                    {chart(locale, &points, Series::Counts)}
                </section>
                <section class="history-chart">
                    <h3>{td_string!(locale, admin.history.chart_waits)}</h3>
                    {chart(locale, &points, Series::Waits)}
                </section>
            </div>
            {figures_table(locale, s, &points)}
            {heat_map(locale, s, &hours)}
            {comparison(locale, s, &days)}
            <section class="history-downloads no-print">
                <h3>{td_string!(locale, admin.history.downloads)}</h3>
                <a class="download" data-testid="download-history" href=history_csv download="" rel="external">
                    {td_string!(locale, admin.history.download_history)}
                </a>
                <a class="download" data-testid="download-tickets" href=tickets_csv download="" rel="external">
                    {td_string!(locale, admin.history.download_tickets)}
                </a>
            </section>
        </div>
    }
    .into_any()
}

#[derive(Clone, Copy, PartialEq)]
enum Series {
    /// Issued and served.
    Counts,
    /// The median and the 90 % wait.
    Waits,
}

/// Two bars per point, with the scale's top on the left and each value in the bar's title.
fn chart(locale: Locale, points: &[Point], series: Series) -> impl IntoView {
    const W: usize = 560;
    const H: usize = 160;
    const LEFT: usize = 40;
    const BOTTOM: usize = 20;
    let values: Vec<[u32; 2]> = points
        .iter()
        .map(|p| match series {
            Series::Counts => [p.figures.issued_total(), p.figures.served],
            Series::Waits => [
                p.figures.wait_percentile(50).unwrap_or(0),
                p.figures.wait_percentile(90).unwrap_or(0),
            ],
        })
        .collect();
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1) as usize;
    let slot = (W - LEFT) / points.len().max(1);
    let bar = (slot * 2 / 5).max(1);
    let names = match series {
        Series::Counts => [
            td_string!(locale, admin.history.issued),
            td_string!(locale, admin.history.served),
        ],
        Series::Waits => [
            td_string!(locale, admin.history.wait_p50),
            td_string!(locale, admin.history.wait_p90),
        ],
    };
    let unit = |v: u32| match series {
        Series::Counts => v.to_string(),
        Series::Waits => wait(locale, Some(v)),
    };
    let every = points.len().div_ceil(11).max(1);
    let label = match series {
        Series::Counts => td_string!(locale, admin.history.chart_counts),
        Series::Waits => td_string!(locale, admin.history.chart_waits),
    };
    let testid = match series {
        Series::Counts => "chart-counts",
        Series::Waits => "chart-waits",
    };
    view! {
        <svg class="history-svg" viewBox=format!("0 0 {W} {}", H + BOTTOM) role="img" aria-label=label data-testid=testid>
            <line x1=LEFT y1=H x2=W y2=H class="axis" />
            <text x=LEFT - 4 y="12" class="tick scale">{unit(max as u32)}</text>
            {points.iter().zip(&values).enumerate().map(|(i, (p, v))| {
                let x = LEFT + i * slot + slot / 10;
                let bars = v.iter().enumerate().map(|(k, n)| {
                    let h = *n as usize * H / max;
                    view! {
                        <rect x=x + k * bar y=H - h width=bar height=h class=format!("col s{k}")>
                            <title>{format!("{} {}: {}", p.label, names[k], unit(*n))}</title>
                        </rect>
                    }
                }).collect_view();
                view! {
                    <g>
                        {bars}
                        {(i % every == 0).then(|| view! { <text x=x y=H + 16 class="tick">{p.label.clone()}</text> })}
                    </g>
                }
            }).collect_view()}
        </svg>
        <p class="legend">
            <span class="key s0"></span>{names[0]}" "
            <span class="key s1"></span>{names[1]}
        </p>
    }
}

/// The chart's numbers as a table (also what a printout keeps).
fn figures_table(locale: Locale, s: &HistoryScreen, points: &[Point]) -> impl IntoView {
    let first = match s.view {
        HistoryView::Day => td_string!(locale, admin.history.hour),
        _ => td_string!(locale, admin.history.date),
    };
    view! {
        <section class="history-table">
            <h3>{td_string!(locale, admin.history.table)}</h3>
            <table data-testid="history-table">
                <thead><tr>
                    <th scope="col">{first}</th>
                    <th scope="col">{td_string!(locale, admin.history.issued)}</th>
                    <th scope="col">{td_string!(locale, admin.history.served)}</th>
                    <th scope="col">{td_string!(locale, admin.history.no_shows)}</th>
                    <th scope="col">{td_string!(locale, admin.history.cancelled)}</th>
                    <th scope="col">{td_string!(locale, admin.history.wait_p50)}</th>
                    <th scope="col">{td_string!(locale, admin.history.wait_p90)}</th>
                </tr></thead>
                <tbody>
                    {points.iter().enumerate().filter(|(_, p)| !p.figures.is_empty()).map(|(i, p)| {
                        let name = match s.view {
                            HistoryView::Day => td_string!(locale, admin.history.hour_of, h = p.label.clone()),
                            _ => short_date(locale, &s.period[i].0, s.period[i].1),
                        };
                        view! {
                            <tr>
                                <th scope="row">{name}</th>
                                <td>{p.figures.issued_total()}</td>
                                <td>{p.figures.served}</td>
                                <td>{p.figures.no_shows}</td>
                                <td>{p.figures.cancelled}</td>
                                <td>{wait(locale, p.figures.wait_percentile(50))}</td>
                                <td>{wait(locale, p.figures.wait_percentile(90))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Weekday × hour: the median wait of every day of that weekday in the map's dates, shaded in
/// five steps of the longest.
fn heat_map(locale: Locale, s: &HistoryScreen, hours: &[u8]) -> impl IntoView {
    let mut cells: BTreeMap<(u8, u8), HourFigures> = BTreeMap::new();
    for day in &s.history.days {
        if day.date < s.map_from || day.date > s.map_to {
            continue;
        }
        for (h, f) in &day.figures.hours {
            cells.entry((day.weekday, *h)).or_default().add(f);
        }
    }
    let median = |w: u8, h: u8| cells.get(&(w, h)).and_then(|f| f.wait_percentile(50));
    let max = cells
        .values()
        .filter_map(|f| f.wait_percentile(50))
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <section class="history-map">
            <h3>{td_string!(locale, admin.history.map_title)}</h3>
            <p class="muted">{td_string!(locale, admin.history.period, from = s.map_from.clone(), to = s.map_to.clone())}</p>
            <table class="heat-map" data-testid="heat-map">
                <thead><tr>
                    <th scope="col"><span class="visually-hidden">{td_string!(locale, admin.history.weekday_col)}</span></th>
                    {hours.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {(1..=7u8).map(|w| view! {
                        <tr>
                            <th scope="row">{weekday_name(locale, w)}</th>
                            {hours.iter().map(|h| {
                                let m = median(w, *h);
                                let step = m.map_or("none".to_owned(), |m| (m * 4).div_ceil(max).to_string());
                                view! {
                                    <td class=format!("heat heat-{step}") data-weekday=w data-hour=*h>
                                        {m.map(|m| m.to_string()).unwrap_or_default()}
                                    </td>
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">{td_string!(locale, admin.history.map_note)}</p>
        </section>
    }
}

/// The date and the same weekday of the weeks before: issued, served and waits, with a bar.
fn comparison(
    locale: Locale,
    s: &HistoryScreen,
    days: &BTreeMap<&str, &DayReport>,
) -> impl IntoView {
    let rows: Vec<(String, HourFigures)> = s
        .same_weekdays
        .iter()
        .map(|d| {
            let figures = days
                .get(d.as_str())
                .map(|r| r.figures.total())
                .unwrap_or_default();
            (d.clone(), figures)
        })
        .collect();
    let weekday = s
        .history
        .days
        .iter()
        .find(|d| d.date == s.date)
        .map(|d| d.weekday)
        .or_else(|| s.period.iter().find(|p| p.0 == s.date).map(|p| p.1))
        .unwrap_or(1);
    let max = rows
        .iter()
        .map(|(_, f)| f.issued_total())
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <section class="history-compare">
            <h3>{td_string!(locale, admin.history.compare_title, weekday = weekday_name(locale, weekday))}</h3>
            <table data-testid="history-compare">
                <thead><tr>
                    <th scope="col">{td_string!(locale, admin.history.date)}</th>
                    <th scope="col">{td_string!(locale, admin.history.issued)}</th>
                    <th scope="col" class="compare-bar"><span class="visually-hidden">{td_string!(locale, admin.history.compare_bar)}</span></th>
                    <th scope="col">{td_string!(locale, admin.history.served)}</th>
                    <th scope="col">{td_string!(locale, admin.history.wait_p50)}</th>
                    <th scope="col">{td_string!(locale, admin.history.wait_p90)}</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|(date, f)| {
                        let width = f.issued_total() * 100 / max;
                        let current = date == s.date;
                        view! {
                            <tr class:current=current>
                                <th scope="row">{short_date(locale, &date, weekday)}</th>
                                <td>{f.issued_total()}</td>
                                <td class="compare-bar">
                                    <svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                                        <rect width=width height="10" />
                                    </svg>
                                </td>
                                <td>{f.served}</td>
                                <td>{wait(locale, f.wait_percentile(50))}</td>
                                <td>{wait(locale, f.wait_percentile(90))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
