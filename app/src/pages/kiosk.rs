//! The kiosk (`/kiosk`): the touch panel in the store with the big 「受付」 button.

use crate::components::lang_switch::{use_lang, LangSwitch};
use crate::components::ticket_slip::{TicketSlip, TicketSlipData};
use crate::error::AppError;
use crate::live::use_live_queue;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use waitingroom::{Intake, QueueInfo, QueueSnapshot};

/// How long the issued ticket stays on screen before the kiosk is ready for the next customer.
const SHOW_TICKET_FOR: Duration = Duration::from_secs(30);
/// After an error, how long before the kiosk tries to load the queues again.
#[cfg(feature = "hydrate")]
const RETRY_AFTER: Duration = Duration::from_secs(3);

/// The queues the kiosk offers, each with its current snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KioskSetup {
    pub queues: Vec<(QueueInfo, QueueSnapshot)>,
}

/// `queue`: offer only this queue (a kiosk per service); all configured queues when absent.
#[server(endpoint = "kiosk/setup")]
pub async fn load_kiosk(queue: Option<String>) -> Result<KioskSetup, AppError> {
    let room = crate::server_ctx::room()?;
    let infos: Vec<QueueInfo> = match queue {
        Some(raw) => vec![room.queue(&raw)?.clone()],
        None => room.queues().to_vec(),
    };
    let mut queues = Vec::with_capacity(infos.len());
    for info in infos {
        let snapshot = room.snapshot(&info.id).await?;
        queues.push((info, snapshot));
    }
    Ok(KioskSetup { queues })
}

/// Issues the next number of `queue` to a customer at the kiosk.
#[server(endpoint = "kiosk/issue_ticket")]
pub async fn issue_ticket(queue: String) -> Result<TicketSlipData, AppError> {
    let room = crate::server_ctx::room()?;
    let info = room.queue(&queue)?.clone();
    let ticket = room
        .issue_ticket(&info, waitingroom::Channel::Kiosk)
        .await?;
    let url =
        waitingroom::services::ticket_url(&crate::server_ctx::base_url(&room).await, &ticket.token);
    Ok(TicketSlipData {
        url,
        queue: info,
        ticket,
    })
}

#[component]
pub fn KioskPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let setup = Resource::new(move || query.read().get("queue"), load_kiosk);
    view! {
        <section class="kiosk">
            <header class="bar">
                <h1>{move || lang.get().pick("受付", "Reception")}</h1>
                <LangSwitch />
            </header>
            <Transition fallback=move || {
                view! { <p class="loading">{move || lang.get().pick("読み込み中…", "Loading…")}</p> }
            }>
                {move || Suspend::new(async move {
                    match setup.await {
                        Ok(setup) => view! { <KioskScreen setup /> }.into_any(),
                        Err(error) => {
                            // Redis may be back in a moment: try again without a reload.
                            #[cfg(feature = "hydrate")]
                            set_timeout(move || setup.refetch(), RETRY_AFTER);
                            view! { <p class="error" role="alert">{move || error.message(lang.get())}</p> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn KioskScreen(setup: KioskSetup) -> impl IntoView {
    let lang = use_lang();
    let issue = ServerAction::<IssueTicket>::new();
    let result = issue.value();
    // Back to the idle screen by itself, unless another ticket was issued meanwhile.
    Effect::new(move |_| {
        if result.with(|r| r.is_some()) {
            let version = issue.version().get_untracked();
            set_timeout(
                move || {
                    if issue.version().get_untracked() == version {
                        result.set(None);
                    }
                },
                SHOW_TICKET_FOR,
            );
        }
    });
    let several = setup.queues.len() > 1;
    let buttons = setup
        .queues
        .into_iter()
        .map(|(info, initial)| view! { <QueueButton info initial issue show_name=several /> })
        .collect_view();

    view! {
        <div class="kiosk-screen">
            {move || match result.get() {
                Some(Ok(slip)) => {
                    view! {
                        <div class="issued-wrap">
                            <TicketSlip slip />
                            <div class="slip-actions no-print">
                                <button type="button" class="big-secondary" on:click=move |_| print_page()>
                                    {move || lang.get().pick("印刷する", "Print")}
                                </button>
                                <button type="button" class="big-secondary" on:click=move |_| result.set(None)>
                                    {move || lang.get().pick("とじる", "Close")}
                                </button>
                            </div>
                        </div>
                    }
                        .into_any()
                }
                other => {
                    let error = other.and_then(Result::err);
                    view! {
                        {several.then(|| view! {
                            <p class="kiosk-prompt">{move || lang.get().pick("ご用件をお選びください", "Please choose a service")}</p>
                        })}
                        {error.map(|e| view! { <p class="error" role="alert">{move || e.message(lang.get())}</p> })}
                    }
                        .into_any()
                }
            }}
            // the buttons stay mounted (and live) while a ticket is shown
            <div class="queue-buttons" class:hidden=move || matches!(result.get(), Some(Ok(_)))>
                {buttons}
            </div>
        </div>
    }
}

#[component]
fn QueueButton(
    info: QueueInfo,
    initial: QueueSnapshot,
    issue: ServerAction<IssueTicket>,
    show_name: bool,
) -> impl IntoView {
    let lang = use_lang();
    let live = use_live_queue(initial);
    let waiting = move || live.snapshot.with(|s| s.waiting.len());
    let intake = move || live.snapshot.with(|s| s.intake);
    let info_name = info.clone();
    let name = move || info_name.name(lang.get()).to_owned();
    let queue_field = StoredValue::new(info.id.to_string());
    let big_name = StoredValue::new(info.name_ja.clone());
    let big_name_en = StoredValue::new(info.name_en.clone());
    view! {
        <div class="queue-choice" data-live=move || live.status() data-queue=info.id.to_string()>
            <p class="waiting" aria-live="polite">
                {show_name.then(|| view! { <span class="queue-name">{name.clone()}</span> })}
                <span class="label">{move || lang.get().pick("お待ちの方", "People waiting")}</span>
                <span class="count" data-testid="waiting-count">{waiting}</span>
                <span class="unit">{move || lang.get().pick("人", "")}</span>
            </p>
            <Show when=move || live.connected.get() == Some(false)>
                <p class="offline" role="status">{move || lang.get().pick("再接続しています…", "Reconnecting…")}</p>
            </Show>
            <Show
                when=move || intake() != Intake::Paused
                fallback=move || view! {
                    <p class="paused" role="status">{move || lang.get().pick("ただいま受付を停止しています", "We are not taking tickets right now")}</p>
                }
            >
                <ActionForm action=issue>
                    <input type="hidden" name="queue" value=queue_field.get_value() />
                    <button type="submit" class="issue-button" disabled=move || issue.pending().get()>
                        <span class="big">
                            {move || if show_name {
                                lang.get().pick(&big_name.get_value(), &big_name_en.get_value()).to_owned()
                            } else {
                                "受付".to_owned()
                            }}
                        </span>
                        <span class="small">
                            {move || lang.get().pick("ボタンを押して整理券をお取りください", "Press to take a number")}
                        </span>
                    </button>
                </ActionForm>
            </Show>
        </div>
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().print();
    }
}
