//! The owner's catalog and pricing screen: the price rules (global and per category),
//! a live preview of an edited rule on sample products (priced by core), saving a
//! rule (which reprices the catalog), "Sync now" with progress events, the last
//! sync's result and the recent price changes. Percentages and money travel as
//! decimal strings.

use codetill_core::catalog::{
    self, LastSync, PriceChange, PricePreview, RepriceReport, SyncReport,
};
use codetill_core::fx::{self, Rate};
use codetill_core::money::Currency;
use codetill_core::pricing::{PriceRule, PriceRules};
use codetill_core::product::Category;
use codetill_core::settings;
use codetill_core::staff::Action;
use codetill_core::supplier::BadRow;
use codetill_core::till::TillError;
use codetill_core::till::daily_sync::{self, DailySync};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};

use crate::error::AppError;
use crate::events::EventProgress;
use crate::state::AppState;

/// A rule as the owner typed it: percentages ("3", "2.5"), a rounding rule (none,
/// .99, .05, .50, 1) and an optional margin floor in `floor_currency`.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleInput {
    pub fee_pct: String,
    pub fx_pct: String,
    pub margin_pct: String,
    pub rounding: String,
    pub floor: Option<String>,
    pub floor_currency: Option<String>,
}

impl RuleInput {
    /// Core's validated rule; a mistake is `errors.validation` naming the field
    /// ("margin: …"), so the screen can point at it.
    fn rule(&self) -> Result<PriceRule, AppError> {
        let floor = match (self.floor.as_deref().map(str::trim), &self.floor_currency) {
            (None | Some(""), _) => None,
            (Some(amount), Some(currency)) => Some((amount, currency.as_str())),
            (Some(_), None) => {
                return Err(AppError::validation("floor: the currency is missing"));
            }
        };
        Ok(PriceRule::parse(
            &self.fee_pct,
            &self.fx_pct,
            &self.margin_pct,
            Some(&self.rounding),
            floor,
        )?)
    }
}

fn category(c: Option<&str>) -> Result<Option<Category>, AppError> {
    c.map(one_category).transpose()
}

fn one_category(c: &str) -> Result<Category, AppError> {
    c.parse()
        .map_err(|e: codetill_core::product::UnknownCategory| {
            AppError::validation(format!("category: {e}"))
        })
}

/// The rules and the currency a floor is typed in.
#[derive(Debug, Clone, Serialize)]
pub struct PricingView {
    pub rules: PriceRules,
    /// The catalog's main currency (`null` for an empty catalog).
    pub currency: Option<String>,
}

#[tauri::command]
pub async fn price_rules(state: State<'_, AppState>) -> Result<PricingView, AppError> {
    let till = state.till();
    state.clerk_at(&till).await?;
    let mut conn = till
        .db()
        .pool()
        .acquire()
        .await
        .map_err(|e| AppError::from(codetill_core::catalog::CatalogError::from(e)))?;
    let rules = catalog::load_rules(&mut conn).await?;
    drop(conn);
    let currency = catalog::main_currency(till.db()).await?;
    Ok(PricingView {
        rules,
        currency: currency.map(|c| c.code().to_string()),
    })
}

/// `rule` on up to `limit` sample products of `category` (all when `null`), from
/// cheapest to dearest. Nothing is saved.
#[tauri::command]
pub async fn price_preview(
    state: State<'_, AppState>,
    category: Option<String>,
    rule: RuleInput,
    limit: u32,
) -> Result<Vec<PricePreview>, AppError> {
    let category = self::category(category.as_deref())?;
    let rule = rule.rule()?;
    state.clerk().await?;
    Ok(catalog::preview(state.till().db(), category, &rule, limit).await?)
}

/// Saves the rule of `category` (the global rule when `null`) and reprices the catalog.
#[tauri::command]
pub async fn save_price_rule(
    state: State<'_, AppState>,
    category: Option<String>,
    rule: RuleInput,
) -> Result<RepriceReport, AppError> {
    let category = self::category(category.as_deref())?;
    let rule = rule.rule()?;
    let till = state.till();
    let report = till
        .save_price_rule(&state.clerk_at(&till).await?, category, &rule)
        .await?;
    tracing::info!(category = ?category, changed = report.changed, "price rule saved");
    Ok(report)
}

/// Drops `category`'s own rule (the global rule prices it again) and reprices the
/// catalog. The global rule itself can only be changed.
#[tauri::command]
pub async fn remove_price_rule(
    state: State<'_, AppState>,
    category: String,
) -> Result<RepriceReport, AppError> {
    let category = one_category(&category)?;
    let till = state.till();
    let report = till
        .remove_price_rule(&state.clerk_at(&till).await?, category)
        .await?;
    tracing::info!(
        ?category,
        changed = report.changed,
        "category price rule removed"
    );
    Ok(report)
}

/// "Sync now": syncs the catalog from the supplier, sending `catalog-sync-progress`
/// events; a second sync while one runs is `errors.busy`.
#[tauri::command]
pub async fn sync_catalog<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<SyncReport, AppError> {
    // A sync reprices the catalog: the owner's, as a price change is.
    let till = state.till();
    till.authorize(&state.clerk_at(&till).await?, Action::ChangePrices, None)
        .await?;
    state.sync_catalog(&EventProgress::new(app)).await
}

/// The last sync and the rows it could not import.
#[derive(Debug, Clone, Serialize)]
pub struct SyncSummary {
    pub last: Option<LastSync>,
    pub skipped: Vec<BadRow>,
}

#[tauri::command]
pub async fn sync_summary(state: State<'_, AppState>) -> Result<SyncSummary, AppError> {
    let till = state.till();
    state.clerk_at(&till).await?;
    let last = catalog::last_sync(till.db()).await?;
    let skipped = match &last {
        Some(l) if l.skipped > 0 => catalog::skipped_rows(till.db(), l.id, 100).await?,
        _ => Vec::new(),
    };
    Ok(SyncSummary { last, skipped })
}

/// The most recent price changes, newest first (at most `limit`).
#[tauri::command]
pub async fn price_changes(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<PriceChange>, AppError> {
    state.clerk().await?;
    Ok(catalog::price_changes(state.till().db(), limit).await?)
}

/// One exchange rate the shop prices with: where it came from and how old it is.
#[derive(Debug, Clone, Serialize)]
pub struct RateView {
    #[serde(flatten)]
    pub rate: Rate,
    pub age_days: i64,
    /// Older than its source allows (an alert is raised for it).
    pub stale: bool,
}

/// The shop's currency and the rates from each supplier currency to it.
#[derive(Debug, Clone, Serialize)]
pub struct RatesView {
    /// `null`: each product sells in its supplier's currency.
    pub shop_currency: Option<String>,
    /// The daily rates file, when one is set.
    pub source_url: Option<String>,
    pub rates: Vec<RateView>,
}

async fn rates_view(db: &codetill_core::db::Db) -> Result<RatesView, AppError> {
    let now = chrono::Utc::now();
    let rates = fx::all(db).await.map_err(TillError::from)?;
    Ok(RatesView {
        shop_currency: settings::value(db, settings::SHOP_CURRENCY).await?,
        source_url: settings::value(db, fx::SOURCE_URL).await?,
        rates: rates
            .into_iter()
            .map(|rate| RateView {
                age_days: rate.age_days(now),
                stale: rate.is_stale(now),
                rate,
            })
            .collect(),
    })
}

#[tauri::command]
pub async fn exchange_rates(state: State<'_, AppState>) -> Result<RatesView, AppError> {
    state.clerk().await?;
    rates_view(state.till().db()).await
}

/// Sets the currency the shop sells in (blank: each supplier's) and reprices the
/// catalog; refused, nothing changed, when a product has no rate to it.
#[tauri::command]
pub async fn set_shop_currency(
    state: State<'_, AppState>,
    currency: String,
) -> Result<RatesView, AppError> {
    let shop = match currency.trim() {
        "" => None,
        c => Some(
            Currency::parse(c).map_err(|e| AppError::validation(format!("shop_currency: {e}")))?,
        ),
    };
    let till = state.till();
    let report = till
        .set_shop_currency(&state.clerk_at(&till).await?, shop)
        .await?;
    tracing::info!(currency = ?shop, changed = report.changed, "shop currency set");
    rates_view(till.db()).await
}

/// The hour the catalog syncs each day, and when it last did.
#[tauri::command]
pub async fn daily_sync(state: State<'_, AppState>) -> Result<DailySync, AppError> {
    state.shop_clerk().await?;
    Ok(daily_sync::daily_sync(state.shop().db()).await?)
}

/// Sets the hour (0–23, this computer's time) the catalog syncs each day; blank: only
/// when asked.
#[tauri::command]
pub async fn set_sync_hour(
    state: State<'_, AppState>,
    hour: String,
) -> Result<DailySync, AppError> {
    let shop = state.shop();
    shop.authorize(&state.shop_clerk().await?, Action::ChangeSettings, None)
        .await?;
    Ok(daily_sync::set_sync_hour(shop.db(), &hour).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::{TestApp, block_on};

    fn rule(margin: &str) -> serde_json::Value {
        json!({ "fee_pct": "3", "fx_pct": "2", "margin_pct": margin, "rounding": ".99", "floor": null, "floor_currency": null })
    }

    #[test]
    fn a_fresh_shop_shows_the_starter_rule_and_its_currency() {
        let app = TestApp::with_demo_catalog();
        let view = app.invoke("price_rules", json!({})).unwrap();
        assert_eq!(
            view["rules"]["global"],
            json!({ "fee_pct": "3", "fx_pct": "2", "margin_pct": "8", "rounding": ".99", "floor": null })
        );
        assert_eq!(view["rules"]["by_category"], json!({}));
        assert!(view["currency"].is_string(), "{view}");
    }

    #[test]
    fn the_preview_follows_the_edited_margin_and_saves_nothing() {
        let app = TestApp::with_demo_catalog();
        let at = |margin: &str| {
            app.invoke(
                "price_preview",
                json!({ "category": "gift_card", "rule": rule(margin), "limit": 5 }),
            )
            .unwrap()
        };
        let low = at("8");
        let high = at("30");
        let rows = low.as_array().unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r["category"] == "gift_card"));
        let first =
            |v: &serde_json::Value, k: &str| v[0][k]["amount"].as_str().unwrap().to_string();
        assert_eq!(first(&low, "wholesale"), first(&high, "wholesale"));
        let (lo, hi): (f64, f64) = (
            first(&low, "retail").parse().unwrap(),
            first(&high, "retail").parse().unwrap(),
        );
        assert!(hi > lo, "a higher margin raises the price: {lo} → {hi}");
        assert!(
            high[0]["margin_pct"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
                >= 30.0
        );
        // Nothing saved: the rules are still the starter's.
        let view = app.invoke("price_rules", json!({})).unwrap();
        assert_eq!(view["rules"]["by_category"], json!({}));
    }

    #[test]
    fn a_bad_rule_names_its_field() {
        let app = TestApp::with_demo_catalog();
        let err = app
            .invoke(
                "price_preview",
                json!({ "category": null, "rule": rule("96"), "limit": 5 }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        assert!(
            err["message"].as_str().unwrap().starts_with("margin:"),
            "{err}"
        );
        let err = app
            .invoke(
                "save_price_rule",
                json!({ "category": "toys", "rule": rule("8") }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
    }

    #[test]
    fn saving_a_category_rule_reprices_it_and_lists_the_changes() {
        let app = TestApp::with_demo_catalog();
        let mut r = rule("20");
        r["floor"] = json!("0.50");
        r["floor_currency"] = json!("INR");
        let report = app
            .invoke(
                "save_price_rule",
                json!({ "category": "gift_card", "rule": r }),
            )
            .unwrap();
        assert!(report["changed"].as_u64().unwrap() > 0, "{report}");
        let view = app.invoke("price_rules", json!({})).unwrap();
        assert_eq!(
            view["rules"]["by_category"]["gift_card"]["margin_pct"],
            "20"
        );
        assert_eq!(
            view["rules"]["by_category"]["gift_card"]["floor"],
            json!({ "amount": "0.50", "currency": "INR" })
        );
        let changes = app.invoke("price_changes", json!({ "limit": 50 })).unwrap();
        let changes = changes.as_array().unwrap();
        assert!(!changes.is_empty());
        assert!(changes.iter().all(|c| c["cause"] == "rules"));
    }

    #[test]
    fn removing_a_category_rule_prices_it_by_the_general_rule_again() {
        let app = TestApp::with_demo_catalog();
        let prices = |app: &TestApp| {
            let found = app
                .invoke("search_products", json!({ "query": "steam", "limit": 50 }))
                .unwrap();
            found
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["sku"].clone(), p["retail"]["amount"].clone()))
                .collect::<Vec<_>>()
        };
        // Everything priced by the general rule first.
        app.invoke(
            "save_price_rule",
            json!({ "category": null, "rule": rule("8") }),
        )
        .unwrap();
        let before = prices(&app);
        assert!(!before.is_empty());
        app.invoke(
            "save_price_rule",
            json!({ "category": "gift_card", "rule": rule("30") }),
        )
        .unwrap();
        assert_ne!(prices(&app), before, "a 30% margin reprices the gift cards");

        let report = app
            .invoke("remove_price_rule", json!({ "category": "gift_card" }))
            .unwrap();
        assert!(report["changed"].as_u64().unwrap() > 0, "{report}");
        let view = app.invoke("price_rules", json!({})).unwrap();
        assert!(
            view["rules"]["by_category"]["gift_card"].is_null(),
            "{view}"
        );
        assert_eq!(prices(&app), before, "back to the general rule's prices");

        // The general rule is not a category; an unknown one changes nothing.
        for bad in ["global", "gift cards"] {
            let e = app
                .invoke("remove_price_rule", json!({ "category": bad }))
                .unwrap_err();
            assert_eq!(e["code"], "errors.validation", "{e}");
            assert!(
                e["message"].as_str().unwrap().starts_with("category:"),
                "{e}"
            );
        }
    }

    #[test]
    fn sync_now_reports_counts_and_the_summary_shows_them() {
        let app = TestApp::demo();
        let report = app.invoke("sync_catalog", json!({})).unwrap();
        assert!(report["received"].as_u64().unwrap() as usize <= crate::testing::TEST_PRODUCTS);
        let summary = app.invoke("sync_summary", json!({})).unwrap();
        assert_eq!(summary["last"]["status"], "ok");
        assert_eq!(summary["last"]["id"], report["run_id"]);
        assert_eq!(summary["skipped"], json!([]));
    }

    #[test]
    fn sync_now_without_a_supplier_asks_for_one() {
        let app = TestApp::with_demo_catalog();
        let err = app.invoke("sync_catalog", json!({})).unwrap_err();
        assert_eq!(err["code"], "errors.no_supplier");
    }

    #[test]
    fn the_rates_show_their_source_and_age_and_the_shop_currency() {
        let app = TestApp::with_demo_catalog();
        let view = app.invoke("exchange_rates", json!({})).unwrap();
        assert!(view["shop_currency"].is_null());
        assert_eq!(view["rates"], json!([]));
        let till = app.state().till();
        block_on(codetill_core::fx::set(till.db(), "USD", "INR", "83.25")).unwrap();
        let view = app
            .invoke("set_shop_currency", json!({ "currency": "inr" }))
            .unwrap();
        assert_eq!(view["shop_currency"], "INR");
        let rate = &view["rates"][0];
        assert_eq!(rate["from"], "USD");
        assert_eq!(rate["to"], "INR");
        assert_eq!(rate["rate"], "83.25");
        assert_eq!(rate["source"], "owner");
        assert_eq!(rate["age_days"], 0);
        assert_eq!(rate["stale"], false);
        let err = app
            .invoke("set_shop_currency", json!({ "currency": "rupees" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("shop_currency:")
        );
    }

    #[test]
    fn the_sync_hour_is_kept_or_refused_naming_the_field() {
        let app = TestApp::with_demo_catalog();
        let view = app.invoke("daily_sync", json!({})).unwrap();
        assert!(view["hour"].is_null());
        let view = app.invoke("set_sync_hour", json!({ "hour": "3" })).unwrap();
        assert_eq!(view["hour"], 3);
        let err = app
            .invoke("set_sync_hour", json!({ "hour": "24" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        assert!(err["message"].as_str().unwrap().starts_with("sync_hour:"));
        assert_eq!(app.invoke("daily_sync", json!({})).unwrap()["hour"], 3);
    }
}
