//! The `codetill` binary selling as separate processes against the sandbox supplier:
//! a till killed with SIGKILL while the supplier holds its order, sixteen tills
//! selling at once on one database, bad input that must change nothing, and the
//! exit codes 3 (refused after payment) and 4 (outcome still open).
//!
//! Needs the binary: `cargo build -p codetill-cli` first (`./test.sh` does).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use codetill_e2e::cli::{self, Run};
use codetill_e2e::{Flavor, Sandbox};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

/// A till's data folder and a sandbox supplier serving on its own runtime, so the
/// test thread may block on child processes while the supplier answers them.
struct Till {
    sandbox: Sandbox,
    home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Till {
    /// A sandbox, a data folder, a vault key file, and a synced catalog.
    fn new() -> Till {
        Till::with(Flavor::Wholesale)
    }

    /// The same with a supplier speaking `flavor`'s API, set up by environment.
    fn with(flavor: Flavor) -> Till {
        let home = cli::till_home();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start_flavor(200, flavor)).unwrap();
        let till = Till { sandbox, home, rt };
        let sync = till.run(&["sync", "--json"]);
        assert_eq!(sync.code, 0, "{sync:?}");
        till
    }

    fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = cli::command(self.home.path(), &self.sandbox.url(), args);
        cmd.env("CODETILL_SUPPLIER_TIMEOUT_MS", "600");
        if self.sandbox.flavor() != Flavor::Wholesale {
            cmd.env("CODETILL_SUPPLIER_KIND", self.sandbox.flavor().as_str())
                .env("CODETILL_SUPPLIER_AUTH_URL", self.sandbox.url())
                .env(
                    "CODETILL_SUPPLIER_KEY",
                    format!("{}:{}", codetill_e2e::RELOADLY_CLIENT_ID, codetill_e2e::KEY),
                );
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let out = self.cmd(args).output().unwrap();
        Run::from(out, started.elapsed())
    }

    /// Runs a command that must succeed and returns its JSON.
    fn json(&self, args: &[&str]) -> Value {
        let run = self.run(args);
        assert_eq!(run.code, 0, "codetill {args:?}: {run:?}");
        run.json()
    }

    fn control(&self, path: &str, body: Value) {
        self.rt.block_on(self.sandbox.control(path, body)).unwrap();
    }

    fn clear_faults(&self) {
        self.rt.block_on(self.sandbox.clear_faults()).unwrap();
    }

    fn counters(&self) -> Value {
        self.rt.block_on(self.sandbox.counters()).unwrap()
    }

    fn counter(&self, name: &str) -> u64 {
        self.counters()[name].as_u64().unwrap()
    }

    /// The supplier's orders, oldest first.
    fn supplier_orders(&self) -> Vec<Value> {
        self.sandbox.handle().state().orders()
    }

    fn supplier_orders_for(&self, client_order_id: &str) -> Vec<Value> {
        self.supplier_orders()
            .into_iter()
            .filter(|o| o["client_order_id"] == client_order_id)
            .collect()
    }

    /// The status of an order read straight from the database file, so that no
    /// start-up recovery gets to move it first.
    fn stored_status(&self, public_id: &str) -> String {
        let path = self.data_dir().join("codetill.db");
        self.rt.block_on(async {
            use sqlx::ConnectOptions;
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .read_only(true)
                .connect()
                .await
                .unwrap();
            sqlx::query_scalar::<_, String>("SELECT status FROM orders WHERE public_id = ?1")
                .bind(public_id)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        })
    }

    fn orders(&self) -> Vec<Value> {
        self.json(&["orders", "--json"])
            .as_array()
            .cloned()
            .unwrap()
    }
}

/// Waits for a child, killing it if it outlives `limit`.
fn wait_output(mut child: Child, limit: Duration) -> Run {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Run::from(child.wait_with_output().unwrap(), started.elapsed());
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let run = Run::from(child.wait_with_output().unwrap(), started.elapsed());
            panic!("codetill ran longer than {limit:?}: {run:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_till_killed_while_the_supplier_holds_its_order_is_finished_by_recover() {
    let till = Till::new();
    till.control(
        "faults",
        json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 3000, "times": 1 }),
    );
    let mut sell = till.cmd(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
    // Long enough that the till is still waiting when it is killed.
    sell.env("CODETILL_SUPPLIER_TIMEOUT_MS", "10000");
    let mut child = sell.spawn().unwrap();
    let started = Instant::now();
    while till.counter("order_posts") < 1 {
        if let Some(status) = child.try_wait().unwrap() {
            let run = Run::from(child.wait_with_output().unwrap(), started.elapsed());
            panic!("sell ended ({status}) before its order reached the supplier: {run:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the order never reached the supplier"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    let killed = child.wait().unwrap();
    assert_eq!(killed.code(), None, "killed by a signal, not exited");

    // Paid and sent, outcome unknown to the shop: the order is mid-way.
    assert_eq!(till.stored_status("ORD-000001"), "ordering");

    // Recovery takes the dead till's order over at once (its pid is gone) and asks
    // the supplier by key; its POST waits out the hold and gets the order replayed.
    // (With 600 ms requests, each timed-out send and its look-up count towards the
    // engine's 12 attempts, which a 3 s hold comes close to using up.)
    let mut recover = till.cmd(&["recover", "--json"]);
    recover.env("CODETILL_SUPPLIER_TIMEOUT_MS", "5000");
    let started = Instant::now();
    let recover = Run::from(recover.output().unwrap(), started.elapsed());
    assert_eq!(recover.code, 0, "{recover:?}");
    let report = recover.json();
    assert_eq!(report["delivered"], json!(["ORD-000001"]), "{report}");

    let orders = till.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["status"], "delivered", "{orders:?}");
    let client_order_id = orders[0]["client_order_id"].as_str().unwrap();
    let at_supplier = till.supplier_orders_for(client_order_id);
    assert_eq!(at_supplier.len(), 1, "one supplier order: {at_supplier:?}");
    assert_eq!(till.supplier_orders().len(), 1);
    assert_eq!(till.counter("orders_created"), 1);

    let shown = till.json(&["order", "ORD-000001", "--reveal", "--json"]);
    assert_eq!(shown["status"], "delivered");
    assert_eq!(
        shown["codes"][0]["code"], at_supplier[0]["codes"][0]["code"],
        "the code shown is the code bought"
    );
    assert_eq!(shown["codes"].as_array().unwrap().len(), 1);
}

#[test]
fn sixteen_tills_selling_at_once_on_one_database_all_deliver() {
    let till = Till::new();
    let children: Vec<Child> = (0..16)
        .map(|i| {
            let mut cmd = till.cmd(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
            cmd.env("CODETILL_TILL_ID", format!("till-{i}"));
            cmd.spawn().unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| wait_output(c, Duration::from_secs(60)))
        .collect();
    for run in &runs {
        assert_eq!(run.code, 0, "{run:?}");
        let lower = run.stderr.to_lowercase();
        assert!(
            !lower.contains("database is locked") && !lower.contains("busy"),
            "{run:?}"
        );
        assert_eq!(run.json()["status"], "delivered", "{run:?}");
    }
    let sold: BTreeSet<String> = runs
        .iter()
        .map(|r| r.json()["codes"][0]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sold.len(), 16, "sixteen distinct codes");

    let orders = till.orders();
    assert_eq!(orders.len(), 16);
    assert!(
        orders.iter().all(|o| o["status"] == "delivered"),
        "{orders:?}"
    );
    let ids: BTreeSet<&str> = orders
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 16, "distinct order numbers: {ids:?}");
    assert_eq!(till.counter("orders_created"), 16);
    let at_supplier: BTreeSet<String> = till
        .supplier_orders()
        .iter()
        .map(|o| o["codes"][0]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(at_supplier, sold, "the codes sold are the codes bought");
}

#[test]
fn bad_input_at_the_cli_changes_nothing() {
    let till = Till::new();
    let cases: &[&[&str]] = &[
        &["sell", "NOPE-XX-1", "--pay", "cash", "--tendered", "50"],
        &["sell", SKU, "--pay", "cash", "--tendered", "12,50"],
        &["sell", SKU, "--pay", "cash", "--tendered", "abc"],
        &["sell", SKU, "--pay", "cash", "--tendered", "-5"],
        &["sell", SKU, "--pay", "cash", "--tendered=-5"],
        &["sell", SKU, "--pay", "cash", "--tendered", ""],
        &["sell", SKU, "--pay", "cash", "--tendered", "1.00"],
        &["sell", SKU, "--pay", "card"],
        &["sell", SKU, "--pay", "card", "--terminal-ref", "  "],
        &["sell", SKU, "--pay", "cash"],
        &["sell", SKU, "--pay", "bitcoin", "--tendered", "50"],
        &[
            "sell",
            SKU,
            "--pay",
            "cash",
            "--tendered",
            "50",
            "--email",
            "not-an-address",
        ],
        &[
            "sell",
            SKU,
            "--pay",
            "card",
            "--terminal-ref",
            "T-1",
            "--email",
            "a b@example.com",
        ],
    ];
    for args in cases {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let run = till.run(&with_json);
        assert_eq!(run.code, 2, "codetill {args:?}: {run:?}");
        assert!(run.stdout.trim().is_empty(), "codetill {args:?}: {run:?}");
        let reason = run.stderr.lines().find(|l| !l.trim().is_empty());
        assert!(
            reason.is_some_and(|l| l.starts_with("codetill: error: ") || l.starts_with("error: ")),
            "codetill {args:?}: a reason on stderr: {run:?}"
        );
        // Our own refusals are exactly one line; clap's usage errors add a usage block.
        if run.stderr.starts_with("codetill: error: ") {
            assert_eq!(run.stderr.trim_end().lines().count(), 1, "{run:?}");
        }
    }
    assert_eq!(till.json(&["orders", "--json"]), json!([]));
    assert_eq!(till.counter("order_posts"), 0, "{}", till.counters());
    assert!(till.supplier_orders().is_empty());
}

/// `CODETILL_SUPPLIER_KIND=reloadly`: the same commands sync and sell through the
/// Reloadly adapter, and the code printed is the one the supplier issued.
#[test]
fn a_reloadly_supplier_by_environment_syncs_and_sells() {
    let till = Till::with(Flavor::Reloadly);
    let sku = till.sandbox.sku(SKU);
    assert!(sku.starts_with("RLD-"), "{sku}");
    let sell = till.run(&["sell", &sku, "--pay", "cash", "--tendered", "50", "--json"]);
    assert_eq!(sell.code, 0, "{sell:?}");
    let order = sell.json();
    assert_eq!(order["status"], "delivered", "{order}");
    let bought = till.supplier_orders_for(order["client_order_id"].as_str().unwrap());
    assert_eq!(bought.len(), 1);
    let printed = serde_json::to_string(&order["codes"]).unwrap();
    assert!(
        printed.contains(bought[0]["codes"][0]["code"].as_str().unwrap()),
        "{order}"
    );
    // A kind codetill does not know is refused before anything is sent.
    let bad = till
        .cmd(&["sync", "--json"])
        .env("CODETILL_SUPPLIER_KIND", "acme")
        .output()
        .unwrap();
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("acme"));
}

#[test]
fn refused_after_payment_exits_3_and_is_refunded() {
    let till = Till::new();
    till.control(
        "pending",
        json!({ "seconds": 0.5, "times": 1, "then": "failed" }),
    );
    let sell = till.run(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
    assert_eq!(sell.code, 3, "{sell:?}");
    let order = sell.json();
    assert_eq!(order["status"], "refund_due", "{order}");
    assert!(order.get("codes").is_none(), "no code: {order}");
    assert!(sell.stderr.contains("REFUND DUE"), "{sell:?}");
    let id = order["order_id"].as_str().unwrap();
    let at_supplier = till.supplier_orders_for(order["client_order_id"].as_str().unwrap());
    assert_eq!(at_supplier.len(), 1);
    assert_eq!(at_supplier[0]["status"], "failed", "{at_supplier:?}");

    let refund = till.run(&["refund", id, "--method", "cash", "--json"]);
    assert_eq!(refund.code, 0, "{refund:?}");
    assert_eq!(refund.json()["status"], "refunded");
    let shown = till.json(&["order", id, "--json"]);
    assert_eq!(shown["status"], "refunded");
    assert_eq!(shown["refund"]["method"], "cash");
    // A refund is given once.
    let again = till.run(&["refund", id, "--method", "cash", "--json"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert_eq!(till.counter("orders_created"), 1);
}

/// The same alert the app raises for a refund due (kind, order, open), raised by
/// core where the sale ends, so a headless shop's owner sees it too.
#[test]
fn a_refund_due_from_the_cli_raises_the_owners_alert() {
    let till = Till::new();
    till.control(
        "pending",
        json!({ "seconds": 0.5, "times": 1, "then": "failed" }),
    );
    let sell = till.run(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
    assert_eq!(sell.code, 3, "{sell:?}");
    let order = sell.json();
    assert!(sell.stderr.contains("alert: Refund due"), "{sell:?}");
    let alerts = till.json(&["alerts", "--json"]);
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["kind"], "refund_due");
    assert_eq!(alerts[0]["order_ref"], order["order_id"]);
    assert_eq!(alerts[0]["state"], "open");

    let id = alerts[0]["id"].as_i64().unwrap().to_string();
    let acked = till.json(&["alerts", "ack", &id, "--json"]);
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(till.json(&["alerts", "--json"]), json!([]));
    assert_eq!(
        till.json(&["alerts", "--all", "--json"])[0]["id"],
        alerts[0]["id"]
    );
    assert_eq!(till.run(&["alerts", "ack", "999", "--json"]).code, 2);
}

#[test]
fn unreachable_after_payment_exits_4_and_recover_finishes_it() {
    let till = Till::new();
    for endpoint in ["orders.create", "orders.get"] {
        till.control(
            "faults",
            json!({ "endpoint": endpoint, "kind": "error_503", "times": 0 }),
        );
    }
    // The engine's own budget (12 attempts, 30 s with back-off) runs out first.
    let started = Instant::now();
    let child = till
        .cmd(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"])
        .spawn()
        .unwrap();
    let sell = wait_output(child, Duration::from_secs(45));
    let took = started.elapsed();
    assert_eq!(sell.code, 4, "{sell:?}");
    let order = sell.json();
    let status = order["status"].as_str().unwrap();
    assert!(
        ["ordering", "unknown"].contains(&status),
        "still open: {order}"
    );
    assert!(order.get("codes").is_none());
    assert!(
        sell.stderr.contains("codetill recover"),
        "tells what will finish it: {sell:?}"
    );
    let id = order["order_id"].as_str().unwrap().to_string();
    assert_eq!(till.stored_status(&id), status);
    assert!(till.supplier_orders().is_empty(), "nothing created");
    eprintln!("sell gave up after {took:?}");

    till.clear_faults();
    let recover = till.run(&["recover", "--json"]);
    assert_eq!(recover.code, 0, "{recover:?}");
    assert_eq!(recover.json()["delivered"], json!([id]));
    let shown = till.json(&["order", &id, "--reveal", "--json"]);
    assert_eq!(shown["status"], "delivered");
    let at_supplier = till.supplier_orders_for(order["client_order_id"].as_str().unwrap());
    assert_eq!(at_supplier.len(), 1, "{at_supplier:?}");
    assert_eq!(
        shown["codes"][0]["code"],
        at_supplier[0]["codes"][0]["code"]
    );
    assert_eq!(till.counter("orders_created"), 1);
}
