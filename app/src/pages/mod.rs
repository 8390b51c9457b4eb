pub mod home;
pub mod kiosk;
pub mod not_found;
