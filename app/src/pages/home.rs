//! The start page: where each screen lives. The kiosk, the board and the console have bundles of
//! their own: their links load them whole (`rel="external"`).

use crate::components::page::Page;
use crate::i18n::*;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Page class="page narrow" title=move || t!(i18n, home.title)>
            <ul class="screens">
                <li><a href="/kiosk" rel="external">{t!(i18n, home.kiosk)}</a><span>{t!(i18n, home.kiosk_about)}</span></li>
                <li><a href="/join">{t!(i18n, home.join)}</a><span>{t!(i18n, home.join_about)}</span></li>
                <li><a href="/display" rel="external">{t!(i18n, home.display)}</a><span>{t!(i18n, home.display_about)}</span></li>
                <li><a href="/admin" rel="external">{t!(i18n, home.admin)}</a><span>{t!(i18n, home.admin_about)}</span></li>
            </ul>
        </Page>
    }
}
