//! The language of every screen and the menu of the four languages shown on each of them.
//!
//! The language comes from the menu (a cookie set by `/lang/{code}`), else the browser's
//! `Accept-Language`, else Japanese (leptos_i18n resolves it; the server route sets the cookie).

use crate::i18n::*;
use domain::Lang;
use leptos::prelude::*;

/// The name of the language cookie (leptos_i18n's default), also set by the server's `/lang/{code}`.
pub const LANG_COOKIE: &str = "i18n_pref_locale";

/// The domain's language of a locale (for what the server keeps with a ticket, speech voices).
pub fn to_lang(locale: Locale) -> Lang {
    Lang::parse(locale.as_str()).unwrap_or_default()
}

/// The locale of a domain language (what a ticket's SMS are written in).
pub fn to_locale(lang: Lang) -> Locale {
    Locale::get_all()
        .iter()
        .copied()
        .find(|l| l.as_str() == lang.code())
        .unwrap_or_default()
}

/// A menu of the four languages, each named in itself; works without JavaScript (plain links to
/// `/lang/{code}`, which remember the choice and come back to this page).
#[component]
pub fn LangMenu() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <details class="lang-menu">
            <summary>
                <svg class="lang-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <circle cx="12" cy="12" r="10" />
                    <path d="M2 12h20M12 2a15 15 0 0 1 0 20M12 2a15 15 0 0 0 0 20" />
                </svg>
                <span class="visually-hidden">{t!(i18n, common.language)}": "</span>
                {move || td_string!(i18n.get_locale(), lang_name)}
            </summary>
            <ul>
                {Locale::get_all()
                    .iter()
                    .map(|locale| {
                        let locale = *locale;
                        view! {
                            <li>
                                <a
                                    href=format!("/lang/{}", locale.as_str())
                                    rel="external"
                                    hreflang=locale.as_str()
                                    lang=locale.as_str()
                                    aria-current=move || (i18n.get_locale() == locale).then_some("true")
                                    data-lang=locale.as_str()
                                >
                                    {td_string!(locale, lang_name)}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}
