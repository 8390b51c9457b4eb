//! Serving connections: HTTP/1.1 with WebSocket upgrades, where no client can hold a socket by
//! being slow. `axum::serve` sets no timer, so a client that sends one header line every few
//! seconds (slowloris), or stops reading what it asked for, kept its socket for ever.
//!
//! - A request's head must arrive within [`HttpLimits::read`] of the connection opening or of its
//!   last response (hyper's header-read timer, which also closes idle keep-alive connections);
//!   its whole body within the same time again ([`BodyDeadline`]).
//! - A write that makes no progress for [`HttpLimits::write_stall`] ends the connection
//!   ([`WriteStall`]): a page, a Server-Sent Events stream or an upgraded WebSocket alike.
//! - HTTP/2 is not served: browsers speak it only over TLS, which the proxy in front ends; in
//!   cleartext only an attacker would use it.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::Sleep;
use tower::ServiceExt;

/// The HTTP server's section of the configuration: where it listens, what it serves besides the
/// app, and how long a client may take.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// `BIND_ADDR` and `PORT`.
    pub addr: std::net::SocketAddr,
    /// `SITE_ROOT`: the built WASM, JS, CSS and public files.
    pub site_root: String,
    pub http: HttpLimits,
}

/// How long a client may take (`HTTP_READ_SECS`, `HTTP_WRITE_STALL_SECS`).
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// To send a request's head (from the connection's start, or its last response), then again
    /// its body.
    pub read: Duration,
    /// A write to the client that makes no progress for this long ends the connection.
    pub write_stall: Duration,
}

/// How long connections still open at shutdown may take to finish their requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish (at most
/// [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // every connection holds a receiver; all gone = all connections closed
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // out of file descriptors, or a connection reset before it was taken
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service =
            app.clone()
                .map_request(move |request: hyper::Request<hyper::body::Incoming>| {
                    let mut request = request
                        .map(|body| axum::body::Body::new(BodyDeadline::new(body, limits.read)));
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
        let io = TokioIo::new(WriteStall::new(stream, limits.write_stall));
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.read);
            let connection = http
                .serve_connection(io, TowerToHyperService::new(service))
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|stop| *stop) => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(stopping);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, stop.closed()).await;
    Ok(())
}

/// A request body that must arrive whole by a deadline: a client dripping a byte at a time
/// cannot keep a handler (and its socket) waiting.
pub struct BodyDeadline<B> {
    inner: B,
    deadline: Pin<Box<Sleep>>,
}

impl<B> BodyDeadline<B> {
    pub fn new(inner: B, within: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

impl<B> http_body::Body for BodyDeadline<B>
where
    B: http_body::Body + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = B::Data;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request's body did not arrive in time",
            )
            .into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A socket whose writes fail when they make no progress for a while: a client that stops
/// reading cannot keep a connection, its buffers and its place in the live channel's limits.
pub struct WriteStall<T> {
    inner: T,
    limit: Duration,
    /// Armed when a write could not go on; disarmed by any progress.
    stalled_since: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteStall<T> {
    pub fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled_since: None,
        }
    }

    /// What a write that returned `poll` means: progress disarms the timer; no progress arms it,
    /// and past the limit fails the write.
    fn watch<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if poll.is_ready() {
            self.stalled_since = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStall<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStall<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
