//! The `codetill` binary selling as separate processes against the sandbox supplier:
//! a till killed with SIGKILL while the supplier holds its order, sixteen tills
//! selling at once on one database, bad input that must change nothing, and the
//! exit codes 3 (refused after payment) and 4 (outcome still open).
//!
//! Needs the binary: `cargo build -p codetill-cli` first (`./test.sh` does).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::Child;
use std::time::{Duration, Instant};

use codetill_e2e::Flavor;
use codetill_e2e::cli::{Run, Till, wait_output};
use serde_json::json;

const SKU: &str = "STEAM-US-20";

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

/// A shop in India selling what it buys in USD: without a rate the change is refused
/// and nothing moves; with one, search, the quote and the order are in INR, and the
/// order keeps its cost in USD and the rate it used.
#[test]
fn selling_in_the_shops_own_currency() {
    let till = Till::new();
    let before = till.json(&["search", SKU, "--json"]);
    assert_eq!(before[0]["currency"], "USD", "{before}");

    let refused = till.run(&["pricing", "set", "--shop-currency", "INR"]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("no exchange rate from USD to INR"),
        "{refused:?}"
    );
    let unchanged = till.json(&["search", SKU, "--json"]);
    assert_eq!(unchanged, before, "a refused change moves nothing");
    let bad = till.run(&["pricing", "set", "--shop-currency", "RUPEES"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("shop-currency"), "{bad:?}");

    till.json(&["fx", "set", "USD", "INR", "84.10", "--json"]);
    let set = till.json(&["pricing", "set", "--shop-currency", "INR", "--json"]);
    assert_eq!(set["shop_currency"], "INR", "{set}");
    let row = &till.json(&["search", SKU, "--json"])[0];
    assert_eq!(row["currency"], "INR", "{row}");
    let usd_price: f64 = before[0]["price"].as_str().unwrap().parse().unwrap();
    let inr_price: f64 = row["price"].as_str().unwrap().parse().unwrap();
    // Both are rounded up to .99 from the same raw price, one in USD, one in INR.
    assert!(
        inr_price > (usd_price - 1.0) * 84.1 && inr_price < usd_price * 84.1 + 1.0,
        "{usd_price} USD → {inr_price} INR"
    );

    let price = row["price"].as_str().unwrap().to_string();
    let sale = till.json(&["sell", SKU, "--pay", "cash", "--tendered", &price, "--json"]);
    assert_eq!(sale["status"], "delivered", "{sale}");
    assert_eq!(sale["currency"], "INR", "{sale}");
    assert_eq!(sale["price"], price.as_str());
    assert_eq!(sale["cost_currency"], "USD", "{sale}");
    assert_eq!(sale["fx_rate"], "84.1", "{sale}");
    let cost: f64 = sale["cost"].as_str().unwrap().parse().unwrap();
    assert!(
        cost * 84.1 <= inr_price,
        "never below cost: {cost} USD at 84.1 vs {inr_price}"
    );

    // A rate that moves reprices the catalog; the order keeps the rate it used.
    till.json(&["fx", "set", "USD", "INR", "90", "--json"]);
    let moved = &till.json(&["search", SKU, "--json"])[0];
    let moved_price: f64 = moved["price"].as_str().unwrap().parse().unwrap();
    assert!(
        moved_price > inr_price,
        "{moved_price} after the rate rose from {inr_price}"
    );
    let order = till.json(&["order", sale["order_id"].as_str().unwrap(), "--json"]);
    assert_eq!(order["fx_rate"], "84.1", "{order}");
}

/// A till that Settings → Database moved to the shop's server (its data folder says
/// so) but whose keyring holds no URL now is refused, even by the quick search that
/// opens no keyring: its own file is no longer the shop's. The environment's URL,
/// when set, still wins.
#[test]
fn a_till_moved_to_a_server_never_answers_from_its_old_file() {
    let till = Till::new();
    std::fs::write(
        till.data_dir()
            .join(codetill_core::till::database::SERVER_MARKER),
        "postgres://db.shop/shop\n",
    )
    .unwrap();
    let run = till.run(&["search", "steam", "--json"]);
    if codetill_e2e::on_postgres().is_some() {
        assert_eq!(run.code, 0, "CODETILL_DATABASE_URL chooses: {run:?}");
        return;
    }
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty(), "no hits from the old file: {run:?}");
    assert!(run.stderr.contains("database-server"), "{run:?}");
}
