//! Waiting Room (待合室): the queue domain.
//!
//! Plain Rust with no I/O, built for the server and for the browser (wasm32). The feature `server`
//! adds the adapters: the Redis [`store`], the [`live`] event hub and the use cases in [`services`].

pub mod analytics;
pub mod command;
pub mod day;
pub mod estimate;
pub mod fortune;
pub mod history;
pub mod kiosk;
pub mod lang;
pub mod line;
pub mod phone;
pub mod problem;
pub mod queue;
pub mod secret;
pub mod ticket;

#[cfg(feature = "server")]
pub mod door;
#[cfg(feature = "server")]
pub mod live;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod notify;
#[cfg(feature = "server")]
pub mod retry;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "server")]
pub mod store;
pub mod twilio;

pub use analytics::Analytics;
pub use day::QueueDay;
pub use estimate::WaitBasis;
pub use fortune::{Fortune, Rank};
pub use kiosk::{Kiosk, KioskCredential};
pub use lang::Lang;
pub use phone::{BadPhone, BadPhoneReason, ContactRecord, PhoneNumber};
pub use problem::{ErrorCode, Problem};
pub use queue::{
    estimated_wait_ms, minutes_ceil, Applied, Call, Change, Channel, CounterId, IdError, Intake,
    LateArrivals, LiveMessage, OpeningHours, Outcome, QueueEvent, QueueId, QueueInfo,
    QueueSnapshot, Serving, UnknownIntake,
};
pub use ticket::{
    label, CallAnswer, ContactState, IssuedTicket, PhoneStatus, ReminderState, Ticket,
    TicketAction, TicketState, TicketSummary, TicketToken,
};
