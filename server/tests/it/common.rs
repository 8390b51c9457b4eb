//! The harness lives in the `testkit` crate; the tests name it `crate::common`.

pub use testkit::*;
