//! The account: balance, orders and their idempotency keys, and the rule that
//! makes new orders start `pending`. All of it is synchronous and runs under the
//! state's locks (ledger first, then catalog); the async parts — waiting on a
//! key, holding, settling later — live in `state.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::catalog_data::Category;
use crate::codes::{CodeMint, DeliveredCode};
use crate::error::{ApiError, ErrorCode};
use crate::wire::{money, ser_money, ser_opt_time, ser_time};

/// A validated `POST /v1/orders` body. Two bodies are "the same" when these
/// fields are equal (prices compared as numbers, so `"18.4"` equals `"18.40"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderRequest {
    pub client_order_id: String,
    pub sku: String,
    pub quantity: u32,
    pub max_unit_price: Decimal,
    /// An open amount's face value (Reloadly RANGE products); the cost scales with it.
    pub face: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OrderStatus {
    Pending,
    Completed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settlement {
    Complete,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Order {
    /// 1-based position in the ledger (Reloadly's numeric `transactionId`).
    #[serde(skip)]
    pub seq: u64,
    pub order_id: String,
    pub client_order_id: String,
    pub status: OrderStatus,
    pub sku: String,
    pub quantity: u32,
    #[serde(serialize_with = "ser_money")]
    pub unit_price: Decimal,
    #[serde(serialize_with = "ser_money")]
    pub total: Decimal,
    pub currency: String,
    pub codes: Vec<DeliveredCode>,
    pub failure: Option<Failure>,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_opt_time")]
    pub completed_at: Option<DateTime<Utc>>,
    /// The balance right after this order was charged (a snapshot).
    #[serde(serialize_with = "ser_money")]
    pub balance_after: Decimal,
    #[serde(skip)]
    pub request: OrderRequest,
    #[serde(skip)]
    pub with_pin: bool,
    /// When and how a pending order ends.
    #[serde(skip)]
    pub settle: Option<(DateTime<Utc>, Settlement)>,
}

/// `POST /_sandbox/pending`: the next orders start pending.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct PendingRule {
    pub seconds: f64,
    /// Orders still to make pending; 0 = every order until cleared.
    pub remaining: u32,
    pub then: Settlement,
}

impl Serialize for Settlement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Settlement::Complete => "completed",
            Settlement::Fail => "failed",
        })
    }
}

pub(crate) enum Placed {
    Created(Order),
    Replayed(Order),
    /// The key was used before and the flavor refuses repeats (Reloadly's
    /// `CUSTOM_IDENTIFIER_ALREADY_USED`); the earlier order, unchanged.
    Existing(Order),
}

/// What a second order under a known key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Same body: the first order again; another body: a conflict (Wholesale API v1).
    Replay,
    /// Refused, whatever the body.
    Refuse,
    /// Executed as a new order: what a supplier does when two requests race past
    /// its duplicate check.
    Execute,
}

pub(crate) struct Ledger {
    currency: Arc<str>,
    balance: Decimal,
    balance_updated_at: DateTime<Utc>,
    orders: Vec<Order>,
    by_key: HashMap<String, usize>,
    mint: CodeMint,
    pending: Option<PendingRule>,
}

impl Ledger {
    pub(crate) fn new(currency: Arc<str>, balance: Decimal, now: DateTime<Utc>) -> Self {
        Self {
            currency,
            balance: money(balance),
            balance_updated_at: now,
            orders: Vec::new(),
            by_key: HashMap::new(),
            mint: CodeMint::new(),
            pending: None,
        }
    }

    pub(crate) fn currency(&self) -> &str {
        &self.currency
    }

    pub(crate) fn balance(&self) -> (Decimal, DateTime<Utc>) {
        (self.balance, self.balance_updated_at)
    }

    pub(crate) fn set_balance(&mut self, balance: Decimal, now: DateTime<Utc>) {
        self.balance = money(balance);
        self.balance_updated_at = now;
    }

    pub(crate) fn orders(&self) -> &[Order] {
        &self.orders
    }

    pub(crate) fn by_seq(&self, seq: u64) -> Option<&Order> {
        let i = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.orders.get(i)
    }

    pub(crate) fn get(&self, client_order_id: &str) -> Option<&Order> {
        self.by_key.get(client_order_id).map(|&i| &self.orders[i])
    }

    pub(crate) fn set_pending(&mut self, rule: Option<PendingRule>) {
        self.pending = rule;
    }

    pub(crate) fn pending_rule(&self) -> Option<PendingRule> {
        self.pending
    }

    /// Create the order, replay it, or say why not. Nothing is charged unless an
    /// order is created.
    #[cfg(test)]
    pub(crate) fn place(
        &mut self,
        catalog: &mut Catalog,
        req: &OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<Placed, ApiError> {
        self.place_with(catalog, req, now, Repeat::Replay)
    }

    pub(crate) fn place_with(
        &mut self,
        catalog: &mut Catalog,
        req: &OrderRequest,
        now: DateTime<Utc>,
        repeat: Repeat,
    ) -> Result<Placed, ApiError> {
        if let Some(existing) = self
            .get(&req.client_order_id)
            .filter(|_| repeat != Repeat::Execute)
        {
            if repeat == Repeat::Refuse {
                return Ok(Placed::Existing(existing.clone()));
            }
            return if existing.request == *req {
                Ok(Placed::Replayed(existing.clone()))
            } else {
                Err(ApiError::new(
                    ErrorCode::IdempotencyConflict,
                    format!(
                        "client_order_id {} was already used with a different body",
                        req.client_order_id
                    ),
                ))
            };
        }
        let product = catalog
            .get(&req.sku)
            .ok_or_else(|| ApiError::not_found(format!("no product with sku {}", req.sku)))?;
        if !product.available() {
            return Err(ApiError::new(
                ErrorCode::OutOfStock,
                format!("{} is out of stock", req.sku),
            ));
        }
        if let Some(left) = product.quantity.filter(|&q| q < req.quantity) {
            return Err(ApiError::new(
                ErrorCode::OutOfStock,
                format!("only {left} of {} left", req.sku),
            ));
        }
        let unit_price = match req.face {
            Some(face) if !product.face_value.is_zero() => {
                money(face * product.wholesale_price / product.face_value)
            }
            _ => product.wholesale_price,
        };
        if unit_price > req.max_unit_price {
            return Err(ApiError::new(
                ErrorCode::PriceChanged,
                format!(
                    "unit price of {} is now {} {}, above max_unit_price {}",
                    req.sku,
                    money(unit_price),
                    self.currency,
                    money(req.max_unit_price)
                ),
            ));
        }
        let total = money(unit_price * Decimal::from(req.quantity));
        if self.balance < total {
            return Err(ApiError::new(
                ErrorCode::InsufficientBalance,
                format!(
                    "balance {} {} is less than the order total {}",
                    self.balance, self.currency, total
                ),
            ));
        }
        let with_pin = product.category == Category::MobileTopup;

        self.balance = money(self.balance - total);
        self.balance_updated_at = now;
        catalog.take_stock(&req.sku, req.quantity, now);

        let settle = self.pending.map(|rule| {
            let millis = (rule.seconds * 1000.0).round() as i64;
            (now + chrono::Duration::milliseconds(millis), rule.then)
        });
        if let Some(rule) = self.pending.as_mut() {
            match rule.remaining {
                0 => {}
                1 => self.pending = None,
                _ => rule.remaining -= 1,
            }
        }
        let (status, codes, completed_at) = match settle {
            Some(_) => (OrderStatus::Pending, Vec::new(), None),
            None => (
                OrderStatus::Completed,
                self.mint.mint(req.quantity, with_pin),
                Some(now),
            ),
        };
        let order = Order {
            seq: self.orders.len() as u64 + 1,
            order_id: format!("SO-{:06}", self.orders.len() + 1),
            client_order_id: req.client_order_id.clone(),
            status,
            sku: req.sku.clone(),
            quantity: req.quantity,
            unit_price,
            total,
            currency: self.currency.to_string(),
            codes,
            failure: None,
            created_at: now,
            completed_at,
            balance_after: self.balance,
            request: req.clone(),
            with_pin,
            settle,
        };
        self.by_key
            .insert(req.client_order_id.clone(), self.orders.len());
        self.orders.push(order.clone());
        Ok(Placed::Created(order))
    }

    /// The supplier charges an order `total` after all (a fee corrected, a price
    /// applied late): the difference leaves or returns to the balance. `None` for an
    /// unknown key or a failed order (it charged nothing).
    pub(crate) fn adjust_charge(
        &mut self,
        client_order_id: &str,
        total: Decimal,
        now: DateTime<Utc>,
    ) -> Option<Order> {
        let &i = self.by_key.get(client_order_id)?;
        let order = self.orders.get_mut(i)?;
        if order.status == OrderStatus::Failed {
            return None;
        }
        let total = money(total);
        self.balance = money(self.balance - (total - order.total));
        self.balance_updated_at = now;
        order.total = total;
        order.unit_price = money(total / Decimal::from(order.quantity.max(1)));
        Some(order.clone())
    }

    /// A failed order completes after all (a supplier that reported a failure, then
    /// fulfilled the order): charged again, its codes issued, booked now. `None` for
    /// an unknown key or an order that did not fail.
    pub(crate) fn complete_after_all(
        &mut self,
        client_order_id: &str,
        now: DateTime<Utc>,
    ) -> Option<Order> {
        let &i = self.by_key.get(client_order_id)?;
        let (quantity, with_pin) = match self.orders.get(i)? {
            o if o.status == OrderStatus::Failed => (o.quantity, o.with_pin),
            _ => return None,
        };
        let codes = self.mint.mint(quantity, with_pin);
        let order = self.orders.get_mut(i)?;
        order.status = OrderStatus::Completed;
        order.failure = None;
        order.codes = codes;
        order.created_at = now;
        order.completed_at = Some(now);
        self.balance = money(self.balance - order.total);
        self.balance_updated_at = now;
        order.balance_after = self.balance;
        Some(order.clone())
    }

    /// End a pending order if its time has come (or `force`, for the timer that
    /// was set for exactly that time). Failing refunds the charge and the stock.
    pub(crate) fn settle(
        &mut self,
        catalog: &mut Catalog,
        client_order_id: &str,
        now: DateTime<Utc>,
        force: bool,
    ) {
        let Some(&i) = self.by_key.get(client_order_id) else {
            return;
        };
        self.settle_at(catalog, i, now, force);
    }

    /// [`Ledger::settle`] for the order at index `i`.
    pub(crate) fn settle_at(
        &mut self,
        catalog: &mut Catalog,
        i: usize,
        now: DateTime<Utc>,
        force: bool,
    ) {
        let Some(order) = self.orders.get_mut(i) else {
            return;
        };
        let Some((at, how)) = order.settle else {
            return;
        };
        if !force && at > now {
            return;
        }
        order.settle = None;
        match how {
            Settlement::Complete => {
                order.codes = self.mint.mint(order.quantity, order.with_pin);
                order.status = OrderStatus::Completed;
                order.completed_at = Some(now);
            }
            Settlement::Fail => {
                order.status = OrderStatus::Failed;
                order.failure = Some(Failure {
                    code: ErrorCode::OutOfStock,
                    message: "the supplier could not fulfil the order; nothing was charged"
                        .to_owned(),
                });
                self.balance = money(self.balance + order.total);
                self.balance_updated_at = now;
                catalog.return_stock(&order.sku, order.quantity, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::catalog_gen::generate;
    use crate::config::SandboxConfig;
    use crate::wire::now;

    fn setup(balance: i64) -> (Ledger, Catalog) {
        let catalog = Catalog::new(generate(&SandboxConfig {
            products: 100,
            ..SandboxConfig::default()
        }));
        (
            Ledger::new(Arc::from("USD"), Decimal::new(balance, 2), now()),
            catalog,
        )
    }

    fn req(id: &str, qty: u32, max: &str) -> OrderRequest {
        OrderRequest {
            client_order_id: id.into(),
            sku: "STEAM-US-20".into(),
            quantity: qty,
            max_unit_price: max.parse().unwrap(),
            face: None,
        }
    }

    #[test]
    fn create_charges_and_replay_does_not() {
        let (mut l, mut c) = setup(10_000);
        let Placed::Created(o) = l.place(&mut c, &req("a", 2, "18.40"), now()).unwrap() else {
            panic!("not created")
        };
        assert_eq!(o.total.to_string(), "36.80");
        assert_eq!(o.balance_after.to_string(), "63.20");
        assert_eq!(o.codes.len(), 2);
        let Placed::Replayed(r) = l.place(&mut c, &req("a", 2, "18.4"), now()).unwrap() else {
            panic!("not replayed")
        };
        assert_eq!(r.codes, o.codes);
        assert_eq!(l.balance().0.to_string(), "63.20");
        let err = l.place(&mut c, &req("a", 1, "18.40"), now()).err().unwrap();
        assert_eq!(err.code, ErrorCode::IdempotencyConflict);
    }

    #[test]
    fn refusals_charge_nothing() {
        let (mut l, mut c) = setup(1000);
        let e = l.place(&mut c, &req("a", 1, "18.39"), now()).err().unwrap();
        assert_eq!(e.code, ErrorCode::PriceChanged);
        let e = l.place(&mut c, &req("b", 1, "18.40"), now()).err().unwrap();
        assert_eq!(e.code, ErrorCode::InsufficientBalance);
        let mut r = req("c", 1, "100");
        r.sku = "NOPE".into();
        assert_eq!(
            l.place(&mut c, &r, now()).err().unwrap().code,
            ErrorCode::NotFound
        );
        assert_eq!(l.balance().0.to_string(), "10.00");
        assert!(l.orders().is_empty());
    }

    #[test]
    fn pending_fail_refunds() {
        let (mut l, mut c) = setup(10_000);
        l.set_pending(Some(PendingRule {
            seconds: 0.0,
            remaining: 1,
            then: Settlement::Fail,
        }));
        let Placed::Created(o) = l.place(&mut c, &req("a", 1, "20"), now()).unwrap() else {
            panic!()
        };
        assert_eq!(o.status, OrderStatus::Pending);
        assert!(o.codes.is_empty());
        assert_eq!(l.balance().0.to_string(), "81.60");
        l.settle(&mut c, "a", now(), false);
        let o = l.get("a").unwrap();
        assert_eq!(o.status, OrderStatus::Failed);
        assert_eq!(l.balance().0.to_string(), "100.00");
        // The rule was for one order only.
        let Placed::Created(o) = l.place(&mut c, &req("b", 1, "20"), now()).unwrap() else {
            panic!()
        };
        assert_eq!(o.status, OrderStatus::Completed);
    }
}
