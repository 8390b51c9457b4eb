use crate::components::lang_switch::{use_lang, LangSwitch};
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let lang = use_lang();
    view! {
        <section class="page narrow">
            <header class="bar"><h1>"待合室"</h1><LangSwitch /></header>
            <h2>{move || lang.get().pick("ページが見つかりません", "Page not found")}</h2>
            <p><a href="/">{move || lang.get().pick("トップへ戻る", "Back to the start page")}</a></p>
        </section>
    }
}
