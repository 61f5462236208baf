//! Orders in the database. Every state change is one write transaction, guarded on
//! the state it leaves (and, while fulfilling, on holding the order's lease), so two
//! processes can never both move one order.

use std::borrow::Cow;
use std::sync::LazyLock;

use sqlx::SqliteConnection;

use super::OrderError;
use super::model::{Failure, Order, Payment, Refund, RevealedCode};
use super::state::{OrderStatus, sql_list};
use crate::db::{Batch, Db, DbError, now_text};
use crate::money::{Currency, Money};
use crate::supplier::SupplierOrder;
use crate::vault::Vault;

/// An order as [`SELECT`] reads it: through sqlx, or from a write batch's row.
#[derive(sqlx::FromRow, serde::Deserialize)]
struct OrderRow {
    id: i64,
    public_id: String,
    client_order_id: String,
    status: String,
    channel: String,
    sku: String,
    name: String,
    region: String,
    face_minor: i64,
    face_currency: String,
    redeem_url: Option<String>,
    redeem_instructions: Option<String>,
    quantity: i64,
    price_minor: i64,
    currency: String,
    max_unit_minor: i64,
    wholesale_currency: String,
    supplier_order_id: Option<String>,
    supplier_status: Option<String>,
    supplier_total_minor: Option<i64>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    attempts: i64,
    email: Option<String>,
    staff: String,
    till_id: Option<String>,
    created_at: String,
    paid_at: Option<String>,
    delivered_at: Option<String>,
    // payment
    pay_method: Option<String>,
    pay_amount_minor: Option<i64>,
    pay_tendered_minor: Option<i64>,
    pay_change_minor: Option<i64>,
    pay_reference: Option<String>,
    pay_staff: Option<String>,
    pay_taken_at: Option<String>,
    // refund
    ref_amount_minor: Option<i64>,
    ref_method: Option<String>,
    ref_reference: Option<String>,
    ref_staff: Option<String>,
    ref_at: Option<String>,
}

const SELECT: &str = "SELECT o.id, o.public_id, o.client_order_id, o.status, o.channel, o.sku, o.name,
    o.region, o.face_minor, o.face_currency, o.redeem_url, o.redeem_instructions, o.quantity,
    o.price_minor, o.currency, o.max_unit_minor, o.wholesale_currency, o.supplier_order_id,
    o.supplier_status, o.supplier_total_minor, o.failure_code, o.failure_message, o.attempts,
    o.email, o.staff, o.till_id, o.created_at, o.paid_at, o.delivered_at,
    p.method AS pay_method, p.amount_minor AS pay_amount_minor, p.tendered_minor AS pay_tendered_minor,
    p.change_minor AS pay_change_minor, p.reference AS pay_reference, p.staff AS pay_staff,
    p.taken_at AS pay_taken_at,
    r.amount_minor AS ref_amount_minor, r.method AS ref_method, r.reference AS ref_reference,
    r.staff AS ref_staff, r.at AS ref_at
    FROM orders o LEFT JOIN payments p ON p.order_id = o.id LEFT JOIN refunds r ON r.order_id = o.id";

fn corrupt(detail: impl std::fmt::Display) -> DbError {
    DbError::Corrupt {
        what: "orders",
        detail: detail.to_string(),
    }
}

fn currency(code: &str) -> Result<Currency, DbError> {
    Currency::parse(code).map_err(corrupt)
}

impl TryFrom<OrderRow> for Order {
    type Error = DbError;
    fn try_from(r: OrderRow) -> Result<Order, DbError> {
        let cur = currency(&r.currency)?;
        let wcur = currency(&r.wholesale_currency)?;
        let payment = match (r.pay_method, r.pay_amount_minor) {
            (Some(method), Some(amount)) => Some(Payment {
                method,
                amount: Money::from_minor(amount, cur),
                tendered: r.pay_tendered_minor.map(|m| Money::from_minor(m, cur)),
                change: r.pay_change_minor.map(|m| Money::from_minor(m, cur)),
                reference: r.pay_reference,
                staff: r.pay_staff.unwrap_or_default(),
                taken_at: r.pay_taken_at.unwrap_or_default(),
            }),
            _ => None,
        };
        let refund = match (r.ref_method, r.ref_amount_minor) {
            (Some(method), Some(amount)) => Some(Refund {
                amount: Money::from_minor(amount, cur),
                method,
                reference: r.ref_reference,
                staff: r.ref_staff.unwrap_or_default(),
                at: r.ref_at.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Order {
            id: r.id,
            public_id: r.public_id,
            client_order_id: r.client_order_id,
            status: r.status.parse().map_err(corrupt)?,
            channel: r.channel,
            sku: r.sku,
            name: r.name,
            region: r.region,
            face_value: Money::from_minor(r.face_minor, currency(&r.face_currency)?),
            redeem_url: r.redeem_url,
            redeem_instructions: r.redeem_instructions,
            quantity: u32::try_from(r.quantity).map_err(corrupt)?,
            price: Money::from_minor(r.price_minor, cur),
            max_unit_price: Money::from_minor(r.max_unit_minor, wcur),
            supplier_order_id: r.supplier_order_id,
            supplier_status: r.supplier_status,
            supplier_total: r.supplier_total_minor.map(|m| Money::from_minor(m, wcur)),
            failure: r.failure_code.map(|code| Failure {
                code,
                message: r.failure_message.unwrap_or_default(),
            }),
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            email: r.email,
            staff: r.staff,
            till_id: r.till_id,
            created_at: r.created_at,
            paid_at: r.paid_at,
            delivered_at: r.delivered_at,
            payment,
            refund,
        })
    }
}

/// An order by its number (`ORD-000123`, or the bare row id).
pub async fn find(db: &Db, reference: &str) -> Result<Order, OrderError> {
    let reference = reference.trim();
    let row: Option<OrderRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE o.public_id = upper(?1) OR o.client_order_id = ?1 OR o.id = ?2"
    ))
    .bind(reference)
    .bind(reference.parse::<i64>().unwrap_or(-1))
    .fetch_optional(db.pool())
    .await
    .map_err(DbError::from)?;
    match row {
        Some(r) => Ok(r.try_into()?),
        None => Err(OrderError::NotFound(reference.to_string())),
    }
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<Order, OrderError> {
    let row: Option<OrderRow> = sqlx::query_as(&format!("{SELECT} WHERE o.id = ?1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(DbError::from)?;
    match row {
        Some(r) => Ok(r.try_into()?),
        None => Err(OrderError::NotFound(id.to_string())),
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// RFC 3339 or a date (YYYY-MM-DD): orders created at or after it.
    pub since: Option<String>,
    pub sku: Option<String>,
    pub limit: Option<u32>,
}

pub async fn list(db: &Db, filter: &OrderFilter) -> Result<Vec<Order>, OrderError> {
    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE (?1 IS NULL OR o.status = ?1) AND (?2 IS NULL OR o.created_at >= ?2)
           AND (?3 IS NULL OR o.sku = ?3)
         ORDER BY o.id DESC LIMIT ?4"
    ))
    .bind(filter.status.map(|s| s.as_str()))
    .bind(filter.since.as_deref())
    .bind(filter.sku.as_deref())
    .bind(i64::from(filter.limit.unwrap_or(500).clamp(1, 10_000)))
    .fetch_all(db.pool())
    .await
    .map_err(DbError::from)?;
    rows.into_iter()
        .map(|r| Order::try_from(r).map_err(OrderError::from))
        .collect()
}

/// Everything needed to open an order, fixed at quote time.
pub struct NewOrder {
    pub client_order_id: String,
    pub channel: &'static str,
    pub sku: String,
    pub name: String,
    pub region: String,
    pub face_value: Money,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    pub quantity: u32,
    pub price: Money,
    pub max_unit_price: Money,
    pub email: Option<String>,
    pub staff: String,
    pub till_id: Option<String>,
    /// The printer for the receipt, when one was asked for.
    pub print_to: Option<String>,
    pub language: crate::language::Language,
}

pub(crate) async fn event(
    conn: &mut SqliteConnection,
    id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    detail: Option<&str>,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO order_events (order_id, at, from_status, to_status, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(id)
    .bind(now)
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Opens a `quoted` order; its `client_order_id` is fixed here, for good.
pub async fn insert_quoted(db: &Db, new: &NewOrder) -> Result<i64, OrderError> {
    let sql = format!(
        "{ORDER_INSERT};
         INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         VALUES ({NEW_ID}, ?2, NULL, 'quoted', NULL);
         SELECT {NEW_ID}"
    );
    new_id(
        db,
        bind_order(Batch::new(sql), new, now_text(), None, None)?,
    )
    .await
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
    let until = crate::db::time_text(
        chrono::Utc::now() + chrono::Duration::from_std(lease.1).unwrap_or_default(),
    );
    // The end state written at once, in one round trip to the database: what
    // quoted → paid → ordering would leave, with its three events and the payment.
    let sql = format!(
        "{ORDER_INSERT};
         INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         VALUES ({NEW_ID}, ?2, NULL, 'quoted', NULL), ({NEW_ID}, ?2, 'quoted', 'paid', ?3),
                ({NEW_ID}, ?2, 'paid', 'ordering', 'send');
         INSERT INTO payments (order_id, taken_at, method, amount_minor, currency,
             tendered_minor, change_minor, reference, staff)
         VALUES ({NEW_ID}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);
         SELECT {NEW_ID}"
    );
    let batch = bind_order(
        Batch::new(sql),
        new,
        now_text(),
        Some(payment),
        Some((lease.0.to_string(), until)),
    )?;
    new_id(db, batch).await
}

/// The order row; its parameters are bound by [`bind_order`]. Public ids follow the
/// row ids: ORD-000001, ORD-000002…
const ORDER_INSERT: &str = "INSERT INTO orders (public_id, client_order_id, status, channel, sku, name, region,
             face_minor, face_currency, redeem_url, redeem_instructions, quantity, price_minor,
             currency, max_unit_minor, wholesale_currency, email, staff, till_id, created_at, updated_at,
             print_to, language, paid_at, lease_owner, lease_expires_at, attempts)
         VALUES ((SELECT printf('ORD-%06d', coalesce(max(id), 0) + 1) FROM orders), ?1, ?28, ?10,
             ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?2, ?2, ?26, ?27,
             CASE WHEN ?29 IS NULL THEN NULL ELSE ?2 END, ?29, ?30, CASE WHEN ?29 IS NULL THEN 0 ELSE 1 END)";

/// The id of the order [`ORDER_INSERT`] wrote, found by its `client_order_id`.
const NEW_ID: &str = "(SELECT id FROM orders WHERE client_order_id = ?1)";

/// Binds [`ORDER_INSERT`]'s parameters: ?1 `client_order_id`, ?2 `now`, ?3–?9 the
/// payment (when paid), ?10–?30 the order — `quoted`, or with `sending` (lease owner
/// and expiry) already paid and `ordering` its first send.
fn bind_order(
    batch: Batch,
    new: &NewOrder,
    now: String,
    payment: Option<&Payment>,
    sending: Option<(String, String)>,
) -> Result<Batch, OrderError> {
    let status = if sending.is_some() {
        OrderStatus::Ordering
    } else {
        OrderStatus::Quoted
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
        .bind(until))
}

/// Runs an insert batch ending in `SELECT {NEW_ID}` and returns that id.
async fn new_id(db: &Db, batch: Batch) -> Result<i64, OrderError> {
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

fn minor(m: &Money) -> Result<i64, OrderError> {
    m.to_minor()
        .map_err(|e| OrderError::BadInput(e.to_string()))
}

/// Moves `id` from one of `from` to `to` inside `tx`; false when the order was not in
/// one of those states (or, with `owner`, its lease belongs to someone else).
pub(crate) async fn transition(
    tx: &mut SqliteConnection,
    id: i64,
    to: OrderStatus,
    owner: Option<&str>,
    detail: Option<&str>,
    now: &str,
) -> Result<Option<OrderStatus>, DbError> {
    let from: Option<String> = sqlx::query_scalar(
        "SELECT status FROM orders WHERE id = ?1 AND (?2 IS NULL OR lease_owner = ?2)",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(from) = from else { return Ok(None) };
    let from: OrderStatus = from.parse().map_err(corrupt)?;
    if !from.can_become(to) {
        return Ok(None);
    }
    sqlx::query("UPDATE orders SET status = ?1, updated_at = ?2 WHERE id = ?3")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if from != to {
        event(tx, id, Some(from), to, detail, now).await?;
    }
    Ok(Some(from))
}

/// Records the counter payment and moves the order to `paid`, in one transaction.
/// The till that takes the payment holds the lease from that instant, so no other
/// till's recovery picks the order up before its own driver starts.
pub async fn record_payment(
    db: &Db,
    id: i64,
    payment: &Payment,
    lease: (&str, std::time::Duration),
) -> Result<(), OrderError> {
    let mut tx = db.begin_write().await?;
    record_payment_in(&mut tx, id, payment, lease).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// [`record_payment`] inside the caller's transaction (a remote payment is recorded
/// together with the relay event that reported it).
pub(crate) async fn record_payment_in(
    tx: &mut SqliteConnection,
    id: i64,
    payment: &Payment,
    lease: (&str, std::time::Duration),
) -> Result<(), OrderError> {
    pay_in(tx, id, payment, lease, &now_text()).await
}

async fn pay_in(
    tx: &mut SqliteConnection,
    id: i64,
    payment: &Payment,
    lease: (&str, std::time::Duration),
    now: &str,
) -> Result<(), OrderError> {
    let Some(_) = transition(tx, id, OrderStatus::Paid, None, Some(&payment.method), now).await?
    else {
        return Err(wrong_state(tx, id, "take payment").await);
    };
    insert_payment(tx, id, payment, now).await?;
    let until = crate::db::time_text(
        chrono::Utc::now() + chrono::Duration::from_std(lease.1).unwrap_or_default(),
    );
    sqlx::query(
        "UPDATE orders SET paid_at = ?1, lease_owner = ?2, lease_expires_at = ?3 WHERE id = ?4",
    )
    .bind(now)
    .bind(lease.0)
    .bind(until)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    Ok(())
}

async fn insert_payment(
    tx: &mut SqliteConnection,
    id: i64,
    payment: &Payment,
    now: &str,
) -> Result<(), OrderError> {
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_minor, currency, tendered_minor, change_minor, reference, staff, taken_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(id)
    .bind(&payment.method)
    .bind(minor(&payment.amount)?)
    .bind(payment.amount.currency.code())
    .bind(payment.tendered.as_ref().map(minor).transpose()?)
    .bind(payment.change.as_ref().map(minor).transpose()?)
    .bind(&payment.reference)
    .bind(&payment.staff)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    Ok(())
}

async fn wrong_state(tx: &mut SqliteConnection, id: i64, action: &'static str) -> OrderError {
    match get(tx, id).await {
        Ok(o) => OrderError::WrongState {
            order: o.public_id,
            status: o.status,
            action,
        },
        Err(e) => e,
    }
}

/// Cancels a quote that was never paid.
pub async fn cancel(db: &Db, id: i64) -> Result<(), OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(&mut tx, id, OrderStatus::Cancelled, None, None, &now)
        .await?
        .is_none()
    {
        return Err(wrong_state(&mut tx, id, "cancel").await);
    }
    sqlx::query("UPDATE orders SET closed_at = ?1 WHERE id = ?2")
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Records that the refund of a `refund_due` order was given back.
pub async fn record_refund(
    db: &Db,
    reference: &str,
    method: &str,
    refund_reference: Option<&str>,
    staff: &str,
) -> Result<Order, OrderError> {
    let order = find(db, reference).await?;
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(
        &mut tx,
        order.id,
        OrderStatus::Refunded,
        None,
        Some(method),
        &now,
    )
    .await?
    .is_none()
    {
        return Err(wrong_state(&mut tx, order.id, "record a refund").await);
    }
    let amount = order
        .payment
        .as_ref()
        .map(|p| p.amount)
        .unwrap_or(order.price);
    sqlx::query(
        "INSERT INTO refunds (order_id, amount_minor, currency, method, reference, staff, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(order.id)
    .bind(minor(&amount)?)
    .bind(amount.currency.code())
    .bind(method)
    .bind(refund_reference)
    .bind(staff)
    .bind(&now)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    sqlx::query("UPDATE orders SET closed_at = ?1 WHERE id = ?2")
        .bind(&now)
        .bind(order.id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    find(db, &order.public_id).await
}

/// The codes of a delivered order, decrypted; writes an audit row (who, when, why).
pub async fn reveal(
    db: &Db,
    vault: &Vault,
    reference: &str,
    actor: &str,
    reason: Option<&str>,
) -> Result<(Order, Vec<RevealedCode>), OrderError> {
    let order = find(db, reference).await?;
    let codes = read_codes(db, vault, order.id).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO audit_log (at, actor, action, order_id, detail) VALUES (?1, ?2, 'reveal', ?3, ?4)")
        .bind(now_text())
        .bind(actor)
        .bind(order.id)
        .bind(reason)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok((order, codes))
}

/// (seq, sealed code, sealed pin, serial, expires_at)
type CodeRow = (
    i64,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
);

/// Decrypts the codes of an order (no audit: for the delivery of the sale itself).
pub(crate) async fn read_codes(
    db: &Db,
    vault: &Vault,
    id: i64,
) -> Result<Vec<RevealedCode>, OrderError> {
    let rows: Vec<CodeRow> = sqlx::query_as(
        "SELECT seq, code_ct, pin_ct, serial, expires_at FROM order_codes WHERE order_id = ?1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
    .map_err(DbError::from)?;
    rows.into_iter()
        .map(|(seq, code, pin, serial, expires_at)| {
            Ok(RevealedCode {
                code: vault.open_sealed(&code, &code_context(id, seq, "code"))?,
                pin: pin
                    .map(|p| vault.open_sealed(&p, &code_context(id, seq, "pin")))
                    .transpose()?,
                serial,
                expires_at,
            })
        })
        .collect()
}

pub(crate) fn code_context(order_id: i64, seq: i64, what: &str) -> String {
    format!("codetill:order:{order_id}:{what}:{seq}")
}

/// An order this process just delivered, and its codes as delivered.
pub(crate) struct Delivered {
    pub order: Order,
    pub codes: Vec<RevealedCode>,
}

/// Marks the order delivered and writes its codes, encrypted, in one transaction;
/// hands back the order and the codes as delivered. None when this process no
/// longer holds the order.
pub(crate) async fn deliver(
    db: &Db,
    vault: &Vault,
    id: i64,
    owner: &str,
    supplier_order: &SupplierOrder,
) -> Result<Option<Delivered>, OrderError> {
    let codes = &supplier_order.codes;
    // Each later statement runs only when the one before it wrote what it should
    // have: the UPDATE one row, then the codes all theirs.
    let written = if codes.is_empty() { 1 } else { codes.len() };
    let mut batch = Batch::new(delivered_sql(codes.len()))
        .bind_named(":supplier_order", supplier_order.order_id.clone())
        .bind_named(":supplier_total", supplier_order.total.to_minor().ok())
        .bind_named(":now", now_text())
        .bind_named(":order_id", id)
        .bind_named(":owner", owner.to_string())
        .bind_named(":written", i64::try_from(written).unwrap_or(i64::MAX))
        .bind(id);
    for (seq, code) in codes.iter().enumerate() {
        let seq = seq as i64;
        let pin = code
            .pin
            .as_ref()
            .map(|p| vault.seal(p.expose(), &code_context(id, seq, "pin")))
            .transpose()?;
        batch = batch
            .bind(seq)
            .bind(vault.seal(code.code.expose(), &code_context(id, seq, "code"))?)
            .bind(pin)
            .bind(code.serial.clone())
            .bind(code.expires_at.clone());
    }
    // The UPDATE's id, then the order; the order alone when nothing was delivered.
    let rows = db.write_batch(batch).await?;
    let [_, order] = rows.as_slice() else {
        return Ok(None);
    };
    let order = order.decode::<OrderRow>()?.try_into()?;
    let codes = codes
        .iter()
        .map(|c| RevealedCode {
            code: c.code.expose().to_string(),
            pin: c.pin.as_ref().map(|p| p.expose().to_string()),
            serial: c.serial.clone(),
            expires_at: c.expires_at.clone(),
        })
        .collect();
    Ok(Some(Delivered { order, codes }))
}

/// The delivered batch for an order of `codes` codes. One round trip under the write
/// lock: the event (with the status it leaves), the status and the supplier's facts,
/// the sealed codes and the queued email and receipt, all guarded by the lease and
/// the state machine; when the guard matches nothing, the batch writes nothing. Then
/// the order as it now stands, for the sale's screen.
///
/// Parameters: `:supplier_order`, `:supplier_total`, `:now`, `:order_id`, `:owner`,
/// `:written` (what the statement before the queueing must have changed). The codes'
/// statement takes numbered ones only, `?1` the order and then five per code (seq,
/// sealed code, sealed pin, serial, expiry): SQLite numbers a name after the
/// parameters before it, so a name and `?1` in one statement could share a slot.
/// The text is built once for every count an order can have, so each statement is
/// prepared once.
fn delivered_sql(codes: usize) -> Cow<'static, str> {
    static BUILT: LazyLock<Vec<String>> =
        LazyLock::new(|| (0..=MAX_QUANTITY).map(build_delivered_sql).collect());
    match BUILT.get(codes) {
        Some(sql) => Cow::Borrowed(sql.as_str()),
        None => Cow::Owned(build_delivered_sql(codes)),
    }
}

/// The most codes an order has (the schema's limit on its quantity).
const MAX_QUANTITY: usize = 10;

fn build_delivered_sql(codes: usize) -> String {
    let from = sql_list(OrderStatus::sources(OrderStatus::Delivered));
    let delivered = sql_list([OrderStatus::Delivered]);
    let mut sql = format!(
        "INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         SELECT id, :now, status, {delivered}, :supplier_order FROM orders
          WHERE id = :order_id AND lease_owner = :owner AND status IN ({from});
         UPDATE orders SET status = {delivered}, updated_at = :now,
             supplier_order_id = :supplier_order, supplier_status = 'completed',
             supplier_total_minor = :supplier_total, delivered_at = :now, closed_at = :now,
             lease_owner = NULL, lease_expires_at = NULL, failure_code = NULL,
             failure_message = NULL
          WHERE id = :order_id AND lease_owner = :owner AND status IN ({from})
         RETURNING id;\n"
    );
    if codes > 0 {
        let rows: Vec<String> = (0..codes)
            .map(|seq| {
                let p = 2 + 5 * seq;
                format!("(?{p}, ?{}, ?{}, ?{}, ?{})", p + 1, p + 2, p + 3, p + 4)
            })
            .collect();
        sql.push_str(&format!(
            "INSERT INTO order_codes (order_id, seq, code_ct, pin_ct, serial, expires_at)
         SELECT ?1, column1, column2, column3, column4, column5 FROM (VALUES {})
          WHERE changes() = 1;\n",
            rows.join(", ")
        ));
    }
    sql.push_str(ENQUEUE_DELIVERY);
    sql.push_str(&format!(";\n{SELECT} WHERE o.id = :order_id"));
    sql
}

/// The delivered batch's statement that queues the order's email (when it has an
/// address) and its receipt (when one was asked for), email first, so a delivered
/// order always has its messages. It writes only when the statement before it
/// changed `:written` rows, that is when the batch did deliver the order.
const ENQUEUE_DELIVERY: &str = "INSERT INTO outbox (kind, order_id, destination, payload, reprint_no, language,
             status, attempts, next_attempt_at, requested_by, created_at, updated_at)
         SELECT kind, id, destination, 'receipt', NULL, language, 'queued', 0, :now, staff, :now, :now
           FROM (SELECT 1 AS n, 'email' AS kind, id, trim(email) AS destination, language, staff
                   FROM orders WHERE id = :order_id
                 UNION ALL
                 SELECT 2, 'print', id, trim(print_to), language, staff FROM orders WHERE id = :order_id)
          WHERE destination IS NOT NULL AND destination <> '' AND changes() = :written
          ORDER BY n";

/// The supplier refused after payment: failed, then refund due (one transaction).
pub(crate) async fn refuse(
    db: &Db,
    id: i64,
    owner: &str,
    code: &str,
    message: &str,
) -> Result<bool, OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(
        &mut tx,
        id,
        OrderStatus::Failed,
        Some(owner),
        Some(code),
        &now,
    )
    .await?
    .is_none()
    {
        return Ok(false);
    }
    transition(
        &mut tx,
        id,
        OrderStatus::RefundDue,
        Some(owner),
        Some(message),
        &now,
    )
    .await?;
    sqlx::query(
        "UPDATE orders SET failure_code = ?1, failure_message = ?2, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ?3",
    )
    .bind(code)
    .bind(message)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// Moves an open order (`paid`, `ordering`, `unknown`) to `to` and records supplier
/// facts, while holding the lease.
pub(crate) async fn step(
    db: &Db,
    id: i64,
    owner: &str,
    to: OrderStatus,
    detail: Option<&str>,
    supplier: Option<(&str, &str)>,
    count_attempt: bool,
) -> Result<bool, OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(&mut tx, id, to, Some(owner), detail, &now)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE orders SET attempts = attempts + ?1,
             supplier_order_id = coalesce(?2, supplier_order_id),
             supplier_status = coalesce(?3, supplier_status)
         WHERE id = ?4",
    )
    .bind(i64::from(count_attempt))
    .bind(supplier.map(|s| s.0))
    .bind(supplier.map(|s| s.1))
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// Orders that are paid but not finished, oldest first.
pub async fn open_order_ids(db: &Db) -> Result<Vec<i64>, OrderError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM orders WHERE status IN ('paid', 'ordering', 'unknown') ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .map_err(DbError::from)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use super::*;
    use crate::secrets::Redacted;
    use crate::supplier::{IssuedCode, SupplierOrderStatus};

    fn usd(amount: &str) -> Money {
        Money::parse(amount, Currency::USD).unwrap()
    }

    fn new_order(n: u32) -> NewOrder {
        NewOrder {
            client_order_id: format!("ct-test-{n}"),
            channel: "counter",
            sku: "STEAM-US-20".into(),
            name: "Steam 20".into(),
            region: "US".into(),
            face_value: usd("20"),
            redeem_url: None,
            redeem_instructions: None,
            quantity: 1,
            price: usd("21.99"),
            max_unit_price: usd("20.10"),
            email: None,
            staff: "asha".into(),
            till_id: Some("till-1".into()),
            print_to: None,
            language: crate::language::Language::En,
        }
    }

    fn cash() -> Payment {
        Payment {
            method: "cash".into(),
            amount: usd("21.99"),
            tendered: Some(usd("25")),
            change: Some(usd("3.01")),
            reference: None,
            staff: "asha".into(),
            taken_at: String::new(),
        }
    }

    fn completed(client_order_id: &str, codes: &[&str]) -> SupplierOrder {
        SupplierOrder {
            order_id: "SUP-1".into(),
            client_order_id: client_order_id.into(),
            status: SupplierOrderStatus::Completed,
            sku: "STEAM-US-20".into(),
            quantity: codes.len() as u32,
            unit_price: usd("20.10"),
            total: usd("20.10"),
            codes: codes
                .iter()
                .enumerate()
                .map(|(i, c)| IssuedCode {
                    code: Redacted::new(c.to_string()),
                    pin: (i == 1).then(|| Redacted::new("1234".to_string())),
                    serial: Some(format!("SN-{i}")),
                    expires_at: None,
                })
                .collect(),
            failure: None,
            balance_after: None,
        }
    }

    async fn count(db: &Db, sql: &str, id: i64) -> i64 {
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn one_batch_writes_the_paid_order_and_delivery_is_guarded_by_the_lease() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).await.unwrap();
        let vault = Vault::from_key(&[7; 32]);
        let quoted = insert_quoted(&db, &new_order(0)).await.unwrap();
        let mut handed_over = new_order(1);
        handed_over.email = Some(" buyer@example.com ".into());
        handed_over.print_to = Some("tcp://127.0.0.1:9100".into());
        let id = insert_paid_sending(
            &db,
            &handed_over,
            &cash(),
            ("till-a", Duration::from_secs(60)),
        )
        .await
        .unwrap();
        assert_ne!(quoted, id);

        let mut conn = db.pool().acquire().await.unwrap();
        let order = get(&mut conn, id).await.unwrap();
        drop(conn);
        assert_eq!(order.public_id, "ORD-000002");
        assert_eq!(order.status, OrderStatus::Ordering);
        assert_eq!(order.price, usd("21.99"));
        let payment: (String, i64, Option<i64>, Option<i64>, String) = sqlx::query_as(
            "SELECT method, amount_minor, tendered_minor, change_minor, staff FROM payments WHERE order_id = ?1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            payment,
            ("cash".into(), 2199, Some(2500), Some(301), "asha".into())
        );
        let events = "SELECT count(*) FROM order_events WHERE order_id = ?1";
        assert_eq!(count(&db, events, quoted).await, 1);
        assert_eq!(count(&db, events, id).await, 3);

        let codes = "SELECT count(*) FROM order_codes WHERE order_id = ?1";
        let supplier = completed("ct-test-1", &["AAAA-1", "BBBB-2", "CCCC-3"]);
        // Another till never held this order: nothing is written.
        assert!(
            deliver(&db, &vault, id, "till-b", &supplier)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(count(&db, codes, id).await, 0);
        assert_eq!(count(&db, events, id).await, 3);
        assert_eq!(
            count(&db, "SELECT count(*) FROM outbox WHERE order_id = ?1", id).await,
            0
        );
        // A quote cannot be delivered, whoever asks.
        assert!(
            deliver(&db, &vault, quoted, "till-a", &supplier)
                .await
                .unwrap()
                .is_none()
        );

        let delivered = deliver(&db, &vault, id, "till-a", &supplier)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(delivered.codes.len(), 3);
        assert_eq!(delivered.codes[1].pin.as_deref(), Some("1234"));
        assert_eq!(delivered.order.status, OrderStatus::Delivered);
        assert_eq!(delivered.order.public_id, "ORD-000002");
        let stored = read_codes(&db, &vault, id).await.unwrap();
        let stored: Vec<(&str, Option<&str>, Option<&str>)> = stored
            .iter()
            .map(|c| (c.code.as_str(), c.pin.as_deref(), c.serial.as_deref()))
            .collect();
        assert_eq!(
            stored,
            vec![
                ("AAAA-1", None, Some("SN-0")),
                ("BBBB-2", Some("1234"), Some("SN-1")),
                ("CCCC-3", None, Some("SN-2"))
            ]
        );
        let to: String = sqlx::query_scalar(
            "SELECT from_status FROM order_events WHERE order_id = ?1 AND to_status = 'delivered'",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(to, "ordering");

        // Delivered once: a second delivery (a driver whose lease lapsed meanwhile)
        // finds nothing to do and adds no codes.
        assert!(
            deliver(&db, &vault, id, "till-a", &supplier)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(count(&db, codes, id).await, 3);
        assert_eq!(count(&db, events, id).await, 4);
        let queued: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, destination, requested_by FROM outbox WHERE order_id = ?1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(
            queued,
            vec![
                ("email".into(), "buyer@example.com".into(), "asha".into()),
                ("print".into(), "tcp://127.0.0.1:9100".into(), "asha".into())
            ],
            "queued once, with the delivery"
        );
    }
}
