//! A shift end to end, every part a real process: `codetill shift open`, cash and
//! card sales at the counter, a remote sale paid through Stripe (a fake Stripe API, a
//! real `codetill-relay`), a sale the supplier refuses after payment and its refund
//! given back in cash, cash in and out, the X-report, and `shift close`. The
//! Z-report's figures are checked against an independent sum of the orders as
//! `codetill orders --json` gives them.
//!
//! Needs the binaries: `cargo build -p codetill-cli -p codetill-relay` first.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Instant;

use codetill_e2e::Sandbox;
use codetill_e2e::cli::{self, Run};
use codetill_e2e::remote::{self, FakeProviders, RelayServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";
const TILL: &str = "till-1";

struct Shop {
    sandbox: Sandbox,
    fakes: FakeProviders,
    relay: RelayServer,
    home: tempfile::TempDir,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Shop {
    fn new() -> Shop {
        let home = cli::till_home();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start(50)).unwrap();
        let fakes = rt.block_on(FakeProviders::start()).unwrap();
        let relay = RelayServer::start().unwrap();
        let shop = Shop {
            sandbox,
            fakes,
            relay,
            home,
            http: reqwest::Client::new(),
            rt,
        };
        let sync = shop.run(&["sync", "--json"]);
        assert_eq!(sync.code, 0, "{sync:?}");
        shop
    }

    fn run(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let out = cli::command(self.home.path(), &self.sandbox.url(), args)
            .env("CODETILL_TILL_ID", TILL)
            .env("CODETILL_RELAY_URL", self.relay.url())
            .env("CODETILL_RELAY_TOKEN", &self.relay.token)
            .env("CODETILL_STRIPE_API_URL", &self.fakes.url)
            .env("CODETILL_STRIPE_KEY", remote::STRIPE_KEY)
            .env(
                "CODETILL_PRINTER",
                format!("pdf:{}", self.home.path().join("printed").display()),
            )
            .output()
            .unwrap();
        Run::from(out, started.elapsed())
    }

    fn json(&self, args: &[&str]) -> Value {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run.json()
    }

    fn control(&self, fault: &str, body: Value) {
        self.rt.block_on(self.sandbox.control(fault, body)).unwrap();
    }

    /// A remote sale paid through Stripe and delivered by `relay pull`.
    fn remote_sale(&self, n: u32) -> Value {
        let order = self.json(&[
            "remote",
            "new",
            SKU,
            "--email",
            "buyer@example.com",
            "--provider",
            "stripe",
            "--json",
        ]);
        let session_id = order["payment_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        self.fakes.set_stripe_status(&session_id, "paid");
        let session = self.fakes.session(&session_id).unwrap();
        let status = self
            .rt
            .block_on(self.relay.post_stripe(
                &self.http,
                &remote::stripe_completed(&format!("evt_shift_{n}"), &session),
            ))
            .unwrap();
        assert_eq!(status, 200);
        let pull = self.json(&["relay", "pull", "--json"]);
        assert_eq!(pull["delivered"], json!([order["order_id"]]), "{pull}");
        order
    }
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("{v} is not a decimal string"))
        .parse()
        .unwrap()
}

fn amount(v: &Value) -> Decimal {
    dec(&v["amount"])
}

/// The figures a Z-report should show, summed from the orders' own documents.
#[derive(Debug, Default, PartialEq)]
struct Sums {
    sales: BTreeMap<String, (i64, Decimal)>,
    refunds: BTreeMap<String, (i64, Decimal)>,
    delivered: Decimal,
    cost: Decimal,
    codes: i64,
}

fn sums(orders: &[Value]) -> Sums {
    let mut s = Sums::default();
    for o in orders {
        if let Some(paid) = o["paid"].as_object() {
            let e = s
                .sales
                .entry(paid["method"].as_str().unwrap().to_string())
                .or_default();
            e.0 += 1;
            e.1 += dec(&paid["amount"]);
        }
        if let Some(refund) = o["refund"].as_object() {
            let e = s
                .refunds
                .entry(refund["method"].as_str().unwrap().to_string())
                .or_default();
            e.0 += 1;
            e.1 += dec(&refund["amount"]);
        }
        if o["status"] == "delivered" {
            s.delivered += dec(&o["price"]);
            s.cost += dec(&o["cost"]) * dec(&o["fx_rate"]);
            s.codes += 1;
        }
    }
    s.cost = s
        .cost
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity);
    s
}

fn report_sums(z: &Value) -> Sums {
    let lines = |v: &Value| -> BTreeMap<String, (i64, Decimal)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["method"].as_str().unwrap().to_string(),
                    (l["count"].as_i64().unwrap(), amount(&l["amount"])),
                )
            })
            .collect()
    };
    Sums {
        sales: lines(&z["sales"]),
        refunds: lines(&z["refunds"]),
        delivered: amount(&z["delivered_sales"]),
        cost: amount(&z["cost"]),
        codes: z["codes_issued"].as_i64().unwrap(),
    }
}

#[test]
fn a_shifts_z_report_adds_up_to_its_orders() {
    let shop = Shop::new();
    // Before the shift: a sale that belongs to no shift.
    let before = shop.run(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
    assert_eq!(before.code, 0, "{before:?}");
    let x = shop.run(&["shift", "report", "--x"]);
    assert_eq!(x.code, 2, "no shift open: {x:?}");

    let opened = shop.json(&["shift", "open", "--float", "100", "--json"]);
    assert_eq!(opened["opened_by"], "asha");
    assert_eq!(opened["till_id"], TILL);
    let again = shop.run(&["shift", "open", "--float", "100"]);
    assert_eq!(again.code, 2, "one open shift per till: {again:?}");
    let bad = shop.run(&["shift", "cash-in", "-5", "--reason", "x"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("amount"), "{bad:?}");

    let mut in_shift = Vec::new();
    for _ in 0..2 {
        let sale = shop.json(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
        in_shift.push(sale["order_id"].as_str().unwrap().to_string());
    }
    let card = shop.json(&[
        "sell",
        SKU,
        "--pay",
        "card",
        "--terminal-ref",
        "T-1",
        "--json",
    ]);
    in_shift.push(card["order_id"].as_str().unwrap().to_string());
    let remote = shop.remote_sale(1);
    in_shift.push(remote["order_id"].as_str().unwrap().to_string());
    // Refused by the supplier after payment, and given back in cash.
    shop.control(
        "pending",
        json!({ "seconds": 0.2, "times": 1, "then": "failed" }),
    );
    let refused = shop.run(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    let refused_id = refused.json()["order_id"].as_str().unwrap().to_string();
    in_shift.push(refused_id.clone());
    let refund = shop.run(&["refund", &refused_id, "--method", "cash", "--json"]);
    assert_eq!(refund.code, 0, "{refund:?}");
    shop.json(&[
        "shift",
        "cash-in",
        "20",
        "--reason",
        "change from the bank",
        "--json",
    ]);
    let out = shop.json(&["shift", "cash-out", "5.50", "--reason", "milk", "--json"]);
    assert_eq!(out["amount"]["amount"], "5.50");

    let x = shop.json(&["shift", "report", "--x", "--json"]);
    assert_eq!(x["kind"], "x");
    assert_eq!(x["cash"]["counted"], Value::Null);

    // The independent sum: the orders of this shift as the CLI gives them.
    let all = shop.json(&["orders", "--json", "--limit", "1000"]);
    let mine: Vec<Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| in_shift.contains(&o["order_id"].as_str().unwrap().to_string()))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 5);
    let expected = sums(&mine);
    assert_eq!(
        expected.sales.keys().collect::<Vec<_>>(),
        ["card", "cash", "stripe"]
    );
    let cash_sales = expected.sales["cash"].1;
    let cash_refunds = expected.refunds["cash"].1;
    let drawer =
        Decimal::from(100) + cash_sales - cash_refunds + Decimal::from(20) - Decimal::new(550, 2);
    assert_eq!(report_sums(&x), expected, "X-report: {x}");
    assert_eq!(amount(&x["cash"]["expected"]), drawer);

    let counted = (drawer - Decimal::new(50, 2)).to_string();
    let close = shop.run(&["shift", "close", "--counted", &counted, "--print"]);
    assert_eq!(close.code, 0, "{close:?}");
    assert!(close.stdout.contains("Z-REPORT #1"), "{close:?}");
    assert!(close.stdout.contains("Short:"), "{close:?}");
    let printed = shop.home.path().join("printed").join("z-report-000001.pdf");
    assert!(printed.exists(), "{close:?}");

    let z = shop.json(&["shift", "report", "--json"]);
    assert_eq!(z["kind"], "z");
    assert_eq!(z["z_number"], 1);
    assert_eq!(report_sums(&z), expected, "Z-report: {z}");
    assert_eq!(
        amount(&z["sales_total"]),
        expected.sales.values().map(|v| v.1).sum()
    );
    assert_eq!(
        amount(&z["net"]),
        amount(&z["sales_total"]) - amount(&z["refunds_total"])
    );
    assert_eq!(
        amount(&z["margin"]),
        expected.delivered - expected.cost,
        "margin = delivered sales − cost"
    );
    let by_category: Decimal = z["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| amount(&c["sales"]))
        .sum();
    assert_eq!(by_category, expected.delivered);
    assert_eq!(amount(&z["cash"]["expected"]), drawer);
    assert_eq!(z["cash"]["over_short"]["amount"], "-0.50");
    assert_eq!(z["opened_by"], "asha");
    assert_eq!(z["closed_by"], "asha");

    // After the close: a sale belongs to no shift, and the Z-report stays as it was.
    shop.json(&[
        "sell",
        SKU,
        "--pay",
        "card",
        "--terminal-ref",
        "T-2",
        "--json",
    ]);
    assert_eq!(shop.json(&["shift", "report", "--json"]), z);
    assert_eq!(shop.run(&["shift", "report", "--x"]).code, 2);
    let reopened = shop.json(&["shift", "open", "--float", "0", "--json"]);
    assert_eq!(reopened["z_number"], Value::Null);
    let z2 = shop.json(&["shift", "close", "--counted", "0", "--json"]);
    assert_eq!(z2["z_number"], 2);
    assert_eq!(z2["sales"], json!([]));
    let hindi = shop.run(&["shift", "report", "--lang", "hi"]);
    assert_eq!(hindi.code, 0, "{hindi:?}");
    assert!(hindi.stdout.contains("Z-रिपोर्ट #2"), "{hindi:?}");
    // Both closes are rows of the audit log's hash chain, which still holds.
    let chain = shop.run(&["audit", "verify"]);
    assert_eq!(chain.code, 0, "{chain:?}");
}

#[test]
fn a_sales_report_and_its_csv_add_up_to_the_orders() {
    let shop = Shop::new();
    for _ in 0..3 {
        shop.json(&["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"]);
    }
    shop.json(&[
        "sell",
        SKU,
        "--pay",
        "card",
        "--terminal-ref",
        "T-1",
        "--json",
    ]);
    let today = chrono::Local::now().date_naive().to_string();
    let report = shop.json(&[
        "report", "sales", "--from", &today, "--to", &today, "--by", "payment", "--json",
    ]);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r["key"].as_str().unwrap(), r["orders"].as_i64().unwrap()))
            .collect::<Vec<_>>(),
        [("cash", 3), ("card", 1)]
    );
    let orders = shop.json(&["orders", "--json"]);
    let expected = sums(orders.as_array().unwrap());
    let total = &report["totals"][0];
    assert_eq!(amount(&total["sales"]), expected.delivered);
    assert_eq!(amount(&total["cost"]), expected.cost);
    let csv = shop.run(&["report", "sales", "--from", &today, "--to", &today, "--csv"]);
    assert_eq!(csv.code, 0, "{csv:?}");
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "key,name,currency,orders,codes,sales,cost,margin,margin_pct,tax"
    );
    assert!(lines[1].starts_with(&format!("{today},,")), "{csv:?}");
    assert!(lines[2].starts_with("total,,"), "{csv:?}");
    let bad = shop.run(&["report", "sales", "--from", "yesterday", "--to", &today]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("from"), "{bad:?}");

    // The shop's report by till, and narrowed to this till or to another.
    let period = ["report", "sales", "--from", &today, "--to", &today];
    let by_till = shop.json(&[&period[..], &["--by", "till", "--json"]].concat());
    assert_eq!(by_till["rows"][0]["key"], TILL);
    assert_eq!(by_till["rows"][0]["orders"], 4);
    let here = shop.json(&[&period[..], &["--till", TILL, "--json"]].concat());
    assert_eq!(here["till"], TILL);
    assert_eq!(here["totals"], report["totals"]);
    let elsewhere = shop.json(&[&period[..], &["--till", "back-office", "--json"]].concat());
    assert_eq!(elsewhere["rows"], json!([]));
}
