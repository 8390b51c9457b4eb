//! A queue followed live on a screen, pushed by the server over a WebSocket.
//!
//! The channel (`/api/v1/queues/{queue}/live`) sends the queue's snapshot first, then every event.
//! Each event carries the queue's version: the next version is applied, an old one ignored, and a
//! gap makes the screen reconnect, which brings a fresh snapshot. A dropped connection is retried
//! with backoff, and a reconnect always starts with a snapshot. No polling.
//!
//! Screens follow a [`QueueSnapshot`]; the staff console follows a [`QueueDay`] (the snapshot and
//! every ticket of the day), which the events keep up to date without any read. A snapshot is
//! not enough to catch a day up, so after a gap the console reads its day once more.

use domain::{Applied, QueueDay, QueueEvent, QueueId, QueueSnapshot};
use leptos::prelude::*;

/// What a screen keeps of a queue, updated by the live channel's messages.
pub trait Follow: Clone + Send + Sync + 'static {
    fn queue(&self) -> &QueueId;
    fn apply(&mut self, event: &QueueEvent) -> Applied;
    /// Takes a snapshot from the channel; `false` when that is not enough to be current again
    /// (the screen then reads itself anew, see [`Live::behind`]).
    fn catch_up(&mut self, snapshot: QueueSnapshot) -> bool;
}

impl Follow for QueueSnapshot {
    fn queue(&self) -> &QueueId {
        &self.queue
    }
    fn apply(&mut self, event: &QueueEvent) -> Applied {
        QueueSnapshot::apply(self, event)
    }
    /// The channel's snapshot wins, even with a lower version (Redis lost its data).
    fn catch_up(&mut self, snapshot: QueueSnapshot) -> bool {
        *self = snapshot;
        true
    }
}

impl Follow for QueueDay {
    fn queue(&self) -> &QueueId {
        &self.snapshot.queue
    }
    fn apply(&mut self, event: &QueueEvent) -> Applied {
        QueueDay::apply(self, event)
    }
    /// Only a snapshot of the very version this day is at: anything else means missed tickets.
    fn catch_up(&mut self, snapshot: QueueSnapshot) -> bool {
        if snapshot.version != self.version() {
            return false;
        }
        self.snapshot = snapshot;
        true
    }
}

pub struct Live<T: Follow> {
    view: RwSignal<T>,
    connected: RwSignal<Option<bool>>,
    behind: RwSignal<bool>,
}

impl<T: Follow> Clone for Live<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Follow> Copy for Live<T> {}

impl<T: Follow> Live<T> {
    /// The queue as the channel last delivered it; the server-rendered state until then.
    pub fn view(&self) -> ReadSignal<T> {
        self.view.read_only()
    }

    /// Whether the channel is open right now; `None` until the browser first tries (and on the
    /// server).
    pub fn connected(&self) -> Option<bool> {
        self.connected.get()
    }

    /// Events were missed that a snapshot cannot make up for: read the view anew and
    /// [`Live::replace`] it.
    pub fn behind(&self) -> bool {
        self.behind.get()
    }

    /// The channel's state for the page's `data-live` attribute: `pending` (not tried yet, or on
    /// the server), `open` or `lost` (reconnecting).
    pub fn status(&self) -> &'static str {
        match self.connected.get() {
            None => "pending",
            Some(true) => "open",
            Some(false) => "lost",
        }
    }

    /// Puts a freshly read view in place; the channel's events continue from its version.
    pub fn replace(&self, fresh: T) {
        self.view.set(fresh);
        self.behind.set(false);
    }
}

/// Follows the queue of `initial` live (in the browser; on the server it stays `initial`).
pub fn use_live<T: Follow>(initial: T) -> Live<T> {
    let live = Live {
        view: RwSignal::new(initial),
        connected: RwSignal::new(None),
        behind: RwSignal::new(false),
    };
    #[cfg(feature = "hydrate")]
    client::follow(live);
    live
}

#[cfg(feature = "hydrate")]
mod client {
    use super::{Follow, Live};
    use domain::{Applied, LiveMessage, QueueId};
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use wasm_bindgen::prelude::*;
    use web_sys::{MessageEvent, WebSocket};

    struct Follower<T: Follow> {
        live: Live<T>,
        queue: QueueId,
        socket: Option<WebSocket>,
        failures: u32,
        stopped: bool,
        // kept alive as long as the socket uses them
        handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    }

    type Shared<T> = Rc<RefCell<Follower<T>>>;

    pub fn follow<T: Follow>(live: Live<T>) {
        let queue = live.view.with_untracked(|v| v.queue().clone());
        let follower = Rc::new(RefCell::new(Follower {
            live,
            queue,
            socket: None,
            failures: 0,
            stopped: false,
            handlers: Vec::new(),
        }));
        open(&follower);
        let on_leave = SendWrapper::new(follower);
        on_cleanup(move || {
            let mut f = on_leave.borrow_mut();
            f.stopped = true;
            if let Some(socket) = f.socket.take() {
                let _ = socket.close();
            }
        });
    }

    fn url(queue: &QueueId) -> Option<String> {
        let location = window().location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!(
            "{scheme}://{}/api/v1/queues/{queue}/live",
            location.host().ok()?
        ))
    }

    fn open<T: Follow>(follower: &Shared<T>) {
        let Some(url) = url(&follower.borrow().queue) else {
            return;
        };
        let socket = match WebSocket::new(&url) {
            Ok(s) => s,
            Err(_) => return retry_later(follower),
        };
        let on_open = {
            let f = Rc::clone(follower);
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                f.borrow().live.connected.set(Some(true));
            })
        };
        let on_message = {
            let f = Rc::clone(follower);
            Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                let Some(text) = e
                    .dyn_into::<MessageEvent>()
                    .ok()
                    .and_then(|e| e.data().as_string())
                else {
                    return;
                };
                receive(&f, &text);
            })
        };
        let on_close = {
            let f = Rc::clone(follower);
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let stopped = {
                    let mut f = f.borrow_mut();
                    f.live.connected.set(Some(false));
                    f.socket = None;
                    f.stopped
                };
                if !stopped {
                    retry_later(&f);
                }
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut f = follower.borrow_mut();
        f.handlers = vec![on_open, on_message, on_close];
        f.socket = Some(socket);
    }

    fn receive<T: Follow>(follower: &Shared<T>, text: &str) {
        let Ok(message) = serde_json::from_str::<LiveMessage>(text) else {
            return;
        };
        let mut f = follower.borrow_mut();
        let Live { view, behind, .. } = f.live;
        match message {
            LiveMessage::Snapshot { snapshot } => {
                f.failures = 0;
                let mut current = true;
                view.maybe_update(|v| {
                    current = v.catch_up(snapshot);
                    current
                });
                if !current && !behind.get_untracked() {
                    // the page reads its view anew and replaces it
                    behind.set(true);
                }
            }
            // waiting for a fresh view: events cannot be applied meanwhile
            LiveMessage::Event { .. } if behind.get_untracked() => {}
            LiveMessage::Event { event } => {
                let mut applied = Applied::Stale;
                view.maybe_update(|v| {
                    applied = v.apply(&event);
                    applied == Applied::Updated
                });
                // Missed something: reconnecting brings a fresh snapshot.
                if applied == Applied::Gap {
                    if let Some(socket) = &f.socket {
                        let _ = socket.close();
                    }
                }
            }
        }
    }

    fn retry_later<T: Follow>(follower: &Shared<T>) {
        let delay = {
            let mut f = follower.borrow_mut();
            f.failures = f.failures.saturating_add(1);
            // 0.5 s, 1 s, 2 s … at most 10 s, each spread over its second half so that
            // screens dropped together (a server restart) do not all come back at once
            let backoff = (250u64 << f.failures.min(6)).min(10_000) as f64;
            Duration::from_millis((backoff * (0.5 + 0.5 * js_sys::Math::random())) as u64)
        };
        let f = Rc::clone(follower);
        set_timeout(
            move || {
                if !f.borrow().stopped {
                    open(&f);
                }
            },
            delay,
        );
    }
}
