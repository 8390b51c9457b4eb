pub mod lang_switch;
pub mod ticket_slip;
