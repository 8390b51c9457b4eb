//! The scaffold every page shares: its header (title, tools, language menu), and the loading and
//! error views of what a page reads from the server.

use crate::components::lang_menu::LangMenu;
use crate::error::AppError;
use crate::i18n::*;
use domain::Problem;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use serde::{de::DeserializeOwned, Serialize};

#[component]
pub fn Page(
    /// The page's CSS class (`kiosk`, `page narrow`, ...).
    #[prop(into)]
    class: String,
    #[prop(into)] title: ViewFn,
    /// More controls in the header, before the language menu.
    #[prop(optional, into)]
    tools: Option<ViewFn>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class=class>
            <header class="bar">
                <h1>{title.run()}</h1>
                {tools.map(|tools| tools.run())}
                <LangMenu />
            </header>
            {children()}
        </section>
    }
}

/// What `resource` read, shown by `view`; while it loads, "loading"; when it failed, the error
/// in the page's language, with its HTTP status on the server-rendered page. A lost staff session
/// goes to the sign-in page. `retry`: read again after a few seconds when the server could not
/// be reached (screens nobody reloads).
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    view: F,
    #[prop(optional)] retry: bool,
    #[prop(optional)] testid: Option<&'static str>,
    /// Shown under the error, e.g. where to go instead.
    #[prop(optional, into)]
    otherwise: Option<Callback<AppError, AnyView>>,
) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let _ = retry;
    view! {
        <Transition fallback=move || view! { <p class="loading">{t!(i18n, common.loading)}</p> }>
            {
                let view = view.clone();
                move || {
                    let view = view.clone();
                    Suspend::new(async move {
                        match resource.await {
                            Ok(value) => view(value).into_any(),
                            Err(AppError(Problem::NotSignedIn)) => view! { <Redirect path="/admin/login" /> }.into_any(),
                            Err(error) => {
                                #[cfg(feature = "ssr")]
                                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                                    if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
                                        response.set_status(status);
                                    }
                                }
                                #[cfg(feature = "hydrate")]
                                if retry && error.is_transient() {
                                    set_timeout(move || resource.refetch(), std::time::Duration::from_secs(3));
                                }
                                let then = otherwise.map(|o| o.run(error.clone()));
                                view! {
                                    <ErrorText error testid=testid.unwrap_or_default() />
                                    {then}
                                }
                                .into_any()
                            }
                        }
                    })
                }
            }
        </Transition>
    }
}

/// An error in the page's language.
#[component]
pub fn ErrorText(error: AppError, #[prop(optional)] testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="error" role="alert" data-testid=(!testid.is_empty()).then_some(testid)>
            {move || error.message(i18n.get_locale())}
        </p>
    }
}

/// The error of an action's latest result, if it failed.
pub fn failure<O>(result: Option<Result<O, AppError>>) -> Option<AppError> {
    result.and_then(Result::err)
}
