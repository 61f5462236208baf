//! The session: a first run without a supplier switches to the sandbox demo.

use codetill_core::catalog::SyncReport;
use tauri::{AppHandle, Runtime, State};

use crate::demo::DEMO_PRODUCTS;
use crate::error::AppError;
use crate::events::EventProgress;
use crate::state::AppState;

/// "Try it with the sandbox supplier": starts the sandbox in this process, points
/// this session at it and syncs its catalog, sending `catalog-sync-progress` events
/// on the way. Answers the sync's report, or `null` when a demo already runs.
#[tauri::command]
pub async fn start_demo<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<SyncReport>, AppError> {
    state
        .start_demo(DEMO_PRODUCTS, &EventProgress::new(app))
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::{TestApp, block_on};

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
