//! The order document both fronts give out: the app's UI receives it, and the CLI
//! prints it for `sell`, `orders`, `order` and `refund --json` (the contract's order
//! object), money as decimal strings. `codes` is present only on a
//! delivered order, and only where the codes were asked for (the sale itself, or an
//! audited reveal) — a list of orders never carries one.

use super::{Failure, Order, OrderStatus, Outcome, RevealedCode, Sale};
use serde::Serialize;

use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderView {
    pub order_id: String,
    pub client_order_id: String,
    pub status: OrderStatus,
    pub sku: String,
    pub name: String,
    pub region: String,
    pub price: String,
    pub currency: String,
    pub paid: Option<PaidView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<CodeView>>,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    /// Where the code was (or will be) emailed.
    pub email: Option<String>,
    pub failure: Option<Failure>,
    pub refund: Option<RefundView>,
    pub staff: String,
    pub till_id: Option<String>,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub delivered_at: Option<String>,
    /// How the sale's fulfilment ended (only on the answer to a sale).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Supplier attempts so far (sends and look-ups), for an open order's state.
    pub attempts: u32,
    pub supplier_status: Option<String>,
    /// The supplier account the order is bought from ("default": the shop's single
    /// supplier), and which attempt this is (2 and on: failed over after a refusal).
    pub supplier: String,
    pub supplier_attempt: u32,
    /// The supplier's own reference for the order, once it has one.
    pub supplier_ref: Option<String>,
    /// What the supplier charged (or, before it answered, the most it may charge),
    /// in the supplier account's currency.
    pub cost: String,
    pub cost_currency: String,
    /// Cost currency → sale currency, as used for this sale.
    pub fx_rate: String,
    /// The basket the order is a unit of (`BSK-000001`), and its line there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basket_line: Option<u32>,
    /// The tax inside the price, when its category has a rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<TaxView>,
    /// The sale's tax invoice, when the shop has a tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<super::Invoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_phone: Option<String>,
    /// The claim slip's number, for a sale taken while the supplier was down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<super::Claim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxView {
    /// Percent.
    pub rate: String,
    pub amount: String,
    /// The price without the tax.
    pub net: String,
}

/// The answer to a basket sale: the payment as a whole, and each line with the
/// orders of its units (codes on those delivered).
#[derive(Debug, Clone, Serialize)]
pub struct BasketView {
    pub basket: String,
    pub total: String,
    pub currency: String,
    pub tendered: Option<String>,
    pub change: Option<String>,
    /// Owed back for units refused after payment ("0.00" when none).
    pub refund_due: String,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub line: u32,
    pub sku: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total: String,
    pub orders: Vec<OrderView>,
}

impl BasketView {
    pub fn of(r: &super::BasketResult) -> BasketView {
        BasketView {
            basket: r.basket.clone(),
            total: r.total.amount_string(),
            currency: r.total.currency.code().to_string(),
            tendered: r.tendered.map(|t| t.amount_string()),
            change: r.change.map(|c| c.amount_string()),
            refund_due: r.refund_due.amount_string(),
            lines: r
                .lines
                .iter()
                .map(|l| LineView {
                    line: l.line,
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price.amount_string(),
                    total: l.total.amount_string(),
                    orders: l.sales.iter().map(OrderView::sale).collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaidView {
    pub method: String,
    pub amount: String,
    pub tendered: Option<String>,
    pub change: Option<String>,
    pub reference: Option<String>,
    pub staff: String,
    pub taken_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundView {
    pub amount: String,
    pub method: String,
    pub reference: Option<String>,
    pub staff: String,
    pub at: String,
}

#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CodeView {
    pub code: String,
    pub pin: Option<String>,
    pub serial: Option<String>,
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for CodeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeView")
            .field("code", &"[redacted]")
            .field("serial", &self.serial)
            .finish()
    }
}

impl From<&RevealedCode> for CodeView {
    fn from(c: &RevealedCode) -> Self {
        CodeView {
            code: c.code.clone(),
            pin: c.pin.clone(),
            serial: c.serial.clone(),
            expires_at: c.expires_at.clone(),
        }
    }
}

impl OrderView {
    /// An order without its codes (lists, detail, refunds).
    pub fn of(o: &Order) -> OrderView {
        OrderView {
            order_id: o.public_id.clone(),
            client_order_id: o.client_order_id.clone(),
            status: o.status,
            sku: o.sku.clone(),
            name: o.name.clone(),
            region: o.region.clone(),
            price: o.price.amount_string(),
            currency: o.price.currency.code().to_string(),
            paid: o.payment.as_ref().map(|p| PaidView {
                method: p.method.clone(),
                amount: p.amount.amount_string(),
                tendered: p.tendered.map(|t| t.amount_string()),
                change: p.change.map(|c| c.amount_string()),
                reference: p.reference.clone(),
                staff: p.staff.clone(),
                taken_at: p.taken_at.clone(),
            }),
            codes: None,
            redeem_url: o.redeem_url.clone(),
            redeem_instructions: o.redeem_instructions.clone(),
            email: o.email.clone(),
            failure: o.failure.clone(),
            refund: o.refund.as_ref().map(|r| RefundView {
                amount: r.amount.amount_string(),
                method: r.method.clone(),
                reference: r.reference.clone(),
                staff: r.staff.clone(),
                at: r.at.clone(),
            }),
            staff: o.staff.clone(),
            till_id: o.till_id.clone(),
            created_at: o.created_at.clone(),
            paid_at: o.paid_at.clone(),
            delivered_at: o.delivered_at.clone(),
            outcome: None,
            attempts: o.attempts,
            supplier_status: o.supplier_status.clone(),
            supplier: crate::supplier::routing::display_name(o.supplier.as_deref()).to_string(),
            supplier_attempt: o.attempt,
            supplier_ref: o.supplier_order_id.clone(),
            cost: o.supplier_total.unwrap_or(o.max_unit_price).amount_string(),
            cost_currency: o.max_unit_price.currency.code().to_string(),
            fx_rate: o.fx_rate.normalize().to_string(),
            basket: o.basket.clone(),
            basket_line: o.basket_line,
            tax: o.tax.map(|t| TaxView {
                rate: t.rate.normalize().to_string(),
                amount: t.tax.amount_string(),
                net: Money::new(o.price.amount - t.tax.amount, o.price.currency).amount_string(),
            }),
            invoice: o.invoice.clone(),
            buyer_name: o.buyer_name.clone(),
            buyer_phone: o.buyer_phone.clone(),
            claim: o.claim.clone(),
        }
    }

    /// An order with its codes, which are kept only if it is delivered.
    pub fn with_codes(o: &Order, codes: &[RevealedCode]) -> OrderView {
        let mut view = OrderView::of(o);
        if o.status == OrderStatus::Delivered {
            view.codes = Some(codes.iter().map(CodeView::from).collect());
        }
        view
    }

    /// The answer to a sale: the order, its codes once delivered, and the outcome.
    pub fn sale(sale: &Sale) -> OrderView {
        let mut view = OrderView::with_codes(&sale.order, &sale.codes);
        view.outcome = Some(sale.outcome.clone());
        view
    }

    /// An audited reveal of an order's codes.
    pub fn revealed((order, codes): &(Order, Vec<RevealedCode>)) -> OrderView {
        OrderView::with_codes(order, codes)
    }
}
