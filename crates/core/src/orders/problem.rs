//! What a finished order must tell the owner: a refund due after the supplier
//! refused a paid order, or an order that failed. The engine's outcome is the
//! cause; the alert is stored by [`crate::alerts`]' one writer.

use serde_json::json;

use crate::alerts::{self, Alert, AlertError, AlertKind, NewAlert};
use crate::db::Db;
use crate::money::Money;

use super::{Order, OrderStatus};

/// An order that failed at the supplier, or whose payment must go back.
pub fn order_problem(order: &Order) -> Option<NewAlert> {
    order_problem_of(
        &order.public_id,
        order.status,
        &order.name,
        &order.price,
        order.failure.as_ref().map(|f| f.message.as_str()),
    )
}

pub(crate) fn order_problem_of(
    public_id: &str,
    status: OrderStatus,
    name: &str,
    price: &Money,
    failure: Option<&str>,
) -> Option<NewAlert> {
    let reason = failure.map(|f| format!(" ({f})")).unwrap_or_default();
    let (kind, message) = match status {
        OrderStatus::RefundDue => (
            AlertKind::RefundDue,
            format!(
                "{public_id} {name}: the supplier refused{reason} after payment. Give {price} back and record the refund on the Orders screen."
            ),
        ),
        OrderStatus::Failed => (
            AlertKind::OrderFailed,
            format!("{public_id} {name}: the supplier order failed{reason}."),
        ),
        _ => return None,
    };
    Some(NewAlert {
        kind,
        message,
        facts: json!({
            "order": public_id, "name": name, "price": price.amount_string(),
            "currency": price.currency.code(), "reason": failure,
        }),
        order_ref: Some(public_id.to_string()),
    })
}

/// What a finished order must tell the owner (refund due, failed).
pub async fn after_order(db: &Db, order: &Order) -> Result<Option<Alert>, AlertError> {
    match order_problem(order) {
        Some(new) => alerts::raise(db, &new).await,
        None => Ok(None),
    }
}

/// Orders the background recovery left with a refund due.
pub async fn after_recovery(db: &Db, refund_due: &[String]) -> Result<Vec<Alert>, AlertError> {
    let mut raised = Vec::new();
    for id in refund_due {
        let order = super::find(db, id)
            .await
            .map_err(|e| AlertError::BadInput(e.to_string()))?;
        if let Some(a) = after_order(db, &order).await? {
            raised.push(a);
        }
    }
    Ok(raised)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::alerts::{open_count, raise};
    use crate::db::now_text;
    use crate::money::Currency;

    async fn db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        (db, dir)
    }

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    async fn order(db: &Db, public_id: &str) {
        let now = now_text();
        sqlx::query(
            "INSERT INTO orders (public_id, client_order_id, status, sku, name, region, face_minor,
                 face_currency, price_minor, currency, max_unit_minor, wholesale_currency, staff,
                 created_at, updated_at)
             VALUES ($1, $1, 'refund_due', 'S', 'S', 'US', 1, 'USD', 1, 'USD', 1, 'USD', 'a', $2, $2)",
        )
        .bind(public_id)
        .bind(&now)
        .execute(db.pool())
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_refund_due_or_failed_order_is_alerted_once_per_order() {
        let (db, _dir) = db().await;
        for id in ["ORD-000007", "ORD-000008", "ORD-000010"] {
            order(&db, id).await;
        }
        let price = usd("21.99");
        let due = order_problem_of(
            "ORD-000007",
            OrderStatus::RefundDue,
            "Steam $20",
            &price,
            Some("out of stock"),
        )
        .unwrap();
        assert_eq!(due.kind, AlertKind::RefundDue);
        assert_eq!(due.order_ref.as_deref(), Some("ORD-000007"));
        assert!(
            due.message.contains("Give 21.99 USD back"),
            "{}",
            due.message
        );
        let failed =
            order_problem_of("ORD-000008", OrderStatus::Failed, "Steam $20", &price, None).unwrap();
        assert_eq!(failed.kind, AlertKind::OrderFailed);
        assert!(
            order_problem_of("ORD-000009", OrderStatus::Delivered, "x", &price, None).is_none()
        );

        let raised = raise(&db, &due).await.unwrap().unwrap();
        assert_eq!(raised.order_ref.as_deref(), Some("ORD-000007"));
        assert!(
            raise(&db, &due).await.unwrap().is_none(),
            "the same order once"
        );
        let other =
            order_problem_of("ORD-000010", OrderStatus::RefundDue, "Jio", &price, None).unwrap();
        assert!(
            raise(&db, &other).await.unwrap().is_some(),
            "another order is another alert"
        );
        assert!(raise(&db, &failed).await.unwrap().is_some());
        assert_eq!(open_count(&db).await.unwrap(), 3);
    }
}
