//! Open-amount products (a supplier's RANGE products): synced with their bounds and
//! terms, quoted at the amount the buyer chose, refused outside the bounds before
//! anything is charged, and bought at that face value — sent again with it when an
//! order is finished later. The supplier here is a small one of the test's own behind
//! the `Supplier` trait (Wholesale API v1, the sandbox's contract, has no open
//! amounts); the real suppliers' fakes serve them over HTTP.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use codetill_core::catalog::{self, SyncOptions};
use codetill_core::money::{Currency, Money};
use codetill_core::orders::{CounterSale, Engine, OrderError, OrderStatus, Tender};
use codetill_core::product::{Category, OpenAmount, SupplierProduct};
use codetill_core::secrets::Redacted;
use codetill_core::supplier::{
    Balance, CatalogPage, CatalogRequest, DuplicateMode, IssuedCode, OrderRequest, Stock, Supplier,
    SupplierError, SupplierOrder, SupplierOrderStatus,
};
use rust_decimal_macros::dec;

const OPEN: &str = "RLD-77";
const FIXED: &str = "RLD-78-20";

fn eur(a: &str) -> Money {
    Money::parse(a, Currency::parse("EUR").unwrap()).unwrap()
}

fn usd(a: &str) -> Money {
    Money::parse(a, Currency::USD).unwrap()
}

#[derive(Default)]
struct RangeSupplier {
    orders: Mutex<Vec<OrderRequest>>,
}

fn product(sku: &str, open: Option<OpenAmount>) -> SupplierProduct {
    SupplierProduct {
        sku: sku.into(),
        name: "Zalando gift card".into(),
        brand: "Zalando".into(),
        category: Category::GiftCard,
        region: "DE".into(),
        face_value: if open.is_some() { eur("5") } else { eur("20") },
        wholesale: if open.is_some() {
            usd("5.54")
        } else {
            usd("21.50")
        },
        in_stock: true,
        redeem_url: None,
        redeem_instructions: None,
        updated_at: Utc::now(),
        open_amount: open,
    }
}

fn terms() -> OpenAmount {
    OpenAmount {
        min: eur("5"),
        max: eur("100"),
        cost_per_face: dec!(1.07),
        fee: usd("0.19"),
    }
}

#[async_trait]
impl Supplier for RangeSupplier {
    fn duplicate_mode(&self) -> DuplicateMode {
        DuplicateMode::RejectDuplicate
    }
    async fn catalog_page(&self, _: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        Ok(CatalogPage {
            products: vec![Ok(product(OPEN, Some(terms()))), Ok(product(FIXED, None))],
            next_cursor: None,
            total: Some(2),
        })
    }
    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        let p = product(sku, (sku == OPEN).then(terms));
        Ok(Stock {
            sku: sku.into(),
            available: true,
            quantity: None,
            wholesale: p.wholesale,
        })
    }
    async fn balance(&self) -> Result<Balance, SupplierError> {
        Ok(Balance {
            available: usd("5000"),
            updated_at: Utc::now(),
        })
    }
    async fn place_order(&self, r: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        self.orders.lock().unwrap().push(r.clone());
        Ok(SupplierOrder {
            order_id: format!("T-{}", r.client_order_id),
            client_order_id: r.client_order_id.clone(),
            status: SupplierOrderStatus::Completed,
            sku: r.sku.clone(),
            quantity: 1,
            unit_price: r.max_unit_price,
            total: r.max_unit_price,
            codes: vec![IssuedCode {
                code: Redacted::new("ZAL-1234-5678".to_string()),
                pin: None,
                serial: None,
                expires_at: None,
            }],
            failure: None,
            balance_after: None,
        })
    }
    async fn get_order(&self, _: &str) -> Result<Option<SupplierOrder>, SupplierError> {
        Ok(None)
    }
}

fn sale(sku: &str, amount: Option<rust_decimal::Decimal>) -> CounterSale {
    CounterSale {
        sku: sku.into(),
        amount,
        tender: Tender::Card {
            terminal_ref: "T-1".into(),
        },
        staff: "asha".into(),
        till_id: None,
        email: None,
    }
}

#[tokio::test]
async fn an_open_amount_product_is_sold_at_the_chosen_face_value() {
    let (_dir, db) = codetill_e2e::temp_db().await.unwrap();
    let supplier = Arc::new(RangeSupplier::default());
    let report = catalog::sync(
        &db,
        supplier.as_ref(),
        &SyncOptions::default(),
        &codetill_core::progress::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.received, 2);
    let stored = catalog::product_by_sku(db.pool(), OPEN)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.open_amount, Some(terms()));
    assert_eq!(
        catalog::product_by_sku(db.pool(), FIXED)
            .await
            .unwrap()
            .unwrap()
            .open_amount,
        None
    );

    let vault = Arc::new(codetill_core::vault::Vault::from_key(
        &codetill_e2e::VAULT_KEY,
    ));
    let engine = Engine::new(db.clone(), supplier.clone(), vault);

    // Refused before anything is written: no amount, out of bounds, an amount on a
    // fixed product.
    for (sku, amount, says) in [
        (OPEN, None, "give a face value from 5.00 to 100.00 EUR"),
        (OPEN, Some(dec!(4.99)), "4.99 is outside 5.00–100.00 EUR"),
        (OPEN, Some(dec!(100.01)), "outside"),
        (OPEN, Some(dec!(25.001)), "amount:"),
        (FIXED, Some(dec!(25)), "has a fixed face value"),
    ] {
        let err = engine.sell(&sale(sku, amount)).await.unwrap_err();
        assert!(matches!(err, OrderError::BadInput(_)), "{err:?}");
        assert!(err.to_string().contains(says), "{sku} {amount:?}: {err}");
        assert!(err.to_string().starts_with("amount:"), "{err}");
    }
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(none, 0);
    assert!(supplier.orders.lock().unwrap().is_empty());

    // 25 EUR costs 25 × 1.07 + 0.19 = 26.94 USD; the retail price follows from it.
    let quote = engine.quote_amount(OPEN, Some(dec!(25))).await.unwrap();
    assert_eq!(quote.wholesale, usd("26.94"));
    assert_eq!(quote.product.face_value, eur("25"));
    assert!(quote.price.amount > dec!(26.94), "{}", quote.price);
    let sold = engine.sell(&sale(OPEN, Some(dec!(25)))).await.unwrap();
    assert_eq!(sold.order.status, OrderStatus::Delivered);
    assert_eq!(sold.order.face_value, eur("25"));
    assert!(sold.order.open_amount);
    assert_eq!(sold.order.price, quote.price);
    let sent = supplier.orders.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].face_value, Some(eur("25")));
    assert_eq!(sent[0].max_unit_price, usd("26.94"));

    // A fixed product still sends no face value.
    engine.sell(&sale(FIXED, None)).await.unwrap();
    assert_eq!(supplier.orders.lock().unwrap()[1].face_value, None);
}
