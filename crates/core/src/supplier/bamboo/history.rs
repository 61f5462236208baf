//! The account's history for reconciliation: Bamboo's orders report,
//! `GET /api/Integration/v1/orders?startDate=yyyy-MM-dd&endDate=yyyy-MM-dd`, a flat
//! array of rows, one per product line, each with its order's `clientReferenceNumber`
//! (our RequestId), `orderNumber`, `orderDate`, `total` (account currency) and
//! `status`. The report takes whole days and has no pages: the days around the
//! window are asked for and each order kept when its own time falls inside.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::super::number::{Num, timestamp};
use crate::money::{Currency, Money};
use crate::supplier::wholesale::protocol_error;
use crate::supplier::{SupplierError, SupplierOrderStatus, SupplierTransaction, Window};

pub(super) const REPORT: &str = "api/integration/v1/orders";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReportRow {
    order_number: Option<String>,
    order_date: Option<String>,
    client_reference_number: Option<String>,
    total: Option<Num>,
    account_currency: Option<String>,
    status: Option<String>,
}

/// The report's days for `window` (both ends included by Bamboo).
pub(super) fn days(window: &Window) -> (String, String) {
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    (day(window.from), day(window.to))
}

/// Bamboo's final statuses; anything else is still on its way (and charged).
fn status(word: &str) -> SupplierOrderStatus {
    match word.trim() {
        "Succeeded" | "PartialFailed" => SupplierOrderStatus::Completed,
        "Failed" => SupplierOrderStatus::Failed,
        _ => SupplierOrderStatus::Pending,
    }
}

/// The report's rows as one transaction per order (its lines' totals added), those
/// made within `window`, oldest first.
pub(super) fn transactions(
    rows: Vec<ReportRow>,
    window: &Window,
) -> Result<Vec<SupplierTransaction>, SupplierError> {
    let mut orders: BTreeMap<String, SupplierTransaction> = BTreeMap::new();
    for row in rows {
        let number = row
            .order_number
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| protocol_error("orders report row", "it has no orderNumber"))?;
        let at = row
            .order_date
            .as_deref()
            .and_then(timestamp)
            .ok_or_else(|| protocol_error("orders report row", "its orderDate"))?;
        let currency = row
            .account_currency
            .as_deref()
            .and_then(|c| Currency::parse(c).ok())
            .ok_or_else(|| protocol_error("orders report row", "its accountCurrency"))?;
        let status = status(row.status.as_deref().unwrap_or_default());
        let total = match status {
            SupplierOrderStatus::Failed => Decimal::ZERO,
            _ => row.total.map(|t| t.0).unwrap_or_default(),
        };
        let line = Money::new(total, currency);
        match orders.get_mut(&number) {
            Some(tx) if tx.charged.currency == currency => tx.charged.amount += line.amount,
            Some(_) => {
                return Err(protocol_error(
                    "orders report",
                    format!("order {number} in two currencies"),
                ));
            }
            None => {
                orders.insert(
                    number.clone(),
                    SupplierTransaction {
                        key: row
                            .client_reference_number
                            .unwrap_or_default()
                            .to_ascii_lowercase(),
                        order_id: number,
                        status,
                        charged: line,
                        at,
                    },
                );
            }
        }
    }
    let mut found: Vec<SupplierTransaction> = orders
        .into_values()
        .filter(|t| window.contains(t.at))
        .collect();
    found.sort_by_key(|t| t.at);
    Ok(found)
}

/// The window as whole days, widened by one on each side: Bamboo's days may not be
/// UTC days.
pub(super) fn widened(window: &Window) -> Window {
    Window {
        from: window.from - Duration::days(1),
        to: window.to + Duration::days(1),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn window() -> Window {
        Window {
            from: timestamp("2026-12-04T00:00:00Z").unwrap(),
            to: timestamp("2026-12-05T00:00:00Z").unwrap(),
        }
    }

    #[test]
    fn lines_of_one_order_add_up_and_failed_ones_charge_nothing() {
        let rows: Vec<ReportRow> = serde_json::from_str(
            r#"[
            {"orderNumber":"7","orderDate":"2026-12-04T10:00:00.000","clientReferenceNumber":"AB-1",
             "total":10.5,"accountCurrency":"USD","status":"Succeeded"},
            {"orderNumber":"7","orderDate":"2026-12-04T10:00:00.000","clientReferenceNumber":"AB-1",
             "total":"4.5","accountCurrency":"USD","status":"Succeeded"},
            {"orderNumber":"8","orderDate":"2026-12-04T11:00:00Z","clientReferenceNumber":"ab-2",
             "total":9,"accountCurrency":"USD","status":"Failed"},
            {"orderNumber":"9","orderDate":"2026-12-03T23:59:59Z","clientReferenceNumber":"ab-3",
             "total":9,"accountCurrency":"USD","status":"Succeeded"}
        ]"#,
        )
        .unwrap();
        let found = transactions(rows, &window()).unwrap();
        assert_eq!(found.len(), 2, "the order of the day before is left out");
        assert_eq!(found[0].key, "ab-1", "RequestIds compared in lower case");
        assert_eq!(found[0].charged.amount, dec!(15));
        assert_eq!(found[1].status, SupplierOrderStatus::Failed);
        assert!(found[1].charged.amount.is_zero());
    }

    #[test]
    fn a_row_without_its_order_number_is_unreadable() {
        let rows: Vec<ReportRow> = serde_json::from_str(
            r#"[{"orderDate":"2026-12-04T10:00:00Z","total":1,"accountCurrency":"USD","status":"Succeeded"}]"#,
        )
        .unwrap();
        assert!(matches!(
            transactions(rows, &window()),
            Err(SupplierError::Ambiguous { .. })
        ));
    }
}
