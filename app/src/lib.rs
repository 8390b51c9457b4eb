#![recursion_limit = "256"]
//! The screens of Waiting Room (Leptos): pages, components and the server functions they call.
//!
//! Built with `ssr` for the server (rendering and server functions, every page) and with `hydrate`
//! for the browser (the WASM that makes the server-rendered pages live), once per bundle with the
//! page features it has (see [`pages`]). Every text comes from the
//! locale files in `locales/` (ja, en, zh, ko) through the generated `i18n` module.

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod components;
pub mod error;
pub mod live;
pub mod pages;
pub mod sound;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod words;

use i18n::I18nContextProvider;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::Router;

/// The Content-Security-Policy of a page whose inline scripts (Leptos's hydration and resource
/// scripts) carry `nonce`: nothing but this site's own scripts, styles, images and connections
/// (the live WebSocket), WASM allowed, never framed.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The HTML document around every page (its `lang` follows the page's language).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(policy) = axum::http::HeaderValue::from_str(&content_security_policy(&nonce)) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    #[cfg(feature = "ssr")]
    let options = ssr::bundle_for_the_page(options);
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script src="/sound.js" defer></script>
                <HydrateAfterPaint options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Loads the page's bundle and hydrates the page once it has been painted: the page's own bytes
/// (HTML, stylesheet) come first, the WASM after them. (Leptos's `HydrationScripts` preloads the
/// WASM beside the stylesheet; on a slow phone network they share the bandwidth, and Lighthouse
/// counts the WASM's download into the largest paint.) "Painted" is the browser's own
/// first-contentful-paint entry (an animation frame alone can run before the paint is done, on a
/// busy machine); a page opened in a background tab, which paints nothing, hydrates after a
/// second, and any page after three at the latest. The pages work without it.
#[component]
fn HydrateAfterPaint(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let bundle = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    view! {
        <script type="module" nonce=nonce>
            {format!(
                "let started = false;\
                 const hydrate = () => started || (started = true, import({js:?}).then((m) => m.default({{ module_or_path: {wasm:?} }}).then(() => m.hydrate())));\
                 const painted = (list, observer) => list.getEntriesByName(\"first-contentful-paint\").length && (observer.disconnect(), setTimeout(hydrate, 0));\
                 try {{ new PerformanceObserver(painted).observe({{ type: \"paint\", buffered: true }}); }} catch (e) {{ requestAnimationFrame(() => setTimeout(hydrate, 0)); }}\
                 if (document.visibilityState === \"hidden\") setTimeout(hydrate, 1000);\
                 setTimeout(hydrate, 3000);",
                js = format!("{bundle}.js"),
                wasm = format!("{bundle}.wasm"),
            )}
        </script>
    }
}

/// How long the language chosen in the menu is remembered (ms, as leptos-use counts).
const LANG_REMEMBERED_MS: i64 = 365 * 24 * 3600 * 1000;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let cookie = leptos_i18n::context::CookieOptions::default()
        .path("/")
        .max_age(LANG_REMEMBERED_MS);
    view! {
        <Stylesheet id="leptos" href="/pkg/waitingroom.css" />
        <Title text="待合室 Waiting Room" />
        <I18nContextProvider cookie_options=cookie>
            <Router>
                <main>
                    <pages::PageRoutes />
                </main>
            </Router>
        </I18nContextProvider>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
