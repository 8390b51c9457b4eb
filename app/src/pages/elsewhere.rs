//! The phone's bundle (`phone` feature) has only the customer's pages; the kiosk, the display and
//! the staff console hydrate with the whole bundle. Reached from a customer page by a link, one of
//! them loads the page whole, so the server sends it with the bundle that has it.

use leptos::prelude::*;

#[component]
pub fn Elsewhere() -> impl IntoView {
    Effect::new(|| {
        let _ = window().location().reload();
    });
}

pub mod kiosk {
    pub use super::Elsewhere as KioskPage;
}

pub mod display {
    pub use super::Elsewhere as DisplayPage;
}

pub mod admin {
    pub use super::Elsewhere as AdminPage;

    pub mod login {
        pub use super::super::Elsewhere as LoginPage;
    }
}
