//! `codetill reconcile` as a process against the sandbox speaking each supplier's
//! API: a clean day exits 0; a charge with no order here, a refund-due order the
//! supplier completed after all (delivered with its codes on request), a delivered
//! order the supplier does not show, and a charge that differs from the recorded
//! cost each exit 1 with their finding and an alert; top-ups the owner records
//! explain the balance's movement.
//!
//! Needs the binary: `cargo build -p codetill-cli` first (`./test.sh` does).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use codetill_core::supplier::{OrderRequest, Supplier};
use codetill_e2e::cli::{self, Run};
use codetill_e2e::{Flavor, Sandbox, flavored};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

/// A till's data folder over a sandbox of `flavor`, set up by environment.
struct Till {
    sandbox: Sandbox,
    home: tempfile::TempDir,
    /// Every run reconciles from here.
    since: String,
}

impl Till {
    async fn new(flavor: Flavor) -> Till {
        let sandbox = Sandbox::start_flavor(200, flavor).await.unwrap();
        let till = Till {
            sandbox,
            home: cli::till_home(),
            since: (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339(),
        };
        let sync = till.run(&["sync", "--json"]).await;
        assert_eq!(sync.code, 0, "{sync:?}");
        till
    }

    /// `codetill ARGS` against `url` (this till's sandbox unless another is named).
    async fn run_at(&self, url: &str, args: &[&str]) -> Run {
        let mut cmd = cli::command(self.home.path(), url, args);
        cmd.env("CODETILL_SUPPLIER_TIMEOUT_MS", "3000");
        let client_secret = format!("{}:{}", codetill_e2e::RELOADLY_CLIENT_ID, codetill_e2e::KEY);
        match self.sandbox.flavor() {
            Flavor::Wholesale => {}
            Flavor::Reloadly | Flavor::ReloadlyAirtime => {
                cmd.env("CODETILL_SUPPLIER_KIND", self.sandbox.flavor().as_str())
                    .env("CODETILL_SUPPLIER_AUTH_URL", url)
                    .env("CODETILL_SUPPLIER_KEY", client_secret);
            }
            Flavor::Bamboo => {
                cmd.env("CODETILL_SUPPLIER_KIND", "bamboo")
                    .env("CODETILL_SUPPLIER_KEY", client_secret)
                    .env(
                        "CODETILL_SUPPLIER_ACCOUNT",
                        codetill_e2e::BAMBOO_ACCOUNT.to_string(),
                    );
            }
            Flavor::Ding => {
                cmd.env("CODETILL_SUPPLIER_KIND", "ding")
                    .env("CODETILL_SUPPLIER_ACCOUNT", codetill_e2e::DING_SHOP_NUMBER);
            }
        }
        let started = Instant::now();
        let out = tokio::process::Command::from(cmd).output().await.unwrap();
        Run::from(out, started.elapsed())
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_at(&self.sandbox.url(), args).await
    }

    /// `reconcile --since <the test's start> --json`, with its exit code. Report
    /// times are whole seconds at some suppliers: the next step waits for the next
    /// second, so that it cannot read as part of this run's balance reading.
    async fn reconcile_at(&self, url: &str) -> (i32, Value) {
        let run = self
            .run_at(url, &["reconcile", "--since", &self.since, "--json"])
            .await;
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        (run.code, run.json())
    }

    async fn reconcile(&self) -> (i32, Value) {
        self.reconcile_at(&self.sandbox.url()).await
    }

    /// Sells the test's sku for cash; the order's JSON.
    async fn sell(&self) -> Run {
        let sku = self.sandbox.sku(SKU);
        self.run(&["sell", &sku, "--pay", "cash", "--tendered", "100", "--json"])
            .await
    }

    fn supplier(&self) -> std::sync::Arc<dyn Supplier> {
        self.sandbox.supplier().unwrap()
    }

    /// The sandbox's ledger entry for one of our orders.
    async fn ledger(&self, client_order_id: &str) -> Value {
        let key = self.supplier().key_for(client_order_id);
        let all: Vec<Value> = self
            .sandbox
            .http
            .get(format!("{}/_sandbox/orders", self.sandbox.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.into_iter()
            .find(|o| o["client_order_id"] == json!(key))
            .unwrap_or_else(|| panic!("no ledger order under {key}"))
    }
}

/// A decimal string (an amount's `amount`, an order's `cost`) as a number: suppliers
/// write `18.4` where we write `18.40`.
fn dec(v: &Value) -> rust_decimal::Decimal {
    let text = v
        .as_str()
        .or_else(|| v["amount"].as_str())
        .unwrap_or_else(|| panic!("{v} is not an amount"));
    text.parse().unwrap()
}

fn kinds(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

fn alert_kinds(run: &Run) -> Vec<String> {
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn a_clean_day_exits_0_and_a_charge_with_no_order_here_exits_1(flavor: Flavor) {
    let till = Till::new(flavor).await;
    let sale = till.sell().await;
    assert_eq!(sale.code, 0, "{sale:?}");
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["clean"], json!(true));
    assert_eq!(report["transactions"], json!(1), "{report:#}");
    assert_eq!(
        dec(&report["charged"]),
        dec(&sale.json()["cost"]),
        "the day's charges are the sale's cost"
    );

    // Bought at the supplier under a key no order here has.
    let supplier = till.supplier();
    let sku = till.sandbox.sku(SKU);
    let stock = supplier.stock(&sku).await.unwrap();
    let stranger = format!("ct-elsewhere-{}", flavor.as_str());
    let bought = supplier
        .place_order(&OrderRequest {
            client_order_id: stranger.clone(),
            sku,
            quantity: 1,
            max_unit_price: stock.wholesale,
            face_value: None,
        })
        .await
        .unwrap();
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(kinds(&report), ["charged_not_delivered"], "{report:#}");
    let finding = &report["findings"][0];
    assert_eq!(finding["order"], Value::Null);
    assert_eq!(finding["key"], json!(supplier.key_for(&stranger)));
    assert_eq!(dec(&finding["charged"]), bought.total.amount);
    assert_eq!(
        finding["action"],
        Value::Null,
        "no order here to deliver to"
    );
    // The balance moved by that charge: explained.
    assert!(
        dec(&report["balance_check"]["unexplained"]).is_zero(),
        "{report:#}"
    );
    let alerts = till.run(&["alerts", "--json"]).await;
    assert!(
        alert_kinds(&alerts).contains(&"reconcile_discrepancy".to_string()),
        "{alerts:?}"
    );
}

async fn a_refund_due_order_the_supplier_completed_is_found_and_delivered(flavor: Flavor) {
    let till = Till::new(flavor).await;
    till.sandbox
        .control(
            "pending",
            json!({ "seconds": 0.2, "times": 1, "then": "failed" }),
        )
        .await
        .unwrap();
    let sale = till.sell().await;
    assert_eq!(sale.code, 3, "refused after payment: {sale:?}");
    let order = sale.json();
    let (public, key) = (
        order["order_id"].as_str().unwrap().to_string(),
        order["client_order_id"].as_str().unwrap().to_string(),
    );
    assert_eq!(order["status"], json!("refund_due"));
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 0, "a failed order charged nothing: {report:#}");

    // The supplier fulfils it after all, and charges for it.
    let ledger_key = till.supplier().key_for(&key);
    till.sandbox
        .control("complete", json!({ "client_order_id": ledger_key }))
        .await
        .unwrap();
    // Bamboo and Ding show a fresh order in progress for a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(kinds(&report), ["charged_not_delivered"], "{report:#}");
    let finding = &report["findings"][0];
    assert_eq!(finding["order"], json!(public));
    assert_eq!(finding["order_status"], json!("refund_due"));
    assert_eq!(finding["action"], json!("deliver"));

    // Delivered to its buyer with the supplier's codes; nothing bought again.
    let before = till.sandbox.counters().await.unwrap()["orders_created"].clone();
    let deliver = till.run(&["reconcile", "deliver", &public, "--json"]).await;
    assert_eq!(deliver.code, 0, "{deliver:?}");
    assert_eq!(deliver.json()["result"]["outcome"], json!("delivered"));
    assert_eq!(
        till.sandbox.counters().await.unwrap()["orders_created"],
        before,
        "nothing was bought"
    );
    let shown = till
        .run(&[
            "order",
            &public,
            "--reveal",
            "--reason",
            "reconciled",
            "--json",
        ])
        .await;
    assert_eq!(shown.code, 0, "{shown:?}");
    let shown = shown.json();
    assert_eq!(shown["status"], json!("delivered"));
    let supplier_codes: Vec<Value> = till.ledger(&key).await["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].clone())
        .collect();
    let ours: Vec<Value> = shown["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].clone())
        .collect();
    assert!(!ours.is_empty());
    assert!(
        ours.iter().all(|c| supplier_codes.contains(c)
            || supplier_codes
                .iter()
                .any(|s| c.as_str().unwrap().contains(s.as_str().unwrap()))),
        "the delivered codes are the supplier's: {ours:?} vs {supplier_codes:?}"
    );
    // A delivered order is final: asking again is refused, nothing changed.
    let again = till.run(&["reconcile", "deliver", &public]).await;
    assert_eq!(again.code, 2, "{again:?}");
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 0, "nothing left to find: {report:#}");
}

async fn a_delivered_order_the_supplier_does_not_show_exits_1(flavor: Flavor) {
    let till = Till::new(flavor).await;
    let sale = till.sell().await;
    assert_eq!(sale.code, 0, "{sale:?}");
    let public = sale.json()["order_id"].clone();
    // Another supplier of the same catalog that never saw the order.
    let fresh = Sandbox::start_flavor(200, flavor).await.unwrap();
    let (code, report) = till.reconcile_at(&fresh.url()).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(kinds(&report), ["delivered_not_charged"], "{report:#}");
    assert_eq!(report["findings"][0]["order"], public);
}

async fn a_charge_that_differs_from_the_recorded_cost_exits_1(flavor: Flavor) {
    let till = Till::new(flavor).await;
    let sale = till.sell().await;
    assert_eq!(sale.code, 0, "{sale:?}");
    let order = sale.json();
    let cost: rust_decimal::Decimal = order["cost"].as_str().unwrap().parse().unwrap();
    let charged = cost + rust_decimal::Decimal::ONE;
    let ledger_key = till
        .supplier()
        .key_for(order["client_order_id"].as_str().unwrap());
    till.sandbox
        .control(
            "charge",
            json!({ "client_order_id": ledger_key, "total": charged.to_string() }),
        )
        .await
        .unwrap();
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(kinds(&report), ["amount_mismatch"], "{report:#}");
    let f = &report["findings"][0];
    assert_eq!(f["order"], order["order_id"]);
    assert_eq!((dec(&f["charged"]), dec(&f["cost"])), (charged, cost));
}

async fn top_ups_the_owner_records_explain_the_balance_movement(flavor: Flavor) {
    let till = Till::new(flavor).await;
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["balance_check"], Value::Null, "the first reading");

    let when = chrono::Utc::now().to_rfc3339();
    till.sandbox
        .control("balance", json!({ "add": "100.00" }))
        .await
        .unwrap();
    let sale = till.sell().await;
    assert_eq!(sale.code, 0, "{sale:?}");
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(kinds(&report), ["balance_unexplained"], "{report:#}");
    assert_eq!(
        dec(&report["balance_check"]["unexplained"]),
        rust_decimal::Decimal::from(100),
        "{report:#}"
    );

    // Bad input names the field and records nothing.
    for bad in [
        vec!["supplier", "topup", "-5", "--currency", "USD"],
        vec![
            "supplier",
            "topup",
            "100",
            "--currency",
            "USD",
            "--date",
            "someday",
        ],
        vec!["supplier", "topup", "100"],
    ] {
        let run = till.run(&bad).await;
        assert_eq!(run.code, 2, "{bad:?}: {run:?}");
    }
    let recorded = till
        .run(&[
            "supplier",
            "topup",
            "100.00",
            "--currency",
            "USD",
            "--date",
            &when,
            "--reference",
            "BANK-7",
            "--json",
        ])
        .await;
    assert_eq!(recorded.code, 0, "{recorded:?}");
    let list = till.run(&["supplier", "topups", "--json"]).await;
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list:#}");
    assert_eq!(list[0]["reference"], json!("BANK-7"));
    assert_eq!(list[0]["amount"]["amount"], json!("100.00"));

    let (code, report) = till.reconcile().await;
    assert_eq!(code, 0, "{report:#}");
    let check = &report["balance_check"];
    assert_eq!(
        dec(&check["topped_up"]),
        rust_decimal::Decimal::from(100),
        "{report:#}"
    );
    assert_eq!(
        dec(&check["charged"]),
        dec(&sale.json()["cost"]),
        "{report:#}"
    );
    assert!(dec(&check["unexplained"]).is_zero(), "{report:#}");
}

flavored!(
    a_clean_day_exits_0_and_a_charge_with_no_order_here_exits_1,
    a_refund_due_order_the_supplier_completed_is_found_and_delivered,
    a_delivered_order_the_supplier_does_not_show_exits_1,
    a_charge_that_differs_from_the_recorded_cost_exits_1,
    top_ups_the_owner_records_explain_the_balance_movement,
);

#[tokio::test]
async fn a_since_that_is_not_a_date_is_bad_input() {
    let till = Till::new(Flavor::Wholesale).await;
    let run = till.run(&["reconcile", "--since", "last week"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--since"), "{run:?}");
    let run = till.run(&["reconcile", "deliver", "ORD-999999"]).await;
    assert_eq!(run.code, 2, "{run:?}");
}

/// Delivering a refund-due order only ever fetches: while the supplier shows it
/// failed nothing changes (exit 4), and once a refund is recorded it is final.
#[tokio::test]
async fn delivery_only_fetches_and_a_refund_recorded_first_wins() {
    let till = Till::new(Flavor::Wholesale).await;
    for _ in 0..2 {
        till.sandbox
            .control(
                "pending",
                json!({ "seconds": 0.1, "times": 1, "then": "failed" }),
            )
            .await
            .unwrap();
        assert_eq!(till.sell().await.code, 3);
    }
    let due: Vec<String> = cli::rows(
        till.home.path(),
        "SELECT public_id FROM orders WHERE status = 'refund_due' ORDER BY id",
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert_eq!(due.len(), 2);
    let created = till.sandbox.counters().await.unwrap()["orders_created"].clone();

    // The supplier still shows it failed: nothing to fetch, nothing sent.
    let run = till.run(&["reconcile", "deliver", &due[0]]).await;
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        till.sandbox.counters().await.unwrap()["orders_created"],
        created
    );

    // Refunded first, completed at the supplier later: the buyer has the money back.
    let refund = till.run(&["refund", &due[1], "--method", "cash"]).await;
    assert_eq!(refund.code, 0, "{refund:?}");
    let key = cli::rows(
        till.home.path(),
        &format!(
            "SELECT client_order_id FROM orders WHERE public_id = '{}'",
            due[1]
        ),
    )
    .await[0][0]
        .clone();
    till.sandbox
        .control("complete", json!({ "client_order_id": key }))
        .await
        .unwrap();
    let (code, report) = till.reconcile().await;
    assert_eq!(code, 1, "{report:#}");
    let f = &report["findings"][0];
    assert_eq!(
        (f["order_status"].clone(), f["action"].clone()),
        (json!("refunded"), Value::Null)
    );
    let run = till.run(&["reconcile", "deliver", &due[1]]).await;
    assert_eq!(run.code, 2, "{run:?}");
    let codes = cli::rows(
        till.home.path(),
        &format!(
            "SELECT count(*) FROM order_codes c JOIN orders o ON o.id = c.order_id WHERE o.public_id = '{}'",
            due[1]
        ),
    )
    .await;
    assert_eq!(codes[0][0], "0", "no code kept for a refunded order");
}
