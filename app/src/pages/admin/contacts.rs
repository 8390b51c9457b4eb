//! The day's SMS and calls, with their latest status from Twilio (numbers masked).

use crate::components::page::ErrorText;
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use waitingroom::ContactRecord;

#[server(endpoint = "admin/contact_log")]
pub async fn load_contact_log() -> Result<Vec<ContactRecord>, AppError> {
    let room = crate::ssr::require_staff().await?;
    Ok(room.contact_log().await?)
}

#[component]
pub fn ContactLog() -> impl IntoView {
    let i18n = use_i18n();
    let (reads, set_reads) = signal(0u32);
    let log = Resource::new(move || reads.get(), |_| load_contact_log());
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
                                        let status = r.status.clone();
                                        view! {
                                            <tr data-testid="contact" data-kind=r.kind>
                                                <td>{r.ticket.map(|n| n.to_string()).unwrap_or_default()}</td>
                                                <td>{r.to}</td>
                                                <td data-status=status>{r.status}</td>
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
