//! Where a till keeps its data, and who is at it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Overrides where the shop's data lives (headless machines, tests, a second till on
/// one machine).
pub const DATA_DIR_ENV: &str = "CODETILL_DATA_DIR";
/// The database file inside the data folder.
pub const DB_FILE: &str = "codetill.db";
/// Who is recorded on sales when nobody else is named.
pub const STAFF_ENV: &str = "CODETILL_STAFF";
/// This till's name on orders and receipts; beats the `till.id` setting.
pub const TILL_ID_ENV: &str = "CODETILL_TILL_ID";
/// The staff name of a till nobody signed in at, with no login name to go by.
const DEFAULT_STAFF: &str = "till";

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

/// The database of the till whose data lives in `data_dir`.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// Who is at the till, recorded on every payment, refund and reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clerk {
    pub staff: String,
    pub till_id: Option<String>,
}

impl Clerk {
    /// `given` (a `--staff` flag), else `CODETILL_STAFF`, else the login name, else
    /// "till"; `CODETILL_TILL_ID` if set. (Staff sign-in replaces this when the staff
    /// module lands.)
    pub fn from_env(given: Option<&str>) -> Clerk {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Clerk {
            staff: given
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .or_else(|| var(STAFF_ENV))
                .or_else(|| var("USER"))
                .unwrap_or_else(|| DEFAULT_STAFF.into()),
            till_id: var(TILL_ID_ENV),
        }
    }
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

    #[test]
    fn a_named_clerk_wins_and_a_blank_one_is_nobody() {
        assert_eq!(Clerk::from_env(Some("asha")).staff, "asha");
        assert_ne!(Clerk::from_env(Some("  ")).staff, "  ");
    }
}
