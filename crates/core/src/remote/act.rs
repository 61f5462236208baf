//! Acting on the inbox: each event is checked against the order it names and against
//! the provider's API, then either pays and fulfils that order, or is held for a
//! person, or is ignored. Each outcome is one transaction with the inbox row's new
//! status, so a process killed at any instant neither loses the event nor pays twice:
//! a `new` row is simply looked at again, and an order paid but not yet fulfilled is
//! finished by recovery.

use serde::Serialize;

use super::RemoteError;
use super::events::{self, PaidClaim, Reading};
use crate::alerts::{self, AlertKind, NewAlert};
use crate::db::{DbError, now_text};
use crate::money::Money;
use crate::orders::{Engine, Order, OrderError, OrderStatus, Outcome, Payment, record_payment_in};
use crate::payments::{PaymentError, Providers};
use crate::relay::inbox::{self, InboxEvent};

/// Who is recorded as having taken a remote payment.
pub const REMOTE_STAFF: &str = "remote";

#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub provider: String,
    pub event_id: String,
    pub order_ref: Option<String>,
    pub reason: String,
}

/// What one pass over the inbox did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ActReport {
    /// Orders paid by an event in this pass.
    pub paid: Vec<String>,
    pub delivered: Vec<String>,
    pub refund_due: Vec<String>,
    /// Paid, the supplier not finished yet: recovery finishes them.
    pub open: Vec<String>,
    pub held: Vec<Held>,
    pub ignored: u32,
    /// Events left for later: the provider could not be asked.
    pub waiting: Vec<String>,
    /// Row ids of the orders delivered (for the outbox's quick attempt).
    #[serde(skip)]
    pub delivered_ids: Vec<i64>,
}

impl ActReport {
    pub fn log(&self) {
        if !self.paid.is_empty() || !self.held.is_empty() || !self.waiting.is_empty() {
            tracing::info!(
                paid = self.paid.len(),
                delivered = self.delivered.len(),
                held = self.held.len(),
                waiting = self.waiting.len(),
                "relay events acted on"
            );
        }
        for h in &self.held {
            tracing::warn!(provider = %h.provider, event = %h.event_id, order = ?h.order_ref, "payment held for review: {}", h.reason);
        }
    }
}

enum Verdict {
    Pay {
        order: Order,
        reference: String,
    },
    Hold {
        order: Option<Order>,
        reason: String,
    },
    Ignore(String),
    /// The provider could not be asked now: the row stays `new`.
    Later(String),
}

pub(super) async fn work(engine: &Engine, providers: &Providers) -> Result<ActReport, RemoteError> {
    let mut report = ActReport::default();
    // One pass over what is there now; events arriving meanwhile wait for the next.
    for event in inbox::pending(engine.db(), 10_000).await? {
        let order_ref =
            match events::read(&event.provider, event.event_type.as_deref(), &event.payload) {
                Reading::Paid(claim) => claim.order_ref.clone(),
                _ => None,
            };
        match judge(engine, providers, &event).await? {
            Verdict::Ignore(reason) => {
                let mut tx = engine.db().begin_write().await?;
                inbox::close(
                    &mut tx,
                    event.id,
                    "ignored",
                    Some(&reason),
                    None,
                    &now_text(),
                )
                .await?;
                tx.commit().await.map_err(DbError::from)?;
                report.ignored += 1;
            }
            Verdict::Later(reason) => {
                tracing::warn!(event = %event.event_id, "left for later: {reason}");
                report.waiting.push(event.event_id.clone());
            }
            Verdict::Hold { order, reason } => {
                hold(
                    engine,
                    &event,
                    order.as_ref(),
                    order_ref.as_deref(),
                    &reason,
                )
                .await?;
                report.held.push(Held {
                    provider: event.provider.clone(),
                    event_id: event.event_id.clone(),
                    order_ref,
                    reason,
                });
            }
            Verdict::Pay { order, reference } => {
                match pay(engine, &event, &order, &reference).await? {
                    Paid::Done => {}
                    Paid::AlreadyClosed => continue,
                    Paid::NotQuoted(reason) => {
                        hold(engine, &event, Some(&order), order_ref.as_deref(), &reason).await?;
                        report.held.push(Held {
                            provider: event.provider.clone(),
                            event_id: event.event_id.clone(),
                            order_ref,
                            reason,
                        });
                        continue;
                    }
                }
                report.paid.push(order.public_id.clone());
                // Paid and leased: a drive that fails here is recovery's to finish,
                // and the events after this one are still read.
                let outcome = engine.fulfil(order.id).await.unwrap_or_else(|e| {
                    tracing::error!(order = %order.public_id, error = %e, "a paid remote order is left to recovery");
                    Outcome::Open {
                        reason: e.to_string(),
                    }
                });
                match outcome {
                    Outcome::Delivered => {
                        report.delivered.push(order.public_id.clone());
                        report.delivered_ids.push(order.id);
                    }
                    Outcome::RefundDue { .. } => report.refund_due.push(order.public_id.clone()),
                    Outcome::Open { .. } | Outcome::Busy => {
                        report.open.push(order.public_id.clone())
                    }
                }
            }
        }
    }
    Ok(report)
}

/// Every check an event must pass before its order is paid.
async fn judge(
    engine: &Engine,
    providers: &Providers,
    event: &InboxEvent,
) -> Result<Verdict, RemoteError> {
    let claim: PaidClaim =
        match events::read(&event.provider, event.event_type.as_deref(), &event.payload) {
            Reading::Paid(c) => c,
            Reading::Ignored(reason) => return Ok(Verdict::Ignore(reason)),
            Reading::Unreadable(reason) => {
                return Ok(Verdict::Hold {
                    order: None,
                    reason: format!("unreadable payment event: {reason}"),
                });
            }
        };
    let hold = |order: Option<&Order>, reason: String| {
        Ok(Verdict::Hold {
            order: order.cloned(),
            reason,
        })
    };
    if claim.provider == crate::payments::ProviderKind::Stripe
        && claim
            .payment_status
            .as_deref()
            .is_some_and(|s| s == "unpaid")
    {
        // Delayed methods (bank debits) complete the session before the money
        // arrives; `checkout.session.async_payment_succeeded` follows when it does.
        return Ok(Verdict::Ignore(
            "checkout completed, payment not yet made (payment_status unpaid)".into(),
        ));
    }
    let Some(order_ref) = claim.order_ref.as_deref().filter(|r| !r.trim().is_empty()) else {
        return hold(None, "the event names no order".into());
    };
    let order = match find_remote(engine, order_ref).await? {
        Some(o) => o,
        None => {
            return hold(
                None,
                format!("the event names {order_ref:?}, which is no order of this till"),
            );
        }
    };
    if order.channel != "remote" {
        return hold(
            Some(&order),
            format!("{} is a counter sale, not a remote order", order.public_id),
        );
    }
    let link: Option<(String, String)> =
        sqlx::query_as("SELECT provider, external_id FROM payment_links WHERE order_id = $1")
            .bind(order.id)
            .fetch_optional(engine.db().pool())
            .await
            .map_err(DbError::from)?;
    match &link {
        Some((p, id)) if p == claim.provider.as_str() && *id == claim.external_id => {}
        Some((p, id)) => {
            return hold(
                Some(&order),
                format!(
                    "{} {} is not the payment link of {} ({p} {id})",
                    claim.provider, claim.external_id, order.public_id
                ),
            );
        }
        None => {
            return hold(
                Some(&order),
                format!("{} has no payment link", order.public_id),
            );
        }
    }
    if order.status != OrderStatus::Quoted && paid_by(engine, &order, &claim).await? {
        // The same payment told again in another state (NOWPayments' `confirmed`
        // after `partially_paid` read late as finished; Stripe's async success):
        // not a second payment.
        return Ok(Verdict::Ignore(format!(
            "a later notice of the payment that paid {}",
            order.public_id
        )));
    }
    if order.status != OrderStatus::Quoted {
        return hold(
            Some(&order),
            format!(
                "{} is already {}: a second payment for it must be refunded or reviewed",
                order.public_id, order.status
            ),
        );
    }
    if let Some((minor, currency)) = &claim.amount_minor
        && !same_amount(&order.price, *minor, currency)
    {
        return hold(
            Some(&order),
            format!(
                "the event pays {minor} {} (minor units) for {} priced {}",
                currency.to_ascii_uppercase(),
                order.public_id,
                order.price
            ),
        );
    }
    let provider = match providers.get(claim.provider).await {
        Ok(p) => p,
        Err(e) => return Ok(Verdict::Later(e.to_string())),
    };
    // NOWPayments is asked about the payment itself; the others about the link.
    let asked = claim.payment_id.as_deref().unwrap_or(&claim.external_id);
    let seen = match provider.payment(asked).await {
        Ok(p) => p,
        Err(e @ PaymentError::Unavailable { .. }) => return Ok(Verdict::Later(e.to_string())),
        Err(e) => {
            return hold(
                Some(&order),
                format!("{} could not confirm the payment: {e}", claim.provider),
            );
        }
    };
    if !seen.paid {
        let received = seen
            .received
            .map(|r| format!(" ({r} received)"))
            .unwrap_or_default();
        return hold(
            Some(&order),
            format!(
                "{} says {asked} is {:?}, not paid{received}",
                claim.provider, seen.status
            ),
        );
    }
    if seen.external_id != claim.external_id {
        return hold(
            Some(&order),
            format!(
                "{} says {asked} belongs to {:?}, not to {}'s payment link {}",
                claim.provider, seen.external_id, order.public_id, claim.external_id
            ),
        );
    }
    // Decimal equality is by value: 21.990 is 21.99.
    if seen.amount != Some(order.price) {
        return hold(
            Some(&order),
            format!(
                "{} reports {} paid for {} priced {}",
                claim.provider,
                seen.amount
                    .map_or_else(|| "no amount".to_string(), |a| a.to_string()),
                order.public_id,
                order.price
            ),
        );
    }
    // What came in, where the provider counts it apart from the price (a BTCPay
    // invoice settled within its payment tolerance, a Razorpay link's amount_paid).
    if let Some(received) = seen.received
        && (received.currency != order.price.currency || received.amount < order.price.amount)
    {
        return hold(
            Some(&order),
            format!(
                "{} reports {received} received for {} priced {}: underpaid",
                claim.provider, order.public_id, order.price
            ),
        );
    }
    if seen
        .order_ref
        .as_deref()
        .is_some_and(|r| !r.eq_ignore_ascii_case(&order.public_id))
    {
        return hold(
            Some(&order),
            format!(
                "{} says {} is for {:?}",
                claim.provider, claim.external_id, seen.order_ref
            ),
        );
    }
    Ok(Verdict::Pay {
        order,
        reference: claim.external_id,
    })
}

/// Was `order` paid by the payment `claim` names (the same provider, link and
/// payment, read from the event that paid it)?
async fn paid_by(engine: &Engine, order: &Order, claim: &PaidClaim) -> Result<bool, RemoteError> {
    let processed: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT provider, event_type, payload FROM relay_inbox
          WHERE order_id = $1 AND status = 'processed'",
    )
    .bind(order.id)
    .fetch_all(engine.db().pool())
    .await
    .map_err(DbError::from)?;
    Ok(processed.iter().any(|(provider, event_type, payload)| {
        matches!(
            events::read(provider, event_type.as_deref(), payload),
            Reading::Paid(paid) if paid.provider == claim.provider
                && paid.external_id == claim.external_id
                && paid.payment_id == claim.payment_id
        )
    }))
}

fn same_amount(price: &Money, minor: i64, currency: &str) -> bool {
    currency.eq_ignore_ascii_case(price.currency.code()) && price.to_minor().ok() == Some(minor)
}

async fn find_remote(engine: &Engine, order_ref: &str) -> Result<Option<Order>, RemoteError> {
    // Only the public id: a provider's free text must not reach an order by row id.
    if !order_ref.trim().to_ascii_uppercase().starts_with("ORD-") {
        return Ok(None);
    }
    match crate::orders::find(engine.db(), order_ref).await {
        Ok(o) if o.public_id.eq_ignore_ascii_case(order_ref.trim()) => Ok(Some(o)),
        Ok(_) | Err(OrderError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

enum Paid {
    Done,
    /// Another process acted on this event first.
    AlreadyClosed,
    NotQuoted(String),
}

/// The payment and the event's processing, in one transaction.
async fn pay(
    engine: &Engine,
    event: &InboxEvent,
    order: &Order,
    reference: &str,
) -> Result<Paid, RemoteError> {
    let now = now_text();
    let mut tx = engine.db().begin_write().await?;
    if !inbox::close(&mut tx, event.id, "processed", None, Some(order.id), &now).await? {
        return Ok(Paid::AlreadyClosed);
    }
    let payment = Payment {
        method: event.provider.clone(),
        amount: order.price,
        tendered: None,
        change: None,
        reference: Some(reference.to_string()),
        staff: REMOTE_STAFF.to_string(),
        taken_at: now.clone(),
    };
    match record_payment_in(&mut tx, order.id, &payment, engine.lease()).await {
        Ok(()) => {}
        // Paid or cancelled since it was judged: dropping `tx` undoes the close.
        Err(OrderError::WrongState { order, status, .. }) => {
            drop(tx);
            return Ok(Paid::NotQuoted(format!(
                "{order} is already {status}: a second payment for it must be refunded or reviewed"
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(order = %order.public_id, provider = %event.provider, reference, "remote payment recorded");
    Ok(Paid::Done)
}

/// Holds the event for review and raises an alert, in one transaction.
async fn hold(
    engine: &Engine,
    event: &InboxEvent,
    order: Option<&Order>,
    order_ref: Option<&str>,
    reason: &str,
) -> Result<(), RemoteError> {
    let now = now_text();
    let mut tx = engine.db().begin_write().await?;
    if !inbox::close(
        &mut tx,
        event.id,
        "held",
        Some(reason),
        order.map(|o| o.id),
        &now,
    )
    .await?
    {
        return Ok(());
    }
    let message = format!(
        "Payment event {} {} held for review: {reason}",
        event.provider, event.event_id
    );
    let alert = NewAlert {
        kind: AlertKind::PaymentHeld,
        message: message.clone(),
        facts: serde_json::json!({
            "provider": event.provider, "event": event.event_id, "reason": reason,
        }),
        order_ref: order
            .map(|o| o.public_id.clone())
            .or(order_ref.map(str::to_string)),
    };
    alerts::raise_in(&mut tx, &alert, order.map(|o| o.id)).await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::warn!(provider = %event.provider, event = %event.event_id, "{message}");
    Ok(())
}
