//! A verification link (`/v/{queue}/{token}`), opened from the SMS. Opening it changes nothing: a
//! chat app's link preview, a mail scanner or a carrier's URL check fetches links too, and must not
//! verify a number for whoever typed it. The page asks the phone's holder to press a button (a
//! POST, which works without WASM too); that verifies the ticket's phone and says so. It never
//! leads to the ticket: a customer who mistyped one digit texted the link to a stranger, who must
//! get nothing of the ticket (its page could cancel it). An expired or used link says so.

use crate::components::page::{failure, ErrorText, Page};
use crate::error::AppError;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Verifies the link's phone, and (without JavaScript) sends the browser back to the link's page,
/// which then says it is done.
#[server(endpoint = "verify/open")]
pub async fn open_link(queue: String, token: String) -> Result<(), AppError> {
    let room = crate::ssr::room()?;
    room.phones().verify_phone(&queue, &token).await?;
    // the link's own page (its token is spent): nothing of the ticket
    let queue = room.setup().queue(&queue)?.id.clone();
    leptos_axum::redirect(&format!("/v/{queue}/{}?verified", token.trim()));
    Ok(())
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let open = ServerAction::<OpenLink>::new();
    let done = move || {
        matches!(open.value().get(), Some(Ok(()))) || query.read().get("verified").is_some()
    };
    view! {
        <Page class="page narrow" title=move || if done() { t_string!(i18n, phone.verified_title) } else { t_string!(i18n, phone.verify_title) }>
            <Show when=done fallback=move || view! {
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
            }>
                <p role="status" data-testid="verify-done">{t!(i18n, phone.verified_done)}</p>
            </Show>
        </Page>
    }
}
