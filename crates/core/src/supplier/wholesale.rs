//! The adapter for Wholesale API v1 (`shared/contracts/supplier-api.md`).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{
    BadRow, Balance, CatalogPage, CatalogRequest, DuplicateMode, IssuedCode, MAX_HISTORY_PAGES,
    OrderRequest, RejectReason, Stock, Supplier, SupplierError, SupplierOrder, SupplierOrderStatus,
    SupplierTransaction, Window, history_too_long,
};
use crate::http_body::{self, BodyError};
use crate::money::{Currency, Money};
use crate::product::{Category, SupplierProduct};
use crate::secrets::Redacted;

#[derive(Clone, Debug)]
pub struct WholesaleConfig {
    /// Base URL; the contract's paths (`/v1/...`) hang off it.
    pub base_url: String,
    pub api_key: Redacted<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl WholesaleConfig {
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

    pub fn new(base_url: impl Into<String>, api_key: Redacted<String>) -> Self {
        WholesaleConfig {
            base_url: base_url.into(),
            api_key,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

pub struct WholesaleClient {
    http: reqwest::Client,
    base: reqwest::Url,
    api_key: Redacted<String>,
}

/// A supplier base URL: http(s), with a trailing slash so that paths join under it.
pub fn parse_base_url(url: &str) -> Result<reqwest::Url, SupplierError> {
    crate::base_url::parse(url).map_err(|why| config_error(format!("supplier URL {url:?}: {why}")))
}

pub(super) fn config_error(message: impl Into<String>) -> SupplierError {
    SupplierError::Configuration {
        message: message.into(),
    }
}

impl WholesaleClient {
    pub fn new(config: WholesaleConfig) -> Result<Self, SupplierError> {
        let base = parse_base_url(&config.base_url)?;
        if config.api_key.expose().trim().is_empty() {
            return Err(config_error("supplier API key is empty"));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("codetill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(format!("HTTP client: {e}")))?;
        Ok(WholesaleClient {
            http,
            base,
            api_key: config.api_key,
        })
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, SupplierError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| config_error(format!("supplier URL for {path}: {e}")))?;
        Ok(self
            .http
            .request(method, url)
            .bearer_auth(self.api_key.expose()))
    }

    async fn send(&self, request: RequestBuilder) -> Result<Response, SupplierError> {
        request.send().await.map_err(|e| transport_error(&e))
    }

    async fn json<T: DeserializeOwned>(&self, response: Response) -> Result<T, SupplierError> {
        let status = response.status();
        if !status.is_success() {
            return Err(error_from_response(response).await);
        }
        let bytes = read_body(response).await?;
        parse_answer(status, &bytes)
    }
}

/// A successful answer's body read as `T`.
fn parse_answer<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T, SupplierError> {
    serde_json::from_slice(bytes).map_err(|e| SupplierError::Ambiguous {
        message: format!(
            "unreadable {status} answer from the supplier: {}",
            json_error(&e)
        ),
    })
}

/// For endpoints that always exist, "not found" means the base URL is wrong.
fn fixed_path(e: SupplierError, path: &str) -> SupplierError {
    match e {
        SupplierError::Rejected {
            reason: RejectReason::NotFound,
            message,
        } => config_error(format!(
            "the supplier URL looks wrong: {path} answered 404 ({message})"
        )),
        other => other,
    }
}

/// A body within [`http_body::SUPPLIER_LIMIT`]. One beyond it is ambiguous: the
/// supplier did answer, so an order may exist.
pub(super) async fn read_body(response: Response) -> Result<Vec<u8>, SupplierError> {
    http_body::read_capped(response, http_body::SUPPLIER_LIMIT)
        .await
        .map_err(|e| match e {
            BodyError::Transport(e) => transport_error(&e),
            too_large @ BodyError::TooLarge { .. } => SupplierError::Ambiguous {
                message: format!("the supplier's answer was refused: {too_large}"),
            },
        })
}

/// A failure before any answer: was the request sent at all?
pub(super) fn transport_error(e: &reqwest::Error) -> SupplierError {
    // Never include the URL's query or a body: they can carry keys or codes.
    let detail = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string());
    if e.is_connect() {
        // Nothing reached the supplier: safe to send again.
        SupplierError::Retryable {
            retry_after: None,
            message: format!("cannot connect to the supplier: {detail}"),
        }
    } else if e.is_timeout() {
        SupplierError::Ambiguous {
            message: "the supplier did not answer in time".into(),
        }
    } else if e.is_builder() {
        config_error(format!("bad request to the supplier: {detail}"))
    } else {
        SupplierError::Ambiguous {
            message: format!("the connection to the supplier failed: {detail}"),
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    retry_after_s: Option<u64>,
}

async fn error_from_response(response: Response) -> SupplierError {
    let status = response.status();
    let header_retry = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after_seconds);
    let body = http_body::read_capped(response, http_body::ERROR_LIMIT)
        .await
        .unwrap_or_default();
    error_from_body(status, header_retry, &body)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the API).
pub(crate) fn retry_after_seconds(header: &str) -> Option<u64> {
    header.trim().parse::<u64>().ok()
}

/// An error answer's meaning from its status, `Retry-After` and body.
pub(crate) fn error_from_body(
    status: StatusCode,
    header_retry: Option<u64>,
    body: &[u8],
) -> SupplierError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    classify(status, header_retry, parsed.map(|b| b.error))
}

fn classify(
    status: StatusCode,
    header_retry: Option<u64>,
    detail: Option<ErrorDetail>,
) -> SupplierError {
    let message = detail
        .as_ref()
        .map(|d| d.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
    let code = detail.as_ref().map(|d| d.code.as_str());
    match (status.as_u16(), code) {
        (401, _) | (_, Some("unauthorized")) => {
            config_error(format!("the supplier refused the API key: {message}"))
        }
        (429, _) | (_, Some("rate_limited")) => SupplierError::Retryable {
            retry_after: header_retry
                .or(detail.as_ref().and_then(|d| d.retry_after_s))
                .map(Duration::from_secs),
            message: format!("rate limited: {message}"),
        },
        (500..=599, _) => SupplierError::Ambiguous {
            message: format!("supplier error {}: {message}", status.as_u16()),
        },
        (404, None) => config_error(format!(
            "the supplier URL looks wrong: HTTP 404 without a Wholesale API error ({message})"
        )),
        (400..=499, Some(code)) => SupplierError::Rejected {
            reason: RejectReason::from_code(code),
            message,
        },
        (400..=499, None) => SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message,
        },
        _ => SupplierError::Ambiguous {
            message: format!("unexpected HTTP {status} from the supplier: {message}"),
        },
    }
}

#[derive(Deserialize)]
struct CatalogBody<'a> {
    #[serde(borrow)]
    products: Vec<&'a RawValue>,
    next_cursor: Option<String>,
    #[serde(default)]
    total: Option<u64>,
}

/// A product row as sent. Every field is optional here so that one bad row is
/// reported on its own instead of failing the page.
#[derive(Deserialize)]
struct RawProduct {
    sku: Option<String>,
    name: Option<String>,
    brand: Option<String>,
    category: Option<String>,
    region: Option<String>,
    face_value: Option<String>,
    face_currency: Option<String>,
    wholesale_price: Option<String>,
    currency: Option<String>,
    in_stock: Option<bool>,
    redeem_url: Option<String>,
    redeem_instructions: Option<String>,
    updated_at: Option<String>,
}

fn required(field: &'static str, v: Option<String>) -> Result<String, String> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(format!("missing field {field}")),
    }
}

fn parse_money(
    field: &'static str,
    amount: Option<String>,
    currency: &str,
) -> Result<Money, String> {
    let amount = required(field, amount)?;
    let currency = Currency::parse(currency).map_err(|e| format!("{field}: {e}"))?;
    Money::parse(&amount, currency).map_err(|e| format!("{field}: {e}"))
}

fn parse_product(raw: &RawValue) -> Result<SupplierProduct, BadRow> {
    let row: RawProduct = serde_json::from_str(raw.get()).map_err(|e| BadRow {
        sku: serde_json::from_str::<serde_json::Value>(raw.get())
            .ok()
            .and_then(|v| v.get("sku").and_then(|s| s.as_str()).map(str::to_string)),
        reason: format!("unreadable row: {e}"),
    })?;
    let sku = row.sku.clone();
    let bad = |reason: String| BadRow {
        sku: sku.clone(),
        reason,
    };
    let sku = required("sku", row.sku).map_err(bad)?;
    let category: Category = required("category", row.category)
        .map_err(bad)?
        .parse()
        .map_err(|e: crate::product::UnknownCategory| bad(e.to_string()))?;
    let face_currency = required("face_currency", row.face_currency).map_err(bad)?;
    let currency = required("currency", row.currency).map_err(bad)?;
    let wholesale = parse_money("wholesale_price", row.wholesale_price, &currency).map_err(bad)?;
    if wholesale.amount.is_sign_negative() {
        return Err(bad(format!("wholesale_price {wholesale} is negative")));
    }
    let updated_at = required("updated_at", row.updated_at).map_err(bad)?;
    let updated_at = DateTime::parse_from_rfc3339(&updated_at)
        .map_err(|e| bad(format!("updated_at {updated_at:?}: {e}")))?
        .with_timezone(&Utc);
    Ok(SupplierProduct {
        name: required("name", row.name).map_err(bad)?,
        brand: required("brand", row.brand).map_err(bad)?,
        category,
        region: required("region", row.region).map_err(bad)?,
        face_value: parse_money("face_value", row.face_value, &face_currency).map_err(bad)?,
        wholesale,
        in_stock: row
            .in_stock
            .ok_or_else(|| bad("missing field in_stock".into()))?,
        redeem_url: row.redeem_url.filter(|s| !s.is_empty()),
        redeem_instructions: row.redeem_instructions.filter(|s| !s.is_empty()),
        updated_at,
        sku,
        open_amount: None,
    })
}

#[derive(Deserialize)]
struct StockBody {
    sku: String,
    available: bool,
    quantity: Option<u64>,
    wholesale_price: String,
    currency: String,
}

#[derive(Deserialize)]
struct BalanceBody {
    currency: String,
    available: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct OrderBody {
    order_id: String,
    client_order_id: String,
    status: String,
    sku: String,
    quantity: u32,
    unit_price: String,
    total: String,
    currency: String,
    #[serde(default)]
    codes: Vec<CodeBody>,
    #[serde(default)]
    failure: Option<FailureBody>,
    #[serde(default)]
    balance_after: Option<String>,
}

#[derive(Deserialize)]
struct CodeBody {
    code: String,
    pin: Option<String>,
    serial: Option<String>,
    expires_at: Option<String>,
}

#[derive(Deserialize)]
struct FailureBody {
    code: String,
    #[serde(default)]
    message: String,
}

/// What a JSON error says without the value it stopped at: serde quotes that value,
/// and in an order's answer it can be a code, which must never reach an order's
/// events, a log or a terminal in clear. The kind of error and where it is.
pub(super) fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "an unexpected shape",
        serde_json::error::Category::Eof => "JSON cut short",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

pub(super) fn protocol_error(what: &str, detail: impl std::fmt::Display) -> SupplierError {
    SupplierError::Ambiguous {
        message: format!("the supplier sent an unreadable {what}: {detail}"),
    }
}

impl OrderBody {
    fn into_order(self) -> Result<SupplierOrder, SupplierError> {
        let currency =
            Currency::parse(&self.currency).map_err(|e| protocol_error("order currency", e))?;
        let money = |field: &str, s: &str| {
            Money::parse(s, currency).map_err(|e| protocol_error(&format!("order {field}"), e))
        };
        let status = match self.status.as_str() {
            "pending" => SupplierOrderStatus::Pending,
            "completed" => SupplierOrderStatus::Completed,
            "failed" => SupplierOrderStatus::Failed,
            other => return Err(protocol_error("order status", other)),
        };
        let unit_price = money("unit_price", &self.unit_price)?;
        let total = money("total", &self.total)?;
        let balance_after = match &self.balance_after {
            Some(b) => Some(money("balance_after", b)?),
            None => None,
        };
        if status == SupplierOrderStatus::Completed && self.codes.is_empty() {
            return Err(protocol_error("completed order", "it carries no codes"));
        }
        Ok(SupplierOrder {
            order_id: self.order_id,
            client_order_id: self.client_order_id,
            status,
            sku: self.sku,
            quantity: self.quantity,
            unit_price,
            total,
            codes: self
                .codes
                .into_iter()
                .map(|c| IssuedCode {
                    code: Redacted::new(c.code),
                    pin: c.pin.map(Redacted::new),
                    serial: c.serial,
                    expires_at: c.expires_at,
                })
                .collect(),
            failure: self.failure.map(|f| (f.code, f.message)),
            balance_after,
        })
    }
}

/// A page of `GET /v1/orders?since=&until=`: the orders of a window, without codes.
#[derive(Deserialize)]
struct OrdersPage {
    orders: Vec<ListedOrder>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct ListedOrder {
    order_id: String,
    client_order_id: String,
    status: String,
    total: String,
    currency: String,
    created_at: String,
}

impl ListedOrder {
    fn into_transaction(self) -> Result<SupplierTransaction, SupplierError> {
        let currency =
            Currency::parse(&self.currency).map_err(|e| protocol_error("listed order", e))?;
        let status = match self.status.as_str() {
            "pending" => SupplierOrderStatus::Pending,
            "completed" => SupplierOrderStatus::Completed,
            "failed" => SupplierOrderStatus::Failed,
            other => return Err(protocol_error("listed order status", other)),
        };
        // A failed order charged nothing, whatever its total says.
        let charged = match status {
            SupplierOrderStatus::Failed => Money::zero(currency),
            _ => Money::parse(&self.total, currency)
                .map_err(|e| protocol_error("listed order total", e))?,
        };
        Ok(SupplierTransaction {
            key: self.client_order_id,
            order_id: self.order_id,
            status,
            charged,
            at: DateTime::parse_from_rfc3339(&self.created_at)
                .map_err(|e| protocol_error("listed order time", e))?
                .with_timezone(&Utc),
        })
    }
}

/// Orders listed per page.
const ORDERS_PAGE: u32 = 500;

/// A catalog page's body: the page, each row parsed on its own.
pub(crate) fn catalog_page_from(bytes: &[u8]) -> Result<CatalogPage, SupplierError> {
    let body: CatalogBody<'_> = serde_json::from_slice(bytes)
        .map_err(|e| protocol_error("catalog page", json_error(&e)))?;
    Ok(CatalogPage {
        products: body.products.into_iter().map(parse_product).collect(),
        next_cursor: body.next_cursor.filter(|c| !c.is_empty()),
        total: body.total,
    })
}

/// A successful answer to placing or looking up an order.
pub(crate) fn order_from(status: StatusCode, bytes: &[u8]) -> Result<SupplierOrder, SupplierError> {
    parse_answer::<OrderBody>(status, bytes)?.into_order()
}

/// Path segments are escaped: a sku or key can never reach another endpoint.
/// Dot segments are refused outright (URLs resolve them even when escaped).
pub(super) fn segment(s: &str) -> Result<String, SupplierError> {
    if s.is_empty() || s == "." || s == ".." {
        return Err(SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message: format!("{s:?} is not a valid identifier"),
        });
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

#[async_trait]
impl Supplier for WholesaleClient {
    fn duplicate_mode(&self) -> DuplicateMode {
        DuplicateMode::Replay
    }

    async fn catalog_page(&self, request: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        let mut query: Vec<(&str, String)> =
            vec![("limit", request.limit.clamp(1, 1000).to_string())];
        if let Some(c) = &request.cursor {
            query.push(("cursor", c.clone()));
        }
        if let Some(t) = request.updated_since {
            query.push((
                "updated_since",
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ));
        }
        let response = self
            .send(self.request(Method::GET, "v1/catalog")?.query(&query))
            .await?;
        if !response.status().is_success() {
            return Err(fixed_path(
                error_from_response(response).await,
                "v1/catalog",
            ));
        }
        let bytes = read_body(response).await?;
        catalog_page_from(&bytes)
    }

    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        let path = format!("v1/stock/{}", segment(sku)?);
        let response = self.send(self.request(Method::GET, &path)?).await?;
        let body: StockBody = self.json(response).await?;
        let currency = Currency::parse(&body.currency).map_err(|e| protocol_error("stock", e))?;
        Ok(Stock {
            sku: body.sku,
            available: body.available,
            quantity: body.quantity,
            wholesale: Money::parse(&body.wholesale_price, currency)
                .map_err(|e| protocol_error("stock price", e))?,
        })
    }

    async fn balance(&self) -> Result<Balance, SupplierError> {
        let response = self.send(self.request(Method::GET, "v1/balance")?).await?;
        let body: BalanceBody = self
            .json(response)
            .await
            .map_err(|e| fixed_path(e, "v1/balance"))?;
        let currency = Currency::parse(&body.currency).map_err(|e| protocol_error("balance", e))?;
        Ok(Balance {
            available: Money::parse(&body.available, currency)
                .map_err(|e| protocol_error("balance", e))?,
            updated_at: DateTime::parse_from_rfc3339(&body.updated_at)
                .map_err(|e| protocol_error("balance time", e))?
                .with_timezone(&Utc),
        })
    }

    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        if let Some(face) = &request.face_value {
            // Nothing is sent: Wholesale API v1 has no open amounts.
            return Err(SupplierError::Rejected {
                reason: RejectReason::InvalidRequest,
                message: format!("Wholesale API v1 sells fixed face values only, not {face}"),
            });
        }
        let body = serde_json::json!({
            "client_order_id": request.client_order_id,
            "sku": request.sku,
            "quantity": request.quantity,
            "max_unit_price": request.max_unit_price.amount_string(),
        });
        let response = self
            .send(
                self.request(Method::POST, "v1/orders")?
                    .header("Idempotency-Key", &request.client_order_id)
                    .json(&body),
            )
            .await?;
        let order: OrderBody = self.json(response).await?;
        order.into_order()
    }

    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError> {
        let path = format!("v1/orders/{}", segment(client_order_id)?);
        let response = self.send(self.request(Method::GET, &path)?).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return match error_from_response(response).await {
                SupplierError::Rejected {
                    reason: RejectReason::NotFound,
                    ..
                } => Ok(None),
                other => Err(other),
            };
        }
        let order: OrderBody = self.json(response).await?;
        order.into_order().map(Some)
    }

    async fn transactions(
        &self,
        window: &Window,
    ) -> Result<Vec<SupplierTransaction>, SupplierError> {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_HISTORY_PAGES {
            let mut query = vec![
                ("since", time(window.from)),
                ("until", time(window.to)),
                ("limit", ORDERS_PAGE.to_string()),
            ];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let response = self
                .send(self.request(Method::GET, "v1/orders")?.query(&query))
                .await?;
            let page: OrdersPage = self
                .json(response)
                .await
                .map_err(|e| fixed_path(e, "v1/orders"))?;
            for row in page.orders {
                found.push(row.into_transaction()?);
            }
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) => cursor = Some(next),
                None => return Ok(found),
            }
        }
        Err(history_too_long("order list"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A code in an unexpected shape (a number, an object, a list) fails the answer
    /// without the code in the error's text.
    #[test]
    fn an_unreadable_order_answer_never_quotes_its_code() {
        for (body, serde_quotes_it) in [
            (r#"{"codes": [{"code": 734561239876}]}"#, true),
            (r#"{"codes": "SECRET-CODE-734561"}"#, true),
            (
                r#"{"codes": [{"code": {"value": "SECRET-CODE-734561"}}]}"#,
                false,
            ),
            (
                r#"{"codes": [{"code": "SECRET-CODE-734561", "pin": 734561}]}"#,
                true,
            ),
        ] {
            let Err(e) = serde_json::from_str::<OrderBody>(body) else {
                panic!("{body} parsed");
            };
            assert_eq!(e.to_string().contains("734561"), serde_quotes_it, "{e}");
            let said = json_error(&e);
            assert!(!said.contains("734561"), "{said}");
            assert!(said.contains("line 1"), "{said}");
        }
    }

    fn detail(code: &str) -> Option<ErrorDetail> {
        Some(ErrorDetail {
            code: code.into(),
            message: "m".into(),
            retry_after_s: None,
        })
    }

    #[test]
    fn every_contract_error_code_is_classified() {
        use SupplierError::*;
        let c = |s: u16, code: &str| classify(StatusCode::from_u16(s).unwrap(), None, detail(code));
        assert!(matches!(c(401, "unauthorized"), Configuration { .. }));
        assert!(matches!(
            c(404, "not_found"),
            Rejected {
                reason: RejectReason::NotFound,
                ..
            }
        ));
        assert!(matches!(
            c(400, "invalid_request"),
            Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }
        ));
        assert!(matches!(
            c(402, "insufficient_balance"),
            Rejected {
                reason: RejectReason::InsufficientBalance,
                ..
            }
        ));
        assert!(matches!(
            c(409, "out_of_stock"),
            Rejected {
                reason: RejectReason::OutOfStock,
                ..
            }
        ));
        assert!(matches!(
            c(409, "price_changed"),
            Rejected {
                reason: RejectReason::PriceChanged,
                ..
            }
        ));
        assert!(matches!(
            c(409, "idempotency_conflict"),
            Rejected {
                reason: RejectReason::IdempotencyConflict,
                ..
            }
        ));
        assert!(matches!(c(503, "unavailable"), Ambiguous { .. }));
        assert!(matches!(c(500, "internal"), Ambiguous { .. }));
        let limited = classify(
            StatusCode::TOO_MANY_REQUESTS,
            Some(3),
            detail("rate_limited"),
        );
        assert_eq!(
            limited,
            Retryable {
                retry_after: Some(Duration::from_secs(3)),
                message: "rate limited: m".into()
            }
        );
        // A 404 with no API error body means the URL points somewhere else.
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, None, None),
            Configuration { .. }
        ));
    }

    #[test]
    fn bad_rows_are_reported_one_by_one() {
        let good = r#"{"sku":"A-1","name":"A","brand":"B","category":"gift_card","region":"US","face_value":"10.00","face_currency":"USD","wholesale_price":"9.10","currency":"USD","in_stock":true,"updated_at":"2026-11-30T10:00:00Z"}"#;
        let raw: &RawValue = serde_json::from_str(good).unwrap();
        assert_eq!(parse_product(raw).unwrap().sku, "A-1");
        let cases = [
            (good.replace(r#""name":"A","#, ""), "missing field name"),
            (good.replace(r#""9.10""#, r#""9,10""#), "wholesale_price"),
            (good.replace(r#""9.10""#, "9.1"), "unreadable row"),
            (good.replace("gift_card", "toaster"), "unknown category"),
            (
                good.replace(r#""currency":"USD""#, r#""currency":"ZZZ""#),
                "unknown currency",
            ),
            (
                good.replace("2026-11-30T10:00:00Z", "yesterday"),
                "updated_at",
            ),
            ("42".to_string(), "unreadable row"),
        ];
        for (text, want) in cases {
            let raw: Box<RawValue> = serde_json::from_str(&text).unwrap();
            let err = parse_product(&raw).unwrap_err();
            assert!(
                err.reason.contains(want),
                "{text}: {} lacks {want}",
                err.reason
            );
        }
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(segment("STEAM-US-20").unwrap(), "STEAM-US-20");
        assert_eq!(segment("../balance?x=1").unwrap(), "..%2Fbalance%3Fx%3D1");
        assert!(segment("..").is_err());
        assert!(segment("").is_err());
    }
}
