//! Whether a queue takes new tickets (open, remote check-in paused, paused).

use serde::{Deserialize, Serialize};

/// Whether the queue takes new tickets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intake {
    #[default]
    Open,
    /// The kiosk still issues tickets; remote check-in is paused.
    RemotePaused,
    /// No new tickets at all (受付停止).
    Paused,
}

impl Intake {
    pub fn as_str(self) -> &'static str {
        match self {
            Intake::Open => "open",
            Intake::RemotePaused => "remote_paused",
            Intake::Paused => "paused",
        }
    }

    /// Reads the stored or submitted name; anything else is an error, never a guess.
    pub fn parse(raw: &str) -> Result<Self, UnknownIntake> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == raw)
            .ok_or_else(|| UnknownIntake(raw.chars().take(32).collect()))
    }

    pub const ALL: [Intake; 3] = [Intake::Open, Intake::RemotePaused, Intake::Paused];
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown intake {0:?} (expected open, remote_paused or paused)")]
pub struct UnknownIntake(pub String);
