//! Sessions (tower-sessions) kept in Redis, on the store's shared connection. Each session is one
//! key that expires with the session.

use super::Connection;
use async_trait::async_trait;
use redis::AsyncCommands;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

#[derive(Clone)]
pub struct RedisSessionStore {
    conn: Connection,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisSessionStore")
    }
}

impl RedisSessionStore {
    pub fn new(conn: Connection) -> Self {
        Self { conn }
    }

    /// Writes the record; `only_new`: only if no session has this id yet. Answers whether it wrote.
    async fn write(&self, record: &Record, only_new: bool) -> Result<bool> {
        let json = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        let expire_at = record.expiry_date.unix_timestamp().max(1) as u64;
        let mut options =
            redis::SetOptions::default().with_expiration(redis::SetExpiry::EXAT(expire_at));
        if only_new {
            options = options.conditional_set(redis::ExistenceCheck::NX);
        }
        let mut conn = self.conn.clone();
        let written: Option<String> = conn
            .set_options(super::keys::session(&record.id), json, options)
            .await
            .map_err(backend)?;
        Ok(written.is_some())
    }
}

fn backend(e: redis::RedisError) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.write(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = conn.get(super::keys::session(id)).await.map_err(backend)?;
        raw.map(|json| serde_json::from_str(&json).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut conn = self.conn.clone();
        let _: () = conn.del(super::keys::session(id)).await.map_err(backend)?;
        Ok(())
    }
}
