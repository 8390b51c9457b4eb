#[cfg(not(feature = "phone"))]
pub mod admin;
#[cfg(not(feature = "phone"))]
pub mod display;
pub mod home;
pub mod join;
#[cfg(not(feature = "phone"))]
pub mod kiosk;
pub mod not_found;
pub mod ticket;
pub mod verify;

#[cfg(feature = "phone")]
mod elsewhere;
#[cfg(feature = "phone")]
pub use elsewhere::{admin, display, kiosk};
