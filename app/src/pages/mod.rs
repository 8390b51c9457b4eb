pub mod admin;
pub mod display;
pub mod home;
pub mod join;
pub mod kiosk;
pub mod not_found;
pub mod ticket;
pub mod verify;
