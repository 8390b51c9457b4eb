//! Comparing secrets (tokens, credentials, signatures) in time that does not depend on where they
//! first differ, and keeping only their hash.

/// `a == b`, taking the same time whatever their first difference (not their length).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The most one argon2 password check may cost, whatever a stored hash asks for: memory (KiB),
/// passes and lanes. Ours are argon2's defaults (19 MiB, 2 passes, 1 lane); a hash from a backup
/// someone altered could ask for gigabytes at every sign-in.
pub const ARGON2_MAX_MEMORY_KIB: u32 = 64 * 1024;
pub const ARGON2_MAX_PASSES: u32 = 10;
pub const ARGON2_MAX_LANES: u32 = 4;

/// `stored`, read as an argon2 password hash (PHC string) whose parameters are within the bounds
/// above; otherwise what is wrong with it.
pub fn bounded_argon2(stored: &str) -> Result<argon2::password_hash::PasswordHash<'_>, String> {
    let parsed = argon2::password_hash::PasswordHash::new(stored)
        .map_err(|_| "not an argon2 password hash".to_owned())?;
    if !matches!(
        parsed.algorithm.as_str(),
        "argon2id" | "argon2i" | "argon2d"
    ) {
        return Err(format!("{} is not argon2", parsed.algorithm));
    }
    for (name, max) in [
        ("m", ARGON2_MAX_MEMORY_KIB),
        ("t", ARGON2_MAX_PASSES),
        ("p", ARGON2_MAX_LANES),
    ] {
        match parsed.params.get_decimal(name) {
            Some(value) if value <= max => {}
            Some(value) => return Err(format!("its {name}={value} is above {max}")),
            None => return Err(format!("it names no {name}")),
        }
    }
    Ok(parsed)
}

/// The SHA-256 of `text`, in lowercase hex: what is kept of a secret (or a number) that must be
/// recognised, never read back.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The HMAC-SHA256 of `text` under `key`, in lowercase hex: what is kept of a value whose
/// plain hash could be reversed by trying every possible value (a phone number).
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

#[cfg(test)]
mod argon2_tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, SaltString};

    #[test]
    fn only_argon2_hashes_within_the_bounds_are_read() {
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let ours = argon2::Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(bounded_argon2(&ours).is_ok(), "{ours}");
        let at_bounds = ours.replacen("m=19456,t=2,p=1", "m=65536,t=10,p=4", 1);
        assert!(bounded_argon2(&at_bounds).is_ok(), "{at_bounds}");
        for (greedy, what) in [
            (ours.replacen("m=19456", "m=4194304", 1), "m="),
            (ours.replacen("t=2", "t=1000", 1), "t="),
            (ours.replacen("p=1", "p=64", 1), "p="),
            (ours.replacen(",p=1", "", 1), "no p"),
            ("$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA".to_owned(), "argon2"),
            ("plain".to_owned(), "argon2"),
        ] {
            let refused = bounded_argon2(&greedy).unwrap_err();
            assert!(refused.contains(what), "{greedy}: {refused}");
        }
    }
}
