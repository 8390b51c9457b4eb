//! What the staff desk keeps: the argon2 hash of the staff password, the staff epoch (a
//! session signed in under an older one has ended) and the count of failed sign-ins per network.

use super::keys;
use super::{Store, StoreError};
use redis::AsyncCommands;
use std::time::Duration;

/// The store's the staff password, epoch and sign-in attempts: a handle on [`Store`], from [`Store::staff_records`].
#[derive(Clone)]
pub struct StaffRecords {
    store: Store,
}

impl StaffRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Counts one more sign-in attempt in each of a client's `networks` (see [`networks`](super::networks): each
    /// allows `max` times its multiple) before its password is checked, so parallel attempts
    /// cannot all slip under the limit; answers `Some(seconds left of the window)` when a network
    /// is past its limit. A window starts with its first attempt and is never extended.
    pub async fn take_sign_in_attempt(
        &self,
        networks: &[(String, u32)],
        max: u32,
        window: Duration,
    ) -> Result<Option<u64>, StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (network, _) in networks {
            let key = keys::sign_in_attempts(network);
            pipe.incr(&key, 1)
                .cmd("EXPIRE")
                .arg(&key)
                .arg(window.as_secs().max(1))
                .arg("NX")
                .ignore()
                .ttl(&key);
        }
        let mut conn = self.store.conn.clone();
        let counts: Vec<(u32, i64)> = pipe.query_async(&mut conn).await?;
        Ok(networks
            .iter()
            .zip(counts)
            .filter(|((_, times), (count, _))| *count > max.saturating_mul(*times))
            .map(|(_, (_, ttl))| ttl.max(0) as u64)
            .max())
    }

    /// Gives back the attempt of a sign-in that had the right password: only failures count.
    pub async fn give_back_sign_in_attempt(
        &self,
        networks: &[(String, u32)],
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (network, _) in networks {
            pipe.decr(keys::sign_in_attempts(network), 1).ignore();
        }
        let mut conn = self.store.conn.clone();
        let () = pipe.query_async(&mut conn).await?;
        Ok(())
    }

    /// The current staff epoch (0 before the first change).
    pub async fn staff_epoch(&self) -> Result<u64, StoreError> {
        let mut conn = self.store.conn.clone();
        let epoch: Option<u64> = conn.get(keys::STAFF_EPOCH).await?;
        Ok(epoch.unwrap_or(0))
    }

    /// Ends every staff session: answers the new epoch.
    pub async fn next_staff_epoch(&self) -> Result<u64, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn.incr(keys::STAFF_EPOCH, 1).await?)
    }

    /// The argon2 hash of the staff password, if one is set.
    pub async fn staff_password_hash(&self) -> Result<Option<String>, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn.get(keys::STAFF_PASSWORD).await?)
    }

    /// Stores the staff password's hash; with `only_if_unset`, only when none is stored yet.
    /// Answers whether it was stored.
    pub async fn set_staff_password_hash(
        &self,
        hash: &str,
        only_if_unset: bool,
    ) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        if only_if_unset {
            Ok(conn.set_nx(keys::STAFF_PASSWORD, hash).await?)
        } else {
            let _: () = conn.set(keys::STAFF_PASSWORD, hash).await?;
            Ok(true)
        }
    }
}
