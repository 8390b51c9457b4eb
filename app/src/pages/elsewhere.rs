//! What a light bundle (feature `phone` or `screens`) has in place of the pages it leaves out:
//! reached by a link from one of its own pages, such a page loads whole, so that the server sends
//! it with the bundle that has it (see `crate::bundle_of`).

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

pub mod admin {
    pub use super::Elsewhere as AdminPage;

    pub mod login {
        pub use super::super::Elsewhere as LoginPage;
    }
}

#[cfg(feature = "phone")]
pub mod kiosk {
    pub use super::Elsewhere as KioskPage;
}

#[cfg(feature = "phone")]
pub mod display {
    pub use super::Elsewhere as DisplayPage;
}

#[cfg(feature = "screens")]
pub mod home {
    pub use super::Elsewhere as HomePage;
}

#[cfg(feature = "screens")]
pub mod join {
    pub use super::Elsewhere as JoinPage;
}

#[cfg(feature = "screens")]
pub mod ticket {
    pub use super::Elsewhere as TicketPage;
}

#[cfg(feature = "screens")]
pub mod verify {
    pub use super::Elsewhere as VerifyPage;
}
