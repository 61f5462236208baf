//! The library's error types. HTTP answers are in `routes::error`.

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unknown shop {0}")]
    UnknownShop(String),
    #[error("creating the database file {path}: {source}")]
    CreateFile {
        path: String,
        source: std::io::Error,
    },
    #[error("the store refused an event that is not a duplicate")]
    NotStored,
    #[error("the ingest writer has stopped")]
    WriterGone,
    #[error("database: {0}")]
    Native(#[from] rusqlite::Error),
    #[error("starting the SQLite event writer: {0}")]
    WriterThread(std::io::Error),
    #[error("an in-memory store takes no events: 2xx is answered only for events on disk")]
    InMemory,
}

/// Sealing or opening a secret failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes written as 64 hex digits")]
    BadKey,
    #[error(
        "no master key: set CODETILL_RELAY_MASTER_KEY (64 hex digits) or CODETILL_RELAY_MASTER_KEY_FILE"
    )]
    NoKey,
    #[error("the master key file {path} is readable by others (mode {mode:o}); chmod 600 it")]
    KeyFileOpen { path: String, mode: u32 },
    #[error("reading the master key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("sealing a secret failed")]
    Seal,
    #[error("a sealed secret could not be opened (wrong master key, or the row was tampered with)")]
    Open,
}

/// What an admin command or the server's start can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("unknown shop {0}")]
    UnknownShop(String),
    #[error("unknown provider {0:?}: expected stripe, btcpay, nowpayments or razorpay")]
    UnknownProvider(String),
    #[error("no webhook secret on standard input (one secret per line)")]
    NoSecret,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for RelayError {
    fn from(e: sqlx::Error) -> Self {
        RelayError::Store(StoreError::Database(e))
    }
}
