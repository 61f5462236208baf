//! "Sell now, deliver when the supplier returns" (the owner's choice, off by
//! default). When the supplier is down, a paid counter sale is taken as a claim: the
//! order waits in `paid`, never sent, and the buyer gets a slip (printed, and by
//! email) with the claim number and its QR code. Recovery buys it the moment the
//! supplier answers — under the key fixed with the order, as any sale — and the
//! delivery emails and prints the code as usual. A claim the supplier did not come
//! back for within the owner's limit becomes refund due.
//!
//! A sale whose drive ended with the supplier unreachable after payment is open in
//! the same way; with claims on, it gets a number and a slip too.

use std::time::Duration;

use super::store;
use super::{
    CounterSale, DeliveryRequest, Engine, NewOrderFor, OrderError, Outcome, Sale, new_order,
    payment_for,
};
use crate::db::{Db, DbError};
use crate::settings;

/// "on" when the shop takes claims.
pub const ENABLED: &str = "claims.enabled";
/// Hours a claim may wait for the supplier before it is refunded.
pub const LIMIT_HOURS: &str = "claims.limit_hours";
pub const DEFAULT_LIMIT_HOURS: u32 = 48;
/// At most a month: a buyer's money is not held longer.
pub const MAX_LIMIT_HOURS: u32 = 24 * 31;

/// The owner's claim settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ClaimTerms {
    pub enabled: bool,
    #[serde(serialize_with = "hours")]
    pub limit: Duration,
}

fn hours<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs() / 3600)
}

pub async fn terms(db: &Db) -> Result<ClaimTerms, DbError> {
    let (enabled, limit): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT value FROM settings WHERE key = $1),
                (SELECT value FROM settings WHERE key = $2)",
    )
    .bind(ENABLED)
    .bind(LIMIT_HOURS)
    .fetch_one(db.pool())
    .await?;
    let hours = limit
        .and_then(|h| h.parse::<u32>().ok())
        .filter(|h| (1..=MAX_LIMIT_HOURS).contains(h))
        .unwrap_or(DEFAULT_LIMIT_HOURS);
    Ok(ClaimTerms {
        enabled: enabled.as_deref() == Some("on"),
        limit: Duration::from_secs(u64::from(hours) * 3600),
    })
}

/// The instant (as stored) before which a claim is past the owner's limit.
pub(super) async fn limit_start(db: &Db) -> Result<String, OrderError> {
    let limit = terms(db).await?.limit;
    Ok(crate::db::time_text(
        chrono::Utc::now() - chrono::Duration::from_std(limit).unwrap_or_default(),
    ))
}

/// Checks a new claim limit (hours, 1 to a month).
pub fn check_limit(hours: u32) -> Result<u32, OrderError> {
    if (1..=MAX_LIMIT_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(OrderError::BadInput(format!(
            "claim limit: {hours} hours is outside 1 to {MAX_LIMIT_HOURS}"
        )))
    }
}

/// Writes the claim settings inside the caller's transaction (which audits them):
/// on or off, and the limit when given (checked by [`check_limit`] first).
pub async fn write_terms(
    tx: &mut sqlx::AnyConnection,
    enabled: bool,
    limit_hours: Option<u32>,
) -> Result<(), DbError> {
    settings::set(&mut *tx, ENABLED, if enabled { "on" } else { "off" }).await?;
    if let Some(h) = limit_hours {
        settings::set(&mut *tx, LIMIT_HOURS, &h.to_string()).await?;
    }
    Ok(())
}

/// Why a claim's drive ended open, as the sale shows it.
fn waiting(number: &str) -> Outcome {
    Outcome::Open {
        reason: format!(
            "taken as claim {number}: the code is bought the moment the supplier answers"
        ),
    }
}

impl Engine {
    /// A counter sale while its supplier cannot be asked: quoted from what is known,
    /// paid, and kept as a claim in one transaction. Nothing is sent now.
    pub(super) async fn sell_as_claim(
        &self,
        sale: &CounterSale,
        delivery: &DeliveryRequest,
        buyer_tax_id: Option<String>,
    ) -> Result<Sale, OrderError> {
        let quote = super::quote::quote_known(
            &self.db,
            &self.suppliers,
            &self.stock,
            &sale.sku,
            sale.amount,
        )
        .await?;
        let payment = payment_for(&sale.tender, quote.price, &sale.staff)?;
        let mut new = new_order(&quote, NewOrderFor::counter(sale, delivery));
        super::with_tax_terms(&quote, &mut new);
        new.buyer_tax_id = buyer_tax_id;
        new.buyer = delivery.buyer.clone();
        let id = store::insert_paid_claim(&self.db, &new, &payment).await?;
        let order = self.order(id).await?;
        let number = order
            .claim
            .as_ref()
            .map(|c| c.number.clone())
            .unwrap_or_default();
        tracing::warn!(order = %order.public_id, claim = %number, "supplier down: sale taken as a claim");
        Ok(Sale {
            outcome: waiting(&number),
            order,
            codes: Vec::new(),
        })
    }

    /// A counter sale whose drive ended open (the supplier stopped answering after
    /// payment) becomes a claim when the shop takes them: its number and slip. The
    /// sale is paid whatever happens here: a claim that cannot be written leaves it
    /// an open order, which recovery finishes, never an error the counter would
    /// read as "not sold".
    pub(super) async fn claim_if_open(&self, sale: Sale) -> Sale {
        if !matches!(sale.outcome, Outcome::Open { .. }) || sale.order.channel != "counter" {
            return sale;
        }
        match self.claim_open(sale.order.id).await {
            Ok(Some((number, order))) => Sale {
                outcome: waiting(&number),
                order,
                codes: sale.codes,
            },
            Ok(None) => sale,
            Err(e) => {
                tracing::warn!(order = %sale.order.public_id, error = %e,
                    "the open sale was not made a claim: it stays open for recovery");
                sale
            }
        }
    }

    /// Numbers open order `id` as a claim when the shop takes them.
    async fn claim_open(&self, id: i64) -> Result<Option<(String, super::Order)>, OrderError> {
        if !terms(&self.db).await?.enabled {
            return Ok(None);
        }
        let Some(number) = store::mark_claim(&self.db, id).await? else {
            return Ok(None);
        };
        Ok(Some((number, self.order(id).await?)))
    }

    /// Claims that waited longer than the owner's limit become refund due; answers
    /// their ids.
    pub(super) async fn expire_claims(&self) -> Result<Vec<i64>, OrderError> {
        let before = limit_start(&self.db).await?;
        let expired = store::expire_claims(&self.db, &before).await?;
        for id in &expired {
            tracing::warn!(order = id, "claim not bought within the limit: refund due");
        }
        Ok(expired)
    }

    /// Is the sale's quote refusal one a claim answers (the supplier is down, and
    /// the shop takes claims)?
    pub(super) async fn takes_claim(&self, refused: &OrderError) -> Result<bool, OrderError> {
        Ok(matches!(
            refused,
            OrderError::Refused(super::Refusal::SupplierUnavailable { .. })
        ) && terms(&self.db).await?.enabled)
    }

    async fn order(&self, id: i64) -> Result<super::Order, OrderError> {
        let mut conn = self.db.pool().acquire().await.map_err(DbError::from)?;
        store::get(&mut conn, id).await
    }
}
