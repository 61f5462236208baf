//! The adapter for Reloadly: Gift Cards (`reloadly`) and Airtime top-ups with PINs
//! (`reloadly-airtime`), as its public API documents them
//! (`shared/contracts/real-suppliers.md`).
//!
//! `token` keeps the OAuth token, `http` sends requests and types Reloadly's errors,
//! `catalog` maps products onto skus, `keys` holds one order request per key,
//! `giftcards` and `airtime` place and find orders. A repeated `customIdentifier` is
//! refused by Reloadly ([`DuplicateMode::RejectDuplicate`]): the order is then looked
//! up, never taken for failed.

mod airtime;
mod catalog;
mod giftcards;
mod history;
mod http;
mod keys;
mod token;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use self::catalog::{Denomination, Page, map_one, map_row, parse_sku};
use self::http::{Api, classify, read_error, unreadable};
use self::keys::KeyLocks;
use self::token::{Auth, TokenCache};
use super::wholesale::{config_error, parse_base_url, read_body};
use super::{
    Balance, CatalogPage, CatalogRequest, DuplicateMode, OrderRequest, RejectReason, Stock,
    Supplier, SupplierError, SupplierOrder, SupplierTransaction, Window,
};
use crate::money::{Currency, Money};
use crate::product::SupplierProduct;
use crate::secrets::Redacted;

const GIFTCARD_PREFIX: &str = "RLD";
const AIRTIME_PREFIX: &str = "RLA";

#[derive(Clone, Debug)]
pub struct ReloadlyConfig {
    /// The API's base URL (`https://giftcards.reloadly.com`, `https://topups.reloadly.com`
    /// or their `-sandbox` hosts); also the token's audience.
    pub base_url: String,
    /// The token host (`https://auth.reloadly.com`); `/oauth/token` hangs off it.
    pub auth_url: String,
    pub client_id: String,
    pub client_secret: Redacted<String>,
    /// Airtime top-ups instead of gift cards.
    pub airtime: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How long one call waits for a processing order or its codes before answering
    /// `Pending` (the engine then polls, or leaves the order for recovery).
    pub settle_budget: Duration,
    pub poll_interval: Duration,
    /// Look-ups by key search this many days back.
    pub lookup_days: i64,
    /// `senderName`, required on gift card orders.
    pub sender_name: String,
    /// Airtime: the recipient phone sent with PIN top-ups (country ISO, number).
    pub recipient_phone: (String, String),
}

impl ReloadlyConfig {
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

    pub fn new(
        base_url: impl Into<String>,
        auth_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Redacted<String>,
        airtime: bool,
    ) -> Self {
        ReloadlyConfig {
            base_url: base_url.into(),
            auth_url: auth_url.into(),
            client_id: client_id.into(),
            client_secret,
            airtime,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            settle_budget: Duration::from_secs(3),
            poll_interval: Duration::from_millis(250),
            lookup_days: 400,
            sender_name: "codetill".into(),
            recipient_phone: ("US".into(), "0000000000".into()),
        }
    }

    /// From a `client_id:client_secret` key (as `CODETILL_SUPPLIER_KEY` carries it).
    pub fn with_key(
        base_url: impl Into<String>,
        auth_url: impl Into<String>,
        key: &Redacted<String>,
        airtime: bool,
    ) -> Result<Self, SupplierError> {
        let (id, secret) = key
            .expose()
            .split_once(':')
            .filter(|(id, secret)| !id.trim().is_empty() && !secret.trim().is_empty())
            .ok_or_else(|| config_error("a Reloadly key reads client_id:client_secret"))?;
        Ok(Self::new(
            base_url,
            auth_url,
            id.trim(),
            Redacted::new(secret.trim().to_string()),
            airtime,
        ))
    }
}

pub struct ReloadlyClient {
    api: Api,
    keys: KeyLocks,
    /// Open-amount bounds seen in the catalog, to refuse a face value outside them
    /// without a call.
    bounds: Mutex<HashMap<String, (Money, Money)>>,
    config: ReloadlyConfig,
}

impl ReloadlyClient {
    pub fn new(config: ReloadlyConfig) -> Result<Self, SupplierError> {
        let base = parse_base_url(&config.base_url)?;
        let auth_base = parse_base_url(&config.auth_url)?;
        if config.client_id.trim().is_empty() || config.client_secret.expose().trim().is_empty() {
            return Err(config_error("the Reloadly client id or secret is empty"));
        }
        let token_url = auth_base
            .join("oauth/token")
            .map_err(|e| config_error(format!("token URL: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("codetill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(format!("HTTP client: {e}")))?;
        let audience = base.as_str().trim_end_matches('/').to_string();
        let accept = if config.airtime {
            "application/com.reloadly.topups-v1+json"
        } else {
            "application/com.reloadly.giftcards-v1+json"
        };
        Ok(ReloadlyClient {
            api: Api {
                http: http.clone(),
                base,
                accept,
                auth: Auth {
                    http,
                    token_url,
                    client_id: config.client_id.clone(),
                    client_secret: config.client_secret.clone(),
                    audience,
                },
                tokens: TokenCache::default(),
            },
            keys: KeyLocks::default(),
            bounds: Mutex::new(HashMap::new()),
            config,
        })
    }

    /// Tokens fetched since this client was made (refreshes included).
    pub fn tokens_fetched(&self) -> u64 {
        self.api.tokens.fetched()
    }

    fn prefix(&self) -> &'static str {
        if self.config.airtime {
            AIRTIME_PREFIX
        } else {
            GIFTCARD_PREFIX
        }
    }

    fn products_path(&self) -> &'static str {
        if self.config.airtime {
            "operators"
        } else {
            "products"
        }
    }

    fn remember_bounds<'a>(&self, products: impl IntoIterator<Item = &'a SupplierProduct>) {
        let mut bounds = self.bounds.lock().unwrap_or_else(PoisonError::into_inner);
        for p in products {
            if let Some(open) = &p.open_amount {
                bounds.insert(p.sku.clone(), (open.min, open.max));
            }
        }
    }

    fn known_bounds(&self, sku: &str) -> Option<(Money, Money)> {
        self.bounds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(sku)
            .copied()
    }

    /// The skus of one product, fresh from the supplier; `None` if it is gone.
    async fn product(&self, id: u64) -> Result<Option<Vec<SupplierProduct>>, SupplierError> {
        let path = format!("{}/{id}", self.products_path());
        let response = self
            .api
            .call(reqwest::Method::GET, &path, &[], None)
            .await?;
        let status = response.status();
        if !status.is_success() {
            let error = read_error(response).await;
            // A missing product: 400 without a code (gift cards), 404 (operators).
            if (status == StatusCode::BAD_REQUEST && error.code.is_none())
                || (status == StatusCode::NOT_FOUND && !error.no_route)
            {
                return Ok(None);
            }
            return Err(classify(error));
        }
        let bytes = read_body(response).await?;
        let products = map_one(self.prefix(), &bytes)?;
        self.remember_bounds(&products);
        Ok(Some(products))
    }

    /// The sku as the supplier offers it now, checked against what the till may pay.
    /// Reloadly charges today's price and takes no ceiling, so the check is here.
    async fn check_offer(
        &self,
        request: &OrderRequest,
    ) -> Result<(u64, Denomination, Money), SupplierError> {
        let (id, denomination) = parse_sku(self.prefix(), &request.sku)?;
        let face = match denomination {
            Denomination::Fixed(face) => face,
            Denomination::Open => {
                let face = request.face_value.ok_or_else(|| SupplierError::Rejected {
                    reason: RejectReason::InvalidRequest,
                    message: format!("{} is an open amount: a face value is needed", request.sku),
                })?;
                if let Some(bounds) = self.known_bounds(&request.sku) {
                    check_bounds(&request.sku, face, bounds)?;
                }
                face.amount
            }
        };
        let products = self
            .product(id)
            .await?
            .ok_or_else(|| SupplierError::Rejected {
                reason: RejectReason::NotFound,
                message: format!("{} is no longer offered", request.sku),
            })?;
        let offer = products
            .into_iter()
            .find(|p| p.sku == request.sku)
            .filter(|p| p.in_stock)
            .ok_or_else(|| SupplierError::Rejected {
                reason: RejectReason::OutOfStock,
                message: format!("{} is not available now", request.sku),
            })?;
        let unit_cost = match (&offer.open_amount, request.face_value) {
            (Some(open), Some(face)) => {
                check_bounds(&request.sku, face, (open.min, open.max))?;
                Money::new(
                    face.amount * open.cost_per_face + open.fee.amount,
                    offer.wholesale.currency,
                )
                .ceil_to_minor()
            }
            _ => offer.wholesale,
        };
        if unit_cost.currency == request.max_unit_price.currency
            && unit_cost.amount > request.max_unit_price.amount
        {
            return Err(SupplierError::Rejected {
                reason: RejectReason::PriceChanged,
                message: format!(
                    "{} now costs {unit_cost}, above {}",
                    request.sku, request.max_unit_price
                ),
            });
        }
        Ok((
            id,
            denomination,
            Money::new(face, offer.face_value.currency),
        ))
    }

    /// Look-ups by key search from `lookup_days` back to two days ahead, in UTC-4
    /// (how Reloadly reads its report filters).
    fn lookup_window(&self) -> (String, String) {
        let local = |t: DateTime<Utc>| {
            (t - chrono::Duration::hours(4))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        let now = Utc::now();
        (
            local(now - chrono::Duration::days(self.config.lookup_days)),
            local(now + chrono::Duration::days(2)),
        )
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.config.settle_budget
    }
}

fn check_bounds(sku: &str, face: Money, (min, max): (Money, Money)) -> Result<(), SupplierError> {
    if face.currency != min.currency || face.amount < min.amount || face.amount > max.amount {
        return Err(SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message: format!("{sku} takes a face value from {min} to {max}, not {face}"),
        });
    }
    Ok(())
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceBody {
    balance: catalog::Amount,
    currency_code: String,
    updated_at: Option<String>,
}

#[async_trait]
impl Supplier for ReloadlyClient {
    fn duplicate_mode(&self) -> DuplicateMode {
        DuplicateMode::RejectDuplicate
    }

    async fn catalog_page(&self, request: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        // Reloadly keeps no change times: every walk reads everything.
        let page: u64 = match &request.cursor {
            None => 1,
            Some(c) => c
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| config_error("a Reloadly catalog cursor is a page number"))?,
        };
        let size = request.limit.clamp(1, 200);
        let path = self.products_path();
        let response = self
            .api
            .call(
                reqwest::Method::GET,
                path,
                &[("page", page.to_string()), ("size", size.to_string())],
                None,
            )
            .await?;
        let bytes = {
            if !response.status().is_success() {
                return Err(classify(read_error(response).await));
            }
            read_body(response).await?
        };
        let body: Page<'_> =
            serde_json::from_slice(&bytes).map_err(|e| unreadable("catalog page", &e))?;
        // `page` counts from 1, the page's own number from 0: a page that answers
        // another number would make the walk loop or skip.
        if let Some(n) = body.number()
            && n + 1 != page
        {
            return Err(SupplierError::Ambiguous {
                message: format!(
                    "asked for catalog page {page}, the supplier sent page {}",
                    n + 1
                ),
            });
        }
        let prefix = self.prefix();
        let products: Vec<_> = body
            .content
            .iter()
            .flat_map(|raw| map_row(prefix, raw))
            .collect();
        self.remember_bounds(products.iter().flatten());
        let last = body.last.unwrap_or(body.content.is_empty()) || body.content.is_empty();
        Ok(CatalogPage {
            products,
            next_cursor: (!last).then(|| (page + 1).to_string()),
            total: None,
        })
    }

    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        let (id, _) = parse_sku(self.prefix(), sku)?;
        let products = self
            .product(id)
            .await?
            .ok_or_else(|| SupplierError::Rejected {
                reason: RejectReason::NotFound,
                message: format!("no product {sku}"),
            })?;
        let currency = products.first().map(|p| p.wholesale.currency);
        match products.into_iter().find(|p| p.sku == sku) {
            Some(p) => Ok(Stock {
                sku: p.sku,
                available: p.in_stock,
                quantity: None,
                wholesale: p.wholesale,
            }),
            // A denomination no longer listed is not available (its price unknown).
            None => Ok(Stock {
                sku: sku.to_string(),
                available: false,
                quantity: Some(0),
                wholesale: Money::zero(currency.unwrap_or(Currency::USD)),
            }),
        }
    }

    async fn balance(&self) -> Result<Balance, SupplierError> {
        let body: BalanceBody = self.api.get("accounts/balance", &[], "balance").await?;
        let currency =
            Currency::parse(&body.currency_code).map_err(|e| SupplierError::Ambiguous {
                message: format!("the supplier sent an unreadable balance: {e}"),
            })?;
        let updated_at = body
            .updated_at
            .as_deref()
            .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
            .map(|t| t.and_utc() + chrono::Duration::hours(4))
            .unwrap_or_else(Utc::now);
        Ok(Balance {
            available: Money::new(body.balance.0, currency),
            updated_at,
        })
    }

    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        let (id, _, face) = self.check_offer(request).await?;
        // One request per key out at a time, held until its answer is in hand.
        let _key = self.keys.lock(&request.client_order_id).await;
        if self.config.airtime {
            airtime::place(self, request, id, face).await
        } else {
            giftcards::place(self, request, id, face).await
        }
    }

    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError> {
        if self.config.airtime {
            airtime::find(self, client_order_id).await
        } else {
            giftcards::find(self, client_order_id).await
        }
    }

    async fn transactions(
        &self,
        window: &Window,
    ) -> Result<Vec<SupplierTransaction>, SupplierError> {
        history::transactions(self, window).await
    }
}
