//! The customer's ticket page (`/t/{token}`): state, people ahead, estimated wait, live; the call
//! to a counter, with sound and vibration; cancel with confirmation (works without WASM too).

use crate::components::page::{failure, ErrorText, Loaded, Page};
use crate::error::AppError;
use crate::i18n::*;
use crate::live::use_live;
use crate::words::{counter_name, people, wait_text};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use domain::{
    CounterId, PhoneStatus, QueueInfo, QueueSnapshot, ReminderState, Ticket,
    TicketState,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    /// The ticket, without its phone: the holder sees only [`TicketView::phone`].
    pub ticket: Ticket,
    /// The ticket's phone, masked (`090-****-5678`): the whole number leaves the server only to
    /// staff who open it in the console.
    pub phone: Option<String>,
    pub queue: QueueInfo,
    pub snapshot: QueueSnapshot,
    pub counters: usize,
    /// What the history and the counters calling add to the estimate (the same for every screen).
    #[serde(default)]
    pub wait: domain::WaitBasis,
    /// The SMS reminder asked for, if any; `offers_reminders`: whether it can be asked for here.
    pub reminder: Option<ReminderState>,
    pub offers_reminders: bool,
    /// The store's number to call from the registered phone to verify it, when a call verifies
    /// it (`PHONE_VERIFY` `call` or `both`).
    pub call_in: Option<CallIn>,
    /// Whether registering a phone texts it a verification link.
    pub verifies_by_sms: bool,
    /// 「LINEで通知を受け取る」: the link that opens the shop's LINE chat with the ticket's
    /// one-time code typed in (`None`: LINE is off, the ticket does not wait, or follows already).
    pub line_link: Option<String>,
    /// Whether LINE is on here (a linked ticket is offered the reminder on LINE).
    pub line_on: bool,
}

/// The store's number a customer calls to verify a phone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallIn {
    /// E.164, for the `tel:` link.
    pub tel: String,
    /// As people write it: `050-1234-5678` (a Japanese number), else E.164.
    pub written: String,
    /// The code the caller keys in, once a number is registered.
    pub code: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::AppError;
    use domain::Problem;

    /// A token that is not even well-formed names no ticket.
    pub fn token(raw: &str) -> Result<domain::TicketToken, AppError> {
        domain::TicketToken::parse(raw).map_err(|_| AppError(Problem::TicketNotFound))
    }

    /// Registers `phone` for the ticket held by `token`, texting it the verification link in the
    /// ticket's language.
    pub async fn register_phone(
        room: &waitingroom::services::WaitingRoom,
        token: &domain::TicketToken,
        phone: &str,
    ) -> Result<(), AppError> {
        let client = crate::ssr::client_ip().await?;
        let base = crate::ssr::base_url().await?;
        room.phones().register_phone(token, phone, client, &base).await?;
        Ok(())
    }
}

#[server(endpoint = "ticket/view")]
pub async fn load_ticket(token: String) -> Result<TicketView, AppError> {
    let room = crate::ssr::room()?;
    let mut ticket = room
        .desk().ticket_by_token(&ssr::token(&token)?)
        .await?
        .ok_or(AppError(domain::Problem::TicketNotFound))?;
    let phone = ticket.phone.take().map(|p| p.masked());
    let code = ticket.call_code.take();
    let queue = room.setup().queue(ticket.queue.as_str())?.clone();
    let snapshot = room.desk().snapshot(&queue.id).await?;
    let wait = room
        .estimate().wait_basis(&queue.id, &snapshot)
        .await
        .map_err(waitingroom::services::ServiceError::from)?;
    let reminder = room.reminders().reminder_of(&ticket).await?;
    let line_link = room.line().line_link_of(&ticket).await?;
    Ok(TicketView {
        line_link,
        line_on: room.line().line_on(),
        ticket,
        phone,
        queue,
        snapshot,
        counters: room.setup().counters.len(),
        wait,
        reminder,
        offers_reminders: room.reminders().offers_reminders(),
        call_in: room.phones().call_in_number().map(|number| CallIn {
            tel: number.as_str().to_owned(),
            written: number.national(),
            code,
        }),
        verifies_by_sms: room.phones().verifies_by_sms(),
    })
}

/// The holder of `token` asks (`want`), or no longer asks, to be texted about 30 minutes before
/// the turn.
#[server(endpoint = "ticket/reminder")]
pub async fn ask_reminder(token: String, want: bool) -> Result<bool, AppError> {
    let room = crate::ssr::room()?;
    room.reminders().ask_reminder(&ssr::token(&token)?, want).await?;
    Ok(want)
}

#[server(endpoint = "ticket/cancel")]
pub async fn cancel_ticket(token: String) -> Result<TicketState, AppError> {
    let room = crate::ssr::room()?;
    let ticket = room.desk().cancel_by_token(&ssr::token(&token)?).await?;
    Ok(ticket.state())
}

/// Registers `phone` for the ticket held by `token` and texts it a verification link, in the
/// language the ticket was taken in (unless the phone is verified by calling in only).
#[server(endpoint = "ticket/phone")]
pub async fn register_phone(token: String, phone: String) -> Result<PhoneStatus, AppError> {
    let room = crate::ssr::room()?;
    ssr::register_phone(&room, &ssr::token(&token)?, &phone).await?;
    Ok(PhoneStatus::Pending)
}

/// What the ticket page follows: the queue, and this ticket's phone as its events report it.
#[derive(Clone, Debug, PartialEq)]
struct TicketLive {
    snapshot: QueueSnapshot,
    number: u64,
    phone_status: Option<PhoneStatus>,
    /// What the customer pressed on the automatic call.
    answer: Option<domain::CallAnswer>,
    /// The ticket follows on LINE.
    line: bool,
}

impl crate::live::Follow for TicketLive {
    fn queue(&self) -> &domain::QueueId {
        &self.snapshot.queue
    }
    fn apply(&mut self, event: &domain::QueueEvent) -> domain::Applied {
        let applied = self.snapshot.apply(event);
        if applied == domain::Applied::Updated {
            if let Some(ticket) = event.ticket.as_ref().filter(|t| t.number == self.number) {
                self.phone_status = ticket.phone_status;
                self.answer = ticket.answer;
                self.line = ticket.line;
            }
        }
        applied
    }
    /// A snapshot says nothing of the phone: after missed events the page reads itself again.
    fn catch_up(&mut self, snapshot: QueueSnapshot) -> bool {
        let current = snapshot.version == self.snapshot.version;
        self.snapshot = snapshot;
        current
    }
}

#[component]
pub fn TicketPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let loaded = Resource::new(token, load_ticket);
    view! {
        <Page class="page narrow ticket-page" title=move || t!(i18n, ticket.title)>
            <Loaded
                resource=loaded
                testid="ticket-error"
                view=move |v| view! { <TicketScreen view=v refetch=move || loaded.refetch() /> }
                otherwise=Callback::new(move |_| view! { <p><a href="/join">{t!(i18n, common.take_ticket)}</a></p> }.into_any())
            />
        </Page>
    }
}

/// Where the ticket is, as the live queue shows it.
#[derive(Clone, Debug, PartialEq)]
enum Place {
    Waiting(usize),
    AtCounter(CounterId),
    Gone,
}

fn state_text(state: TicketState, locale: Locale) -> &'static str {
    match state {
        TicketState::Waiting => td_string!(locale, ticket.waiting),
        TicketState::Called => td_string!(locale, ticket.called),
        TicketState::Done => td_string!(locale, ticket.done),
        TicketState::Cancelled => td_string!(locale, ticket.cancelled),
        TicketState::NoShow => td_string!(locale, ticket.no_show),
    }
}

#[component]
fn TicketScreen(
    view: TicketView,
    refetch: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let TicketView {
        ticket,
        phone,
        queue,
        snapshot,
        counters,
        wait: basis,
        reminder,
        offers_reminders,
        call_in,
        verifies_by_sms,
        line_link,
        line_on,
    } = view;
    let number = ticket.number();
    let last_known = ticket.state();
    let token = StoredValue::new(ticket.token.to_string());
    let phone = StoredValue::new(phone);
    let live = use_live(TicketLive {
        snapshot,
        number,
        phone_status: ticket.summary.phone_status,
        answer: ticket.summary.answer,
        line: ticket.summary.line,
    });
    let followed = live.view();
    let shown = Memo::new(move |_| followed.with(|f| f.snapshot.clone()));
    let phone_status = Memo::new(move |_| followed.with(|f| f.phone_status));
    let on_line = Memo::new(move |_| followed.with(|f| f.line));
    let has_line_link = line_link.is_some();
    let line_link = StoredValue::new(line_link);
    Effect::new(move |_| {
        if live.behind() {
            refetch();
        }
    });
    let place = Memo::new(move |_| {
        shown.with(|s| match (s.people_ahead(number), s.counter_of(number)) {
            (Some(ahead), _) => Place::Waiting(ahead),
            (None, Some(counter)) => Place::AtCounter(counter.clone()),
            (None, None) => Place::Gone,
        })
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
        Place::Gone => last_known,
    };
    let ahead = move || match place.get() {
        Place::Waiting(a) => Some(a),
        _ => None,
    };
    let wait = move || {
        ahead().and_then(|a| {
            domain::estimate::wait_ms(a, shown.with(|s| s.avg_service_ms), counters, &basis)
        })
    };
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
    let lang = move || crate::components::lang_menu::to_lang(i18n.get_locale());
    let label = queue.label(number);

    view! {
        <article class="ticket" data-state=move || state().as_str() data-live=move || live.status()>
            <p class="ticket-queue">{move || queue.name(lang()).to_owned()}</p>
            <p class="ticket-label">{t!(i18n, common.number)}</p>
            <p class="ticket-number" data-testid="ticket-number">{label}</p>
            <p class="ticket-state" data-testid="ticket-state" role="status" aria-live="assertive">
                {move || state_text(state(), i18n.get_locale())}
            </p>
            {move || counter().map(|c| view! {
                <p class="call-banner" data-testid="call-banner" role="alert">
                    {move || td_string!(i18n.get_locale(), ticket.come_to, counter = counter_name(i18n.get_locale(), &c))}
                </p>
            })}
            {move || ahead().map(|a| view! {
                <dl class="ticket-facts">
                    <div>
                        <dt>{t!(i18n, common.ahead)}</dt>
                        <dd data-testid="people-ahead">{move || people(i18n.get_locale(), a)}</dd>
                    </div>
                    <div>
                        <dt>{t!(i18n, common.estimated_wait)}</dt>
                        <dd data-testid="estimated-wait">{move || wait_text(i18n.get_locale(), wait())}</dd>
                    </div>
                </dl>
            })}
            <Show when=move || live.connected() == Some(false)>
                <p class="offline" role="status">{t!(i18n, common.reconnecting)}</p>
            </Show>
            <Show when=move || state().is_active() && followed.with(|f| f.answer) == Some(domain::CallAnswer::OnMyWay)>
                <p class="answer" data-testid="call-answer">{t!(i18n, phone.answer_on_my_way)}</p>
            </Show>
            <Show when=move || state().is_active() && (on_line.get() || has_line_link)>
                <LineSection linked=on_line link=line_link.get_value() />
            </Show>
            <Show when=move || state().is_active()>
                <PhoneForm token=token.get_value() status=phone_status phone=phone.get_value()
                    call_in=call_in.clone() verifies_by_sms refetch />
            </Show>
            // a long wait: a text about 30 minutes before the turn (the automatic call covers short ones)
            <Show when=move || {
                ((offers_reminders && phone_status.get() == Some(PhoneStatus::Verified))
                    || (line_on && on_line.get()))
                    && state() == TicketState::Waiting
                    && (reminder.is_some() || wait().is_some_and(|w| w > REMINDER_OFFERED_FROM_MS))
            }>
                <ReminderForm token=token.get_value() asked=reminder by_line=line_on && on_line.get_untracked() refetch />
            </Show>
            <Show when=move || state().is_active()>
                <details class="cancel">
                    <summary>{t!(i18n, ticket.cancel)}</summary>
                    <p>{t!(i18n, ticket.cancel_warning)}</p>
                    <ActionForm action=cancel>
                        <input type="hidden" name="token" value=token.get_value() />
                        <button type="submit" class="danger" disabled=move || cancel.pending().get()>
                            {t!(i18n, ticket.cancel_confirm)}
                        </button>
                    </ActionForm>
                    {move || failure(cancel.value().get()).map(|error| view! { <ErrorText error /> })}
                </details>
            </Show>
        </article>
    }
}

/// A wait longer than this is offered the SMS reminder (30 minutes before the turn, at least 5
/// ahead).
const REMINDER_OFFERED_FROM_MS: u64 = 40 * 60_000;

/// 「順番の約30分前にSMSで知らせる」, or, once asked, a way to stop it.
#[component]
fn ReminderForm(
    token: String,
    asked: Option<ReminderState>,
    /// Told on LINE (the ticket follows there), not by SMS.
    by_line: bool,
    refetch: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let ask = ServerAction::<AskReminder>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = ask.value().get() {
            refetch();
        }
    });
    let asked = asked.is_some();
    view! {
        <section class="reminder" data-testid="reminder">
            {asked.then(|| view! { <p role="status">{move || if by_line { t_string!(i18n, line.reminder_asked) } else { t_string!(i18n, reminder.asked) }}</p> })}
            <ActionForm action=ask>
                <input type="hidden" name="token" value=token />
                <input type="hidden" name="want" value=(!asked).to_string() />
                <button type="submit" class="secondary" data-testid="reminder-button" disabled=move || ask.pending().get()>
                    {move || match (asked, by_line) {
                        (true, false) => t_string!(i18n, reminder.stop),
                        (false, false) => t_string!(i18n, reminder.ask),
                        (true, true) => t_string!(i18n, line.reminder_stop),
                        (false, true) => t_string!(i18n, line.reminder_ask),
                    }}
                </button>
            </ActionForm>
            {move || failure(ask.value().get()).map(|error| view! { <ErrorText error /> })}
        </section>
    }
}

/// LINE: 「LINEで通知を受け取る」 (a link to the shop's chat with the ticket's code typed in),
/// or, once a LINE user sent it, 「LINEで通知」 — live, on every open copy of the page.
#[component]
fn LineSection(linked: Memo<bool>, link: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let link = StoredValue::new(link);
    view! {
        <section class="line" aria-labelledby="line-title" data-testid="line">
            <h2 id="line-title">{t!(i18n, line.title)}</h2>
            {move || if linked.get() {
                view! {
                    <p class="line-linked" data-testid="line-status" role="status">
                        <span class="badge">{t!(i18n, line.linked)}</span>" "
                        {t!(i18n, line.linked_note)}
                    </p>
                }.into_any()
            } else {
                link.get_value().map(|href| view! {
                    <a class="button primary" href=href data-testid="line-link">{t!(i18n, line.offer)}</a>
                    <p class="muted">{t!(i18n, line.offer_note)}</p>
                }).into_any()
            }}
        </section>
    }
}

/// The phone the shop may call or text: registered here, verified by the link it is texted
/// and/or by calling the store's number from it (「この番号に電話して確認」).
#[component]
fn PhoneForm(
    token: String,
    status: Memo<Option<PhoneStatus>>,
    phone: Option<String>,
    call_in: Option<CallIn>,
    verifies_by_sms: bool,
    refetch: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let register = ServerAction::<RegisterPhone>::new();
    // the number just registered is shown masked once the page reads itself again
    Effect::new(move |_| {
        if let Some(Ok(_)) = register.value().get() {
            refetch();
        }
    });
    let phone = StoredValue::new(phone.unwrap_or_default());
    let token = StoredValue::new(token);
    let call_in = StoredValue::new(call_in);
    view! {
        <section class="phone" aria-labelledby="phone-title">
            <h2 id="phone-title">{t!(i18n, phone.title)}</h2>
            {move || match status.get() {
                Some(PhoneStatus::Verified) => view! {
                    <p class="phone-verified" data-testid="phone-status" role="status">
                        <span class="badge">{t!(i18n, phone.verified_badge)}</span>" "
                        {move || td_string!(i18n.get_locale(), phone.verified, phone = phone.get_value())}
                    </p>
                }.into_any(),
                Some(PhoneStatus::Pending) => view! {
                    <p class="phone-pending" data-testid="phone-status" role="status">
                        {move || if verifies_by_sms {
                            td_string!(i18n.get_locale(), phone.pending, phone = phone.get_value())
                        } else {
                            td_string!(i18n.get_locale(), phone.pending_call, phone = phone.get_value())
                        }}
                    </p>
                    {call_in.get_value().map(|number| view! {
                        <div class="call-in" data-testid="call-in">
                            <a class="button primary" href=format!("tel:{}", number.tel) data-testid="call-in-link">
                                {t!(i18n, phone.call_in)}
                                <br />
                                <strong data-testid="call-in-number">{number.written.clone()}</strong>
                            </a>
                            <p class="muted">
                                {move || td_string!(i18n.get_locale(), phone.call_in_note, phone = phone.get_value())}
                            </p>
                            {number.code.clone().map(|code| view! {
                                <p class="call-code">
                                    {t!(i18n, phone.call_code)}" "
                                    <strong data-testid="call-code">{code}</strong>
                                </p>
                                <p class="muted">{t!(i18n, phone.call_code_note)}</p>
                            })}
                        </div>
                    })}
                }.into_any(),
                None => ().into_any(),
            }}
            <Show when=move || status.get() != Some(PhoneStatus::Verified)>
                <ActionForm action=register>
                    <input type="hidden" name="token" value=token.get_value() />
                    <label for="phone">{t!(i18n, phone.label)}</label>
                    <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required
                        placeholder=move || t_string!(i18n, phone.placeholder) />
                    <button type="submit" class="secondary" disabled=move || register.pending().get()>
                        {move || if verifies_by_sms { t_string!(i18n, phone.send) } else { t_string!(i18n, phone.register) }}
                    </button>
                </ActionForm>
            </Show>
            {move || failure(register.value().get()).map(|error| view! { <ErrorText error testid="phone-error" /> })}
        </section>
    }
}
