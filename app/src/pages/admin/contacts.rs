//! The day's SMS and calls, with their latest status from Twilio (numbers masked).

use super::actions::TicketPhone;
use crate::components::page::ErrorText;
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use domain::twilio::status::Stage;
use domain::{CallAnswer, ContactRecord, ContactState, TicketSummary};

#[server(endpoint = "admin/contact_log")]
pub async fn load_contact_log() -> Result<Vec<ContactRecord>, AppError> {
    let room = crate::ssr::require(domain::Capability::History).await?.0;
    Ok(room.contacts().contact_log().await?)
}

/// Every ticket's latest SMS or call, as the console's live day holds it: when one is made or
/// moves on, the log and the dev outbox are read again (and only then).
pub type Moved = Signal<Vec<(u64, ContactState)>>;

/// The day's log; read again when `moved` changes (a ticket's SMS or call was made or moved on)
/// and on 「更新」 (entries about no ticket).
#[component]
pub fn ContactLog(#[prop(into)] moved: Moved) -> impl IntoView {
    let i18n = use_i18n();
    let (reads, set_reads) = signal(0u32);
    let log = Resource::new(move || (reads.get(), moved.get()), |_| load_contact_log());
    view! {
        <section class="contact-log" aria-labelledby="contact-log-title">
            <h2 id="contact-log-title">{t!(i18n, phone.log_title)}</h2>
            <button type="button" class="secondary" on:click=move |_| set_reads.update(|n| *n += 1)>
                {t!(i18n, phone.refresh)}
            </button>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(records) if records.is_empty() => view! { <p class="muted">{t!(i18n, phone.log_empty)}</p> }.into_any(),
                        Ok(records) => view! {
                            <table>
                                <thead><tr>
                                    <th scope="col">{t!(i18n, admin.no)}</th>
                                    <th scope="col">{t!(i18n, phone.log_to)}</th>
                                    <th scope="col">{t!(i18n, phone.log_status)}</th>
                                </tr></thead>
                                <tbody>
                                    {records.into_iter().map(|r| {
                                        let stage = Stage::of(&r.status);
                                        let kind = r.kind.clone();
                                        view! {
                                            <tr data-testid="contact" data-kind=r.kind>
                                                <td>{r.ticket.map(|n| n.to_string()).unwrap_or_default()}</td>
                                                <td>{r.to}</td>
                                                <td data-status=r.status>
                                                    {move || format!("{} {}", kind_name(&kind, i18n.get_locale()), stage_name(stage, i18n.get_locale()))}
                                                    {r.error_code.map(|code| format!(" ({code})"))}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Where a ticket's latest SMS or call stands, what the customer answered on the call, and (for
/// staff who open it) the ticket's phone number.
#[component]
pub fn ContactBadge(queue: String, ticket: TicketSummary) -> impl IntoView {
    let i18n = use_i18n();
    let reveal = ServerAction::<TicketPhone>::new();
    let has_phone = ticket.phone_status.is_some();
    let number = ticket.number;
    let phone = move || {
        reveal.value().get().map(|shown| match shown {
            Ok(phone) => {
                let tel = format!("tel:{}", phone.replace('-', ""));
                view! { <a class="phone-number" data-testid="phone-number" href=tel>{phone}</a> }
                    .into_any()
            }
            Err(error) => view! { <ErrorText error /> }.into_any(),
        })
    };
    let contact = ticket.contact.map(|c| {
        let stage = Stage::of(&c.status);
        view! {
            <span class="badge contact" data-testid="contact-state" data-status=c.status.clone()>
                {move || format!("{} {}", kind_name(&c.kind, i18n.get_locale()), stage_name(stage, i18n.get_locale()))}
            </span>
        }
    });
    // the ticket follows on LINE (who, staff never see)
    let line = ticket.line.then(|| {
        view! {
            <span class="badge line" data-testid="line-follows">{t!(i18n, line.linked)}</span>
        }
    });
    let answer = ticket.answer.map(|answer| {
        view! {
            <span class="badge answer" data-testid="call-answer" data-answer=answer.as_str()>
                {move || match answer {
                    CallAnswer::OnMyWay => t_string!(i18n, contact.on_my_way),
                    CallAnswer::Cancel => t_string!(i18n, contact.cancelled_by_phone),
                }}
            </span>
        }
    });
    let open = has_phone.then(|| {
        view! {
            <Show when=move || reveal.value().get().is_none() fallback=phone>
                <button type="button" class="link-button" data-testid="show-phone"
                    on:click={
                        let queue = queue.clone();
                        move |_| {
                            reveal.dispatch(TicketPhone { queue: queue.clone(), number });
                        }
                    }>
                    {t!(i18n, admin.show_phone)}
                </button>
            </Show>
        }
    });
    (line, contact, answer, open)
}

fn kind_name(kind: &str, locale: Locale) -> &'static str {
    match kind {
        "call" => td_string!(locale, contact.call),
        "line" => td_string!(locale, line.kind),
        _ => td_string!(locale, contact.sms),
    }
}

fn stage_name(stage: Stage, locale: Locale) -> &'static str {
    match stage {
        Stage::Sending => td_string!(locale, contact.sending),
        Stage::Sent => td_string!(locale, contact.sent),
        Stage::Delivered => td_string!(locale, contact.delivered),
        Stage::Failed => td_string!(locale, contact.failed),
        Stage::Ringing => td_string!(locale, contact.ringing),
        Stage::InCall => td_string!(locale, contact.in_call),
        Stage::Completed => td_string!(locale, contact.completed),
        Stage::Busy => td_string!(locale, contact.busy),
        Stage::NoAnswer => td_string!(locale, contact.no_answer),
        Stage::Canceled => td_string!(locale, contact.canceled),
        Stage::Received => td_string!(locale, contact.received),
        Stage::Unsent => td_string!(locale, phone.not_sent),
    }
}
