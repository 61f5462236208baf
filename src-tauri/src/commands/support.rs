//! Settings → About: the version, where the shop's data and logs are, and the
//! support bundle (logs, versions, settings without secrets, no codes) the owner
//! sends when something goes wrong.

use std::path::PathBuf;

use codetill_core::staff::Action;
use codetill_core::support::{self, Bundle};
use serde::Serialize;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct About {
    pub version: &'static str,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub keep_days: usize,
}

#[tauri::command]
pub async fn about(state: State<'_, AppState>) -> Result<About, AppError> {
    state.clerk().await?;
    let data_dir = state.shop().data_dir().to_path_buf();
    Ok(About {
        version: env!("CARGO_PKG_VERSION"),
        log_dir: support::log_dir(&data_dir),
        data_dir,
        keep_days: support::KEEP_DAYS,
    })
}

/// Writes a support bundle into the user's Downloads folder (else the data folder)
/// and answers where (a manager's or the owner's: it holds the shop's state).
#[tauri::command]
pub async fn support_bundle(state: State<'_, AppState>) -> Result<Bundle, AppError> {
    let shop = state.shop();
    shop.authorize(&state.shop_clerk().await?, Action::ViewReports, None)
        .await?;
    let folder = dirs::download_dir()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| shop.data_dir().to_path_buf());
    let app = format!("codetill-app {}", env!("CARGO_PKG_VERSION"));
    Ok(support::write_bundle(shop.db(), shop.data_dir(), &folder, &app).await?)
}
