use crate::components::page::Page;
use crate::i18n::*;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <Page class="page narrow" title=move || t!(i18n, app_name)>
            <h2>{t!(i18n, not_found.title)}</h2>
            <p><a href="/">{t!(i18n, not_found.back)}</a></p>
        </Page>
    }
}
