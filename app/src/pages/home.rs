//! The start page: where each screen lives.

use crate::components::lang_switch::{href_in, use_lang, LangSwitch};
use leptos::prelude::*;

const SCREENS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "/kiosk",
        "受付機（キオスク）",
        "Kiosk",
        "店頭のタッチパネルで整理券を発行します",
        "The touch panel in the store issues tickets",
    ),
    (
        "/join",
        "オンライン受付",
        "Remote check-in",
        "スマートフォンから整理券を取れます",
        "Take a ticket from a phone",
    ),
    (
        "/display",
        "呼び出し案内",
        "Display board",
        "テレビに呼び出し番号を表示し、音声で案内します",
        "The TV shows and announces the calls",
    ),
    (
        "/admin",
        "スタッフ画面",
        "Staff console",
        "呼び出し・完了・不在などの操作（ログインが必要）",
        "Call, recall, done, no-show (sign-in required)",
    ),
];

#[component]
pub fn HomePage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="page narrow">
            <header class="bar"><h1>"待合室 Waiting Room"</h1><LangSwitch /></header>
            <ul class="screens">
                {SCREENS.iter().map(|(path, ja, en, about_ja, about_en)| view! {
                    <li>
                        <a href=move || href_in(lang.get(), path)>{move || lang.get().pick(ja, en)}</a>
                        <span>{move || lang.get().pick(about_ja, about_en)}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
