//! The live event hub: one Redis Pub/Sub subscription per server process, fanned out to every open
//! screen of that process through a broadcast channel.
//!
//! Events are published by the store's scripts, so several server processes on one Redis all see
//! every change. When the subscription drops (Redis restarts), events published meanwhile are
//! lost, so the hub tells every screen to re-read its snapshot once it is subscribed again.
//!
//! The hub also keeps the snapshot a screen starts from, per queue, current by applying each
//! event before passing it on (the screens' own reducer): a storm of reconnecting screens costs
//! Redis one read per queue, not one per screen.

use crate::queue::{Applied, LiveMessage, QueueEvent, QueueId, QueueSnapshot};
use crate::store::{Store, StoreError, EVENTS_PATTERN};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// What the hub passes to screens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubMessage {
    Event(Arc<HubEvent>),
    /// Events may have been missed: read the snapshot again.
    Resync,
}

/// An event as the hub passes it on: parsed (to filter and to keep snapshots current), and
/// already written as the live channel's message, once for every screen of the process.
#[derive(Debug, PartialEq, Eq)]
pub struct HubEvent {
    pub event: QueueEvent,
    /// `LiveMessage::Event` of it, as JSON (UTF-8), shared by every screen's frame.
    pub message: bytes::Bytes,
}

#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<HubMessage>,
    snapshots: Arc<SnapshotCache>,
}

impl EventHub {
    /// Starts the subscriber task on the current tokio runtime; it runs as long as the runtime.
    pub fn start(store: Store) -> Self {
        let (sender, _) = broadcast::channel(1024);
        let snapshots = Arc::new(SnapshotCache {
            store,
            queues: Default::default(),
        });
        tokio::spawn(subscribe_forever(Arc::clone(&snapshots), sender.clone()));
        Self { sender, snapshots }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.sender.subscribe()
    }

    /// The snapshot of `queue` a live screen starts from: this process's copy, current up to the
    /// last event the hub passed on; read from Redis only when there is none. Subscribe first,
    /// then ask: events after the snapshot then reach the screen.
    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        self.snapshots.get(queue).await
    }
}

/// One snapshot per queue, kept current by the hub's events. A queue's lock is held across a
/// Redis read, so concurrent screens wait for one read, and no event is applied meanwhile (it
/// is applied right after, or the read already holds it).
struct SnapshotCache {
    store: Store,
    queues: std::sync::Mutex<HashMap<QueueId, Arc<tokio::sync::Mutex<Option<QueueSnapshot>>>>>,
}

impl SnapshotCache {
    fn entry(&self, queue: &QueueId) -> Arc<tokio::sync::Mutex<Option<QueueSnapshot>>> {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(queues.entry(queue.clone()).or_default())
    }

    async fn get(&self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let entry = self.entry(queue);
        let mut cached = entry.lock().await;
        if let Some(snapshot) = cached.as_ref() {
            return Ok(snapshot.clone());
        }
        let snapshot = self.store.queues().snapshot(queue).await?;
        *cached = Some(snapshot.clone());
        Ok(snapshot)
    }

    async fn apply(&self, event: &QueueEvent) {
        let entry = self.entry(&event.queue);
        let mut cached = entry.lock().await;
        if let Some(snapshot) = cached.as_mut() {
            if snapshot.apply(event) == Applied::Gap {
                *cached = None;
            }
        }
    }

    /// Events may have been missed: every copy is dropped.
    async fn clear(&self) {
        let entries: Vec<_> = {
            let queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            queues.values().cloned().collect()
        };
        for entry in entries {
            *entry.lock().await = None;
        }
    }
}

async fn subscribe_forever(snapshots: Arc<SnapshotCache>, sender: broadcast::Sender<HubMessage>) {
    let mut delay = Duration::from_millis(100);
    let mut was_connected = true;
    loop {
        match snapshots.store.pubsub().await {
            Ok(mut pubsub) => match pubsub.psubscribe(EVENTS_PATTERN).await {
                Ok(()) => {
                    if !was_connected {
                        tracing::info!("live events: subscribed to Redis again");
                    }
                    delay = Duration::from_millis(100);
                    // Anything published before this point may have been missed.
                    snapshots.clear().await;
                    let _ = sender.send(HubMessage::Resync);
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let payload: String = match msg.get_payload() {
                            Ok(p) => p,
                            Err(e) => {
                                tracing::warn!(error = %e, "live events: unreadable message");
                                continue;
                            }
                        };
                        match serde_json::from_str::<QueueEvent>(&payload) {
                            Ok(event) => {
                                snapshots.apply(&event).await;
                                let message = LiveMessage::Event {
                                    event: event.clone(),
                                };
                                let message =
                                    serde_json::to_vec(&message).unwrap_or_default().into();
                                let hub_event = Arc::new(HubEvent { event, message });
                                let _ = sender.send(HubMessage::Event(hub_event));
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live events: unknown event");
                            }
                        }
                    }
                    tracing::warn!("live events: Redis subscription closed; reconnecting");
                    snapshots.clear().await;
                    was_connected = false;
                    continue;
                }
                Err(e) => {
                    if was_connected {
                        tracing::warn!(error = %e, "live events: subscribe failed; retrying");
                    }
                    was_connected = false;
                }
            },
            Err(e) => {
                if was_connected {
                    tracing::warn!(error = %e, "live events: Redis unreachable; retrying");
                }
                was_connected = false;
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
