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

/// The HMAC-SHA256 of `text` under `key`, in lowercase hex: what is kept of a value whose
/// plain hash could be reversed by trying every possible value (a phone number).
#[cfg(feature = "server")]
pub fn keyed_hash_hex(key: &[u8], text: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
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

    #[cfg(feature = "server")]
    #[test]
    fn keyed_hashes_are_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2
        assert_eq!(
            keyed_hash_hex(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(
            keyed_hash_hex(b"a", "+818055551234"),
            keyed_hash_hex(b"b", "+818055551234")
        );
    }
}
