//! Serving: our own accept loop, one hyper HTTP/1 connection task per socket.
//!
//! `axum::serve` gives a handler no way to close its connection without an
//! answer, and faults need exactly that. So each connection gets a
//! [`ConnectionHandle`] (put into every request's extensions); a handler that
//! fires it makes the connection task drop the hyper connection future, which
//! closes the socket with nothing written.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::config::SandboxConfig;
use crate::state::SandboxState;

/// How long a graceful stop waits for requests in flight before cutting them.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// Lets a handler close its own connection without answering.
#[derive(Clone, Debug, Default)]
pub struct ConnectionHandle(Arc<Notify>);

impl ConnectionHandle {
    /// Close the connection this request came on, without a response.
    pub fn drop_connection(&self) {
        // notify_one keeps a permit if the connection task is not waiting yet.
        self.0.notify_one();
    }
}

/// Serve on a bound listener until `shutdown` resolves (graceful: stop
/// accepting, let requests in flight finish for a few seconds, then close).
pub async fn serve(
    listener: TcpListener,
    state: SandboxState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = crate::app(state);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::trace!(%peer, "connection accepted");
                    connections.spawn(serve_connection(stream, router.clone(), stop_rx.clone()));
                }
                Err(e) => {
                    // Usually per-connection (reset before accept) or a
                    // momentary fd shortage: log, breathe, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still busy after grace period; closing them"
        );
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(stream: TcpStream, router: Router, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let handle = ConnectionHandle::default();
    let for_requests = handle.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(for_requests.clone());
        router.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = handle.0.notified() => {
                tracing::info!("dropping connection without a response (fault)");
                // Returning drops `conn`, which closes the socket unanswered.
                return;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A sandbox running on the current tokio runtime (see [`spawn`]). Dropping it
/// also stops the server, without waiting.
pub struct SandboxHandle {
    addr: SocketAddr,
    state: SandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`; the contract's `/v1/...` paths hang off it.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            // A client cannot connect to 0.0.0.0; loopback reaches the same server.
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        format!("http://{addr}")
    }

    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// Stop gracefully and wait for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "sandbox server stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "sandbox server task failed"),
        }
    }
}

/// Bind `addr` (port 0 for any free port), generate the catalog and serve on
/// the current tokio runtime.
pub async fn spawn(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    // Generating a large catalog takes a moment; keep it off the async workers.
    let state = tokio::task::spawn_blocking(move || SandboxState::new(config))
        .await
        .map_err(std::io::Error::other)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state.clone(), async move {
        // Resolves on send and when the handle is dropped.
        let _ = stopped.await;
    }));
    Ok(SandboxHandle {
        addr,
        state,
        stop: Some(stop),
        task,
    })
}
