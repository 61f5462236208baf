//! The session: who is signed in at the PIN pad (the first run's owner, sign-in,
//! lock, the idle time), and a first run without a supplier switching to the
//! sandbox demo.

use codetill_core::catalog::SyncReport;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::demo::DEMO_PRODUCTS;
use crate::error::AppError;
use crate::events::EventProgress;
use crate::session::{SessionView, SignIn};
use crate::state::AppState;

/// Longest PIN as typed (core says what a PIN is; this only stops a flood).
const MAX_PIN_CHARS: usize = 16;

/// What the PIN pad needs to know when the app opens, or comes back to it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionState {
    /// No staff yet: the first screen makes the owner.
    pub needs_owner: bool,
    /// Who is signed in; `null`: the PIN pad.
    pub session: Option<SessionView>,
    pub idle_lock_minutes: u64,
}

#[tauri::command]
pub async fn session_state(state: State<'_, AppState>) -> Result<SessionState, AppError> {
    Ok(SessionState {
        needs_owner: state.shop().needs_owner().await?,
        session: state.session().view(),
        idle_lock_minutes: state.session().idle().as_secs() / 60,
    })
}

/// The PIN pad: by PIN alone, or with a name when two members share a PIN.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    pin: String,
    name: Option<String>,
) -> Result<SignIn, AppError> {
    let pin = super::checked(&pin, "pin", MAX_PIN_CHARS)?;
    let name = name
        .as_deref()
        .map(|n| super::checked(n, "name", 100))
        .transpose()?;
    state.sign_in(name, pin).await
}

/// The first run: the owner's name and PIN (the UI asked for it twice); refused once
/// anyone is on the staff.
#[tauri::command]
pub async fn create_owner(
    state: State<'_, AppState>,
    name: String,
    pin: String,
) -> Result<SignIn, AppError> {
    let pin = super::checked(&pin, "pin", MAX_PIN_CHARS)?;
    state.create_owner(&name, pin).await
}

/// The lock key: nobody is signed in until the next PIN.
#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> Result<(), AppError> {
    state.lock().await;
    Ok(())
}

/// Someone is working at the till: the idle time starts again. `errors.locked` when
/// it already ran out.
#[tauri::command]
pub fn touch_session(state: State<'_, AppState>) -> Result<(), AppError> {
    state.session().touch()
}

/// "Try it with the sandbox supplier": starts the sandbox in this process, points
/// this session at it and syncs its catalog, sending `catalog-sync-progress` events
/// on the way. Answers the sync's report, or `null` when a demo already runs.
#[tauri::command]
pub async fn start_demo<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<SyncReport>, AppError> {
    state.shop_clerk().await?;
    state
        .start_demo(DEMO_PRODUCTS, &EventProgress::new(app))
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::{TestApp, block_on};

    fn code(err: serde_json::Value) -> String {
        err["code"].as_str().unwrap().to_string()
    }

    fn count(app: &TestApp, sql: &str) -> i64 {
        block_on(sqlx::query_scalar(sql).fetch_one(app.state().till().db().pool())).unwrap()
    }

    /// The owner Meera (1234) made at the first run, and the cashier Asha (3333);
    /// nobody signed in after.
    fn staffed(app: &TestApp) {
        app.invoke("lock", json!({})).unwrap();
        let state = app.invoke("session_state", json!({})).unwrap();
        assert_eq!(state["needs_owner"], true);
        let owner = app
            .invoke("create_owner", json!({ "name": "Meera", "pin": "1234" }))
            .unwrap();
        assert_eq!(
            owner,
            json!({ "outcome": "signed_in", "session": { "name": "Meera", "role": "owner" } })
        );
        app.invoke(
            "add_staff",
            json!({ "name": "Asha", "role": "cashier", "pin": "3333" }),
        )
        .unwrap();
        app.invoke("lock", json!({})).unwrap();
    }

    fn sign_in(app: &TestApp, pin: &str) -> serde_json::Value {
        app.invoke("sign_in", json!({ "pin": pin })).unwrap()
    }

    #[test]
    fn a_locked_till_refuses_a_sale_and_a_reveal_and_changes_nothing() {
        let app = TestApp::demo();
        let sold = app.sell_cash("STEAM-US-20", "100").unwrap();
        let id = sold["order_id"].as_str().unwrap().to_string();
        app.invoke("lock", json!({})).unwrap();
        let orders = count(&app, "SELECT count(*) FROM orders");
        let audit = count(&app, "SELECT count(*) FROM audit_log");

        assert_eq!(
            code(app.sell_cash("STEAM-US-20", "100").unwrap_err()),
            "errors.locked"
        );
        let err = app
            .invoke(
                "reveal_code",
                json!({ "id": id, "reason": "buyer lost it" }),
            )
            .unwrap_err();
        assert_eq!(code(err), "errors.locked");
        for (cmd, args) in [
            ("quote", json!({ "sku": "STEAM-US-20" })),
            ("search_products", json!({ "query": "steam", "limit": 5 })),
            ("list_orders", json!({ "query": {} })),
            ("record_refund", json!({ "id": id, "method": "cash" })),
            ("shift_status", json!({})),
            (
                "sales_report",
                json!({ "from": "2026-01-01", "to": "2026-01-31", "by": "day" }),
            ),
            ("staff_list", json!({})),
            ("settings", json!({})),
            ("audit_log", json!({ "limit": 10 })),
        ] {
            let err = app.invoke(cmd, args).unwrap_err();
            assert_eq!(code(err), "errors.locked", "{cmd}");
        }
        assert_eq!(count(&app, "SELECT count(*) FROM orders"), orders);
        assert_eq!(count(&app, "SELECT count(*) FROM audit_log"), audit);
    }

    #[test]
    fn a_cashier_sells_but_may_not_reveal_refund_or_change_prices() {
        let app = TestApp::demo();
        staffed(&app);
        let cashier = sign_in(&app, "3333");
        assert_eq!(
            cashier["session"],
            json!({ "name": "Asha", "role": "cashier" })
        );

        let sold = app.sell_cash("STEAM-US-20", "100").unwrap();
        assert_eq!(sold["status"], "delivered");
        assert_eq!(sold["staff"], "Asha", "the sale records who made it");
        let id = sold["order_id"].as_str().unwrap().to_string();
        app.invoke("sale_done", json!({})).unwrap();

        let reveals = count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'reveal'",
        );
        let err = app
            .invoke(
                "reveal_code",
                json!({ "id": id, "reason": "buyer lost it" }),
            )
            .unwrap_err();
        assert_eq!(code(err), "errors.not_allowed");
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM audit_log WHERE action = 'reveal'"
            ),
            reveals,
            "no reveal was recorded"
        );
        let err = app
            .invoke("record_refund", json!({ "id": id, "method": "cash" }))
            .unwrap_err();
        assert_eq!(code(err), "errors.not_allowed");
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM orders WHERE status = 'refunded'"
            ),
            0
        );
        let rules = app.invoke("price_rules", json!({})).unwrap();
        let rule = json!({ "fee_pct": "3", "fx_pct": "2", "margin_pct": "40", "rounding": ".99", "floor": null, "floor_currency": null });
        let err = app
            .invoke("save_price_rule", json!({ "category": null, "rule": rule }))
            .unwrap_err();
        assert_eq!(code(err), "errors.not_allowed");
        assert_eq!(
            app.invoke("price_rules", json!({})).unwrap(),
            rules,
            "prices unchanged"
        );
        for (cmd, args) in [
            ("staff_list", json!({})),
            (
                "sales_report",
                json!({ "from": "2026-01-01", "to": "2026-01-31", "by": "day" }),
            ),
            ("audit_log", json!({ "limit": 10 })),
            ("reconcile_run", json!({ "since": "2026-01-01" })),
            (
                "save_store_settings",
                json!({ "idleLockMinutes": "30", "backupFolder": "" }),
            ),
        ] {
            let err = app.invoke(cmd, args).unwrap_err();
            assert_eq!(code(err), "errors.not_allowed", "{cmd}");
        }
        // Each refusal is in the audit log, by the cashier.
        let refused = count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor = 'Asha'",
        );
        assert!(refused >= 3, "{refused}");
    }

    #[test]
    fn on_the_shops_own_till_a_cashier_may_not_change_prices_either() {
        let app = TestApp::with_demo_catalog();
        staffed(&app);
        sign_in(&app, "3333");
        let rule = json!({ "fee_pct": "3", "fx_pct": "2", "margin_pct": "40", "rounding": ".99", "floor": null, "floor_currency": null });
        let err = app
            .invoke("save_price_rule", json!({ "category": null, "rule": rule }))
            .unwrap_err();
        assert_eq!(code(err), "errors.not_allowed");
        assert_eq!(count(&app, "SELECT count(*) FROM price_rules"), 0);
        // The owner may.
        app.invoke("lock", json!({})).unwrap();
        sign_in(&app, "1234");
        app.invoke("save_price_rule", json!({ "category": null, "rule": rule }))
            .unwrap();
    }

    #[test]
    fn the_lock_ends_the_session_until_the_next_pin() {
        let app = TestApp::demo();
        staffed(&app);
        assert_eq!(
            app.invoke("session_state", json!({})).unwrap()["session"],
            json!(null)
        );
        sign_in(&app, "1234");
        app.sell_cash("STEAM-US-20", "100").unwrap();
        app.invoke("lock", json!({})).unwrap();
        let state = app.invoke("session_state", json!({})).unwrap();
        assert_eq!(state["session"], json!(null));
        assert_eq!(state["needs_owner"], false);
        assert!(app.state().session().view().is_none());
        assert_eq!(
            code(app.sell_cash("STEAM-US-20", "100").unwrap_err()),
            "errors.locked"
        );
        assert_eq!(
            code(app.invoke("touch_session", json!({})).unwrap_err()),
            "errors.locked"
        );
        sign_in(&app, "1234");
        app.sell_cash("STEAM-US-20", "100").unwrap();
    }

    #[test]
    fn the_idle_time_locks_the_till_by_itself() {
        let app = TestApp::demo();
        staffed(&app);
        sign_in(&app, "1234");
        app.state()
            .session()
            .age(std::time::Duration::from_secs(5 * 60 + 1));
        let err = app.sell_cash("STEAM-US-20", "100").unwrap_err();
        assert_eq!(code(err.clone()), "errors.locked");
        assert!(
            err["message"].as_str().unwrap().contains("5 minutes"),
            "{err}"
        );
        assert_eq!(
            app.invoke("session_state", json!({})).unwrap()["session"],
            json!(null)
        );
    }

    #[test]
    fn wrong_pins_are_answers_and_five_lock_the_pad() {
        let app = TestApp::empty();
        staffed(&app);
        assert_eq!(
            sign_in(&app, "9999"),
            json!({ "outcome": "wrong_pin", "left": 4 })
        );
        for _ in 0..3 {
            sign_in(&app, "9999");
        }
        let locked = sign_in(&app, "9999");
        assert_eq!(locked["outcome"], "locked");
        assert_eq!(locked["seconds"], 60);
        assert_eq!(locked["who"], "the PIN pad");
        // Even the right PIN waits out the minute.
        assert_eq!(sign_in(&app, "1234")["outcome"], "locked");
        assert!(app.state().session().view().is_none());
        let err = app.invoke("sign_in", json!({ "pin": "12ab" })).unwrap_err();
        assert_eq!(code(err), "errors.validation");
    }

    #[test]
    fn the_first_owner_is_made_once() {
        let app = TestApp::empty();
        staffed(&app);
        let err = app
            .invoke("create_owner", json!({ "name": "Someone", "pin": "5555" }))
            .unwrap_err();
        assert_eq!(code(err), "errors.validation");
        assert!(app.state().session().view().is_none());
    }

    #[test]
    fn the_idle_time_and_backup_folder_round_trip_and_apply_at_once() {
        let app = TestApp::empty();
        staffed(&app);
        sign_in(&app, "1234");
        let before = app.invoke("store_settings", json!({})).unwrap();
        assert_eq!(
            before,
            json!({ "idle_lock_minutes": 5, "backup_folder": null })
        );
        let saved = app
            .invoke(
                "save_store_settings",
                json!({ "idleLockMinutes": " 12 ", "backupFolder": "/media/usb/codetill" }),
            )
            .unwrap();
        assert_eq!(
            saved,
            json!({ "idle_lock_minutes": 12, "backup_folder": "/media/usb/codetill" })
        );
        assert_eq!(app.invoke("store_settings", json!({})).unwrap(), saved);
        assert_eq!(
            app.invoke("session_state", json!({})).unwrap()["idle_lock_minutes"],
            12
        );
        assert_eq!(
            app.state().session().idle(),
            std::time::Duration::from_secs(12 * 60)
        );
        let db = app.state().shop().db().clone();
        assert_eq!(
            block_on(crate::session::idle_lock(&db)).unwrap(),
            std::time::Duration::from_secs(12 * 60),
            "a restart reads it back"
        );
        for (minutes, folder) in [
            ("0", ""),
            ("61", ""),
            ("five", ""),
            ("5", "relative/folder"),
        ] {
            let err = app
                .invoke(
                    "save_store_settings",
                    json!({ "idleLockMinutes": minutes, "backupFolder": folder }),
                )
                .unwrap_err();
            assert_eq!(code(err), "errors.validation", "{minutes} {folder}");
        }
        assert_eq!(
            app.invoke("store_settings", json!({})).unwrap(),
            saved,
            "nothing changed"
        );
        // Blank: no daily backup.
        let cleared = app
            .invoke(
                "save_store_settings",
                json!({ "idleLockMinutes": "12", "backupFolder": "" }),
            )
            .unwrap();
        assert_eq!(cleared["backup_folder"], json!(null));
    }

    #[test]
    fn a_first_run_has_no_supplier_until_the_demo_starts() {
        let till = TestApp::empty();
        let info = till.invoke("app_info", json!({})).unwrap();
        assert_eq!(info["supplier_configured"], false);
        assert_eq!(info["demo"], false);
        assert_eq!(info["product_count"], 0);

        let report = block_on(
            till.state()
                .start_demo(120, &codetill_core::progress::NoProgress),
        )
        .unwrap()
        .unwrap();
        assert_eq!(report.received, 120);
        let info = till.invoke("app_info", json!({})).unwrap();
        assert_eq!(info["supplier_configured"], true);
        assert_eq!(info["demo"], true);
        assert_eq!(info["product_count"], 120);
        assert_eq!(info["last_sync"]["status"], "ok");
        assert!(
            !info["db_path"]
                .as_str()
                .unwrap()
                .starts_with(&till.state().shop().data_dir().display().to_string()),
            "demo data never goes into the shop's folder: {info}"
        );

        // A second start keeps the running demo.
        let again = block_on(
            till.state()
                .start_demo(120, &codetill_core::progress::NoProgress),
        )
        .unwrap();
        assert!(again.is_none());
    }

    #[test]
    fn the_demo_finds_steam_20_as_the_readme_says() {
        let till = TestApp::demo();
        let found = till
            .invoke(
                "search_products",
                json!({ "query": "steam 20", "limit": 5 }),
            )
            .unwrap();
        assert_eq!(found[0]["sku"], "STEAM-US-20", "{found}");
    }
}
