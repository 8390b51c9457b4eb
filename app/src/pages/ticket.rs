//! The customer's ticket page (`/t/{token}`): state, people ahead, estimated wait, live; the call
//! to a counter, with sound and vibration; cancel with confirmation (works without WASM too).

use crate::components::lang_switch::{href_in, use_lang, LangSwitch};
use crate::components::ticket_slip::wait_text;
use crate::error::AppError;
use crate::live::use_live_queue;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use waitingroom::{
    counter_name, estimated_wait_ms, CounterId, Lang, QueueInfo, QueueSnapshot, Ticket, TicketState,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    pub ticket: Ticket,
    pub queue: QueueInfo,
    pub snapshot: QueueSnapshot,
    pub counters: usize,
}

#[cfg(feature = "ssr")]
fn parse_token(raw: &str) -> Result<waitingroom::TicketToken, AppError> {
    waitingroom::TicketToken::parse(raw).map_err(|_| AppError::TicketNotFound)
}

#[server(endpoint = "ticket/view")]
pub async fn load_ticket(token: String) -> Result<TicketView, AppError> {
    let room = crate::server_ctx::room()?;
    let ticket = room
        .ticket_by_token(&parse_token(&token)?)
        .await?
        .ok_or(AppError::TicketNotFound)?;
    let queue = room.queue(ticket.queue.as_str())?.clone();
    let snapshot = room.snapshot(&queue.id).await?;
    Ok(TicketView {
        ticket,
        queue,
        snapshot,
        counters: room.counters().len(),
    })
}

#[server(endpoint = "ticket/cancel")]
pub async fn cancel_ticket(token: String) -> Result<TicketState, AppError> {
    let room = crate::server_ctx::room()?;
    let ticket = room.cancel_by_token(&parse_token(&token)?).await?;
    Ok(ticket.state)
}

#[component]
pub fn TicketPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let view_res = Resource::new(token, load_ticket);
    view! {
        <section class="page narrow ticket-page">
            <header class="bar">
                <h1>{move || lang.get().pick("整理券", "Your ticket")}</h1>
                <LangSwitch />
            </header>
            <Transition fallback=move || view! { <p class="loading">{move || lang.get().pick("読み込み中…", "Loading…")}</p> }>
                {move || Suspend::new(async move {
                    match view_res.await {
                        Ok(v) => view! { <TicketScreen view=v refetch=move || view_res.refetch() /> }.into_any(),
                        Err(error) => {
                            #[cfg(feature = "ssr")]
                            if error == AppError::TicketNotFound {
                                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                                    response.set_status(axum::http::StatusCode::NOT_FOUND);
                                }
                            }
                            view! {
                                <p class="error" role="alert" data-testid="ticket-error">{move || error.message(lang.get())}</p>
                                <p><a href=move || href_in(lang.get(), "/join")>{move || lang.get().pick("整理券を取る", "Take a ticket")}</a></p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// Where the ticket is, as the live queue shows it.
#[derive(Clone, Debug, PartialEq)]
enum Place {
    Waiting(usize),
    AtCounter(CounterId),
    Gone,
}

fn state_text(state: TicketState, lang: Lang) -> &'static str {
    match state {
        TicketState::Waiting => lang.pick("お待ちください", "Waiting"),
        TicketState::Called => lang.pick("お呼びしています", "It's your turn"),
        TicketState::Done => lang.pick("ご利用ありがとうございました", "Done — thank you"),
        TicketState::Cancelled => lang.pick("キャンセルしました", "Cancelled"),
        TicketState::NoShow => lang.pick(
            "不在のため呼び出しを終了しました",
            "Missed — you were not there when called",
        ),
    }
}

#[component]
fn TicketScreen(
    view: TicketView,
    refetch: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let lang = use_lang();
    let TicketView {
        ticket,
        queue,
        snapshot,
        counters,
    } = view;
    let number = ticket.number;
    let token = StoredValue::new(ticket.token.to_string());
    let live = use_live_queue(snapshot);
    let shown = live.snapshot;
    let place = Memo::new(move |_| {
        let s = shown.get();
        match (s.people_ahead(number), s.counter_of(number)) {
            (Some(ahead), _) => Place::Waiting(ahead),
            (None, Some(counter)) => Place::AtCounter(counter.clone()),
            (None, None) => Place::Gone,
        }
    });
    // When the ticket leaves line and counters, read its final state (done, no-show, cancelled).
    Effect::new(move |previous: Option<Place>| {
        let now = place.get();
        if previous.is_some_and(|p| p != now) && now == Place::Gone {
            refetch();
        }
        now
    });
    let state = move || match place.get() {
        Place::Waiting(_) => TicketState::Waiting,
        Place::AtCounter(_) => TicketState::Called,
        // until the final state is read, the last one known
        Place::Gone => ticket.state,
    };
    let ahead = move || match place.get() {
        Place::Waiting(a) => Some(a),
        _ => None,
    };
    let wait =
        move || ahead().and_then(|a| estimated_wait_ms(a, shown.get().avg_service_ms, counters));
    let counter = move || match place.get() {
        Place::AtCounter(c) => Some(c),
        _ => None,
    };

    // Sound and vibration when called (where the browser allows).
    Effect::new(move |was_called: Option<bool>| {
        let called = counter().is_some();
        if called && was_called == Some(false) {
            crate::sound::alert_called();
        }
        called
    });

    let cancel = ServerAction::<CancelTicket>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = cancel.value().get() {
            refetch();
        }
    });
    let queue_name = queue.name_ja.clone();
    let queue_en = queue.name_en.clone();
    let label = queue.label(number);

    view! {
        <article class="ticket" data-state=move || state().as_str() data-live=move || live.status()>
            <p class="ticket-queue">{move || lang.get().pick(&queue_name, &queue_en).to_owned()}</p>
            <p class="ticket-label">{move || lang.get().pick("受付番号", "Number")}</p>
            <p class="ticket-number" data-testid="ticket-number">{label}</p>
            <p class="ticket-state" data-testid="ticket-state" role="status" aria-live="assertive">
                {move || state_text(state(), lang.get())}
            </p>
            {move || counter().map(|c| view! {
                <p class="call-banner" data-testid="call-banner" role="alert">
                    {match lang.get() {
                        Lang::Ja => format!("{}へお越しください", counter_name(&c, Lang::Ja)),
                        Lang::En => format!("Please come to {}", counter_name(&c, Lang::En)),
                    }}
                </p>
            })}
            {move || ahead().map(|a| view! {
                <dl class="ticket-facts">
                    <div>
                        <dt>{move || lang.get().pick("前にお待ちの方", "Ahead of you")}</dt>
                        <dd data-testid="people-ahead">{move || match lang.get() { Lang::Ja => format!("{a}人"), Lang::En => a.to_string() }}</dd>
                    </div>
                    <div>
                        <dt>{move || lang.get().pick("待ち時間の目安", "Estimated wait")}</dt>
                        <dd data-testid="estimated-wait">{move || wait_text(lang.get(), wait())}</dd>
                    </div>
                </dl>
            })}
            <Show when=move || live.connected.get() == Some(false)>
                <p class="offline" role="status">{move || lang.get().pick("再接続しています…", "Reconnecting…")}</p>
            </Show>
            <Show when=move || state().is_active()>
                <details class="cancel">
                    <summary>{move || lang.get().pick("整理券をキャンセルする", "Cancel my ticket")}</summary>
                    <p>{move || lang.get().pick("キャンセルすると順番は戻せません。よろしいですか？", "Your place in line cannot be restored. Are you sure?")}</p>
                    <ActionForm action=cancel>
                        <input type="hidden" name="token" value=token.get_value() />
                        <button type="submit" class="danger" disabled=move || cancel.pending().get()>
                            {move || lang.get().pick("はい、キャンセルします", "Yes, cancel my ticket")}
                        </button>
                    </ActionForm>
                    {move || cancel.value().get().and_then(Result::err).map(|e| view! {
                        <p class="error" role="alert">{move || e.message(lang.get())}</p>
                    })}
                </details>
            </Show>
        </article>
    }
}
