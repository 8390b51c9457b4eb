//! The API tokens made in the console: kept without expiry until revoked; only the SHA-256 of a
//! token's secret is stored.

use super::keys::{API_TOKENS, API_TOKENS_SEEN};
use super::{Store, StoreError};
use crate::account::ApiScope;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// A token as `wr:{tokens}:all` keeps it (JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredToken {
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_at: u64,
    pub created_by: String,
    pub secret_sha256: String,
}

/// The store's API tokens: a handle on [`Store`], from [`Store::api_token_records`].
#[derive(Clone)]
pub struct ApiTokenRecords {
    store: Store,
}

impl ApiTokenRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    pub async fn add_token(&self, id: &str, token: &StoredToken) -> Result<(), StoreError> {
        let json = serde_json::to_string(token).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.store.conn.clone();
        let _: () = conn.hset(API_TOKENS, id, json).await?;
        Ok(())
    }

    pub async fn token(&self, id: &str) -> Result<Option<StoredToken>, StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Option<String> = conn.hget(API_TOKENS, id).await?;
        raw.map(|json| from_json(&json)).transpose()
    }

    /// Every token with when it was last used, by id.
    pub async fn tokens(&self) -> Result<Vec<(String, StoredToken, Option<u64>)>, StoreError> {
        self.store
            .records_with_seen(API_TOKENS, API_TOKENS_SEEN)
            .await
    }

    /// Removes token `id`: whether it existed.
    pub async fn remove_token(&self, id: &str) -> Result<bool, StoreError> {
        let mut conn = self.store.conn.clone();
        let (removed, _): (u32, u32) = redis::pipe()
            .atomic()
            .hdel(API_TOKENS, id)
            .hdel(API_TOKENS_SEEN, id)
            .query_async(&mut conn)
            .await?;
        Ok(removed > 0)
    }

    pub async fn token_used(&self, id: &str, at_ms: u64) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: () = conn.hset(API_TOKENS_SEEN, id, at_ms).await?;
        Ok(())
    }
}

fn from_json(json: &str) -> Result<StoredToken, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("API token: {e}")))
}
