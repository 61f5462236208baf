//! Payment providers for remote sales: a payment link for a quoted order, and the
//! provider's own word on whether it was paid (re-read before any code is bought,
//! whatever a webhook said). Stripe ([`stripe`]), BTCPay Server ([`btcpay`]),
//! NOWPayments ([`nowpayments`]) and Razorpay ([`razorpay`]) over their HTTP APIs,
//! behind [`PaymentProvider`].

pub mod btcpay;
pub mod nowpayments;
pub mod razorpay;
pub mod stripe;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{Db, DbError};
use crate::http_body::{self, BodyError};
use crate::money::{Money, parse_decimal};
use crate::secrets::{Redacted, SecretError, SecretStore, names};
use crate::settings;

pub use btcpay::BtcpayClient;
pub use nowpayments::NowpaymentsClient;
pub use razorpay::RazorpayClient;
pub use stripe::StripeClient;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Stripe,
    Btcpay,
    Nowpayments,
    Razorpay,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Stripe,
        ProviderKind::Btcpay,
        ProviderKind::Nowpayments,
        ProviderKind::Razorpay,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ProviderKind::Stripe => "stripe",
            ProviderKind::Btcpay => "btcpay",
            ProviderKind::Nowpayments => "nowpayments",
            ProviderKind::Razorpay => "razorpay",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = PaymentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| {
                PaymentError::BadInput(format!(
                    "unknown payment provider {wanted:?} (expected stripe, btcpay, nowpayments or razorpay)"
                ))
            })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("{0}")]
    BadInput(String),
    #[error("{provider} is not configured: {message}")]
    NotConfigured {
        provider: ProviderKind,
        message: String,
    },
    /// Not reached, timed out, or a 5xx: nothing is known to have happened.
    #[error("{provider} could not be reached: {message}")]
    Unavailable {
        provider: ProviderKind,
        message: String,
    },
    #[error("{provider} refused ({status}): {message}")]
    Rejected {
        provider: ProviderKind,
        status: u16,
        message: String,
    },
    #[error("{provider} answered something unreadable: {message}")]
    Unreadable {
        provider: ProviderKind,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// What a payment link is for.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// Our public order id (ORD-000123): the provider hands it back with the payment.
    pub order_id: String,
    /// Unique for good (the order's client_order_id): a request sent twice makes
    /// one link.
    pub idempotency_key: String,
    pub amount: Money,
    pub description: String,
    pub email: String,
}

/// A payment link: the provider's id for it and the page the buyer pays on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentLink {
    pub external_id: String,
    pub url: String,
}

/// A payment as the provider's API reports it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The payment link it belongs to, as the provider says (checkout session,
    /// invoice, payment link id): it must be the order's own link.
    pub external_id: String,
    /// Final: the money is the shop's (Stripe `paid`, BTCPay `Settled` in full,
    /// NOWPayments `finished`, Razorpay `paid` in full).
    pub paid: bool,
    /// The provider's own word for the state, for the record.
    pub status: String,
    /// The price asked, in the order's currency.
    pub amount: Option<Money>,
    /// What was actually received, in the price's currency, where the provider
    /// says so apart from the price (BTCPay's payments at their rates, Razorpay's
    /// `amount_paid`); `None` where a final status means the whole price.
    pub received: Option<Money>,
    /// The order the provider says it is for (our public id).
    pub order_ref: Option<String>,
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    async fn create_link(&self, request: &LinkRequest) -> Result<PaymentLink, PaymentError>;
    /// The payment as the provider's API says now, asked by the link's id (Stripe,
    /// BTCPay, Razorpay) or by the payment's own id where the API reads payments so
    /// (NOWPayments): the answer names the link either way.
    async fn payment(&self, external_id: &str) -> Result<ProviderPayment, PaymentError>;
}

/// Settings (the environment wins) for the providers' addresses; keys are secrets.
pub const STRIPE_API_URL: &str = "stripe.api_url";
pub const STRIPE_SUCCESS_URL: &str = "stripe.success_url";
pub const BTCPAY_URL: &str = "btcpay.url";
pub const BTCPAY_STORE: &str = "btcpay.store_id";
pub const NOWPAYMENTS_API_URL: &str = "nowpayments.api_url";
/// Where NOWPayments sends its IPNs for our invoices (the relay's endpoint); empty:
/// the one set in the NOWPayments dashboard.
pub const NOWPAYMENTS_IPN_URL: &str = "nowpayments.ipn_url";
pub const RAZORPAY_API_URL: &str = "razorpay.api_url";
/// The public half of a Razorpay key pair; the secret half is in the keyring.
pub const RAZORPAY_KEY_ID: &str = "razorpay.key_id";

const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn http_client(provider: ProviderKind) -> Result<reqwest::Client, PaymentError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("codetill/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PaymentError::NotConfigured {
            provider,
            message: format!("HTTP client: {e}"),
        })
}

/// A provider address as its client reads it: http(s) with a host, ending in `/`
/// (the settings screen checks addresses with it before saving them).
pub fn base_url(provider: ProviderKind, url: &str) -> Result<reqwest::Url, PaymentError> {
    crate::base_url::parse(url).map_err(|why| PaymentError::NotConfigured {
        provider,
        message: format!("URL {url:?}: {why}"),
    })
}

pub(crate) fn transport(provider: ProviderKind, e: &reqwest::Error) -> PaymentError {
    PaymentError::Unavailable {
        provider,
        message: e.to_string(),
    }
}

/// `path` under a provider's API address.
pub(crate) fn endpoint(
    provider: ProviderKind,
    base: &reqwest::Url,
    path: &str,
) -> Result<reqwest::Url, PaymentError> {
    base.join(path).map_err(|e| PaymentError::NotConfigured {
        provider,
        message: format!("URL for {path}: {e}"),
    })
}

/// A provider's answer read as `what`: a refusal when it is not a 2xx, unreadable
/// when it does not parse, the body read to its cap.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    provider: ProviderKind,
    response: reqwest::Response,
    what: &str,
) -> Result<T, PaymentError> {
    if !response.status().is_success() {
        return Err(refusal(provider, response).await);
    }
    let bytes = read_body(provider, response).await?;
    serde_json::from_slice(&bytes).map_err(|e| PaymentError::Unreadable {
        provider,
        message: format!("{what}: {e}"),
    })
}

/// A body within [`http_body::PAYMENT_LIMIT`].
pub(crate) async fn read_body(
    provider: ProviderKind,
    response: reqwest::Response,
) -> Result<Vec<u8>, PaymentError> {
    http_body::read_capped(response, http_body::PAYMENT_LIMIT)
        .await
        .map_err(|e| match e {
            BodyError::Transport(e) => transport(provider, &e),
            too_large @ BodyError::TooLarge { .. } => PaymentError::Unreadable {
                provider,
                message: too_large.to_string(),
            },
        })
}

/// A non-2xx answer: 5xx and 429 are "try later", anything else a refusal.
pub(crate) async fn refusal(provider: ProviderKind, response: reqwest::Response) -> PaymentError {
    let status = response.status();
    let body = http_body::read_error_text(response).await;
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.pointer("/error/description"))
                .or_else(|| v.get("message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    if status.is_server_error() || status.as_u16() == 429 {
        PaymentError::Unavailable {
            provider,
            message: format!("{status}: {message}"),
        }
    } else {
        PaymentError::Rejected {
            provider,
            status: status.as_u16(),
            message,
        }
    }
}

async fn secret(
    secrets: Arc<dyn SecretStore>,
    name: &'static str,
) -> Result<Option<Redacted<String>>, PaymentError> {
    tokio::task::spawn_blocking(move || secrets.get(name))
        .await
        .map_err(|e| SecretError::Keyring(format!("a background task failed: {e}")))?
        .map_err(PaymentError::from)
}

/// The configured provider of `kind`: its address from the environment or the
/// settings, its key from the secret store.
pub async fn provider(
    db: &Db,
    secrets: Arc<dyn SecretStore>,
    kind: ProviderKind,
) -> Result<Arc<dyn PaymentProvider>, PaymentError> {
    match kind {
        ProviderKind::Stripe => {
            let url = settings::env_or_setting(db, "CODETILL_STRIPE_API_URL", STRIPE_API_URL)
                .await?
                .unwrap_or_else(|| stripe::DEFAULT_API_URL.to_string());
            let key = secret(secrets, names::STRIPE_KEY).await?.ok_or_else(|| {
                PaymentError::NotConfigured {
                    provider: kind,
                    message: "no API key: set CODETILL_STRIPE_KEY or put it in the keyring".into(),
                }
            })?;
            let success_url = settings::value(db, STRIPE_SUCCESS_URL).await?;
            Ok(Arc::new(StripeClient::new(&url, key, success_url)?))
        }
        ProviderKind::Btcpay => {
            let not = |message: &str| PaymentError::NotConfigured {
                provider: kind,
                message: message.to_string(),
            };
            let url = settings::env_or_setting(db, "CODETILL_BTCPAY_URL", BTCPAY_URL)
                .await?
                .ok_or_else(|| not("no server URL: set CODETILL_BTCPAY_URL"))?;
            let store = settings::env_or_setting(db, "CODETILL_BTCPAY_STORE", BTCPAY_STORE)
                .await?
                .ok_or_else(|| not("no store id: set CODETILL_BTCPAY_STORE"))?;
            let key = secret(secrets, names::BTCPAY_KEY).await?.ok_or_else(|| {
                not("no API key: set CODETILL_BTCPAY_KEY or put it in the keyring")
            })?;
            Ok(Arc::new(BtcpayClient::new(&url, &store, key)?))
        }
        ProviderKind::Nowpayments => {
            let url =
                settings::env_or_setting(db, "CODETILL_NOWPAYMENTS_API_URL", NOWPAYMENTS_API_URL)
                    .await?
                    .unwrap_or_else(|| nowpayments::DEFAULT_API_URL.to_string());
            let key = secret(secrets, names::NOWPAYMENTS_KEY)
                .await?
                .ok_or_else(|| PaymentError::NotConfigured {
                    provider: kind,
                    message: "no API key: set CODETILL_NOWPAYMENTS_KEY or put it in the keyring"
                        .into(),
                })?;
            let ipn_url =
                settings::env_or_setting(db, "CODETILL_NOWPAYMENTS_IPN_URL", NOWPAYMENTS_IPN_URL)
                    .await?;
            Ok(Arc::new(NowpaymentsClient::new(&url, key, ipn_url)?))
        }
        ProviderKind::Razorpay => {
            let not = |message: &str| PaymentError::NotConfigured {
                provider: kind,
                message: message.to_string(),
            };
            let url = settings::env_or_setting(db, "CODETILL_RAZORPAY_API_URL", RAZORPAY_API_URL)
                .await?
                .unwrap_or_else(|| razorpay::DEFAULT_API_URL.to_string());
            let key_id = settings::env_or_setting(db, "CODETILL_RAZORPAY_KEY_ID", RAZORPAY_KEY_ID)
                .await?
                .ok_or_else(|| not("no key id: set CODETILL_RAZORPAY_KEY_ID"))?;
            let secret = secret(secrets, names::RAZORPAY_KEY_SECRET)
                .await?
                .ok_or_else(|| {
                    not("no key secret: set CODETILL_RAZORPAY_KEY_SECRET or put it in the keyring")
                })?;
            Ok(Arc::new(RazorpayClient::new(&url, &key_id, secret)?))
        }
    }
}

/// A decimal amount as a provider's JSON writes it: a string, or a number read back
/// as the shortest text that is that number (never through arithmetic on a float).
pub(crate) fn json_decimal(value: Option<&serde_json::Value>) -> Option<Decimal> {
    match value? {
        serde_json::Value::String(s) => parse_decimal(s).ok(),
        serde_json::Value::Number(n) => parse_decimal(&n.to_string()).ok(),
        _ => None,
    }
}

/// An id a provider writes as a string or as a number.
pub(crate) fn json_id(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The providers a till can act for, by kind (looked up when first needed).
#[derive(Clone, Default)]
pub struct Providers {
    fixed: std::collections::HashMap<ProviderKind, Arc<dyn PaymentProvider>>,
    config: Option<(Db, Arc<dyn SecretStore>)>,
}

impl Providers {
    /// Providers configured in `db` and `secrets`.
    pub fn configured(db: &Db, secrets: Arc<dyn SecretStore>) -> Providers {
        Providers {
            fixed: Default::default(),
            config: Some((db.clone(), secrets)),
        }
    }

    /// Exactly these (tests, benchmarks).
    pub fn fixed(list: Vec<Arc<dyn PaymentProvider>>) -> Providers {
        Providers {
            fixed: list.into_iter().map(|p| (p.kind(), p)).collect(),
            config: None,
        }
    }

    pub async fn get(&self, kind: ProviderKind) -> Result<Arc<dyn PaymentProvider>, PaymentError> {
        if let Some(p) = self.fixed.get(&kind) {
            return Ok(p.clone());
        }
        match &self.config {
            Some((db, secrets)) => provider(db, secrets.clone(), kind).await,
            None => Err(PaymentError::NotConfigured {
                provider: kind,
                message: "not set up on this till".into(),
            }),
        }
    }
}
