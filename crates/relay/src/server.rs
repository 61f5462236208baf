//! Serving: `run` takes a bound listener and a shutdown future (so tests bind
//! port 0 and stop the relay cleanly), and shuts down gracefully: stop
//! accepting, end long-polls and streams, let deliveries in flight commit, then
//! stop the writer. `run_metrics` serves `/metrics` on a second, private
//! listener until the relay closes. Both serve under the relay's connection
//! limits and timeouts (`listener`).

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::app::{app, metrics_app};
use crate::listener::{self, Limits};
use crate::relay::Relay;
use crate::retention;

/// How long a graceful stop waits for requests in flight before giving up on them.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// Serve `relay` on `listener` until `shutdown` resolves; runs the retention job.
pub async fn run(
    listener: TcpListener,
    relay: Relay,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = relay.config();
    let retention = tokio::spawn(retention::run(
        relay.store().clone(),
        config.retention,
        config.retention_every,
        config.clock.clone(),
        relay.closing(),
    ));
    let closer = relay.clone();
    let mut closing = relay.closing();
    let serve = listener::serve(
        listener,
        app(relay.clone()),
        Limits::of(config),
        async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            closer.begin_closing();
        },
    );
    tokio::select! {
        () = serve => {}
        () = async {
            crate::flag::until_true(&mut closing).await;
            tokio::time::sleep(DRAIN_GRACE).await;
        } => {
            tracing::warn!("requests still in flight after the grace period; closing anyway");
        }
    }
    relay.stop().await;
    let _ = retention.await;
    Ok(())
}

/// Serve `GET /metrics` (and `GET /healthz`) on `listener`, an address apart
/// from the public one, until the relay begins to close.
pub async fn run_metrics(listener: TcpListener, relay: Relay) -> std::io::Result<()> {
    let mut closing = relay.closing();
    let limits = Limits::of(relay.config());
    listener::serve(listener, metrics_app(relay), limits, async move {
        crate::flag::until_true(&mut closing).await;
    })
    .await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
