//! Rendering and sending one row: the email with its receipt (and PDF, if the mail
//! server's setting asks for one) or the receipt on the printer its row names, as
//! ESC/POS bytes or a PDF file. The codes are decrypted here and only here.

use std::time::Duration;

use super::{Outbox, OutboxItem, older_than};
use crate::delivery::email::{self, SendError};
use crate::delivery::printer::{self, PrintError, PrinterSpec};
use crate::delivery::receipt::Receipt;
use crate::delivery::{DeliveryError, Language, SmtpSetting, escpos, pdf};
use crate::orders::{self, OrderError, OrderStatus};

/// A receipt not printed by then is given up: see the [outbox](super)'s documentation.
pub const PRINT_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// What one attempt at a row came to.
pub(super) enum Outcome {
    Sent {
        reply: String,
        message_id: Option<String>,
    },
    Retry(String),
    Failed(String),
    /// Not tried (no mail server configured): stays queued, no attempt counted.
    Waiting(String),
}

impl Outbox {
    /// Renders and sends one row. Decrypts the codes here and only here.
    pub(super) async fn work(
        &self,
        item: &OutboxItem,
        budget: Duration,
    ) -> Result<Outcome, DeliveryError> {
        if item.kind == "print" && older_than(&item.created_at, PRINT_EXPIRY) {
            return Ok(Outcome::Failed(format!(
                "not printed within {} minutes; print it again with `codetill reprint {}` when the buyer is at the counter",
                PRINT_EXPIRY.as_secs() / 60,
                item.order_id
            )));
        }
        let smtp = match (&*item.kind, &self.config.smtp) {
            ("email", SmtpSetting::Ready(c)) => Some(c),
            ("email", SmtpSetting::NotConfigured) => {
                return Ok(Outcome::Waiting(
                    "no mail server configured: set CODETILL_SMTP_URL (smtps://user@host?from=shop@example.com)".into(),
                ));
            }
            ("email", SmtpSetting::Invalid(m)) => return Ok(Outcome::Waiting(m.clone())),
            _ => None,
        };
        let order = orders::find(&self.db, &item.order_row.to_string()).await?;
        let shop = crate::delivery::shop(&self.db).await?;
        let language: Language = item.language.parse().unwrap_or_default();
        let receipt = if item.payload == "claim" {
            // The slip holds no code: it goes whatever the order's state now.
            let limit = crate::orders::claim::terms(&self.db).await?.limit;
            match Receipt::claim_slip(&order, shop, language, limit) {
                Some(r) => r,
                None => {
                    return Ok(Outcome::Failed(format!(
                        "{} is not a claim: no slip",
                        order.public_id
                    )));
                }
            }
        } else {
            match self.code_receipt(item, &order, shop, language).await? {
                Ok(r) => r,
                Err(outcome) => return Ok(outcome),
            }
        };
        let reprint = receipt.reprint.as_ref().map(|(n, _)| *n);
        let font = self.config.font.as_deref();
        if let Some(config) = smtp {
            let content = email::compose(&receipt);
            let attachment = if config.attach_pdf {
                match pdf::render(&receipt, font) {
                    Ok(bytes) => Some((format!("receipt-{}.pdf", order.public_id), bytes)),
                    Err(e) => {
                        tracing::warn!(order = %order.public_id, error = %e, "no PDF receipt attached");
                        None
                    }
                }
            } else {
                None
            };
            let message_id = format!(
                "<{}.{}@{}>",
                order.public_id.to_ascii_lowercase(),
                ulid::Ulid::new().to_string().to_ascii_lowercase(),
                domain_of(&config.from)
            );
            let message = match email::message(
                config,
                &receipt.shop.name,
                &item.destination,
                &content,
                attachment,
                &message_id,
            ) {
                Ok(m) => m,
                Err(e) => return Ok(failure(e)),
            };
            drop(receipt);
            // Leave a moment of the budget to record the answer.
            let timeout = budget
                .saturating_sub(Duration::from_millis(300))
                .max(Duration::from_secs(1));
            return Ok(
                match email::send(config, message, timeout.min(config.timeout)).await {
                    Ok(a) => Outcome::Sent {
                        reply: a.reply,
                        message_id: Some(message_id),
                    },
                    Err(e) => failure(e),
                },
            );
        }
        let spec: PrinterSpec = match item.destination.parse() {
            Ok(s) => s,
            Err(e) => return Ok(Outcome::Failed(e.to_string())),
        };
        let printed = if spec.is_pdf() {
            let name = match (reprint, &receipt.claim) {
                (Some(n), _) => format!("{}-reprint-{n}.pdf", order.public_id),
                (None, Some(c)) => format!("{}-slip-{}.pdf", c.number, item.id),
                (None, None) => format!("{}-receipt-{}.pdf", order.public_id, item.id),
            };
            match pdf::render(&receipt, font) {
                Ok(bytes) => printer::save_pdf(&spec, &name, bytes).await,
                Err(e) => Err(e),
            }
        } else {
            match escpos::render(&receipt, spec.paper(), font) {
                Ok(bytes) => printer::send_escpos(&spec, &bytes).await,
                Err(e) => Err(e),
            }
        };
        Ok(match printed {
            Ok(p) => Outcome::Sent {
                reply: p.detail,
                message_id: None,
            },
            Err(PrintError::Transient(e)) => Outcome::Retry(e),
            Err(PrintError::Permanent(e)) => Outcome::Failed(e),
        })
    }

    /// The receipt with the order's codes, decrypted here; or, when there is
    /// nothing to deliver, the outcome to record.
    async fn code_receipt(
        &self,
        item: &OutboxItem,
        order: &orders::Order,
        shop: crate::delivery::receipt::Shop,
        language: Language,
    ) -> Result<Result<Receipt, Outcome>, DeliveryError> {
        if order.status != OrderStatus::Delivered {
            return Ok(Err(Outcome::Failed(format!(
                "{} is {}: nothing to deliver",
                order.public_id, order.status
            ))));
        }
        let codes = match orders::read_codes(&self.db, &self.vault, order.id).await {
            Ok(c) => c,
            Err(OrderError::Vault(e)) => return Ok(Err(Outcome::Failed(e.to_string()))),
            Err(e) => return Err(e.into()),
        };
        let reprint = item
            .reprint_no
            .filter(|_| item.payload == "reprint")
            .and_then(|n| u32::try_from(n).ok());
        Ok(Ok(Receipt::from_order(
            order, codes, shop, language, reprint,
        )))
    }
}

fn failure(e: SendError) -> Outcome {
    match e {
        SendError::Transient(m) => Outcome::Retry(m),
        SendError::Permanent(m) => Outcome::Failed(m),
    }
}

/// The domain of the sender, for Message-IDs.
fn domain_of(from: &str) -> String {
    from.rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("codetill.local")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_sender_domain() {
        assert_eq!(domain_of("Shop <shop@example.com>"), "example.com");
        assert_eq!(domain_of("shop@example.com"), "example.com");
    }
}
