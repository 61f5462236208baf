//! What an order is, as the rest of codetill sees it.

use serde::Serialize;

use super::state::OrderStatus;
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
}

impl PaymentMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
        }
    }
}

/// How the buyer pays at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tender {
    /// Cash handed over, in the price's currency (checked against the live quote:
    /// not negative, no finer than the currency's smallest coin, enough to pay);
    /// change is given back.
    Cash { tendered: rust_decimal::Decimal },
    /// A card on the external terminal, with the terminal's reference.
    Card { terminal_ref: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub method: String,
    pub amount: Money,
    pub tendered: Option<Money>,
    pub change: Option<Money>,
    pub reference: Option<String>,
    pub staff: String,
    pub taken_at: String,
}

/// The tax part of an order's price (prices are inclusive of tax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaxPart {
    /// Percent.
    pub rate: rust_decimal::Decimal,
    pub tax: Money,
}

/// A sale's tax invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub number: String,
    pub shop_tax_id: String,
    pub buyer_tax_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    pub amount: Money,
    pub method: String,
    pub reference: Option<String>,
    pub staff: String,
    pub at: String,
}

/// An order without its codes (codes are only read through the vault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: i64,
    pub public_id: String,
    pub client_order_id: String,
    pub status: OrderStatus,
    pub channel: String,
    pub sku: String,
    pub name: String,
    pub region: String,
    pub face_value: Money,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    pub quantity: u32,
    pub price: Money,
    /// The most the shop pays the supplier per unit (sent with every attempt).
    pub max_unit_price: Money,
    pub supplier_order_id: Option<String>,
    pub supplier_status: Option<String>,
    pub supplier_total: Option<Money>,
    /// Sale currency per unit of the wholesale currency, as quoted (1: the same).
    pub fx_rate: rust_decimal::Decimal,
    /// The buyer chose `face_value` (an open-amount product): it goes with every send.
    pub open_amount: bool,
    pub failure: Option<Failure>,
    pub attempts: u32,
    /// The supplier account the order is bought from now (`None`: the shop's single
    /// supplier), and the sku there when it differs from `sku`.
    pub supplier: Option<String>,
    pub supplier_sku: Option<String>,
    /// Which supplier attempt this is: after a final refusal once paid, the order
    /// fails over to the next offer under a key of its own (`attempt_key`).
    pub attempt: u32,
    pub attempt_key: Option<String>,
    pub email: Option<String>,
    pub staff: String,
    pub till_id: Option<String>,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub delivered_at: Option<String>,
    /// The basket this order is one unit of (`BSK-000001`), and its line there.
    pub basket: Option<String>,
    pub basket_line: Option<u32>,
    /// The tax inside the price, fixed at the sale (its category had a rate).
    pub tax: Option<TaxPart>,
    /// The tax invoice the sale (this order, or its basket) was given.
    pub invoice: Option<Invoice>,
    /// The buyer the sale is kept under (until their contact data is purged).
    pub buyer_name: Option<String>,
    pub buyer_phone: Option<String>,
    /// Taken as a claim while the supplier was down: the buyer holds its slip.
    pub claim: Option<Claim>,
    pub payment: Option<Payment>,
    pub refund: Option<Refund>,
}

/// A sale taken while the supplier was down: the number on the buyer's slip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// `CLM-000123` (the order's own number).
    pub number: String,
    pub taken_at: String,
}

impl Order {
    /// The key the current attempt is sent and looked up under.
    pub fn supplier_key(&self) -> &str {
        self.attempt_key.as_deref().unwrap_or(&self.client_order_id)
    }

    /// The sku the current attempt buys at its supplier.
    pub fn sku_at_supplier(&self) -> &str {
        self.supplier_sku.as_deref().unwrap_or(&self.sku)
    }
}

/// A delivered code in clear, for the delivery screen, a receipt or `--reveal`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct RevealedCode {
    pub code: String,
    pub pin: Option<String>,
    pub serial: Option<String>,
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for RevealedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedCode")
            .field("code", &"[redacted]")
            .field("serial", &self.serial)
            .finish()
    }
}
