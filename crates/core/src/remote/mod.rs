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
use crate::language::Language;
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

/// What a remote buyer is sold: a sku, and the face value chosen for an open-amount
/// product (in its face currency).
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub sku: &'a str,
    pub amount: Option<rust_decimal::Decimal>,
}

impl Desk {
    pub fn new(engine: Arc<Engine>, providers: Providers) -> Desk {
        Desk { engine, providers }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Quotes `sku` live, opens a `quoted` remote order for `email` (the code's email
    /// in `language`) and makes its payment link with `provider`. Bad input and
    /// refusals create nothing; a link the provider would not make cancels the order
    /// it was for.
    pub async fn open(
        &self,
        wanted: Wanted<'_>,
        email: &str,
        language: Language,
        provider: ProviderKind,
        staff: &str,
        till_id: Option<String>,
    ) -> Result<RemoteOrder, RemoteError> {
        check_email(email)?;
        let client = self.providers.get(provider).await?;
        let quote = self.engine.quote_amount(wanted.sku, wanted.amount).await?;
        let id = self
            .engine
            .open_remote(&quote, email, language, staff, till_id)
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
            "INSERT INTO payment_links (order_id, provider, external_id, url, created_at) VALUES ($1, $2, $3, $4, $5)",
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

/// Modules of white border around a QR code; the standard asks for four, and phone
/// cameras miss codes drawn tight against other things.
const QUIET_ZONE: usize = 4;

/// `url` as a QR code in SVG, for a screen: black modules on white, one `<path>` of
/// horizontal runs, a viewBox in modules and no fixed size (the page scales it).
pub fn svg_qr(url: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != qrcode::Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == qrcode::Color::Dark {
                x += 1;
            }
            let run = x - start;
            path.push_str(&format!(
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            ));
        }
    }
    Some(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges">"#,
            r##"<rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
        ),
        side = side,
        path = path
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The runs of an svg_qr path as (x, y, length), read back from its `M x yhN…z`.
    fn runs(svg: &str) -> Vec<(usize, usize, usize)> {
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        d.split('z')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let s = s.strip_prefix('M').unwrap();
                let (xy, rest) = s.split_once('h').unwrap();
                let (x, y) = xy.split_once(' ').unwrap();
                let (len, back) = rest.split_once("v1h-").unwrap();
                assert_eq!(len, back, "a run closes on itself");
                (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn the_svg_draws_exactly_the_dark_modules_inside_a_quiet_zone() {
        let url = "https://checkout.stripe.test/c/pay/cs_test_0001";
        let svg = svg_qr(url).unwrap();
        let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).unwrap();
        let width = code.width();
        let side = width + 2 * QUIET_ZONE;
        assert!(
            svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)),
            "{svg}"
        );
        assert!(svg.contains(r#"shape-rendering="crispEdges""#));
        assert_eq!(svg.matches("<path").count(), 1);

        let mut drawn = vec![false; width * width];
        for (x, y, len) in runs(&svg) {
            assert!(x >= QUIET_ZONE && y >= QUIET_ZONE, "inside the quiet zone");
            assert!(x + len <= QUIET_ZONE + width && y < QUIET_ZONE + width);
            for dx in 0..len {
                let i = (y - QUIET_ZONE) * width + x - QUIET_ZONE + dx;
                assert!(!drawn[i], "module drawn twice");
                drawn[i] = true;
            }
        }
        let dark: Vec<bool> = code
            .to_colors()
            .iter()
            .map(|c| *c == qrcode::Color::Dark)
            .collect();
        assert_eq!(drawn, dark, "every dark module and nothing else");
        assert!(dark.iter().filter(|d| **d).count() > width, "a real code");
    }

    #[test]
    fn text_too_long_for_any_qr_code_has_no_svg() {
        assert!(svg_qr(&"x".repeat(8000)).is_none());
    }
}
