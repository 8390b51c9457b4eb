//! The limit the live channel's fan-out is measured against (`./scripts/bench.sh` runs it beside
//! the server, and `server/examples/bench.rs` measures both with the same client): a bare tokio +
//! tungstenite broadcaster with none of the server's work. It accepts WebSockets (`GET` any
//! path), sends each a first frame the size of the server's snapshot, then sends every trigger's
//! frame (the size of the server's event message) to every open WebSocket. A trigger is
//! `POST` any path, over keep-alive HTTP/1.1 as the server's calls are; it answers
//! `{"version":N}`, and frame N reads `{"kind":"event","event":{"version":N,…}}` as the server's
//! event messages do.
//!
//! Usage: `bare_broadcaster PORT` (127.0.0.1). No bounds, no timers, no pings: only the sends.

use futures::SinkExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// The server's first frame (a snapshot of the benchmark's queue) and event message are about
/// this long.
const FRAME_BYTES: usize = 330;

/// A frame of [`FRAME_BYTES`] that the benchmark reads as event `version`.
fn frame(version: u64) -> Utf8Bytes {
    let head = format!(r#"{{"kind":"event","event":{{"version":{version},"pad":""#);
    let pad = FRAME_BYTES.saturating_sub(head.len() + 3);
    format!("{head}{}\"}}}}", "x".repeat(pad)).into()
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: bare_broadcaster PORT");
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    let (frames, _) = broadcast::channel::<Utf8Bytes>(1024);
    let version = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (frames, version) = (frames.clone(), Arc::clone(&version));
        tokio::spawn(async move {
            let mut first = [0u8; 4];
            match stream.peek(&mut first).await {
                Ok(4) if &first == b"POST" => triggers(stream, &frames, &version).await,
                Ok(_) => screen(stream, frames.subscribe()).await,
                Err(_) => {}
            }
        });
    }
}

/// One WebSocket: the first frame, then every frame broadcast.
async fn screen(stream: TcpStream, mut frames: broadcast::Receiver<Utf8Bytes>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    if ws.send(Message::Text(frame(0))).await.is_err() {
        return;
    }
    loop {
        match frames.recv().await {
            Ok(text) => {
                if ws.send(Message::Text(text)).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Keep-alive HTTP/1.1 requests (`POST`, with a `Content-Length` body or none): each broadcasts
/// the next frame, then answers its version.
async fn triggers(
    mut stream: TcpStream,
    frames: &broadcast::Sender<Utf8Bytes>,
    version: &AtomicU64,
) {
    let mut buffer = Vec::with_capacity(4096);
    loop {
        // the request's head
        let head_end = loop {
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let body_len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + body_len {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        buffer.drain(..head_end + body_len);
        let v = version.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = frames.send(frame(v));
        let body = format!(r#"{{"version":{v}}}"#);
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}
