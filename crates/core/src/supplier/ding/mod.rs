//! The adapter for Ding Connect (`shared/contracts/real-suppliers.md`, "Ding").
//!
//! - Auth: header `api_key`. Methods under `api/V1/`.
//! - Key: `DistributorRef` = our `client_order_id`. Whether Ding refuses a second
//!   transfer with the same DistributorRef is not confirmed, so this adapter declares
//!   [`DuplicateMode::LookupOnly`]: the order engine looks a key up before it ever
//!   sends it again, and a refusal this adapter does not know is checked with a
//!   look-up before it is believed.
//! - What codetill sells through Ding: PIN products (`RedemptionMechanism`
//!   `ReadReceipt`), whose PIN comes back in `ReceiptParams` (`pin`, or a key like
//!   it); the `ReceiptText` stands in when no such key is there. Direct top-ups
//!   credit the `AccountNumber` itself and would need the customer's number at the
//!   counter, which a sale does not carry: they are left out of the catalog.
//! - `AccountNumber`: Ding wants one for PIN products too. Codetill sends the shop's
//!   own phone number, from [`DingConfig::account_number`] (headless set-up:
//!   `CODETILL_SUPPLIER_ACCOUNT`).
//! - Products: `Minimum == Maximum` is a fixed sku (face = the `ReceiveValue` in the
//!   receive currency); otherwise an open-amount sku whose face is the `SendValue`
//!   (bounds in `SendCurrencyIso`, the account's currency). Cost = `SendValue +
//!   DistributorFee`.
//! - Outcomes: `Submitted`/`Processing` are polled through `ListTransferRecords` to a
//!   budget; `ProviderTimedOut`/`TransientProviderError` is a refusal with nothing
//!   charged (Ding says so), `RateLimited` is retryable, `InsufficientBalance`,
//!   `ProductUnavailable` (out of stock) and `AccountNumberInvalid` are refusals.

mod wire;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use super::wholesale::{
    config_error, json_error, parse_base_url, protocol_error, read_body, transport_error,
};
use super::{
    Balance, CatalogPage, CatalogRequest, DuplicateMode, MAX_HISTORY_PAGES, OrderRequest,
    RejectReason, Stock, Supplier, SupplierError, SupplierOrder, SupplierOrderStatus,
    SupplierTransaction, Window, history_too_long,
};
use crate::http_body;
use crate::money::{Currency, Money};
use crate::secrets::Redacted;

use wire::{
    BalanceBody, DingError, Envelope, ListBody, ProductRow, ProductsBody, TransferBody,
    TransferRecord,
};

const BALANCE: &str = "api/V1/GetBalance";
const PRODUCTS: &str = "api/V1/GetProducts";
const SEND: &str = "api/V1/SendTransfer";
const LIST: &str = "api/V1/ListTransferRecords";

#[derive(Clone, Debug)]
pub struct DingConfig {
    /// The host's root (`https://api.dingconnect.com/`); `api/V1/...` hangs off it.
    pub base_url: String,
    pub api_key: Redacted<String>,
    /// The number PIN products are sent to: the shop's own phone number.
    pub account_number: String,
    pub connect_timeout: Duration,
    /// Above Ding's own 90 s for a transfer, so that its `ProviderTimedOut` arrives
    /// before ours.
    pub request_timeout: Duration,
    pub poll_budget: Duration,
    pub poll_interval: Duration,
}

impl DingConfig {
    pub fn new(
        base_url: impl Into<String>,
        api_key: Redacted<String>,
        account_number: impl Into<String>,
    ) -> Self {
        DingConfig {
            base_url: base_url.into(),
            api_key,
            account_number: account_number.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(100),
            poll_budget: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
        }
    }
}

pub struct DingClient {
    http: reqwest::Client,
    base: reqwest::Url,
    config: DingConfig,
}

/// Records per page when the whole history is read (ListTransferRecords has no date
/// filter; Ding keeps two months).
const HISTORY_TAKE: u32 = 100;

/// The most records one look-up asks for (the same DistributorRef twice would be a
/// duplicate; more than a few is not expected).
const LOOKUP_TAKE: u32 = 10;

impl DingClient {
    pub fn new(config: DingConfig) -> Result<Self, SupplierError> {
        let base = parse_base_url(&config.base_url)?;
        if config.api_key.expose().trim().is_empty() {
            return Err(config_error("the Ding API key is empty"));
        }
        if config.account_number.trim().is_empty() {
            return Err(config_error(
                "Ding needs an AccountNumber for PIN products: the shop's phone number \
                 (CODETILL_SUPPLIER_ACCOUNT)",
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("codetill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(format!("HTTP client: {e}")))?;
        Ok(DingClient { http, base, config })
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, SupplierError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| config_error(format!("supplier URL for {path}: {e}")))?;
        Ok(self
            .http
            .request(method, url)
            .header("api_key", self.config.api_key.expose()))
    }

    /// Sends and reads an answer; Ding's `ErrorCodes` (with any status) become typed
    /// errors.
    async fn call<T: DeserializeOwned + Envelope>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, SupplierError> {
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(error_from_response(response).await);
        }
        let bytes = read_body(response).await?;
        let body: T = serde_json::from_slice(&bytes).map_err(|e| SupplierError::Ambiguous {
            message: format!("unreadable {status} answer from Ding: {}", json_error(&e)),
        })?;
        match body.errors() {
            [] => Ok(body),
            errors => Err(classify(status, None, errors)),
        }
    }

    async fn product(&self, sku: &str) -> Result<Option<ProductRow>, SupplierError> {
        let body: ProductsBody = self
            .call(
                self.request(Method::GET, PRODUCTS)?
                    .query(&[("skuCodes", sku)]),
            )
            .await?;
        Ok(body
            .rows()
            .into_iter()
            .filter_map(Result::ok)
            .find(|p| p.sku == sku))
    }

    /// The SendValue for this order and its cost, checked against the ceiling.
    async fn price_check(
        &self,
        request: &OrderRequest,
    ) -> Result<(Decimal, String), SupplierError> {
        let row = match self.product(&request.sku).await {
            Ok(Some(row)) => row,
            // Ding lists what it can sell now.
            Ok(None) => {
                return Err(SupplierError::Rejected {
                    reason: RejectReason::OutOfStock,
                    message: format!("Ding does not offer {} now", request.sku),
                });
            }
            Err(e) => return Err(e.before_sending("reading the product before ordering")),
        };
        let invalid = |message: String| SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message,
        };
        let send = match &request.face_value {
            None if row.is_open() => {
                return Err(invalid(format!(
                    "{} is an open-amount product: a face value is required",
                    request.sku
                )));
            }
            None => row.min.send_value,
            Some(face) => {
                if face.currency.code() != row.min.send_currency {
                    return Err(invalid(format!(
                        "{} is bought in {}, not {}",
                        request.sku, row.min.send_currency, face.currency
                    )));
                }
                if face.amount < row.min.send_value || face.amount > row.max.send_value {
                    return Err(invalid(format!(
                        "amount {} is outside {}..{}",
                        face.amount, row.min.send_value, row.max.send_value
                    )));
                }
                face.amount
            }
        };
        let cost = row.cost_of(send);
        let ceiling = &request.max_unit_price;
        if ceiling.currency.code() != row.min.send_currency {
            return Err(invalid(format!(
                "max_unit_price is in {}, Ding charges in {}",
                ceiling.currency, row.min.send_currency
            )));
        }
        if cost > ceiling.amount {
            return Err(SupplierError::Rejected {
                reason: RejectReason::PriceChanged,
                message: format!(
                    "Ding now charges {cost} {} for {}, above {}",
                    row.min.send_currency, request.sku, ceiling
                ),
            });
        }
        Ok((send, row.min.send_currency))
    }

    /// Every transfer Ding holds under `client_order_id`.
    async fn records(&self, client_order_id: &str) -> Result<Vec<TransferRecord>, SupplierError> {
        let body: ListBody = self
            .call(self.request(Method::POST, LIST)?.json(&serde_json::json!({
                "DistributorRef": client_order_id,
                "Skip": 0,
                "Take": LOOKUP_TAKE,
            })))
            .await?;
        Ok(body
            .into_records()
            .into_iter()
            .filter(|r| r.distributor_ref() == Some(client_order_id))
            .collect())
    }

    async fn lookup(&self, client_order_id: &str) -> Result<Option<SupplierOrder>, SupplierError> {
        let records = self.records(client_order_id).await?;
        let completed = records
            .iter()
            .filter(|r| r.state() == wire::State::Complete)
            .count();
        if completed > 1 {
            tracing::error!(
                count = completed,
                "Ding holds more than one completed transfer under one DistributorRef"
            );
        }
        // The most advanced one speaks for the order: a completed transfer is the one
        // bought; failed ones charged nothing.
        match records.into_iter().max_by_key(|r| r.state().rank()) {
            Some(record) => record.into_order(client_order_id).map(Some),
            None => Ok(None),
        }
    }

    async fn settle(
        &self,
        client_order_id: &str,
        first: SupplierOrder,
    ) -> Result<SupplierOrder, SupplierError> {
        if first.status != SupplierOrderStatus::Pending {
            return Ok(first);
        }
        let started = Instant::now();
        let mut last = first;
        while started.elapsed() + self.config.poll_interval <= self.config.poll_budget {
            tokio::time::sleep(self.config.poll_interval).await;
            match self.lookup(client_order_id).await {
                Ok(Some(order)) if order.status != SupplierOrderStatus::Pending => {
                    return Ok(order);
                }
                Ok(Some(order)) => last = order,
                // Submitted a moment ago: keep what SendTransfer said.
                Ok(None) | Err(_) => {}
            }
        }
        Ok(last)
    }
}

async fn error_from_response(response: Response) -> SupplierError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = http_body::read_capped(response, http_body::ERROR_LIMIT)
        .await
        .unwrap_or_default();
    let errors = serde_json::from_slice::<wire::ErrorBody>(&body)
        .map(|b| b.error_codes)
        .unwrap_or_default();
    classify(status, retry_after, &errors)
}

/// What Ding's error codes (or, without any, the HTTP status) mean for us.
fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    errors: &[DingError],
) -> SupplierError {
    let has = |code: &str| {
        errors
            .iter()
            .any(|e| e.code == code || e.context.as_deref() == Some(code))
    };
    let message = if errors.is_empty() {
        format!("HTTP {status}")
    } else {
        errors
            .iter()
            .map(|e| match &e.context {
                Some(c) if !c.is_empty() => format!("{} ({c})", e.code),
                _ => e.code.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rejected = |reason: RejectReason| SupplierError::Rejected {
        reason,
        message: message.clone(),
    };
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return config_error(format!("Ding refused the API key: {message}"));
    }
    if has("RateLimited") || status == StatusCode::TOO_MANY_REQUESTS {
        return SupplierError::Retryable {
            retry_after,
            message: format!("Ding's rate limit: {message}"),
        };
    }
    if has("ProviderTimedOut") || has("TransientProviderError") {
        // Ding: such a transfer "will be treated as a failed transaction and the
        // balance will not be deducted".
        return rejected(RejectReason::Other("provider_unavailable".into()));
    }
    if has("InsufficientBalance") {
        return rejected(RejectReason::InsufficientBalance);
    }
    if has("ProductUnavailable") {
        return rejected(RejectReason::OutOfStock);
    }
    if has("AccountNumberInvalid") || has("RechargeNotAllowed") {
        return rejected(RejectReason::InvalidRequest);
    }
    match status.as_u16() {
        500..=599 => SupplierError::Ambiguous {
            message: format!("Ding error {}: {message}", status.as_u16()),
        },
        404 if errors.is_empty() => config_error(format!(
            "the Ding URL looks wrong: HTTP 404 without Ding error codes ({message})"
        )),
        _ if errors.is_empty() && !status.is_client_error() => SupplierError::Ambiguous {
            message: format!("unexpected HTTP {status} from Ding"),
        },
        _ => match errors.first() {
            Some(e) => rejected(RejectReason::Other(e.code.clone())),
            None => rejected(RejectReason::InvalidRequest),
        },
    }
}

/// Is this refusal one of Ding's documented ones, each of which charged nothing?
fn documented_refusal(e: &SupplierError) -> bool {
    matches!(
        e,
        SupplierError::Rejected {
            reason: RejectReason::InsufficientBalance
                | RejectReason::OutOfStock
                | RejectReason::InvalidRequest,
            ..
        }
    ) || matches!(e, SupplierError::Rejected { reason: RejectReason::Other(c), .. } if c == "provider_unavailable")
}

fn says_duplicate(e: &SupplierError) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    text.contains("duplicate") || text.contains("distributorref")
}

#[async_trait]
impl Supplier for DingClient {
    fn duplicate_mode(&self) -> DuplicateMode {
        DuplicateMode::LookupOnly
    }

    async fn catalog_page(&self, _request: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        // GetProducts answers the whole list at once: one page, no cursor, and no
        // incremental walk (every sync sees every product).
        let body: ProductsBody = self
            .call(self.request(Method::GET, PRODUCTS)?)
            .await
            .map_err(|e| match e {
                SupplierError::Rejected { message, .. } => {
                    config_error(format!("Ding refused GetProducts: {message}"))
                }
                other => other,
            })?;
        let products = body.products();
        Ok(CatalogPage {
            total: Some(products.len() as u64),
            products,
            next_cursor: None,
        })
    }

    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        // Ding lists what it can sell now: a product it does not list is unavailable
        // (the catalog walk decides whether it is gone for good).
        let Some(row) = self.product(sku).await?.filter(|r| r.sold_here()) else {
            return Ok(Stock {
                sku: sku.to_string(),
                available: false,
                quantity: Some(0),
                wholesale: Money::zero(Currency::USD),
            });
        };
        let currency = Currency::parse(&row.min.send_currency)
            .map_err(|e| protocol_error("product currency", e))?;
        Ok(Stock {
            sku: row.sku.clone(),
            // Listed: it can be sold; Ding gives no count.
            available: true,
            quantity: None,
            wholesale: Money::new(row.cost_of(row.min.send_value), currency),
        })
    }

    async fn balance(&self) -> Result<Balance, SupplierError> {
        let body: BalanceBody = self.call(self.request(Method::GET, BALANCE)?).await?;
        let currency =
            Currency::parse(&body.currency_iso).map_err(|e| protocol_error("balance", e))?;
        Ok(Balance {
            available: Money::new(body.balance.0, currency),
            updated_at: Utc::now(),
        })
    }

    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        if request.quantity != 1 {
            return Err(SupplierError::Rejected {
                reason: RejectReason::InvalidRequest,
                message: "a Ding transfer is one PIN: quantity must be 1".into(),
            });
        }
        let (send_value, currency) = self.price_check(request).await?;
        let body = serde_json::json!({
            "SkuCode": request.sku,
            "SendValue": wire::json_number(send_value),
            "SendCurrencyIso": currency,
            "AccountNumber": self.config.account_number,
            "DistributorRef": request.client_order_id,
            "ValidateOnly": false,
        });
        let answer: Result<TransferBody, SupplierError> = self
            .call(self.request(Method::POST, SEND)?.json(&body))
            .await;
        match answer {
            Ok(body) => {
                let first = body.into_order(&request.client_order_id)?;
                self.settle(&request.client_order_id, first).await
            }
            Err(e) if documented_refusal(&e) || !matches!(e, SupplierError::Rejected { .. }) => {
                Err(e)
            }
            // A refusal Ding does not document (a duplicate DistributorRef may be
            // one): if a transfer exists under our key, that is the order.
            Err(e) => match self.lookup(&request.client_order_id).await {
                Ok(Some(found)) => self.settle(&request.client_order_id, found).await,
                // A refusal that speaks of the key says a transfer exists under it,
                // even if the list does not show it yet: never taken as "nothing".
                Ok(None) if says_duplicate(&e) => Err(SupplierError::Ambiguous {
                    message: format!(
                        "Ding refused a repeated DistributorRef ({e}) that it does not list"
                    ),
                }),
                Ok(None) => Err(e),
                Err(_) => Err(SupplierError::Ambiguous {
                    message: format!("Ding refused ({e}) and the look-up failed"),
                }),
            },
        }
    }

    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError> {
        self.lookup(client_order_id).await
    }

    async fn transactions(
        &self,
        window: &Window,
    ) -> Result<Vec<SupplierTransaction>, SupplierError> {
        let now = Utc::now();
        let mut found = Vec::new();
        for page in 0..MAX_HISTORY_PAGES {
            let body: ListBody = self
                .call(self.request(Method::POST, LIST)?.json(&serde_json::json!({
                    "Skip": page * HISTORY_TAKE,
                    "Take": HISTORY_TAKE,
                })))
                .await?;
            let more = body.there_are_more_items;
            let records = body.into_records();
            let full = records.len() == HISTORY_TAKE as usize;
            for record in &records {
                let tx = record.transaction(now)?;
                if window.contains(tx.at) {
                    found.push(tx);
                }
            }
            if !more.unwrap_or(full) {
                found.sort_by_key(|t| t.at);
                return Ok(found);
            }
        }
        Err(history_too_long("transfer records"))
    }
}

#[cfg(test)]
mod tests;
