//! Protection against slow and oversized requests at the connection level.
//!
//! `axum::serve` gives hyper no timer, and without a timer hyper's header
//! read timeout does nothing: a client sending one header byte a second
//! (slowloris) would hold its connection and task forever. [`serve`] drives
//! hyper's HTTP/1 connections itself with a Tokio timer, a header read
//! timeout and a cap on the header size; [`body_deadline`] bounds the time a
//! request body may take to arrive; [`Lingering`] makes sure a client whose
//! upload was refused early (`413`) gets to read the answer.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// Largest request head (request line and headers) accepted: larger ones
/// get `431`. Generous for cookies, far below hyper's ~400 KB default.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// How long a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How long a closing connection keeps reading (and discarding) what the
/// client still sends; see [`Lingering`].
pub const LINGER: Duration = Duration::from_secs(3);

/// Connection-level limits of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time allowed for a whole request head to arrive, counted from the
    /// moment the server waits for it. Also how long an idle keep-alive
    /// connection stays open.
    pub header_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish (at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    mut listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // axum's accept loop: retries on per-connection errors and backs
        // off when out of file descriptors.
        let (stream, peer) = tokio::select! {
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        send_at_once(&stream, peer);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            // What `into_make_service_with_connect_info` would insert: the
            // rate limits key clients by it.
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let io = TokioIo::new(Lingering::new(stream));
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts, malformed requests and resets end up here; they
                // concern one client only.
                tracing::debug!("connection from {peer}: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
}

/// Turns Nagle's algorithm off for an accepted connection. With it on, a
/// response's last short segment waits until the client acknowledges the
/// one before, which Linux delays by up to 40 ms: measured on the core
/// wasm over a reused connection, 0.4 ms became 40–44 ms one time in two.
fn send_at_once(stream: &TcpStream, peer: SocketAddr) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY for {peer}: {e}");
    }
}

/// The request body did not arrive within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("request body not received in time")]
pub struct BodyTimeout;

impl BodyTimeout {
    /// Whether `err` or one of its causes is a [`BodyTimeout`].
    pub fn caused(err: &(dyn std::error::Error + 'static)) -> bool {
        std::iter::successors(Some(err), |e| e.source()).any(|e| e.is::<BodyTimeout>())
    }
}

/// Middleware: the request body must arrive completely within `limit` of
/// the request head, however it trickles in; reading it fails with
/// [`BodyTimeout`] afterwards. (tower-http's `RequestBodyTimeout` restarts
/// its clock at every chunk, so one byte every few seconds would pass.)
pub async fn body_deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let req = req.map(|body| {
        Body::new(DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(limit)),
        })
    });
    next.run(req).await
}

/// A body that fails once its deadline has passed.
struct DeadlineBody {
    body: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        // Data already there is never refused; the deadline only ends waiting.
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A TCP stream that closes like nginx's "lingering close".
///
/// When a handler answers before reading the whole body (`413` after 64 KiB
/// of a 10 MB upload), hyper closes the connection with the rest of the
/// upload unread, and closing a socket with unread data makes the kernel
/// send a reset, which can destroy the answer in the client's buffers before
/// it reads it. So shutting down first half-closes (FIN after the answer),
/// then reads and discards until the client closes too, for at most
/// [`LINGER`].
pub struct Lingering {
    stream: TcpStream,
    /// Set once the write side is shut: when to stop discarding.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Lingering {
    /// Wraps an accepted connection.
    pub fn new(stream: TcpStream) -> Lingering {
        Lingering {
            stream,
            deadline: None,
        }
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.deadline.is_none() {
            std::task::ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.deadline = Some(Box::pin(tokio::time::sleep(LINGER)));
        }
        let mut scratch = [0u8; 8192];
        loop {
            if let Some(deadline) = this.deadline.as_mut() {
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Ok(()));
                }
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                // The client closed its side too (or reset): done.
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_send_without_waiting_for_acks() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let client = TcpStream::connect(listener.local_addr().expect("address"));
        let ((stream, peer), _client) =
            tokio::join!(async { listener.accept().await.expect("accepts") }, async {
                client.await.expect("connects")
            });
        assert!(!stream.nodelay().expect("reads the option"), "the default");
        send_at_once(&stream, peer);
        assert!(stream.nodelay().expect("reads the option"));
    }
}
