//! `X-Line-Signature`: base64(HMAC-SHA256(channel secret, the raw request body)), checked over
//! the bytes as they came, before anything reads them; compared in constant time.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature LINE computes for `body` with `channel_secret`.
pub fn signature(channel_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(channel_secret.as_bytes())
        .expect("HMAC takes a key of any size");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `given` (the header) is LINE's signature of `body`.
pub fn is_valid(channel_secret: &str, body: &[u8], given: &str) -> bool {
    crate::secret::constant_time_eq(
        signature(channel_secret, body).as_bytes(),
        given.trim().as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> Vec<serde_json::Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/line/signature-vectors.json"
        );
        let text = std::fs::read_to_string(path).expect("the LINE vectors");
        let all: serde_json::Value = serde_json::from_str(&text).unwrap();
        all["vectors"].as_array().unwrap().clone()
    }

    /// One test per vector of `testdata/line/signature-vectors.json` (checked by LINE's SDK).
    fn check(index: usize) {
        let v = &vectors()[index];
        let secret = v["channel_secret"].as_str().unwrap();
        let body = v["body"].as_str().unwrap().as_bytes();
        let expected = v["x_line_signature"].as_str().unwrap();
        assert_eq!(signature(secret, body), expected);
        assert!(is_valid(secret, body, expected));
        let tampered = v["tampered_body_must_fail"].as_str().unwrap().as_bytes();
        assert!(!is_valid(secret, tampered, expected), "a tampered body");
        assert!(
            !is_valid("another secret", body, expected),
            "another secret"
        );
        assert!(!is_valid(secret, body, ""), "no signature");
    }

    #[test]
    fn vector_0() {
        check(0)
    }
    #[test]
    fn vector_1() {
        check(1)
    }
    #[test]
    fn vector_2() {
        check(2)
    }
    #[test]
    fn vector_3() {
        check(3)
    }
    #[test]
    fn vector_4() {
        check(4)
    }

    #[test]
    fn every_vector_has_its_test() {
        assert_eq!(vectors().len(), 5, "a new vector needs its own test above");
    }
}
