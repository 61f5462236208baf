//! Where the CLI finds its data, its secrets and its supplier.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use codetill_core::db::Db;
use codetill_core::orders::Engine;
use codetill_core::secrets::{EnvFirst, KeyringStore, SecretStore, names};
use codetill_core::settings;
use codetill_core::supplier::{WholesaleClient, WholesaleConfig};
use codetill_core::vault::{KeySource, Vault};

use crate::args::Global;
use crate::failure::Failure;

pub struct Context {
    pub data_dir: PathBuf,
    pub json: bool,
}

impl Context {
    pub fn new(global: &Global) -> anyhow::Result<Context> {
        let data_dir = match &global.data_dir {
            Some(d) => d.clone(),
            None => dirs::data_dir()
                .map(|d| d.join("codetill"))
                .ok_or_else(|| {
                    Failure::failed("no data folder: pass --data-dir or set CODETILL_DATA_DIR")
                })?,
        };
        Ok(Context {
            data_dir,
            json: global.json,
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("codetill.db")
    }

    pub async fn db(&self) -> anyhow::Result<Db> {
        Ok(Db::open(&self.db_path()).await?)
    }

    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        Arc::new(EnvFirst::new(KeyringStore::new("codetill")))
    }

    /// The supplier from the environment or the settings, with the key from the
    /// environment or the keyring.
    pub async fn supplier(&self, db: &Db) -> anyhow::Result<WholesaleClient> {
        let url = match std::env::var("CODETILL_SUPPLIER_URL") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => settings::get(db.pool(), settings::SUPPLIER_URL)
                .await?
                .ok_or_else(|| {
                    Failure::failed(
                        "no supplier configured: run `codetill supplier set --url URL --key-stdin` or set CODETILL_SUPPLIER_URL",
                    )
                })?,
        };
        let secrets = self.secrets();
        let key = tokio::task::spawn_blocking(move || secrets.get(names::SUPPLIER_KEY))
            .await
            .context("reading the supplier key")??
            .ok_or_else(|| {
                Failure::failed(
                    "no supplier API key: run `codetill supplier set --url URL --key-stdin` or set CODETILL_SUPPLIER_KEY",
                )
            })?;
        let mut config = WholesaleConfig::new(url, key);
        if let Some(ms) = duration_setting(
            db,
            "CODETILL_SUPPLIER_CONNECT_TIMEOUT_MS",
            settings::SUPPLIER_CONNECT_TIMEOUT_MS,
        )
        .await?
        {
            config.connect_timeout = ms;
        }
        if let Some(ms) = duration_setting(
            db,
            "CODETILL_SUPPLIER_TIMEOUT_MS",
            settings::SUPPLIER_REQUEST_TIMEOUT_MS,
        )
        .await?
        {
            config.request_timeout = ms;
        }
        Ok(WholesaleClient::new(config)?)
    }
}

impl Context {
    /// The order engine: supplier, vault and database of this till.
    pub async fn engine(&self, db: &Db) -> anyhow::Result<Engine> {
        let supplier = Arc::new(self.supplier(db).await?);
        let secrets = self.secrets();
        let dir = self.data_dir.clone();
        let (vault, source) =
            tokio::task::spawn_blocking(move || Vault::open(&dir, secrets.as_ref()))
                .await
                .context("opening the vault")??;
        if let KeySource::NewDataFile(path) = &source {
            eprintln!(
                "codetill: warning: no OS keyring here; the key that encrypts codes was created in {} (mode 0600). Keep it safe: without it, stored codes cannot be read.",
                path.display()
            );
        }
        Ok(Engine::new(db.clone(), supplier, Arc::new(vault)))
    }

    /// Who is at the till: --staff, CODETILL_STAFF, else the login name.
    pub fn staff(&self, given: Option<String>) -> String {
        given
            .filter(|s| !s.trim().is_empty())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "till".into())
    }

    pub fn till_id(&self) -> Option<String> {
        std::env::var("CODETILL_TILL_ID")
            .ok()
            .filter(|s| !s.is_empty())
    }
}

async fn duration_setting(db: &Db, env: &str, key: &str) -> anyhow::Result<Option<Duration>> {
    let text = match std::env::var(env) {
        Ok(v) => Some(v),
        Err(_) => settings::get(db.pool(), key).await?,
    };
    match text {
        None => Ok(None),
        Some(t) => t
            .trim()
            .parse::<u64>()
            .map(|ms| Some(Duration::from_millis(ms.max(1))))
            .map_err(|_| {
                Failure::bad_input(format!(
                    "{env}: {t:?} is not a whole number of milliseconds"
                ))
            }),
    }
}
