//! Remote sales: an order quoted for a buyer who is not at the counter, paid through a
//! provider's payment link, and fulfilled when the provider's payment event reaches
//! this till through the relay.
//!
//! [`Desk::open`] quotes live (the counter's guards), opens a `quoted` order on the
//! `remote` channel and makes its payment link. [`Desk::work_inbox`] acts on the
//! relay's events ([`crate::relay`]): an event must name a known remote order that is
//! still `quoted`, for its own payment link, with the same amount and currency, and the
//! provider's API, asked again, must say paid. Only then are the payment and the
//! event's processing recorded (one transaction) and the order fulfilled by the
//! engine, which queues the code's email with the delivery. Anything else is held for
//! a person (an alert), never fulfilled automatically.

mod act;
pub mod events;

use std::sync::Arc;

use serde::Serialize;

use crate::db::{DbError, now_text};
use crate::orders::{Engine, OrderError, check_email};
use crate::payments::{LinkRequest, PaymentError, ProviderKind, Providers};

pub use act::{ActReport, Held};

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A remote order and its payment link, as `codetill remote new` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteOrder {
    pub order_id: String,
    #[serde(skip)]
    pub id: i64,
    pub provider: ProviderKind,
    pub payment_url: String,
    #[serde(skip)]
    pub external_id: String,
    pub price: String,
    pub currency: String,
    pub status: String,
    pub email: String,
}

/// The remote side of a till: its order engine and its payment providers.
pub struct Desk {
    engine: Arc<Engine>,
    providers: Providers,
}

impl Desk {
    pub fn new(engine: Arc<Engine>, providers: Providers) -> Desk {
        Desk { engine, providers }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Quotes `sku` live, opens a `quoted` remote order for `email` and makes its
    /// payment link with `provider`. Bad input and refusals create nothing; a link
    /// the provider would not make cancels the order it was for.
    pub async fn open(
        &self,
        sku: &str,
        email: &str,
        provider: ProviderKind,
        staff: &str,
        till_id: Option<String>,
    ) -> Result<RemoteOrder, RemoteError> {
        check_email(email)?;
        let client = self.providers.get(provider).await?;
        let quote = self.engine.quote(sku).await?;
        let id = self
            .engine
            .open_remote(&quote, email, staff, till_id)
            .await?;
        let order = crate::orders::find(self.engine.db(), &id.to_string()).await?;
        let request = LinkRequest {
            order_id: order.public_id.clone(),
            idempotency_key: order.client_order_id.clone(),
            amount: order.price,
            description: order.name.clone(),
            email: email.trim().to_string(),
        };
        let link = match client.create_link(&request).await {
            Ok(link) => link,
            Err(e) => {
                // No link, no payment: the quote goes.
                if let Err(c) = self.engine.cancel(id).await {
                    tracing::warn!(order = %order.public_id, error = %c, "could not cancel the quote without a payment link");
                }
                return Err(e.into());
            }
        };
        let mut tx = self.engine.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO payment_links (order_id, provider, external_id, url, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(id)
        .bind(provider.as_str())
        .bind(&link.external_id)
        .bind(&link.url)
        .bind(now_text())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        tx.commit().await.map_err(DbError::from)?;
        tracing::info!(order = %order.public_id, %provider, link = %link.external_id, "remote order awaiting payment");
        Ok(RemoteOrder {
            order_id: order.public_id,
            id,
            provider,
            payment_url: link.url,
            external_id: link.external_id,
            price: order.price.amount_string(),
            currency: order.price.currency.code().to_string(),
            status: order.status.as_str().to_string(),
            email: email.trim().to_string(),
        })
    }

    /// Acts on every event waiting in the inbox, oldest first.
    pub async fn work_inbox(&self) -> Result<ActReport, RemoteError> {
        act::work(&self.engine, &self.providers).await
    }
}

#[async_trait::async_trait]
impl crate::relay::InboxWorker for Desk {
    async fn work(&self) -> Result<(), String> {
        match self.work_inbox().await {
            Ok(report) => {
                report.log();
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

/// `url` as a QR code drawn with Unicode half blocks for a terminal. Light modules are
/// the drawn ones, which reads right on the usual dark terminal background.
pub fn terminal_qr(url: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}
