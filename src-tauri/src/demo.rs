//! "Try it with the sandbox supplier": a demo till for a first run.
//!
//! The sandbox supplier (`codetill-sandbox`) starts in this process on a loopback port;
//! the demo till gets its own database in a temporary folder, a supplier client that
//! holds the sandbox's URL and key in memory (nothing is written to the settings or
//! the keyring), a vault whose key exists only in memory, and a catalog synced from the
//! sandbox. All of it disappears when the app closes: demo sales never mix with the
//! shop's own orders. `CODETILL_DEMO=1` starts the app in this mode.

use std::sync::Arc;

use codetill_core::catalog::{self, SyncOptions, SyncReport};
use codetill_core::db::Db;
use codetill_core::progress::ProgressSink;
use codetill_core::secrets::Redacted;
use codetill_core::supplier::{WholesaleClient, WholesaleConfig};
use codetill_core::vault::Vault;
use codetill_sandbox::{SandboxConfig, SandboxHandle};

use crate::error::{AppError, ErrorCode};
use crate::till::{Source, Till};
use codetill_core::till::DB_FILE;

/// Set to `1` to open the app on the sandbox supplier straight away.
pub const DEMO_ENV: &str = "CODETILL_DEMO";
/// The sandbox's API key (it is no secret: the sandbox only sells demo codes).
pub const SANDBOX_KEY: &str = "sandbox-key";
/// Products the demo catalog holds.
pub const DEMO_PRODUCTS: usize = 5000;

/// What keeps a demo alive: the sandbox server and the temporary folder. Dropping it
/// stops the sandbox and removes the folder.
pub struct Demo {
    sandbox: SandboxHandle,
    _dir: tempfile::TempDir,
}

impl Demo {
    pub fn supplier_url(&self) -> String {
        self.sandbox.base_url()
    }
}

/// Was the demo asked for in the environment (`CODETILL_DEMO=1`, `true` or `yes`)?
pub fn requested() -> bool {
    requested_by(std::env::var(DEMO_ENV).ok().as_deref())
}

pub fn requested_by(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// Starts the sandbox on 127.0.0.1, opens a demo till on it and syncs its catalog,
/// reporting progress to `progress`.
pub async fn open(
    products: usize,
    progress: &dyn ProgressSink,
) -> Result<(Till, SyncReport), AppError> {
    let sandbox_failed = |what: &str, e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "{what}");
        AppError::new(ErrorCode::Sandbox, format!("{what}: {e}"))
    };
    let dir = tempfile::Builder::new()
        .prefix("codetill-demo-")
        .tempdir()
        .map_err(|e| sandbox_failed("cannot create a folder for the demo", &e))?;
    let config = SandboxConfig {
        products,
        api_key: SANDBOX_KEY.to_string(),
        ..SandboxConfig::default()
    };
    let sandbox = codetill_sandbox::spawn(([127, 0, 0, 1], 0).into(), config)
        .await
        .map_err(|e| sandbox_failed("cannot start the sandbox supplier", &e))?;
    tracing::info!(url = %sandbox.base_url(), dir = %dir.path().display(), "demo: sandbox supplier started");
    let client = WholesaleClient::new(WholesaleConfig::new(
        sandbox.base_url(),
        Redacted::new(SANDBOX_KEY.to_string()),
    ))?;
    let db = Db::open(&dir.path().join(DB_FILE)).await?;
    let report = catalog::sync(&db, &client, &SyncOptions::default(), progress).await?;
    tracing::info!(
        products = report.received,
        ms = report.duration_ms,
        "demo: catalog synced"
    );
    let data_dir = dir.path().to_path_buf();
    let source = Source::Fixed {
        supplier: Arc::new(client),
        vault: Arc::new(Vault::from_key(&rand::random())),
        // No printer set up: the demo's receipts are PDFs in its own folder.
        receipts: Some(data_dir.join("receipts")),
    };
    let demo = Demo { sandbox, _dir: dir };
    let secrets: Arc<dyn codetill_core::secrets::SecretStore> =
        Arc::new(codetill_core::secrets::MemoryStore::default());
    let core = codetill_core::till::Till::new(db, &data_dir, source, secrets);
    Ok((Till::demo_on(core, demo), report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_asks_for_the_demo_with_a_yes() {
        for yes in ["1", "true", "YES", " yes "] {
            assert!(requested_by(Some(yes)), "{yes}");
        }
        for no in ["", "0", "false", "no", "demo"] {
            assert!(!requested_by(Some(no)), "{no}");
        }
        assert!(!requested_by(None));
    }
}
