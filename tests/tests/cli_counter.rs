//! The grown-up counter from the command line, as a process against the sandbox
//! supplier: a basket `sell SKU:QTY SKU`, the tax invoice it prints, the buyer it
//! is kept under and found by, and the buyer's contact data purged while the orders
//! stay.
//!
//! Needs the binary: `cargo build -p codetill-cli` first (`./test.sh` does).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use codetill_e2e::cli::{self, Till};
use serde_json::Value;

const SKU: &str = "STEAM-US-20";

/// The shared till, with a sku other than [`SKU`] to sell beside it.
fn other_sku(till: &Till) -> String {
    let found = till.json(&["search", "gift card", "--limit", "20"]);
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap().to_string())
        .find(|s| s != SKU && !s.contains(':'))
        .unwrap()
}

#[test]
fn a_basket_is_one_payment_one_invoice_and_one_buyer() {
    let till = Till::new();
    assert_eq!(
        till.run(&[
            "tax",
            "set",
            "--tax-id",
            "29ABCDE1234F1Z5",
            "--prefix",
            "CT"
        ])
        .code,
        0
    );
    assert_eq!(till.run(&["tax", "rate", "gift_card", "18"]).code, 0);
    let other = other_sku(&till);
    let two = format!("{SKU}:2");
    let basket = till.json(&[
        "sell",
        &two,
        &other,
        "--pay",
        "cash",
        "--tendered",
        "500",
        "--phone",
        "+91 98765 43210",
        "--buyer-name",
        "Priya",
    ]);
    assert!(basket["basket"].as_str().unwrap().starts_with("BSK-"));
    let lines = basket["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["orders"].as_array().unwrap().len(), 2);
    let orders: Vec<&Value> = lines
        .iter()
        .flat_map(|l| l["orders"].as_array().unwrap())
        .collect();
    assert_eq!(orders.len(), 3);
    let invoice = orders[0]["invoice"]["number"].as_str().unwrap();
    assert!(
        invoice.starts_with("CT/") && invoice.ends_with("/000001"),
        "{invoice}"
    );
    for o in &orders {
        assert_eq!(o["status"], "delivered");
        assert_eq!(
            o["invoice"]["number"], invoice,
            "one invoice for the basket"
        );
        assert_eq!(o["tax"]["rate"], "18");
        assert!(o["codes"][0]["code"].as_str().is_some());
        assert_eq!(o["buyer_phone"], "+919876543210");
    }

    // The buyer's orders, by phone (typed any way) and by name search.
    let mine = till.json(&["orders", "--buyer", "+919876543210"]);
    assert_eq!(mine.as_array().unwrap().len(), 3);
    let found = till.json(&["buyers", "find", "98765"]);
    assert_eq!(found[0]["name"], "Priya");
    assert_eq!(found[0]["orders"], 3);

    // One sku alone is a sale as before.
    let single = till.json(&["sell", SKU, "--pay", "card", "--terminal-ref", "T-1"]);
    assert!(single["order_id"].as_str().unwrap().starts_with("ORD-"));
    assert_eq!(
        single["invoice"]["number"].as_str().unwrap(),
        invoice.replace("000001", "000002")
    );

    // Bad lines change nothing.
    for (args, needle) in [
        (
            vec![
                "sell",
                "STEAM-US-20:11",
                "--pay",
                "card",
                "--terminal-ref",
                "T",
            ],
            "1 to 10",
        ),
        (
            vec![
                "sell",
                "STEAM-US-20:0",
                "--pay",
                "card",
                "--terminal-ref",
                "T",
            ],
            "1 to 10",
        ),
        (
            vec![
                "sell",
                SKU,
                "--pay",
                "card",
                "--terminal-ref",
                "T",
                "--phone",
                "12",
            ],
            "phone",
        ),
    ] {
        let run = till.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {run:?}");
    }
    assert_eq!(till.json(&["orders"]).as_array().unwrap().len(), 4);

    // Retention: contact data goes, the orders stay.
    assert_eq!(till.run(&["buyers", "retention", "1"]).code, 0);
    let past = "2000-01-01T00:00:00.000Z";
    let home = till.home.path().to_path_buf();
    for statement in [
        format!("UPDATE buyers SET last_seen_at = '{past}'"),
        format!("UPDATE orders SET created_at = '{past}'"),
    ] {
        till.rt.block_on(cli::sql(&home, &statement));
    }
    assert_eq!(till.json(&["buyers", "purge"])["purged"], 1);
    assert!(
        till.json(&["orders", "--buyer", "+919876543210"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = till.json(&["orders"]);
    assert_eq!(all.as_array().unwrap().len(), 4, "the orders stay");
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|o| o.get("buyer_phone").is_none())
    );
}

#[test]
fn with_claims_on_a_sale_while_the_supplier_is_down_is_a_claim_finished_by_recover() {
    let till = Till::new();
    // A limit outside 1 hour to a month is refused and changes nothing.
    assert_eq!(
        till.run(&["claims", "set", "on", "--limit-hours", "0"])
            .code,
        2
    );
    assert_eq!(till.json(&["claims", "list"])["terms"]["enabled"], false);
    let set = till.json(&["claims", "set", "on", "--limit-hours", "24"]);
    assert_eq!(set["enabled"], true);
    assert_eq!(set["limit"], 24);

    till.rt
        .block_on(till.sandbox.control(
            "faults",
            serde_json::json!({"endpoint": "any", "kind": "drop", "times": 0}),
        ))
        .unwrap();
    let sale = till.run(&[
        "sell",
        SKU,
        "--pay",
        "cash",
        "--tendered",
        "50",
        "--email",
        "b@example.com",
        "--json",
    ]);
    assert_eq!(sale.code, 4, "paid, the code still to come: {sale:?}");
    let order = sale.json();
    let number = order["claim"]["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("CLM-"), "{order}");
    assert_eq!(order["status"], "paid");
    assert!(order.get("codes").is_none());
    assert!(sale.stderr.contains(&number), "{sale:?}");
    let open = till.json(&["claims", "list"]);
    assert_eq!(open["open"][0]["claim"]["number"], number.as_str());

    till.rt.block_on(till.sandbox.clear_faults()).unwrap();
    assert_eq!(till.run(&["recover"]).code, 0);
    // The slip's number finds the order, delivered.
    let done = till.json(&["order", &number]);
    assert_eq!(done["status"], "delivered", "{done}");
    assert!(
        till.json(&["claims", "list"])["open"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let audit = till.rt.block_on(cli::rows(
        till.home.path(),
        "SELECT detail FROM audit_log WHERE action = 'claim_settings'",
    ));
    assert_eq!(audit, vec![vec!["claims on, limit 24 h".to_string()]]);
}

/// `drawer set on` at the command line turns on this till's drawer (on a server
/// several tills share too, where the setting is the till's own): `drawer open`
/// then pulses it, and `drawer set off` turns it off again.
#[test]
fn the_drawer_set_on_at_the_command_line_is_the_one_the_till_opens() {
    let till = Till::new();
    // A character device, as a drawer's printer is.
    let open = |args: &[&str]| {
        let mut cmd = till.cmd(args);
        cmd.env("CODETILL_PRINTER", "file:/dev/null");
        cli::Run::from(cmd.output().unwrap(), std::time::Duration::ZERO)
    };
    let refused = open(&["drawer", "open"]);
    assert_ne!(refused.code, 0, "no drawer yet: {refused:?}");
    assert_eq!(till.json(&["drawer", "set", "on"])["drawer"], true);
    let opened = open(&["drawer", "open", "--json"]);
    assert_eq!(opened.code, 0, "{opened:?}");
    assert_eq!(opened.json()["opened"], true);
    assert_eq!(till.json(&["drawer", "set", "off"])["drawer"], false);
    assert_ne!(open(&["drawer", "open"]).code, 0, "off again");
}
