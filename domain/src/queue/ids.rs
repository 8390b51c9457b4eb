//! The ids of queues and counters: checked when parsed and when deserialized, so nothing else
//! reaches Redis keys or URLs.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("has at most {0} characters")]
    TooLong(usize),
    #[error("may only hold a-z, 0-9, '-' and '_' (found {0:?})")]
    BadCharacter(char),
}

fn check_id(raw: &str, max: usize) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.chars().count() > max {
        return Err(IdError::TooLong(max));
    }
    match raw
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        Some(bad) => Err(IdError::BadCharacter(bad)),
        None => Ok(()),
    }
}

/// An id of 1–`$max` characters of `a-z`, `0-9`, `-`, `_`, checked when parsed and when
/// deserialized, so nothing else reaches Redis keys or URLs.
macro_rules! safe_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, IdError> {
                check_id(raw, Self::MAX_LEN)?;
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

safe_id!(
    /// The id of one queue (a service such as 診察 or 会計), part of its Redis keys
    /// (`wr:{<id>}:...`) and URLs.
    QueueId,
    32
);

safe_id!(
    /// A counter (窓口) where customers are served, shown as 「{id}番窓口」 / "Counter {id}".
    CounterId,
    8
);

impl QueueId {
    /// The queue every installation has when nothing else is configured.
    pub fn default_queue() -> Self {
        Self("default".to_owned())
    }
}
