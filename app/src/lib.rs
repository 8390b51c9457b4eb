#![recursion_limit = "256"]
//! The screens of Waiting Room (Leptos): pages, components and the server functions they call.
//!
//! Built twice: with `ssr` for the server (rendering and server functions) and with `hydrate` for
//! the browser (the WASM that makes the server-rendered pages live). Every text comes from the
//! locale files in `locales/` (ja, en, zh, ko) through the generated `i18n` module.

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod components;
pub mod error;
pub mod live;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;
pub mod sound;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod words;

use i18n::I18nContextProvider;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::{admin, display, home, join, kiosk, not_found, ticket, verify};

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

/// The bundle that hydrates the page at `path`, by the suffix of its name: `-phone` for the
/// customer's pages (feature `phone`), `-screens` for the kiosk and the board (feature `screens`),
/// none (the whole bundle) for the staff console and any other page.
pub fn bundle_of(path: &str) -> &'static str {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if path == "/" || under("/join") || under("/t") || under("/v") {
        "-phone"
    } else if under("/kiosk") || under("/display") {
        "-screens"
    } else {
        ""
    }
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
                    <Routes fallback=not_found::NotFound>
                        <Route path=path!("/") view=home::HomePage />
                        <Route path=path!("/kiosk") view=kiosk::KioskPage ssr=SsrMode::Async />
                        <Route path=path!("/t/:token") view=ticket::TicketPage ssr=SsrMode::Async />
                        <Route path=path!("/join") view=join::JoinPage ssr=SsrMode::Async />
                        <Route path=path!("/v/:queue/:token") view=verify::VerifyPage ssr=SsrMode::Async />
                        <Route path=path!("/display") view=display::DisplayPage ssr=SsrMode::Async />
                        <Route path=path!("/admin/login") view=admin::login::LoginPage />
                        <Route path=path!("/admin") view=admin::AdminPage ssr=SsrMode::Async />
                    </Routes>
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

#[cfg(test)]
mod tests {
    use super::bundle_of;

    #[test]
    fn each_page_has_its_bundle() {
        for path in ["/", "/join", "/t/0123abcd", "/v/default/0123abcd"] {
            assert_eq!(bundle_of(path), "-phone", "{path}");
        }
        for path in ["/kiosk", "/display", "/display/"] {
            assert_eq!(bundle_of(path), "-screens", "{path}");
        }
        for path in ["/admin", "/admin/login", "/kiosks", "/joinus", "/nowhere"] {
            assert_eq!(bundle_of(path), "", "{path}");
        }
    }
}
