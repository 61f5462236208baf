//! An order's columns: how one is read (with its payment and refund) through sqlx or
//! from a write batch's row, and money as the columns hold it.

use crate::db::DbError;
use crate::money::{Currency, Money};
use crate::orders::OrderError;
use crate::orders::model::{Failure, Order, Payment, Refund};

/// An order as [`SELECT`] reads it: through sqlx, or from a write batch's row.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct OrderRow {
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
    fx_rate: Option<String>,
    open_amount: i64,
    failure_code: Option<String>,
    failure_message: Option<String>,
    attempts: i64,
    supplier: Option<String>,
    supplier_sku: Option<String>,
    attempt: i64,
    attempt_key: Option<String>,
    email: Option<String>,
    staff: String,
    till_id: Option<String>,
    created_at: String,
    paid_at: Option<String>,
    delivered_at: Option<String>,
    basket: Option<String>,
    basket_line: Option<i64>,
    tax_rate: Option<String>,
    tax_minor: Option<i64>,
    invoice_number: Option<String>,
    invoice_shop_tax_id: Option<String>,
    invoice_buyer_tax_id: Option<String>,
    buyer_name: Option<String>,
    buyer_phone: Option<String>,
    claim_no: Option<String>,
    claimed_at: Option<String>,
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

pub(super) const SELECT: &str = "SELECT o.id, o.public_id, o.client_order_id, o.status, o.channel, o.sku, o.name,
    o.region, o.face_minor, o.face_currency, o.redeem_url, o.redeem_instructions, o.quantity,
    o.price_minor, o.currency, o.max_unit_minor, o.wholesale_currency, o.supplier_order_id,
    o.supplier_status, o.supplier_total_minor, o.fx_rate, o.open_amount, o.failure_code, o.failure_message, o.attempts,
    o.supplier, o.supplier_sku, o.attempt, o.attempt_key, o.email, o.staff, o.till_id, o.created_at, o.paid_at, o.delivered_at,
    b.public_id AS basket, o.basket_line, o.tax_rate, o.tax_minor,
    i.number AS invoice_number, i.shop_tax_id AS invoice_shop_tax_id,
    i.buyer_tax_id AS invoice_buyer_tax_id, u.name AS buyer_name, u.phone AS buyer_phone,
    o.claim_no, o.claimed_at,
    p.method AS pay_method, p.amount_minor AS pay_amount_minor, p.tendered_minor AS pay_tendered_minor,
    p.change_minor AS pay_change_minor, p.reference AS pay_reference, p.staff AS pay_staff,
    p.taken_at AS pay_taken_at,
    r.amount_minor AS ref_amount_minor, r.method AS ref_method, r.reference AS ref_reference,
    r.staff AS ref_staff, r.at AS ref_at
    FROM orders o LEFT JOIN payments p ON p.order_id = o.id LEFT JOIN refunds r ON r.order_id = o.id
    LEFT JOIN baskets b ON b.id = o.basket_id LEFT JOIN buyers u ON u.id = o.buyer_id
    LEFT JOIN invoices i ON i.order_id = o.id OR (o.basket_id IS NOT NULL AND i.basket_id = o.basket_id)";

pub(super) fn corrupt(detail: impl std::fmt::Display) -> DbError {
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
            fx_rate: match r.fx_rate {
                Some(text) => crate::money::parse_decimal(&text).map_err(corrupt)?,
                None => rust_decimal::Decimal::ONE,
            },
            open_amount: r.open_amount != 0,
            failure: r.failure_code.map(|code| Failure {
                code,
                message: r.failure_message.unwrap_or_default(),
            }),
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            supplier: r.supplier,
            supplier_sku: r.supplier_sku,
            attempt: u32::try_from(r.attempt).map_err(corrupt)?,
            attempt_key: r.attempt_key,
            email: r.email,
            staff: r.staff,
            till_id: r.till_id,
            created_at: r.created_at,
            paid_at: r.paid_at,
            delivered_at: r.delivered_at,
            basket: r.basket,
            basket_line: r
                .basket_line
                .map(u32::try_from)
                .transpose()
                .map_err(corrupt)?,
            tax: match (r.tax_rate, r.tax_minor) {
                (Some(rate), Some(minor)) => Some(crate::orders::model::TaxPart {
                    rate: crate::money::parse_decimal(&rate).map_err(corrupt)?,
                    tax: Money::from_minor(minor, cur),
                }),
                _ => None,
            },
            buyer_name: r.buyer_name,
            buyer_phone: r.buyer_phone,
            claim: r.claim_no.map(|number| crate::orders::model::Claim {
                number,
                taken_at: r.claimed_at.unwrap_or_default(),
            }),
            invoice: match (r.invoice_number, r.invoice_shop_tax_id) {
                (Some(number), Some(shop_tax_id)) => Some(crate::orders::model::Invoice {
                    number,
                    shop_tax_id,
                    buyer_tax_id: r.invoice_buyer_tax_id,
                }),
                _ => None,
            },
            payment,
            refund,
        })
    }
}

pub(super) fn minor(m: &Money) -> Result<i64, OrderError> {
    m.to_minor()
        .map_err(|e| OrderError::BadInput(e.to_string()))
}
