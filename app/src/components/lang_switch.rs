//! The language of the page (`?lang=en`, Japanese by default) and the switch shown on every page.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use waitingroom::Lang;

/// Provides the page's language from the `lang` query parameter.
pub fn provide_lang() -> Memo<Lang> {
    let query = use_query_map();
    let lang = Memo::new(move |_| Lang::from_code(query.read().get("lang").as_deref()));
    provide_context(lang);
    lang
}

/// The page's language (Japanese unless `?lang=en`).
pub fn use_lang() -> Memo<Lang> {
    expect_context::<Memo<Lang>>()
}

/// `path` with the page's language kept, for links between screens.
pub fn href_in(lang: Lang, path: &str) -> String {
    match lang {
        Lang::Ja => path.to_owned(),
        other => format!("{path}?lang={}", other.code()),
    }
}

/// A link to the same page in the other language.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    let href = move || href_in(lang.get().other(), &location.pathname.get());
    view! {
        <a class="lang-switch" href=href hreflang=move || lang.get().other().code()>
            {move || lang.get().other().native_name()}
        </a>
    }
}
