//! Delivery: the code reaches the buyer on a printed receipt or by email.
//!
//! A paid order's code is money, so delivery never depends on a printer or a mail
//! server being up at the moment of the sale. The transaction that marks an order
//! delivered also writes its outbox rows ([`outbox`]): an email when the order has an
//! address, a print job when the buyer asked for a receipt. The outbox is then worked
//! off by `sell` itself (one quick attempt), by `codetill outbox send` and by the app's
//! background worker, with back-off for transient failures, and every attempt is kept
//! in a delivery log with the other side's answer (proof in a dispute).
//!
//! One layout model ([`receipt`]) feeds every output: the plain-text preview
//! ([`text`]), ESC/POS bytes for 80 mm and 58 mm thermal printers ([`escpos`]) and a
//! PDF ([`pdf`]). Text a thermal printer's code page cannot carry (Hindi) is shaped and
//! printed as a raster image ([`raster`]), never as `?`.
//!
//! Codes are decrypted only when a message or a receipt is rendered for sending, and
//! never logged.

pub mod email;
pub mod escpos;
pub mod outbox;
pub mod pdf;
pub mod printer;
pub mod raster;
pub mod receipt;
pub mod text;

use std::str::FromStr;
use std::sync::Arc;

use crate::db::{Db, DbError};
use crate::secrets::{SecretError, SecretStore, names};
use crate::settings;

pub use crate::language::Language;
pub use email::{SmtpConfig, SmtpSecurity};
pub use outbox::{AttemptResult, Due, Outbox, OutboxFilter, OutboxItem, OutboxStatus, SendReport};
pub use printer::{Paper, PrinterSpec};
pub use receipt::{Receipt, Shop};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    BadPrinter(String),
    #[error("mail server setting: {0}")]
    BadSmtp(String),
    #[error(
        "no receipt printer configured: set CODETILL_PRINTER (tcp://host:9100, file:/dev/usb/lp0 or pdf:/folder)"
    )]
    NoPrinter,
    #[error(transparent)]
    Order(#[from] crate::orders::OrderError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("a background task failed: {0}")]
    Task(String),
}

/// A language named as staff type it, read with delivery's error (what the front ends
/// report).
impl FromStr for Language {
    type Err = DeliveryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::from_name(s).ok_or_else(|| {
            DeliveryError::BadInput(format!(
                "language {:?}: use en or hi",
                s.trim().to_ascii_lowercase()
            ))
        })
    }
}

/// The mail server as configured: absent, unusable (with the reason), or ready.
#[derive(Debug, Clone)]
pub enum SmtpSetting {
    NotConfigured,
    Invalid(String),
    Ready(SmtpConfig),
}

/// Where receipts and emails go, as this till is set up: the environment first
/// (`CODETILL_PRINTER`, `CODETILL_SMTP_URL`, `CODETILL_SMTP_PASSWORD`, headless use),
/// then the settings, with the mail password in the keyring.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The printer for receipts, or why the setting is unusable.
    pub printer: Option<Result<PrinterSpec, String>>,
    pub smtp: SmtpSetting,
    /// A font with Devanagari for text the printer's code page cannot carry.
    pub font: Option<Arc<raster::Font>>,
}

impl DeliveryConfig {
    /// Nothing configured: tests and a first run.
    pub fn none() -> DeliveryConfig {
        DeliveryConfig {
            printer: None,
            smtp: SmtpSetting::NotConfigured,
            font: raster::Font::find(None).map(Arc::new),
        }
    }

    pub async fn load(
        db: &Db,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<DeliveryConfig, DeliveryError> {
        let printer = settings::env_or_setting(db, "CODETILL_PRINTER", settings::PRINTER)
            .await?
            .map(|text| text.parse::<PrinterSpec>().map_err(|e| e.to_string()));
        let smtp = match settings::env_or_setting(db, "CODETILL_SMTP_URL", settings::SMTP_URL)
            .await?
        {
            None => SmtpSetting::NotConfigured,
            Some(url) => match SmtpConfig::parse(&url) {
                Err(e) => SmtpSetting::Invalid(e.to_string()),
                Ok(mut config) => {
                    if config.user.is_some() && config.password.is_none() {
                        // Blocking keyring call (D-Bus) off the runtime's threads.
                        let found =
                            tokio::task::spawn_blocking(move || secrets.get(names::SMTP_PASSWORD))
                                .await
                                .map_err(|e| DeliveryError::Task(e.to_string()))?;
                        match found {
                            Ok(p) => config.password = p,
                            Err(e) => {
                                tracing::warn!(error = %e, "no mail password from the keyring")
                            }
                        }
                    }
                    SmtpSetting::Ready(config)
                }
            },
        };
        let font_path =
            settings::env_or_setting(db, "CODETILL_RECEIPT_FONT", settings::RECEIPT_FONT).await?;
        let font = tokio::task::spawn_blocking(move || raster::Font::find(font_path.as_deref()))
            .await
            .map_err(|e| DeliveryError::Task(e.to_string()))?
            .map(Arc::new);
        Ok(DeliveryConfig {
            printer,
            smtp,
            font,
        })
    }

    /// The receipt printer, or why there is none.
    pub fn printer(&self) -> Result<&PrinterSpec, DeliveryError> {
        match &self.printer {
            None => Err(DeliveryError::NoPrinter),
            Some(Ok(p)) => Ok(p),
            Some(Err(message)) => Err(DeliveryError::BadPrinter(message.clone())),
        }
    }
}

/// The shop as its receipts show it (settings `shop.name`, `shop.address`).
pub async fn shop(db: &Db) -> Result<Shop, DbError> {
    let name = settings::value(db, settings::SHOP_NAME)
        .await?
        .unwrap_or_else(|| "codetill".to_string());
    let address = settings::value(db, settings::SHOP_ADDRESS).await?;
    Ok(Shop { name, address })
}
