//! codetill-app — the desktop shell. It adapts [`codetill_core`] to a Tauri window and
//! holds no rules of its own.
//!
//! At start [`run`] finds the data dir ([`state::data_dir`]: `CODETILL_DATA_DIR`, else
//! the OS data dir + `codetill`), opens the shop's database there and hands it to Tauri
//! as [`state::AppState`]. The UI (built from `ui/` into `ui/dist`) calls the
//! [`commands`]; a failure reaches it as one [`error::AppError`]
//! `{ code, message }`. A command works on a [`till::Till`]: the shop's, or — on a
//! first run, or with `CODETILL_DEMO=1` — a [`demo`] till on the in-process sandbox
//! supplier. Orders left open are finished in the background, at start and every
//! minute ([`recovery`]). Sale answers are [`views::OrderView`]s. [`configure`] wires state and commands onto any Tauri builder,
//! so tests run the same wiring on Tauri's mock runtime.

pub mod alerts;
pub mod commands;
pub mod demo;
pub mod error;
pub mod events;
pub mod recovery;
pub mod relay;
pub mod state;
#[cfg(test)]
mod testing;
pub mod till;
pub mod views;

use std::process::ExitCode;
use std::sync::Arc;

use tauri::{Builder, Manager, Runtime};
use tracing_subscriber::EnvFilter;

use crate::state::AppState;

/// State and the command table, on a builder for any runtime (Wry in the app, the
/// mock runtime in tests).
pub fn configure<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::search_products,
            commands::product,
            commands::app_info,
            commands::counter::quote,
            commands::counter::sell_cash,
            commands::counter::sell_card,
            commands::session::start_demo,
            commands::session::alerts,
            commands::orders::list_orders,
            commands::orders::open_orders,
            commands::orders::order,
            commands::orders::reveal_code,
            commands::orders::record_refund,
            commands::orders::finish_open_orders,
        ])
}

/// Starts the app; returns when the last window closes. Startup failures are logged
/// and turned into a non-zero exit, never a panic.
pub fn run() -> ExitCode {
    init_tracing();
    let Some(data_dir) = state::data_dir() else {
        tracing::error!(
            "no data directory: set {} to a folder for the shop's data",
            state::DATA_DIR_ENV
        );
        return ExitCode::FAILURE;
    };
    let state = match tauri::async_runtime::block_on(AppState::open(&data_dir)) {
        Ok(state) => state,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the shop's database");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(db = %state.shop().db().path().display(), "database open");
    let builder = configure(Builder::default(), state).setup(|app| {
        let handle = app.handle().clone();
        // Remote payments from the relay, when one is configured.
        tauri::async_runtime::spawn(relay::follow(
            app.handle().state::<AppState>().shop().clone(),
        ));
        // At start, then every minute: finish open orders (the shop's, and a running
        // demo's); alert refunds that fell due.
        tauri::async_runtime::spawn(async move {
            loop {
                let state = handle.state::<AppState>();
                let (shop, active) = (state.shop().clone(), state.till());
                let demo = (!Arc::ptr_eq(&shop, &active)).then_some(active);
                for till in std::iter::once(shop).chain(demo) {
                    if let Some(report) = recovery::recover_open_orders(till).await {
                        state.alerts().after_recovery(&report.refund_due).await;
                    }
                }
                tokio::time::sleep(recovery::EVERY).await;
            }
        });
        Ok(())
    });
    match builder.run(tauri::generate_context!()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the window could not run");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default (info, debug for codetill).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,codetill_app=debug,codetill_core=debug"));
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
