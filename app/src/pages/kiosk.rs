//! The kiosk (`/kiosk`): the touch panel in the store with the big 「受付」 button.

use crate::components::page::{failure, ErrorText, Loaded, Page};
use crate::components::ticket_slip::{TicketSlip, TicketSlipData};
use crate::error::AppError;
use domain::Problem;
use crate::i18n::*;
use crate::live::use_live;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use domain::{Intake, QueueInfo, QueueSnapshot};

/// How long the issued ticket stays on screen before the kiosk is ready for the next customer.
const SHOW_TICKET_FOR: Duration = Duration::from_secs(30);

/// The queues the kiosk offers, each with its current snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KioskSetup {
    pub queues: Vec<(QueueInfo, QueueSnapshot)>,
}

/// `queue`: offer only this queue (a kiosk per service); all configured queues when absent.
#[server(endpoint = "kiosk/setup")]
pub async fn load_kiosk(queue: Option<String>) -> Result<KioskSetup, AppError> {
    let room = crate::ssr::room()?;
    crate::ssr::admit::<waitingroom::services::devices::KioskDevice>().await?;
    let infos: Vec<QueueInfo> = match queue {
        Some(raw) => vec![room.setup().queue(&raw)?.clone()],
        None => room.setup().queues.to_vec(),
    };
    let mut queues = Vec::with_capacity(infos.len());
    for info in infos {
        let snapshot = room.desk().snapshot(&info.id).await?;
        queues.push((info, snapshot));
    }
    Ok(KioskSetup { queues })
}

/// Issues the next number of `queue` to a customer at the kiosk, in the kiosk's language; only
/// a kiosk staff set up may, within its limit per minute.
#[server(endpoint = "kiosk/issue_ticket")]
pub async fn issue_ticket(queue: String) -> Result<TicketSlipData, AppError> {
    let room = crate::ssr::room()?;
    let kiosk = crate::ssr::admit::<waitingroom::services::devices::KioskDevice>().await?;
    let info = room.setup().queue(&queue)?.clone();
    let ticket = room
        .issuing().issue_at_kiosk(&kiosk, &info, crate::ssr::lang())
        .await?;
    Ok(TicketSlipData {
        queue: info,
        ticket,
    })
}

#[component]
pub fn KioskPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let setup = Resource::new(move || query.read().get("queue"), load_kiosk);
    view! {
        <Page class="kiosk" title=move || t!(i18n, kiosk.title)>
            // nobody reloads a kiosk: when Redis is back, it comes back by itself
            <Loaded
                resource=setup
                retry=true
                view=|setup| view! { <KioskScreen setup /> }
                otherwise=Callback::new(|error| match error {
                    AppError(Problem::NotAKiosk) => view! { <NotAKiosk /> }.into_any(),
                    _ => ().into_any(),
                })
            />
        </Page>
    }
}

#[component]
fn KioskScreen(setup: KioskSetup) -> impl IntoView {
    let i18n = use_i18n();
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
                                    {t!(i18n, kiosk.print)}
                                </button>
                                <button type="button" class="big-secondary" on:click=move |_| result.set(None)>
                                    {t!(i18n, kiosk.close)}
                                </button>
                            </div>
                        </div>
                    }
                        .into_any()
                }
                other => {
                    view! {
                        {several.then(|| view! { <p class="kiosk-prompt">{t!(i18n, kiosk.choose)}</p> })}
                        {failure(other).map(|error| view! { <ErrorText error /> })}
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
    let i18n = use_i18n();
    let live = use_live(initial);
    let shown = live.view();
    let waiting = move || shown.with(|s| s.waiting.len());
    let intake = move || shown.with(|s| s.intake);
    let lang = move || crate::components::lang_menu::to_lang(i18n.get_locale());
    let name = StoredValue::new(info.clone());
    view! {
        <div class="queue-choice" data-live=move || live.status() data-queue=info.id.to_string()>
            <p class="waiting" aria-live="polite">
                {show_name.then(|| view! { <span class="queue-name">{move || name.with_value(|q| q.name(lang()).to_owned())}</span> })}
                <span class="label">{t!(i18n, kiosk.waiting)}</span>
                <span class="count" data-testid="waiting-count">{waiting}</span>
            </p>
            <Show when=move || live.connected() == Some(false)>
                <p class="offline" role="status">{t!(i18n, common.reconnecting)}</p>
            </Show>
            <Show
                when=move || intake() != Intake::Paused
                fallback=move || view! { <p class="paused" role="status">{t!(i18n, kiosk.paused)}</p> }
            >
                <ActionForm action=issue>
                    <input type="hidden" name="queue" value=name.with_value(|q| q.id.to_string()) />
                    <button type="submit" class="issue-button" disabled=move || issue.pending().get()>
                        <span class="big">
                            {move || if show_name {
                                name.with_value(|q| q.name(lang()).to_owned())
                            } else {
                                t_string!(i18n, kiosk.button).to_owned()
                            }}
                        </span>
                        <span class="small">{t!(i18n, kiosk.press)}</span>
                    </button>
                </ActionForm>
            </Show>
        </div>
    }
}

/// What a browser that is not a kiosk sees at `/kiosk`: how staff set one up, and where a
/// customer takes a ticket instead.
#[component]
fn NotAKiosk() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="kiosk-help" data-testid="not-a-kiosk">
            <h2>{t!(i18n, kiosk.not_set_up_title)}</h2>
            <p>{t!(i18n, kiosk.not_set_up)}</p>
            <p><a href="/admin/login">{t!(i18n, kiosk.sign_in)}</a></p>
            <p>{t!(i18n, kiosk.go_join)}</p>
            <p><a class="button primary" href="/join">{t!(i18n, kiosk.join)}</a></p>
        </div>
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().print();
    }
}
