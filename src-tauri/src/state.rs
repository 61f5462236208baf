//! What the app holds while it runs: the shop's database and where it lives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use codetill_core::db::{Db, DbError};

/// Overrides where the app keeps its data (tests, demos, a second till on one machine).
pub const DATA_DIR_ENV: &str = "CODETILL_DATA_DIR";
/// The database file inside the data dir.
pub const DB_FILE: &str = "codetill.db";

/// Tauri-managed state; commands receive it as `State<'_, AppState>`.
#[derive(Debug)]
pub struct AppState {
    db: Db,
    data_dir: PathBuf,
}

impl AppState {
    /// Opens (creating and migrating) `data_dir/codetill.db`.
    pub async fn open(data_dir: &Path) -> Result<AppState, DbError> {
        let db = Db::open(&data_dir.join(DB_FILE)).await?;
        Ok(AppState {
            db,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// `CODETILL_DATA_DIR` when set and not empty, else the OS data dir + `codetill`
/// (`~/.local/share/codetill` on Linux). `None` when neither is known.
pub fn data_dir_from(env_value: Option<OsString>, os_data_dir: Option<PathBuf>) -> Option<PathBuf> {
    match env_value {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => os_data_dir.map(|d| d.join("codetill")),
    }
}

/// [`data_dir_from`] for this process.
pub fn data_dir() -> Option<PathBuf> {
    data_dir_from(std::env::var_os(DATA_DIR_ENV), dirs::data_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_override_wins_and_empty_env_is_ignored() {
        let os = Some(PathBuf::from("/home/a/.local/share"));
        assert_eq!(
            data_dir_from(Some("/tmp/till".into()), os.clone()),
            Some(PathBuf::from("/tmp/till"))
        );
        assert_eq!(
            data_dir_from(Some("".into()), os.clone()),
            Some(PathBuf::from("/home/a/.local/share/codetill"))
        );
        assert_eq!(
            data_dir_from(None, os),
            Some(PathBuf::from("/home/a/.local/share/codetill"))
        );
        assert_eq!(data_dir_from(None, None), None);
    }
}
