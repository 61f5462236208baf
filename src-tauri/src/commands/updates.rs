//! Updates: the app asks the owner's update URL (off by default) for a signed update,
//! says when one is ready, and installs it on the owner's word — never during a sale
//! or while this till's shift is open. The bundle's signature is checked against the
//! release key built into the app (`CODETILL_UPDATER_PUBKEY` at build time), with the
//! version it was signed for; a build without that key cannot update itself.

use codetill_core::staff::Action;
use codetill_core::till::updates::NotNow;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_updater::{Updater, UpdaterExt};

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// The release key this build trusts (base64 of the minisign public key).
const RELEASE_KEY: Option<&str> = option_env!("CODETILL_UPDATER_PUBKEY");

#[derive(Debug, Serialize)]
pub struct UpdateSettings {
    pub current: &'static str,
    /// The manifest's URL; `None`: updates are off.
    pub url: Option<String>,
    /// This build carries a release key (else it cannot update itself).
    pub signed_build: bool,
}

#[derive(Debug, Serialize)]
pub struct UpdateCheck {
    pub current: &'static str,
    /// The newer version ready to install, when there is one.
    pub version: Option<String>,
    pub notes: Option<String>,
    /// Why it cannot be installed right now (it may be later).
    pub not_now: Option<NotNow>,
}

#[tauri::command]
pub async fn update_settings(state: State<'_, AppState>) -> Result<UpdateSettings, AppError> {
    state.clerk().await?;
    Ok(UpdateSettings {
        current: env!("CARGO_PKG_VERSION"),
        url: state.shop().update_url().await?,
        signed_build: RELEASE_KEY.is_some(),
    })
}

/// Sets the update URL (empty: off); the owner's, audited by core.
#[tauri::command]
pub async fn set_update_url(
    state: State<'_, AppState>,
    url: Option<String>,
) -> Result<UpdateSettings, AppError> {
    let clerk = state.shop_clerk().await?;
    state.shop().set_update_url(&clerk, url.as_deref()).await?;
    update_settings(state).await
}

/// Asks the update URL whether a newer signed version is there (the owner's).
#[tauri::command]
pub async fn check_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<UpdateCheck, AppError> {
    let clerk = state.shop_clerk().await?;
    let shop = state.shop();
    shop.authorize(&clerk, Action::ChangeSettings, None).await?;
    let updater = updater(&app, shop.update_url().await?.as_deref(), RELEASE_KEY)?;
    let found = updater.check().await.map_err(update_error)?;
    Ok(UpdateCheck {
        current: env!("CARGO_PKG_VERSION"),
        version: found.as_ref().map(|u| u.version.clone()),
        notes: found.and_then(|u| u.body),
        not_now: shop.update_blocked(clerk.till_id.as_deref()).await?,
    })
}

/// Downloads, checks and installs the update, then restarts the app. Refused during
/// a sale or an open shift at this till; an unsigned or wrongly signed bundle is
/// refused by the updater before anything is installed.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<(), AppError> {
    let clerk = state.shop_clerk().await?;
    let shop = state.shop();
    shop.authorize(&clerk, Action::ChangeSettings, None).await?;
    if let Some(why) = shop.update_blocked(clerk.till_id.as_deref()).await? {
        return Err(AppError::new(
            ErrorCode::WrongState,
            match why {
                NotNow::SaleUnderWay => "a sale is under way: install the update after it",
                NotNow::ShiftOpen => "this till's shift is open: close it, then install",
            },
        ));
    }
    let updater = updater(&app, shop.update_url().await?.as_deref(), RELEASE_KEY)?;
    let Some(update) = updater.check().await.map_err(update_error)? else {
        return Err(AppError::new(ErrorCode::WrongState, "no update is ready"));
    };
    tracing::info!(version = %update.version, "installing the update");
    update
        .download_and_install(|_, _| {}, || {})
        .await
        .map_err(update_error)?;
    app.restart()
}

/// The updater for `url`, trusting `key`.
pub(crate) fn updater<R: Runtime>(
    app: &AppHandle<R>,
    url: Option<&str>,
    key: Option<&str>,
) -> Result<Updater, AppError> {
    let Some(url) = url else {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "updates are off: set the update URL first",
        ));
    };
    let Some(key) = key else {
        return Err(AppError::new(
            ErrorCode::WrongState,
            "this build carries no release key: it cannot update itself",
        ));
    };
    let url = url
        .parse()
        .map_err(|e| AppError::validation(format!("update URL: {e}")))?;
    app.updater_builder()
        .pubkey(key)
        .endpoints(vec![url])
        .map_err(update_error)?
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(update_error)
}

fn update_error(e: tauri_plugin_updater::Error) -> AppError {
    AppError::new(ErrorCode::Supplier, format!("update: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::routing::get;
    use serde_json::{Value, json};

    use super::*;

    /// An update server on loopback: the manifest and the bundle it names.
    async fn serve(manifest: Arc<Mutex<Value>>, bundle: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route(
                "/latest.json",
                get(move || {
                    let m = manifest.lock().unwrap().clone();
                    async move { axum::Json(m) }
                }),
            )
            .route("/bundle", get(move || async move { bundle.clone() }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    fn app() -> tauri::App<tauri::test::MockRuntime> {
        let mut context = tauri::test::mock_context(tauri::test::noop_assets());
        // As tauri.conf.json has it, plus plain http for the loopback server (the
        // owner's URL is https: core refuses anything else off this machine).
        context.config_mut().plugins.0.insert(
            "updater".into(),
            json!({
                "pubkey": "",
                "endpoints": [],
                "requireSignedVersion": true,
                "dangerousInsecureTransportProtocol": true
            }),
        );
        tauri::test::mock_builder()
            .plugin(tauri_plugin_updater::Builder::new().build())
            .build(context)
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_a_bundle_signed_with_the_release_key_for_its_version_is_accepted() {
        let release = codetill_release::keygen().unwrap();
        let stranger = codetill_release::keygen().unwrap();
        let bundle = b"codetill 9.9.9 AppImage".to_vec();
        let manifest = Arc::new(Mutex::new(Value::Null));
        let base = serve(manifest.clone(), bundle.clone()).await;
        let url = format!("{base}/latest.json");
        let app = app();
        let offer = |signature: &str, version: &str| {
            *manifest.lock().unwrap() =
                codetill_release::manifest(version, "notes", &format!("{base}/bundle"), signature);
        };
        let download = || async {
            let updater = updater(app.handle(), Some(&url), Some(&release.public)).unwrap();
            let update = updater.check().await?.expect("a newer version is offered");
            update.download(|_, _| {}, || {}).await
        };

        // Signed with the release key, for the version offered: accepted.
        offer(
            &codetill_release::sign(&release.secret, &bundle, "codetill.AppImage", "9.9.9")
                .unwrap(),
            "9.9.9",
        );
        assert_eq!(download().await.unwrap(), bundle);

        // Signed with another key: refused.
        offer(
            &codetill_release::sign(&stranger.secret, &bundle, "codetill.AppImage", "9.9.9")
                .unwrap(),
            "9.9.9",
        );
        assert!(download().await.is_err(), "a stranger's signature");

        // The release key's signature of an older version offered as a newer one.
        offer(
            &codetill_release::sign(&release.secret, &bundle, "codetill.AppImage", "1.0.0")
                .unwrap(),
            "9.9.9",
        );
        assert!(download().await.is_err(), "a signature for another version");

        // Unsigned.
        offer("", "9.9.9");
        assert!(download().await.is_err(), "no signature");

        // The same version as this build's is no update.
        let current = app.package_info().version.to_string();
        offer(
            &codetill_release::sign(&release.secret, &bundle, "f", &current).unwrap(),
            &current,
        );
        let updater = updater(app.handle(), Some(&url), Some(&release.public)).unwrap();
        assert!(updater.check().await.unwrap().is_none());

        // Off, or a build without a release key: no updater at all.
        assert!(updater_for_test(&app, None, Some(&release.public)).is_err());
        assert!(updater_for_test(&app, Some(&url), None).is_err());
    }

    fn updater_for_test(
        app: &tauri::App<tauri::test::MockRuntime>,
        url: Option<&str>,
        key: Option<&str>,
    ) -> Result<Updater, AppError> {
        updater(app.handle(), url, key)
    }
}
