//! Waiting Room (待合室): the queue domain.
//!
//! Plain Rust with no I/O, built for the server and for the browser (wasm32). The feature `server`
//! adds the adapters: the Redis [`store`], the [`live`] event hub and the use cases in [`services`].

pub mod lang;
pub mod queue;
pub mod ticket;

#[cfg(feature = "server")]
pub mod live;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "server")]
pub mod store;

pub use lang::Lang;
pub use queue::{Applied, Channel, LiveMessage, QueueEvent, QueueId, QueueIdError, QueueSnapshot};
pub use ticket::{IssuedTicket, Ticket, TicketState};
