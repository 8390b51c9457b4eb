//! The one-time code that links a ticket to a LINE user (the client and the webhook are the
//! server's, `waitingroom::line`).

pub mod code;
