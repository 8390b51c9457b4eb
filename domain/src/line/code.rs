//! The one-time code that links a ticket to a LINE user: 10 characters of Crockford's base32
//! (50 random bits; no I, L, O or U, so nobody misreads one), found anywhere in the text the
//! customer sends (the prefilled text carries it after `#`).

/// Crockford's base32 alphabet.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
pub const LEN: usize = 10;

/// The code of 10 random bytes (each byte's low 5 bits).
pub fn from_bytes(bytes: [u8; LEN]) -> String {
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect()
}

/// The code in `text`, if it has one: the first run of exactly [`LEN`] characters of the alphabet
/// (upper or lower case) standing apart from other letters and digits.
pub fn find(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.len() == LEN && word.bytes().all(|b| ALPHABET.contains(&b)))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_found_in_the_prefilled_text_and_nowhere_else() {
        let code = from_bytes([0, 1, 2, 3, 31, 30, 29, 28, 32, 255]);
        assert_eq!(code, "0123ZYXW0Z");
        assert_eq!(
            find(&format!("受付番号42番の通知 #{code}")),
            Some(code.clone())
        );
        assert_eq!(find(&format!("#{}", code.to_lowercase())), Some(code));
        assert_eq!(find("こんにちは"), None);
        assert_eq!(find("#0123ZYXW0ZZ"), None, "too long");
        assert_eq!(find("#0123ZYXWIL"), None, "I and L are not in the alphabet");
    }
}
