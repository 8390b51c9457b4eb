//! Twilio: the REST client, webhook signatures and TwiML. Everything about Twilio's wire format
//! lives here; the use cases decide what to send.

pub mod client;
pub mod signature;
pub mod twiml;

pub use client::{Call, CallScript, Resource, TwilioClient, TwilioConfig, TwilioError};
