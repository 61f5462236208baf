//! The commands the UI invokes. Each takes the state, checks its arguments, calls core
//! and returns; no rules live here. Grouped by screen: the catalog and the app's
//! status here, the counter's sale in [`counter`] (a basket of several lines in [`basket`]), its receipt and email in
//! [`delivery`], a sale paid through a payment link in [`remote`], the order history
//! in [`orders`], claims taken while the supplier is down in [`claims`], sign-in, lock and the first-run demo in [`session`], the shift
//! and its Z-report in [`shifts`], the owner's screens in [`pricing`], [`balance`]
//! (and alerts, and [`reconcile`]), [`settings`] (where the shop's data lives in [`database`]; tax invoicing, buyer retention and the cash drawer in [`tax`]) and its supplier accounts
//! ([`suppliers`]), [`staff`] (and the audit log) and [`reports`]. Every command
//! that acts asks who is signed in first ([`crate::state::AppState::clerk`]):
//! nobody, and it is refused with `errors.locked`.

pub mod balance;
pub mod basket;
pub mod claims;
pub mod counter;
pub mod database;
pub mod delivery;
pub mod orders;
pub mod pricing;
pub mod reconcile;
pub mod remote;
pub mod reports;
pub mod session;
pub mod settings;
pub mod shifts;
pub mod staff;
pub mod suppliers;
pub mod support;
pub mod tax;
pub mod updates;

use codetill_core::catalog::{self, LastSync};
use codetill_core::delivery::Language;
use codetill_core::product::Product;
use serde::Serialize;
use tauri::State;

use crate::error::AppError;
use crate::state::{AppState, SupplierStatus};

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
    state.clerk().await?;
    let till = state.till();
    let mut found = till.search(query, limit).await?;
    till.list_stock(&mut found);
    Ok(found)
}

/// One product by its exact sku, or `null`.
#[tauri::command]
pub async fn product(state: State<'_, AppState>, sku: String) -> Result<Option<Product>, AppError> {
    let sku = non_empty(checked(&sku, "sku", MAX_QUERY_CHARS)?, "sku")?;
    state.clerk().await?;
    Ok(catalog::product_by_sku(state.till().db().pool(), sku).await?)
}

/// What the about box, the status bar and the first-run screen show.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub db_path: String,
    /// Products on sale (discontinued ones excluded).
    pub product_count: i64,
    pub last_sync: Option<LastSync>,
    /// A supplier URL is configured (for a demo: the sandbox).
    pub supplier_configured: bool,
    /// This session sells demo codes from the sandbox supplier.
    pub demo: bool,
    /// `CODETILL_DEMO=1`: the UI starts the demo at once.
    pub demo_requested: bool,
    /// Alerts not yet acknowledged (the header's badge).
    pub open_alerts: i64,
    /// The last supplier health check.
    pub supplier: SupplierStatus,
}

impl AppInfo {
    async fn of(state: &AppState) -> Result<AppInfo, AppError> {
        let till = state.till();
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            data_dir: till.data_dir().display().to_string(),
            db_path: till.db().path().display().to_string(),
            product_count: catalog::product_count(till.db()).await?,
            last_sync: catalog::last_sync(till.db()).await?,
            supplier_configured: till.has_supplier().await?,
            demo: till.demo().is_some(),
            demo_requested: state.demo_requested(),
            open_alerts: codetill_core::alerts::open_count(till.db()).await?,
            supplier: state.supplier_status(),
        })
    }
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    AppInfo::of(&state).await
}

/// When the counter first took input this session, for the start-up figure.
#[derive(Debug, Clone, Serialize)]
pub struct Ready {
    /// Milliseconds since the app's `main` began.
    pub since_start_ms: u128,
    /// Wall clock (Unix epoch, ms), so a launcher can add the time before `main`.
    pub epoch_ms: u128,
}

/// The UI calls this once, when the counter's search box first takes input; the
/// time is logged ("counter ready") and returned.
#[tauri::command]
pub fn counter_ready() -> Ready {
    let ready = Ready {
        since_start_ms: crate::started().elapsed().as_millis(),
        epoch_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
    };
    tracing::info!(
        since_start_ms = ready.since_start_ms as u64,
        epoch_ms = ready.epoch_ms as u64,
        "counter ready"
    );
    // Start-up is over once the counter takes input; what it freed goes back to
    // the system after its last queries settle.
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_secs(2));
        crate::lean::hand_back_freed();
    });
    ready
}

pub(crate) fn checked<'a>(
    text: &'a str,
    what: &str,
    max_chars: usize,
) -> Result<&'a str, AppError> {
    if text.chars().count() > max_chars {
        return Err(AppError::validation(format!(
            "{what} is longer than {max_chars} characters"
        )));
    }
    Ok(text)
}

/// The receipt's and email's language as the UI sends it: `en`, `hi`, or nothing
/// (English).
pub(crate) fn language(given: Option<&str>) -> Result<Language, AppError> {
    match given.map(str::trim) {
        None | Some("") => Ok(Language::default()),
        Some(l) => l
            .parse::<Language>()
            .map_err(|e| AppError::validation(e.to_string())),
    }
}

pub(crate) fn non_empty<'a>(text: &'a str, what: &str) -> Result<&'a str, AppError> {
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
    use crate::testing::{TestApp, block_on};

    fn search(app: &TestApp, query: &str) -> Result<Vec<String>, AppError> {
        let found = block_on(search_products(app.state(), query.into(), 20))?;
        Ok(found.into_iter().map(|p| p.sku).collect())
    }

    #[test]
    fn typing_an_exact_sku_puts_that_product_first() {
        let till = TestApp::with_demo_catalog();
        assert_eq!(search(&till, "STEAM-US-50").unwrap()[0], "STEAM-US-50");
        assert_eq!(search(&till, "steam-us-20").unwrap()[0], "STEAM-US-20");
    }

    #[test]
    fn a_brand_prefix_finds_its_cards_but_not_discontinued_ones() {
        let till = TestApp::with_demo_catalog();
        let mut skus = search(&till, "ste").unwrap();
        skus.sort();
        assert_eq!(skus, ["STEAM-US-20", "STEAM-US-50"]);
    }

    #[test]
    fn hindi_text_finds_the_jio_topup() {
        let till = TestApp::with_demo_catalog();
        assert_eq!(search(&till, "जियो").unwrap(), ["JIO-IN-239"]);
    }

    #[test]
    fn blank_or_punctuation_only_queries_find_nothing() {
        let till = TestApp::with_demo_catalog();
        assert!(search(&till, "").unwrap().is_empty());
        assert!(search(&till, "  \"*() ").unwrap().is_empty());
    }

    #[test]
    fn an_overlong_query_is_a_validation_error() {
        let till = TestApp::with_demo_catalog();
        let err = search(&till, &"a".repeat(MAX_QUERY_CHARS + 1)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        // Characters, not bytes: 200 Devanagari letters are a fine query.
        assert!(search(&till, &"जि".repeat(MAX_QUERY_CHARS / 2)).is_ok());
    }

    #[test]
    fn product_by_sku_finds_it_or_says_none() {
        let till = TestApp::with_demo_catalog();
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
        let till = TestApp::with_demo_catalog();
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
        let till = TestApp::with_demo_catalog();
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
        let till = TestApp::with_demo_catalog();
        let err = till
            .invoke("product", serde_json::json!({ "sku": "" }))
            .unwrap_err();
        assert_eq!(
            err,
            serde_json::json!({ "code": "errors.validation", "message": "sku is empty" })
        );
    }
}
