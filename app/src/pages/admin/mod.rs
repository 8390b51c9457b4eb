//! The staff console (`/admin`, behind `/admin/login`): the waiting list in order and the actions
//! on it, intake, the day's reset and the day's figures.
//!
//! - `login`: sign-in and sign-out;
//! - `actions`: the console's server functions (read the day, call, act, intake, reset);
//! - `console`: the screen, kept live by the queue's events (no re-reads but after a gap);
//! - `analytics`: the day's figures and the tickets-per-hour chart;
//! - `kiosks`: make this device a kiosk, the list of kiosks and their revocation;
//! - `outbox`: the dev outbox (what would have been sent without Twilio);
//! - `contacts`: the day's SMS and calls with their latest status;
//! - `history`: 履歴, the kept figures by day, week and month, and the downloads;
//! - `accounts`: アカウント, the accounts and their roles (admins), and one's own new password;
//! - `audit`: 操作履歴, the audit trail by day, person and action, its chain checked, its CSV;
//! - `tokens`: API トークン, the tokens integrations call the API with (admins).

mod accounts;
mod actions;
mod audit;
mod analytics;
mod console;
mod contacts;
mod history;
mod kiosks;
pub mod login;
mod outbox;
mod tokens;

use crate::components::page::{Loaded, Page};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

pub use accounts::{AccountsPage, PasswordPage};
pub use audit::AuditPage;
pub use tokens::TokensPage;
pub use actions::{act, call_next, load_console, reset_day, set_intake};
pub use history::{load_history, HistoryPage, HistoryScreen, HistoryView};
pub use login::LoginPage;

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let loaded = Resource::new(move || query.read().get("queue"), load_console);
    view! {
        <Page class="console" title=move || t!(i18n, admin.title) tools=ConsoleTools>
            <Loaded resource=loaded testid="console-error" view=|c| view! { <console::ConsoleScreen initial=c /> } />
        </Page>
    }
}

/// The console's header: its pages (the queue's console, 履歴) and the sign-out buttons.
#[component]
pub fn ConsoleTools() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let path = leptos_router::hooks::use_location().pathname;
    let href = move |page: &str| match query.read().get("queue") {
        Some(q) => format!("{page}?queue={q}"),
        None => page.to_owned(),
    };
    let current = move |page: &str| (path.get() == page).then_some("page");
    view! {
        <nav class="console-nav" aria-label=move || t_string!(i18n, admin.nav)>
            <a href=move || href("/admin") aria-current=move || current("/admin")>{t!(i18n, admin.title)}</a>
            <a href=move || href("/admin/history") aria-current=move || current("/admin/history") data-testid="nav-history">
                {t!(i18n, admin.history.title)}
            </a>
            <a href="/admin/accounts" aria-current=move || current("/admin/accounts") data-testid="nav-accounts">
                {t!(i18n, admin.accounts.title)}
            </a>
            <a href="/admin/audit" aria-current=move || current("/admin/audit") data-testid="nav-audit">
                {t!(i18n, admin.audit.title)}
            </a>
            <a href="/admin/tokens" aria-current=move || current("/admin/tokens") data-testid="nav-tokens">
                {t!(i18n, admin.tokens.title)}
            </a>
        </nav>
        <login::SignOut />
    }
}
