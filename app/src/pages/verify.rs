//! A verification link (`/v/{queue}/{token}`), opened from the SMS. Opening it changes nothing: a
//! chat app's link preview, a mail scanner or a carrier's URL check fetches links too, and must not
//! verify a number for whoever typed it. The page asks the phone's holder to press a button (a
//! POST, which works without WASM too); that verifies the ticket's phone and goes to the ticket's
//! page, which shows it verified. An expired or used link says so.

use crate::components::page::{failure, ErrorText, Page};
use crate::error::AppError;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Verifies the link's phone: answers the ticket page it verified (and sends the browser there).
#[server(endpoint = "verify/open")]
pub async fn open_link(queue: String, token: String) -> Result<String, AppError> {
    let room = crate::ssr::room()?;
    let ticket = room.verify_phone(&queue, &token).await?;
    let path = format!("/t/{ticket}");
    leptos_axum::redirect(&path);
    Ok(path)
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let open = ServerAction::<OpenLink>::new();
    view! {
        <Page class="page narrow" title=move || t!(i18n, phone.verify_title)>
            <p>{t!(i18n, phone.verify_ask)}</p>
            <ActionForm action=open>
                <input type="hidden" name="queue" value=move || param("queue") />
                <input type="hidden" name="token" value=move || param("token") />
                <button type="submit" class="primary" disabled=move || open.pending().get()>
                    {t!(i18n, phone.verify_button)}
                </button>
            </ActionForm>
            {move || failure(open.value().get()).map(|error| view! {
                <ErrorText error testid="verify-error" />
                <p><a href="/join">{t!(i18n, common.take_ticket)}</a></p>
            })}
        </Page>
    }
}
