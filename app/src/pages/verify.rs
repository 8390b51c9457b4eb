//! A verification link (`/v/{queue}/{token}`), opened from the SMS: verifies the ticket's phone
//! and goes to the ticket's page, which shows it verified. An expired or used link says so.

use crate::components::page::{Loaded, Page};
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Opens the link: answers the ticket page it verified (and sends the browser there).
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
    let link = move || {
        let p = params.read();
        (
            p.get("queue").unwrap_or_default(),
            p.get("token").unwrap_or_default(),
        )
    };
    let opened = Resource::new(link, |(queue, token)| open_link(queue, token));
    view! {
        <Page class="page narrow" title=move || t!(i18n, phone.verify_title)>
            <Loaded
                resource=opened
                testid="verify-error"
                view=move |path: String| view! { <p><a href=path>{t!(i18n, ticket.title)}</a></p> }
                otherwise=Callback::new(move |_: AppError| view! { <p><a href="/join">{t!(i18n, common.take_ticket)}</a></p> }.into_any())
            />
        </Page>
    }
}
