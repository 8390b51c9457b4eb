//! Remote check-in (`/join`): take a ticket from a phone without coming to the store. The session
//! remembers the tickets taken, so reopening the page shows them.

use crate::components::lang_switch::{href_in, use_lang, LangSwitch};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use waitingroom::{Intake, Lang, QueueInfo, TicketState};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyTicket {
    pub label: String,
    pub queue_name_ja: String,
    pub queue_name_en: String,
    pub state: TicketState,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinView {
    pub queues: Vec<(QueueInfo, Intake, usize)>,
    pub mine: Vec<MyTicket>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::server_ctx::{session, TICKETS_KEY};
    use waitingroom::services::WaitingRoom;
    use waitingroom::{Ticket, TicketToken};

    /// The tickets this session took that still exist today.
    pub async fn my_tickets(room: &WaitingRoom) -> Result<Vec<Ticket>, AppError> {
        let session = session().await?;
        let tokens: Vec<TicketToken> = session
            .get(TICKETS_KEY)
            .await
            .map_err(|_| AppError::Unavailable)?
            .unwrap_or_default();
        let mut tickets = Vec::new();
        for token in tokens {
            if let Some(ticket) = room.ticket_by_token(&token).await? {
                tickets.push(ticket);
            }
        }
        Ok(tickets)
    }

    /// A random id of this browser, kept in its session, for the per-client limits.
    pub async fn client_id() -> Result<String, AppError> {
        let session = session().await?;
        if let Some(id) = session
            .get::<String>("client")
            .await
            .map_err(|_| AppError::Unavailable)?
        {
            return Ok(id);
        }
        let id = waitingroom::services::random_token().to_string();
        session
            .insert("client", &id)
            .await
            .map_err(|_| AppError::Unavailable)?;
        Ok(id)
    }
}

#[server(endpoint = "join/view")]
pub async fn load_join() -> Result<JoinView, AppError> {
    let room = crate::server_ctx::room()?;
    let mut queues = Vec::new();
    for info in room.queues() {
        let s = room.snapshot(&info.id).await?;
        queues.push((info.clone(), s.intake, s.waiting.len()));
    }
    let base = crate::server_ctx::base_url(&room).await;
    let mine = ssr::my_tickets(&room)
        .await?
        .into_iter()
        .filter(|t| t.state.is_active())
        .filter_map(|t| {
            let info = room.queue(t.queue.as_str()).ok()?;
            Some(MyTicket {
                label: info.label(t.number),
                queue_name_ja: info.name_ja.clone(),
                queue_name_en: info.name_en.clone(),
                state: t.state,
                url: waitingroom::services::ticket_url(&base, &t.token),
            })
        })
        .collect();
    Ok(JoinView { queues, mine })
}

/// Takes a ticket of `queue` for this browser and goes to its page (in language `lang`).
#[server(endpoint = "join/take")]
pub async fn take_ticket(queue: String, lang: Option<String>) -> Result<String, AppError> {
    let room = crate::server_ctx::room()?;
    let info = room.queue(&queue)?.clone();
    let active = ssr::my_tickets(&room)
        .await?
        .iter()
        .filter(|t| t.state.is_active())
        .count() as u32;
    let client = ssr::client_id().await?;
    let ticket = room
        .issue_limited(
            &info,
            waitingroom::Channel::Remote,
            &format!("s:{client}"),
            active,
        )
        .await?;
    let session = crate::server_ctx::session().await?;
    let mut tokens: Vec<waitingroom::TicketToken> = session
        .get(crate::server_ctx::TICKETS_KEY)
        .await
        .map_err(|_| AppError::Unavailable)?
        .unwrap_or_default();
    tokens.push(ticket.token.clone());
    // keep the session small: the latest 20 are plenty
    let skip = tokens.len().saturating_sub(20);
    tokens.drain(..skip);
    session
        .insert(crate::server_ctx::TICKETS_KEY, &tokens)
        .await
        .map_err(|_| AppError::Unavailable)?;
    let path = href_in(
        waitingroom::Lang::from_code(lang.as_deref()),
        &format!("/t/{}", ticket.token),
    );
    leptos_axum::redirect(&path);
    Ok(path)
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let lang = use_lang();
    let view_res = Resource::new(|| (), |_| load_join());
    let take = ServerAction::<TakeTicket>::new();
    view! {
        <section class="page narrow join">
            <header class="bar">
                <h1>{move || lang.get().pick("オンライン受付", "Remote check-in")}</h1>
                <LangSwitch />
            </header>
            <Transition fallback=move || view! { <p class="loading">{move || lang.get().pick("読み込み中…", "Loading…")}</p> }>
                {move || Suspend::new(async move {
                    match view_res.await {
                        Ok(v) => view! { <JoinScreen view=v take /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{move || error.message(lang.get())}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || take.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert" data-testid="join-error">{move || e.message(lang.get())}</p>
            })}
        </section>
    }
}

#[component]
fn JoinScreen(view: JoinView, take: ServerAction<TakeTicket>) -> impl IntoView {
    let lang = use_lang();
    let mine = view.mine.clone();
    let has_mine = !mine.is_empty();
    view! {
        {has_mine.then(|| view! {
            <h2>{move || lang.get().pick("お持ちの整理券", "Your tickets")}</h2>
            <ul class="my-tickets">
                {mine.into_iter().map(|t| {
                    let MyTicket { label, queue_name_ja, queue_name_en, url, .. } = t;
                    let name = move || lang.get().pick(&queue_name_ja, &queue_name_en).to_owned();
                    let href = move || href_in(lang.get(), &url);
                    view! {
                        <li><a href=href data-testid="my-ticket">{name}" "<strong>{label}</strong></a></li>
                    }
                }).collect_view()}
            </ul>
        })}
        <h2>{move || lang.get().pick("整理券を取る", "Take a ticket")}</h2>
        <ul class="join-queues">
            {view.queues.into_iter().map(|(info, intake, waiting)| {
                let open = intake == Intake::Open;
                let queue_field = info.id.to_string();
                let name = info.clone();
                view! {
                    <li>
                        <p class="join-queue-name">{move || name.name(lang.get()).to_owned()}</p>
                        <p class="muted">
                            {move || match lang.get() {
                                Lang::Ja => format!("お待ちの方 {waiting}人"),
                                Lang::En => format!("{waiting} waiting"),
                            }}
                        </p>
                        {if open {
                            view! {
                                <ActionForm action=take>
                                    <input type="hidden" name="queue" value=queue_field />
                                    <input type="hidden" name="lang" value=move || lang.get().code() />
                                    <button type="submit" class="primary" disabled=move || take.pending().get()>
                                        {move || lang.get().pick("この受付で整理券を取る", "Take a ticket here")}
                                    </button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! {
                                <p class="paused" role="status">
                                    {move || lang.get().pick("ただいまオンライン受付を停止しています", "Remote check-in is paused")}
                                </p>
                            }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
