//! The account's history for reconciliation: every row of the transaction reports
//! (`reports/transactions`, airtime `topups/reports/transactions`) in a window,
//! page after page. Report filters and times read in UTC-4, to the second: the
//! window asked for is widened to whole seconds and each row kept only when its own
//! time falls inside.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

use super::ReloadlyClient;
use super::catalog::{Amount, Page};
use super::giftcards::{Status, status};
use super::http::{classify, read_error, unreadable};
use crate::money::{Currency, Money};
use crate::supplier::wholesale::read_body;
use crate::supplier::{
    MAX_HISTORY_PAGES, SupplierError, SupplierOrderStatus, SupplierTransaction, Window,
    history_too_long,
};

const OFFSET_HOURS: i64 = -4;

fn local(t: DateTime<Utc>) -> String {
    (t + Duration::hours(OFFSET_HOURS))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A report time (`yyyy-MM-dd HH:mm:ss` at UTC-4) as UTC.
pub(super) fn parse_local(s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(naive.and_utc() - Duration::hours(OFFSET_HOURS))
}

/// A report row of either API, with the fields reconciliation reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    transaction_id: u64,
    status: String,
    custom_identifier: Option<String>,
    /// Gift cards: what the order took from the account.
    amount: Option<Amount>,
    currency_code: Option<String>,
    transaction_created_time: Option<String>,
    /// Airtime: the same, under its own names.
    requested_amount: Option<Amount>,
    requested_amount_currency_code: Option<String>,
    transaction_date: Option<String>,
}

impl Row {
    fn into_transaction(self) -> Result<SupplierTransaction, SupplierError> {
        let lacks = |what: &str| SupplierError::Ambiguous {
            message: format!("a transaction report row lacks {what}"),
        };
        let currency = self
            .currency_code
            .as_deref()
            .or(self.requested_amount_currency_code.as_deref())
            .and_then(|c| Currency::parse(c).ok())
            .ok_or_else(|| lacks("a known currency"))?;
        let at = self
            .transaction_created_time
            .as_deref()
            .or(self.transaction_date.as_deref())
            .and_then(parse_local)
            .ok_or_else(|| lacks("a readable time"))?;
        let status = match status(&self.status)? {
            Status::Successful => SupplierOrderStatus::Completed,
            Status::Processing => SupplierOrderStatus::Pending,
            Status::Failed => SupplierOrderStatus::Failed,
        };
        let amount = self
            .amount
            .or(self.requested_amount)
            .map(|a| a.0)
            .unwrap_or_default();
        Ok(SupplierTransaction {
            // An order made without our key (on Reloadly's dashboard, say) has none.
            key: self.custom_identifier.unwrap_or_default(),
            order_id: self.transaction_id.to_string(),
            status,
            charged: match status {
                SupplierOrderStatus::Failed => Money::zero(currency),
                _ => Money::new(amount, currency),
            },
            at,
        })
    }
}

pub(super) async fn transactions(
    client: &ReloadlyClient,
    window: &Window,
) -> Result<Vec<SupplierTransaction>, SupplierError> {
    let path = if client.config.airtime {
        "topups/reports/transactions"
    } else {
        "reports/transactions"
    };
    // Whole seconds around the window; each row is then checked to the millisecond.
    let start = local(window.from);
    let end = local(window.to + Duration::seconds(1));
    let mut found = Vec::new();
    for page in 1..=u64::from(MAX_HISTORY_PAGES) {
        let query = [
            ("startDate", start.clone()),
            ("endDate", end.clone()),
            ("page", page.to_string()),
            ("size", "200".to_string()),
        ];
        let response = client.api.call(Method::GET, path, &query, None).await?;
        if !response.status().is_success() {
            return Err(classify(read_error(response).await));
        }
        let bytes = read_body(response).await?;
        let body: Page<'_> =
            serde_json::from_slice(&bytes).map_err(|e| unreadable("report", &e))?;
        if let Some(n) = body.number()
            && n + 1 != page
        {
            return Err(SupplierError::Ambiguous {
                message: format!(
                    "asked for report page {page}, the supplier sent page {}",
                    n + 1
                ),
            });
        }
        for raw in &body.content {
            let row: Row =
                serde_json::from_str(raw.get()).map_err(|e| unreadable("report row", &e))?;
            let tx = row.into_transaction()?;
            // Report times are whole seconds: a row of the window's first second
            // reads as that second, before `from`'s milliseconds.
            if window.from - Duration::seconds(1) < tx.at && tx.at < window.to {
                found.push(tx);
            }
        }
        if body.last.unwrap_or(true) || body.content.is_empty() {
            found.sort_by_key(|t| t.at);
            return Ok(found);
        }
    }
    Err(history_too_long("transaction report"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn report_times_are_utc_minus_four() {
        let t = parse_local("2026-12-04 08:00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-04T12:00:00+00:00");
        assert_eq!(local(t), "2026-12-04 08:00:00");
    }

    #[test]
    fn rows_of_either_api_read_as_charges() {
        let gift: Row = serde_json::from_str(
            r#"{"transactionId":7,"status":"SUCCESSFUL","customIdentifier":"ct-1","amount":18.4,
                "currencyCode":"USD","transactionCreatedTime":"2026-12-04 08:00:00"}"#,
        )
        .unwrap();
        let tx = gift.into_transaction().unwrap();
        assert_eq!((tx.key.as_str(), tx.order_id.as_str()), ("ct-1", "7"));
        assert_eq!(tx.charged.amount, rust_decimal_macros::dec!(18.4));
        let topup: Row = serde_json::from_str(
            r#"{"transactionId":8,"status":"REFUNDED","customIdentifier":"ct-2","requestedAmount":"5",
                "requestedAmountCurrencyCode":"USD","transactionDate":"2026-12-04 08:00:01"}"#,
        )
        .unwrap();
        let tx = topup.into_transaction().unwrap();
        assert_eq!(tx.status, SupplierOrderStatus::Failed);
        assert!(
            tx.charged.amount.is_zero(),
            "a refunded top-up charged nothing"
        );
    }
}
