//! The settings screen: the supplier (URL in the settings, key in the OS keyring),
//! the shop's name and address, this till's id, the language, receipt printer,
//! outgoing mail, and remote sales (the relay, Stripe, BTCPay, NOWPayments and
//! Razorpay: addresses and ids in the settings, token and API keys in the keyring). Secrets are write-only: the UI learns
//! only whether one is set. Settings are the shop's, whatever till (a demo) the
//! counter shows.

use codetill_core::payments::{self, ProviderKind};
use codetill_core::relay;
use codetill_core::secrets::{SecretStore, names};
use codetill_core::settings;
use codetill_core::till::TILL_ID_ENV;
use codetill_core::till::settings::{MAX_SETTING_CHARS, ShopSettings};
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub supplier_url: Option<String>,
    /// `CODETILL_SUPPLIER_URL` is set and wins over the stored URL.
    pub supplier_url_from_env: bool,
    /// A supplier key is stored (never the key itself).
    pub supplier_key_set: bool,
    pub shop_name: Option<String>,
    pub shop_address: Option<String>,
    pub till_id: Option<String>,
    /// `en` or `hi`.
    pub language: String,
    /// Where the shop's data lives (read-only).
    pub data_dir: String,
    /// `tcp://host:9100`, `file:/dev/usb/lp0` or `pdf:/folder`.
    pub printer: Option<String>,
    /// `smtps://user@host:465?from=…`.
    pub smtp_url: Option<String>,
    pub smtp_password_set: bool,
    /// The webhook relay remote payments arrive through.
    pub relay_url: Option<String>,
    /// `CODETILL_RELAY_URL` is set and wins over the stored URL.
    pub relay_url_from_env: bool,
    pub relay_token_set: bool,
    /// Empty: Stripe's own API.
    pub stripe_api_url: Option<String>,
    /// `CODETILL_STRIPE_API_URL` is set and wins over the stored address.
    pub stripe_api_url_from_env: bool,
    /// Where Stripe sends the buyer after paying.
    pub stripe_success_url: Option<String>,
    pub stripe_key_set: bool,
    pub btcpay_url: Option<String>,
    /// `CODETILL_BTCPAY_URL` is set and wins over the stored address.
    pub btcpay_url_from_env: bool,
    pub btcpay_store_id: Option<String>,
    /// `CODETILL_BTCPAY_STORE` is set and wins over the stored id.
    pub btcpay_store_id_from_env: bool,
    pub btcpay_key_set: bool,
    /// Where NOWPayments sends its IPNs (empty: the dashboard's).
    pub nowpayments_ipn_url: Option<String>,
    /// `CODETILL_NOWPAYMENTS_IPN_URL` is set and wins over the stored address.
    pub nowpayments_ipn_url_from_env: bool,
    pub nowpayments_key_set: bool,
    pub razorpay_key_id: Option<String>,
    /// `CODETILL_RAZORPAY_KEY_ID` is set and wins over the stored id.
    pub razorpay_key_id_from_env: bool,
    pub razorpay_key_secret_set: bool,
    /// Can remote sales use each of them now (the environment counted)?
    pub remote: RemoteReadiness,
    /// Why the OS keyring could not be asked, if it could not.
    pub secrets_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemoteReadiness {
    pub relay: Readiness,
    pub stripe: Readiness,
    pub btcpay: Readiness,
    pub nowpayments: Readiness,
    pub razorpay: Readiness,
}

/// Ready, or what is missing (core's words).
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub problem: Option<String>,
}

impl<T, E: std::fmt::Display> From<Result<T, E>> for Readiness {
    fn from(r: Result<T, E>) -> Self {
        match r {
            Ok(_) => Readiness {
                ready: true,
                problem: None,
            },
            Err(e) => Readiness {
                ready: false,
                problem: Some(e.to_string()),
            },
        }
    }
}

/// The environment variable `name` is set (not blank) and wins over the setting.
fn from_env(name: &str) -> bool {
    settings::env_override(name).is_some()
}

async fn secret_is_set(
    secrets: std::sync::Arc<dyn SecretStore>,
    name: &'static str,
) -> Result<bool, String> {
    match tauri::async_runtime::spawn_blocking(move || secrets.get(name)).await {
        Ok(Ok(v)) => Ok(v.is_some()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

async fn view(state: &AppState) -> Result<SettingsView, AppError> {
    let shop = state.shop();
    let pool = shop.db().pool();
    let get = |key: &'static str| async move {
        settings::get(pool, &settings::key(shop.db(), key))
            .await
            .map(|v| v.filter(|v| !v.trim().is_empty()))
    };
    let mut secrets_error = None;
    let mut known = |asked: Result<bool, String>| match asked {
        Ok(set) => set,
        Err(e) => {
            tracing::warn!(error = %e, "cannot ask the OS keyring");
            secrets_error = Some(e);
            false
        }
    };
    let supplier_key_set = known(secret_is_set(shop.secrets(), names::SUPPLIER_KEY).await);
    let smtp_password_set = known(secret_is_set(shop.secrets(), names::SMTP_PASSWORD).await);
    let relay_token_set = known(secret_is_set(shop.secrets(), names::RELAY_TOKEN).await);
    let stripe_key_set = known(secret_is_set(shop.secrets(), names::STRIPE_KEY).await);
    let btcpay_key_set = known(secret_is_set(shop.secrets(), names::BTCPAY_KEY).await);
    let nowpayments_key_set = known(secret_is_set(shop.secrets(), names::NOWPAYMENTS_KEY).await);
    let razorpay_key_secret_set =
        known(secret_is_set(shop.secrets(), names::RAZORPAY_KEY_SECRET).await);
    // Building a client checks the whole configuration and calls no one.
    let remote = RemoteReadiness {
        relay: relay::configured(shop.db(), shop.secrets()).await.into(),
        stripe: payments::provider(shop.db(), shop.secrets(), ProviderKind::Stripe)
            .await
            .into(),
        btcpay: payments::provider(shop.db(), shop.secrets(), ProviderKind::Btcpay)
            .await
            .into(),
        nowpayments: payments::provider(shop.db(), shop.secrets(), ProviderKind::Nowpayments)
            .await
            .into(),
        razorpay: payments::provider(shop.db(), shop.secrets(), ProviderKind::Razorpay)
            .await
            .into(),
    };
    Ok(SettingsView {
        supplier_url: get(settings::SUPPLIER_URL).await?,
        supplier_url_from_env: from_env("CODETILL_SUPPLIER_URL"),
        supplier_key_set,
        shop_name: get(settings::SHOP_NAME).await?,
        shop_address: get(settings::SHOP_ADDRESS).await?,
        till_id: state.till_id(),
        language: get(settings::LANGUAGE)
            .await?
            .unwrap_or_else(|| "en".to_string()),
        data_dir: shop.data_dir().display().to_string(),
        printer: get(settings::PRINTER).await?,
        smtp_url: get(settings::SMTP_URL).await?,
        smtp_password_set,
        relay_url: get(relay::RELAY_URL).await?,
        relay_url_from_env: from_env("CODETILL_RELAY_URL"),
        relay_token_set,
        stripe_api_url: get(payments::STRIPE_API_URL).await?,
        stripe_api_url_from_env: from_env("CODETILL_STRIPE_API_URL"),
        stripe_success_url: get(payments::STRIPE_SUCCESS_URL).await?,
        stripe_key_set,
        btcpay_url: get(payments::BTCPAY_URL).await?,
        btcpay_url_from_env: from_env("CODETILL_BTCPAY_URL"),
        btcpay_store_id: get(payments::BTCPAY_STORE).await?,
        btcpay_store_id_from_env: from_env("CODETILL_BTCPAY_STORE"),
        btcpay_key_set,
        nowpayments_ipn_url: get(payments::NOWPAYMENTS_IPN_URL).await?,
        nowpayments_ipn_url_from_env: from_env("CODETILL_NOWPAYMENTS_IPN_URL"),
        nowpayments_key_set,
        razorpay_key_id: get(payments::RAZORPAY_KEY_ID).await?,
        razorpay_key_id_from_env: from_env("CODETILL_RAZORPAY_KEY_ID"),
        razorpay_key_secret_set,
        remote,
        secrets_error,
    })
}

#[tauri::command]
pub async fn settings(state: State<'_, AppState>) -> Result<SettingsView, AppError> {
    state.shop_clerk().await?;
    view(&state).await
}

/// Checks every field, then saves them all in one transaction; answers the
/// settings as saved.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    input: ShopSettings,
) -> Result<SettingsView, AppError> {
    let clerk = state.shop_clerk().await?;
    let saved = state.shop().save_settings(&clerk, &input).await?;
    if std::env::var(TILL_ID_ENV).is_err() {
        state.set_till_id((!saved.till_id.is_empty()).then_some(saved.till_id));
    }
    state.settings_saved().await;
    view(&state).await
}

/// The till's own settings beside the shop's form: minutes unused before it locks
/// itself, and the folder the daily backup goes to (none: no daily backup).
#[derive(Debug, Clone, Serialize)]
pub struct StoreSettings {
    pub idle_lock_minutes: u32,
    pub backup_folder: Option<String>,
}

async fn store_view(state: &AppState) -> Result<StoreSettings, AppError> {
    let db = state.shop().db();
    Ok(StoreSettings {
        idle_lock_minutes: u32::try_from(crate::session::idle_lock(db).await?.as_secs() / 60)
            .unwrap_or(crate::session::DEFAULT_IDLE_MINUTES),
        backup_folder: settings::value(db, settings::BACKUP_FOLDER).await?,
    })
}

#[tauri::command]
pub async fn store_settings(state: State<'_, AppState>) -> Result<StoreSettings, AppError> {
    state.shop_clerk().await?;
    store_view(&state).await
}

/// Saves the idle time (1–60 minutes) and the backup folder (an absolute path, or
/// blank for none): the owner's, audited; the idle time applies at once.
#[tauri::command]
pub async fn save_store_settings(
    state: State<'_, AppState>,
    idle_lock_minutes: String,
    backup_folder: String,
) -> Result<StoreSettings, AppError> {
    let minutes = crate::session::parse_minutes(&idle_lock_minutes)?;
    let folder = super::checked(&backup_folder, "backup_folder", MAX_SETTING_CHARS)?.trim();
    if !folder.is_empty() && !std::path::Path::new(folder).is_absolute() {
        return Err(AppError::validation(format!(
            "backup_folder: {folder:?} is not a full path (it starts with /)"
        )));
    }
    let shop = state.shop();
    let clerk = state.shop_clerk().await?;
    shop.authorize(&clerk, codetill_core::staff::Action::ChangeSettings, None)
        .await?;
    let mut tx = shop.db().begin_write().await?;
    let minutes_text = minutes.to_string();
    for (key, value) in [
        (crate::session::IDLE_LOCK_MINUTES, minutes_text.as_str()),
        (settings::BACKUP_FOLDER, folder),
    ] {
        settings::set(&mut *tx, key, value).await?;
    }
    // The keys, not the values, as the settings form's own audit row has them.
    codetill_core::staff::audit::record(
        &mut tx,
        &codetill_core::staff::audit::Entry {
            actor: &clerk.staff,
            action: "settings",
            detail: Some("changed app.idle_lock_minutes, backup.folder"),
            ..Default::default()
        },
    )
    .await?;
    tx.commit()
        .await
        .map_err(codetill_core::db::DbError::from)?;
    state
        .session()
        .set_idle(std::time::Duration::from_secs(u64::from(minutes) * 60));
    store_view(&state).await
}

/// Stores a secret in the OS keyring (`supplier_key`, `smtp_password`, `relay_token`,
/// `stripe_key`, `btcpay_key`, `nowpayments_key` or `razorpay_key_secret`); an empty
/// value removes it. The value never comes
/// back.
#[tauri::command]
pub async fn set_secret(
    state: State<'_, AppState>,
    name: String,
    value: String,
) -> Result<SettingsView, AppError> {
    let name = match name.as_str() {
        "supplier_key" => names::SUPPLIER_KEY,
        "smtp_password" => names::SMTP_PASSWORD,
        "relay_token" => names::RELAY_TOKEN,
        "stripe_key" => names::STRIPE_KEY,
        "btcpay_key" => names::BTCPAY_KEY,
        "nowpayments_key" => names::NOWPAYMENTS_KEY,
        "razorpay_key_secret" => names::RAZORPAY_KEY_SECRET,
        other => return Err(AppError::validation(format!("no secret called {other:?}"))),
    };
    let value = super::checked(&value, "secret", MAX_SETTING_CHARS)?
        .trim()
        .to_string();
    state
        .shop()
        .authorize(
            &state.shop_clerk().await?,
            codetill_core::staff::Action::ChangeSettings,
            None,
        )
        .await?;
    let secrets = state.shop().secrets();
    tauri::async_runtime::spawn_blocking(move || {
        if value.is_empty() {
            secrets.delete(name)
        } else {
            secrets.set(name, &value)
        }
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Secrets, e.to_string()))??;
    tracing::info!(secret = name, "secret stored in the keyring");
    state.settings_saved().await;
    view(&state).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    fn input() -> serde_json::Value {
        json!({
            "supplier_url": "https://api.wholesale.example/",
            "shop_name": "Asha Mobile & Gifts",
            "shop_address": "12 MG Road, Pune",
            "till_id": "till-2",
            "language": "hi",
            "printer": "tcp://192.168.1.50:9100",
            "smtp_url": "smtps://shop@mail.example:465?from=shop@mail.example",
            "relay_url": "https://relay.shop.example",
            "stripe_api_url": "",
            "stripe_success_url": "https://shop.example/thanks",
            "btcpay_url": "https://pay.shop.example",
            "btcpay_store_id": "7Xg2kQ_store-1",
            "nowpayments_ipn_url": "https://relay.shop.example/in/ep_np",
            "razorpay_key_id": "rzp_test_1DP5mmOlF5G5ag",
        })
    }

    #[test]
    fn settings_are_saved_and_read_back_and_secrets_only_say_set() {
        let app = TestApp::empty();
        let before = app.invoke("settings", json!({})).unwrap();
        assert_eq!(before["supplier_key_set"], false);
        assert_eq!(before["language"], "en");
        assert!(before["data_dir"].as_str().unwrap().len() > 1);

        let saved = app
            .invoke("save_settings", json!({ "input": input() }))
            .unwrap();
        assert_eq!(saved["shop_name"], "Asha Mobile & Gifts");
        assert_eq!(saved["till_id"], "till-2");
        assert_eq!(saved["language"], "hi");
        assert_eq!(saved["printer"], "tcp://192.168.1.50:9100");
        let clerk = crate::testing::block_on(app.state().clerk()).unwrap();
        assert_eq!(clerk.till_id.as_deref(), Some("till-2"));
        assert_eq!(app.state().till_id().as_deref(), Some("till-2"));

        let after = app
            .invoke(
                "set_secret",
                json!({ "name": "supplier_key", "value": "sk_live_very_secret" }),
            )
            .unwrap();
        assert_eq!(after["supplier_key_set"], true);
        assert!(
            !after.to_string().contains("sk_live_very_secret"),
            "{after}"
        );
        let info = app.invoke("app_info", json!({})).unwrap();
        assert_eq!(info["supplier_configured"], true);

        let cleared = app
            .invoke("set_secret", json!({ "name": "supplier_key", "value": "" }))
            .unwrap();
        assert_eq!(cleared["supplier_key_set"], false);
    }

    #[test]
    fn a_bad_setting_is_refused_and_nothing_is_saved() {
        let app = TestApp::empty();
        for (field, value) in [
            ("supplier_url", "not a url"),
            ("printer", "lpt1"),
            ("language", "fr"),
            (
                "smtp_url",
                "smtps://shop:hunter2@mail.example:465?from=shop@mail.example",
            ),
        ] {
            let mut bad = input();
            bad[field] = json!(value);
            let err = app
                .invoke("save_settings", json!({ "input": bad }))
                .unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{field}: {err}");
            assert!(err["message"].as_str().unwrap().starts_with(field), "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        let view = app.invoke("settings", json!({})).unwrap();
        assert!(view["shop_name"].is_null());
        assert!(view["relay_url"].is_null());
        let err = app
            .invoke("set_secret", json!({ "name": "vault_key", "value": "x" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
    }

    #[test]
    fn remote_sale_secrets_only_ever_say_set() {
        let app = TestApp::empty();
        for (name, flag, value) in [
            ("relay_token", "relay_token_set", "rt_0123456789abcdef"),
            (
                "stripe_key",
                "stripe_key_set",
                "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            ),
            ("btcpay_key", "btcpay_key_set", "btcpay-api-key-0123456789"),
            (
                "nowpayments_key",
                "nowpayments_key_set",
                "NP0123-4567-89AB-CDEF",
            ),
            (
                "razorpay_key_secret",
                "razorpay_key_secret_set",
                "thisIsRazorpaySecret01",
            ),
        ] {
            let before = app.invoke("settings", json!({})).unwrap();
            assert_eq!(before[flag], false, "{name}");
            let after = app
                .invoke("set_secret", json!({ "name": name, "value": value }))
                .unwrap();
            assert_eq!(after[flag], true, "{name}");
            assert!(!after.to_string().contains(value), "{name}: {after}");
            let read = app.invoke("settings", json!({})).unwrap();
            assert_eq!(read[flag], true, "{name}");
            assert!(!read.to_string().contains(value), "{name}: {read}");
        }
        let cleared = app
            .invoke("set_secret", json!({ "name": "stripe_key", "value": "  " }))
            .unwrap();
        assert_eq!(cleared["stripe_key_set"], false);
        assert_eq!(cleared["relay_token_set"], true);
    }

    #[test]
    fn a_bad_remote_sales_setting_is_refused_naming_it_and_nothing_changes() {
        let app = TestApp::empty();
        let good = app
            .invoke("save_settings", json!({ "input": input() }))
            .unwrap();
        assert_eq!(good["relay_url"], "https://relay.shop.example");
        assert_eq!(good["btcpay_store_id"], "7Xg2kQ_store-1");
        assert!(good["stripe_api_url"].is_null());
        for (field, value) in [
            ("relay_url", "relay.shop.example"),
            ("relay_url", "ftp://relay.shop.example"),
            ("btcpay_url", "not a url"),
            ("btcpay_url", "file:///etc/passwd"),
            ("stripe_api_url", "https://"),
            ("stripe_success_url", "javascript:alert(1)"),
            ("btcpay_store_id", "../../stores"),
            ("nowpayments_ipn_url", "file:///etc/passwd"),
            ("razorpay_key_id", "rzp_test/../x"),
        ] {
            let mut bad = input();
            bad["shop_name"] = json!("Renamed in the same save");
            bad[field] = json!(value);
            let err = app
                .invoke("save_settings", json!({ "input": bad }))
                .unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{field}: {err}");
            assert!(
                err["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{field}:")),
                "{err}"
            );
            let now = app.invoke("settings", json!({})).unwrap();
            assert_eq!(now, good, "{field} = {value:?} changed something");
        }
    }

    #[test]
    fn providers_are_ready_once_their_settings_and_keys_are_there() {
        let app = TestApp::empty();
        let mut empty = input();
        for field in [
            "relay_url",
            "stripe_success_url",
            "btcpay_url",
            "btcpay_store_id",
            "nowpayments_ipn_url",
            "razorpay_key_id",
        ] {
            empty[field] = json!("");
        }
        let view = app
            .invoke("save_settings", json!({ "input": empty }))
            .unwrap();
        for who in ["relay", "stripe", "btcpay", "nowpayments", "razorpay"] {
            assert_eq!(view["remote"][who]["ready"], false, "{who}: {view}");
            assert!(view["remote"][who]["problem"].is_string(), "{who}");
        }

        // Stripe needs only its key (its API address has a default).
        let view = app
            .invoke(
                "set_secret",
                json!({ "name": "stripe_key", "value": "sk_test_1" }),
            )
            .unwrap();
        assert_eq!(view["remote"]["stripe"]["ready"], true, "{view}");
        assert!(view["remote"]["stripe"]["problem"].is_null());
        assert_eq!(view["remote"]["btcpay"]["ready"], false);

        // BTCPay needs its server, store and key; the relay its address and token.
        let view = app
            .invoke(
                "set_secret",
                json!({ "name": "btcpay_key", "value": "bk_1" }),
            )
            .unwrap();
        assert_eq!(view["remote"]["btcpay"]["ready"], false, "{view}");
        let view = app
            .invoke(
                "set_secret",
                json!({ "name": "relay_token", "value": "rt_1" }),
            )
            .unwrap();
        assert_eq!(view["remote"]["relay"]["ready"], false, "{view}");
        let view = app
            .invoke("save_settings", json!({ "input": input() }))
            .unwrap();
        assert_eq!(view["remote"]["btcpay"]["ready"], true, "{view}");
        assert_eq!(view["remote"]["relay"]["ready"], true, "{view}");

        let view = app
            .invoke("set_secret", json!({ "name": "stripe_key", "value": "" }))
            .unwrap();
        assert_eq!(view["remote"]["stripe"]["ready"], false, "{view}");

        // NOWPayments needs only its API key (the IPN address may be the
        // dashboard's); Razorpay its key id and key secret.
        let view = app
            .invoke(
                "set_secret",
                json!({ "name": "nowpayments_key", "value": "np_1" }),
            )
            .unwrap();
        assert_eq!(view["remote"]["nowpayments"]["ready"], true, "{view}");
        let view = app
            .invoke(
                "set_secret",
                json!({ "name": "razorpay_key_secret", "value": "rzs_1" }),
            )
            .unwrap();
        assert_eq!(view["remote"]["razorpay"]["ready"], true, "{view}");
        let mut no_key_id = input();
        no_key_id["razorpay_key_id"] = json!("");
        let view = app
            .invoke("save_settings", json!({ "input": no_key_id }))
            .unwrap();
        assert_eq!(view["remote"]["razorpay"]["ready"], false, "{view}");
        assert!(
            view["remote"]["razorpay"]["problem"]
                .as_str()
                .unwrap()
                .contains("key id"),
            "{view}"
        );
    }
}
