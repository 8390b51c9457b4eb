//! The use cases, shared by the pages' server functions and the JSON API.

use crate::live::{EventHub, HubMessage};
use crate::queue::{Channel, QueueId, QueueSnapshot};
use crate::store::{Store, StoreError};
use crate::ticket::IssuedTicket;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("there is no queue {0:?}")]
    UnknownQueue(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The waiting room of one installation: its queues, the store and the live events.
#[derive(Clone)]
pub struct WaitingRoom {
    store: Store,
    hub: EventHub,
    queues: Vec<QueueId>,
}

impl WaitingRoom {
    /// `queues` must not be empty; the first one is the kiosk's default.
    pub fn new(store: Store, hub: EventHub, queues: Vec<QueueId>) -> Self {
        assert!(!queues.is_empty(), "a waiting room needs at least one queue");
        Self { store, hub, queues }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn queues(&self) -> &[QueueId] {
        &self.queues
    }

    pub fn default_queue(&self) -> &QueueId {
        &self.queues[0]
    }

    /// Turns raw input (a URL segment, a form field) into one of this installation's queues.
    pub fn queue(&self, raw: &str) -> Result<QueueId, ServiceError> {
        self.queues
            .iter()
            .find(|q| q.as_str() == raw)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownQueue(raw.chars().take(64).collect()))
    }

    pub async fn issue_ticket(
        &self,
        queue: &QueueId,
        channel: Channel,
    ) -> Result<IssuedTicket, ServiceError> {
        Ok(self.store.issue(queue, channel, now_ms()).await?)
    }

    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, ServiceError> {
        Ok(self.store.snapshot(queue).await?)
    }

    pub async fn waiting_numbers(&self, queue: &QueueId) -> Result<Vec<u64>, ServiceError> {
        Ok(self.store.waiting_numbers(queue).await?)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.hub.subscribe()
    }

    pub async fn health(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
