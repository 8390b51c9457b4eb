//! Waiting Room (待合室): the server's side. The Redis [`store`], the use cases in [`services`],
//! the [`live`] event hub, the one [`door`] every request comes through, the channels ([`notify`],
//! [`twilio`], [`line`]) and the [`metrics`]. The domain (`domain`, no I/O, also in the browser)
//! is re-exported whole: `waitingroom::Ticket` is `domain::Ticket`.

pub use domain::*;

pub mod calendar;
pub mod door;
pub mod history;
pub mod line;
pub mod live;
pub mod metrics;
pub mod notify;
pub mod phone;
pub mod retry;
pub mod secret;
pub mod services;
pub mod store;
pub mod twilio;
