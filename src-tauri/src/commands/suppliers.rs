//! Settings → Suppliers: the shop's supplier accounts (core's
//! [`codetill_core::supplier::accounts`]). Each is listed, added (its key goes to the
//! OS keyring and never comes back), tested (the supplier's balance), enabled,
//! disabled or removed. Sandbox or live is only the account's address.

use codetill_core::secrets::Redacted;
use codetill_core::supplier::accounts::{self, Account, NewAccount};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// An account as the owner typed it; blank optional fields are unset.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountInput {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub auth_url: Option<String>,
    pub account: Option<String>,
    pub account_currency: Option<String>,
    /// Goes to the OS keyring; blank: none kept (the environment may hold it).
    pub key: Option<String>,
}

fn given(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// Every supplier account, oldest first (the first enabled one is the main one).
#[tauri::command]
pub async fn supplier_accounts(state: State<'_, AppState>) -> Result<Vec<Account>, AppError> {
    state.shop_clerk().await?;
    Ok(accounts::list(state.shop().db()).await?)
}

/// Adds an account, its key in the keyring; a wrong field is `errors.validation`
/// naming it, and nothing is kept.
#[tauri::command]
pub async fn add_supplier_account(
    state: State<'_, AppState>,
    input: AccountInput,
) -> Result<Account, AppError> {
    let shop = state.shop();
    let new = NewAccount {
        name: input.name,
        kind: input.kind,
        url: input.url,
        auth_url: given(input.auth_url),
        account: given(input.account),
        account_currency: given(input.account_currency),
    };
    let key = given(input.key).map(Redacted::new);
    let account = shop
        .add_supplier(&state.shop_clerk().await?, &new, key)
        .await?;
    tracing::info!(name = %account.name, kind = %account.kind, "supplier account added");
    state.settings_saved().await;
    Ok(account)
}

/// What the supplier answered to a balance check.
#[derive(Debug, Clone, Serialize)]
pub struct AccountTest {
    pub name: String,
    pub balance: String,
    pub currency: String,
}

/// Asks the account's supplier for its balance: the connection test.
#[tauri::command]
pub async fn test_supplier_account(
    state: State<'_, AppState>,
    name: String,
) -> Result<AccountTest, AppError> {
    let shop = state.shop();
    state.shop_clerk().await?;
    let account = accounts::get(shop.db(), &name).await?;
    let supplier = codetill_core::setup::account_supplier(shop.secrets(), &account).await?;
    let balance = supplier.balance().await?;
    Ok(AccountTest {
        name: account.name,
        balance: balance.available.amount_string(),
        currency: balance.available.currency.code().to_string(),
    })
}

/// Takes an account into routing, or out of it.
#[tauri::command]
pub async fn set_supplier_account_enabled(
    state: State<'_, AppState>,
    name: String,
    enabled: bool,
) -> Result<Account, AppError> {
    let account = state
        .shop()
        .enable_supplier(&state.shop_clerk().await?, &name, enabled)
        .await?;
    state.settings_saved().await;
    Ok(account)
}

/// Removes an account and its key (its orders keep their history).
#[tauri::command]
pub async fn remove_supplier_account(
    state: State<'_, AppState>,
    name: String,
) -> Result<Account, AppError> {
    let shop = state.shop();
    let account = shop
        .remove_supplier(&state.shop_clerk().await?, &name)
        .await?;
    tracing::info!(name = %account.name, "supplier account removed");
    state.settings_saved().await;
    Ok(account)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    fn add(app: &TestApp, name: &str, url: &str) -> Result<serde_json::Value, serde_json::Value> {
        add_keyed(app, name, url, "secret-key-1")
    }

    fn add_keyed(
        app: &TestApp,
        name: &str,
        url: &str,
        key: &str,
    ) -> Result<serde_json::Value, serde_json::Value> {
        app.invoke(
            "add_supplier_account",
            json!({ "input": {
                "name": name, "kind": "wholesale", "url": url, "auth_url": "",
                "account": null, "account_currency": "USD", "key": key
            } }),
        )
    }

    #[test]
    fn an_account_is_added_listed_switched_and_removed_its_key_never_shown() {
        let app = TestApp::with_demo_catalog();
        let added = add(&app, "main", "https://api.example.com/").unwrap();
        assert_eq!(added["name"], "main");
        assert_eq!(added["kind"], "wholesale");
        assert_eq!(added["enabled"], true);
        assert!(added["auth_url"].is_null(), "blank is unset");
        let list = app.invoke("supplier_accounts", json!({})).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(!list.to_string().contains("secret-key-1"));

        let off = app
            .invoke(
                "set_supplier_account_enabled",
                json!({ "name": "main", "enabled": false }),
            )
            .unwrap();
        assert_eq!(off["enabled"], false);
        let gone = app
            .invoke("remove_supplier_account", json!({ "name": "main" }))
            .unwrap();
        assert_eq!(gone["name"], "main");
        let list = app.invoke("supplier_accounts", json!({})).unwrap();
        assert_eq!(list, json!([]));
    }

    #[test]
    fn a_wrong_field_is_named_and_nothing_is_added() {
        let app = TestApp::with_demo_catalog();
        let err = add(&app, "main", "not a url").unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        assert!(
            err["message"].as_str().unwrap().starts_with("url:"),
            "{err}"
        );
        assert_eq!(
            app.invoke("supplier_accounts", json!({})).unwrap(),
            json!([])
        );
        add(&app, "main", "https://api.example.com/").unwrap();
        let err = add(&app, "main", "https://api.example.com/").unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        let err = app
            .invoke("remove_supplier_account", json!({ "name": "nope" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_found");
    }

    #[test]
    fn testing_an_account_reads_its_suppliers_balance() {
        let app = TestApp::demo();
        let url = app
            .state()
            .till()
            .demo()
            .expect("a demo session")
            .supplier_url();
        add_keyed(&app, "sandbox", &url, crate::demo::SANDBOX_KEY).unwrap();
        let answer = app
            .invoke("test_supplier_account", json!({ "name": "sandbox" }))
            .unwrap();
        assert_eq!(answer["name"], "sandbox");
        assert!(
            answer["balance"].as_str().unwrap().contains('.'),
            "{answer}"
        );
    }
}
