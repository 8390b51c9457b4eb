pub mod lang_menu;
pub mod page;
pub mod ticket_slip;
