//! Matching, with no I/O: the supplier's transactions of a window against our
//! orders by key, and the balance's movement against charges and top-ups. What it
//! finds is a [`Finding`] each; the caller confirms, stores and reports them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Action, Finding, FindingKind};
use crate::money::Money;
use crate::orders::OrderStatus;
use crate::supplier::{SupplierOrderStatus, SupplierTransaction, Window};

/// One of our orders, as matching needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurOrder {
    pub id: i64,
    pub public_id: String,
    /// The key it is bought under at this account now (`None`: it failed over from
    /// this account to another).
    pub client_order_id: Option<String>,
    /// The keys the supplier may know this order by ([`crate::supplier::Supplier::key_for`]
    /// of each key it was sent under): the current one first, if any, then those of
    /// attempts that ended here in a refusal.
    pub keys: Vec<String>,
    pub status: OrderStatus,
    /// What the supplier charged for it as we recorded it (account currency).
    pub cost: Option<Money>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What matching found, and the delivered orders the supplier's list does not
/// show: those are looked up one by one before they are called missing (the list
/// may have left out an order made before the window).
#[derive(Debug, Default)]
pub struct Matched {
    pub findings: Vec<Finding>,
    pub unlisted: Vec<usize>,
}

/// Matches `transactions` (read over a window at least as wide as `window`) with
/// `orders`: (a) money taken with no delivered order here, (b) orders delivered in
/// `window` the list does not show, (c) charges that differ from the recorded cost.
pub fn match_window(
    transactions: &[SupplierTransaction],
    orders: &[OurOrder],
    window: &Window,
) -> Matched {
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    // Keys of attempts that ended in a refusal: nothing may be charged under them.
    let mut refused: HashMap<&str, usize> = HashMap::new();
    for (i, o) in orders.iter().enumerate() {
        let current = usize::from(o.client_order_id.is_some());
        for (n, k) in o.keys.iter().enumerate() {
            if n < current {
                by_key.insert(k.as_str(), i);
            } else {
                refused.insert(k.as_str(), i);
            }
        }
    }
    let mut out = Matched::default();
    // Charges seen per order: a second one under an order's keys was bought twice.
    let mut charged: HashMap<usize, u32> = HashMap::new();
    for tx in transactions.iter().filter(|t| t.is_charge()) {
        let order = by_key.get(tx.key.as_str()).copied();
        let count = order.map(|i| {
            let n = charged.entry(i).or_default();
            *n += 1;
            *n
        });
        if !window.contains(tx.at) {
            continue;
        }
        if let Some(&i) = refused.get(tx.key.as_str()) {
            let o = &orders[i];
            out.findings.push(Finding::of_charge(
                FindingKind::ChargedNotDelivered,
                tx,
                Some(o),
                None,
                format!(
                    "the supplier charged {} for {} under key {}, an attempt it had refused (its order {})",
                    tx.charged, o.public_id, tx.key, tx.order_id
                ),
            ));
            continue;
        }
        let Some(i) = order else {
            out.findings.push(Finding::of_charge(
                FindingKind::ChargedNotDelivered,
                tx,
                None,
                None,
                format!(
                    "the supplier charged {} for order {} ({}) that no order here has",
                    tx.charged,
                    tx.order_id,
                    if tx.key.is_empty() {
                        "no key".to_string()
                    } else {
                        format!("key {}", tx.key)
                    }
                ),
            ));
            continue;
        };
        let o = &orders[i];
        if count.unwrap_or(1) > 1 {
            out.findings.push(Finding::of_charge(
                FindingKind::ChargedNotDelivered,
                tx,
                Some(o),
                None,
                format!(
                    "the supplier charged {} a second time for {} (its order {})",
                    tx.charged, o.public_id, tx.order_id
                ),
            ));
            continue;
        }
        if let Some(f) = charge_against(tx, o) {
            out.findings.push(f);
        }
    }
    for (i, o) in orders.iter().enumerate() {
        let delivered_in_window = o.client_order_id.is_some()
            && o.status == OrderStatus::Delivered
            && o.delivered_at.is_some_and(|t| window.contains(t));
        if delivered_in_window && !charged.contains_key(&i) {
            out.unlisted.push(i);
        }
    }
    out
}

/// A charge for one of our orders: fine when the order is delivered at that cost,
/// or still under way at the supplier; a finding otherwise.
fn charge_against(tx: &SupplierTransaction, o: &OurOrder) -> Option<Finding> {
    let completed = tx.status == SupplierOrderStatus::Completed;
    let (action, why) = match o.status {
        OrderStatus::Delivered => {
            return amount_differs(tx, o);
        }
        // Being fulfilled here and still processing there: nothing to say yet.
        s if s.is_open() && !completed => return None,
        // Recovery would deliver it at its next try; the owner may do it now.
        s if s.is_open() => (Some(Action::Deliver), "is still open here"),
        OrderStatus::RefundDue | OrderStatus::Failed if completed => (
            Some(Action::Deliver),
            "is refund due here: its codes can be fetched and delivered instead",
        ),
        OrderStatus::RefundDue | OrderStatus::Failed => (
            None,
            "is refund due here while the supplier still processes it",
        ),
        OrderStatus::Refunded => (None, "was refunded to the buyer"),
        OrderStatus::Quoted | OrderStatus::Cancelled => (None, "was never paid"),
        // Every status is above; an open one went to the arms before.
        _ => (None, "is not delivered"),
    };
    Some(Finding::of_charge(
        FindingKind::ChargedNotDelivered,
        tx,
        Some(o),
        action,
        format!(
            "the supplier charged {} for {} (its order {}, {:?}), which {why}",
            tx.charged, o.public_id, tx.order_id, tx.status
        ),
    ))
}

/// (c): a completed charge that is not the cost we recorded for the order.
pub fn amount_differs(tx: &SupplierTransaction, o: &OurOrder) -> Option<Finding> {
    if tx.status != SupplierOrderStatus::Completed {
        return None;
    }
    let cost = o.cost?;
    // Decimals compare by value: 18.4 is 18.40.
    if cost == tx.charged {
        return None;
    }
    Some(Finding::of_charge(
        FindingKind::AmountMismatch,
        tx,
        Some(o),
        None,
        format!(
            "the supplier charged {} for {} (its order {}), the recorded cost is {cost}",
            tx.charged, o.public_id, tx.order_id
        ),
    ))
}

/// (b): a delivered order the supplier shows neither in its list nor when asked.
pub fn not_shown(o: &OurOrder) -> Finding {
    Finding {
        kind: FindingKind::DeliveredNotCharged,
        order: Some(o.public_id.clone()),
        order_row: Some(o.id),
        order_status: Some(o.status),
        key: o.keys.first().cloned(),
        supplier_order_id: None,
        supplier_status: None,
        charged: None,
        cost: o.cost,
        action: None,
        message: format!(
            "{} was delivered here, but the supplier shows no order under its key",
            o.public_id
        ),
    }
}

/// The balance's movement between two readings, and what explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceFigures {
    /// When the earlier reading was taken (the run it belongs to).
    pub since: DateTime<Utc>,
    pub opening: Money,
    pub closing: Money,
    /// What the supplier's own history charged in between.
    pub charged: Money,
    /// What the owner recorded putting in.
    pub topped_up: Money,
    /// `closing - opening - topped_up + charged`: zero when all is explained.
    pub unexplained: Money,
}

/// (d): compares the movement from `opening` to `closing` with the charges
/// (`transactions` made after `since`) and the top-ups recorded after it. Amounts in
/// another currency than the balance's cannot be added: they are left out and named
/// in the list answered beside the figures. `None` when the two readings are in
/// different currencies (nothing to compare).
pub fn balance_check(
    since: DateTime<Utc>,
    opening: Money,
    closing: Money,
    transactions: &[SupplierTransaction],
    topups: &[Money],
) -> Option<(BalanceFigures, Vec<String>)> {
    if opening.currency != closing.currency {
        return None;
    }
    let currency = closing.currency;
    let mut skipped = Vec::new();
    let mut charged = Decimal::ZERO;
    for tx in transactions
        .iter()
        .filter(|t| t.is_charge() && t.at > since)
    {
        if tx.charged.currency == currency {
            charged += tx.charged.amount;
        } else {
            skipped.push(format!("charge {} ({})", tx.order_id, tx.charged));
        }
    }
    let mut topped_up = Decimal::ZERO;
    for t in topups {
        if t.currency == currency {
            topped_up += t.amount;
        } else {
            skipped.push(format!("top-up of {t}"));
        }
    }
    let unexplained = closing.amount - opening.amount - topped_up + charged;
    Some((
        BalanceFigures {
            since,
            opening,
            closing,
            charged: Money::new(charged, currency),
            topped_up: Money::new(topped_up, currency),
            unexplained: Money::new(unexplained, currency),
        },
        skipped,
    ))
}

impl BalanceFigures {
    pub fn explained(&self) -> bool {
        self.unexplained.amount.is_zero()
    }

    pub fn finding(&self) -> Finding {
        Finding {
            kind: FindingKind::BalanceUnexplained,
            order: None,
            order_row: None,
            order_status: None,
            key: None,
            supplier_order_id: None,
            supplier_status: None,
            charged: Some(self.charged),
            cost: None,
            action: None,
            message: format!(
                "the balance went from {} to {} since {}: charges {} and top-ups {} leave {} unexplained{}",
                self.opening,
                self.closing,
                self.since.format("%Y-%m-%d %H:%M UTC"),
                self.charged,
                self.topped_up,
                self.unexplained,
                if self.unexplained.amount.is_sign_positive() {
                    " (money came in that no recorded top-up explains)"
                } else {
                    " (money went out that no charge explains)"
                }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn usd(a: Decimal) -> Money {
        Money::new(a, Currency::USD)
    }

    fn window() -> Window {
        Window {
            from: t("2026-12-04T00:00:00Z"),
            to: t("2026-12-05T00:00:00Z"),
        }
    }

    fn tx(
        key: &str,
        status: SupplierOrderStatus,
        charged: Decimal,
        at: &str,
    ) -> SupplierTransaction {
        SupplierTransaction {
            key: key.into(),
            order_id: format!("SO-{key}"),
            status,
            charged: usd(if status == SupplierOrderStatus::Failed {
                Decimal::ZERO
            } else {
                charged
            }),
            at: t(at),
        }
    }

    fn order(id: i64, status: OrderStatus, cost: Option<Decimal>) -> OurOrder {
        OurOrder {
            id,
            public_id: format!("ORD-{id:06}"),
            client_order_id: Some(format!("ct-{id}")),
            keys: vec![format!("ct-{id}")],
            status,
            cost: cost.map(usd),
            delivered_at: (status == OrderStatus::Delivered).then(|| t("2026-12-04T10:00:01Z")),
        }
    }

    use OrderStatus as O;
    use SupplierOrderStatus as S;

    #[test]
    fn a_clean_day_finds_nothing() {
        let orders = [
            order(1, O::Delivered, Some(dec!(18.40))),
            order(2, O::RefundDue, None),
            order(3, O::Ordering, None),
        ];
        let txs = [
            tx("ct-1", S::Completed, dec!(18.40), "2026-12-04T10:00:00Z"),
            tx("ct-2", S::Failed, dec!(9), "2026-12-04T11:00:00Z"),
            tx("ct-3", S::Pending, dec!(5), "2026-12-04T12:00:00Z"),
        ];
        let m = match_window(&txs, &orders, &window());
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert!(m.unlisted.is_empty());
    }

    #[test]
    fn an_order_that_failed_over_from_here_is_judged_only_by_its_refused_key() {
        // Delivered at another account; here it was refused under ct-7.
        let moved = OurOrder {
            client_order_id: None,
            ..order(7, O::Delivered, Some(dec!(18.40)))
        };
        let refused = [tx("ct-7", S::Failed, dec!(18.40), "2026-12-04T10:00:00Z")];
        let m = match_window(&refused, std::slice::from_ref(&moved), &window());
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert!(m.unlisted.is_empty(), "its delivery is the other account's");

        let charged = [tx(
            "ct-7",
            S::Completed,
            dec!(18.40),
            "2026-12-04T10:00:00Z",
        )];
        let m = match_window(&charged, &[moved], &window());
        assert_eq!(m.findings.len(), 1, "{:?}", m.findings);
        assert_eq!(m.findings[0].kind, FindingKind::ChargedNotDelivered);
        assert_eq!(m.findings[0].order.as_deref(), Some("ORD-000007"));
        assert!(
            m.findings[0].message.contains("refused"),
            "{}",
            m.findings[0].message
        );
    }

    #[test]
    fn money_taken_with_no_delivered_order_here_is_found_and_deliverable_when_it_can_be() {
        let orders = [
            order(2, O::RefundDue, None),
            order(3, O::Unknown, None),
            order(4, O::Refunded, None),
            order(5, O::Cancelled, None),
            order(6, O::RefundDue, None),
        ];
        let txs = [
            tx("ct-2", S::Completed, dec!(9), "2026-12-04T11:00:00Z"),
            tx("ct-3", S::Completed, dec!(9), "2026-12-04T11:00:00Z"),
            tx("ct-4", S::Completed, dec!(9), "2026-12-04T11:00:00Z"),
            tx("ct-5", S::Completed, dec!(9), "2026-12-04T11:00:00Z"),
            tx("ct-6", S::Pending, dec!(9), "2026-12-04T11:00:00Z"),
            tx("stranger", S::Completed, dec!(7), "2026-12-04T11:00:00Z"),
            tx("", S::Completed, dec!(7), "2026-12-04T11:00:00Z"),
        ];
        let m = match_window(&txs, &orders, &window());
        let got: Vec<(Option<&str>, Option<Action>)> = m
            .findings
            .iter()
            .map(|f| {
                assert_eq!(f.kind, FindingKind::ChargedNotDelivered);
                (f.order.as_deref(), f.action)
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("ORD-000002"), Some(Action::Deliver)),
                (Some("ORD-000003"), Some(Action::Deliver)),
                (Some("ORD-000004"), None),
                (Some("ORD-000005"), None),
                (Some("ORD-000006"), None),
                (None, None),
                (None, None),
            ]
        );
    }

    #[test]
    fn a_second_charge_under_one_key_is_found() {
        let orders = [order(1, O::Delivered, Some(dec!(18.40)))];
        let txs = [
            tx("ct-1", S::Completed, dec!(18.40), "2026-12-04T10:00:00Z"),
            tx("ct-1", S::Completed, dec!(18.40), "2026-12-04T10:00:02Z"),
        ];
        let m = match_window(&txs, &orders, &window());
        assert_eq!(m.findings.len(), 1);
        assert!(m.findings[0].message.contains("second time"));
    }

    #[test]
    fn a_delivered_order_missing_from_the_list_is_set_aside_for_a_look_up() {
        let mut early = order(2, O::Delivered, Some(dec!(1)));
        early.delivered_at = Some(t("2026-12-03T23:00:00Z"));
        let orders = [order(1, O::Delivered, Some(dec!(18.40))), early];
        let m = match_window(&[], &orders, &window());
        assert_eq!(m.unlisted, [0], "only orders delivered within the window");
        assert_eq!(not_shown(&orders[0]).kind, FindingKind::DeliveredNotCharged);
        // Listed but failed there: it charged nothing, so it is not shown either.
        let txs = [tx("ct-1", S::Failed, dec!(0), "2026-12-04T10:00:00Z")];
        assert_eq!(match_window(&txs, &orders, &window()).unlisted, [0]);
    }

    #[test]
    fn a_charge_that_differs_from_the_recorded_cost_is_found() {
        let orders = [
            order(1, O::Delivered, Some(dec!(18.40))),
            order(2, O::Delivered, None),
        ];
        let txs = [
            tx("ct-1", S::Completed, dec!(19.00), "2026-12-04T10:00:00Z"),
            tx("ct-2", S::Completed, dec!(3), "2026-12-04T10:00:00Z"),
        ];
        let m = match_window(&txs, &orders, &window());
        assert_eq!(
            m.findings.len(),
            1,
            "an order with no recorded cost is not judged"
        );
        let f = &m.findings[0];
        assert_eq!(f.kind, FindingKind::AmountMismatch);
        assert_eq!(
            (f.charged, f.cost),
            (Some(usd(dec!(19))), Some(usd(dec!(18.40))))
        );
        // The same amount written with another scale is the same.
        let same = [tx("ct-1", S::Completed, dec!(18.4), "2026-12-04T10:00:00Z")];
        assert!(match_window(&same, &orders, &window()).findings.is_empty());
    }

    #[test]
    fn charges_outside_the_window_only_count_towards_the_order() {
        let orders = [order(1, O::Delivered, Some(dec!(18.40)))];
        let txs = [tx(
            "stranger",
            S::Completed,
            dec!(7),
            "2026-12-03T23:59:59Z",
        )];
        assert!(match_window(&txs, &orders, &window()).findings.is_empty());
    }

    #[test]
    fn top_ups_explain_the_balance_movement() {
        let since = t("2026-12-04T00:00:00Z");
        let txs = [
            tx("ct-1", S::Completed, dec!(18.40), "2026-12-04T10:00:00Z"),
            tx("ct-2", S::Failed, dec!(9), "2026-12-04T11:00:00Z"),
            // Before the opening reading: already in it.
            tx("ct-0", S::Completed, dec!(50), "2026-12-03T10:00:00Z"),
        ];
        let (f, skipped) = balance_check(
            since,
            usd(dec!(100)),
            usd(dec!(181.60)),
            &txs,
            &[usd(dec!(100))],
        )
        .unwrap();
        assert!(f.explained(), "{f:?}");
        assert!(skipped.is_empty());
        let (f, _) = balance_check(since, usd(dec!(100)), usd(dec!(181.60)), &txs, &[]).unwrap();
        assert_eq!(f.unexplained, usd(dec!(100)));
        assert!(f.finding().message.contains("came in"));
        let (f, _) = balance_check(since, usd(dec!(100)), usd(dec!(80)), &txs, &[]).unwrap();
        assert_eq!(f.unexplained, usd(dec!(-1.60)));
        let eur = Money::new(dec!(5), Currency::parse("EUR").unwrap());
        let (_, skipped) =
            balance_check(since, usd(dec!(100)), usd(dec!(81.60)), &txs, &[eur]).unwrap();
        assert_eq!(skipped.len(), 1);
    }
}
