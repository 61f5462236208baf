//! The SQLite backend: one file in WAL mode with `synchronous=FULL`, since the
//! contract answers 2xx only once an event is durable; writes run in
//! `BEGIN IMMEDIATE` so a transaction never has to upgrade its lock midway.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};

use super::dialect::Dialect;
use super::sql::SqlStore;
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite's words for the store's statements.
#[derive(Debug, Clone, Copy)]
pub struct SqliteDialect;

pub type SqliteStore = SqlStore<SqliteDialect>;

impl Dialect for SqliteDialect {
    type Db = sqlx::Sqlite;

    const BEGIN: &'static str = "BEGIN IMMEDIATE";
    // No data-modifying CTEs: the bump is a statement of its own (`BEGIN
    // IMMEDIATE` already holds the write lock, so it needs no lock of its own).
    const TAKE_CURSOR: Option<&'static str> =
        Some("UPDATE shops SET head = head + 1 WHERE id = $1 RETURNING head");
    // The WHERE also tells SQLite's parser that ON CONFLICT is the upsert's.
    const INSERT_AT_NEXT_CURSOR: &'static str = "INSERT INTO events \
         (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, payload, \
          body_sha256) \
         SELECT $1, head, $2, $3, $4, $5, $6, $7, $8 FROM shops WHERE id = $1 \
         ON CONFLICT DO NOTHING RETURNING cursor";
    const GREATEST: &'static str = "MAX";
    const EVENT_KEY: &'static str = "rowid";
    const EVENT_KEY_OF_E: &'static str = "e.rowid";

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        if !url.contains("mode=memory") {
            create_private(options.get_filename())?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // The admin CLI writes to the same file while `serve` runs.
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // No checkpoint inside a commit: it would fsync the main file on the
            // path to a webhook's 2xx. `checkpoint` runs them in the background.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self::new(pool))
    }

    /// Copy the WAL back into the database file without blocking writers.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Create the database file 0600, and any folder missing on its way 0700,
/// before SQLite creates them with the umask's modes (often 0644): the file
/// holds sealed secrets and payment events. SQLite gives its -wal and -shm
/// files the database file's mode. An existing file is left as it is.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let name = path.to_string_lossy();
    // In-memory and URI names are SQLite's to handle.
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") || path.exists() {
        return Ok(());
    }
    let failed = |source| StoreError::CreateFile {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(failed)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        // Another process (an admin command) created it meanwhile.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(e)),
    }
}
