//! The adapter for Bamboo Card Portal (`shared/contracts/real-suppliers.md`, "Bamboo").
//!
//! - Auth: HTTP Basic `client_id:client_secret` on every call.
//! - Key: Bamboo's `RequestId` must be a GUID, so it is the UUIDv5 of our
//!   `client_order_id` under [`REQUEST_ID_NAMESPACE`]: the same sale always has the
//!   same RequestId, across restarts and tills.
//! - Ordering: `POST orders/checkout` answers only the RequestId; the order and its
//!   cards come from `GET orders/{RequestId}`, polled while it is Created, Processing
//!   or Pending (to [`BambooConfig::poll_budget`], then handed back as pending). A
//!   second checkout with the same RequestId is refused `OrderAlreadyExists`: the
//!   order is then fetched, never taken as failed.
//! - Limits: Bamboo allows one order per 500 ms and 6 orders per product per minute;
//!   the client waits for its turn (see `pace`) instead of being refused; a wait
//!   longer than [`BambooConfig::max_pace_wait`] is answered as retryable after it.
//! - Money: `total` and the catalog's `price` are in the account's currency; face
//!   values in the product's.
//! - `PartialFailed` (some cards of an order failed, and were not charged): the order
//!   counts as completed with the cards that were issued and a `failure` naming the
//!   missing ones, `quantity` and `total` reduced to what was delivered, so a caller
//!   that ordered several refunds the difference. With one card there is nothing
//!   issued and it is a failed order.

mod history;
mod pace;
mod wire;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use super::wholesale::{
    config_error, json_error, parse_base_url, protocol_error, read_body, segment, transport_error,
};
use super::{
    Balance, CatalogPage, CatalogRequest, DuplicateMode, OrderRequest, RejectReason, Stock,
    Supplier, SupplierError, SupplierOrder, SupplierOrderStatus, SupplierTransaction, Window,
};
use crate::http_body;
use crate::money::{Currency, Money};
use crate::secrets::Redacted;

use pace::Pacer;
use wire::{AccountsBody, CatalogBody, OrderBody, ProductRow};

/// The namespace of RequestIds derived from our order keys. Fixed forever: changing
/// it would give every open order a new RequestId and allow a second purchase.
pub const REQUEST_ID_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5c1f_0c2e_8d4b_4e7a_9b16_c0de_7111_b4b0);

/// The RequestId Bamboo knows the order `client_order_id` by.
pub fn request_id(client_order_id: &str) -> String {
    uuid::Uuid::new_v5(&REQUEST_ID_NAMESPACE, client_order_id.as_bytes()).to_string()
}

const CATALOG: &str = "api/integration/v2.0/catalog";
const ACCOUNTS: &str = "api/integration/v1.0/accounts";
const CHECKOUT: &str = "api/integration/v1.0/orders/checkout";
const ORDERS: &str = "api/integration/v1.0/orders";
/// Bamboo's largest catalog page.
const MAX_PAGE: u32 = 100;
/// Bamboo's largest order.
const MAX_CARDS: u32 = 500;

#[derive(Clone, Debug)]
pub struct BambooConfig {
    /// The host's root (`https://api.bamboocardportal.com/`); `api/integration/...`
    /// hangs off it.
    pub base_url: String,
    pub client_id: Redacted<String>,
    pub client_secret: Redacted<String>,
    /// The account orders are charged to (`GET accounts`); its currency is the
    /// currency of every cost.
    pub account_id: i64,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How long `place_order` polls an order still processing before it answers
    /// pending (the caller polls on through `get_order`).
    pub poll_budget: Duration,
    pub poll_interval: Duration,
    /// Bamboo's limits: the least time between two orders, and at most
    /// `per_product_limit` orders of one product per `per_product_window`.
    pub order_gap: Duration,
    pub per_product_limit: usize,
    pub per_product_window: Duration,
    /// The longest wait for a limit taken inside `place_order`; a longer one is
    /// answered as retryable after that time (nothing sent).
    pub max_pace_wait: Duration,
}

impl BambooConfig {
    pub fn new(
        base_url: impl Into<String>,
        client_id: Redacted<String>,
        client_secret: Redacted<String>,
        account_id: i64,
    ) -> Self {
        BambooConfig {
            base_url: base_url.into(),
            client_id,
            client_secret,
            account_id,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            poll_budget: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
            order_gap: Duration::from_millis(500),
            per_product_limit: 6,
            per_product_window: Duration::from_secs(60),
            max_pace_wait: Duration::from_secs(2),
        }
    }

    /// From the headless set-up's key `client_id:client_secret` and account id.
    pub fn from_key(
        base_url: impl Into<String>,
        key: &Redacted<String>,
        account: &str,
    ) -> Result<Self, SupplierError> {
        let (id, secret) = key
            .expose()
            .split_once(':')
            .ok_or_else(|| config_error("the Bamboo key must be client_id:client_secret"))?;
        let account_id = account.trim().parse::<i64>().map_err(|_| {
            config_error(
                "the Bamboo account (CODETILL_SUPPLIER_ACCOUNT) must be its numeric AccountId",
            )
        })?;
        Ok(Self::new(
            base_url,
            Redacted::new(id.to_string()),
            Redacted::new(secret.to_string()),
            account_id,
        ))
    }
}

pub struct BambooClient {
    http: reqwest::Client,
    base: reqwest::Url,
    config: BambooConfig,
    pacer: Pacer,
}

impl BambooClient {
    pub fn new(config: BambooConfig) -> Result<Self, SupplierError> {
        let base = parse_base_url(&config.base_url)?;
        if config.client_id.expose().trim().is_empty()
            || config.client_secret.expose().trim().is_empty()
        {
            return Err(config_error("the Bamboo client id or secret is empty"));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("codetill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(format!("HTTP client: {e}")))?;
        let pacer = Pacer::new(
            config.order_gap,
            config.per_product_limit,
            config.per_product_window,
            config.max_pace_wait,
        );
        Ok(BambooClient {
            http,
            base,
            config,
            pacer,
        })
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, SupplierError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| config_error(format!("supplier URL for {path}: {e}")))?;
        Ok(self.http.request(method, url).basic_auth(
            self.config.client_id.expose(),
            Some(self.config.client_secret.expose()),
        ))
    }

    async fn call<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, SupplierError> {
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        if !response.status().is_success() {
            return Err(error_from_response(response).await);
        }
        let status = response.status();
        let bytes = read_body(response).await?;
        serde_json::from_slice(&bytes).map_err(|e| SupplierError::Ambiguous {
            message: format!("unreadable {status} answer from Bamboo: {}", json_error(&e)),
        })
    }

    /// One product (a catalog row), by its id; `None` if the catalog lacks it.
    async fn product(&self, sku: &str) -> Result<Option<ProductRow>, SupplierError> {
        let id = product_id(sku)?;
        let body: CatalogBody = self
            .call(self.request(Method::GET, CATALOG)?.query(&[
                ("ProductId", id.to_string()),
                ("PageSize", MAX_PAGE.to_string()),
                ("PageIndex", "0".into()),
            ]))
            .await?;
        Ok(body
            .rows()
            .into_iter()
            .filter_map(Result::ok)
            .find(|r| r.id == id))
    }

    /// The value to send for one card and what it will cost, checked against the
    /// caller's ceiling before anything is bought.
    async fn price_check(&self, request: &OrderRequest) -> Result<(i64, Decimal), SupplierError> {
        let row = match self.product(&request.sku).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                return Err(SupplierError::Rejected {
                    reason: RejectReason::NotFound,
                    message: format!("Bamboo has no product {}", request.sku),
                });
            }
            // Nothing was ordered yet: any failure here leaves the order unsent.
            Err(e) => return Err(e.before_sending("reading the product before ordering")),
        };
        let invalid = |message: String| SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message,
        };
        let (value, cost) = match &request.face_value {
            None if row.is_open() => {
                return Err(invalid(format!(
                    "{} is an open-amount product: a face value is required",
                    request.sku
                )));
            }
            None => (row.min_face, row.price_min),
            Some(face) => {
                if face.currency.code() != row.face_currency {
                    return Err(invalid(format!(
                        "{} has face values in {}, not {}",
                        request.sku, row.face_currency, face.currency
                    )));
                }
                if face.amount < row.min_face || face.amount > row.max_face {
                    return Err(invalid(format!(
                        "face value {} is outside {}..{}",
                        face.amount, row.min_face, row.max_face
                    )));
                }
                (face.amount, row.cost_of(face.amount))
            }
        };
        if row.count == Some(0) {
            return Err(SupplierError::Rejected {
                reason: RejectReason::OutOfStock,
                message: format!("{} is out of stock at Bamboo", request.sku),
            });
        }
        let ceiling = &request.max_unit_price;
        if ceiling.currency.code() != row.price_currency {
            return Err(invalid(format!(
                "max_unit_price is in {}, Bamboo charges in {}",
                ceiling.currency, row.price_currency
            )));
        }
        if cost > ceiling.amount {
            return Err(SupplierError::Rejected {
                reason: RejectReason::PriceChanged,
                message: format!(
                    "Bamboo now charges {cost} {} for {}, above {}",
                    row.price_currency, request.sku, ceiling
                ),
            });
        }
        Ok((row.id, value))
    }

    /// `POST orders/checkout`; Bamboo answers the RequestId, as a JSON string (or,
    /// leniently, as plain text).
    async fn checkout(&self, body: &serde_json::Value) -> Result<String, SupplierError> {
        let response = self
            .request(Method::POST, CHECKOUT)?
            .json(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        if !response.status().is_success() {
            return Err(error_from_response(response).await);
        }
        let bytes = read_body(response).await?;
        Ok(
            serde_json::from_slice::<String>(&bytes).unwrap_or_else(|_| {
                String::from_utf8_lossy(&bytes)
                    .trim()
                    .trim_matches('"')
                    .to_string()
            }),
        )
    }

    async fn fetch(&self, client_order_id: &str) -> Result<Option<SupplierOrder>, SupplierError> {
        let rid = request_id(client_order_id);
        let path = format!("{ORDERS}/{}", segment(&rid)?);
        match self
            .call::<OrderBody>(self.request(Method::GET, &path)?)
            .await
        {
            Ok(body) => body.into_order(client_order_id, &rid).map(Some),
            Err(SupplierError::Rejected {
                reason: RejectReason::NotFound,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Polls an order Bamboo accepted until it is final or the budget is spent.
    async fn settle(&self, client_order_id: &str) -> Result<SupplierOrder, SupplierError> {
        let started = Instant::now();
        loop {
            let found = self.fetch(client_order_id).await;
            let out_of_time =
                started.elapsed() + self.config.poll_interval > self.config.poll_budget;
            match found {
                Ok(Some(order)) if order.status != SupplierOrderStatus::Pending => {
                    return Ok(order);
                }
                Ok(Some(order)) if out_of_time => return Ok(order),
                // Accepted a moment ago, so it exists even if not yet visible.
                Ok(None) if out_of_time => {
                    return Err(SupplierError::Ambiguous {
                        message: "Bamboo accepted the order but does not show it yet".into(),
                    });
                }
                Err(e) if out_of_time => return Err(e),
                _ => tokio::time::sleep(self.config.poll_interval).await,
            }
        }
    }
}

/// Bamboo's `Value` is a JSON number: an integral face value is sent as an integer,
/// any other through its shortest decimal form (exact for cents).
fn json_number(value: Decimal) -> Result<serde_json::Value, SupplierError> {
    use rust_decimal::prelude::ToPrimitive;
    let value = value.normalize();
    if value.fract().is_zero()
        && let Some(i) = value.to_i64()
    {
        return Ok(i.into());
    }
    value
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(serde_json::Value::Number)
        .ok_or_else(|| SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message: format!("face value {value} cannot be sent"),
        })
}

/// Bamboo product ids are numbers; our sku is that number as text.
fn product_id(sku: &str) -> Result<i64, SupplierError> {
    sku.trim()
        .parse::<i64>()
        .map_err(|_| SupplierError::Rejected {
            reason: RejectReason::NotFound,
            message: format!("{sku:?} is not a Bamboo product id"),
        })
}

/// Bamboo's documented refusals, found as whole words anywhere in an error body (its
/// shape, `message` or `reason`, is not confirmed).
const REASONS: [&str; 13] = [
    "WrongAccount",
    "InsufficientBalance",
    "InvalidProductIds",
    "InvalidProduct",
    "InvalidDenomination",
    "NoProducts",
    "OrderAlreadyExists",
    "ClientCatalogNotExist",
    "OrderNotFound",
    "CardsLimitExceeded",
    "ProductIsOutOfStock",
    "ClientPriceInvalid",
    "UserNotEnabled",
];

fn find_reason(body: &str) -> Option<&'static str> {
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| REASONS.iter().find(|r| **r == word).copied())
}

/// A short human message from an error body: its `message` (or `error`) if it has
/// one. Error bodies carry no codes, but are still cut short.
fn error_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let text = match &v {
        serde_json::Value::String(s) => s.clone(),
        other => ["message", "Message", "error", "title"]
            .iter()
            .find_map(|k| other.get(*k).and_then(|m| m.as_str()).map(str::to_string))?,
    };
    Some(text.chars().take(200).collect())
}

async fn error_from_response(response: Response) -> SupplierError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = http_body::read_error_text(response).await;
    classify(status, retry_after, &body)
}

fn classify(status: StatusCode, retry_after: Option<Duration>, body: &str) -> SupplierError {
    let reason = find_reason(body);
    let message = error_message(body)
        .filter(|m| !m.is_empty())
        .or(reason.map(str::to_string))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let rejected = |reason: RejectReason| SupplierError::Rejected {
        reason,
        message: message.clone(),
    };
    match (status.as_u16(), reason) {
        (401 | 403, _) => config_error(format!("Bamboo refused the credentials: {message}")),
        (429, _) => SupplierError::Retryable {
            retry_after,
            message: format!("Bamboo's rate limit: {message}"),
        },
        (500..=599, _) => SupplierError::Ambiguous {
            message: format!("Bamboo error {}: {message}", status.as_u16()),
        },
        (_, Some("OrderAlreadyExists")) => rejected(RejectReason::IdempotencyConflict),
        (_, Some("OrderNotFound")) => rejected(RejectReason::NotFound),
        (_, Some("InsufficientBalance")) => rejected(RejectReason::InsufficientBalance),
        (_, Some("ProductIsOutOfStock")) => rejected(RejectReason::OutOfStock),
        (_, Some("InvalidProductIds" | "InvalidProduct")) => rejected(RejectReason::NotFound),
        (_, Some("WrongAccount" | "UserNotEnabled" | "ClientCatalogNotExist")) => {
            config_error(format!("Bamboo refused the account: {message}"))
        }
        (400..=499, Some(_)) => rejected(RejectReason::InvalidRequest),
        (404, None) => config_error(format!(
            "the Bamboo URL looks wrong: HTTP 404 without a Bamboo reason ({message})"
        )),
        (400..=499, None) => rejected(RejectReason::InvalidRequest),
        _ => SupplierError::Ambiguous {
            message: format!("unexpected HTTP {status} from Bamboo: {message}"),
        },
    }
}

#[async_trait]
impl Supplier for BambooClient {
    fn duplicate_mode(&self) -> DuplicateMode {
        DuplicateMode::RejectDuplicate
    }

    async fn catalog_page(&self, request: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        let index: u64 = match &request.cursor {
            None => 0,
            Some(c) => c
                .parse()
                .map_err(|_| config_error(format!("not a Bamboo page cursor: {c:?}")))?,
        };
        let size = request.limit.clamp(1, MAX_PAGE);
        let mut query = vec![
            ("PageIndex", index.to_string()),
            ("PageSize", size.to_string()),
        ];
        if let Some(t) = request.updated_since {
            query.push((
                "ModifiedDate",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ));
        }
        let body: CatalogBody = self
            .call(self.request(Method::GET, CATALOG)?.query(&query))
            .await
            .map_err(|e| fixed_path(e, CATALOG))?;
        let next = body.has_more(index, size).then(|| (index + 1).to_string());
        Ok(CatalogPage {
            products: body.products(),
            next_cursor: next,
            // Bamboo counts brands, not products.
            total: None,
        })
    }

    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        let row = self
            .product(sku)
            .await?
            .ok_or_else(|| SupplierError::Rejected {
                reason: RejectReason::NotFound,
                message: format!("Bamboo has no product {sku}"),
            })?;
        let currency = Currency::parse(&row.price_currency)
            .map_err(|e| protocol_error("product price currency", e))?;
        Ok(Stock {
            sku: row.id.to_string(),
            available: row.count != Some(0),
            quantity: row.count,
            wholesale: Money::new(row.price_min, currency),
        })
    }

    async fn balance(&self) -> Result<Balance, SupplierError> {
        let body: AccountsBody = self
            .call(self.request(Method::GET, ACCOUNTS)?)
            .await
            .map_err(|e| fixed_path(e, ACCOUNTS))?;
        let account = body
            .accounts
            .into_iter()
            .find(|a| a.id == self.config.account_id)
            .ok_or_else(|| {
                config_error(format!(
                    "Bamboo account {} is not among this client's accounts",
                    self.config.account_id
                ))
            })?;
        if account.is_active == Some(false) {
            return Err(config_error(format!(
                "Bamboo account {} is not active",
                account.id
            )));
        }
        let currency = Currency::parse(&account.currency)
            .map_err(|e| protocol_error("account currency", e))?;
        Ok(Balance {
            available: Money::new(account.balance.0, currency),
            updated_at: Utc::now(),
        })
    }

    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        if !(1..=MAX_CARDS).contains(&request.quantity) {
            return Err(SupplierError::Rejected {
                reason: RejectReason::InvalidRequest,
                message: format!("Bamboo takes 1 to {MAX_CARDS} cards per order"),
            });
        }
        let (product, value) = self.price_check(request).await?;
        let rid = request_id(&request.client_order_id);
        let body = serde_json::json!({
            "RequestId": rid,
            "AccountId": self.config.account_id,
            "Products": [{
                "ProductId": product,
                "Quantity": request.quantity,
                "Value": json_number(value)?,
            }],
        });
        if let Err(wait) = self.pacer.wait_turn(&request.sku).await {
            return Err(SupplierError::Retryable {
                retry_after: Some(wait),
                message: format!(
                    "Bamboo allows {} orders of {} per {:?}; next in {wait:?}",
                    self.config.per_product_limit, request.sku, self.config.per_product_window
                ),
            });
        }
        let answer = self.checkout(&body).await;
        match answer {
            Ok(echo) if echo.eq_ignore_ascii_case(&rid) => {}
            Ok(_) => {
                return Err(SupplierError::Ambiguous {
                    message: "Bamboo's checkout answered another RequestId".into(),
                });
            }
            // Already placed (by an earlier attempt whose answer was lost): fetch it.
            Err(SupplierError::Rejected {
                reason: RejectReason::IdempotencyConflict,
                ..
            }) => {}
            Err(e) => return Err(e),
        }
        self.settle(&request.client_order_id).await
    }

    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError> {
        self.fetch(client_order_id).await
    }

    fn key_for(&self, client_order_id: &str) -> String {
        request_id(client_order_id)
    }

    async fn transactions(
        &self,
        window: &Window,
    ) -> Result<Vec<SupplierTransaction>, SupplierError> {
        let (start, end) = history::days(&history::widened(window));
        let rows: Vec<history::ReportRow> = self
            .call(
                self.request(Method::GET, history::REPORT)?
                    .query(&[("startDate", start), ("endDate", end)]),
            )
            .await
            .map_err(|e| fixed_path(e, history::REPORT))?;
        history::transactions(rows, window)
    }
}

/// For endpoints that always exist, "not found" means the base URL is wrong.
fn fixed_path(e: SupplierError, path: &str) -> SupplierError {
    match e {
        SupplierError::Rejected {
            reason: RejectReason::NotFound,
            message,
        } => config_error(format!(
            "the Bamboo URL looks wrong: {path} answered not found ({message})"
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests;
