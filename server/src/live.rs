//! The live channel (`GET /api/v1/queues/{queue}/live`, a WebSocket): the queue's snapshot, then
//! every event. The same as Server-Sent Events at `GET /api/v1/queues/{queue}/events`, for
//! integrations and for clients behind proxies that block WebSockets. It faces the internet, so everything about it is bounded: connections per address
//! and in all, small buffers, client messages of at most a few hundred bytes (screens send none),
//! a screen that stops reading is dropped after a few seconds, and one that stops answering pings
//! after two of them.

use crate::api::ApiError;
use crate::AppState;
use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::SinkExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use waitingroom::door::{ClientAddr, KioskCredential};
use waitingroom::live::HubMessage;
use waitingroom::services::{address_key, WaitingRoom};
use waitingroom::{LiveMessage, Problem, QueueId, QueueSnapshot};

/// How many live connections the server keeps open, and how it checks on them.
#[derive(Clone, Copy, Debug)]
pub struct LiveLimits {
    /// In all (`LIVE_MAX_CONNECTIONS`): past it, 503 and the screens retry later.
    pub max_connections: usize,
    /// From one client address, an IPv6 /64 (`LIVE_MAX_PER_ADDRESS`): phones behind one shop
    /// Wi-Fi or carrier NAT share an address, so it is generous; past it, 429.
    pub max_per_address: usize,
    /// How often a connection is pinged (`LIVE_PING_SECS`); one that answered nothing since the
    /// last ping is dropped.
    pub ping_every: Duration,
    /// Connections beyond `max_connections`, and beyond any address's share, kept for the
    /// store's own devices (`LIVE_RESERVED_CONNECTIONS`): a kiosk, or a board or console signed
    /// in as staff, still connects when the public has taken every other place.
    pub reserved: usize,
}

/// Who a live connection is for: anyone, or one of the store's own devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seat {
    Public,
    Store,
}

/// A message a screen does not read within this long drops its connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest message or frame a screen may send (it only answers pings and closes).
const MAX_CLIENT_MESSAGE: usize = 512;
/// What each connection reads into at once.
const READ_BUFFER: usize = 1024;
/// What may wait to be written to one connection: a full day's snapshot fits.
const MAX_WRITE_BUFFER: usize = 256 * 1024;
/// Frames written into a connection's buffer are sent once it holds this much, or at the end of
/// a batch (the buffer keeps only what the batch wrote).
const WRITE_BUFFER: usize = 16 * 1024;
/// Events already waiting that go out in one write, at most.
const MAX_BATCH: usize = 16;

/// The live connections open now, in all and per client address.
pub struct LiveGate {
    limits: LiveLimits,
    open: Mutex<(usize, HashMap<String, usize>)>,
}

/// A connection counted by the gate, until it is dropped.
struct Admission {
    gate: Arc<LiveGate>,
    address: String,
}

impl LiveGate {
    pub fn new(limits: LiveLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    fn admit(self: &Arc<Self>, address: String, seat: Seat) -> Result<Admission, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_address) = &mut *open;
        let max = match seat {
            Seat::Public => self.limits.max_connections,
            Seat::Store => self.limits.max_connections + self.limits.reserved,
        };
        if *total >= max {
            return Err(ApiError::new(
                Problem::Unavailable,
                "the server has all the live connections it takes; try again later",
            ));
        }
        let mine = per_address.entry(address.clone()).or_default();
        if seat == Seat::Public && *mine >= self.limits.max_per_address {
            return Err(ApiError::from(Problem::TooManyConnections {
                max: self.limits.max_per_address,
            }));
        }
        *mine += 1;
        *total += 1;
        Ok(Admission {
            gate: Arc::clone(self),
            address,
        })
    }

    /// Admits a connection from `address`: as anyone's while there is room, else (when the
    /// request comes from a kiosk or a staff session) on a place kept for the store's devices.
    async fn admit_request(
        self: &Arc<Self>,
        room: &WaitingRoom,
        address: String,
        kiosk: &KioskCredential,
        session: &tower_sessions::Session,
    ) -> Result<Admission, ApiError> {
        match self.admit(address.clone(), Seat::Public) {
            Err(full) if is_store_device(room, kiosk, session).await => {
                self.admit(address, Seat::Store).map_err(|_| full)
            }
            admitted => admitted,
        }
    }

    /// Live connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.gate.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_address) = &mut *open;
        *total -= 1;
        if let Some(mine) = per_address.get_mut(&self.address) {
            *mine -= 1;
            if *mine == 0 {
                per_address.remove(&self.address);
            }
        }
    }
}

/// Whether a request comes from one of the store's devices: a kiosk (its credential cookie) or a
/// browser signed in as staff.
async fn is_store_device(
    room: &WaitingRoom,
    KioskCredential(kiosk): &KioskCredential,
    session: &tower_sessions::Session,
) -> bool {
    if let Some(credential) = kiosk {
        if room.devices().admit_kiosk(Some(credential)).await.is_ok() {
            return true;
        }
    }
    matches!(
        waitingroom::door::staff_pass(room, session).await,
        Ok(Some(_))
    )
}

/// `GET /api/v1/queues/{queue}/live`: 101 and the channel; 429 or 503 past the limits.
pub async fn live(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    ClientAddr(client): ClientAddr,
    kiosk: KioskCredential,
    session: tower_sessions::Session,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let queue = state.room.setup().queue(&queue)?.id.clone();
    let address = address_key(client);
    let admission = state
        .live
        .admit_request(&state.room, address, &kiosk, &session)
        .await?;
    let room = state.room.clone();
    let ping_every = state.live.limits.ping_every;
    Ok(upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            let counted = room.metrics().live_connection();
            follow(socket, room, queue, ping_every).await;
            drop(counted);
            drop(admission);
        }))
}

async fn follow(mut socket: WebSocket, room: WaitingRoom, queue: QueueId, ping_every: Duration) {
    // Subscribe before reading the snapshot: nothing can fall between the two.
    let mut events = room.subscribe();
    if send_snapshot(&mut socket, &room, &queue).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    // whether the screen sent anything (a pong) since the last ping
    let mut answered = true;
    loop {
        let sent = tokio::select! {
            // events first: a wakeup for an event polls nothing else
            biased;
            received = events.recv() => forward(&mut socket, &mut events, received, &room, &queue).await,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(()),
                Some(Ok(_)) => {
                    answered = true;
                    Ok(())
                }
            },
            _ = ping.tick() => {
                if answered {
                    answered = false;
                    send_frame(&mut socket, Message::Ping(Default::default())).await
                } else {
                    Err(())
                }
            }
        };
        if sent.is_err() {
            break;
        }
    }
}

/// Sends what the hub passed on (`received`, then whatever else is already waiting, up to
/// [`MAX_BATCH`]) to the screen in one write: a call publishes two events (the previous ticket
/// finished, the next one called), which then cost one send, not two.
async fn forward(
    socket: &mut WebSocket,
    events: &mut broadcast::Receiver<HubMessage>,
    received: Result<HubMessage, RecvError>,
    room: &WaitingRoom,
    queue: &QueueId,
) -> Result<(), ()> {
    let mut next = Some(received);
    let mut fed = 0;
    while let Some(received) = next.take() {
        match received {
            Ok(HubMessage::Event(hub)) if hub.event.queue == *queue => {
                // written once for every screen of the process; each frame shares it
                if let Ok(text) = Utf8Bytes::try_from(hub.message.clone()) {
                    within_timeout(socket.feed(Message::Text(text))).await?;
                    fed += 1;
                }
            }
            Ok(HubMessage::Event(_)) => {}
            // Events were missed (Redis reconnect, or this channel fell behind); what was fed
            // goes out first.
            Ok(HubMessage::Resync) | Err(RecvError::Lagged(_)) => {
                send_snapshot(socket, room, queue).await?;
                fed = 0;
            }
            Err(RecvError::Closed) => return Err(()),
        }
        if fed < MAX_BATCH {
            next = match events.try_recv() {
                Ok(message) => Some(Ok(message)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
            };
        }
    }
    if fed > 0 {
        within_timeout(socket.flush()).await?;
    }
    Ok(())
}

/// A write a screen does not take within [`SEND_TIMEOUT`] drops it.
async fn within_timeout(
    write: impl std::future::Future<Output = Result<(), axum::Error>>,
) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(()),
    }
}

async fn send_snapshot(
    socket: &mut WebSocket,
    room: &WaitingRoom,
    queue: &QueueId,
) -> Result<(), ()> {
    let snapshot = match room.live_snapshot(queue).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "live channel: snapshot unavailable; closing");
            let frame = CloseFrame {
                code: close_code::AGAIN,
                reason: "queue store unavailable; reconnect later".into(),
            };
            let _ = send_frame(socket, Message::Close(Some(frame))).await;
            return Err(());
        }
    };
    send(socket, &LiveMessage::Snapshot { snapshot }).await
}

async fn send(socket: &mut WebSocket, message: &LiveMessage) -> Result<(), ()> {
    let text = serde_json::to_string(message).map_err(|_| ())?;
    send_frame(socket, Message::Text(text.into())).await
}

/// Sends one frame; a screen that does not take it within [`SEND_TIMEOUT`] is dropped.
async fn send_frame(socket: &mut WebSocket, frame: Message) -> Result<(), ()> {
    within_timeout(socket.send(frame)).await
}

/// `GET /api/v1/queues/{queue}/events`: the live channel as Server-Sent Events, the same messages
/// (`event: snapshot` or `event: event`, `id:` the queue's version, `data:` the JSON), each event
/// once and after the snapshot that does not hold it already. A client
/// that reconnects with `Last-Event-ID` equal to the queue's current version gets no snapshot,
/// only what follows; any other gets the snapshot first (missed events are not kept: the
/// snapshot has them). A comment every `LIVE_PING_SECS` keeps proxies from closing it. Counted
/// with the WebSockets, within the same limits.
pub async fn events(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    ClientAddr(client): ClientAddr,
    kiosk: KioskCredential,
    headers: HeaderMap,
    session: tower_sessions::Session,
) -> Result<Response, ApiError> {
    use axum::response::sse::{KeepAlive, Sse};
    use axum::response::IntoResponse;
    let queue = state.room.setup().queue(&queue)?.id.clone();
    let address = address_key(client);
    let admission = state
        .live
        .admit_request(&state.room, address, &kiosk, &session)
        .await?;
    let last_seen: Option<u64> = headers
        .get("last-event-id")
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let room = state.room.clone();
    // subscribe before reading the snapshot: nothing can fall between the two
    let subscription = room.subscribe();
    let snapshot = room.live_snapshot(&queue).await?;
    let version = snapshot.version;
    let first = (last_seen != Some(version)).then(|| sse_snapshot(snapshot));
    let follower = SseFollower {
        first,
        version,
        subscription,
        _counted: room.metrics().live_connection(),
        room,
        queue,
        _admission: admission,
    };
    let stream = futures::stream::unfold(follower, |mut follower| async move {
        let event = follower.next().await?;
        Some((Ok::<_, std::convert::Infallible>(event), follower))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(state.live.limits.ping_every))
        .into_response())
}

/// One Server-Sent Events client: what it is sent next.
struct SseFollower {
    first: Option<axum::response::sse::Event>,
    /// The version the client holds: events up to it (still on their way when the snapshot was
    /// read) are not sent.
    version: u64,
    subscription: tokio::sync::broadcast::Receiver<HubMessage>,
    room: WaitingRoom,
    queue: QueueId,
    _counted: waitingroom::metrics::LiveConnection,
    _admission: Admission,
}

impl SseFollower {
    async fn next(&mut self) -> Option<axum::response::sse::Event> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            match self.subscription.recv().await {
                Ok(HubMessage::Event(hub))
                    if hub.event.queue == self.queue && hub.event.version > self.version =>
                {
                    self.version = hub.event.version;
                    let data = std::str::from_utf8(&hub.message).unwrap_or_default();
                    return Some(sse_message("event", hub.event.version, data));
                }
                Ok(HubMessage::Event(_)) => {}
                // events were missed: the snapshot has them
                Ok(HubMessage::Resync) | Err(RecvError::Lagged(_)) => {
                    let snapshot = self.room.live_snapshot(&self.queue).await.ok()?;
                    self.version = snapshot.version;
                    return Some(sse_snapshot(snapshot));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// One message of the event stream: `event: name`, `id: version`, `data: ` the JSON.
fn sse_message(name: &str, version: u64, data: &str) -> axum::response::sse::Event {
    axum::response::sse::Event::default()
        .event(name)
        .id(version.to_string())
        .data(data)
}

fn sse_snapshot(snapshot: QueueSnapshot) -> axum::response::sse::Event {
    let version = snapshot.version;
    let data = serde_json::to_string(&LiveMessage::Snapshot { snapshot }).unwrap_or_default();
    sse_message("snapshot", version, &data)
}
