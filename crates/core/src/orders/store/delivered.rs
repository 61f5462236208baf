//! The delivering batch: a completed supplier order's codes sealed and written, the
//! order marked delivered, and its email and receipt queued in the outbox, all in one
//! write batch, so a delivered order always has its codes and its messages.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::reveal::code_context;
use super::row::{OrderRow, SELECT};
use crate::db::{Batch, Db, now_text};
use crate::orders::OrderError;
use crate::orders::model::{Order, RevealedCode};
use crate::orders::state::{OrderStatus, sql_list};
use crate::supplier::SupplierOrder;
use crate::vault::Vault;

/// An order this process just delivered, and its codes as delivered.
pub(crate) struct Delivered {
    pub order: Order,
    pub codes: Vec<RevealedCode>,
}

/// Marks the order delivered and writes its codes, encrypted, in one transaction;
/// hands back the order and the codes as delivered. None when this process no
/// longer holds the order.
pub(crate) async fn deliver(
    db: &Db,
    vault: &Vault,
    id: i64,
    owner: &str,
    supplier_order: &SupplierOrder,
) -> Result<Option<Delivered>, OrderError> {
    let codes = &supplier_order.codes;
    // Each later statement runs only when the one before it wrote what it should
    // have: the UPDATE one row, then the codes all theirs.
    let written = if codes.is_empty() { 1 } else { codes.len() };
    let mut batch = Batch::new(delivered_sql(codes.len()))
        .bind_named(":supplier_order", supplier_order.order_id.clone())
        .bind_named(":supplier_total", supplier_order.total.to_minor().ok())
        .bind_named(":now", now_text())
        .bind_named(":order_id", id)
        .bind_named(":owner", owner.to_string())
        .bind_named(":written", i64::try_from(written).unwrap_or(i64::MAX))
        .bind(id);
    for (seq, code) in codes.iter().enumerate() {
        let seq = seq as i64;
        let pin = code
            .pin
            .as_ref()
            .map(|p| vault.seal(p.expose(), &code_context(id, seq, "pin")))
            .transpose()?;
        batch = batch
            .bind(seq)
            .bind(vault.seal(code.code.expose(), &code_context(id, seq, "code"))?)
            .bind(pin)
            .bind(code.serial.clone())
            .bind(code.expires_at.clone());
    }
    // The UPDATE's id, then the order; the order alone when nothing was delivered.
    let rows = db.write_batch(batch.row_guarded()).await?;
    let [_, order] = rows.as_slice() else {
        return Ok(None);
    };
    let order = order.decode::<OrderRow>()?.try_into()?;
    let codes = codes
        .iter()
        .map(|c| RevealedCode {
            code: c.code.expose().to_string(),
            pin: c.pin.as_ref().map(|p| p.expose().to_string()),
            serial: c.serial.clone(),
            expires_at: c.expires_at.clone(),
        })
        .collect();
    Ok(Some(Delivered { order, codes }))
}

/// The delivered batch for an order of `codes` codes, guarded by the order's row
/// ([`Batch::row_guarded`]): the event (with the status it leaves), the status and the supplier's facts,
/// the sealed codes and the queued email and receipt, all guarded by the lease and
/// the state machine; when the guard matches nothing, the batch writes nothing. Then
/// the order as it now stands, for the sale's screen.
///
/// Parameters: `:supplier_order`, `:supplier_total`, `:now`, `:order_id`, `:owner`,
/// `:written` (what the statement before the queueing must have changed). The codes'
/// statement takes numbered ones only, `$1` the order and then five per code (seq,
/// sealed code, sealed pin, serial, expiry).
/// The text is built once for every count an order can have, so each statement is
/// prepared once.
fn delivered_sql(codes: usize) -> Cow<'static, str> {
    static BUILT: LazyLock<Vec<String>> =
        LazyLock::new(|| (0..=MAX_QUANTITY).map(build_delivered_sql).collect());
    match BUILT.get(codes) {
        Some(sql) => Cow::Borrowed(sql.as_str()),
        None => Cow::Owned(build_delivered_sql(codes)),
    }
}

/// The most codes an order has (the schema's limit on its quantity).
const MAX_QUANTITY: usize = 10;

fn build_delivered_sql(codes: usize) -> String {
    let from = sql_list(OrderStatus::sources(OrderStatus::Delivered));
    let delivered = sql_list([OrderStatus::Delivered]);
    // The first statement only locks the order's row, if this till still holds it:
    // on PostgreSQL the batch runs outside the shop's write lock, and from here on
    // nobody else may move the order while the event reads its status.
    let mut sql = format!(
        "UPDATE orders SET lease_owner = :owner
          WHERE id = :order_id AND lease_owner = :owner AND status IN ({from});
         INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         SELECT id, :now, status, {delivered}, :supplier_order FROM orders
          WHERE id = :order_id AND lease_owner = :owner AND status IN ({from});
         UPDATE orders SET status = {delivered}, updated_at = :now,
             supplier_order_id = :supplier_order, supplier_status = 'completed',
             supplier_total_minor = :supplier_total, delivered_at = :now, closed_at = :now,
             lease_owner = NULL, lease_expires_at = NULL, failure_code = NULL,
             failure_message = NULL
          WHERE id = :order_id AND lease_owner = :owner AND status IN ({from})
         RETURNING id;\n"
    );
    if codes > 0 {
        let rows: Vec<String> = (0..codes)
            .map(|seq| {
                let p = 2 + 5 * seq;
                // Typed where they stand: PostgreSQL reads a parameter in VALUES
                // as text (BLOB is its bytea there, migrations/postgres/0002).
                format!(
                    "(CAST(${p} AS INTEGER), CAST(${} AS BLOB), CAST(${} AS BLOB), ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4
                )
            })
            .collect();
        sql.push_str(&format!(
            "INSERT INTO order_codes (order_id, seq, code_ct, pin_ct, serial, expires_at)
         SELECT $1, column1, column2, column3, column4, column5 FROM (VALUES {}) AS v
          WHERE changes() = 1;\n",
            rows.join(", ")
        ));
    }
    sql.push_str(ENQUEUE_DELIVERY);
    sql.push_str(&format!(";\n{SELECT} WHERE o.id = :order_id"));
    sql
}

/// The delivered batch's statement that queues the order's email (when it has an
/// address) and its receipt (when one was asked for), email first, so a delivered
/// order always has its messages. It writes only when the statement before it
/// changed `:written` rows, that is when the batch did deliver the order.
const ENQUEUE_DELIVERY: &str = "INSERT INTO outbox (kind, order_id, destination, payload, reprint_no, language,
             status, attempts, next_attempt_at, requested_by, created_at, updated_at)
         SELECT kind, id, destination, 'receipt', NULL, language, 'queued', 0, :now, staff, :now, :now
           FROM (SELECT 1 AS n, 'email' AS kind, id, trim(email) AS destination, language, staff
                   FROM orders WHERE id = :order_id
                 UNION ALL
                 SELECT 2, 'print', id, trim(print_to), language, staff FROM orders WHERE id = :order_id) AS m
          WHERE destination IS NOT NULL AND destination <> '' AND changes() = :written
          ORDER BY n";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use super::*;
    use crate::money::{Currency, Money};
    use crate::orders::Payment;
    use crate::orders::store::{NewOrder, get, insert_paid_sending, insert_quoted, read_codes};
    use crate::secrets::Redacted;
    use crate::supplier::{IssuedCode, SupplierOrderStatus};

    fn usd(amount: &str) -> Money {
        Money::parse(amount, Currency::USD).unwrap()
    }

    fn new_order(n: u32) -> NewOrder {
        NewOrder {
            client_order_id: format!("ct-test-{n}"),
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
            price: usd("21.99"),
            max_unit_price: usd("20.10"),
            fx_rate: rust_decimal::Decimal::ONE,
            open_amount: false,
            email: None,
            staff: "asha".into(),
            till_id: Some("till-1".into()),
            print_to: None,
            language: crate::language::Language::En,
            tax: None,
            invoice: None,
            buyer_tax_id: None,
            buyer: None,
        }
    }

    fn cash() -> Payment {
        Payment {
            method: "cash".into(),
            amount: usd("21.99"),
            tendered: Some(usd("25")),
            change: Some(usd("3.01")),
            reference: None,
            staff: "asha".into(),
            taken_at: String::new(),
        }
    }

    fn completed(client_order_id: &str, codes: &[&str]) -> SupplierOrder {
        SupplierOrder {
            order_id: "SUP-1".into(),
            client_order_id: client_order_id.into(),
            status: SupplierOrderStatus::Completed,
            sku: "STEAM-US-20".into(),
            quantity: codes.len() as u32,
            unit_price: usd("20.10"),
            total: usd("20.10"),
            codes: codes
                .iter()
                .enumerate()
                .map(|(i, c)| IssuedCode {
                    code: Redacted::new(c.to_string()),
                    pin: (i == 1).then(|| Redacted::new("1234".to_string())),
                    serial: Some(format!("SN-{i}")),
                    expires_at: None,
                })
                .collect(),
            failure: None,
            balance_after: None,
        }
    }

    async fn count(db: &Db, sql: &str, id: i64) -> i64 {
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn one_batch_writes_the_paid_order_and_delivery_is_guarded_by_the_lease() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).await.unwrap();
        let vault = Vault::from_key(&[7; 32]);
        let quoted = insert_quoted(&db, &new_order(0)).await.unwrap();
        let mut handed_over = new_order(1);
        handed_over.email = Some(" buyer@example.com ".into());
        handed_over.print_to = Some("tcp://127.0.0.1:9100".into());
        let id = insert_paid_sending(
            &db,
            &handed_over,
            &cash(),
            ("till-a", Duration::from_secs(60)),
        )
        .await
        .unwrap();
        assert_ne!(quoted, id);

        let mut conn = db.pool().acquire().await.unwrap();
        let order = get(&mut conn, id).await.unwrap();
        drop(conn);
        assert_eq!(order.public_id, "ORD-000002");
        assert_eq!(order.status, OrderStatus::Ordering);
        assert_eq!(order.price, usd("21.99"));
        let payment: (String, i64, Option<i64>, Option<i64>, String) = sqlx::query_as(
            "SELECT method, amount_minor, tendered_minor, change_minor, staff FROM payments WHERE order_id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            payment,
            ("cash".into(), 2199, Some(2500), Some(301), "asha".into())
        );
        let events = "SELECT count(*) FROM order_events WHERE order_id = $1";
        assert_eq!(count(&db, events, quoted).await, 1);
        assert_eq!(count(&db, events, id).await, 3);

        let codes = "SELECT count(*) FROM order_codes WHERE order_id = $1";
        let supplier = completed("ct-test-1", &["AAAA-1", "BBBB-2", "CCCC-3"]);
        // Another till never held this order: nothing is written.
        assert!(
            deliver(&db, &vault, id, "till-b", &supplier)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(count(&db, codes, id).await, 0);
        assert_eq!(count(&db, events, id).await, 3);
        assert_eq!(
            count(&db, "SELECT count(*) FROM outbox WHERE order_id = $1", id).await,
            0
        );
        // A quote cannot be delivered, whoever asks.
        assert!(
            deliver(&db, &vault, quoted, "till-a", &supplier)
                .await
                .unwrap()
                .is_none()
        );

        let delivered = deliver(&db, &vault, id, "till-a", &supplier)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(delivered.codes.len(), 3);
        assert_eq!(delivered.codes[1].pin.as_deref(), Some("1234"));
        assert_eq!(delivered.order.status, OrderStatus::Delivered);
        assert_eq!(delivered.order.public_id, "ORD-000002");
        let stored = read_codes(&db, &vault, id).await.unwrap();
        let stored: Vec<(&str, Option<&str>, Option<&str>)> = stored
            .iter()
            .map(|c| (c.code.as_str(), c.pin.as_deref(), c.serial.as_deref()))
            .collect();
        assert_eq!(
            stored,
            vec![
                ("AAAA-1", None, Some("SN-0")),
                ("BBBB-2", Some("1234"), Some("SN-1")),
                ("CCCC-3", None, Some("SN-2"))
            ]
        );
        let to: String = sqlx::query_scalar(
            "SELECT from_status FROM order_events WHERE order_id = $1 AND to_status = 'delivered'",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(to, "ordering");

        // Delivered once: a second delivery (a driver whose lease lapsed meanwhile)
        // finds nothing to do and adds no codes.
        assert!(
            deliver(&db, &vault, id, "till-a", &supplier)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(count(&db, codes, id).await, 3);
        assert_eq!(count(&db, events, id).await, 4);
        let queued: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, destination, requested_by FROM outbox WHERE order_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(
            queued,
            vec![
                ("email".into(), "buyer@example.com".into(), "asha".into()),
                ("print".into(), "tcp://127.0.0.1:9100".into(), "asha".into())
            ],
            "queued once, with the delivery"
        );
    }
}
