//! Opening an order: a quote, or a counter sale paid on the spot. The order's
//! `client_order_id`, its idempotency key at the supplier, is fixed here for good.

use std::sync::LazyLock;

use super::row::minor;
use crate::db::{Batch, Db, DbError, now_text};
use crate::language::Language;
use crate::money::Money;
use crate::orders::OrderError;
use crate::orders::model::Payment;
use crate::orders::state::{OrderStatus, sql_list};

/// Everything needed to open an order, fixed at quote time.
pub struct NewOrder {
    pub client_order_id: String,
    pub channel: &'static str,
    pub sku: String,
    /// The supplier account it is bought from (`None`: the shop's single supplier)
    /// and the sku there when it differs from `sku`.
    pub supplier: Option<String>,
    pub supplier_sku: Option<String>,
    pub name: String,
    pub region: String,
    pub face_value: Money,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    pub quantity: u32,
    pub price: Money,
    pub max_unit_price: Money,
    /// Sale currency per unit of the wholesale currency, as the quote used it.
    pub fx_rate: rust_decimal::Decimal,
    /// The face value was chosen by the buyer (an open-amount product).
    pub open_amount: bool,
    pub email: Option<String>,
    pub staff: String,
    pub till_id: Option<String>,
    /// The printer for the receipt, when one was asked for.
    pub print_to: Option<String>,
    pub language: Language,
    /// The tax inside the price, when the product's category has a rate.
    pub tax: Option<crate::tax::Split>,
    /// Invoiced when paid (the shop has a tax id): the terms, and the buyer's tax id.
    pub invoice: Option<crate::tax::InvoiceTerms>,
    pub buyer_tax_id: Option<String>,
    /// The buyer attached at the counter (or a remote sale's email).
    pub buyer: Option<crate::buyers::Contact>,
}

/// The order's tax part, written with it, when it has one.
pub(super) fn with_tax(batch: Batch, new: &NewOrder) -> Result<Batch, OrderError> {
    let Some(tax) = &new.tax else {
        return Ok(batch);
    };
    Ok(batch.then(
        Batch::new("UPDATE orders SET tax_rate = $2, tax_minor = $3 WHERE client_order_id = $1")
            .bind(new.client_order_id.clone())
            .bind(tax.rate.normalize().to_string())
            .bind(minor(&tax.tax)?),
    ))
}

/// Opens a `quoted` order; its `client_order_id` is fixed here, for good.
pub async fn insert_quoted(db: &Db, new: &NewOrder) -> Result<i64, OrderError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{ORDER_INSERT};
         INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         VALUES ({NEW_ID}, $2, NULL, {quoted}, NULL);
         SELECT {NEW_ID}",
            quoted = sql_list([OrderStatus::Quoted]),
        )
    });
    let mut batch = with_tax(
        bind_order(Batch::new(SQL.as_str()), new, now_text(), None, None)?,
        new,
    )?;
    if let Some(buyer) = &new.buyer {
        batch = batch.then(crate::buyers::attach_batch(
            buyer,
            crate::buyers::SaleKey::Order(&new.client_order_id),
        ));
    }
    new_id(db, batch).await
}

/// A counter sale paid on the spot, in one transaction: the order (its
/// `client_order_id` fixed), its payment, this till's lease, and the move to
/// `ordering` for the first send. A crash after this commit leaves an `ordering`
/// order, which recovery looks up at the supplier before it sends anything.
pub async fn insert_paid_sending(
    db: &Db,
    new: &NewOrder,
    payment: &Payment,
    lease: (&str, std::time::Duration),
) -> Result<i64, OrderError> {
    let batch = paid_sending(new, payment, lease)?;
    new_id(db, with_invoice_and_buyer(batch, new)).await
}

/// A paid order's invoice (when the shop has a tax id) and its buyer, written with it.
pub(super) fn with_invoice_and_buyer(mut batch: Batch, new: &NewOrder) -> Batch {
    if let Some(terms) = &new.invoice {
        batch = batch.then(crate::tax::invoice_batch(
            terms,
            new.buyer_tax_id.as_deref(),
            crate::tax::InvoiceOf::Order(&new.client_order_id),
        ));
    }
    if let Some(buyer) = &new.buyer {
        batch = batch.then(crate::buyers::attach_batch(
            buyer,
            crate::buyers::SaleKey::Order(&new.client_order_id),
        ));
    }
    batch
}

/// The batch [`insert_paid_sending`] writes.
fn paid_sending(
    new: &NewOrder,
    payment: &Payment,
    lease: (&str, std::time::Duration),
) -> Result<Batch, OrderError> {
    let until = crate::db::time_text(
        chrono::Utc::now() + chrono::Duration::from_std(lease.1).unwrap_or_default(),
    );
    // The end state written at once, in one round trip to the database: what
    // quoted → paid → ordering would leave, with its three events and the payment.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{ORDER_INSERT};
         INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         VALUES ({NEW_ID}, $2, NULL, {quoted}, NULL), ({NEW_ID}, $2, {quoted}, {paid}, $3),
                ({NEW_ID}, $2, {paid}, {ordering}, 'send');
         {PAYMENT_INSERT};
         SELECT {NEW_ID}",
            quoted = sql_list([OrderStatus::Quoted]),
            paid = sql_list([OrderStatus::Paid]),
            ordering = sql_list([OrderStatus::Ordering]),
        )
    });
    let batch = bind_order(
        Batch::new(SQL.as_str()),
        new,
        now_text(),
        Some(payment),
        Some((lease.0.to_string(), until)),
    )?;
    with_tax(batch, new)
}

/// A basket's payment as a whole: what the buyer handed over for all its lines.
pub struct NewBasket {
    /// Fixed by the till before the write; the basket's orders find it by this.
    pub key: String,
    /// One invoice for the whole basket, when the shop has a tax id.
    pub invoice: Option<crate::tax::InvoiceTerms>,
    pub buyer_tax_id: Option<String>,
    pub buyer: Option<crate::buyers::Contact>,
    pub total: Money,
    pub method: String,
    pub tendered: Option<Money>,
    pub change: Option<Money>,
    pub reference: Option<String>,
    pub staff: String,
    pub till_id: Option<String>,
}

/// One unit of a basket's line: its order and its share of the payment.
pub struct BasketUnit {
    pub line: u32,
    pub order: NewOrder,
    pub payment: Payment,
}

/// A basket paid at the counter, in one transaction: the basket row, and each unit's
/// order as [`insert_paid_sending`] writes one (paid, leased to this till, `ordering`
/// for its first send), with its line. Answers the basket's public id and the order
/// ids, in the order of `units`.
pub async fn insert_basket_paid_sending(
    db: &Db,
    basket: &NewBasket,
    units: &[BasketUnit],
    lease: (&str, std::time::Duration),
) -> Result<(String, Vec<i64>), OrderError> {
    let mut batch = Batch::new(
        "INSERT INTO baskets (id, public_id, basket_key, currency, total_minor, method,
             tendered_minor, change_minor, reference, staff, till_id, created_at)
         VALUES ((SELECT coalesce(max(id), 0) + 1 FROM baskets),
             (SELECT printf('BSK-%06d', coalesce(max(id), 0) + 1) FROM baskets),
             $1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
         SELECT public_id FROM baskets WHERE basket_key = $1",
    )
    .bind(basket.key.clone())
    .bind(basket.total.currency.code().to_string())
    .bind(minor(&basket.total)?)
    .bind(basket.method.clone())
    .bind(basket.tendered.as_ref().map(minor).transpose()?)
    .bind(basket.change.as_ref().map(minor).transpose()?)
    .bind(basket.reference.clone())
    .bind(basket.staff.clone())
    .bind(basket.till_id.clone())
    .bind(now_text());
    for unit in units {
        batch = batch
            .then(paid_sending(&unit.order, &unit.payment, lease)?)
            .then(
                Batch::new(
                    "UPDATE orders SET basket_id = (SELECT id FROM baskets WHERE basket_key = $1),
                     basket_line = $2
                 WHERE client_order_id = $3",
                )
                .bind(basket.key.clone())
                .bind(i64::from(unit.line))
                .bind(unit.order.client_order_id.clone()),
            );
    }
    if let Some(terms) = &basket.invoice {
        batch = batch.then(crate::tax::invoice_batch(
            terms,
            basket.buyer_tax_id.as_deref(),
            crate::tax::InvoiceOf::Basket(&basket.key),
        ));
    }
    if let Some(buyer) = &basket.buyer {
        batch = batch.then(crate::buyers::attach_batch(
            buyer,
            crate::buyers::SaleKey::Basket(&basket.key),
        ));
    }
    let rows = db.write_batch(batch).await?;
    let corrupt = |detail: &str| {
        OrderError::from(DbError::Corrupt {
            what: "baskets",
            detail: detail.into(),
        })
    };
    let mut rows = rows.iter();
    let public_id = match rows.next().and_then(|r| r.get(0)) {
        Some(crate::db::Value::Text(id)) => id.clone(),
        _ => return Err(corrupt("the new basket's number was not read back")),
    };
    let ids = rows
        .map(|r| match r.get(0) {
            Some(crate::db::Value::Int(id)) => Ok(*id),
            _ => Err(corrupt("a basket order's id was not read back")),
        })
        .collect::<Result<Vec<i64>, OrderError>>()?;
    if ids.len() != units.len() {
        return Err(corrupt("not every basket order's id was read back"));
    }
    Ok((public_id, ids))
}

/// The order row; its parameters are bound by [`bind_order`]. Public ids follow the
/// row ids: ORD-000001, ORD-000002… The id is written, not left to the database:
/// PostgreSQL's identity burns a number on every insert that is rolled back, and the
/// shop's order numbers must have no gaps (writes under the shop's lock keep max + 1
/// safe). A paid order belongs to the shift open at its
/// till (`crate::shifts`).
pub(super) const ORDER_INSERT: &str = "INSERT INTO orders (id, public_id, client_order_id, status, channel, sku, name, region,
             face_minor, face_currency, redeem_url, redeem_instructions, quantity, price_minor,
             currency, max_unit_minor, wholesale_currency, email, staff, till_id, created_at, updated_at,
             print_to, language, paid_at, lease_owner, lease_expires_at, attempts, fx_rate,
             open_amount, supplier, supplier_sku, shift_id)
         VALUES ((SELECT coalesce(max(id), 0) + 1 FROM orders),
             (SELECT printf('ORD-%06d', coalesce(max(id), 0) + 1) FROM orders), $1, $28, $10,
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $2, $2, $26, $27,
             CASE WHEN $3 IS NULL THEN NULL ELSE $2 END, $29, $30, CASE WHEN $29 IS NULL THEN 0 ELSE 1 END,
             $31, $32, $33, $34, CASE WHEN $3 IS NULL THEN NULL ELSE (SELECT id FROM shifts
                 WHERE closed_at IS NULL AND coalesce(till_id, '') = coalesce($25, '')) END)";

/// The payment of the order [`ORDER_INSERT`] wrote, bound by [`bind_order`] ($2 its
/// time, $3–$9 the payment).
pub(super) const PAYMENT_INSERT: &str = "INSERT INTO payments (order_id, taken_at, method, amount_minor, currency,
             tendered_minor, change_minor, reference, staff)
         VALUES ((SELECT id FROM orders WHERE client_order_id = $1), $2, $3, $4, $5, $6, $7, $8, $9)";

/// The id of the order [`ORDER_INSERT`] wrote, found by its `client_order_id`.
pub(super) const NEW_ID: &str = "(SELECT id FROM orders WHERE client_order_id = $1)";

/// Binds [`ORDER_INSERT`]'s parameters: $1 `client_order_id`, $2 `now`, $3–$9 the
/// payment (when paid), $10–$34 the order — `quoted`; with `sending` (lease owner
/// and expiry) already paid and `ordering` its first send; paid and not sending, a
/// claim.
pub(super) fn bind_order(
    batch: Batch,
    new: &NewOrder,
    now: String,
    payment: Option<&Payment>,
    sending: Option<(String, String)>,
) -> Result<Batch, OrderError> {
    // Sending: paid and moved on for its first send; paid alone: a claim, waiting.
    let status = match (&sending, payment) {
        (Some(_), _) => OrderStatus::Ordering,
        (None, Some(_)) => OrderStatus::Paid,
        (None, None) => OrderStatus::Quoted,
    };
    let (owner, until) = sending.unzip();
    Ok(batch
        .bind(new.client_order_id.clone())
        .bind(now)
        .bind(payment.map(|p| p.method.clone()))
        .bind(payment.map(|p| minor(&p.amount)).transpose()?)
        .bind(payment.map(|p| p.amount.currency.code().to_string()))
        .bind(
            payment
                .and_then(|p| p.tendered.as_ref())
                .map(minor)
                .transpose()?,
        )
        .bind(
            payment
                .and_then(|p| p.change.as_ref())
                .map(minor)
                .transpose()?,
        )
        .bind(payment.and_then(|p| p.reference.clone()))
        .bind(payment.map(|p| p.staff.clone()))
        .bind(new.channel)
        .bind(new.sku.clone())
        .bind(new.name.clone())
        .bind(new.region.clone())
        .bind(minor(&new.face_value)?)
        .bind(new.face_value.currency.code().to_string())
        .bind(new.redeem_url.clone())
        .bind(new.redeem_instructions.clone())
        .bind(i64::from(new.quantity))
        .bind(minor(&new.price)?)
        .bind(new.price.currency.code().to_string())
        .bind(minor(&new.max_unit_price)?)
        .bind(new.max_unit_price.currency.code().to_string())
        .bind(new.email.clone())
        .bind(new.staff.clone())
        .bind(new.till_id.clone())
        .bind(new.print_to.clone())
        .bind(new.language.as_str())
        .bind(status.as_str())
        .bind(owner)
        .bind(until)
        .bind(new.fx_rate.normalize().to_string())
        .bind(i64::from(new.open_amount))
        .bind(new.supplier.clone())
        .bind(new.supplier_sku.clone()))
}

/// Runs an insert batch ending in `SELECT {NEW_ID}` and returns that id.
pub(super) async fn new_id(db: &Db, batch: Batch) -> Result<i64, OrderError> {
    let rows = db.write_batch(batch).await?;
    let id = match rows.first().and_then(|r| r.get(0)) {
        Some(crate::db::Value::Int(id)) => Some(*id),
        _ => None,
    };
    id.ok_or_else(|| DbError::Corrupt {
        what: "orders",
        detail: "the new order's id was not read back".into(),
    })
    .map_err(OrderError::from)
}
