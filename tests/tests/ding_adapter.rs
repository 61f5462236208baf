//! The Ding adapter against the sandbox's `ding` flavor over loopback HTTP: PIN
//! products only, Submitted → Complete polled, the PIN from the receipt, every UAT
//! error typed and charging nothing, a duplicate DistributorRef safe whether Ding
//! refuses it or executes it, and the order engine's one-order-per-sale rule.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{CounterSale, Engine, Outcome, Tender};
use codetill_core::secrets::Redacted;
use codetill_core::supplier::{
    CatalogRequest, DingClient, DingConfig, DuplicateMode, OrderRequest, RejectReason, Supplier,
    SupplierError, SupplierOrderStatus,
};
use codetill_sandbox::{Flavor, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

const KEY: &str = "sandbox-key";
/// The shop's own phone number, which PIN products are sent to.
const SHOP_NUMBER: &str = "447700900123";
const UAT: &str = "449999999000";

struct Fake {
    handle: SandboxHandle,
    http: reqwest::Client,
}

impl Fake {
    async fn start(products: usize) -> Fake {
        let config = SandboxConfig {
            products,
            api_key: KEY.into(),
            flavor: Flavor::Ding,
            ..SandboxConfig::default()
        };
        let handle = codetill_sandbox::spawn(([127, 0, 0, 1], 0).into(), config)
            .await
            .unwrap();
        Fake {
            handle,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self) -> String {
        format!("{}/", self.handle.base_url())
    }

    fn client_for(&self, account_number: &str) -> DingClient {
        let mut config = DingConfig::new(self.url(), Redacted::new(KEY.into()), account_number);
        config.request_timeout = Duration::from_millis(800);
        config.poll_interval = Duration::from_millis(100);
        config.poll_budget = Duration::from_secs(3);
        DingClient::new(config).unwrap()
    }

    fn client(&self) -> DingClient {
        self.client_for(SHOP_NUMBER)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}_sandbox/{path}", self.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    fn orders(&self) -> Vec<Value> {
        self.handle.state().orders()
    }
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn order(key: &str, sku: &str) -> OrderRequest {
    OrderRequest {
        client_order_id: key.into(),
        sku: sku.into(),
        quantity: 1,
        max_unit_price: usd("1000"),
        face_value: None,
    }
}

const SKU: &str = "STEAM-US-20";

#[tokio::test]
async fn the_catalog_holds_the_pin_products_and_the_balance_is_dings() {
    let fake = Fake::start(300).await;
    let client = fake.client();
    let page = client
        .catalog_page(&CatalogRequest {
            cursor: None,
            limit: 1000,
            updated_since: None,
        })
        .await
        .unwrap();
    assert!(page.next_cursor.is_none());
    let products: Vec<_> = page.products.into_iter().map(Result::unwrap).collect();
    let rows = fake.handle.state().catalog_rows();
    let direct = rows
        .iter()
        .filter(|r| r["category"] == "mobile_topup")
        .count();
    assert!(direct > 0, "the sandbox has direct top-ups to leave out");
    // Ding lists what it can sell now: PIN products in stock.
    let listed = rows
        .iter()
        .filter(|r| r["category"] != "mobile_topup" && r["in_stock"] == true)
        .count();
    assert!(listed < rows.len() - direct, "some are out of stock");
    assert_eq!(products.len(), listed);
    let steam = products.iter().find(|p| p.sku == SKU).unwrap();
    assert_eq!(steam.face_value, usd("20"));
    assert_eq!(steam.wholesale, usd("18.40"));
    assert!(steam.open_amount.is_none());
    let stock = client.stock(SKU).await.unwrap();
    assert_eq!(stock.wholesale, usd("18.40"));
    assert!(stock.available);
    let balance = client.balance().await.unwrap();
    assert_eq!(balance.available.amount, fake.handle.state().balance());
    assert_eq!(client.duplicate_mode(), DuplicateMode::LookupOnly);
}

#[tokio::test]
async fn a_transfer_is_polled_from_submitted_to_its_pin() {
    let fake = Fake::start(200).await;
    let client = fake.client();
    let before = fake.handle.state().counters();
    let done = client.place_order(&order("ct-d1", SKU)).await.unwrap();
    assert_eq!(done.status, SupplierOrderStatus::Completed);
    let at_supplier = fake.orders();
    assert_eq!(at_supplier.len(), 1);
    assert_eq!(at_supplier[0]["client_order_id"], "ct-d1");
    assert_eq!(
        done.codes[0].code.expose(),
        at_supplier[0]["codes"][0]["code"].as_str().unwrap(),
        "the PIN from ReceiptParams is the code issued"
    );
    assert_eq!(
        done.codes[0].serial.as_deref(),
        at_supplier[0]["codes"][0]["serial"].as_str()
    );
    assert_eq!(done.total, usd("18.40"));
    let after = fake.handle.state().counters();
    assert!(after.order_gets > before.order_gets, "Submitted was polled");
    let found = client.get_order("ct-d1").await.unwrap().unwrap();
    assert_eq!(found.codes, done.codes);
    assert_eq!(client.get_order("ct-never").await.unwrap(), None);
}

#[tokio::test]
async fn every_uat_error_is_typed_and_charges_nothing() {
    let fake = Fake::start(200).await;
    let start = fake.handle.state().balance();
    let provider_unavailable = RejectReason::Other("provider_unavailable".into());
    let cases: [(&str, Option<RejectReason>); 8] = [
        ("001", None),                               // RateLimited: retryable
        ("002", Some(provider_unavailable.clone())), // ProviderTimedOut
        ("003", Some(provider_unavailable)),
        ("004", Some(RejectReason::OutOfStock)),
        ("005", Some(RejectReason::InvalidRequest)),
        ("007", Some(RejectReason::InsufficientBalance)),
        ("008", Some(RejectReason::InvalidRequest)),
        ("009", Some(RejectReason::InvalidRequest)),
    ];
    for (digits, want) in cases {
        let number = format!("{}{digits}", &UAT[..UAT.len() - 3]);
        let client = fake.client_for(&number);
        let e = client
            .place_order(&order(&format!("ct-u{digits}"), SKU))
            .await
            .unwrap_err();
        match (want, e) {
            (None, SupplierError::Retryable { .. }) => {}
            (Some(want), SupplierError::Rejected { reason, .. }) => {
                assert_eq!(reason, want, "{digits}")
            }
            (want, e) => panic!("{digits}: expected {want:?}, got {e:?}"),
        }
        assert_eq!(
            client.get_order(&format!("ct-u{digits}")).await.unwrap(),
            None,
            "{digits}: no transfer"
        );
    }
    assert!(fake.orders().is_empty());
    assert_eq!(fake.handle.state().balance(), start, "nothing was charged");
    // 006 is not an error number: it goes through.
    let ok = fake
        .client_for(&format!("{}006", &UAT[..UAT.len() - 3]))
        .place_order(&order("ct-u006", SKU))
        .await
        .unwrap();
    assert_eq!(ok.status, SupplierOrderStatus::Completed);
}

#[tokio::test]
async fn a_repeated_distributor_ref_finds_the_first_transfer_either_way() {
    let fake = Fake::start(200).await;
    let client = fake.client();
    // Ding refuses the duplicate: the refusal is not believed, the look-up finds it.
    let first = client.place_order(&order("ct-d2", SKU)).await.unwrap();
    let again = client.place_order(&order("ct-d2", SKU)).await.unwrap();
    assert_eq!(again.codes, first.codes);
    assert_eq!(fake.orders().len(), 1);

    // Ding executes duplicates: a lost answer is still resolved by a look-up, so no
    // second transfer is made.
    fake.post("ding", json!({ "duplicate": "create" })).await;
    fake.post(
        "faults",
        json!({ "endpoint": "orders.create", "kind": "create_then_500" }),
    )
    .await;
    let lost = client.place_order(&order("ct-d3", SKU)).await.unwrap_err();
    assert!(matches!(lost, SupplierError::Ambiguous { .. }), "{lost:?}");
    let found = client.get_order("ct-d3").await.unwrap().unwrap();
    assert_eq!(
        found.status,
        SupplierOrderStatus::Pending,
        "Submitted at first"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let found = client.get_order("ct-d3").await.unwrap().unwrap();
    assert_eq!(found.status, SupplierOrderStatus::Completed);
    assert_eq!(fake.orders().len(), 2);
}

#[tokio::test]
async fn pending_and_failed_transfers() {
    let fake = Fake::start(200).await;
    let start = fake.handle.state().balance();
    fake.post("pending", json!({ "seconds": 0.5, "then": "failed" }))
        .await;
    let failed = fake
        .client()
        .place_order(&order("ct-d4", SKU))
        .await
        .unwrap();
    assert_eq!(failed.status, SupplierOrderStatus::Failed);
    assert!(failed.codes.is_empty());
    assert!(failed.failure.is_some());
    assert_eq!(fake.handle.state().balance(), start, "refunded");
}

/// The order engine over Ding, with duplicates executed (the unsafe answer): every
/// lost answer ends in one transfer, and the code delivered is the PIN Ding issued.
#[tokio::test]
async fn the_engine_buys_once_per_sale_through_ding() {
    let fake = Fake::start(200).await;
    fake.post("ding", json!({ "duplicate": "create" })).await;
    let dir = tempfile::tempdir().unwrap();
    let db = codetill_core::db::Db::open(&dir.path().join("codetill.db"))
        .await
        .unwrap();
    let supplier: Arc<dyn Supplier> = Arc::new(fake.client());
    codetill_core::catalog::sync(
        &db,
        supplier.as_ref(),
        &codetill_core::catalog::SyncOptions::default(),
        &codetill_core::progress::NoProgress,
    )
    .await
    .unwrap();
    let vault = Arc::new(codetill_core::vault::Vault::from_key(
        &codetill_e2e::VAULT_KEY,
    ));
    let mut engine = Engine::new(db.clone(), supplier, vault);
    engine.options.budget = Duration::from_secs(10);
    engine.options.backoff_start = Duration::from_millis(50);
    engine.options.backoff_max = Duration::from_millis(300);
    let sale = CounterSale {
        sku: SKU.into(),
        amount: None,
        tender: Tender::Card {
            terminal_ref: "T-1".into(),
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    };
    for kind in ["none", "create_then_500", "create_then_drop", "rate_limit"] {
        if kind != "none" {
            fake.post(
                "faults",
                json!({ "endpoint": "orders.create", "kind": kind }),
            )
            .await;
        }
        let done = engine.sell(&sale).await.unwrap();
        assert_eq!(done.outcome, Outcome::Delivered, "{kind}: {:?}", done.order);
        let key = done.order.client_order_id.clone();
        let transfers = fake.handle.state().orders();
        let mine: Vec<&Value> = transfers
            .iter()
            .filter(|o| {
                o["client_order_id"]
                    .as_str()
                    .is_some_and(|k| k == key || k.starts_with(&format!("{key}#")))
            })
            .collect();
        assert_eq!(mine.len(), 1, "{kind}: one transfer");
        assert_eq!(
            done.codes[0].code,
            mine[0]["codes"][0]["code"].as_str().unwrap(),
            "{kind}: the code delivered is Ding's PIN"
        );
    }
}
