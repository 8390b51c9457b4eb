//! The kiosks staff set up: kept without expiry until revoked. Only the SHA-256 of a kiosk's
//! secret is stored.

use super::keys::{KIOSKS, KIOSKS_SEEN};
use super::{Store, StoreError};
use crate::kiosk::Kiosk;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// A kiosk as `wr:{kiosks}:all` keeps it (JSON).
#[derive(Serialize, Deserialize)]
pub(super) struct StoredKiosk {
    name: String,
    created_at: u64,
    secret_sha256: String,
}

/// The store's kiosks: a handle on [`Store`], from [`Store::kiosks`].
#[derive(Clone)]
pub struct Kiosks {
    store: Store,
}

impl Kiosks {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    pub async fn add_kiosk(&self, kiosk: &Kiosk, secret_sha256: &str) -> Result<(), StoreError> {
        let stored = StoredKiosk {
            name: kiosk.name.clone(),
            created_at: kiosk.created_at,
            secret_sha256: secret_sha256.to_owned(),
        };
        let json =
            serde_json::to_string(&stored).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.store.conn.clone();
        let _: () = conn.hset(KIOSKS, &kiosk.id, json).await?;
        Ok(())
    }

    /// The SHA-256 of the secret of kiosk `id`, if it exists.
    pub async fn kiosk_secret_sha256(&self, id: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Option<String> = conn.hget(KIOSKS, id).await?;
        raw.map(|json| {
            serde_json::from_str::<StoredKiosk>(&json)
                .map(|k| k.secret_sha256)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// Every kiosk, oldest first.
    pub async fn kiosks(&self) -> Result<Vec<Kiosk>, StoreError> {
        let mut kiosks: Vec<Kiosk> = self
            .store
            .records_with_seen::<StoredKiosk>(KIOSKS, KIOSKS_SEEN)
            .await?
            .into_iter()
            .map(|(id, stored, seen)| Kiosk {
                last_seen_at: seen,
                id,
                name: stored.name,
                created_at: stored.created_at,
            })
            .collect();
        kiosks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(kiosks)
    }

    /// Removes kiosk `id`; answers whether it existed.
    pub async fn remove_kiosk(&self, id: &str) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        let (removed, _): (u32, u32) = redis::pipe()
            .atomic()
            .hdel(KIOSKS, id)
            .hdel(KIOSKS_SEEN, id)
            .query_async(&mut conn)
            .await?;
        Ok(removed > 0)
    }

    pub async fn kiosk_seen(&self, id: &str, at_ms: u64) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: () = conn.hset(KIOSKS_SEEN, id, at_ms).await?;
        Ok(())
    }
}
