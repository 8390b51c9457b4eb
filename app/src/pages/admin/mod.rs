//! The staff console (`/admin`, behind `/admin/login`): the waiting list in order and the actions
//! on it, intake, the day's reset and the day's figures.
//!
//! - `login`: sign-in and sign-out;
//! - `actions`: the console's server functions (read the day, call, act, intake, reset);
//! - `console`: the screen, kept live by the queue's events (no re-reads but after a gap);
//! - `analytics`: the day's figures and the tickets-per-hour chart;
//! - `kiosks`: make this device a kiosk, the list of kiosks and their revocation;
//! - `outbox`: the dev outbox (what would have been sent without Twilio);
//! - `contacts`: the day's SMS and calls with their latest status.

mod actions;
mod analytics;
mod console;
mod contacts;
mod kiosks;
pub mod login;
mod outbox;

use crate::components::page::{Loaded, Page};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

pub use actions::{act, call_next, load_console, reset_day, set_intake};
pub use login::LoginPage;

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let loaded = Resource::new(move || query.read().get("queue"), load_console);
    view! {
        <Page class="console" title=move || t!(i18n, admin.title) tools=login::SignOut>
            <Loaded resource=loaded testid="console-error" view=|c| view! { <console::ConsoleScreen initial=c /> } />
        </Page>
    }
}
