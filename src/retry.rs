//! How the clients of outside services (Twilio, LINE) try a request again: at most [`ATTEMPTS`]
//! times, waiting [`backoff`] between tries.

use std::time::Duration;

/// How many times a request is tried at most.
pub const ATTEMPTS: u32 = 4;
/// The first wait before a retry; it doubles, each spread over its second half.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// 200 ms, 400 ms, 800 ms …, each spread over its second half (so retries of many requests do
/// not arrive together).
pub fn backoff(attempt: u32) -> Duration {
    let full = FIRST_BACKOFF * 2u32.pow(attempt.saturating_sub(1).min(6));
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    full / 2 + full / 2 * u32::from(byte[0]) / 255
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter() {
        for attempt in 1..5 {
            let full = FIRST_BACKOFF * 2u32.pow(attempt - 1);
            let wait = backoff(attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
    }
}
