//! Sales: quote, payment, fulfilment at the supplier, recovery after a crash.
//!
//! The money path. A counter sale is quoted live (price, stock, balance, margin
//! floor), paid (cash or card terminal), and only then ordered from the supplier
//! under a `client_order_id` that was committed with the order. Every transition is
//! one transaction; a process killed at any instant leaves an order that the next
//! start ([`Engine::recover`]) finishes without a second supplier order.

mod basket;
pub mod claim;
mod failover;
mod fulfil;
mod lease;
mod model;
pub mod problem;
mod quote;
pub mod state;
mod store;
mod view;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use basket::{BasketLine, BasketResult, BasketSale, LineResult, MAX_LINES, MAX_QUANTITY};
pub use fulfil::{FulfilOptions, Outcome};
pub use model::{
    Claim, Failure, Invoice, Order, Payment, PaymentMethod, Refund, RevealedCode, TaxPart, Tender,
};
pub use quote::{Quote, Refusal, forget_balance, quote};
pub use state::OrderStatus;
#[cfg(test)]
pub(crate) use store::{NewOrder, insert_paid_sending, insert_quoted, record_payment};
pub use store::{OrderFilter, find, list, open_order_ids, record_refund, reveal};
pub(crate) use store::{read_codes, record_payment_in};
pub use view::{BasketView, CodeView, LineView, OrderView, PaidView, RefundView};

use crate::catalog::CatalogError;
use crate::db::{Db, DbError, now_text};
use crate::language::Language;
use crate::money::Money;
use crate::printer_spec::PrinterSpec;
use crate::supplier::{OrderRequest, Supplier, SupplierError, Suppliers};
use crate::vault::{Vault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("unknown sku {0:?}")]
    UnknownSku(String),
    #[error("sale refused, nothing charged: {0}")]
    Refused(Refusal),
    #[error("tendered {tendered} is less than the price {price}")]
    ShortTender { tendered: Money, price: Money },
    #[error("{0}")]
    BadInput(String),
    #[error("no order {0:?}")]
    NotFound(String),
    #[error("order {order} is {status}: cannot {action}")]
    WrongState {
        order: String,
        status: OrderStatus,
        action: &'static str,
    },
    #[error(transparent)]
    Supplier(#[from] SupplierError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The product cannot be priced in the shop's currency (no rate): nothing charged.
    #[error(transparent)]
    Pricing(#[from] crate::pricing::PricingError),
    #[error(transparent)]
    Tax(#[from] crate::tax::TaxError),
    /// The sale was paid and is kept; what came after (the supplier's drive, or
    /// reading the result back) failed here. Never "not sold": recovery finishes it.
    #[error(
        "{sale} is paid and kept, but its result could not be shown ({message}): find it under Orders; do not take payment again"
    )]
    PaidNotShown { sale: String, message: String },
}

impl From<CatalogError> for OrderError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Db(d) => OrderError::Db(d),
            CatalogError::Pricing(p) => OrderError::Pricing(p),
        }
    }
}

/// A sale at the counter, as staff enter it.
#[derive(Debug, Clone)]
pub struct CounterSale {
    pub sku: String,
    /// The face value for an open-amount product (in its face currency).
    pub amount: Option<rust_decimal::Decimal>,
    pub tender: Tender,
    pub staff: String,
    pub till_id: Option<String>,
    pub email: Option<String>,
}

/// How the buyer wants the code besides the screen (the email address is
/// [`CounterSale::email`]): a printed receipt, and the language of receipt and email.
#[derive(Debug, Clone, Default)]
pub struct DeliveryRequest {
    pub print_to: Option<PrinterSpec>,
    pub language: Language,
    /// The buyer's tax id for the tax invoice (a business buying), when given.
    pub buyer_tax_id: Option<String>,
    /// The buyer to keep the sale under, when one was typed at the counter.
    pub buyer: Option<crate::buyers::Contact>,
}

/// The result of a sale: the order, how fulfilment ended and, once delivered, the
/// codes for the delivery screen.
#[derive(Debug, Clone, Serialize)]
pub struct Sale {
    pub order: Order,
    pub outcome: Outcome,
    pub codes: Vec<RevealedCode>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    pub examined: u32,
    pub delivered: Vec<String>,
    pub refund_due: Vec<String>,
    pub open: Vec<String>,
    pub busy: Vec<String>,
    pub cancelled_quotes: u32,
}

/// The fulfilment engine of one process: its database, suppliers and vault, and its
/// name on order leases.
pub struct Engine {
    db: Db,
    suppliers: Arc<Suppliers>,
    vault: Arc<Vault>,
    /// The supplier's last stock answers: every quote asks live and keeps its
    /// answer here; a claim (the supplier down) is judged by them.
    stock: crate::stock::StockCache,
    owner: String,
    pub options: FulfilOptions,
}

/// Quotes never paid are cancelled by recovery after this long.
const STALE_QUOTE: Duration = Duration::from_secs(30 * 60);
/// A remote quote waits for a buyer paying from a link at home: a payment link lives
/// 24 h at the providers, plus an hour for a late webhook to come through the relay.
const STALE_REMOTE_QUOTE: Duration = Duration::from_secs(25 * 60 * 60);

impl Engine {
    /// An engine buying from the shop's single supplier.
    pub fn new(db: Db, supplier: Arc<dyn Supplier>, vault: Arc<Vault>) -> Engine {
        Engine::routed(db, Arc::new(Suppliers::single(supplier)), vault)
    }

    /// An engine routing among `suppliers`: each sale goes to the cheapest offer a
    /// healthy supplier has, and a refusal after payment fails over to the next.
    pub fn routed(db: Db, suppliers: Arc<Suppliers>, vault: Arc<Vault>) -> Engine {
        Engine {
            db,
            suppliers,
            vault,
            stock: crate::stock::StockCache::new(crate::stock::StockCache::MAX_TTL),
            owner: lease::owner_id(),
            options: FulfilOptions::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Listings show what the supplier last said at a quote (fresh, 5–15 minutes)
    /// rather than the catalog's flag from the last sync: a card a sale just found
    /// out of stock shows so at once. Asks nobody.
    pub fn list_stock(&self, products: &mut [crate::product::Product]) {
        for p in products {
            if let Some(stock) = self.stock.cached(p.sku_at_supplier()) {
                p.in_stock = stock.available && stock.quantity != Some(0);
            }
        }
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn suppliers(&self) -> &Arc<Suppliers> {
        &self.suppliers
    }

    pub async fn quote(&self, sku: &str) -> Result<Quote, OrderError> {
        self.quote_amount(sku, None).await
    }

    /// A quote for an open-amount product at the face value `amount` (or a fixed one
    /// with `None`).
    pub async fn quote_amount(
        &self,
        sku: &str,
        amount: Option<rust_decimal::Decimal>,
    ) -> Result<Quote, OrderError> {
        quote::quote(&self.db, &self.suppliers, &self.stock, sku, amount).await
    }

    /// Quote → payment → fulfilment. Refusals before payment create nothing.
    pub async fn sell(&self, sale: &CounterSale) -> Result<Sale, OrderError> {
        self.sell_with(sale, &DeliveryRequest::default()).await
    }

    /// A sale whose delivery (email to `sale.email`, a receipt) is queued in the same
    /// transaction that delivers the code.
    pub async fn sell_with(
        &self,
        sale: &CounterSale,
        delivery: &DeliveryRequest,
    ) -> Result<Sale, OrderError> {
        if let Tender::Card { terminal_ref } = &sale.tender
            && terminal_ref.trim().is_empty()
        {
            return Err(OrderError::BadInput(
                "the card terminal's reference is empty".into(),
            ));
        }
        if let Some(email) = &sale.email {
            check_email(email)?;
        }
        let buyer_tax_id = buyer_tax_id(delivery)?;
        let quote = match self.quote_amount(&sale.sku, sale.amount).await {
            Ok(q) => q,
            Err(e) if self.takes_claim(&e).await? => {
                return self.sell_as_claim(sale, delivery, buyer_tax_id).await;
            }
            Err(e) => return Err(e),
        };
        let payment = payment_for(&sale.tender, quote.price, &sale.staff)?;
        let mut new = new_order(&quote, NewOrderFor::counter(sale, delivery));
        with_tax_terms(&quote, &mut new);
        new.buyer_tax_id = buyer_tax_id;
        new.buyer = delivery.buyer.clone();
        let request = OrderRequest {
            client_order_id: new.client_order_id.clone(),
            sku: quote.product.sku_at_supplier().to_string(),
            quantity: new.quantity,
            max_unit_price: new.max_unit_price,
            face_value: quote.chosen_amount,
        };
        // One write before the supplier call and one after: the order, its payment
        // and the move to `ordering` commit together.
        let id =
            store::insert_paid_sending(&self.db, &new, &payment, (&self.owner, self.options.lease))
                .await?;
        // Paid from here on: a failure now must not read as "not sold".
        let shown = async {
            let driven = self
                .fulfiller()
                .drive_sending(id, new.supplier.as_deref(), request)
                .await?;
            self.sale(id, driven).await
        };
        match shown.await {
            Ok(sale) => Ok(self.claim_if_open(sale).await),
            Err(e) => Err(paid_not_shown(&self.db, "orders", id, e).await),
        }
    }

    /// Opens a `quoted` order for `quote` (its client_order_id is fixed here).
    pub async fn open(&self, quote: &Quote, sale: &CounterSale) -> Result<i64, OrderError> {
        self.open_with(quote, sale, &DeliveryRequest::default())
            .await
    }

    pub async fn open_with(
        &self,
        quote: &Quote,
        sale: &CounterSale,
        delivery: &DeliveryRequest,
    ) -> Result<i64, OrderError> {
        let mut new = new_order(quote, NewOrderFor::counter(sale, delivery));
        new.tax = tax_of(quote);
        store::insert_quoted(&self.db, &new).await
    }

    /// Opens a `quoted` remote order for `quote`: the buyer pays later through a
    /// payment link, and the code goes to `email` (required, checked here), written
    /// in `language`.
    pub async fn open_remote(
        &self,
        quote: &Quote,
        email: &str,
        language: Language,
        staff: &str,
        till_id: Option<String>,
    ) -> Result<i64, OrderError> {
        check_email(email)?;
        let order = NewOrderFor {
            channel: "remote",
            email: Some(email.trim().to_string()),
            staff: staff.to_string(),
            till_id,
            print_to: None,
            language,
        };
        let mut new = new_order(quote, order);
        new.tax = tax_of(quote);
        // The buyer who will pay from the link is known by the address it goes to.
        new.buyer = crate::buyers::Contact::parse(None, None, Some(email))
            .ok()
            .flatten();
        store::insert_quoted(&self.db, &new).await
    }

    /// This engine's name on leases and how long one lasts (a payment recorded
    /// elsewhere in this process leases the order to this engine).
    pub(crate) fn lease(&self) -> (&str, Duration) {
        (&self.owner, self.options.lease)
    }

    /// Records payment of a quoted order (moves it to `paid`); this till then holds
    /// the order's lease and is expected to [`Engine::fulfil`] it.
    pub async fn pay(&self, id: i64, tender: &Tender, staff: &str) -> Result<(), OrderError> {
        let mut conn = self.db.pool().acquire().await.map_err(DbError::from)?;
        let order = store::get(&mut conn, id).await?;
        drop(conn);
        let payment = payment_for(tender, order.price, staff)?;
        store::record_payment(&self.db, id, &payment, (&self.owner, self.options.lease)).await
    }

    pub async fn cancel(&self, id: i64) -> Result<(), OrderError> {
        store::cancel(&self.db, id).await
    }

    /// Drives one paid order towards delivered.
    pub async fn fulfil(&self, id: i64) -> Result<Outcome, OrderError> {
        self.fulfiller().drive(id).await
    }

    /// Delivers a `refund_due` order whose supplier order reconciliation found
    /// completed: its codes fetched by key (never bought again) and sealed, its email
    /// and receipt queued, as for any delivery. `Open` when the supplier does not show
    /// it completed; `Busy` when another till holds it or a refund was recorded.
    pub async fn deliver_found(&self, id: i64) -> Result<Outcome, OrderError> {
        self.fulfiller().deliver_found(id).await
    }

    fn fulfiller(&self) -> fulfil::Fulfiller<'_> {
        fulfil::Fulfiller {
            db: &self.db,
            suppliers: &self.suppliers,
            vault: &self.vault,
            owner: &self.owner,
            options: &self.options,
        }
    }

    async fn sale(&self, id: i64, driven: fulfil::Driven) -> Result<Sale, OrderError> {
        let order = match driven.order {
            Some(order) => order,
            None => {
                let mut conn = self.db.pool().acquire().await.map_err(DbError::from)?;
                store::get(&mut conn, id).await?
            }
        };
        // This drive's delivery hands its codes over; an order another process
        // delivered meanwhile (its lease had lapsed) has them read back.
        let codes = if driven.codes.is_empty() && order.status == OrderStatus::Delivered {
            store::read_codes(&self.db, &self.vault, id).await?
        } else {
            driven.codes
        };
        Ok(Sale {
            order,
            outcome: driven.outcome,
            codes,
        })
    }

    /// Finishes every order left open (paid, ordering, unknown) that no live process
    /// is driving, and cancels quotes that were never paid.
    pub async fn recover(&self) -> Result<RecoveryReport, OrderError> {
        let mut report = RecoveryReport::default();
        let before = |age: Duration| {
            crate::db::time_text(
                chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or_default(),
            )
        };
        let quotes =
            store::stale_quote_ids(&self.db, &before(STALE_QUOTE), &before(STALE_REMOTE_QUOTE))
                .await?;
        for id in quotes {
            if store::cancel(&self.db, id).await.is_ok() {
                report.cancelled_quotes += 1;
            }
        }
        for id in self.expire_claims().await? {
            let mut conn = self.db.pool().acquire().await.map_err(DbError::from)?;
            report
                .refund_due
                .push(store::get(&mut conn, id).await?.public_id);
        }
        for id in store::open_order_ids(&self.db).await? {
            report.examined += 1;
            // One order that cannot be driven (a supplier answer that does not fit,
            // a row that does not read) stays open and is logged; the paid orders
            // after it are still finished.
            let outcome = match self.fulfil(id).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::error!(order = id, error = %e, "recovery could not drive this order: it stays open");
                    Outcome::Open {
                        reason: e.to_string(),
                    }
                }
            };
            // Its number alone: the rest of the row may be what did not read.
            let public: String = sqlx::query_scalar("SELECT public_id FROM orders WHERE id = $1")
                .bind(id)
                .fetch_one(self.db.pool())
                .await
                .map_err(DbError::from)?;
            match outcome {
                Outcome::Delivered => report.delivered.push(public),
                Outcome::RefundDue { .. } => report.refund_due.push(public),
                Outcome::Open { .. } => report.open.push(public),
                Outcome::Busy => report.busy.push(public),
            }
        }
        Ok(report)
    }

    /// The codes of a delivered order for the sale's own delivery (not audited; a
    /// later look is [`reveal`]).
    pub async fn delivered_codes(&self, id: i64) -> Result<Vec<RevealedCode>, OrderError> {
        store::read_codes(&self.db, &self.vault, id).await
    }
}

/// The error for a paid sale (row `id` of `table`, orders or baskets) whose
/// result could not be shown: its number, read alone, and what failed.
async fn paid_not_shown(db: &Db, table: &str, id: i64, e: OrderError) -> OrderError {
    let sale = sqlx::query_scalar(&format!("SELECT public_id FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|_| format!("{table} #{id}"));
    tracing::error!(sale = %sale, error = %e, "a paid sale's result could not be shown; recovery finishes it");
    OrderError::PaidNotShown {
        sale,
        message: e.to_string(),
    }
}

fn payment_for(tender: &Tender, price: Money, staff: &str) -> Result<Payment, OrderError> {
    let now = now_text();
    Ok(match tender {
        Tender::Cash { tendered } => {
            // Cash is counted in the price's currency, to its smallest coin.
            if tendered.is_sign_negative() {
                return Err(OrderError::BadInput(
                    "the cash tendered cannot be negative".into(),
                ));
            }
            let tendered = Money::new(*tendered, price.currency);
            tendered
                .to_minor()
                .map_err(|e| OrderError::BadInput(format!("tendered: {e}")))?;
            if tendered.amount < price.amount {
                return Err(OrderError::ShortTender { tendered, price });
            }
            let change = tendered
                .checked_sub(&price)
                .map_err(|e| OrderError::BadInput(e.to_string()))?;
            Payment {
                method: "cash".into(),
                amount: price,
                tendered: Some(tendered),
                change: Some(change),
                reference: None,
                staff: staff.to_string(),
                taken_at: now,
            }
        }
        Tender::Card { terminal_ref } => Payment {
            method: "card".into(),
            amount: price,
            tendered: None,
            change: None,
            reference: Some(terminal_ref.trim().to_string()),
            staff: staff.to_string(),
            taken_at: now,
        },
    })
}

/// Who an order is for and how its code leaves the shop, besides the product.
struct NewOrderFor {
    channel: &'static str,
    email: Option<String>,
    staff: String,
    till_id: Option<String>,
    print_to: Option<String>,
    language: Language,
}

impl NewOrderFor {
    fn counter(sale: &CounterSale, delivery: &DeliveryRequest) -> NewOrderFor {
        NewOrderFor {
            channel: "counter",
            email: sale.email.clone(),
            staff: sale.staff.clone(),
            till_id: sale.till_id.clone(),
            print_to: delivery.print_to.as_ref().map(|p| p.to_string()),
            language: delivery.language,
        }
    }
}

/// The order row for a sale of `quote`; its `client_order_id` is made here, once.
fn new_order(quote: &Quote, order: NewOrderFor) -> store::NewOrder {
    let p = &quote.product;
    store::NewOrder {
        client_order_id: format!("ct-{}", ulid::Ulid::new()),
        channel: order.channel,
        sku: p.sku.clone(),
        supplier: p.supplier.clone(),
        supplier_sku: p.supplier_sku.clone(),
        name: p.name.clone(),
        region: p.region.clone(),
        face_value: p.face_value,
        redeem_url: p.redeem_url.clone(),
        redeem_instructions: p.redeem_instructions.clone(),
        quantity: 1,
        price: quote.price,
        max_unit_price: quote.wholesale,
        fx_rate: quote.fx_rate,
        open_amount: quote.chosen_amount.is_some(),
        email: order.email,
        staff: order.staff,
        till_id: order.till_id,
        print_to: order.print_to,
        language: order.language,
        tax: None,
        invoice: None,
        buyer_tax_id: None,
        buyer: None,
    }
}

/// The buyer's tax id as typed, checked (empty: none).
fn buyer_tax_id(delivery: &DeliveryRequest) -> Result<Option<String>, OrderError> {
    match delivery.buyer_tax_id.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => Ok(Some(crate::tax::parse_tax_id("buyer tax id", id)?)),
    }
}

pub fn check_email(email: &str) -> Result<(), OrderError> {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        // What the mail server will be given: one address as lettre reads it, so an
        // address refused later (a list, a quote, a bracket) is refused now.
        && e.parse::<lettre::Address>().is_ok();
    if ok {
        Ok(())
    } else {
        Err(OrderError::BadInput(format!(
            "{email:?} is not an email address"
        )))
    }
}

/// The tax inside a quote's price, when its category has a rate (its invoice, if
/// any, is taken when it is paid).
fn tax_of(quote: &Quote) -> Option<crate::tax::Split> {
    quote
        .tax
        .0
        .map(|r| crate::tax::split_inclusive(quote.price, r))
}

/// A quote's tax rate and invoice terms (read with the quote) onto a new order.
fn with_tax_terms(quote: &Quote, new: &mut store::NewOrder) {
    let (rate, invoice) = quote.tax.clone();
    new.tax = rate.map(|r| crate::tax::split_inclusive(quote.price, r));
    new.invoice = invoice;
}

#[cfg(test)]
mod email_tests {
    use super::check_email;

    /// An address the mail server would refuse later is refused at the sale, before
    /// any money is taken.
    #[test]
    fn only_one_plain_address_passes_the_sale_time_check() {
        for good in ["a@b.co", " buyer@example.com ", "x.y+z@mail.example.in"] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        for bad in [
            "a@b.com,x@y.z",
            "a@b",
            "<a@b.com>",
            "\"a b\"@c.com",
            "a@b.com;c@d.com",
            "a@@b.com",
            "",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
