//! The day's figures: tickets per hour as an SVG bar chart, waits, no-shows, served per counter.

use crate::i18n::*;
use crate::words::{counter_name, minutes};
use leptos::prelude::*;
use domain::Analytics;

#[component]
pub fn AnalyticsPanel(analytics: Memo<Analytics>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="analytics">
            <h2>{t!(i18n, admin.stats.title)}</h2>
            <dl class="figures">
                <div><dt>{t!(i18n, admin.stats.issued)}</dt><dd data-testid="stat-issued">{move || analytics.with(|a| a.issued)}</dd></div>
                <div><dt>{t!(i18n, admin.stats.avg_wait)}</dt><dd>{move || minutes(i18n.get_locale(), analytics.with(|a| a.avg_wait_ms))}</dd></div>
                <div><dt>{t!(i18n, admin.stats.p90_wait)}</dt><dd>{move || minutes(i18n.get_locale(), analytics.with(|a| a.p90_wait_ms))}</dd></div>
                <div><dt>{t!(i18n, admin.stats.no_shows)}</dt><dd>{move || analytics.with(|a| a.no_shows)}</dd></div>
            </dl>
            <HourChart per_hour=Signal::derive(move || analytics.with(|a| a.issued_per_hour.clone())) />
            <h3>{t!(i18n, admin.stats.per_counter)}</h3>
            <ul class="per-counter">
                {move || {
                    let locale = i18n.get_locale();
                    analytics.with(|a| a.served_per_counter.clone()).into_iter().map(|(c, n)| view! {
                        <li>{td_string!(locale, admin.stats.served, counter = counter_name(locale, &c), n = n)}</li>
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
fn HourChart(per_hour: Signal<Vec<u32>>) -> impl IntoView {
    let i18n = use_i18n();
    const W: u32 = 24 * 20;
    const H: u32 = 120;
    view! {
        <svg class="hour-chart" viewBox=format!("0 0 {W} {}", H + 20) role="img"
            aria-label=move || t_string!(i18n, admin.stats.per_hour)>
            {move || {
                let data = per_hour.get();
                let max = data.iter().copied().max().unwrap_or(0).max(1);
                data.iter().enumerate().map(|(hour, n)| {
                    let h = n * H / max;
                    let x = hour as u32 * 20 + 2;
                    view! {
                        <g>
                            <title>{format!("{hour}:00 — {n}")}</title>
                            <rect x=x y=H - h width="16" height=h class="bar" />
                            {(hour % 3 == 0).then(|| view! { <text x=x y=H + 14 class="tick">{hour}</text> })}
                        </g>
                    }
                }).collect_view()
            }}
        </svg>
    }
}
