//! The sale's state machine (see ARCHITECTURE.md, "The order"):
//!
//! ```text
//! quoted ──pay──► paid ──► ordering ──► delivered
//!    │                        │  ▲
//!    └─cancel                 │  └── pending at supplier (poll)
//!                             ├────► unknown ──lookup──► (ordering | delivered | failed)
//!                             └────► failed ──► refund_due ──► refunded
//!                                                   │
//!                          the supplier did deliver └──► delivered
//! ```
//!
//! Only `paid`, `ordering` and `unknown` ever reach the supplier; they are the
//! "open" states that recovery drives to an end. A `refund_due` order becomes
//! `delivered` only when reconciliation finds the supplier completed it after all
//! and the owner has its codes fetched (never sent again) for its own buyer.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Quoted,
    Paid,
    Ordering,
    Unknown,
    Delivered,
    Failed,
    RefundDue,
    Refunded,
    Cancelled,
}

use OrderStatus::*;

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        Quoted, Paid, Ordering, Unknown, Delivered, Failed, RefundDue, Refunded, Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Quoted => "quoted",
            Paid => "paid",
            Ordering => "ordering",
            Unknown => "unknown",
            Delivered => "delivered",
            Failed => "failed",
            RefundDue => "refund_due",
            Refunded => "refunded",
            Cancelled => "cancelled",
        }
    }

    /// Paid, and not yet known to be delivered or refused: the fulfilment engine and
    /// recovery drive these.
    pub fn is_open(&self) -> bool {
        matches!(self, Paid | Ordering | Unknown)
    }

    /// Nothing more will happen to the order.
    pub fn is_final(&self) -> bool {
        matches!(self, Delivered | Refunded | Cancelled)
    }

    /// The transitions of the diagram; anything else is refused.
    pub fn can_become(&self, next: OrderStatus) -> bool {
        matches!(
            (self, next),
            (Quoted, Paid)
                | (Quoted, Cancelled)
                | (Paid, Ordering)
                | (Ordering, Ordering)
                | (Ordering, Unknown)
                | (Ordering, Delivered)
                | (Ordering, Failed)
                | (Unknown, Ordering)
                | (Unknown, Delivered)
                | (Unknown, Failed)
                // Failover: the supplier refused for good (nothing charged there);
                // the order is sent to the next supplier under a new key.
                | (Ordering, Paid)
                | (Unknown, Paid)
                // A claim never sent (the supplier stayed down past the owner's
                // limit): nothing was bought, the buyer is refunded.
                | (Paid, Failed)
                | (Failed, RefundDue)
                | (RefundDue, Refunded)
                | (RefundDue, Delivered)
        )
    }

    /// The states from which `next` may be entered (for guarded SQL updates).
    pub fn sources(next: OrderStatus) -> Vec<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .filter(|s| s.can_become(next))
            .collect()
    }
}

/// `'paid', 'ordering'`: statuses as an SQL list, for statements built once (a
/// status's name is a fixed word, never text from outside).
pub(crate) fn sql_list(statuses: impl IntoIterator<Item = OrderStatus>) -> String {
    statuses
        .into_iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown order status {0:?} (expected one of quoted, paid, ordering, unknown, delivered, failed, refund_due, refunded, cancelled)"
)]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>().unwrap(), s);
        }
        assert!("shipped".parse::<OrderStatus>().is_err());
    }

    #[test]
    fn the_supplier_is_only_reached_after_payment() {
        assert!(!Quoted.can_become(Ordering));
        assert!(!Quoted.can_become(Delivered));
        assert_eq!(
            OrderStatus::sources(Ordering),
            vec![Paid, Ordering, Unknown]
        );
        assert_eq!(
            OrderStatus::sources(Delivered),
            vec![Ordering, Unknown, RefundDue]
        );
        // Refunded is final: the buyer got the money back, never a code as well.
        assert!(!Refunded.can_become(Delivered));
        assert!(!Cancelled.can_become(Delivered));
    }

    #[test]
    fn status_lists_are_written_as_sql() {
        assert_eq!(
            sql_list(OrderStatus::sources(Delivered)),
            "'ordering', 'unknown', 'refund_due'"
        );
        assert_eq!(sql_list([RefundDue]), "'refund_due'");
    }

    proptest! {
        /// Whatever is attempted, a walk obeying can_become never delivers an unpaid
        /// order, never leaves a final state, refunds only what was due, and never
        /// both refunds and delivers one order.
        #[test]
        fn random_walks_keep_the_invariants(steps in prop::collection::vec(0usize..9, 0..40)) {
            let mut state = Quoted;
            let mut was_paid = false;
            let mut was_due = false;
            for i in steps {
                let next = OrderStatus::ALL[i];
                if state.can_become(next) {
                    prop_assert!(!state.is_final(), "left final state {state}");
                    state = next;
                    was_paid |= state == Paid;
                    was_due |= state == RefundDue;
                    if matches!(state, Ordering | Unknown | Delivered | Failed) {
                        prop_assert!(was_paid, "{state} before payment");
                    }
                    if state == Refunded {
                        prop_assert!(was_due);
                    }
                    if state == Delivered || state == Refunded {
                        prop_assert!(state.is_final());
                    }
                }
            }
        }
    }
}
