//! The SQLite backend: one file in WAL mode with `synchronous=FULL`, since the
//! contract answers 2xx only once an event is durable; writes run in
//! `BEGIN IMMEDIATE` so a transaction never has to upgrade its lock midway.
//! Events are inserted through a native connection of their own
//! (`sqlite_writer`); everything else goes through sqlx's pool.
//!
//! Why FULL and not NORMAL: in WAL mode NORMAL writes each commit to the WAL
//! but fsyncs only at checkpoints, so a commit survives the relay's process
//! dying but not the machine losing power or its kernel crashing, and the
//! provider, answered 2xx, never sends that event again. FULL fsyncs the WAL
//! at every commit; group commit (`ingest`) shares that fsync among every
//! event that queued meanwhile.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult};

use super::dialect::Dialect;
use super::records::{Inserted, NewEvent};
use super::sql::SqlStore;
use super::sqlite_writer::{BUSY_TIMEOUT, EventWriter};
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite's words for the store's statements.
#[derive(Debug, Clone, Copy)]
pub struct SqliteDialect;

/// Every connection's settings, sqlx's and the event writer's alike.
const SETTINGS: &[(&str, &str)] = &[
    // Durable before 2xx, power loss included (see above).
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    // No checkpoint inside a commit: it would fsync the main file on the path
    // to a webhook's 2xx. `checkpoint` runs them in the background.
    ("wal_autocheckpoint", "0"),
];

/// The SQLite store: sqlx's pool for everything but inserting events, which
/// the event writer does (none for an in-memory database, which takes no events).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    sql: SqlStore<SqliteDialect>,
    events: Option<EventWriter>,
}

impl std::ops::Deref for SqliteStore {
    type Target = SqlStore<SqliteDialect>;
    fn deref(&self) -> &Self::Target {
        &self.sql
    }
}

impl Dialect for SqliteDialect {
    type Db = sqlx::Sqlite;

    const BEGIN: &'static str = "BEGIN IMMEDIATE";
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
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            create_private(options.get_filename())?;
        }
        let options = SETTINGS
            .iter()
            .fold(options, |options, (name, value)| {
                options.pragma(*name, *value)
            })
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // The admin CLI writes to the same file while `serve` runs.
            .busy_timeout(BUSY_TIMEOUT);
        let path = options.get_filename().to_owned();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let events = if in_memory {
            None
        } else {
            Some(EventWriter::start(&path, SETTINGS)?)
        };
        Ok(Self {
            sql: SqlStore::new(pool),
            events,
        })
    }

    /// Store `events` in one transaction, in order, each at its shop's next
    /// cursor; one answer per event. Durable when this returns Ok.
    pub(super) async fn insert_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Inserted>, StoreError> {
        match &self.events {
            Some(writer) => writer.insert_events(events).await,
            None => Err(StoreError::InMemory),
        }
    }

    pub(super) async fn close(&self) {
        if let Some(writer) = &self.events {
            writer.close();
        }
        self.sql.close().await;
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
