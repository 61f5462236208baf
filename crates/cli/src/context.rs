//! Where the CLI finds its data and its secrets: one core [`Till`] per command,
//! opened once and shared by everything the command does.

use std::path::PathBuf;

use codetill_core::alerts::{Alert, AlertSink};
use codetill_core::till::{self, Clerk, Till};
use tokio::sync::OnceCell;

use crate::args::Global;
use crate::failure::Failure;

pub struct Context {
    pub data_dir: PathBuf,
    pub json: bool,
    till: OnceCell<Till>,
}

impl Context {
    pub fn new(global: &Global) -> anyhow::Result<Context> {
        codetill_core::secrets::ensure_keyring_persists()
            .map_err(|e| Failure::failed(e.to_string()))?;
        let data_dir = match &global.data_dir {
            Some(d) => d.clone(),
            None => till::data_dir().ok_or_else(|| {
                Failure::failed("no data folder: pass --data-dir or set CODETILL_DATA_DIR")
            })?,
        };
        Ok(Context {
            data_dir,
            json: global.json,
            till: OnceCell::new(),
        })
    }

    /// This data folder's till (its database opened and migrated on first use); new
    /// alerts go to stderr.
    pub async fn till(&self) -> anyhow::Result<&Till> {
        self.till
            .get_or_try_init(|| async {
                let till = Till::open_shop(&self.data_dir, Till::os_secrets()).await?;
                till.set_alert_sink(std::sync::Arc::new(Stderr));
                anyhow::Ok(till)
            })
            .await
    }

    /// Who is at the till: the owner of the data folder (its user holds the file
    /// and the key anyway), recorded as `given` (--staff), CODETILL_STAFF, else
    /// "owner (command line)"; CODETILL_TILL_ID.
    pub fn clerk(&self, given: Option<&str>) -> Clerk {
        Clerk::command_line(given)
    }
}

/// A headless till's alerts: one line each on stderr (stdout is the command's).
struct Stderr;

#[async_trait::async_trait]
impl AlertSink for Stderr {
    async fn raised(&self, alert: &Alert) {
        eprintln!("codetill: alert: {}: {}", alert.kind.title(), alert.message);
    }
}
