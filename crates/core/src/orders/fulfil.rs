//! Fulfilment: drive a paid order to delivered (or refund due) without ever buying
//! twice. The order's `client_order_id` was committed with the order before the
//! first call and every attempt sends the identical request. After an outcome that
//! is not known (timeout, dropped connection, 5xx) the order is looked up by that
//! key before anything is sent again.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::{Instant, sleep};

use super::lease;
use super::state::OrderStatus;
use super::store;
use super::{Order, OrderError, RevealedCode};
use crate::db::Db;
use crate::supplier::{
    DuplicateMode, OrderRequest, RejectReason, Supplier, SupplierError, SupplierOrder,
    SupplierOrderStatus, Suppliers,
};
use crate::vault::Vault;

#[derive(Debug, Clone)]
pub struct FulfilOptions {
    /// How long a lease lasts; renewed before every step and during waits. Must
    /// exceed the supplier's request timeout by a good margin.
    pub lease: Duration,
    /// The most supplier attempts (sends and look-ups) in one drive.
    pub max_attempts: u32,
    /// How long one drive keeps going (polling a pending order, backing off) before
    /// it leaves the order open for later.
    pub budget: Duration,
    pub backoff_start: Duration,
    pub backoff_max: Duration,
}

impl Default for FulfilOptions {
    fn default() -> Self {
        FulfilOptions {
            lease: Duration::from_secs(60),
            max_attempts: 12,
            budget: Duration::from_secs(30),
            backoff_start: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// How a drive ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    /// The supplier refused after payment: payment taken, no code issued, refund due.
    RefundDue {
        code: String,
        message: String,
    },
    /// Still open (supplier pending or unreachable); finished by a later recovery.
    Open {
        reason: String,
    },
    /// Another live process is driving this order.
    Busy,
}

enum Step {
    Send,
    Lookup,
    Poll,
}

pub struct Fulfiller<'a> {
    pub db: &'a Db,
    pub suppliers: &'a Suppliers,
    pub vault: &'a Vault,
    pub owner: &'a str,
    pub options: &'a FulfilOptions,
}

impl Fulfiller<'_> {
    pub async fn drive(&self, id: i64) -> Result<Outcome, OrderError> {
        if !lease::acquire(self.db, id, self.owner, self.options.lease).await? {
            return Ok(Outcome::Busy);
        }
        let result = self.drive_leased(id).await;
        Ok(self.release_unless_closed(id, result).await?.outcome)
    }

    /// An order that [`store::insert_paid_sending`] just committed: paid, leased to
    /// this process and already moved to `ordering` for its first send.
    pub async fn drive_sending(
        &self,
        id: i64,
        supplier: Option<&str>,
        request: OrderRequest,
    ) -> Result<Driven, OrderError> {
        let result = match self.suppliers.get(supplier) {
            Some(at) => self.run(id, at, request, Step::Send, true).await,
            None => Ok(not_configured(supplier).into()),
        };
        self.release_unless_closed(id, result).await
    }

    /// A `refund_due` order the supplier did complete after all (reconciliation found
    /// its charge): its codes are fetched by the order's key, nothing is ever sent,
    /// and the order is delivered to its own buyer instead of refunded. A refund
    /// recorded meanwhile wins: the delivering batch moves only an order still due.
    pub async fn deliver_found(&self, id: i64) -> Result<Outcome, OrderError> {
        if !lease::acquire_refund_due(self.db, id, self.owner, self.options.lease).await? {
            return Ok(Outcome::Busy);
        }
        let result = self.fetch_and_deliver(id).await;
        if !matches!(result, Ok(Outcome::Delivered)) {
            lease::release(self.db, id, self.owner).await?;
        }
        result
    }

    async fn fetch_and_deliver(&self, id: i64) -> Result<Outcome, OrderError> {
        let order = self.order(id).await?;
        let not_yet = |reason: String| Ok(Outcome::Open { reason });
        // Attempts that ended before this one were refused (nothing charged): only
        // the last attempt's key can hold a charge.
        let Some(supplier) = self.suppliers.get(order.supplier.as_deref()) else {
            return Ok(not_configured(order.supplier.as_deref()));
        };
        let key = order.supplier_key();
        match supplier.get_order(key).await? {
            None => not_yet("the supplier has no order under this key".into()),
            Some(found) if found.client_order_id != key => {
                Err(OrderError::Supplier(SupplierError::Ambiguous {
                    message: format!(
                        "the supplier answered for {} instead of {key}",
                        found.client_order_id
                    ),
                }))
            }
            Some(found) if found.status != SupplierOrderStatus::Completed => not_yet(format!(
                "the supplier shows the order {:?}, not completed",
                found.status
            )),
            Some(found) => match store::deliver(self.db, self.vault, id, self.owner, &found).await?
            {
                Some(_) => Ok(Outcome::Delivered),
                None => Ok(Outcome::Busy),
            },
        }
    }

    /// The order as it stands now.
    async fn order(&self, id: i64) -> Result<Order, OrderError> {
        let mut conn = self
            .db
            .pool()
            .acquire()
            .await
            .map_err(crate::db::DbError::from)?;
        store::get(&mut conn, id).await
    }

    async fn release_unless_closed(
        &self,
        id: i64,
        result: Result<Driven, OrderError>,
    ) -> Result<Driven, OrderError> {
        if !matches!(
            result,
            Ok(Driven {
                outcome: Outcome::Delivered | Outcome::RefundDue { .. },
                ..
            })
        ) {
            // Delivered and refused orders dropped their lease in the same transaction.
            lease::release(self.db, id, self.owner).await?;
        }
        result
    }

    async fn drive_leased(&self, id: i64) -> Result<Driven, OrderError> {
        let order = self.order(id).await?;
        let Some(supplier) = self.suppliers.get(order.supplier.as_deref()) else {
            return Ok(not_configured(order.supplier.as_deref()).into());
        };
        // Its breaker is open: nothing would reach the supplier, so the order is not
        // touched (a claim stays `paid`, never marked sent, and can still expire).
        if !self.suppliers.is_up(order.supplier.as_deref()) {
            return Ok(Outcome::Open {
                reason: format!(
                    "supplier {} is down: the order waits for it",
                    crate::supplier::routing::display_name(order.supplier.as_deref())
                ),
            }
            .into());
        }
        let request = OrderRequest {
            client_order_id: order.supplier_key().to_string(),
            sku: order.sku_at_supplier().to_string(),
            quantity: order.quantity,
            max_unit_price: order.max_unit_price,
            face_value: order.open_amount.then_some(order.face_value),
        };
        // `paid` was never sent; `ordering`/`unknown` may have reached the supplier.
        let step = match order.status {
            OrderStatus::Paid => Step::Send,
            s if s.is_open() => Step::Lookup,
            _ => return Ok(Outcome::Busy.into()),
        };
        self.run(id, supplier, request, step, false).await
    }

    /// The drive itself, holding the lease. `send_recorded`: the first send's move to
    /// `ordering` was committed by the caller.
    async fn run(
        &self,
        id: i64,
        mut supplier: Arc<dyn Supplier>,
        mut request: OrderRequest,
        mut step: Step,
        send_recorded: bool,
    ) -> Result<Driven, OrderError> {
        let started = Instant::now();
        // `drive` took the lease just now; every later step renews it first.
        let mut first = true;
        let mut delay = self.options.backoff_start;
        let mut attempts = 0u32;
        let mut last_problem = String::from("not attempted");
        // Failed over since the drive began: the new attempt's send is not recorded.
        let mut switched = false;
        loop {
            if attempts >= self.options.max_attempts || started.elapsed() >= self.options.budget {
                return Ok(Outcome::Open {
                    reason: format!("still open after {attempts} attempt(s): {last_problem}"),
                }
                .into());
            }
            if !first && !lease::acquire(self.db, id, self.owner, self.options.lease).await? {
                return Ok(Outcome::Busy.into());
            }
            let recorded = first && send_recorded && !switched;
            first = false;
            attempts += 1;
            let next = match step {
                Step::Send => {
                    if !recorded && !store::mark_sending(self.db, id, self.owner).await? {
                        return Ok(Outcome::Busy.into());
                    }
                    match supplier.place_order(&request).await {
                        Ok(found) => self.settle(id, &request, found).await?,
                        Err(e) => {
                            let mode = supplier.duplicate_mode();
                            self.after_send_error(id, mode, e, &mut last_problem)
                                .await?
                        }
                    }
                }
                Step::Lookup => match supplier.get_order(&request.client_order_id).await {
                    Ok(Some(found)) => self.settle(id, &request, found).await?,
                    // Never created: sending the same request again is safe, unless
                    // it is a claim past the owner's limit, whose buyer is refunded
                    // (a late code would be paid for twice).
                    Ok(None) if self.claim_expired(id).await? => {
                        if store::refuse(
                            self.db,
                            id,
                            self.owner,
                            "claim_expired",
                            store::CLAIM_EXPIRED,
                        )
                        .await?
                        {
                            Next::Done(Outcome::RefundDue {
                                code: "claim_expired".into(),
                                message: store::CLAIM_EXPIRED.into(),
                            })
                        } else {
                            Next::Done(Outcome::Busy)
                        }
                    }
                    Ok(None) => Next::Go(Step::Send),
                    Err(
                        SupplierError::Configuration { message } | SupplierError::Down { message },
                    ) => {
                        return Ok(Outcome::Open { reason: message }.into());
                    }
                    Err(e) => {
                        last_problem = e.to_string();
                        Next::Wait(Step::Lookup, retry_after(&e))
                    }
                },
                Step::Poll => match supplier.get_order(&request.client_order_id).await {
                    Ok(Some(found)) => self.settle(id, &request, found).await?,
                    Ok(None) => Next::Go(Step::Send),
                    // No drive waits on a supplier whose breaker is open.
                    Err(SupplierError::Down { message }) => {
                        return Ok(Outcome::Open { reason: message }.into());
                    }
                    Err(e) => {
                        last_problem = e.to_string();
                        Next::Wait(Step::Poll, retry_after(&e))
                    }
                },
            };
            match next {
                Next::Done(outcome) => return Ok(outcome.into()),
                Next::Delivered(delivered) => {
                    let delivered = *delivered;
                    return Ok(Driven {
                        outcome: Outcome::Delivered,
                        codes: delivered.codes,
                        order: Some(delivered.order),
                    });
                }
                Next::Go(s) => step = s,
                Next::Switch(next) => {
                    let next = *next;
                    supplier = next.supplier;
                    request = next.request;
                    step = Step::Send;
                    switched = true;
                    first = false;
                }
                Next::Wait(s, after) => {
                    let wait = after.unwrap_or(delay).min(Duration::from_secs(30));
                    if started.elapsed() + wait > self.options.budget {
                        return Ok(Outcome::Open {
                            reason: format!(
                                "still open after {attempts} attempt(s): {last_problem}"
                            ),
                        }
                        .into());
                    }
                    if !self.wait(id, wait).await? {
                        return Ok(Outcome::Busy.into());
                    }
                    delay = (delay * 2).min(self.options.backoff_max);
                    step = s;
                    if matches!(step, Step::Poll) {
                        last_problem =
                            "the supplier is still processing the order (pending)".into();
                    }
                }
            }
        }
    }

    /// Sleeps `total`, renewing the lease every third of its length so that a long
    /// wait (a supplier's Retry-After) never lets it lapse. False if it was lost.
    async fn wait(&self, id: i64, total: Duration) -> Result<bool, OrderError> {
        let chunk = self.options.lease / 3;
        let mut left = total;
        while left > chunk {
            sleep(chunk).await;
            left -= chunk;
            if !lease::acquire(self.db, id, self.owner, self.options.lease).await? {
                return Ok(false);
            }
        }
        sleep(left).await;
        Ok(true)
    }

    /// What to do after the supplier answered with an order.
    async fn settle(
        &self,
        id: i64,
        request: &OrderRequest,
        found: SupplierOrder,
    ) -> Result<Next, OrderError> {
        if found.client_order_id != request.client_order_id {
            return Err(OrderError::Supplier(SupplierError::Ambiguous {
                message: format!(
                    "the supplier answered for {} instead of {}",
                    found.client_order_id, request.client_order_id
                ),
            }));
        }
        match found.status {
            SupplierOrderStatus::Completed => {
                match store::deliver(self.db, self.vault, id, self.owner, &found).await? {
                    Some(delivered) => Ok(Next::Delivered(Box::new(delivered))),
                    None => Ok(Next::Done(Outcome::Busy)),
                }
            }
            SupplierOrderStatus::Pending => {
                store::mark_pending(self.db, id, self.owner, &found.order_id).await?;
                Ok(Next::Wait(Step::Poll, None))
            }
            SupplierOrderStatus::Failed => {
                let (code, message) = found
                    .failure
                    .unwrap_or_else(|| ("failed".into(), "the supplier failed the order".into()));
                self.refuse(id, &code, &message).await
            }
        }
    }

    /// The supplier refused for good: the order fails over to the next offer when
    /// there is one, else it is refused (refund due).
    async fn refuse(&self, id: i64, code: &str, message: &str) -> Result<Next, OrderError> {
        if code == RejectReason::InsufficientBalance.code() {
            super::quote::forget_balance(self.db).await?;
        }
        if let Some(next) = self.fail_over(id, code, message).await? {
            return Ok(next);
        }
        if store::refuse(self.db, id, self.owner, code, message).await? {
            Ok(Next::Done(Outcome::RefundDue {
                code: code.to_string(),
                message: message.to_string(),
            }))
        } else {
            Ok(Next::Done(Outcome::Busy))
        }
    }

    /// Moves the order to the next offer under a new key (committed before it is
    /// sent), or `None` when no other supplier can deliver it.
    async fn fail_over(
        &self,
        id: i64,
        code: &str,
        message: &str,
    ) -> Result<Option<Next>, OrderError> {
        if !self.suppliers.routes() {
            return Ok(None);
        }
        let order = {
            let mut conn = self
                .db
                .pool()
                .acquire()
                .await
                .map_err(crate::db::DbError::from)?;
            store::get(&mut conn, id).await?
        };
        let Some(next) = super::failover::next_offer(self.db, self.suppliers, &order).await? else {
            return Ok(None);
        };
        let key = super::failover::attempt_key(&order, order.attempt + 1);
        let moved = store::fail_over(
            self.db,
            id,
            self.owner,
            &store::FailOver {
                code,
                message,
                supplier: next.product.supplier.as_deref(),
                supplier_sku: next.product.sku_at_supplier(),
                key: &key,
                max_unit_price: &next.max_unit_price,
                fx_rate: next.fx_rate,
            },
        )
        .await?;
        if !moved {
            return Ok(Some(Next::Done(Outcome::Busy)));
        }
        tracing::info!(
            order = %order.public_id,
            from = ?order.supplier,
            to = ?next.product.supplier,
            reason = code,
            "failed over to the next supplier"
        );
        let request = next.request(&order, &key);
        Ok(Some(Next::Switch(Box::new(Switch {
            supplier: next.supplier,
            request,
        }))))
    }

    async fn after_send_error(
        &self,
        id: i64,
        mode: DuplicateMode,
        error: SupplierError,
        last_problem: &mut String,
    ) -> Result<Next, OrderError> {
        *last_problem = error.to_string();
        match error {
            // The key was used with another body: only ever ours, so find it.
            SupplierError::Rejected {
                reason: RejectReason::IdempotencyConflict,
                ..
            } => Ok(Next::Go(Step::Lookup)),
            SupplierError::Rejected { reason, message } => {
                self.refuse(id, reason.code(), &message).await
            }
            SupplierError::Retryable { retry_after, .. } => {
                // Known not processed. A supplier that replays may get the same
                // request again; others are asked first.
                let then = if mode == DuplicateMode::Replay {
                    Step::Send
                } else {
                    Step::Lookup
                };
                Ok(Next::Wait(then, retry_after))
            }
            SupplierError::Ambiguous { message } => {
                store::mark_unknown(self.db, id, self.owner, &message).await?;
                Ok(Next::Go(Step::Lookup))
            }
            // Nothing reached the supplier (its breaker is open, or it refused the
            // account before reading the order), and nothing was there before this
            // send: the order is `paid` again, so that a claim can still expire.
            SupplierError::Configuration { message } | SupplierError::Down { message } => {
                store::mark_unsent(self.db, id, self.owner, &message).await?;
                Ok(Next::Done(Outcome::Open { reason: message }))
            }
        }
    }

    /// Is the order a claim past the owner's limit?
    async fn claim_expired(&self, id: i64) -> Result<bool, OrderError> {
        let before = super::claim::limit_start(self.db).await?;
        store::claim_taken_before(self.db, id, &before).await
    }
}

/// A drive's outcome, with the order and its codes when this drive delivered them
/// (in hand from the delivering transaction and the supplier's answer, so the sale
/// needs no read-back and decryption).
pub struct Driven {
    pub outcome: Outcome,
    pub codes: Vec<RevealedCode>,
    pub order: Option<Order>,
}

impl From<Outcome> for Driven {
    fn from(outcome: Outcome) -> Driven {
        Driven {
            outcome,
            codes: Vec::new(),
            order: None,
        }
    }
}

enum Next {
    Done(Outcome),
    Delivered(Box<store::Delivered>),
    Go(Step),
    Wait(Step, Option<Duration>),
    /// Failed over: send the new attempt to the next supplier.
    Switch(Box<Switch>),
}

struct Switch {
    supplier: Arc<dyn Supplier>,
    request: OrderRequest,
}

/// An open order whose supplier is no longer configured waits for it.
fn not_configured(name: Option<&str>) -> Outcome {
    Outcome::Open {
        reason: format!(
            "supplier {} is not configured: the order waits for it",
            crate::supplier::routing::display_name(name)
        ),
    }
}

fn retry_after(e: &SupplierError) -> Option<Duration> {
    match e {
        SupplierError::Retryable { retry_after, .. } => *retry_after,
        _ => None,
    }
}
