#![allow(clippy::unwrap_used)]
use super::print::{ReportSheet, SheetTimes};
use super::*;
use crate::delivery::{Language, Paper, Shop};
use crate::money::Currency;
use crate::orders::{NewOrder, Payment, insert_paid_sending, insert_quoted, record_payment};
use rust_decimal_macros::dec;

const TILL: Option<&str> = Some("till-1");

async fn shop() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
    crate::settings::set(db.pool(), crate::settings::SHOP_CURRENCY, "USD")
        .await
        .unwrap();
    (db, dir)
}

fn usd(s: &str) -> Money {
    Money::parse(s, Currency::USD).unwrap()
}

fn new_order(n: u32, till: Option<&str>, price: &str) -> NewOrder {
    NewOrder {
        client_order_id: format!("ct-shift-{n}"),
        channel: "counter",
        sku: "STEAM-US-20".into(),
        supplier: None,
        supplier_sku: None,
        name: "Steam 20".into(),
        region: "US".into(),
        face_value: usd("20"),
        redeem_url: None,
        redeem_instructions: None,
        quantity: 1,
        price: usd(price),
        max_unit_price: usd("18.00"),
        fx_rate: rust_decimal::Decimal::ONE,
        open_amount: false,
        email: None,
        staff: "asha".into(),
        till_id: till.map(str::to_string),
        print_to: None,
        language: Language::En,
        tax: None,
        invoice: None,
        buyer_tax_id: None,
        buyer: None,
    }
}

fn paid(method: &str, price: &str) -> Payment {
    Payment {
        method: method.into(),
        amount: usd(price),
        tendered: None,
        change: None,
        reference: None,
        staff: "asha".into(),
        taken_at: String::new(),
    }
}

async fn shift_of(db: &Db, client_order_id: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT shift_id FROM orders WHERE client_order_id = $1")
        .bind(client_order_id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

const LEASE: (&str, std::time::Duration) = ("test", std::time::Duration::from_secs(60));

#[tokio::test]
async fn one_shift_opens_per_till_and_bad_input_changes_nothing() {
    let (db, _dir) = shop().await;
    for (float, field) in [("-5", "float"), ("ten", "float"), ("1.001", "float")] {
        match open(&db, TILL, float, "asha").await {
            Err(ShiftError::BadInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{float}: {other:?}"),
        }
    }
    assert_eq!(count(&db, "SELECT count(*) FROM shifts").await, 0);
    let shift = open(&db, TILL, "100", "asha").await.unwrap();
    assert_eq!(shift.float, usd("100.00"));
    assert!(matches!(
        open(&db, TILL, "50", "ravi").await,
        Err(ShiftError::AlreadyOpen { .. })
    ));
    // Another till, and a till with no name, each have their own.
    open(&db, Some("till-2"), "50", "ravi").await.unwrap();
    open(&db, None, "0", "ravi").await.unwrap();
    assert!(matches!(
        open(&db, None, "0", "ravi").await,
        Err(ShiftError::AlreadyOpen { .. })
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM shifts").await, 3);

    assert!(matches!(
        move_cash(&db, TILL, CashMoveKind::Out, "10", "  ", "asha").await,
        Err(ShiftError::BadInput {
            field: "reason",
            ..
        })
    ));
    assert!(matches!(
        move_cash(&db, TILL, CashMoveKind::Out, "0", "bank", "asha").await,
        Err(ShiftError::BadInput {
            field: "amount",
            ..
        })
    ));
    assert!(matches!(
        move_cash(
            &db,
            Some("till-9"),
            CashMoveKind::In,
            "10",
            "change",
            "asha"
        )
        .await,
        Err(ShiftError::NoneOpen(_))
    ));
    assert!(matches!(
        close(&db, TILL, "x", "asha").await,
        Err(ShiftError::BadInput {
            field: "counted",
            ..
        })
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM shift_cash_moves").await, 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM shifts WHERE closed_at IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn orders_and_refunds_belong_to_the_shift_open_at_their_till() {
    let (db, _dir) = shop().await;
    // Paid before any shift: in none.
    insert_paid_sending(
        &db,
        &new_order(1, TILL, "10.00"),
        &paid("cash", "10.00"),
        LEASE,
    )
    .await
    .unwrap();
    assert_eq!(shift_of(&db, "ct-shift-1").await, None);

    let shift = open(&db, TILL, "100", "asha").await.unwrap();
    insert_paid_sending(
        &db,
        &new_order(2, TILL, "10.00"),
        &paid("card", "10.00"),
        LEASE,
    )
    .await
    .unwrap();
    assert_eq!(shift_of(&db, "ct-shift-2").await, Some(shift.id));
    // Another till's sale is not this shift's.
    insert_paid_sending(
        &db,
        &new_order(3, Some("till-2"), "10.00"),
        &paid("cash", "10.00"),
        LEASE,
    )
    .await
    .unwrap();
    assert_eq!(shift_of(&db, "ct-shift-3").await, None);
    // A quote belongs to no shift until it is paid (a remote payment, later).
    let quoted = insert_quoted(&db, &new_order(4, TILL, "10.00"))
        .await
        .unwrap();
    assert_eq!(shift_of(&db, "ct-shift-4").await, None);
    record_payment(&db, quoted, &paid("stripe", "10.00"), LEASE)
        .await
        .unwrap();
    assert_eq!(shift_of(&db, "ct-shift-4").await, Some(shift.id));

    // An order keeps its shift.
    let moved =
        sqlx::query("UPDATE orders SET shift_id = NULL WHERE client_order_id = 'ct-shift-2'")
            .execute(db.pool())
            .await;
    assert!(moved.is_err(), "an order stays in its shift");

    // A refund given now belongs to the shift open at the till that gives it,
    // whenever and wherever its order was paid.
    sqlx::query(
        "UPDATE orders SET status = 'refund_due', till_id = 'till-9'
          WHERE client_order_id = 'ct-shift-1'",
    )
    .execute(db.pool())
    .await
    .unwrap();
    crate::orders::record_refund(&db, "ORD-000001", "cash", None, "asha", TILL)
        .await
        .unwrap();
    assert_eq!(
        count(&db, "SELECT shift_id FROM refunds").await,
        shift.id,
        "given back in this till's shift"
    );
}

#[tokio::test]
async fn z_numbers_follow_each_other_and_a_closed_shift_never_changes() {
    let (db, _dir) = shop().await;
    open(&db, TILL, "100", "asha").await.unwrap();
    move_cash(
        &db,
        TILL,
        CashMoveKind::In,
        "20",
        "change from the bank",
        "asha",
    )
    .await
    .unwrap();
    move_cash(&db, TILL, CashMoveKind::Out, "5.50", "milk", "asha")
        .await
        .unwrap();
    let x = x_report(&db, TILL).await.unwrap();
    assert_eq!(x.kind, ReportKind::X);
    assert_eq!(x.cash.expected, usd("114.50"));
    assert_eq!(x.cash.counted, None);

    let z1 = close(&db, TILL, "114.00", "ravi").await.unwrap();
    assert_eq!(z1.kind, ReportKind::Z);
    assert_eq!(z1.z_number, Some(1));
    assert_eq!(z1.closed_by.as_deref(), Some("ravi"));
    assert_eq!(z1.cash.over_short, Some(usd("-0.50")));
    assert!(matches!(
        x_report(&db, TILL).await,
        Err(ShiftError::NoneOpen(_))
    ));
    assert!(matches!(
        close(&db, TILL, "1", "ravi").await,
        Err(ShiftError::NoneOpen(_))
    ));
    open(&db, Some("till-2"), "10", "ravi").await.unwrap();
    let z2 = close(&db, Some("till-2"), "10", "ravi").await.unwrap();
    assert_eq!(z2.z_number, Some(2), "numbered across the shop");
    open(&db, TILL, "100", "asha").await.unwrap();
    assert_eq!(
        close(&db, TILL, "100", "asha").await.unwrap().z_number,
        Some(3)
    );

    // What was kept at the close is what is read back.
    assert_eq!(z_report(&db, TILL, Some(1)).await.unwrap(), z1);
    assert_eq!(z_report(&db, TILL, None).await.unwrap().z_number, Some(3));
    assert_eq!(z_report(&db, Some("till-2"), None).await.unwrap(), z2);
    assert!(matches!(
        z_report(&db, Some("till-9"), None).await,
        Err(ShiftError::NoneClosed(_))
    ));

    // The database refuses any change to a closed shift or its cash moves.
    for sql in [
        "UPDATE shifts SET counted_minor = 11400 WHERE z_number = 1",
        "UPDATE shifts SET report = '{}' WHERE z_number = 1",
        "DELETE FROM shifts WHERE z_number = 1",
        "UPDATE shift_cash_moves SET amount_minor = 1",
        "DELETE FROM shift_cash_moves",
        "INSERT INTO shift_cash_moves (shift_id, kind, amount_minor, reason, staff, at)
             VALUES (1, 'in', 100, 'late', 'asha', '2026-01-01T00:00:00.000Z')",
    ] {
        assert!(sqlx::query(sql).execute(db.pool()).await.is_err(), "{sql}");
    }
    // A Z number skipped or repeated.
    open(&db, Some("till-5"), "0", "x").await.unwrap();
    for sql in [
        "UPDATE shifts SET z_number = 9, closed_by = 'x', closed_at = 'x', counted_minor = 0, report = '{}'
             WHERE till_id = 'till-5'",
        "UPDATE shifts SET z_number = 3, closed_by = 'x', closed_at = 'x', counted_minor = 0, report = '{}'
             WHERE till_id = 'till-5'",
    ] {
        assert!(sqlx::query(sql).execute(db.pool()).await.is_err(), "{sql}");
    }
    assert_eq!(z_report(&db, TILL, Some(1)).await.unwrap(), z1);
    assert_eq!(count(&db, "SELECT count(*) FROM shift_cash_moves").await, 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit_log WHERE action = 'shift_close'"
        )
        .await,
        3
    );
}

/// The report the golden files hold: every section filled.
fn sample(language: Language) -> ReportSheet {
    let m = |s: &str| usd(s);
    let report = ShiftReport {
        kind: ReportKind::Z,
        z_number: Some(42),
        till_id: Some("till-1".into()),
        currency: Currency::USD,
        opened_by: "asha".into(),
        opened_at: "2025-03-04T03:30:00.000Z".into(),
        closed_by: Some("ravi".into()),
        closed_at: Some("2025-03-04T12:30:00.000Z".into()),
        at: "2025-03-04T12:30:00.000Z".into(),
        sales: vec![
            MethodLine {
                method: "card".into(),
                count: 3,
                amount: m("65.97"),
            },
            MethodLine {
                method: "cash".into(),
                count: 5,
                amount: m("109.95"),
            },
            MethodLine {
                method: "stripe".into(),
                count: 1,
                amount: m("21.99"),
            },
        ],
        sales_count: 9,
        sales_total: m("197.91"),
        refunds: vec![MethodLine {
            method: "cash".into(),
            count: 1,
            amount: m("21.99"),
        }],
        refunds_count: 1,
        refunds_total: m("21.99"),
        net: m("175.92"),
        codes_issued: 8,
        delivered_sales: m("175.92"),
        cost: m("147.20"),
        margin: m("28.72"),
        margin_pct: Some(dec!(16.3)),
        by_category: vec![
            CategoryLine {
                category: "gift_card".into(),
                orders: 6,
                codes: 6,
                sales: m("131.94"),
                cost: m("110.40"),
                margin: m("21.54"),
                margin_pct: Some(dec!(16.3)),
            },
            CategoryLine {
                category: "mobile_topup".into(),
                orders: 2,
                codes: 2,
                sales: m("43.98"),
                cost: m("36.80"),
                margin: m("7.18"),
                margin_pct: Some(dec!(16.3)),
            },
        ],
        awaiting_supplier: 0,
        other_currency_orders: 0,
        cash: CashDrawer {
            float: m("100.00"),
            cash_sales: m("109.95"),
            cash_refunds: m("21.99"),
            cash_in: m("20.00"),
            cash_out: m("50.00"),
            expected: m("157.96"),
            counted: Some(m("157.50")),
            over_short: Some(m("-0.46")),
        },
        cash_moves: vec![
            CashMove {
                kind: CashMoveKind::In,
                amount: m("20.00"),
                reason: "change from the bank".into(),
                staff: "asha".into(),
                at: "2025-03-04T05:00:00.000Z".into(),
            },
            CashMove {
                kind: CashMoveKind::Out,
                amount: m("50.00"),
                reason: "banked".into(),
                staff: "ravi".into(),
                at: "2025-03-04T10:00:00.000Z".into(),
            },
        ],
    };
    ReportSheet {
        times: Some(SheetTimes {
            opened: "2025-03-04 09:00".into(),
            closed: Some("2025-03-04 18:00".into()),
            printed: "2025-03-04 18:00".into(),
        }),
        ..ReportSheet::new(
            report,
            Shop {
                name: "Corner Digital Store".into(),
                address: None,
            },
            language,
        )
    }
}

/// Compares with the file in `golden/`; `UPDATE_GOLDEN=1` rewrites it instead.
fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/shifts/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        actual, expected,
        "{name} changed; if that is intended, run with UPDATE_GOLDEN=1 and review the diff"
    );
}

#[test]
fn golden_z_report_80mm_english() {
    golden(
        "z-report-80mm-en.txt",
        &sample(Language::En).text(Paper::Mm80),
    );
}

#[test]
fn golden_z_report_80mm_hindi() {
    golden(
        "z-report-80mm-hi.txt",
        &sample(Language::Hi).text(Paper::Mm80),
    );
}

#[test]
fn golden_z_report_58mm_english() {
    golden(
        "z-report-58mm-en.txt",
        &sample(Language::En).text(Paper::Mm58),
    );
}

#[test]
fn a_report_prints_as_escpos_and_pdf_in_both_languages() {
    for language in [Language::En, Language::Hi] {
        let sheet = sample(language);
        for paper in [Paper::Mm80, Paper::Mm58] {
            let bytes = sheet.escpos(paper, None).unwrap();
            assert!(bytes.starts_with(b"\x1b@"), "initialised");
            assert!(
                bytes.windows(10).any(|w| w == b"Z-REPORT #"),
                "no font: in English"
            );
        }
        let pdf = sheet.pdf(None).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
    if let Some(font) = crate::delivery::raster::Font::find(None) {
        let bytes = sample(Language::Hi)
            .escpos(Paper::Mm80, Some(&font))
            .unwrap();
        // Devanagari goes as raster images (GS v 0).
        assert!(bytes.windows(3).any(|w| w == b"\x1dv0"));
    }
}
