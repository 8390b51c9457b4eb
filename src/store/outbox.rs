//! The outbox: the SMS and calls the queue's scripts made due, one Redis stream per queue (in the
//! queue's hash slot, so the script that moves the queue also writes the job), worked off by the
//! consumer group `senders` of every server process. A job stays pending until acknowledged; a
//! process that stopped leaves its pending jobs to be claimed by another. And the dev outbox:
//! what would have been sent, when Twilio is not configured.

use super::keys::{QueueKeys, DEV_OUTBOX};
use super::{Store, StoreError};
use crate::queue::QueueId;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply,
};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const GROUP: &str = "senders";
/// The dev outbox keeps the latest messages only, for a day.
const DEV_OUTBOX_KEPT: isize = 100;

/// One SMS or call to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxJob {
    pub queue: QueueId,
    /// The stream entry's id (also when the job was made due).
    pub id: String,
    pub fields: HashMap<String, String>,
    /// How many times it was handed out before (0: never).
    pub deliveries: u64,
}

impl OutboxJob {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// When the job was made due, in ms (from its id).
    pub fn made_at_ms(&self) -> u64 {
        self.id
            .split('-')
            .next()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0)
    }
}

/// A message of the dev outbox: what would have been sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevMessage {
    pub at: u64,
    pub to: String,
    pub body: String,
    pub kind: String,
}

fn job(queue: &QueueId, id: String, map: HashMap<String, redis::Value>) -> OutboxJob {
    let fields = map
        .into_iter()
        .filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v)))
        .collect();
    OutboxJob {
        queue: queue.clone(),
        id,
        fields,
        deliveries: 0,
    }
}

impl Store {
    /// Makes sure the consumer group exists (it goes with the stream when the day's keys expire).
    pub async fn ensure_outbox(&self, queue: &QueueId) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let created: Result<(), redis::RedisError> = conn
            .xgroup_create_mkstream(QueueKeys::of(queue).outbox(), GROUP, "0")
            .await;
        match created {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Jobs not handed out yet, to `consumer` (without waiting).
    pub async fn new_jobs(
        &self,
        queue: &QueueId,
        consumer: &str,
        count: usize,
    ) -> Result<Vec<OutboxJob>, StoreError> {
        let mut conn = self.conn.clone();
        let options = StreamReadOptions::default()
            .group(GROUP, consumer)
            .count(count);
        let reply: Option<StreamReadReply> = conn
            .xread_options(&[QueueKeys::of(queue).outbox()], &[">"], &options)
            .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .map(|entry| job(queue, entry.id, entry.map))
            .collect())
    }

    /// Jobs handed out to a consumer that has not acknowledged them for `idle_ms` (its process
    /// stopped, or the attempt failed): now `consumer`'s.
    pub async fn stale_jobs(
        &self,
        queue: &QueueId,
        consumer: &str,
        idle_ms: u64,
    ) -> Result<Vec<OutboxJob>, StoreError> {
        let mut conn = self.conn.clone();
        let options = StreamAutoClaimOptions::default().count(10);
        let reply: StreamAutoClaimReply = conn
            .xautoclaim_options(
                QueueKeys::of(queue).outbox(),
                GROUP,
                consumer,
                idle_ms,
                "0-0",
                options,
            )
            .await?;
        Ok(reply
            .claimed
            .into_iter()
            .map(|entry| OutboxJob {
                deliveries: 1,
                ..job(queue, entry.id, entry.map)
            })
            .collect())
    }

    /// The job is done (or will never be): it is not handed out again, and it is deleted (the
    /// stream keeps no number longer than its job needs it).
    pub async fn ack_job(&self, job: &OutboxJob) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let outbox = QueueKeys::of(&job.queue).outbox();
        let _: () = redis::pipe()
            .atomic()
            .xack(&outbox, GROUP, &[&job.id])
            .ignore()
            .xdel(&outbox, &[&job.id])
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn add_dev_message(&self, message: &DevMessage) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.conn.clone();
        let _: () = redis::pipe()
            .atomic()
            .lpush(DEV_OUTBOX, json)
            .ignore()
            .ltrim(DEV_OUTBOX, 0, DEV_OUTBOX_KEPT - 1)
            .ignore()
            .expire(DEV_OUTBOX, 86_400)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The dev outbox, newest first.
    pub async fn dev_messages(&self) -> Result<Vec<DevMessage>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Vec<String> = conn.lrange(DEV_OUTBOX, 0, -1).await?;
        raw.iter()
            .map(|json| serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}
