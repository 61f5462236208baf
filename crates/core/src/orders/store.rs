//! Orders in the database. Every state change is one write transaction, guarded on
//! the state it leaves (and, while fulfilling, on holding the order's lease), so two
//! processes can never both move one order.

use sqlx::SqliteConnection;

use super::OrderError;
use super::model::{Failure, Order, Payment, Refund, RevealedCode};
use super::state::OrderStatus;
use crate::db::{Db, DbError, now_text};
use crate::money::{Currency, Money};
use crate::supplier::SupplierOrder;
use crate::vault::Vault;

#[derive(sqlx::FromRow)]
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
    pub language: crate::delivery::Language,
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
    let now = now_text();
    let mut tx = db.begin_write().await?;
    let id = insert_in(&mut tx, new, None, &now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
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
    let now = now_text();
    let until = crate::db::time_text(
        chrono::Utc::now() + chrono::Duration::from_std(lease.1).unwrap_or_default(),
    );
    let mut tx = db.begin_write().await?;
    // The end state written at once (three statements under the write lock, not a
    // dozen): what quoted → paid → ordering would leave, with its three events.
    let id = insert_in(&mut tx, new, Some((lease.0, &until)), &now).await?;
    sqlx::query(
        "INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         VALUES (?1, ?2, NULL, 'quoted', NULL), (?1, ?2, 'quoted', 'paid', ?3),
                (?1, ?2, 'paid', 'ordering', 'send')",
    )
    .bind(id)
    .bind(&now)
    .bind(&payment.method)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    insert_payment(&mut tx, id, payment, &now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
}

/// Inserts the order: `quoted` with its event, or — with `sending` (lease owner and
/// expiry) — already paid and `ordering` its first send (the caller writes the events).
async fn insert_in(
    tx: &mut SqliteConnection,
    new: &NewOrder,
    sending: Option<(&str, &str)>,
    now: &str,
) -> Result<i64, OrderError> {
    let minor = |m: &Money| {
        m.to_minor()
            .map_err(|e| OrderError::BadInput(e.to_string()))
    };
    let status = if sending.is_some() {
        OrderStatus::Ordering
    } else {
        OrderStatus::Quoted
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (public_id, client_order_id, status, channel, sku, name, region,
             face_minor, face_currency, redeem_url, redeem_instructions, quantity, price_minor,
             currency, max_unit_minor, wholesale_currency, email, staff, till_id, created_at, updated_at,
             print_to, language, paid_at, lease_owner, lease_expires_at, attempts)
         VALUES ((SELECT printf('ORD-%06d', coalesce(max(id), 0) + 1) FROM orders), ?1, ?21, ?2,
             ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19, ?20,
             CASE WHEN ?22 IS NULL THEN NULL ELSE ?18 END, ?22, ?23, CASE WHEN ?22 IS NULL THEN 0 ELSE 1 END)
         RETURNING id",
    )
    .bind(&new.client_order_id)
    .bind(new.channel)
    .bind(&new.sku)
    .bind(&new.name)
    .bind(&new.region)
    .bind(minor(&new.face_value)?)
    .bind(new.face_value.currency.code())
    .bind(&new.redeem_url)
    .bind(&new.redeem_instructions)
    .bind(i64::from(new.quantity))
    .bind(minor(&new.price)?)
    .bind(new.price.currency.code())
    .bind(minor(&new.max_unit_price)?)
    .bind(new.max_unit_price.currency.code())
    .bind(&new.email)
    .bind(&new.staff)
    .bind(&new.till_id)
    .bind(now)
    .bind(&new.print_to)
    .bind(new.language.as_str())
    .bind(status.as_str())
    .bind(sending.map(|s| s.0))
    .bind(sending.map(|s| s.1))
    .fetch_one(&mut *tx)
    .await
    .map_err(DbError::from)?;
    if sending.is_none() {
        event(tx, id, None, OrderStatus::Quoted, None, now).await?;
    }
    Ok(id)
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
    let minor = |m: &Money| {
        m.to_minor()
            .map_err(|e| OrderError::BadInput(e.to_string()))
    };
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
    .bind(amount.to_minor().map_err(|e| OrderError::BadInput(e.to_string()))?)
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

/// Marks the order delivered and writes its codes, encrypted, in one transaction.
/// False when this process no longer holds the order.
pub(crate) async fn deliver(
    db: &Db,
    vault: &Vault,
    id: i64,
    owner: &str,
    supplier_order: &SupplierOrder,
) -> Result<bool, OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    let from: Option<String> =
        sqlx::query_scalar("SELECT status FROM orders WHERE id = ?1 AND lease_owner = ?2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await
            .map_err(DbError::from)?;
    let Some(from) = from else { return Ok(false) };
    let from: OrderStatus = from.parse().map_err(corrupt)?;
    if !from.can_become(OrderStatus::Delivered) {
        return Ok(false);
    }
    // The status and the supplier's facts in one statement, which also hands back
    // what the outbox needs.
    let (email, print_to, language, staff): (Option<String>, Option<String>, String, String) =
        sqlx::query_as(
            "UPDATE orders SET status = 'delivered', updated_at = ?3, supplier_order_id = ?1,
                 supplier_status = 'completed', supplier_total_minor = ?2, delivered_at = ?3,
                 closed_at = ?3, lease_owner = NULL, lease_expires_at = NULL, failure_code = NULL,
                 failure_message = NULL
             WHERE id = ?4
             RETURNING email, print_to, language, staff",
        )
        .bind(&supplier_order.order_id)
        .bind(supplier_order.total.to_minor().ok())
        .bind(&now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?;
    event(
        &mut tx,
        id,
        Some(from),
        OrderStatus::Delivered,
        Some(&supplier_order.order_id),
        &now,
    )
    .await?;
    for (seq, code) in supplier_order.codes.iter().enumerate() {
        let seq = seq as i64;
        let pin = code
            .pin
            .as_ref()
            .map(|p| vault.seal(p.expose(), &code_context(id, seq, "pin")))
            .transpose()?;
        sqlx::query(
            "INSERT INTO order_codes (order_id, seq, code_ct, pin_ct, serial, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id)
        .bind(seq)
        .bind(vault.seal(code.code.expose(), &code_context(id, seq, "code"))?)
        .bind(pin)
        .bind(&code.serial)
        .bind(&code.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    }
    // The email and the receipt are queued with the code: never one without the other.
    crate::delivery::outbox::enqueue(
        &mut tx,
        id,
        crate::delivery::outbox::Handover {
            email: email.as_deref(),
            print_to: print_to.as_deref(),
            language: &language,
            requested_by: &staff,
        },
        &now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

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
