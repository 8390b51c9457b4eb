//! The live picture of a queue on a screen, pushed by the server over a WebSocket.
//!
//! The channel (`/api/v1/queues/{queue}/live`) sends the queue's snapshot first, then every event.
//! Each event carries the queue's version: the next version is applied, an old one ignored, and a
//! gap makes the screen reconnect, which brings a fresh snapshot. A dropped connection is retried
//! with backoff, and a reconnect always starts with a snapshot. No polling.

use leptos::prelude::*;
use waitingroom::QueueSnapshot;

#[derive(Clone, Copy)]
pub struct LiveQueue {
    /// The queue as the channel last delivered it; the server-rendered snapshot until then.
    /// Once the channel speaks it wins, even with a lower version (Redis lost its data).
    pub snapshot: Memo<QueueSnapshot>,
    /// Whether the channel is open right now; `None` until the browser first tries (and on the
    /// server).
    pub connected: ReadSignal<Option<bool>>,
}

impl LiveQueue {
    /// The channel's state for the page's `data-live` attribute: `pending` (not tried yet, or on
    /// the server), `open` or `lost` (reconnecting).
    pub fn status(&self) -> &'static str {
        match self.connected.get() {
            None => "pending",
            Some(true) => "open",
            Some(false) => "lost",
        }
    }
}

/// Follows the queue of `initial` live (in the browser; on the server it stays `initial`).
pub fn use_live_queue(initial: QueueSnapshot) -> LiveQueue {
    let (latest, set_latest) = signal(None::<QueueSnapshot>);
    let (connected, set_connected) = signal(None::<bool>);
    #[cfg(feature = "hydrate")]
    client::follow(initial.queue.clone(), set_latest, set_connected);
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_latest, set_connected);
    let snapshot = Memo::new(move |_| latest.get().unwrap_or_else(|| initial.clone()));
    LiveQueue {
        snapshot,
        connected,
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use waitingroom::{Applied, LiveMessage, QueueId, QueueSnapshot};
    use wasm_bindgen::prelude::*;
    use web_sys::{MessageEvent, WebSocket};

    struct Follower {
        queue: QueueId,
        set_snapshot: WriteSignal<Option<QueueSnapshot>>,
        set_connected: WriteSignal<Option<bool>>,
        current: Option<QueueSnapshot>,
        socket: Option<WebSocket>,
        failures: u32,
        stopped: bool,
        // kept alive as long as the socket uses them
        handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    }

    type Shared = Rc<RefCell<Follower>>;

    pub fn follow(
        queue: QueueId,
        set_snapshot: WriteSignal<Option<QueueSnapshot>>,
        set_connected: WriteSignal<Option<bool>>,
    ) {
        let follower = Rc::new(RefCell::new(Follower {
            queue,
            set_snapshot,
            set_connected,
            current: None,
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

    fn open(follower: &Shared) {
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
                let f = f.borrow();
                f.set_connected.set(Some(true));
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
                    f.set_connected.set(Some(false));
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

    fn receive(follower: &Shared, text: &str) {
        let Ok(message) = serde_json::from_str::<LiveMessage>(text) else {
            return;
        };
        let mut f = follower.borrow_mut();
        match message {
            LiveMessage::Snapshot { snapshot } => {
                f.failures = 0;
                f.current = Some(snapshot.clone());
                f.set_snapshot.set(Some(snapshot));
            }
            LiveMessage::Event { event } => {
                let Some(mut current) = f.current.clone() else {
                    return;
                };
                match current.apply(&event) {
                    Applied::Updated => {
                        f.current = Some(current.clone());
                        f.set_snapshot.set(Some(current));
                    }
                    Applied::Stale => {}
                    // Missed something: reconnecting brings a fresh snapshot.
                    Applied::Gap => {
                        if let Some(socket) = &f.socket {
                            let _ = socket.close();
                        }
                    }
                }
            }
        }
    }

    fn retry_later(follower: &Shared) {
        let delay = {
            let mut f = follower.borrow_mut();
            f.failures = f.failures.saturating_add(1);
            // 0.5 s, 1 s, 2 s … at most 10 s
            Duration::from_millis((250u64 << f.failures.min(6)).min(10_000))
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
