//! Remote check-in (`/join`): take a ticket from a phone without coming to the store. The session
//! remembers the tickets taken, so reopening the page shows them.

use crate::components::page::{failure, ErrorText, Loaded, Page};
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use domain::{Intake, QueueInfo, TicketState};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyTicket {
    pub label: String,
    pub queue: QueueInfo,
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
    use domain::Problem;
    use crate::ssr::{session, TICKETS_KEY};
    use waitingroom::services::WaitingRoom;
    use domain::{Ticket, TicketToken};

    /// Tickets remembered per session: the latest are plenty.
    const REMEMBERED: usize = 20;
    /// The session's key of this browser's id for the per-phone limits.
    const CLIENT_KEY: &str = "client";

    async fn tokens() -> Result<Vec<TicketToken>, AppError> {
        let session = session().await?;
        Ok(session
            .get(TICKETS_KEY)
            .await
            .map_err(|_| AppError(Problem::Unavailable))?
            .unwrap_or_default())
    }

    /// The tickets this session took that still exist today.
    pub async fn my_tickets(room: &WaitingRoom) -> Result<Vec<Ticket>, AppError> {
        let mut tickets = Vec::new();
        for token in tokens().await? {
            if let Some(ticket) = room.desk().ticket_by_token(&token).await? {
                tickets.push(ticket);
            }
        }
        Ok(tickets)
    }

    /// Keeps `token` among this browser's tickets, and `client`, its id for the limits: the
    /// session is written only once a ticket was taken, so refused posts create nothing.
    pub async fn remember(token: TicketToken, client: &str) -> Result<(), AppError> {
        let mut tokens = tokens().await?;
        tokens.push(token);
        let skip = tokens.len().saturating_sub(REMEMBERED);
        tokens.drain(..skip);
        let session = session().await?;
        session
            .insert(TICKETS_KEY, &tokens)
            .await
            .map_err(|_| AppError(Problem::Unavailable))?;
        session
            .insert(CLIENT_KEY, client)
            .await
            .map_err(|_| AppError(Problem::Unavailable))
    }

    /// This browser's id for the per-phone limits, if it took a ticket before.
    pub async fn client_id() -> Result<Option<String>, AppError> {
        session()
            .await?
            .get::<String>(CLIENT_KEY)
            .await
            .map_err(|_| AppError(Problem::Unavailable))
    }
}

#[server(endpoint = "join/view")]
pub async fn load_join() -> Result<JoinView, AppError> {
    let room = crate::ssr::room()?;
    let mut queues = Vec::new();
    for info in &room.setup().queues {
        let s = room.desk().snapshot(&info.id).await?;
        queues.push((info.clone(), s.intake, s.waiting.len()));
    }
    let base = crate::ssr::base_url().await?;
    let mine = ssr::my_tickets(&room)
        .await?
        .into_iter()
        .filter(|t| t.state().is_active())
        .filter_map(|t| {
            let queue = room.setup().queue(t.queue.as_str()).ok()?.clone();
            Some(MyTicket {
                label: queue.label(t.number()),
                queue,
                state: t.state(),
                url: waitingroom::services::ticket_url(&base, &t.token),
            })
        })
        .collect();
    Ok(JoinView { queues, mine })
}

/// Takes a ticket of `queue` for this browser, in its language, and goes to its page; a `phone`
/// given with it is registered and texted its verification link (a bad one is refused before
/// any ticket is taken).
#[server(endpoint = "join/take")]
pub async fn take_ticket(queue: String, phone: Option<String>) -> Result<String, AppError> {
    let room = crate::ssr::room()?;
    let info = room.setup().queue(&queue)?.clone();
    let phone = phone.filter(|p| !p.trim().is_empty());
    if let Some(raw) = &phone {
        room.phones().check_phone(raw)?;
    }
    let id = match ssr::client_id().await? {
        Some(id) => id,
        None => waitingroom::services::random_token().to_string(),
    };
    let client = waitingroom::services::RemoteClient {
        via: waitingroom::services::Via::Address(crate::ssr::client_ip().await?),
        id: Some(id.clone()),
    };
    let ticket = room
        .issuing().issue_limited(
            &info,
            domain::Channel::Remote,
            crate::ssr::lang(),
            &client,
        )
        .await?;
    ssr::remember(ticket.token.clone(), &id).await?;
    if let Some(raw) = &phone {
        // the ticket is taken: a limit of texts now only leaves the phone to register on its page
        if let Err(e) = super::ticket::ssr::register_phone(&room, &ticket.token, raw).await {
            tracing::info!(error = %e, "a phone given at check-in was not registered");
        }
    }
    let path = format!("/t/{}", ticket.token);
    leptos_axum::redirect(&path);
    Ok(path)
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let i18n = use_i18n();
    let loaded = Resource::new(|| (), |_| load_join());
    let take = ServerAction::<TakeTicket>::new();
    view! {
        <Page class="page narrow join" title=move || t!(i18n, join.title)>
            <Loaded resource=loaded view=move |v| view! { <JoinScreen view=v take /> } />
            {move || failure(take.value().get()).map(|error| view! { <ErrorText error testid="join-error" /> })}
        </Page>
    }
}

#[component]
fn JoinScreen(view: JoinView, take: ServerAction<TakeTicket>) -> impl IntoView {
    let i18n = use_i18n();
    let lang = move || crate::components::lang_menu::to_lang(i18n.get_locale());
    let mine = view.mine;
    let has_mine = !mine.is_empty();
    view! {
        {has_mine.then(|| view! {
            <h2>{t!(i18n, join.mine)}</h2>
            <ul class="my-tickets">
                {mine.into_iter().map(|t| {
                    let MyTicket { label, queue, url, .. } = t;
                    view! {
                        <li><a href=url data-testid="my-ticket">{move || queue.name(lang()).to_owned()}" "<strong>{label}</strong></a></li>
                    }
                }).collect_view()}
            </ul>
        })}
        <h2>{t!(i18n, join.take)}</h2>
        <ul class="join-queues">
            {view.queues.into_iter().map(|(info, intake, waiting)| {
                let open = intake == Intake::Open;
                let queue_field = info.id.to_string();
                view! {
                    <li>
                        <p class="join-queue-name">{move || info.name(lang()).to_owned()}</p>
                        <p class="muted">{move || t_string!(i18n, join.waiting, n = waiting)}</p>
                        {if open {
                            view! {
                                <ActionForm action=take>
                                    <input type="hidden" name="queue" value=queue_field.clone() />
                                    <label for=format!("phone-{queue_field}")>{t!(i18n, join.phone)}</label>
                                    <input id=format!("phone-{queue_field}") name="phone" type="tel" inputmode="tel" autocomplete="tel"
                                        placeholder=move || t_string!(i18n, phone.placeholder) />
                                    <button type="submit" class="primary" disabled=move || take.pending().get()>
                                        {t!(i18n, join.take_here)}
                                    </button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p class="paused" role="status">{t!(i18n, join.paused)}</p> }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
