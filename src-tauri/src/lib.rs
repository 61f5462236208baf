//! codetill-app — the desktop shell. It adapts [`codetill_core`] to a Tauri window and
//! holds no rules of its own.
//!
//! At start [`run`] finds the data dir ([`state::data_dir`]: `CODETILL_DATA_DIR`, else
//! the OS data dir + `codetill`), opens the shop's database there and hands it to Tauri
//! as [`state::AppState`]. The UI (built from `ui/` into `ui/dist`) calls the
//! [`commands`]; a failure reaches it as one [`error::AppError`]
//! `{ code, message }`. Orders an earlier run left open are finished in the
//! background at start ([`recovery`]). [`configure`] wires state and commands onto any Tauri builder,
//! so tests run the same wiring on Tauri's mock runtime.

pub mod commands;
pub mod error;
pub mod recovery;
pub mod state;

use std::process::ExitCode;

use tauri::{Builder, Runtime};
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
    tracing::info!(db = %state.db().path().display(), "database open");
    tauri::async_runtime::spawn(recovery::recover_open_orders(
        state.db().clone(),
        state.data_dir().to_path_buf(),
    ));
    match configure(Builder::default(), state).run(tauri::generate_context!()) {
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
