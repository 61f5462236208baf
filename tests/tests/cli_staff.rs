//! `codetill staff`, `audit verify` and `backup` as processes, as the contract
//! (`shared/contracts/cli.md`, "Staff, shifts, reports") words them. None of them
//! needs the supplier.
//!
//! Needs the binary: `cargo build -p codetill-cli` first (`./test.sh` does).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use codetill_e2e::cli::{self, Run};

/// No supplier answers here: these commands must not call one.
const NO_SUPPLIER: &str = "http://127.0.0.1:9";

struct Till {
    home: tempfile::TempDir,
}

impl Till {
    fn new() -> Till {
        Till {
            home: cli::till_home(),
        }
    }

    fn db(&self) -> PathBuf {
        self.home.path().join("data").join("codetill.db")
    }

    /// `codetill ARGS` with `stdin` typed in.
    fn run_with(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = cli::command(self.home.path(), NO_SUPPLIER, args);
        cmd.env_remove("CODETILL_STAFF").stdin(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap(), started.elapsed())
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, "")
    }

    fn sql(&self, statement: &str) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(cli::sql(self.home.path(), statement));
    }

    fn rows(&self, query: &str) -> Vec<Vec<String>> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(cli::rows(self.home.path(), query))
    }
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn staff_are_added_listed_and_disabled_with_bad_input_named() {
    let till = Till::new();
    let owner = till.run_with(
        &[
            "staff",
            "add",
            "Meera",
            "--role",
            "owner",
            "--pin-stdin",
            "--json",
        ],
        "1234\n",
    );
    assert_eq!(owner.code, 0, "{owner:?}");
    assert_eq!(owner.json()["role"], "owner");
    assert!(!owner.stdout.contains("1234"));

    for (args, pin, field) in [
        (
            &["staff", "add", "Asha", "--role", "cashier", "--pin-stdin"][..],
            "12\n",
            "pin:",
        ),
        (
            &["staff", "add", "Asha", "--role", "cashier", "--pin-stdin"][..],
            "12a4\n",
            "pin:",
        ),
        (
            &["staff", "add", "Asha", "--role", "cashier", "--pin-stdin"][..],
            "1234\n",
            "pin:",
        ),
        (
            &["staff", "add", "Asha", "--role", "chef", "--pin-stdin"][..],
            "5678\n",
            "role:",
        ),
        (
            &["staff", "add", "Asha", "--role", "cashier"][..],
            "5678\n",
            "pin:",
        ),
        (
            &["staff", "add", " ", "--role", "cashier", "--pin-stdin"][..],
            "5678\n",
            "name:",
        ),
    ] {
        let run = till.run_with(args, pin);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(field), "{args:?}: {run:?}");
    }
    let asha = till.run_with(
        &["staff", "add", "Asha", "--role", "cashier", "--pin-stdin"],
        "5678\n",
    );
    assert_eq!(asha.code, 0, "{asha:?}");

    let last_owner = till.run(&["staff", "disable", "Meera"]);
    assert_eq!(last_owner.code, 2, "{last_owner:?}");
    assert!(
        last_owner.stderr.contains("last enabled owner"),
        "{last_owner:?}"
    );
    let disabled = till.run(&["staff", "disable", "asha", "--json"]);
    assert_eq!(disabled.code, 0, "{disabled:?}");
    assert_eq!(disabled.json()["enabled"], false);

    let list = till.run(&["staff", "list", "--json"]).json();
    let names: Vec<(&str, &str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap(),
                m["role"].as_str().unwrap(),
                m["enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("Meera", "owner", true), ("Asha", "cashier", false)]
    );
    assert!(!till.run(&["staff", "list"]).stdout.contains("argon2"));
    // The command line records itself as the owner of the data folder.
    let actors =
        till.rows("SELECT actor, detail FROM audit_log WHERE action = 'staff' ORDER BY id");
    assert_eq!(actors[0], ["first run", "added Meera as owner"]);
    assert_eq!(actors[1], ["owner (command line)", "added Asha as cashier"]);
    assert_eq!(actors[2], ["owner (command line)", "disabled Asha"]);

    // Enabled again: listed as enabled, audited as the command line.
    let enabled = till.run(&["staff", "enable", "asha", "--json"]);
    assert_eq!(enabled.code, 0, "{enabled:?}");
    assert_eq!(enabled.json()["enabled"], true);
    assert!(
        till.run(&["staff", "enable", "Asha"])
            .stdout
            .contains("enabled")
    );
    let unknown = till.run(&["staff", "enable", "Nobody"]);
    assert_ne!(unknown.code, 0, "{unknown:?}");
    assert!(unknown.stderr.contains("Nobody"), "{unknown:?}");
    let actors =
        till.rows("SELECT actor, detail FROM audit_log WHERE action = 'staff' ORDER BY id");
    assert_eq!(actors[3], ["owner (command line)", "enabled Asha"]);
    assert_eq!(actors.len(), 4, "enabling someone enabled writes nothing");
}

#[test]
fn audit_verify_holds_then_names_the_row_that_was_altered() {
    let till = Till::new();
    for (name, pin) in [("Meera", "1111"), ("Ravi", "2222"), ("Asha", "3333")] {
        let role = if name == "Meera" { "owner" } else { "cashier" };
        let run = till.run_with(&["staff", "add", name, "--role", role, "--pin-stdin"], pin);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let ok = till.run(&["audit", "verify", "--json"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let report = ok.json();
    assert_eq!(report["rows"], 3);
    assert_eq!(report["head_id"], 3);
    assert!(report["broken"].is_null());

    till.sql("UPDATE audit_log SET detail = 'added Ravi as owner' WHERE id = 2");
    let broken = till.run(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(broken.stdout.contains("BROKEN at row 2"), "{broken:?}");
    assert!(broken.stderr.contains("row 2"), "{broken:?}");
}

#[test]
fn a_backup_restores_and_a_garbage_file_changes_nothing() {
    let till = Till::new();
    let run = till.run_with(
        &["staff", "add", "Meera", "--role", "owner", "--pin-stdin"],
        "1111",
    );
    assert_eq!(run.code, 0, "{run:?}");
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("shop.db");
    let made = till.run(&["backup", "create", path.to_str().unwrap(), "--json"]);
    if codetill_e2e::on_postgres().is_some() {
        // The shop's data is the server's: its own tools back it up, not a till.
        assert_ne!(made.code, 0, "{made:?}");
        assert!(made.stderr.contains("pg_dump"), "{made:?}");
        assert!(!path.exists(), "nothing written");
        return;
    }
    assert_eq!(made.code, 0, "{made:?}");
    assert_eq!(made.json()["path"], path.to_str().unwrap());
    let again = till.run(&["backup", "create", path.to_str().unwrap()]);
    assert_eq!(again.code, 2, "a backup never overwrites: {again:?}");

    // After the backup, another member of staff.
    let run = till.run_with(
        &["staff", "add", "Ravi", "--role", "manager", "--pin-stdin"],
        "2222",
    );
    assert_eq!(run.code, 0, "{run:?}");

    let garbage = out.path().join("garbage.db");
    std::fs::write(&garbage, b"SQLite format 3\0not really").unwrap();
    let before = bytes(&till.db());
    let refused = till.run(&["backup", "restore", garbage.to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("not a codetill backup"),
        "{refused:?}"
    );
    assert_eq!(bytes(&till.db()), before, "the database is as it was");
    assert!(
        !till
            .db()
            .with_file_name("codetill.db.before-restore")
            .exists()
    );

    let restored = till.run(&["backup", "restore", path.to_str().unwrap(), "--json"]);
    assert_eq!(restored.code, 0, "{restored:?}");
    assert!(
        restored.json()["kept"]
            .as_str()
            .unwrap()
            .ends_with("codetill.db.before-restore")
    );
    let staff = till.run(&["staff", "list", "--json"]).json();
    assert_eq!(
        staff.as_array().unwrap().len(),
        1,
        "Ravi came after the backup"
    );
    assert_eq!(till.run(&["audit", "verify"]).code, 0);
}
