//! The staff password: hashed with argon2 and kept in Redis. From `ADMIN_PASSWORD`, or generated
//! once at first start (and printed once by the caller).

use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored staff password hash is unreadable")]
    BadHash,
}

fn hash(password: &str) -> Result<String, StaffError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| StaffError::BadHash)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| StaffError::BadHash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StaffError::BadHash)
}

async fn hash_off_thread(password: String) -> Result<String, StaffError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| StaffError::BadHash)?
}

/// A password of 16 characters a person can type (no 0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Sets the staff password at start: `configured` (from `ADMIN_PASSWORD`) replaces the stored
/// one; without it a password is generated when none is stored yet, and answered so it can be
/// shown once.
pub async fn init_password(
    store: &Store,
    configured: Option<&str>,
) -> Result<Option<String>, StaffError> {
    if let Some(password) = configured {
        let hashed = hash_off_thread(password.to_owned()).await?;
        store.set_staff_password_hash(&hashed, false).await?;
        return Ok(None);
    }
    if store.staff_password_hash().await?.is_some() {
        return Ok(None);
    }
    let generated = generate_password();
    let hashed = hash_off_thread(generated.clone()).await?;
    let set = store.set_staff_password_hash(&hashed, true).await?;
    Ok(set.then_some(generated))
}

/// Whether `candidate` is the staff password (argon2 runs off the async threads).
pub async fn verify_password(store: &Store, candidate: &str) -> Result<bool, StaffError> {
    let Some(stored) = store.staff_password_hash().await? else {
        return Ok(false);
    };
    let candidate = candidate.to_owned();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|_| StaffError::BadHash)?;
        Ok(Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|_| StaffError::BadHash)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_generated_passwords_differ() {
        let h = hash("correct horse").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong", &parsed)
            .is_err());
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}
