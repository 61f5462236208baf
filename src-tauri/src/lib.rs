//! codetill-app — the desktop shell. It adapts [`codetill_core`] to a Tauri window and
//! holds no rules of its own.
//!
//! At start [`run`] finds the data dir ([`state::data_dir`]: `CODETILL_DATA_DIR`, else
//! the OS data dir + `codetill`), opens the shop's database there and hands it to Tauri
//! as [`state::AppState`]. The UI (built from `ui/` into `ui/dist`) calls the
//! [`commands`]; a failure reaches it as one [`error::AppError`]
//! `{ code, message }`. A command works on a [`till::Till`]: the shop's, or — on a
//! first run, or with `CODETILL_DEMO=1` — a [`demo`] till on the in-process sandbox
//! supplier. The till's background work is core's ([`codetill_core::till::ticks`]);
//! here it is scheduled: orders left open are finished at start and every minute,
//! the supplier is health-checked every minute, the outbox worked off, the relay
//! followed. New alerts (raised and kept by core) reach the desktop and the UI as
//! events ([`alerts`], [`events`]). Sale answers are core's [`codetill_core::orders::OrderView`]s. [`configure`] wires state and commands onto any Tauri builder,
//! so tests run the same wiring on Tauri's mock runtime.

pub mod alerts;
pub mod commands;
pub mod demo;
pub mod error;
pub mod events;
pub mod lean;
#[cfg(test)]
mod relay;
pub mod session;
pub mod state;
#[cfg(test)]
mod testing;
pub mod till;

use std::process::ExitCode;

use codetill_core::till::ticks;
use tauri::{Builder, Emitter, Manager, Runtime};
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
            commands::counter_ready,
            commands::counter::quote,
            commands::counter::sell_cash,
            commands::counter::sell_card,
            commands::basket::sell_basket_cash,
            commands::basket::sell_basket_card,
            commands::tax::tax_settings,
            commands::tax::save_tax_settings,
            commands::tax::set_tax_rate,
            commands::tax::buyer_retention,
            commands::tax::set_buyer_retention,
            commands::tax::has_drawer,
            commands::tax::set_drawer,
            commands::tax::open_drawer,
            commands::claims::claim_terms,
            commands::claims::set_claims,
            commands::claims::open_claims,
            commands::claims::claim_qr,
            commands::remote::sell_remotely,
            commands::delivery::delivery_status,
            commands::delivery::print_receipt,
            commands::delivery::email_code,
            commands::delivery::receipt_preview,
            commands::delivery::code_qr,
            commands::delivery::sale_done,
            commands::session::start_demo,
            commands::session::session_state,
            commands::session::sign_in,
            commands::session::create_owner,
            commands::session::lock,
            commands::session::touch_session,
            commands::staff::staff_list,
            commands::staff::add_staff,
            commands::staff::set_staff_enabled,
            commands::staff::audit_log,
            commands::staff::verify_audit,
            commands::support::about,
            commands::support::support_bundle,
            commands::updates::update_settings,
            commands::updates::set_update_url,
            commands::updates::check_update,
            commands::updates::install_update,
            commands::shifts::shift_status,
            commands::shifts::open_shift,
            commands::shifts::move_cash,
            commands::shifts::close_shift,
            commands::shifts::shift_report,
            commands::reports::sales_report,
            commands::reports::export_sales_csv,
            commands::reports::report_tills,
            commands::reconcile::reconcile_run,
            commands::reconcile::reconcile_deliver,
            commands::reconcile::supplier_topups,
            commands::reconcile::record_topup,
            commands::settings::store_settings,
            commands::settings::save_store_settings,
            commands::pricing::price_rules,
            commands::pricing::price_preview,
            commands::pricing::save_price_rule,
            commands::pricing::remove_price_rule,
            commands::pricing::sync_catalog,
            commands::pricing::sync_summary,
            commands::pricing::price_changes,
            commands::pricing::exchange_rates,
            commands::pricing::set_shop_currency,
            commands::pricing::daily_sync,
            commands::pricing::set_sync_hour,
            commands::suppliers::supplier_accounts,
            commands::suppliers::add_supplier_account,
            commands::suppliers::test_supplier_account,
            commands::suppliers::set_supplier_account_enabled,
            commands::suppliers::remove_supplier_account,
            commands::balance::balance_overview,
            commands::balance::set_balance_threshold,
            commands::balance::alerts,
            commands::balance::acknowledge_alert,
            commands::balance::take_alert_notifications,
            commands::balance::notify_desktop,
            commands::balance::supplier_status,
            commands::settings::settings,
            commands::settings::save_settings,
            commands::settings::set_secret,
            commands::database::database_status,
            commands::database::database_test,
            commands::database::database_save,
            commands::database::database_forget,
            commands::orders::list_orders,
            commands::orders::find_buyers,
            commands::orders::open_orders,
            commands::orders::order,
            commands::orders::reveal_code,
            commands::orders::record_refund,
            commands::orders::finish_open_orders,
        ])
}

/// The counter is one page that never navigates: WebKit's smallest cache model
/// (a document viewer: no page cache, a small memory cache) is all it needs, and it
/// keeps the web process lean at idle.
fn lean_webview(app: &tauri::App) {
    #[cfg(target_os = "linux")]
    if let Some(window) = app.get_webview_window("main") {
        let set = window.with_webview(|webview| {
            use webkit2gtk::{WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = set {
            tracing::debug!(error = %e, "the webview's cache model was left as it was");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

/// When `run` began (the start-up figure counts from here).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub(crate) fn started() -> std::time::Instant {
    *STARTED.get_or_init(std::time::Instant::now)
}

/// Starts the app; returns when the last window closes. Startup failures are logged
/// and turned into a non-zero exit, never a panic.
pub fn run() -> ExitCode {
    started();
    let data_dir = state::data_dir();
    init_tracing(data_dir.as_deref());
    let Some(data_dir) = data_dir else {
        tracing::error!(
            "no data directory: set {} to a folder for the shop's data",
            state::DATA_DIR_ENV
        );
        return ExitCode::FAILURE;
    };
    if let Err(e) = codetill_core::secrets::ensure_keyring_persists() {
        tracing::error!(error = %e, "refusing to start");
        return ExitCode::FAILURE;
    }
    let state = match tauri::async_runtime::block_on(AppState::open(&data_dir)) {
        Ok(state) => state,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the shop's database");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(db = %state.shop().db().path().display(), "database open");
    // The updater (its config in tauri.conf.json; the URL and release key are set per
    // check, see commands::updates).
    let builder = configure(Builder::default(), state)
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|app| {
            lean_webview(app);
            let handle = app.handle().clone();
            let emitter = handle.clone();
            handle
                .state::<AppState>()
                .alerts()
                .set_listener(Box::new(move |alert| {
                    if let Err(e) = emitter.emit(events::ALERT_RAISED, alert) {
                        tracing::debug!(error = %e, "alert not delivered to the UI");
                    }
                }));
            // Every minute: is the supplier there? The counter greys products out while
            // it is not, and shows them again on recovery.
            let health = handle.clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    let state = health.state::<AppState>();
                    let (_, changed) = state.check_supplier().await;
                    // The daily rates, and an alert for a rate in use gone stale.
                    state.till().check_rates().await;
                    // Yesterday's supplier history matched with the orders, once a day.
                    state.till().reconcile_if_due().await;
                    // The shop's daily backup, when the owner chose a folder for it.
                    state.shop().daily_backup().await;
                    // Buyers' contact data past the owner's retention period.
                    state.shop().purge_buyers().await;
                    // More than 1% of the week's sales refunded.
                    state.till().check_refund_rate().await;
                    if changed
                        && let Err(e) =
                            health.emit(events::SUPPLIER_STATUS, state.supplier_status())
                    {
                        tracing::debug!(error = %e, "supplier status not delivered to the UI");
                    }
                    tokio::time::sleep(ticks::EVERY).await;
                }
            });
            // Remote payments from the relay, when one is configured (now or later).
            let state = app.handle().state::<AppState>();
            tauri::async_runtime::spawn(ticks::follow_relay(
                state.shop().core(),
                state.settings_watch(),
            ));
            // At start, then every minute: finish open orders (the shop's, and a running
            // demo's).
            tauri::async_runtime::spawn(async move {
                loop {
                    for till in handle.state::<AppState>().tills() {
                        till.recover_open_orders(None).await;
                    }
                    tokio::time::sleep(ticks::EVERY).await;
                }
            });
            // Every minute: the catalog's daily sync, once the owner's hour has come (a
            // failure raises an alert and waits for the next day). A loop of its own: a
            // long sync holds up no health check.
            let daily = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    daily
                        .state::<AppState>()
                        .shop()
                        .sync_if_due(chrono::Utc::now())
                        .await;
                    tokio::time::sleep(ticks::EVERY).await;
                }
            });
            // The outbox worker: receipts and emails that could not go at the sale
            // (printer off, mail server down) are retried with back-off.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    tokio::time::sleep(ticks::OUTBOX_EVERY).await;
                    for till in handle.state::<AppState>().tills() {
                        till.send_queued().await;
                    }
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

/// Logs to stderr and, with a data folder, to its daily log file (14 days kept:
/// Settings → About shows where, and the support bundle takes them); `RUST_LOG`
/// overrides the default (info, debug for codetill).
fn init_tracing(data_dir: Option<&std::path::Path>) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,codetill_app=debug,codetill_core=debug"));
    let file = data_dir.and_then(|dir| match codetill_core::support::daily_log(dir) {
        Ok(log) => Some(log),
        Err(e) => {
            eprintln!("codetill: no log file: {e}");
            None
        }
    });
    let to_file = file.map(|log| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(log)
    });
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(to_file)
        .try_init();
}
