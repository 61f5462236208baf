//! Sell now, deliver when the supplier returns: with the supplier down, paid sales
//! are taken as claims (numbered, their slip queued), no sale waits on the dead
//! supplier once its breaker is open, and when it answers again recovery buys every
//! claim once, in order, and the buyers get their emails from a real SMTP server.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use codetill_core::delivery::email::SmtpConfig;
use codetill_core::delivery::outbox::{Due, Outbox};
use codetill_core::delivery::{DeliveryConfig, SmtpSetting};
use codetill_core::money::{Currency, Money};
use codetill_core::orders::claim;
use codetill_core::orders::{
    CounterSale, DeliveryRequest, OrderError, OrderStatus, Outcome, Refusal, Tender,
};
use codetill_core::supplier::breaker::THRESHOLD;
use codetill_e2e::Shop;
use codetill_e2e::smtp::{SmtpServer, free_addr};
use serde_json::json;

const SKU: &str = "STEAM-US-20";

fn cash(email: Option<String>) -> CounterSale {
    CounterSale {
        sku: SKU.into(),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse("50", Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email,
    }
}

async fn claims_on(shop: &Shop, hours: Option<u32>) {
    let mut tx = shop.db.begin_write().await.unwrap();
    claim::write_terms(&mut tx, true, hours).await.unwrap();
    tx.commit().await.unwrap();
}

/// Every request to the supplier now goes unanswered (the connection dropped).
async fn supplier_down(shop: &Shop) {
    shop.sandbox
        .control(
            "faults",
            json!({"endpoint": "any", "kind": "drop", "times": 0}),
        )
        .await
        .unwrap();
}

async fn requests(shop: &Shop) -> u64 {
    let c = shop.sandbox.counters().await.unwrap();
    [
        "stock_requests",
        "balance_requests",
        "order_posts",
        "order_gets",
    ]
    .iter()
    .map(|k| c[k].as_u64().unwrap_or(0))
    .sum()
}

async fn count(shop: &Shop, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(shop.db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_claims_while_the_supplier_is_down_are_each_bought_once_in_order_when_it_returns() {
    let shop = Shop::open(50).await.unwrap();
    claims_on(&shop, None).await;
    let smtp_addr = free_addr();
    let smtp = SmtpServer::start(smtp_addr);
    supplier_down(&shop).await;
    let before = requests(&shop).await;

    let mut claims = Vec::new();
    let mut slow = 0;
    for i in 0..20 {
        let started = Instant::now();
        let sale = shop
            .engine
            .sell_with(
                &cash(Some(format!("buyer{i}@example.com"))),
                &DeliveryRequest::default(),
            )
            .await
            .unwrap();
        if started.elapsed() > Duration::from_millis(200) {
            slow += 1;
        }
        assert!(
            matches!(sale.outcome, Outcome::Open { .. }),
            "{:?}",
            sale.outcome
        );
        assert_eq!(sale.order.status, OrderStatus::Paid);
        assert!(sale.codes.is_empty());
        let number = sale.order.claim.clone().expect("taken as a claim").number;
        assert_eq!(number, sale.order.public_id.replace("ORD-", "CLM-"));
        claims.push(sale.order.public_id.clone());
    }
    // The breaker opened within three failed calls: the supplier was asked no more,
    // and only the sales before it waited for their timeout.
    let asked = requests(&shop).await - before;
    assert!(
        asked <= u64::from(THRESHOLD),
        "the dead supplier was asked {asked} times"
    );
    assert!(
        slow <= THRESHOLD as usize,
        "{slow} sales waited on the dead supplier"
    );
    assert!(!shop.engine.suppliers().is_up(None));
    assert_eq!(count(&shop, "SELECT count(*) FROM payments").await, 20);
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM outbox WHERE payload = 'claim' AND kind = 'email'"
        )
        .await,
        20,
        "each buyer's slip is queued for email"
    );

    // Recovery while it is still down leaves them all waiting, without waiting itself.
    let started = Instant::now();
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(report.open.len(), 20, "{report:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&shop).await - before, asked);
    assert_eq!(
        count(&shop, "SELECT count(*) FROM orders WHERE status = 'paid'").await,
        20,
        "untouched: never marked sent while the supplier is down"
    );

    // Back: the probe closes the breaker and recovery buys every claim, oldest first.
    shop.sandbox.clear_faults().await.unwrap();
    assert!(shop.engine.suppliers().probe_down().await);
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(report.delivered, claims, "{report:?}");
    let at_supplier = shop.supplier_orders().await.unwrap();
    assert_eq!(at_supplier.len(), 20, "one supplier order per claim");
    let delivered: Vec<String> = sqlx::query_scalar(
        "SELECT public_id FROM orders WHERE status = 'delivered' ORDER BY delivered_at, id",
    )
    .fetch_all(shop.db.pool())
    .await
    .unwrap();
    assert_eq!(
        delivered, claims,
        "delivered in the order the claims were taken"
    );
    // A second recovery has nothing left to do.
    let again = shop.engine.recover().await.unwrap();
    assert_eq!(again.examined, 0);
    assert_eq!(shop.supplier_orders().await.unwrap().len(), 20);

    // The emails: each buyer's slip, then their code.
    let outbox = Outbox::new(
        shop.db.clone(),
        Arc::new(codetill_core::vault::Vault::from_key(
            &codetill_e2e::VAULT_KEY,
        )),
        DeliveryConfig {
            smtp: SmtpSetting::Ready(SmtpConfig::parse(&SmtpServer::url(smtp_addr)).unwrap()),
            ..DeliveryConfig::none()
        },
    );
    outbox
        .send_queued(Due::All, Duration::from_secs(5))
        .await
        .unwrap();
    let mail = smtp.wait_for(40);
    for i in 0..20 {
        let to = format!("buyer{i}@example.com");
        let theirs: Vec<_> = mail.iter().filter(|m| m["to"] == to.as_str()).collect();
        assert_eq!(theirs.len(), 2, "{to}: {theirs:?}");
        let slip = theirs
            .iter()
            .find(|m| m["subject"].as_str().unwrap().starts_with("Your claim"))
            .expect("the slip");
        assert!(slip["text"].as_str().unwrap().contains("CLM-"), "{slip}");
        assert!(
            theirs
                .iter()
                .any(|m| m["subject"].as_str().unwrap().starts_with("Your code")),
            "{theirs:?}"
        );
    }
}

#[tokio::test]
async fn with_claims_off_the_sale_is_refused_and_fast_once_the_breaker_is_open() {
    let shop = Shop::open(50).await.unwrap();
    supplier_down(&shop).await;
    let before = requests(&shop).await;
    for _ in 0..THRESHOLD {
        let err = shop.engine.sell(&cash(None)).await.unwrap_err();
        assert!(
            matches!(
                err,
                OrderError::Refused(Refusal::SupplierUnavailable { .. })
            ),
            "{err:?}"
        );
    }
    let started = Instant::now();
    let err = shop.engine.sell(&cash(None)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("down"), "{err}");
    assert_eq!(requests(&shop).await - before, u64::from(THRESHOLD));
    assert_eq!(count(&shop, "SELECT count(*) FROM orders").await, 0);
    assert_eq!(count(&shop, "SELECT count(*) FROM payments").await, 0);
}

#[tokio::test]
async fn a_claim_past_the_owner_s_limit_becomes_refund_due_and_is_never_bought() {
    let shop = Shop::open(50).await.unwrap();
    claims_on(&shop, Some(1)).await;
    supplier_down(&shop).await;
    // Three sales: their quotes' failed calls open the breaker.
    let mut claims = Vec::new();
    for _ in 0..THRESHOLD {
        let sale = shop.engine.sell(&cash(None)).await.unwrap();
        assert!(sale.order.claim.is_some());
        claims.push(sale.order.public_id);
    }
    // Recoveries while the supplier is down leave them waiting as they were: never
    // marked sent, so nothing stands in the way of a refund.
    for _ in 0..3 {
        shop.engine.recover().await.unwrap();
    }
    assert_eq!(
        count(&shop, "SELECT count(*) FROM orders WHERE status = 'paid'").await,
        i64::from(THRESHOLD)
    );
    taken_two_hours_ago(&shop).await;
    shop.sandbox.clear_faults().await.unwrap();
    shop.engine.suppliers().probe_down().await;
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(report.refund_due, claims);
    for id in &claims {
        let order = codetill_core::orders::find(&shop.db, id).await.unwrap();
        assert_eq!(order.status, OrderStatus::RefundDue);
        assert_eq!(order.failure.unwrap().code, "claim_expired");
    }
    assert!(shop.supplier_orders().await.unwrap().is_empty());
}

/// The supplier takes quotes but no order call is answered (nothing created).
async fn orders_cut_off(shop: &Shop) {
    for endpoint in ["orders.create", "orders.get"] {
        shop.sandbox
            .control(
                "faults",
                json!({"endpoint": endpoint, "kind": "drop", "times": 0}),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_sale_cut_off_after_payment_becomes_a_claim_and_is_finished_once() {
    let shop = Shop::open(50).await.unwrap();
    claims_on(&shop, None).await;
    orders_cut_off(&shop).await;
    let sale = shop
        .engine
        .sell(&cash(Some("late@example.com".into())))
        .await
        .unwrap();
    assert!(
        matches!(sale.outcome, Outcome::Open { .. }),
        "{:?}",
        sale.outcome
    );
    let number = sale.order.claim.clone().expect("a claim").number;
    assert!(sale.order.status.is_open());
    // The claim number finds the order, as the slip's QR code does at the counter.
    let found = codetill_core::orders::find(&shop.db, &number)
        .await
        .unwrap();
    assert_eq!(found.id, sale.order.id);
    shop.sandbox.clear_faults().await.unwrap();
    shop.engine.suppliers().probe_down().await;
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(report.delivered, vec![sale.order.public_id.clone()]);
    assert_eq!(shop.supplier_orders().await.unwrap().len(), 1);
}

async fn taken_two_hours_ago(shop: &Shop) {
    let two_hours_ago =
        codetill_core::db::time_text(chrono::Utc::now() - chrono::Duration::hours(2));
    sqlx::query("UPDATE orders SET claimed_at = $1")
        .bind(two_hours_ago)
        .execute(shop.db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_claim_cut_off_after_payment_and_past_the_limit_is_refunded_never_bought() {
    let shop = Shop::open(50).await.unwrap();
    claims_on(&shop, Some(1)).await;
    orders_cut_off(&shop).await;
    let sale = shop.engine.sell(&cash(None)).await.unwrap();
    assert!(sale.order.claim.is_some(), "{:?}", sale.outcome);
    // It may have reached the supplier: it waits as sent, not as paid.
    assert!(
        matches!(
            sale.order.status,
            OrderStatus::Ordering | OrderStatus::Unknown
        ),
        "{:?}",
        sale.order.status
    );
    taken_two_hours_ago(&shop).await;
    // The supplier is back long after the slip's limit, with no such order: the
    // buyer was promised a refund by now, so the code is not bought.
    shop.sandbox.clear_faults().await.unwrap();
    shop.engine.suppliers().probe_down().await;
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(report.refund_due, vec![sale.order.public_id.clone()]);
    let order = codetill_core::orders::find(&shop.db, &sale.order.public_id)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::RefundDue);
    assert_eq!(order.failure.unwrap().code, "claim_expired");
    assert!(shop.supplier_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_claim_whose_account_the_supplier_refuses_stays_unsent_and_can_expire() {
    let shop = Shop::open(50).await.unwrap();
    claims_on(&shop, Some(1)).await;
    // A till whose API key the supplier no longer takes: every call is refused.
    let supplier: Arc<dyn codetill_core::supplier::Supplier> = Arc::new(
        shop.sandbox
            .client_with("revoked-key", Duration::from_millis(600))
            .unwrap(),
    );
    let vault = Arc::new(codetill_core::vault::Vault::from_key(
        &codetill_e2e::VAULT_KEY,
    ));
    let engine = codetill_core::orders::Engine::new(shop.db.clone(), supplier, vault);
    let sale = engine.sell(&cash(None)).await.unwrap();
    assert!(sale.order.claim.is_some(), "{:?}", sale.outcome);
    // Recovery sends it; the supplier refuses the account before reading the
    // order, so the order is unsent as before.
    for _ in 0..2 {
        engine.suppliers().probe_down().await;
        engine.recover().await.unwrap();
        let order = codetill_core::orders::find(&shop.db, &sale.order.public_id)
            .await
            .unwrap();
        assert_eq!(order.status, OrderStatus::Paid);
    }
    taken_two_hours_ago(&shop).await;
    let report = engine.recover().await.unwrap();
    assert_eq!(report.refund_due, vec![sale.order.public_id.clone()]);
    let order = codetill_core::orders::find(&shop.db, &sale.order.public_id)
        .await
        .unwrap();
    assert_eq!(order.failure.unwrap().code, "claim_expired");
    assert!(shop.supplier_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_supplier_whose_balance_alone_fails_is_not_kept_down() {
    let shop = Shop::open(50).await.unwrap();
    shop.sandbox
        .control(
            "faults",
            json!({"endpoint": "balance", "kind": "error_500", "times": 0}),
        )
        .await
        .unwrap();
    shop.engine.suppliers().mark_down(None, "three timeouts");
    assert!(!shop.engine.suppliers().is_up(None));
    // The health check's probe: the balance fails, the catalog answers.
    assert!(shop.engine.suppliers().probe_down().await);
    assert!(shop.engine.suppliers().is_up(None));
}
