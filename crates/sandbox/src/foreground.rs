//! Running the sandbox in the foreground of a terminal (the binary and
//! `codetill sandbox`).

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::config::SandboxArgs;
use crate::server::serve;
use crate::state::SandboxState;

/// Bind, print the one-line banner to stdout and serve until Ctrl-C or SIGTERM.
pub async fn run_foreground(args: SandboxArgs) -> anyhow::Result<()> {
    let listen = args.listen;
    let config = args.into_config();
    let api_key = config.api_key.clone();
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr().context("listener has no address")?;
    let state = tokio::task::spawn_blocking(move || SandboxState::new(config))
        .await
        .context("catalog generation failed")?;
    println!(
        "sandbox supplier listening on http://{addr} (api key: {api_key}, {} products)",
        state.product_count()
    );
    serve(listener, state, shutdown_signal())
        .await
        .context("sandbox server failed")?;
    tracing::info!("sandbox supplier stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
