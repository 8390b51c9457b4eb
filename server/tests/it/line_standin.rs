//! The LINE stand-in lives in the `testkit` crate; the tests name it `crate::line_standin`.

pub use testkit::line_standin::*;
