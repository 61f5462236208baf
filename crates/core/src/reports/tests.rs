#![allow(clippy::unwrap_used)]
use super::*;
use rust_decimal_macros::dec;

async fn shop() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
    let now = crate::db::now_text();
    for (sku, category) in [("GC-20", "gift_card"), ("TOP-10", "mobile_topup")] {
        sqlx::query(
            "INSERT INTO products (sku, name, brand, category, region, face_minor, face_currency,
                 wholesale_minor, retail_minor, currency, in_stock, supplier_updated_at, updated_at)
             VALUES ($1, $1, 'b', $2, 'US', 1, 'USD', 1, 1, 'USD', 1, $3, $3)",
        )
        .bind(sku)
        .bind(category)
        .bind(&now)
        .execute(db.pool())
        .await
        .unwrap();
    }
    (db, dir)
}

/// A sale as the order row keeps it.
struct Sale {
    sku: &'static str,
    status: &'static str,
    paid_at: &'static str,
    price_minor: i64,
    currency: &'static str,
    cost_minor: i64,
    cost_currency: &'static str,
    fx_rate: &'static str,
    staff: &'static str,
    method: &'static str,
}

const SALE: Sale = Sale {
    sku: "GC-20",
    status: "delivered",
    paid_at: "2026-03-02T10:00:00.000Z",
    price_minor: 2199,
    currency: "USD",
    cost_minor: 1840,
    cost_currency: "USD",
    fx_rate: "1",
    staff: "asha",
    method: "cash",
};

async fn insert(db: &Db, n: i64, s: &Sale) {
    sqlx::query(
        "INSERT INTO orders (public_id, client_order_id, status, sku, name, region, face_minor,
             face_currency, price_minor, currency, max_unit_minor, wholesale_currency,
             supplier_total_minor, fx_rate, staff, created_at, paid_at, updated_at)
         VALUES (printf('ORD-%06d', $1), 'ct-' || $1, $2, $3, $3 || ' card', 'US', 2000, 'USD', $4, $5,
             $6, $7, $6, $8, $9, $10, $10, $10)",
    )
    .bind(n)
    .bind(s.status)
    .bind(s.sku)
    .bind(s.price_minor)
    .bind(s.currency)
    .bind(s.cost_minor)
    .bind(s.cost_currency)
    .bind(s.fx_rate)
    .bind(s.staff)
    .bind(s.paid_at)
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_minor, currency, staff, taken_at)
         VALUES ((SELECT id FROM orders WHERE client_order_id = 'ct-' || $1), $2, $3, $4, $5, $6)",
    )
    .bind(n)
    .bind(s.method)
    .bind(s.price_minor)
    .bind(s.currency)
    .bind(s.staff)
    .bind(s.paid_at)
    .execute(db.pool())
    .await
    .unwrap();
}

fn query(from: &str, to: &str, by: &str, offset: i32) -> SalesQuery {
    SalesQuery {
        utc_offset_minutes: offset,
        ..SalesQuery::parse(from, to, by).unwrap()
    }
}

fn keys(r: &SalesReport) -> Vec<(&str, String, String)> {
    r.rows
        .iter()
        .map(|r| (r.key.as_str(), r.sales.to_string(), r.margin.to_string()))
        .collect()
}

#[tokio::test]
async fn sales_cost_and_margin_by_time_with_each_sales_own_rate() {
    let (db, _dir) = shop().await;
    insert(&db, 1, &SALE).await;
    insert(
        &db,
        2,
        &Sale {
            paid_at: "2026-03-02T23:00:00.000Z",
            method: "card",
            ..SALE
        },
    )
    .await;
    // Sold in INR, bought in USD at two different rates.
    insert(
        &db,
        3,
        &Sale {
            paid_at: "2026-03-03T09:00:00.000Z",
            price_minor: 185_000,
            currency: "INR",
            cost_minor: 1840,
            fx_rate: "84.10",
            ..SALE
        },
    )
    .await;
    insert(
        &db,
        4,
        &Sale {
            paid_at: "2026-03-03T09:30:00.000Z",
            price_minor: 185_000,
            currency: "INR",
            cost_minor: 1840,
            fx_rate: "90.5",
            staff: "ravi",
            ..SALE
        },
    )
    .await;
    // Not sales: refunded, still open, outside the period.
    for (n, status, at) in [
        (5, "refunded", "2026-03-02T11:00:00.000Z"),
        (6, "ordering", "2026-03-02T11:00:00.000Z"),
        (7, "delivered", "2026-04-01T00:00:00.000Z"),
        (8, "delivered", "2026-02-28T23:59:59.999Z"),
    ] {
        insert(
            &db,
            n,
            &Sale {
                status,
                paid_at: at,
                ..SALE
            },
        )
        .await;
    }

    let by_day = sales(&db, &query("2026-03-01", "2026-03-31", "day", 0))
        .await
        .unwrap();
    assert_eq!(
        keys(&by_day),
        [
            (
                "2026-03-02",
                "43.98 USD".to_string(),
                "7.18 USD".to_string()
            ),
            // 1840 × 84.10 = 1547.44; 1850 − 1547.44 = 302.56; and at 90.5: 1665.20.
            (
                "2026-03-03",
                "3700.00 INR".to_string(),
                "487.36 INR".to_string()
            ),
        ]
    );
    let inr = &by_day.rows[1];
    assert_eq!(inr.cost.to_string(), "3212.64 INR");
    assert_eq!(inr.orders, 2);
    assert_eq!(inr.margin_pct, Some(dec!(13.2)));
    assert_eq!(by_day.totals.len(), 2, "one total per currency");

    // In India (UTC+5:30) the 23:00 UTC sale is on the 3rd.
    let ist = sales(&db, &query("2026-03-01", "2026-03-31", "day", 330))
        .await
        .unwrap();
    assert_eq!(
        ist.rows
            .iter()
            .map(|r| (r.key.as_str(), r.orders))
            .collect::<Vec<_>>(),
        // 23:59 UTC on 28 February is 1 March in India: in the period.
        [
            ("2026-03-01", 1),
            ("2026-03-02", 1),
            ("2026-03-03", 2),
            ("2026-03-03", 1)
        ]
    );
    assert_eq!(ist.totals[1].orders + ist.totals[0].orders, 5);

    let by_week = sales(&db, &query("2026-03-01", "2026-03-31", "week", 0))
        .await
        .unwrap();
    assert_eq!(by_week.rows[0].key, "2026-03-02", "weeks start on Monday");
    let by_month = sales(&db, &query("2026-02-01", "2026-04-30", "month", 0))
        .await
        .unwrap();
    assert_eq!(
        by_month
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.currency.code(), r.orders))
            .collect::<Vec<_>>(),
        [
            ("2026-02", "USD", 1),
            ("2026-03", "INR", 2),
            ("2026-03", "USD", 2),
            ("2026-04", "USD", 1)
        ]
    );
}

#[tokio::test]
async fn sales_by_product_category_staff_payment_and_supplier() {
    let (db, _dir) = shop().await;
    insert(&db, 1, &SALE).await;
    insert(
        &db,
        2,
        &Sale {
            sku: "TOP-10",
            price_minor: 1099,
            cost_minor: 980,
            staff: "ravi",
            method: "card",
            ..SALE
        },
    )
    .await;
    insert(
        &db,
        3,
        &Sale {
            sku: "GONE-1",
            method: "stripe",
            ..SALE
        },
    )
    .await;
    let by = |by: &'static str| {
        let db = db.clone();
        async move {
            sales(&db, &query("2026-03-01", "2026-03-31", by, 0))
                .await
                .unwrap()
        }
    };
    let product = by("product").await;
    assert_eq!(
        product
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.name.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("GC-20", Some("GC-20 card")),
            ("GONE-1", Some("GONE-1 card")),
            ("TOP-10", Some("TOP-10 card"))
        ],
        "largest sales first"
    );
    let category = by("category").await;
    assert_eq!(
        keys(&category),
        [
            ("gift_card", "21.99 USD".to_string(), "3.59 USD".to_string()),
            ("other", "21.99 USD".to_string(), "3.59 USD".to_string()),
            (
                "mobile_topup",
                "10.99 USD".to_string(),
                "1.19 USD".to_string()
            ),
        ]
    );
    let staff = by("staff").await;
    assert_eq!(
        staff
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.orders))
            .collect::<Vec<_>>(),
        [("asha", 2), ("ravi", 1)]
    );
    let payment = by("payment").await;
    assert_eq!(
        payment
            .rows
            .iter()
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        ["cash", "stripe", "card"]
    );
    let supplier = by("supplier").await;
    assert_eq!(supplier.rows.len(), 1);
    assert_eq!(supplier.rows[0].orders, 3);
    assert_eq!(supplier.totals[0].sales.to_string(), "54.97 USD");
    assert_eq!(supplier.totals[0].margin.to_string(), "8.37 USD");
    // An order bought from a named account is that account's.
    sqlx::query("UPDATE orders SET supplier = 'bamboo-in' WHERE client_order_id = 'ct-2'")
        .execute(db.pool())
        .await
        .unwrap();
    let supplier = by("supplier").await;
    assert_eq!(
        supplier
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.orders))
            .collect::<Vec<_>>(),
        [("supplier", 2), ("bamboo-in", 1)]
    );
}

#[test]
fn bad_input_names_the_field() {
    let field = |r: Result<SalesQuery, ReportError>| match r {
        Err(ReportError::BadInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(SalesQuery::parse("2026-13-01", "2026-03-01", "day")),
        "from"
    );
    assert_eq!(
        field(SalesQuery::parse("2026-03-01", "tomorrow", "day")),
        "to"
    );
    assert_eq!(
        field(SalesQuery::parse("2026-03-02", "2026-03-01", "day")),
        "to"
    );
    assert_eq!(
        field(SalesQuery::parse("2026-03-01", "2026-03-01", "hour")),
        "by"
    );
    assert!(SalesQuery::parse("2026-03-01", "2026-03-01", " Day ").is_ok());
}

#[test]
fn csv_quotes_and_defuses_what_it_must() {
    let usd = |m| Money::from_minor(m, Currency::USD);
    let row = |key: &str| SalesRow {
        key: key.into(),
        name: Some("=HYPERLINK(\"x\"), card".into()),
        currency: Currency::USD,
        orders: 1,
        codes: 1,
        sales: usd(2199),
        tax: usd(0),
        cost: usd(1840),
        margin: usd(359),
        margin_pct: Some(dec!(16.3)),
    };
    let report = SalesReport {
        from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        by: GroupBy::Product,
        till: None,
        rows: vec![row("GC-20")],
        totals: vec![row("total")],
    };
    assert_eq!(
        csv(&report),
        "key,name,currency,orders,codes,sales,cost,margin,margin_pct,tax\n\
         GC-20,\"'=HYPERLINK(\"\"x\"\"), card\",USD,1,1,21.99,18.40,3.59,16.3,0.00\n\
         total,\"'=HYPERLINK(\"\"x\"\"), card\",USD,1,1,21.99,18.40,3.59,16.3,0.00\n"
    );
}

/// A new order row: status, minutes after 2026-03-01 00:00 UTC it was paid (None:
/// never), quantity, price, currency, cost (None: only the most per unit is known),
/// rate, tax and till.
#[derive(Debug, Clone)]
struct NewRow {
    status: &'static str,
    paid_minute: Option<i64>,
    quantity: i64,
    price_minor: i64,
    currency: &'static str,
    cost_minor: Option<i64>,
    fx_rate: Option<&'static str>,
    tax_minor: Option<i64>,
    till: Option<&'static str>,
}

/// What happens to an order row, in the order it happens.
#[derive(Debug, Clone)]
enum Step {
    Insert(NewRow),
    /// The n-th order (modulo how many there are) moves to a status.
    Status(usize, &'static str),
    /// The supplier's total for the n-th order becomes known, or changes.
    Cost(usize, i64),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let status = prop::sample::select(vec!["paid", "delivered", "refunded", "failed"]);
    prop_oneof![
        3 => (
            status.clone(),
            prop::option::weighted(0.9, 0i64..(3 * 24 * 60)),
            1i64..=3,
            0i64..100_000,
            prop::sample::select(vec!["USD", "INR"]),
            prop::option::of(0i64..50_000),
            prop::option::of(prop::sample::select(vec!["1", "83.95", "84.10"])),
            prop::option::of(0i64..5_000),
            prop::option::of(prop::sample::select(vec!["front", "back"])),
        )
            .prop_map(
                |(status, paid_minute, quantity, price_minor, currency, cost_minor, fx_rate, tax_minor, till)| {
                    Step::Insert(NewRow { status, paid_minute, quantity, price_minor, currency,
                        cost_minor, fx_rate, tax_minor, till })
                }
            ),
        1 => (any::<usize>(), status).prop_map(|(n, s)| Step::Status(n, s)),
        1 => (any::<usize>(), 0i64..50_000).prop_map(|(n, c)| Step::Cost(n, c)),
    ]
}

async fn apply(db: &Db, steps: &[Step]) {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_time(NaiveTime::MIN)
        .and_utc();
    let mut ids: Vec<i64> = Vec::new();
    for step in steps {
        match step {
            Step::Insert(row) => {
                // Seconds and milliseconds inside the minute, so that quarters are
                // cut at their exact edge.
                let paid = row.paid_minute.map(|m| {
                    crate::db::time_text(
                        start + Duration::minutes(m) + Duration::milliseconds(m * 7919 % 60_000),
                    )
                });
                let n = ids.len() as i64;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO orders (public_id, client_order_id, status, sku, name, region,
                         face_minor, face_currency, quantity, price_minor, currency, max_unit_minor,
                         wholesale_currency, supplier_total_minor, fx_rate, tax_minor, staff,
                         till_id, created_at, paid_at, updated_at)
                     VALUES (printf('ORD-%06d', $1), 'ct-' || $1, $2, 'GC-20', 'card', 'US', 2000,
                         'USD', $3, $4, $5, 1999, 'USD', $6, $7, $8, 'asha', $10,
                         '2026-03-01T00:00:00.000Z', $9, '2026-03-01T00:00:00.000Z')
                     RETURNING id",
                )
                .bind(n)
                .bind(row.status)
                .bind(row.quantity)
                .bind(row.price_minor)
                .bind(row.currency)
                .bind(row.cost_minor)
                .bind(row.fx_rate)
                .bind(row.tax_minor)
                .bind(paid)
                .bind(row.till)
                .fetch_one(db.pool())
                .await
                .unwrap();
                ids.push(id);
            }
            Step::Status(n, status) if !ids.is_empty() => {
                sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
                    .bind(status)
                    .bind(ids[n % ids.len()])
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
            Step::Cost(n, cost) if !ids.is_empty() => {
                sqlx::query("UPDATE orders SET supplier_total_minor = $1 WHERE id = $2")
                    .bind(cost)
                    .bind(ids[n % ids.len()])
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
            Step::Status(..) | Step::Cost(..) => {}
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// The quarter-hour sums the triggers keep give the same report as reading
    /// every order, whatever the orders went through, in any time zone, for the
    /// shop or one till.
    #[test]
    fn quarters_report_what_the_orders_say(
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (db, _dir) = shop().await;
            apply(&db, &steps).await;
            for by in ["day", "week", "month", "till"] {
                for offset in [0, 330, 345, -300, -570, 840] {
                    for till in [None, Some("front")] {
                        let q = query("2026-02-28", "2026-03-04", by, offset).at_till(till).unwrap();
                        assert_eq!(Source::for_query(&q), Source::Quarters);
                        let orders = sales_from(&db, &q, Source::Orders).await.unwrap();
                        let quarters = sales_from(&db, &q, Source::Quarters).await.unwrap();
                        assert_eq!(orders, quarters, "by {by}, offset {offset}, till {till:?}");
                    }
                }
            }
            db.close().await;
        });
    }
}

#[test]
fn a_day_that_starts_off_the_quarter_reads_the_orders() {
    assert_eq!(
        Source::for_query(&query("2026-03-01", "2026-03-02", "day", 7)),
        Source::Orders
    );
    assert_eq!(
        Source::for_query(&query("2026-03-01", "2026-03-02", "product", 330)),
        Source::Orders
    );
}

#[tokio::test]
async fn a_report_for_one_till_and_by_till() {
    let (db, _dir) = shop().await;
    for (n, price, till) in [
        (1, 1000, Some("front")),
        (2, 2000, Some("front")),
        (3, 4000, Some("back")),
        (4, 8000, None),
    ] {
        insert(
            &db,
            n,
            &Sale {
                price_minor: price,
                ..SALE
            },
        )
        .await;
        // Written after the sale, as a correction would be: the sums follow it.
        sqlx::query("UPDATE orders SET till_id = $1 WHERE client_order_id = 'ct-' || $2")
            .bind(till)
            .bind(n)
            .execute(db.pool())
            .await
            .unwrap();
    }

    let by_till = sales(&db, &query("2026-03-01", "2026-03-31", "till", 0))
        .await
        .unwrap();
    let rows: Vec<(&str, i64, String)> = by_till
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.orders, r.sales.to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            ("unnamed", 1, "80.00 USD".to_string()),
            ("back", 1, "40.00 USD".to_string()),
            ("front", 2, "30.00 USD".to_string()),
        ]
    );
    assert_eq!(by_till.till, None);

    let back = query("2026-03-01", "2026-03-31", "day", 0)
        .at_till(Some(" back "))
        .unwrap();
    let report = sales(&db, &back).await.unwrap();
    assert_eq!(report.till.as_deref(), Some("back"));
    assert_eq!(report.totals.len(), 1);
    assert_eq!(report.totals[0].orders, 1);
    assert_eq!(report.totals[0].sales.to_string(), "40.00 USD");
    // The same narrowed report read from the orders.
    assert_eq!(sales_from_orders(&db, &back).await.unwrap(), report);

    assert_eq!(tills(&db).await.unwrap(), ["back", "front"]);
    let blank = query("2026-03-01", "2026-03-31", "day", 0)
        .at_till(Some("  "))
        .unwrap();
    assert_eq!(blank.till, None);
    let err = query("2026-03-01", "2026-03-31", "day", 0)
        .at_till(Some("a\nb"))
        .unwrap_err();
    assert!(err.to_string().starts_with("till: "), "{err}");
}
