//! The pages, in one table (`pages!` at the end): each page's path, component and bundle. From it
//! come the modules a build compiles, the routes (the server's and the browser's), the bundle
//! each page is served with ([`bundle_of`]) and the pages the server lists when it starts
//! ([`PAGES`]). A new page is a module here and a row in the table.
//!
//! Each page's module belongs to one of the crate's page features, which add pages and never
//! remove any: `phone` (the customer's pages), `screens` (the kiosk and the board), `console` (the
//! staff console). The server (`ssr`) has them all; a browser bundle (`hydrate` with some of
//! them, see `build_site` in `scripts/lib.sh`) has its features' pages and, in place of each
//! other one, `Elsewhere`, which loads that page whole (with the bundle that has it).

use leptos::prelude::*;
use leptos_router::components::{Route, Routes};
use leptos_router::{path, SsrMode};

pub mod not_found;

#[cfg(not(all(feature = "phone", feature = "screens", feature = "console")))]
mod elsewhere;

/// The browser bundle that hydrates a page: the lightest that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// `waitingroom-phone`: the customer's pages only (`hydrate,phone`).
    Phone,
    /// `waitingroom-screens`: the kiosk and the board only (`hydrate,screens`).
    Screens,
    /// `waitingroom`: every page (all the page features); the staff console's, and any address
    /// that is no page.
    Console,
}

impl Bundle {
    /// What its file names add to the output name (`waitingroom` + suffix + `.wasm`).
    pub fn suffix(self) -> &'static str {
        match self {
            Bundle::Phone => "-phone",
            Bundle::Screens => "-screens",
            Bundle::Console => "",
        }
    }
}

/// A row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// The route, `:name` for a parameter.
    pub path: &'static str,
    /// The page feature that adds it to a bundle.
    pub feature: &'static str,
    pub bundle: Bundle,
    /// What the server calls it when it lists the pages to open as it starts (`None`: unlisted).
    pub listed: Option<&'static str>,
}

impl Page {
    /// Whether `path` is this page's (a parameter takes any one segment).
    fn matches(&self, path: &str) -> bool {
        let mut route = self.path.split('/').filter(|s| !s.is_empty());
        let mut path = path.split('/').filter(|s| !s.is_empty());
        loop {
            match (route.next(), path.next()) {
                (None, None) => return true,
                (Some(r), Some(p)) if r.starts_with(':') || r == p => {}
                _ => return false,
            }
        }
    }
}

/// The bundle the server sends with the page at `path`.
pub fn bundle_of(path: &str) -> Bundle {
    PAGES
        .iter()
        .find(|page| page.matches(path))
        .map_or(Bundle::Console, |page| page.bundle)
}

/// Each `module in "feature" { "path" => Component, SsrMode, "listed as"?; ... }` gives the
/// module (compiled when the feature is on), the component of each of its pages (`Elsewhere`
/// when it is off), a row of `PAGES` and a route.
macro_rules! pages {
    ($(
        $module:ident in $feature:tt {
            $($path:tt => $component:ident, $ssr:ident $(, $listed:tt)?;)+
        }
    )+) => {
        $(
            #[cfg(feature = $feature)]
            pub mod $module;
            $(
                #[cfg(feature = $feature)]
                use $module::$component;
                #[cfg(not(feature = $feature))]
                use elsewhere::Elsewhere as $component;
            )+
        )+

        /// Every page, in the table's order.
        pub const PAGES: &[Page] = &[$($(
            Page {
                path: $path,
                feature: $feature,
                bundle: pages!(@bundle $feature),
                listed: pages!(@listed $($listed)?),
            },
        )+)+];

        /// The routes of every page (the server's and every bundle's alike).
        #[component]
        pub fn PageRoutes() -> impl IntoView {
            view! {
                <Routes fallback=not_found::NotFound>
                    $($(<Route path=path!($path) view=$component ssr=SsrMode::$ssr />)+)+
                </Routes>
            }
        }
    };
    (@bundle "phone") => { Bundle::Phone };
    (@bundle "screens") => { Bundle::Screens };
    (@bundle "console") => { Bundle::Console };
    (@listed) => { None };
    (@listed $name:tt) => { Some($name) };
}

pages! {
    // module    feature      path                   component     rendering   listed at start-up
    kiosk     in "screens" { "/kiosk"            => KioskPage,   Async,      "kiosk (受付機)"; }
    join      in "phone"   { "/join"             => JoinPage,    Async,      "remote check-in (オンライン受付)"; }
    display   in "screens" { "/display"          => DisplayPage, Async,      "display board (呼び出し案内)"; }
    admin     in "console" { "/admin"            => AdminPage,   Async,      "staff console (スタッフ画面)";
                             "/admin/login"      => LoginPage,   OutOfOrder;
                             "/admin/history"    => HistoryPage, Async;
                             "/admin/accounts"   => AccountsPage, Async;
                             "/admin/audit"      => AuditPage,   Async;
                             "/admin/tokens"     => TokensPage,  Async;
                             "/admin/password"   => PasswordPage, OutOfOrder; }
    home      in "phone"   { "/"                 => HomePage,    OutOfOrder; }
    ticket    in "phone"   { "/t/:token"         => TicketPage,  Async; }
    verify    in "phone"   { "/v/:queue/:token"  => VerifyPage,  Async; }
}

#[cfg(test)]
mod tests {
    use super::{bundle_of, Bundle, PAGES};

    #[test]
    fn each_page_has_its_bundle() {
        for path in ["/", "/join", "/t/0123abcd", "/v/default/0123abcd", "/join/"] {
            assert_eq!(bundle_of(path), Bundle::Phone, "{path}");
        }
        for path in ["/kiosk", "/display", "/display/"] {
            assert_eq!(bundle_of(path), Bundle::Screens, "{path}");
        }
        // the console's, and addresses that are no page (the not-found page is in every bundle)
        for path in [
            "/admin",
            "/admin/login",
            "/admin/history",
            "/kiosks",
            "/joinus",
            "/t",
            "/t/a/b",
            "/nowhere",
        ] {
            assert_eq!(bundle_of(path), Bundle::Console, "{path}");
        }
    }

    #[test]
    fn each_path_is_one_page() {
        for (i, page) in PAGES.iter().enumerate() {
            assert!(page.path.starts_with('/'), "{}", page.path);
            for other in &PAGES[i + 1..] {
                assert_ne!(page.path, other.path);
            }
        }
    }

    /// `build_site` builds each page's bundle, and the whole one, with the page's feature.
    #[test]
    fn the_site_builds_each_bundle_with_its_pages() {
        let script = include_str!("../../../scripts/lib.sh");
        let features_of = |bundle: Bundle| -> Vec<&str> {
            let name = format!("\"$OUTPUT_NAME{}\"", bundle.suffix());
            let line = script
                .lines()
                .map(str::split_whitespace)
                .map(Iterator::collect::<Vec<_>>)
                .find(|words| {
                    words.first() == Some(&"build_bundle") && words.get(2) == Some(&name.as_str())
                })
                .unwrap_or_else(|| panic!("scripts/lib.sh builds no {name}"));
            line.get(3)
                .map_or(vec![], |features| features.split(',').collect())
        };
        for page in PAGES {
            for bundle in [page.bundle, Bundle::Console] {
                let features = features_of(bundle);
                assert!(features.contains(&"hydrate"), "{bundle:?}: {features:?}");
                assert!(
                    features.contains(&page.feature),
                    "{}: {bundle:?} {features:?}",
                    page.path
                );
            }
        }
    }
}
