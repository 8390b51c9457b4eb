//! The start page: where each screen lives.

use crate::components::lang_switch::{href_in, use_lang, LangSwitch};
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let lang = use_lang();
    let t = move |ja: &'static str, en: &'static str| move || lang.get().pick(ja, en);
    view! {
        <section class="page narrow">
            <header class="bar"><h1>"待合室 Waiting Room"</h1><LangSwitch /></header>
            <ul class="screens">
                <li>
                    <a href=move || href_in(lang.get(), "/kiosk")>{t("受付機（キオスク）", "Kiosk")}</a>
                    <span>{t("店頭のタッチパネルで整理券を発行します", "The touch panel in the store issues tickets")}</span>
                </li>
            </ul>
        </section>
    }
}
