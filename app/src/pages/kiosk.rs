//! The kiosk (`/kiosk`): the touch panel in the store with the big 「受付」 button.

use crate::components::lang_switch::{use_lang, LangSwitch};
use crate::error::AppError;
use crate::live::{newest, use_live_queue};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::time::Duration;
use waitingroom::{IssuedTicket, QueueSnapshot};

/// How long the issued number stays on screen before the kiosk is ready for the next customer.
const SHOW_TICKET_FOR: Duration = Duration::from_secs(20);
/// After an error, how long before the kiosk tries to load the queue again.
#[cfg(feature = "hydrate")]
const RETRY_AFTER: Duration = Duration::from_secs(3);

/// The queue as it is now (`queue`: its id; the installation's first queue when absent).
#[server(endpoint = "kiosk/queue_snapshot")]
pub async fn get_queue_snapshot(queue: Option<String>) -> Result<QueueSnapshot, AppError> {
    let room = use_context::<waitingroom::services::WaitingRoom>().ok_or(AppError::Unavailable)?;
    let queue = match queue {
        Some(raw) => room.queue(&raw)?,
        None => room.default_queue().clone(),
    };
    Ok(room.snapshot(&queue).await?)
}

/// Issues the next number of `queue` to a customer at the kiosk.
#[server(endpoint = "kiosk/issue_ticket")]
pub async fn issue_ticket(queue: String) -> Result<IssuedTicket, AppError> {
    let room = use_context::<waitingroom::services::WaitingRoom>().ok_or(AppError::Unavailable)?;
    let queue = room.queue(&queue)?;
    Ok(room
        .issue_ticket(&queue, waitingroom::Channel::Kiosk)
        .await?)
}

#[component]
pub fn KioskPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let snapshot = Resource::new(
        move || query.read().get("queue"),
        get_queue_snapshot,
    );
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
                    match snapshot.await {
                        Ok(initial) => view! { <KioskScreen initial /> }.into_any(),
                        Err(error) => {
                            // Redis may be back in a moment: try again without a reload.
                            #[cfg(feature = "hydrate")]
                            set_timeout(move || snapshot.refetch(), RETRY_AFTER);
                            view! {
                                <p class="error" role="alert">{move || error.message(lang.get())}</p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn KioskScreen(initial: QueueSnapshot) -> impl IntoView {
    let lang = use_lang();
    let queue = initial.queue.clone();
    let live = use_live_queue(queue.clone());
    let queue_field = queue.to_string();
    let shown = Memo::new(move |_| newest(Some(initial.clone()), live.snapshot.get()));
    let waiting = move || shown.get().map(|s| s.waiting).unwrap_or(0);

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

    let live_state = move || match live.connected.get() {
        None => "pending",
        Some(true) => "open",
        Some(false) => "lost",
    };

    view! {
        <div class="kiosk-screen" data-live=live_state>
            <p class="waiting" aria-live="polite">
                <span class="label">{move || lang.get().pick("お待ちの方", "People waiting")}</span>
                <span class="count" data-testid="waiting-count">{waiting}</span>
                <span class="unit">{move || lang.get().pick("人", "")}</span>
            </p>
            <Show when=move || live.connected.get() == Some(false)>
                <p class="offline" role="status">
                    {move || lang.get().pick("再接続しています…", "Reconnecting…")}
                </p>
            </Show>
            {move || match result.get() {
                Some(Ok(ticket)) => view! { <IssuedCard ticket on_close=move || result.set(None) /> }.into_any(),
                other => {
                    let error = other.and_then(Result::err);
                    let queue_field = queue_field.clone();
                    view! {
                        <ActionForm action=issue>
                            <input type="hidden" name="queue" value=queue_field />
                            <button
                                type="submit"
                                class="issue-button"
                                disabled=move || issue.pending().get()
                            >
                                <span class="big">"受付"</span>
                                <span class="small">
                                    {move || lang.get().pick("ボタンを押して整理券をお取りください", "Press to take a number")}
                                </span>
                            </button>
                        </ActionForm>
                        {error.map(|e| view! { <p class="error" role="alert">{move || e.message(lang.get())}</p> })}
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn IssuedCard(ticket: IssuedTicket, on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let lang = use_lang();
    let number = ticket.number;
    let ahead = ticket.people_ahead;
    view! {
        <div class="issued" role="status" aria-live="assertive">
            <p class="issued-label">{move || lang.get().pick("受付番号", "Your number")}</p>
            <p class="issued-number" data-testid="issued-number">{number}</p>
            <p class="issued-ahead">
                {move || match lang.get() {
                    waitingroom::Lang::Ja => format!("あなたの前に {ahead} 人お待ちです"),
                    waitingroom::Lang::En => format!("{ahead} ahead of you"),
                }}
            </p>
            <button type="button" class="done-button" on:click=move |_| on_close()>
                {move || lang.get().pick("とじる", "Close")}
            </button>
        </div>
    }
}
