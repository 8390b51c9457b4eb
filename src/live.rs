//! The live event hub: one Redis Pub/Sub subscription per server process, fanned out to every open
//! screen of that process through a broadcast channel.
//!
//! Events are published by the store's scripts, so several server processes on one Redis all see
//! every change. When the subscription drops (Redis restarts), events published meanwhile are
//! lost, so the hub tells every screen to re-read its snapshot once it is subscribed again.

use crate::queue::QueueEvent;
use crate::store::EVENTS_PATTERN;
use futures::StreamExt;
use redis::Client;
use std::time::Duration;
use tokio::sync::broadcast;

/// What the hub passes to screens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubMessage {
    Event(QueueEvent),
    /// Events may have been missed: read the snapshot again.
    Resync,
}

#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<HubMessage>,
}

impl EventHub {
    /// Starts the subscriber task on the current tokio runtime; it runs as long as the runtime.
    pub fn start(client: Client) -> Self {
        let (sender, _) = broadcast::channel(1024);
        tokio::spawn(subscribe_forever(client, sender.clone()));
        Self { sender }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.sender.subscribe()
    }
}

async fn subscribe_forever(client: Client, sender: broadcast::Sender<HubMessage>) {
    let mut delay = Duration::from_millis(100);
    let mut was_connected = true;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.psubscribe(EVENTS_PATTERN).await {
                Ok(()) => {
                    if !was_connected {
                        tracing::info!("live events: subscribed to Redis again");
                    }
                    delay = Duration::from_millis(100);
                    // Anything published before this point may have been missed.
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
                                let _ = sender.send(HubMessage::Event(event));
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live events: unknown event");
                            }
                        }
                    }
                    tracing::warn!("live events: Redis subscription closed; reconnecting");
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
