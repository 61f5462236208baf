//! Driving the `codetill` binary as a process: a till's home folder with its vault
//! key, the command with the environment every test till shares, what a finished run
//! left, and reading the till's database file.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Flavor, Sandbox};

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
    // Under `CODETILL_E2E_DB=postgres` each till home gets a database of its own on
    // the test server, which every command of that till is pointed at.
    if let Some(cluster) = crate::on_postgres() {
        // Its own thread and runtime: the caller may be inside one already.
        let url = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|rt| rt.block_on(cluster.fresh_db()))
        })
        .join()
        .expect("a database for the till")
        .expect("a runtime");
        std::fs::write(home.path().join(DATABASE_URL_FILE), url).expect("the database URL");
    }
    home
}

/// Where a till home made on PostgreSQL keeps its database's URL.
const DATABASE_URL_FILE: &str = "database-url";

/// The PostgreSQL database of the till in `home`, when it has one.
fn database_url(home: &Path) -> Option<String> {
    std::fs::read_to_string(home.join(DATABASE_URL_FILE)).ok()
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
        .envs(database_url(home).map(|url| ("CODETILL_DATABASE_URL", url)))
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
    if let Some(url) = database_url(home) {
        return codetill_core::db::Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    let path = home.join("data").join("codetill.db");
    codetill_core::db::Db::open(&path)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A till's data folder and a sandbox supplier serving on its own runtime, so the
/// test thread may block on child processes while the supplier answers them.
pub struct Till {
    pub sandbox: Sandbox,
    pub home: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

impl Till {
    /// A sandbox, a data folder, a vault key file, and a synced catalog.
    pub fn new() -> Till {
        Till::with(Flavor::Wholesale)
    }

    /// The same with a supplier speaking `flavor`'s API, set up by environment.
    pub fn with(flavor: Flavor) -> Till {
        let home = till_home();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the till's harness");
        let sandbox = rt
            .block_on(Sandbox::start_flavor(200, flavor))
            .expect("the till's harness");
        let till = Till { sandbox, home, rt };
        let sync = till.run(&["sync", "--json"]);
        assert_eq!(sync.code, 0, "{sync:?}");
        till
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = command(self.home.path(), &self.sandbox.url(), args);
        cmd.env("CODETILL_SUPPLIER_TIMEOUT_MS", "600");
        if self.sandbox.flavor() != Flavor::Wholesale {
            cmd.env("CODETILL_SUPPLIER_KIND", self.sandbox.flavor().as_str())
                .env("CODETILL_SUPPLIER_AUTH_URL", self.sandbox.url())
                .env(
                    "CODETILL_SUPPLIER_KEY",
                    format!("{}:{}", crate::RELOADLY_CLIENT_ID, crate::KEY),
                );
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let out = self.cmd(args).output().expect("the till's harness");
        Run::from(out, started.elapsed())
    }

    /// Runs a command that must succeed and returns its JSON (`--json` is added
    /// when `args` lacks it).
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        if !args.contains(&"--json") {
            args.push("--json");
        }
        let run = self.run(&args);
        assert_eq!(run.code, 0, "codetill {args:?}: {run:?}");
        run.json()
    }

    pub fn control(&self, path: &str, body: Value) {
        self.rt
            .block_on(self.sandbox.control(path, body))
            .expect("the till's harness");
    }

    pub fn clear_faults(&self) {
        self.rt
            .block_on(self.sandbox.clear_faults())
            .expect("the till's harness");
    }

    pub fn counters(&self) -> Value {
        self.rt
            .block_on(self.sandbox.counters())
            .expect("the till's harness")
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters()[name].as_u64().expect("the till's harness")
    }

    /// The supplier's orders, oldest first.
    pub fn supplier_orders(&self) -> Vec<Value> {
        self.sandbox.handle().state().orders()
    }

    pub fn supplier_orders_for(&self, client_order_id: &str) -> Vec<Value> {
        self.supplier_orders()
            .into_iter()
            .filter(|o| o["client_order_id"] == client_order_id)
            .collect()
    }

    /// The status of an order read straight from the database file, so that no
    /// start-up recovery gets to move it first.
    pub fn stored_status(&self, public_id: &str) -> String {
        let path = self.data_dir().join("codetill.db");
        if let Some(url) = database_url(self.home.path()) {
            return self.rt.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                    .await
                    .expect("the till's harness");
                sqlx::query_scalar::<_, String>("SELECT status FROM orders WHERE public_id = $1")
                    .bind(public_id)
                    .fetch_one(&mut conn)
                    .await
                    .expect("the till's harness")
            });
        }
        self.rt.block_on(async {
            use sqlx::ConnectOptions;
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .read_only(true)
                .connect()
                .await
                .expect("the till's harness");
            sqlx::query_scalar::<_, String>("SELECT status FROM orders WHERE public_id = $1")
                .bind(public_id)
                .fetch_one(&mut conn)
                .await
                .expect("the till's harness")
        })
    }

    pub fn orders(&self) -> Vec<Value> {
        self.json(&["orders", "--json"])
            .as_array()
            .cloned()
            .expect("the till's harness")
    }
}

impl Default for Till {
    fn default() -> Till {
        Till::new()
    }
}

/// Waits for a child, killing it if it outlives `limit`.
pub fn wait_output(mut child: Child, limit: Duration) -> Run {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("the till's harness").is_some() {
            return Run::from(
                child.wait_with_output().expect("the till's harness"),
                started.elapsed(),
            );
        }
        if started.elapsed() > limit {
            child.kill().expect("the till's harness");
            let run = Run::from(
                child.wait_with_output().expect("the till's harness"),
                started.elapsed(),
            );
            panic!("codetill ran longer than {limit:?}: {run:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
