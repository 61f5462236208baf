//! The Bamboo adapter against the sandbox's `bamboo` flavor over loopback HTTP: its
//! RequestId, checkout then polling, `OrderAlreadyExists`, the look-up after a lost
//! answer, `PartialFailed`, the rate limits kept by waiting, and the order engine's
//! one-order-per-sale rule on top of it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{CounterSale, Engine, Outcome, Tender};
use codetill_core::secrets::Redacted;
use codetill_core::supplier::bamboo::request_id;
use codetill_core::supplier::{
    BambooClient, BambooConfig, CatalogRequest, OrderRequest, RejectReason, Supplier,
    SupplierError, SupplierOrderStatus,
};
use codetill_sandbox::{Flavor, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

const KEY: &str = "sandbox-key";
const ACCOUNT: i64 = 1001;

struct Fake {
    handle: SandboxHandle,
    http: reqwest::Client,
}

impl Fake {
    async fn start(products: usize) -> Fake {
        let config = SandboxConfig {
            products,
            api_key: KEY.into(),
            flavor: Flavor::Bamboo,
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

    /// A client with short polls, and Bamboo's limits as given.
    fn client_with(&self, gap_ms: u64, per_product: usize, window_ms: u64) -> BambooClient {
        let mut config = BambooConfig::new(
            self.url(),
            Redacted::new("sandbox-client".into()),
            Redacted::new(KEY.into()),
            ACCOUNT,
        );
        config.request_timeout = Duration::from_millis(800);
        config.poll_interval = Duration::from_millis(100);
        config.poll_budget = Duration::from_secs(3);
        config.order_gap = Duration::from_millis(gap_ms);
        config.per_product_limit = per_product;
        config.per_product_window = Duration::from_millis(window_ms);
        BambooClient::new(config).unwrap()
    }

    fn client(&self) -> BambooClient {
        self.client_with(500, 6, 60_000)
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

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}_sandbox/{path}", self.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn product_id(&self, sku: &str) -> String {
        self.handle.state().client_sku(sku).unwrap()
    }

    fn orders(&self) -> Vec<Value> {
        self.handle.state().orders()
    }
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn order(key: &str, sku: &str, quantity: u32) -> OrderRequest {
    OrderRequest {
        client_order_id: key.into(),
        sku: sku.into(),
        quantity,
        max_unit_price: usd("1000"),
        face_value: None,
    }
}

fn reason(e: SupplierError) -> RejectReason {
    match e {
        SupplierError::Rejected { reason, .. } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_catalog_walks_in_pages_and_the_balance_is_the_accounts() {
    let fake = Fake::start(300).await;
    let client = fake.client();
    let steam = fake.product_id("STEAM-US-20").await;
    fake.post("stock", json!({ "sku": "STEAM-US-20", "quantity": 0 }))
        .await;
    let mut cursor = None;
    let mut products = Vec::new();
    let mut pages = 0;
    loop {
        let page = client
            .catalog_page(&CatalogRequest {
                cursor: cursor.clone(),
                limit: 10,
                updated_since: None,
            })
            .await
            .unwrap();
        pages += 1;
        products.extend(page.products.into_iter().map(Result::unwrap));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert!(pages > 1, "{pages} pages");
    let (open, fixed): (Vec<_>, Vec<_>) = products.iter().partition(|p| p.open_amount.is_some());
    assert_eq!(fixed.len(), fake.handle.state().product_count());
    assert!(!open.is_empty(), "brand items carry open-amount products");
    let row = products.iter().find(|p| p.sku == steam).unwrap();
    assert_eq!(row.brand, "Steam");
    assert_eq!(row.face_value, usd("20"));
    assert_eq!(row.wholesale, usd("18.40"));
    assert!(!row.in_stock, "count 0 is out of stock");
    assert!(row.open_amount.is_none());
    let stock = client.stock(&steam).await.unwrap();
    assert_eq!(stock.quantity, Some(0));
    assert!(!stock.available);

    let balance = client.balance().await.unwrap();
    assert_eq!(balance.available.amount, fake.handle.state().balance());
    assert_eq!(balance.available.currency, Currency::USD);
}

#[tokio::test]
async fn an_order_is_polled_from_processing_to_its_cards_and_a_duplicate_is_fetched() {
    let fake = Fake::start(200).await;
    let client = fake.client();
    let sku = fake.product_id("STEAM-US-20").await;
    let before = fake.handle.state().counters();
    let placed = client.place_order(&order("ct-b1", &sku, 1)).await.unwrap();
    assert_eq!(placed.status, SupplierOrderStatus::Completed);
    assert_eq!(placed.client_order_id, "ct-b1");
    let at_supplier = fake.orders();
    assert_eq!(at_supplier.len(), 1);
    // The key Bamboo holds is the UUIDv5 of ours.
    assert_eq!(at_supplier[0]["client_order_id"], request_id("ct-b1"));
    assert_eq!(
        placed.codes[0].code.expose(),
        at_supplier[0]["codes"][0]["code"].as_str().unwrap()
    );
    assert_eq!(placed.total, usd("18.40"));
    // The order showed Processing first: it took more than one look.
    let after = fake.handle.state().counters();
    assert!(after.order_gets - before.order_gets >= 2, "{after:?}");

    // Sent again (as after a lost answer): OrderAlreadyExists, so it is fetched.
    let again = client.place_order(&order("ct-b1", &sku, 1)).await.unwrap();
    assert_eq!(again.codes, placed.codes);
    assert_eq!(fake.orders().len(), 1, "no second order");
    assert_eq!(client.get_order("ct-never").await.unwrap(), None);
}

#[tokio::test]
async fn lost_answers_are_looked_up_and_only_a_missing_order_is_sent_again() {
    let fake = Fake::start(200).await;
    let client = fake.client();
    let sku = fake.product_id("STEAM-US-20").await;
    // Created, then the connection dropped: ambiguous; the look-up finds it.
    fake.post(
        "faults",
        json!({ "endpoint": "orders.create", "kind": "create_then_drop" }),
    )
    .await;
    let lost = client
        .place_order(&order("ct-b2", &sku, 1))
        .await
        .unwrap_err();
    assert!(matches!(lost, SupplierError::Ambiguous { .. }), "{lost:?}");
    let found = client.get_order("ct-b2").await.unwrap().unwrap();
    assert_eq!(
        found.status,
        SupplierOrderStatus::Pending,
        "Processing at first"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let found = client.get_order("ct-b2").await.unwrap().unwrap();
    assert_eq!(found.codes.len(), 1);
    assert_eq!(fake.orders().len(), 1);

    // Dropped before anything was made: the look-up says OrderNotFound, and the same
    // RequestId may be sent again.
    fake.post(
        "faults",
        json!({ "endpoint": "orders.create", "kind": "drop" }),
    )
    .await;
    let lost = client
        .place_order(&order("ct-b3", &sku, 1))
        .await
        .unwrap_err();
    assert!(lost.is_transient(), "{lost:?}");
    assert_eq!(client.get_order("ct-b3").await.unwrap(), None);
    let sent = client.place_order(&order("ct-b3", &sku, 1)).await.unwrap();
    assert_eq!(sent.status, SupplierOrderStatus::Completed);
    let keys: Vec<Value> = fake
        .orders()
        .iter()
        .map(|o| o["client_order_id"].clone())
        .collect();
    assert_eq!(
        keys,
        [json!(request_id("ct-b2")), json!(request_id("ct-b3"))]
    );
}

#[tokio::test]
async fn an_order_still_processing_at_the_budget_is_pending_then_found() {
    let fake = Fake::start(200).await;
    let sku = fake.product_id("STEAM-US-20").await;
    fake.post("pending", json!({ "seconds": 1.5 })).await;
    let mut config = BambooConfig::new(
        fake.url(),
        Redacted::new("sandbox-client".into()),
        Redacted::new(KEY.into()),
        ACCOUNT,
    );
    config.poll_interval = Duration::from_millis(100);
    config.poll_budget = Duration::from_millis(400);
    let client = BambooClient::new(config).unwrap();
    let pending = client.place_order(&order("ct-b4", &sku, 1)).await.unwrap();
    assert_eq!(pending.status, SupplierOrderStatus::Pending);
    assert!(pending.codes.is_empty());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let done = client.get_order("ct-b4").await.unwrap().unwrap();
    assert_eq!(done.status, SupplierOrderStatus::Completed);
    assert_eq!(done.codes.len(), 1);
}

/// An open-amount product: the face value asked for is what Bamboo issues and
/// prices, within the product's bounds.
#[tokio::test]
async fn an_open_amount_card_is_bought_at_the_face_value_asked() {
    let fake = Fake::start(300).await;
    let client = fake.client();
    let page = client
        .catalog_page(&CatalogRequest {
            cursor: None,
            limit: 100,
            updated_since: None,
        })
        .await
        .unwrap();
    let open = page
        .products
        .into_iter()
        .map(Result::unwrap)
        .find(|p| {
            p.open_amount
                .as_ref()
                .is_some_and(|r| r.min.currency == Currency::USD)
        })
        .expect("a USD open-amount product");
    let range = open.open_amount.clone().unwrap();
    let face = (range.min.amount + range.max.amount) / rust_decimal::Decimal::TWO;
    let face = face.round_dp(0);
    let mut request = order("ct-o1", &open.sku, 1);
    request.face_value = Some(Money::new(face, Currency::USD));
    let bought = client.place_order(&request).await.unwrap();
    assert_eq!(bought.status, SupplierOrderStatus::Completed);
    assert_eq!(bought.codes.len(), 1);
    let expected = (face * range.cost_per_face)
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(
        bought.total.amount, expected,
        "face {face} at {}",
        range.cost_per_face
    );
    assert_eq!(fake.orders()[0]["total"], expected.to_string());
    // Outside the bounds, or without a face value: refused before anything is sent.
    let mut too_big = order("ct-o2", &open.sku, 1);
    too_big.face_value = Some(Money::new(
        range.max.amount + rust_decimal::Decimal::ONE,
        Currency::USD,
    ));
    assert_eq!(
        reason(client.place_order(&too_big).await.unwrap_err()),
        RejectReason::InvalidRequest
    );
    assert_eq!(
        reason(
            client
                .place_order(&order("ct-o3", &open.sku, 1))
                .await
                .unwrap_err()
        ),
        RejectReason::InvalidRequest
    );
    assert_eq!(fake.orders().len(), 1);
}

#[tokio::test]
async fn partial_failed_delivers_what_was_issued() {
    let fake = Fake::start(200).await;
    let client = fake.client();
    let sku = fake.product_id("STEAM-US-20").await;
    let start = fake.handle.state().balance();
    fake.post("bamboo", json!({ "partial_fail": 2 })).await;
    let two = client.place_order(&order("ct-b5", &sku, 2)).await.unwrap();
    assert_eq!(two.status, SupplierOrderStatus::Completed);
    assert_eq!(two.quantity, 1);
    assert_eq!(two.codes.len(), 1);
    assert_eq!(two.total, usd("18.40"));
    assert_eq!(two.failure.as_ref().unwrap().0, "partial_failed");
    // Charged for the one card issued.
    assert_eq!(start - fake.handle.state().balance(), usd("18.40").amount);
    let one = client.place_order(&order("ct-b6", &sku, 1)).await.unwrap();
    assert_eq!(one.status, SupplierOrderStatus::Failed);
    assert!(one.codes.is_empty());
    assert_eq!(
        start - fake.handle.state().balance(),
        usd("18.40").amount,
        "the failed card was not charged"
    );
}

#[tokio::test]
async fn refusals_are_typed_and_charge_nothing() {
    let fake = Fake::start(200).await;
    let client = fake.client();
    let sku = fake.product_id("STEAM-US-20").await;
    let mut cheap = order("ct-r1", &sku, 1);
    cheap.max_unit_price = usd("18.39");
    assert_eq!(
        reason(client.place_order(&cheap).await.unwrap_err()),
        RejectReason::PriceChanged
    );
    assert_eq!(
        reason(
            client
                .place_order(&order("ct-r2", "999", 1))
                .await
                .unwrap_err()
        ),
        RejectReason::NotFound
    );
    fake.post("balance", json!({ "set": "5.00" })).await;
    assert_eq!(
        reason(
            client
                .place_order(&order("ct-r3", &sku, 1))
                .await
                .unwrap_err()
        ),
        RejectReason::InsufficientBalance
    );
    assert!(fake.orders().is_empty());

    let mut wrong = BambooConfig::new(
        fake.url(),
        Redacted::new("sandbox-client".into()),
        Redacted::new("not-the-secret".into()),
        ACCOUNT,
    );
    assert!(matches!(
        BambooClient::new(wrong.clone()).unwrap().balance().await,
        Err(SupplierError::Configuration { .. })
    ));
    wrong.client_secret = Redacted::new(KEY.into());
    wrong.account_id = 4;
    assert!(matches!(
        BambooClient::new(wrong).unwrap().balance().await,
        Err(SupplierError::Configuration { .. })
    ));
}

/// Bamboo's limits (500 ms between orders, N per product per window) are kept by
/// waiting: the fake refuses any order that comes too soon, and none is refused.
#[tokio::test]
async fn the_client_waits_for_the_rate_limits_instead_of_being_refused() {
    let fake = Fake::start(200).await;
    fake.post(
        "bamboo",
        json!({ "processing_ms": 0, "per_product": 2, "window_ms": 2500 }),
    )
    .await;
    let client = fake.client_with(500, 2, 2500);
    let steam = fake.product_id("STEAM-US-20").await;
    let other = fake
        .handle
        .state()
        .catalog_rows()
        .iter()
        .find(|r| r["category"] == "gift_card" && r["sku"] != "STEAM-US-20")
        .and_then(|r| fake.handle.state().client_sku(r["sku"].as_str()?))
        .unwrap();
    let started = Instant::now();
    for (i, sku) in [&steam, &other, &steam, &steam].into_iter().enumerate() {
        client
            .place_order(&order(&format!("ct-p{i}"), sku, 1))
            .await
            .unwrap();
    }
    let took = started.elapsed();
    assert_eq!(fake.get("bamboo").await["rate_limited"], 0);
    let created: Vec<chrono::DateTime<chrono::Utc>> = fake
        .orders()
        .iter()
        .map(|o| o["created_at"].as_str().unwrap().parse().unwrap())
        .collect();
    let gaps: Vec<i64> = created
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds())
        .collect();
    println!("order gaps at the supplier: {gaps:?} ms; four orders took {took:?}");
    assert!(gaps.iter().all(|g| *g >= 500), "{gaps:?}");
    // The third Steam order waited for the first to leave the 1.5 s window.
    assert!(
        (created[3] - created[0]).num_milliseconds() >= 1500,
        "{gaps:?}"
    );

    // The fake does refuse a client that does not wait: the spacing above is the
    // client's doing.
    let hasty = fake.client_with(0, 100, 1);
    let refused = hasty.place_order(&order("ct-p9", &other, 1)).await;
    let refused = match refused {
        Ok(_) => hasty.place_order(&order("ct-p10", &other, 1)).await,
        e => e,
    };
    assert!(
        matches!(refused, Err(SupplierError::Retryable { .. })),
        "{refused:?}"
    );
    assert!(fake.get("bamboo").await["rate_limited"].as_u64().unwrap() >= 1);
}

/// The order engine over Bamboo: every lost answer ends in one supplier order, and
/// the code delivered is the one Bamboo issued.
#[tokio::test]
async fn the_engine_buys_once_per_sale_through_bamboo() {
    let fake = Fake::start(200).await;
    let sku = fake.product_id("STEAM-US-20").await;
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
        sku: sku.clone(),
        amount: None,
        tender: Tender::Card {
            terminal_ref: "T-1".into(),
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    };
    for kind in ["none", "create_then_500", "create_then_drop"] {
        if kind != "none" {
            fake.post(
                "faults",
                json!({ "endpoint": "orders.create", "kind": kind }),
            )
            .await;
        }
        let done = engine.sell(&sale).await.unwrap();
        assert_eq!(done.outcome, Outcome::Delivered, "{kind}: {:?}", done.order);
        let rid = request_id(&done.order.client_order_id);
        let at_supplier: Vec<Value> = fake
            .orders()
            .into_iter()
            .filter(|o| o["client_order_id"] == rid.as_str())
            .collect();
        assert_eq!(at_supplier.len(), 1, "{kind}: one supplier order");
        assert_eq!(
            done.codes[0].code,
            at_supplier[0]["codes"][0]["code"].as_str().unwrap(),
            "{kind}: the code delivered is Bamboo's"
        );
    }
}
