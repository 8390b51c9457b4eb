//! What a bundle without some page feature has in place of each page it leaves out (see the table
//! in `pages`): reached by a link from one of its own pages, such a page loads whole, so that the
//! server sends it with the bundle that has it (`pages::bundle_of`).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn Elsewhere() -> impl IntoView {
    let location = use_location();
    let here = move || {
        let (search, hash) = (
            location.search.get_untracked(),
            location.hash.get_untracked(),
        );
        let search = if search.is_empty() {
            search
        } else {
            format!("?{search}")
        };
        let hash = if hash.is_empty() || hash.starts_with('#') {
            hash
        } else {
            format!("#{hash}")
        };
        format!("{}{search}{hash}", location.pathname.get_untracked())
    };
    // after the router has written the address (replacing it then adds no history entry)
    Effect::new(move || {
        let here = here();
        set_timeout(
            move || drop(window().location().replace(&here)),
            std::time::Duration::ZERO,
        );
    });
}
