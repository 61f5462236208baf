//! Accepting connections and serving HTTP/1.1 on them under the relay's limits:
//! at most `max_connections` at once (more wait in the kernel's backlog), a
//! request head within `header_timeout` (also how long a kept-alive connection
//! may wait for its next request), a request body within `body_timeout`, and
//! a connection closed once no request runs on it and no byte has moved either
//! way for `idle_timeout` (a client that stopped reading its answer).
//! `axum::serve` offers none of these, hence this loop.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use crate::config::RelayConfig;
use crate::flag::until_true;

/// The limits one listener serves under (from [`RelayConfig`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
}

impl Limits {
    pub(crate) fn of(config: &RelayConfig) -> Self {
        Self {
            // Zero would accept nothing, ever; the top keeps the count a u32
            // (waiting for all connections takes every permit at once).
            max_connections: config.max_connections.clamp(1, 1 << 20),
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            idle_timeout: config.idle_timeout,
        }
    }
}

/// A request body that did not arrive within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body timeout")]
pub(crate) struct BodyTimedOut;

impl BodyTimedOut {
    /// Whether `error`, or an error it wraps, is a body timeout.
    pub(crate) fn caused(error: &(dyn StdError + 'static)) -> bool {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if e.is::<BodyTimedOut>() {
                return true;
            }
            cause = e.source();
        }
        false
    }
}

/// Serve `router` on `listener` until `stop` resolves; then stop accepting, let
/// every connection finish its request in flight, and return once all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closing_rx) = watch::channel(false);
    let mut stop = pin!(stop);
    let mut warned_full: Option<Instant> = None;
    loop {
        if permits.available_permits() == 0
            && warned_full.is_none_or(|at| at.elapsed() > Duration::from_secs(60))
        {
            tracing::warn!(
                max = limits.max_connections,
                "connection limit reached: new connections wait until one closes"
            );
            warned_full = Some(Instant::now());
        }
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        tokio::spawn(serve_connection(
            stream,
            router.clone(),
            limits,
            closing_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    closing.send_replace(true);
    // Every connection holds a permit until it is closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if permits.acquire_many(all).await.is_err() {
        tracing::warn!("cannot wait for the connections to close");
    }
}

async fn accept_failed(e: io::Error) {
    // A peer that gave up before its connection was accepted is no trouble of
    // ours; out of file descriptors is, and retrying at once would spin.
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serve one connection until it closes, idles out, or the listener closes.
async fn serve_connection<T>(
    stream: T,
    router: Router,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = Busy::start(activity.clone());
            let request = request.map(|body| Body::new(TimedBody::new(body, limits.body_timeout)));
            let response = router.clone().oneshot(request);
            async move {
                let response = response.await;
                drop(busy);
                response
            }
        })
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut connection = pin!(http.serve_connection(io, service));
    let mut shutting_down = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            () = until_true(&mut closing), if !shutting_down => {
                // Finish the request in flight, then close.
                connection.as_mut().graceful_shutdown();
                shutting_down = true;
            }
            () = activity.idle_for(limits.idle_timeout) => {
                tracing::debug!("closing a connection idle for the idle timeout");
                break;
            }
        }
    }
}

/// When a connection last moved a byte, and how many requests run on it.
#[derive(Debug)]
struct Activity {
    since: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Resolves once no request has run and no byte has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let idle = self.since.elapsed().saturating_sub(last);
            if self.busy.load(Ordering::Relaxed) == 0 && idle >= limit {
                return;
            }
            // A running request (a long-poll waits up to 60 s) is not idleness.
            let nap = if self.busy.load(Ordering::Relaxed) > 0 {
                limit
            } else {
                limit.saturating_sub(idle)
            };
            tokio::time::sleep(nap.max(Duration::from_millis(10))).await;
        }
    }
}

/// A request running on a connection, from its head to its response.
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection's stream that notes every byte it moves.
struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        read
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that fails with [`BodyTimedOut`] unless it has arrived
/// whole within its time (counted from the request's head).
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl TimedBody {
    fn new(inner: Incoming, limit: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl hyper::body::Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn StdError + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
