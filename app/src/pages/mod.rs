//! The pages. The whole bundle hydrates them all; two lighter ones only some (see `elsewhere`):
//! the phone's (feature `phone`) the customer's pages, the screens' (feature `screens`) the kiosk
//! and the board.

#[cfg(not(any(feature = "phone", feature = "screens")))]
pub mod admin;
#[cfg(not(feature = "phone"))]
pub mod display;
#[cfg(not(feature = "screens"))]
pub mod home;
#[cfg(not(feature = "screens"))]
pub mod join;
#[cfg(not(feature = "phone"))]
pub mod kiosk;
pub mod not_found;
#[cfg(not(feature = "screens"))]
pub mod ticket;
#[cfg(not(feature = "screens"))]
pub mod verify;

#[cfg(any(feature = "phone", feature = "screens"))]
mod elsewhere;
#[cfg(any(feature = "phone", feature = "screens"))]
pub use elsewhere::admin;
#[cfg(feature = "phone")]
pub use elsewhere::{display, kiosk};
#[cfg(feature = "screens")]
pub use elsewhere::{home, join, ticket, verify};
