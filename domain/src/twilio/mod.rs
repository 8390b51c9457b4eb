//! What Twilio's statuses mean for a message or a call (the client and the wire format are the
//! server's, `waitingroom::twilio`).

pub mod status;
