//! Where the CLI finds its data, its secrets and its supplier.

use std::path::PathBuf;
use std::sync::Arc;

use codetill_core::db::Db;
use codetill_core::delivery::{DeliveryConfig, Outbox};
use codetill_core::orders::Engine;
use codetill_core::secrets::{EnvFirst, KeyringStore, SecretStore};
use codetill_core::setup::{self, SetupError};
use codetill_core::supplier::WholesaleClient;
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

    pub async fn supplier(&self, db: &Db) -> anyhow::Result<WholesaleClient> {
        setup::supplier(db, self.secrets())
            .await
            .map_err(setup_error)
    }

    pub async fn vault(&self) -> anyhow::Result<Vault> {
        let (vault, source) = setup::vault(&self.data_dir, self.secrets())
            .await
            .map_err(setup_error)?;
        warn_new_key(&source);
        Ok(vault)
    }

    /// The order engine: supplier, vault and database of this till.
    pub async fn engine(&self, db: &Db) -> anyhow::Result<Engine> {
        let (engine, source) = setup::engine(db, &self.data_dir, self.secrets())
            .await
            .map_err(setup_error)?;
        warn_new_key(&source);
        Ok(engine)
    }

    /// This till's outbox: its printer, mail server and vault.
    pub async fn outbox(&self, db: &Db) -> anyhow::Result<Outbox> {
        let config = DeliveryConfig::load(db, self.secrets()).await?;
        let vault = self.vault().await?;
        Ok(Outbox::new(db.clone(), Arc::new(vault), config))
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

fn warn_new_key(source: &KeySource) {
    if let KeySource::NewDataFile(path) = source {
        eprintln!(
            "codetill: warning: no OS keyring here; the key that encrypts codes was created in {} (mode 0600). Keep it safe: without it, stored codes cannot be read.",
            path.display()
        );
    }
}

fn setup_error(e: SetupError) -> anyhow::Error {
    match e {
        SetupError::BadTimeout { .. } => Failure::bad_input(e.to_string()),
        SetupError::Supplier(s) => anyhow::Error::new(s),
        other => Failure::failed(other.to_string()),
    }
}
