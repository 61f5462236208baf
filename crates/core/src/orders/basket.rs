//! Baskets: a counter sale of several lines, quoted together and paid once.
//!
//! Each unit of each line becomes an order of its own, under its own key at the
//! supplier, with its own lease, recovery, failover and refund: a line of three
//! cards is three supplier orders, so a supplier that fills two and refuses one
//! leaves exactly one unit refund due, and a partly filled quantity order never
//! exists. The basket row keeps what belongs to the payment as a whole (the cash
//! tendered, the change); every unit's order carries its own share of it.
//!
//! The basket is written in one transaction (basket, orders, payments, leases), then
//! its units are bought at once, side by side: a basket of five takes about as long
//! as its slowest unit, not five sales.

use std::collections::HashMap;

use futures::future::join_all;
use rust_decimal::Decimal;
use serde::Serialize;

use super::store::{self, BasketUnit, NewBasket};
use super::{
    CounterSale, DeliveryRequest, Engine, NewOrderFor, OrderError, Outcome, Quote, Refusal, Sale,
    Tender, new_order, payment_for,
};
use crate::money::Money;
use crate::supplier::OrderRequest;

/// Most lines a basket holds.
pub const MAX_LINES: usize = 20;
/// Most units one line holds.
pub const MAX_QUANTITY: u32 = 10;

/// One line of a basket as staff enter it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketLine {
    pub sku: String,
    /// The face value for an open-amount product (in its face currency).
    pub amount: Option<Decimal>,
    pub quantity: u32,
}

/// A basket at the counter: its lines, and how it is paid (once, for all of them).
#[derive(Debug, Clone)]
pub struct BasketSale {
    pub lines: Vec<BasketLine>,
    pub tender: Tender,
    pub staff: String,
    pub till_id: Option<String>,
    pub email: Option<String>,
}

/// A basket's result: each unit's sale, line by line, and the money as a whole.
#[derive(Debug, Clone, Serialize)]
pub struct BasketResult {
    /// `BSK-000001`.
    pub basket: String,
    pub total: Money,
    pub tendered: Option<Money>,
    pub change: Option<Money>,
    /// What is owed back for units the supplier refused after payment (zero when
    /// every unit was delivered).
    pub refund_due: Money,
    pub lines: Vec<LineResult>,
}

/// One line: its units' sales, in order.
#[derive(Debug, Clone, Serialize)]
pub struct LineResult {
    pub line: u32,
    pub sku: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub total: Money,
    pub sales: Vec<Sale>,
}

impl BasketResult {
    /// Every unit's sale, line by line.
    pub fn sales(&self) -> impl Iterator<Item = &Sale> {
        self.lines.iter().flat_map(|l| l.sales.iter())
    }
}

impl Engine {
    /// Quote every line → one payment → every unit bought under its own key. A line
    /// refused before payment refuses the whole basket, and nothing is charged.
    pub async fn sell_basket(
        &self,
        sale: &BasketSale,
        delivery: &DeliveryRequest,
    ) -> Result<BasketResult, OrderError> {
        check_lines(&sale.lines)?;
        if let Tender::Card { terminal_ref } = &sale.tender
            && terminal_ref.trim().is_empty()
        {
            return Err(OrderError::BadInput(
                "the card terminal's reference is empty".into(),
            ));
        }
        if let Some(email) = &sale.email {
            super::check_email(email)?;
        }
        // Quoted side by side: each quote asks its supplier live.
        let quotes = join_all(
            sale.lines
                .iter()
                .map(|l| self.quote_amount(l.sku.trim(), l.amount)),
        )
        .await
        .into_iter()
        .collect::<Result<Vec<Quote>, OrderError>>()?;
        let currency = quotes[0].price.currency;
        if let Some(other) = quotes.iter().find(|q| q.price.currency != currency) {
            return Err(OrderError::BadInput(format!(
                "{} is priced in {}, the basket in {currency}: sell it on its own",
                other.product.sku, other.price.currency
            )));
        }
        check_stock_and_balance(self, &sale.lines, &quotes).await?;
        let buyer_tax_id = super::buyer_tax_id(delivery)?;
        let mut invoice = None;
        let mut rates = Vec::with_capacity(quotes.len());
        for q in &quotes {
            let (rate, terms) = q.tax.clone();
            rates.push(rate);
            invoice = invoice.or(terms);
        }
        let mut total = Money::new(Decimal::ZERO, currency);
        for (line, quote) in sale.lines.iter().zip(&quotes) {
            total = total
                .checked_add(&times(&quote.price, line.quantity))
                .map_err(|e| OrderError::BadInput(format!("the basket's total: {e}")))?;
        }
        let whole = payment_for(&sale.tender, total, &sale.staff)?;
        let counter = CounterSale {
            sku: String::new(),
            amount: None,
            tender: sale.tender.clone(),
            staff: sale.staff.clone(),
            till_id: sale.till_id.clone(),
            email: sale.email.clone(),
        };
        let mut units = Vec::new();
        for (n, (line, quote)) in sale.lines.iter().zip(&quotes).enumerate() {
            for _ in 0..line.quantity {
                let mut order = new_order(quote, NewOrderFor::counter(&counter, delivery));
                order.tax = rates[n].map(|r| crate::tax::split_inclusive(quote.price, r));
                // Each unit's payment is its price; the cash handed over and the
                // change belong to the basket as a whole.
                let payment = super::Payment {
                    amount: quote.price,
                    tendered: None,
                    change: None,
                    ..whole.clone()
                };
                units.push(BasketUnit {
                    line: u32::try_from(n + 1).unwrap_or(u32::MAX),
                    order,
                    payment,
                });
            }
        }
        let basket = NewBasket {
            key: format!("bk-{}", ulid::Ulid::new()),
            invoice,
            buyer_tax_id,
            buyer: delivery.buyer.clone(),
            total,
            method: whole.method.clone(),
            tendered: whole.tendered,
            change: whole.change,
            reference: whole.reference.clone(),
            staff: sale.staff.clone(),
            till_id: sale.till_id.clone(),
        };
        let (public_id, ids) =
            store::insert_basket_paid_sending(&self.db, &basket, &units, self.lease()).await?;
        tracing::info!(basket = %public_id, units = ids.len(), %total, "basket paid");
        let fulfiller = self.fulfiller();
        let driven = join_all(units.iter().zip(&ids).map(|(unit, &id)| {
            let quote = &quotes[unit.line as usize - 1];
            let request = OrderRequest {
                client_order_id: unit.order.client_order_id.clone(),
                sku: quote.product.sku_at_supplier().to_string(),
                quantity: unit.order.quantity,
                max_unit_price: unit.order.max_unit_price,
                face_value: quote.chosen_amount,
            };
            let supplier = unit.order.supplier.clone();
            let fulfiller = &fulfiller;
            async move {
                fulfiller
                    .drive_sending(id, supplier.as_deref(), request)
                    .await
            }
        }))
        .await;
        let mut lines: Vec<LineResult> = sale
            .lines
            .iter()
            .zip(&quotes)
            .enumerate()
            .map(|(n, (line, quote))| LineResult {
                line: u32::try_from(n + 1).unwrap_or(u32::MAX),
                sku: quote.product.sku.clone(),
                quantity: line.quantity,
                unit_price: quote.price,
                total: times(&quote.price, line.quantity),
                sales: Vec::new(),
            })
            .collect();
        let mut refund_due = Money::new(Decimal::ZERO, currency);
        for ((unit, &id), driven) in units.iter().zip(&ids).zip(driven) {
            // A unit whose drive failed here (the database went away) stays paid and
            // leased; recovery finishes it. The basket reads it back as it stands.
            let driven = match driven {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(order = id, error = %e, "a basket unit is left to recovery");
                    super::fulfil::Driven::from(Outcome::Open {
                        reason: format!("left to recovery: {e}"),
                    })
                }
            };
            // A unit the supplier stopped answering for is a claim when the shop
            // takes them: its number and slip, as for a single sale.
            // Paid: a unit whose result cannot be read back must not make the
            // basket read as "not sold".
            let sale = match self.sale(id, driven).await {
                Ok(sale) => self.claim_if_open(sale).await,
                Err(e) => {
                    tracing::error!(basket = %public_id, order = id, error = %e, "a paid basket's result could not be shown");
                    return Err(OrderError::PaidNotShown {
                        sale: public_id,
                        message: e.to_string(),
                    });
                }
            };
            if matches!(sale.outcome, Outcome::RefundDue { .. }) {
                refund_due = refund_due
                    .checked_add(&sale.order.price)
                    .map_err(|e| OrderError::BadInput(e.to_string()))?;
            }
            lines[unit.line as usize - 1].sales.push(sale);
        }
        Ok(BasketResult {
            basket: public_id,
            total,
            tendered: whole.tendered,
            change: whole.change,
            refund_due,
            lines,
        })
    }
}

/// `unit` × `n`, exactly.
fn times(unit: &Money, n: u32) -> Money {
    Money::new(unit.amount * Decimal::from(n), unit.currency)
}

/// Lines as typed: at least one, at most [`MAX_LINES`], each a sku with a quantity
/// of 1 to [`MAX_QUANTITY`].
fn check_lines(lines: &[BasketLine]) -> Result<(), OrderError> {
    if lines.is_empty() {
        return Err(OrderError::BadInput("the basket is empty".into()));
    }
    if lines.len() > MAX_LINES {
        return Err(OrderError::BadInput(format!(
            "a basket holds at most {MAX_LINES} lines, this one {}",
            lines.len()
        )));
    }
    for (n, line) in lines.iter().enumerate() {
        if line.sku.trim().is_empty() {
            return Err(OrderError::BadInput(format!("line {}: no sku", n + 1)));
        }
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(OrderError::BadInput(format!(
                "line {} ({}): quantity {} is not 1 to {MAX_QUANTITY}",
                n + 1,
                line.sku.trim(),
                line.quantity
            )));
        }
    }
    Ok(())
}

/// Each quote checked one unit; the basket needs every unit of a sku in stock (when
/// the supplier says how many it has) and each supplier's balance to cover all that
/// is bought from it.
async fn check_stock_and_balance(
    engine: &Engine,
    lines: &[BasketLine],
    quotes: &[Quote],
) -> Result<(), OrderError> {
    let mut wanted: HashMap<&str, (u64, Option<u64>)> = HashMap::new();
    let mut cost: HashMap<Option<&str>, Money> = HashMap::new();
    for (line, quote) in lines.iter().zip(quotes) {
        let w = wanted
            .entry(quote.product.sku.as_str())
            .or_insert((0, quote.available_quantity));
        w.0 += u64::from(line.quantity);
        let c = times(&quote.wholesale, line.quantity);
        let account = quote.product.supplier.as_deref();
        let sum = match cost.get(&account) {
            Some(before) => before
                .checked_add(&c)
                .map_err(|e| OrderError::BadInput(e.to_string()))?,
            None => c,
        };
        cost.insert(account, sum);
    }
    for (sku, (n, available)) in wanted {
        if available.is_some_and(|a| a < n) {
            return Err(OrderError::Refused(Refusal::OutOfStock {
                sku: sku.to_string(),
            }));
        }
    }
    for (account, needed) in cost {
        super::quote::check_total_balance(&engine.db, &engine.suppliers, account, &needed).await?;
    }
    Ok(())
}
