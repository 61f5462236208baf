//! The app's log file: one per day in `logs/` under the data folder, the last 14 kept,
//! beside stderr (a shop owner's app has no terminal to read).

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};

use super::SupportError;

pub const LOG_FOLDER: &str = "logs";
/// Days of logs kept; older files are removed as a new day's opens.
pub const KEEP_DAYS: usize = 14;
const PREFIX: &str = "codetill";
const SUFFIX: &str = "log";

/// Where the log files are.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_FOLDER)
}

/// Today's log file, rotated daily (`codetill.YYYY-MM-DD.log`), the folder made
/// this user's alone as the data folder is.
pub fn daily_log(data_dir: &Path) -> Result<RollingFileAppender, SupportError> {
    let dir = log_dir(data_dir);
    private_dir(&dir)?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(KEEP_DAYS)
        .build(&dir)
        .map_err(|e| SupportError::Logs {
            path: dir.clone(),
            message: e.to_string(),
        })
}

/// The log files, oldest first.
pub(super) fn log_files(data_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(log_dir(data_dir)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    files.sort();
    files
}

fn private_dir(dir: &Path) -> Result<(), SupportError> {
    let io = |source| SupportError::Io {
        what: "cannot create the log folder",
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;

    use super::*;

    #[test]
    fn the_log_goes_to_a_dated_file_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = daily_log(dir.path()).unwrap();
        writeln!(log, "hello").unwrap();
        log.flush().unwrap();
        let files = log_files(dir.path());
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert_eq!(name, format!("codetill.{today}.log"));
        assert_eq!(std::fs::read_to_string(&files[0]).unwrap(), "hello\n");
    }
}
