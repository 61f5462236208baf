//! Selling at this till: at the counter (cash, card), remotely (a payment link), and
//! showing a delivered code again.

use rust_decimal::Decimal;

use crate::delivery::AttemptResult;
use crate::delivery::Language;
use crate::orders::{
    self, CounterSale, DeliveryRequest, Order, OrderError, OrderStatus, RevealedCode, Sale, Tender,
};
use crate::payments::{ProviderKind, Providers};
use crate::remote::{Desk, RemoteOrder};
use crate::staff::Action;

use super::{Clerk, Till, TillError};

/// How long the first attempt at a sale's receipt and email may take.
pub(super) const SEND_NOW_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// Refused while another sale is under way at this till.
const SELLING: &str = "a sale is already being processed at this till";

/// How the buyer gets the code besides the screen: an email address (optional), a
/// printed receipt, and the language of both.
#[derive(Debug, Clone, Default)]
pub struct Handover {
    pub email: Option<String>,
    pub language: Language,
    pub print: Print,
    /// The buyer's tax id for the tax invoice, when a business buys.
    pub buyer_tax_id: Option<String>,
    /// The buyer's phone and name, to keep the sale under them (with `email`).
    pub phone: Option<String>,
    pub buyer_name: Option<String>,
}

impl Handover {
    /// The buyer's email, when one was typed.
    fn email(&self) -> Option<String> {
        self.email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
    }

    /// The buyer typed at the counter, checked (`None`: no phone, no email).
    fn buyer(&self) -> Result<Option<crate::buyers::Contact>, crate::buyers::BuyerError> {
        crate::buyers::Contact::parse(
            self.buyer_name.as_deref(),
            self.phone.as_deref(),
            self.email.as_deref(),
        )
    }
}

/// What is sold: a sku, with the face value the buyer chose for an open-amount
/// product (in its face currency).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub sku: String,
    pub amount: Option<Decimal>,
}

impl Item {
    pub fn open(sku: &str, amount: Decimal) -> Item {
        Item {
            sku: sku.to_string(),
            amount: Some(amount),
        }
    }
}

impl From<&str> for Item {
    fn from(sku: &str) -> Item {
        Item {
            sku: sku.to_string(),
            amount: None,
        }
    }
}

impl From<&String> for Item {
    fn from(sku: &String) -> Item {
        Item::from(sku.as_str())
    }
}

/// Whether the sale's receipt is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Print {
    /// On the till's printer, when one is set up and usable (the counter).
    #[default]
    IfSetUp,
    /// On the till's printer, which must be set up: refused before any money is
    /// taken when it is not (`sell --print`).
    Required,
    /// No receipt.
    No,
}

impl Till {
    /// A cash sale: `tendered` is in the price's currency; the engine checks it
    /// against the live quote (sign, the currency's decimals, enough to pay).
    pub async fn sell_cash(
        &self,
        item: impl Into<Item>,
        tendered: Decimal,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<Sale, TillError> {
        self.sell(item.into(), Tender::Cash { tendered }, handover, clerk)
            .await
    }

    /// A card sale on the external terminal, with the terminal's reference.
    pub async fn sell_card(
        &self,
        item: impl Into<Item>,
        terminal_ref: &str,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<Sale, TillError> {
        let tender = Tender::Card {
            terminal_ref: terminal_ref.trim().to_string(),
        };
        self.sell(item.into(), tender, handover, clerk).await
    }

    /// Quote → payment → fulfilment, one sale at a time at this till. A sale that
    /// leaves a refund due or fails raises its alert. The receipt and email are
    /// queued with the code; [`Till::send_soon`] or [`Till::send_now`] tries them.
    async fn sell(
        &self,
        item: Item,
        tender: Tender,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<Sale, TillError> {
        let Ok(_selling) = self.selling.try_lock() else {
            return Err(TillError::Busy(SELLING));
        };
        self.authorize(clerk, Action::Sell, None).await?;
        let engine = self.engine().await?;
        let sale = CounterSale {
            sku: item.sku.trim().to_string(),
            amount: item.amount,
            tender,
            staff: clerk.staff.clone(),
            till_id: clerk.till_id.clone(),
            email: handover.email(),
        };
        let delivery = self.delivery_for(handover).await?;
        tracing::info!(sku = %sale.sku, "sale confirmed at the counter");
        let cash = matches!(sale.tender, Tender::Cash { .. });
        let sale = engine.sell_with(&sale, &delivery).await?;
        tracing::info!(order = %sale.order.public_id, status = %sale.order.status, "sale finished");
        if cash {
            self.drawer_for_sale(clerk, &sale.order.public_id).await;
        }
        // What the finished order must tell the owner (refund due, failed).
        self.tell(crate::orders::problem::after_order(&self.db, &sale.order).await)
            .await;
        if sale.order.status == OrderStatus::RefundDue {
            self.check_refund_rate().await;
        }
        Ok(sale)
    }

    /// A basket: several lines quoted together, paid once with `tender`, each unit
    /// bought under its own key. One sale at a time at this till, as a single sale;
    /// each unit left refund due raises its alert.
    pub async fn sell_basket(
        &self,
        lines: Vec<orders::BasketLine>,
        tender: Tender,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<orders::BasketResult, TillError> {
        let Ok(_selling) = self.selling.try_lock() else {
            return Err(TillError::Busy(SELLING));
        };
        self.authorize(clerk, Action::Sell, None).await?;
        let engine = self.engine().await?;
        let sale = orders::BasketSale {
            lines,
            tender,
            staff: clerk.staff.clone(),
            till_id: clerk.till_id.clone(),
            email: handover.email(),
        };
        let delivery = self.delivery_for(handover).await?;
        tracing::info!(lines = sale.lines.len(), "basket confirmed at the counter");
        let cash = matches!(sale.tender, Tender::Cash { .. });
        let basket = engine.sell_basket(&sale, &delivery).await?;
        if cash {
            self.drawer_for_sale(clerk, &basket.basket).await;
        }
        tracing::info!(basket = %basket.basket, refund_due = %basket.refund_due, "basket finished");
        let mut refused = false;
        for sale in basket.sales() {
            self.tell(crate::orders::problem::after_order(&self.db, &sale.order).await)
                .await;
            refused |= sale.order.status == OrderStatus::RefundDue;
        }
        if refused {
            self.check_refund_rate().await;
        }
        Ok(basket)
    }

    /// How a sale's code leaves the shop besides the screen. The receipt is queued
    /// with the code; a printer the sale needs and does not have refuses it before
    /// any money is taken.
    async fn delivery_for(&self, handover: &Handover) -> Result<DeliveryRequest, TillError> {
        Ok(DeliveryRequest {
            print_to: match handover.print {
                Print::IfSetUp => self.printer().await,
                Print::Required => Some(self.outbox().await?.config().printer()?.clone()),
                Print::No => None,
            },
            language: handover.language,
            buyer_tax_id: handover.buyer_tax_id.clone(),
            buyer: handover.buyer()?,
        })
    }

    /// A remote sale: quotes `sku` live, opens a `quoted` order for `email` and makes
    /// its payment link with `provider` (addresses from the settings, keys from this
    /// till's secrets). Shares the counter's one-at-a-time guard: a double Enter must
    /// not make two links.
    pub async fn sell_remotely(
        &self,
        item: impl Into<Item>,
        email: &str,
        language: Language,
        provider: ProviderKind,
        clerk: &Clerk,
    ) -> Result<RemoteOrder, TillError> {
        let Ok(_selling) = self.selling.try_lock() else {
            return Err(TillError::Busy(SELLING));
        };
        self.authorize(clerk, Action::Sell, None).await?;
        let item = item.into();
        let sku = item.sku.as_str();
        let desk = Desk::new(
            self.engine().await?,
            Providers::configured(&self.db, self.secrets()),
        );
        tracing::info!(sku = %sku.trim(), %provider, "remote sale asked for");
        Ok(desk
            .open(
                crate::remote::Wanted {
                    sku: sku.trim(),
                    amount: item.amount,
                },
                email,
                language,
                provider,
                &clerk.staff,
                clerk.till_id.clone(),
            )
            .await?)
    }

    /// One attempt at a delivered order's receipt and email, in the background: the
    /// counter never waits on a printer or a mail server. What fails stays queued for
    /// the outbox worker; the delivery screen shows it.
    pub async fn send_soon(&self, order: &Order) {
        if order.status != OrderStatus::Delivered {
            return;
        }
        let outbox = match self.outbox().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "receipt and email stay queued");
                return;
            }
        };
        let id = order.id;
        tokio::spawn(async move {
            if let Err(e) = outbox.attempt_order(id, SEND_NOW_BUDGET).await {
                tracing::warn!(error = %e, "receipt and email stay queued");
            }
        });
    }

    /// One attempt at a delivered order's receipt and email, waited for (the CLI
    /// reports each). Never fails the sale: what fails stays queued.
    pub async fn send_now(
        &self,
        order: &Order,
        budget: std::time::Duration,
    ) -> Result<Vec<AttemptResult>, TillError> {
        if order.status != OrderStatus::Delivered {
            return Ok(Vec::new());
        }
        Ok(self.outbox().await?.attempt_order(order.id, budget).await?)
    }

    /// The codes of a delivered order, written to the audit log with who and why;
    /// a reveal without a reason is refused.
    pub async fn reveal(
        &self,
        order: &str,
        reason: &str,
        clerk: &Clerk,
    ) -> Result<(Order, Vec<RevealedCode>), TillError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(OrderError::BadInput("say why the code is shown again".into()).into());
        }
        let found = orders::find(&self.db, order).await?;
        self.authorize(clerk, Action::Reveal, Some(&found)).await?;
        if found.status != OrderStatus::Delivered {
            return Err(OrderError::WrongState {
                order: found.public_id,
                status: found.status,
                action: "show a code: there is none",
            }
            .into());
        }
        let vault = self.vault().await?;
        tracing::info!(order = %found.public_id, staff = %clerk.staff, "code revealed again");
        Ok(orders::reveal(
            &self.db,
            &vault,
            &found.public_id,
            &clerk.staff,
            Some(reason),
        )
        .await?)
    }
}
