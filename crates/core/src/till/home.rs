//! Where a till keeps its data, and who is at it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::staff::{Member, Role};

/// Overrides where the shop's data lives (headless machines, tests, a second till on
/// one machine).
pub const DATA_DIR_ENV: &str = "CODETILL_DATA_DIR";
pub use crate::db::DB_FILE;
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
    crate::db::db_path(data_dir)
}

/// The name the command line records when nobody is named: it acts as the owner
/// of the data folder (its user holds the file and the key anyway).
pub const COMMAND_LINE_STAFF: &str = "owner (command line)";

/// Who is at the till, recorded on every payment, refund and reveal, and what
/// their role lets them do ([`crate::staff::permission`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clerk {
    pub staff: String,
    pub till_id: Option<String>,
    pub role: Role,
    /// The signed-in member of staff: their role and enabled flag are read again
    /// before each privileged action (a member disabled meanwhile can do nothing).
    /// `None` for the command line and a till nobody signed in at.
    pub staff_id: Option<i64>,
}

impl Clerk {
    /// `given` (a `--staff` flag), else `CODETILL_STAFF`, else the login name, else
    /// "till"; `CODETILL_TILL_ID` if set; acting as the owner (a till nobody signed
    /// in at, until the PIN pad signs someone in: [`Clerk::signed_in`]).
    pub fn from_env(given: Option<&str>) -> Clerk {
        Clerk::owner_named(given, |var| {
            var("USER").unwrap_or_else(|| DEFAULT_STAFF.into())
        })
    }

    /// The command line: the owner of the data folder, recorded as `given` (a
    /// `--staff` flag), else `CODETILL_STAFF`, else [`COMMAND_LINE_STAFF`].
    pub fn command_line(given: Option<&str>) -> Clerk {
        Clerk::owner_named(given, |_| COMMAND_LINE_STAFF.into())
    }

    fn owner_named(
        given: Option<&str>,
        fallback: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> String,
    ) -> Clerk {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Clerk {
            staff: given
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .or_else(|| var(STAFF_ENV))
                .unwrap_or_else(|| fallback(&var)),
            till_id: var(TILL_ID_ENV),
            role: Role::Owner,
            staff_id: None,
        }
    }

    /// A member of staff who signed in with their PIN at `till_id`.
    pub fn signed_in(member: &Member, till_id: Option<String>) -> Clerk {
        Clerk {
            staff: member.name.clone(),
            till_id,
            role: member.role,
            staff_id: Some(member.id),
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
        assert_eq!(Clerk::command_line(Some("asha")).role, Role::Owner);
    }
}
