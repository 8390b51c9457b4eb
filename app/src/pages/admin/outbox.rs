//! The dev outbox: without Twilio credentials, the SMS and calls the system would have made show
//! here, clearly marked as not sent; a verification link can be opened from here.

use super::contacts::Moved;
use crate::components::page::ErrorText;
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A message that was not sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnsentMessage {
    pub at: u64,
    pub to: String,
    pub body: String,
}

/// `None` when Twilio sends for real (no dev outbox).
#[server(endpoint = "admin/dev_outbox")]
pub async fn load_dev_outbox() -> Result<Option<Vec<UnsentMessage>>, AppError> {
    let room = crate::ssr::require(domain::Capability::History).await?.0;
    if room.sends_for_real() {
        return Ok(None);
    }
    Ok(Some(
        room.contacts().dev_messages()
            .await?
            .into_iter()
            .map(|m| UnsentMessage {
                at: m.at,
                to: m.to,
                body: m.body,
            })
            .collect(),
    ))
}

/// Read again when `moved` changes (the outbox kept an SMS or call about a ticket) and on 「更新」.
#[component]
pub fn DevOutbox(#[prop(into)] moved: Moved) -> impl IntoView {
    let i18n = use_i18n();
    let (reads, set_reads) = signal(0u32);
    // Twilio sends for real: no outbox to read again
    let sends_for_real = StoredValue::new(false);
    let outbox = Resource::new(
        move || (reads.get(), moved.get()),
        move |_| async move {
            if sends_for_real.get_value() {
                return Ok(None);
            }
            let outbox = load_dev_outbox().await;
            if matches!(outbox, Ok(None)) {
                sends_for_real.set_value(true);
            }
            outbox
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match outbox.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(messages)) => view! {
                        <section class="dev-outbox" aria-labelledby="dev-outbox-title" data-testid="dev-outbox">
                            <h2 id="dev-outbox-title">{t!(i18n, phone.dev_outbox_title)}</h2>
                            <p class="muted">{t!(i18n, phone.dev_outbox_note)}</p>
                            <button type="button" class="secondary" on:click=move |_| set_reads.update(|n| *n += 1)>
                                {t!(i18n, phone.refresh)}
                            </button>
                            {messages.is_empty().then(|| view! { <p class="muted">{t!(i18n, phone.dev_outbox_empty)}</p> })}
                            <ul>
                                {messages.into_iter().map(|m| view! {
                                    <li data-testid="unsent-message">
                                        <span class="badge warn">{t!(i18n, phone.not_sent)}</span>" "
                                        <span class="to">{m.to}</span>" "
                                        <MessageText body=m.body />
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorText error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The text, its link made one to open.
#[component]
fn MessageText(body: String) -> impl IntoView {
    match body.find("http") {
        Some(start) => {
            let end = body[start..]
                .find(char::is_whitespace)
                .map_or(body.len(), |e| start + e);
            let link = body[start..end].to_owned();
            let href = link.clone();
            view! {
                <span>{body[..start].to_owned()}<a href=href>{link}</a>{body[end..].to_owned()}</span>
            }
            .into_any()
        }
        None => view! { <span>{body}</span> }.into_any(),
    }
}
