//! Waiting Room (待合室): the queue domain. Plain Rust with no I/O and no feature gates, built
//! alike for the server and for the browser (wasm32): ids, the queue and its reducer, tickets,
//! phone numbers as typed, commands, the business day, estimates, the history's figures,
//! fortunes, languages and the problems every door answers. The server's side (the Redis store,
//! the use cases, Twilio, LINE, the door) is the `waitingroom` crate, which re-exports all of this.

pub mod account;
pub mod analytics;
pub mod audit;
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
pub mod ticket;
pub mod twilio;

pub use account::{Account, ApiScope, ApiToken, Capability, Role};
pub use analytics::Analytics;
pub use audit::{AuditAction, AuditEntry, AuditEvent, AuditWho};
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
