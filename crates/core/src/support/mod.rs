//! What the owner sends when something goes wrong: the app's log files (rotated daily
//! in the data folder, 14 kept) and a support bundle — a zip of those logs, the
//! versions, the settings without secrets and the shop's state in counts — that
//! holds no code, no key and no password.

mod bundle;
mod logs;

pub use bundle::{Bundle, write_bundle};
pub use logs::{KEEP_DAYS, LOG_FOLDER, daily_log, log_dir};

#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the log file cannot be set up in {path}: {message}")]
    Logs {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("the support bundle cannot be written: {0}")]
    Zip(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}
