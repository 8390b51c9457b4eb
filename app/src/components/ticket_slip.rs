//! The ticket as the kiosk shows and prints it: number, people ahead, estimated wait, fortune
//! and the QR code of the ticket's page.

use crate::components::lang_switch::use_lang;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use waitingroom::{minutes_ceil, Fortune, IssuedTicket, Lang, QueueInfo};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketSlipData {
    pub ticket: IssuedTicket,
    pub queue: QueueInfo,
    /// The ticket's page (`/t/{token}`); its QR code is `/t/{token}/qr.svg`.
    pub url: String,
}

/// "About 15 min" / "約15分", or "—" while there is not enough data.
pub fn wait_text(lang: Lang, ms: Option<u64>) -> String {
    match (ms.map(minutes_ceil), lang) {
        (None, _) => "—".to_owned(),
        (Some(0), Lang::Ja) => "まもなく".to_owned(),
        (Some(0), Lang::En) => "any moment".to_owned(),
        (Some(m), Lang::Ja) => format!("約{m}分"),
        (Some(m), Lang::En) => format!("about {m} min"),
    }
}

#[component]
pub fn TicketSlip(slip: TicketSlipData) -> impl IntoView {
    let lang = use_lang();
    let fortune = Fortune::of(&slip.ticket.token);
    let ahead = slip.ticket.people_ahead;
    let wait = slip.ticket.estimated_wait_ms;
    let queue = slip.queue.clone();
    view! {
        <article class="ticket-slip" aria-live="assertive">
            <p class="slip-queue">{move || queue.name(lang.get()).to_owned()}</p>
            <p class="slip-label">{move || lang.get().pick("受付番号", "Your number")}</p>
            <p class="slip-number" data-testid="issued-number">{slip.ticket.label.clone()}</p>
            <dl class="slip-facts">
                <div>
                    <dt>{move || lang.get().pick("前にお待ちの方", "Ahead of you")}</dt>
                    <dd data-testid="people-ahead">
                        {move || match lang.get() {
                            Lang::Ja => format!("{ahead}人"),
                            Lang::En => ahead.to_string(),
                        }}
                    </dd>
                </div>
                <div>
                    <dt>{move || lang.get().pick("待ち時間の目安", "Estimated wait")}</dt>
                    <dd>{move || wait_text(lang.get(), wait)}</dd>
                </div>
            </dl>
            <div class="fortune">
                <p class="fortune-title">
                    {move || lang.get().pick("今日の運勢", "Today's fortune")} ": "
                    <strong data-testid="fortune-rank">{move || fortune.rank.name(lang.get())}</strong>
                </p>
                <p class="fortune-message">{move || fortune.message(lang.get())}</p>
            </div>
            <figure class="qr">
                <img class="qr-code" src=format!("/t/{}/qr.svg", slip.ticket.token) width="160" height="160"
                    alt=move || lang.get().pick("整理券ページのQRコード", "QR code of your ticket page") />
                <figcaption>
                    {move || lang.get().pick("スマートフォンで読み取ると、順番をどこでも確認できます", "Scan to follow your turn on your phone")}
                </figcaption>
                <a class="qr-link no-print" href=slip.url.clone() data-testid="ticket-link">{slip.url.clone()}</a>
            </figure>
        </article>
    }
}
