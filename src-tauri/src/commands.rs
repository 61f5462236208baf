//! The commands the UI invokes. Each takes the state, checks its arguments, calls core
//! and returns; no rules live here.

use codetill_core::catalog::{self, LastSync};
use codetill_core::product::Product;
use serde::Serialize;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// Longer than anyone types or a scanner sends: a bug in the caller, not a search.
pub const MAX_QUERY_CHARS: usize = 200;

/// Search as staff type: every word a prefix, best match (an exact sku) first. An
/// empty query finds nothing. `limit` is clamped by core (1–200).
#[tauri::command]
pub async fn search_products(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Result<Vec<Product>, AppError> {
    let query = checked(&query, "query", MAX_QUERY_CHARS)?;
    Ok(catalog::search(state.db().pool(), query, limit).await?)
}

/// One product by its exact sku, or `null`.
#[tauri::command]
pub async fn product(state: State<'_, AppState>, sku: String) -> Result<Option<Product>, AppError> {
    let sku = non_empty(checked(&sku, "sku", MAX_QUERY_CHARS)?, "sku")?;
    Ok(catalog::product_by_sku(state.db().pool(), sku).await?)
}

/// What the about box and the status bar show.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub db_path: String,
    /// Products on sale (discontinued ones excluded).
    pub product_count: i64,
    pub last_sync: Option<LastSync>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state.data_dir().display().to_string(),
        db_path: state.db().path().display().to_string(),
        product_count: catalog::product_count(state.db()).await?,
        last_sync: catalog::last_sync(state.db()).await?,
    })
}

fn checked<'a>(text: &'a str, what: &str, max_chars: usize) -> Result<&'a str, AppError> {
    if text.chars().count() > max_chars {
        return Err(AppError::validation(format!(
            "{what} is longer than {max_chars} characters"
        )));
    }
    Ok(text)
}

fn non_empty<'a>(text: &'a str, what: &str) -> Result<&'a str, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::validation(format!("{what} is empty")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;
    use tauri::Manager;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{
        INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
    };
    use tauri::webview::InvokeRequest;

    const DEMO_CATALOG: &str = include_str!("../tests/fixtures/counter-demo.sql");

    /// The app on Tauri's mock runtime, over a temp database holding the demo catalog.
    struct Till {
        app: tauri::App<MockRuntime>,
        _dir: tempfile::TempDir,
    }

    impl Till {
        fn with_demo_catalog() -> Till {
            let dir = tempfile::tempdir().unwrap();
            let state = block_on(async {
                let state = AppState::open(dir.path()).await.unwrap();
                sqlx::raw_sql(DEMO_CATALOG)
                    .execute(state.db().pool())
                    .await
                    .unwrap();
                state
            });
            let app = crate::configure(mock_builder(), state)
                .build(mock_context(noop_assets()))
                .unwrap();
            Till { app, _dir: dir }
        }

        fn state(&self) -> State<'_, AppState> {
            self.app.state::<AppState>()
        }

        fn search(&self, query: &str) -> Result<Vec<String>, AppError> {
            let found = block_on(search_products(self.state(), query.into(), 20))?;
            Ok(found.into_iter().map(|p| p.sku).collect())
        }

        /// Invokes `cmd` through the IPC layer, as the UI does, and returns the JSON.
        fn invoke(
            &self,
            cmd: &str,
            args: serde_json::Value,
        ) -> Result<serde_json::Value, serde_json::Value> {
            let webview = match self.app.get_webview_window("main") {
                Some(w) => w,
                None => tauri::WebviewWindowBuilder::new(&self.app, "main", Default::default())
                    .build()
                    .unwrap(),
            };
            let request = InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            };
            get_ipc_response(&webview, request).map(|body| body.deserialize().unwrap())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tauri::async_runtime::block_on(f)
    }

    #[test]
    fn typing_an_exact_sku_puts_that_product_first() {
        let till = Till::with_demo_catalog();
        assert_eq!(till.search("STEAM-US-50").unwrap()[0], "STEAM-US-50");
        assert_eq!(till.search("steam-us-20").unwrap()[0], "STEAM-US-20");
    }

    #[test]
    fn a_brand_prefix_finds_its_cards_but_not_discontinued_ones() {
        let till = Till::with_demo_catalog();
        let mut skus = till.search("ste").unwrap();
        skus.sort();
        assert_eq!(skus, ["STEAM-US-20", "STEAM-US-50"]);
    }

    #[test]
    fn hindi_text_finds_the_jio_topup() {
        let till = Till::with_demo_catalog();
        assert_eq!(till.search("जियो").unwrap(), ["JIO-IN-239"]);
    }

    #[test]
    fn blank_or_punctuation_only_queries_find_nothing() {
        let till = Till::with_demo_catalog();
        assert!(till.search("").unwrap().is_empty());
        assert!(till.search("  \"*() ").unwrap().is_empty());
    }

    #[test]
    fn an_overlong_query_is_a_validation_error() {
        let till = Till::with_demo_catalog();
        let err = till.search(&"a".repeat(MAX_QUERY_CHARS + 1)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        // Characters, not bytes: 200 Devanagari letters are a fine query.
        assert!(till.search(&"जि".repeat(MAX_QUERY_CHARS / 2)).is_ok());
    }

    #[test]
    fn product_by_sku_finds_it_or_says_none() {
        let till = Till::with_demo_catalog();
        let p = block_on(product(till.state(), " WIN11-PRO ".into()))
            .unwrap()
            .unwrap();
        assert_eq!(p.name, "Windows 11 Pro");
        assert!(
            block_on(product(till.state(), "NOPE".into()))
                .unwrap()
                .is_none()
        );
        let err = block_on(product(till.state(), "  ".into())).unwrap_err();
        assert_eq!(err, AppError::validation("sku is empty"));
    }

    #[test]
    fn app_info_counts_products_on_sale_and_names_the_database() {
        let till = Till::with_demo_catalog();
        let info = block_on(app_info(till.state())).unwrap();
        assert_eq!(
            info.product_count, 10,
            "the discontinued card is not counted"
        );
        assert!(info.db_path.ends_with("codetill.db"), "{}", info.db_path);
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert!(info.last_sync.is_none());
    }

    #[test]
    fn the_ui_receives_products_with_money_as_decimal_strings() {
        let till = Till::with_demo_catalog();
        let found = till
            .invoke(
                "search_products",
                serde_json::json!({ "query": "jio", "limit": 5 }),
            )
            .unwrap();
        let jio = &found[0];
        assert_eq!(jio["sku"], "JIO-IN-239");
        assert_eq!(jio["category"], "mobile_topup");
        assert_eq!(
            jio["retail"],
            serde_json::json!({ "amount": "239.00", "currency": "INR" })
        );
        assert_eq!(jio["in_stock"], true);
    }

    #[test]
    fn the_ui_receives_errors_as_code_and_message() {
        let till = Till::with_demo_catalog();
        let err = till
            .invoke("product", serde_json::json!({ "sku": "" }))
            .unwrap_err();
        assert_eq!(
            err,
            serde_json::json!({ "code": "errors.validation", "message": "sku is empty" })
        );
    }
}
