//! The Twilio stand-in lives in the `testkit` crate; the tests name it `crate::twilio_standin`.

pub use testkit::twilio_standin::*;
