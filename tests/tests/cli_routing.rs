//! Two supplier accounts set up through the command line, keys from the environment
//! (`CODETILL_SUPPLIER_KEY_<NAME>`, as on a headless till): `sync` walks both,
//! `search --json` shows one row per card with the supplier of its best offer, a sale
//! is bought from the cheaper one and its order JSON names it, and `supplier offers`
//! lists both.
//!
//! Needs the binary: `cargo build -p codetill-cli` first (`./test.sh` does).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::process::Command;

use codetill_e2e::Sandbox;
use codetill_e2e::cli::{self, Run};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

fn cmd(home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = cli::command(home, "", args);
    cmd.env_remove("CODETILL_SUPPLIER_URL")
        .env_remove("CODETILL_SUPPLIER_KEY")
        .env("CODETILL_SUPPLIER_KEY_A", codetill_e2e::KEY)
        .env("CODETILL_SUPPLIER_KEY_B", codetill_e2e::KEY)
        .env("CODETILL_SUPPLIER_TIMEOUT_MS", "600");
    cmd
}

fn run(home: &std::path::Path, args: &[&str]) -> Run {
    let started = std::time::Instant::now();
    Run::from(cmd(home, args).output().unwrap(), started.elapsed())
}

fn json_of(home: &std::path::Path, args: &[&str]) -> Value {
    let out = run(home, args);
    assert_eq!(out.code, 0, "codetill {args:?}: {out:?}");
    out.json()
}

#[test]
fn two_accounts_sync_search_and_sell_from_the_command_line() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let a = rt.block_on(Sandbox::start(40)).unwrap();
    let b = rt.block_on(Sandbox::start(40)).unwrap();
    // b sells the card for less.
    rt.block_on(b.control("price", json!({"sku": SKU, "wholesale_price": "15.00"})))
        .unwrap();
    let home = cli::till_home();
    let home = home.path();
    for (name, sandbox) in [("a", &a), ("b", &b)] {
        json_of(
            home,
            &[
                "supplier",
                "add",
                name,
                "--kind",
                "wholesale",
                "--url",
                &sandbox.url(),
                "--json",
            ],
        );
    }
    let sync = json_of(home, &["sync", "--json"]);
    assert_eq!(sync["received"], 80, "{sync}");

    let hits = json_of(home, &["search", SKU, "--json"]);
    let hit = &hits[0];
    assert_eq!(hit["sku"], SKU, "{hits}");
    assert_eq!(hit["supplier"], "b", "{hits}");
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .all(|h| !h["sku"].as_str().unwrap().starts_with("b:")),
        "{hits}"
    );
    let offers = json_of(home, &["supplier", "offers", SKU, "--json"]);
    let suppliers: Vec<&str> = offers
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["supplier"].as_str().unwrap())
        .collect();
    assert_eq!(suppliers, vec!["b", "a"], "{offers}");

    let sale = json_of(
        home,
        &["sell", SKU, "--pay", "cash", "--tendered", "100", "--json"],
    );
    assert_eq!(sale["status"], "delivered", "{sale}");
    assert_eq!(sale["supplier"], "b", "{sale}");
    assert_eq!(sale["supplier_attempt"], 1, "{sale}");
    assert_eq!(sale["cost"], "15.00", "{sale}");

    // b disabled: the next sale is bought from a.
    json_of(home, &["supplier", "disable", "b", "--json"]);
    let sale = json_of(
        home,
        &["sell", SKU, "--pay", "cash", "--tendered", "100", "--json"],
    );
    assert_eq!(sale["supplier"], "a", "{sale}");

    // Linking by hand names what is wrong and changes nothing.
    let bad = run(home, &["supplier", "link", "NOPE", "--to", SKU]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("NOPE"), "{bad:?}");
}
