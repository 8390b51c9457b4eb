//! Comparing secrets (tokens, credentials, signatures) in time that does not depend on where they
//! first differ, and keeping only their hash.

/// `a == b`, taking the same time whatever their first difference (not their length).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The SHA-256 of `text`, in lowercase hex: what is kept of a secret (or a number) that must be
/// recognised, never read back.
#[cfg(feature = "server")]
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_is() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"tokens"));
    }
}
