//! The ticket as the kiosk shows and prints it: number, people ahead, estimated wait, fortune
//! and the QR code of the ticket's page.

use crate::i18n::*;
use crate::words::{fortune_message, fortune_rank, people, wait_text};
use domain::{Fortune, IssuedTicket, QueueInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketSlipData {
    pub ticket: IssuedTicket,
    /// The ticket's page is `/t/{token}`, shown only as its QR code (`/t/{token}/qr.svg`).
    pub queue: QueueInfo,
}

#[component]
pub fn TicketSlip(slip: TicketSlipData) -> impl IntoView {
    let i18n = use_i18n();
    let fortune = Fortune::of(&slip.ticket.token);
    let ahead = slip.ticket.people_ahead;
    let wait = slip.ticket.estimated_wait_ms;
    let queue = slip.queue.clone();
    let lang = move || crate::components::lang_menu::to_lang(i18n.get_locale());
    view! {
        <article class="ticket-slip" aria-live="assertive">
            <p class="slip-queue">{move || queue.name(lang()).to_owned()}</p>
            <p class="slip-label">{t!(i18n, slip.your_number)}</p>
            <p class="slip-number" data-testid="issued-number">{slip.ticket.label.clone()}</p>
            <dl class="slip-facts">
                <div>
                    <dt>{t!(i18n, common.ahead)}</dt>
                    <dd data-testid="people-ahead">{move || people(i18n.get_locale(), ahead)}</dd>
                </div>
                <div>
                    <dt>{t!(i18n, common.estimated_wait)}</dt>
                    <dd>{move || wait_text(i18n.get_locale(), wait)}</dd>
                </div>
            </dl>
            <div class="fortune">
                <p class="fortune-title">
                    {t!(i18n, slip.fortune)} ": "
                    <strong data-testid="fortune-rank">{move || fortune_rank(i18n.get_locale(), fortune.rank)}</strong>
                </p>
                <p class="fortune-message">{move || fortune_message(i18n.get_locale(), fortune)}</p>
            </div>
            <figure class="qr">
                <img class="qr-code" src=format!("/t/{}/qr.svg", slip.ticket.token) width="160" height="160"
                    alt=move || t_string!(i18n, slip.qr_alt) />
                <figcaption>{t!(i18n, slip.qr_caption)}</figcaption>
            </figure>
        </article>
    }
}
