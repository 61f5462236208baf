//! Driving the `codetill` binary as a process: a till's home folder with its vault
//! key, the command with the environment every test till shares, what a finished run
//! left, and reading the till's database file.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// What a finished `codetill` process left.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    pub fn from(o: Output, took: Duration) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            took,
        }
    }

    /// Stdout as the one JSON document `--json` promises; panics (the test fails)
    /// with the whole run when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{self:?}"))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.took, self.stdout, self.stderr
        )
    }
}

/// A till's home: a temporary folder holding `data/` and the 0600 vault key file
/// the till is pointed at. Checks first that the binary was built.
pub fn till_home() -> tempfile::TempDir {
    let bin = crate::codetill_bin();
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p codetill-cli -p codetill-relay` first",
        bin.display()
    );
    let home = tempfile::tempdir().expect("a temporary folder");
    let key = home.path().join("vault.hex");
    std::fs::write(&key, "5a".repeat(32)).expect("the vault key file");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
        .expect("the vault key file's mode");
    home
}

/// `codetill ARGS` for the till in `home`, selling from the supplier at
/// `supplier_url` as staff "asha", with none of the caller's own `CODETILL_*`
/// variables; output piped, no stdin. Tests add what else they need.
pub fn command(home: &Path, supplier_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(crate::codetill_bin());
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("CODETILL_") {
            cmd.env_remove(var);
        }
    }
    cmd.args(args)
        .env("CODETILL_DATA_DIR", home.join("data"))
        .env("CODETILL_SUPPLIER_URL", supplier_url)
        .env("CODETILL_SUPPLIER_KEY", crate::KEY)
        .env("CODETILL_VAULT_KEY_FILE", home.join("vault.hex"))
        .env("CODETILL_STAFF", "asha")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs one statement on the till's database file (setup and checks).
pub async fn sql(home: &Path, statement: &str) {
    let db = open(home).await;
    sqlx::query(statement)
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    db.close().await;
}

/// A query's rows on the till's database file, every column as text (integers
/// written out, NULL as "").
pub async fn rows(home: &Path, query: &str) -> Vec<Vec<String>> {
    use sqlx::Row;
    let db = open(home).await;
    let rows = sqlx::query(query)
        .fetch_all(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let out = rows
        .iter()
        .map(|r| {
            (0..r.columns().len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            r.try_get::<Option<i64>, _>(i)
                                .ok()
                                .flatten()
                                .map(|n| n.to_string())
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    db.close().await;
    out
}

async fn open(home: &Path) -> codetill_core::db::Db {
    let path = home.join("data").join("codetill.db");
    codetill_core::db::Db::open(&path)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
