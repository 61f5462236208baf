//! Bamboo's JSON: catalog v2 pages (brand items holding products), accounts, and the
//! order with its cards.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::super::number::{Num, timestamp};
use super::super::wholesale::{json_error, protocol_error};
use super::super::{BadRow, IssuedCode, SupplierError, SupplierOrder, SupplierOrderStatus};
use crate::money::{Currency, Money};
use crate::product::{Category, OpenAmount, SupplierProduct};
use crate::secrets::Redacted;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CatalogBody {
    #[serde(default)]
    page_index: Option<u64>,
    #[serde(default)]
    page_size: Option<u64>,
    /// Brand items in the whole walk.
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    items: Vec<Box<RawValue>>,
}

/// A brand item as sent; every field optional so that one bad item or product is
/// reported alone.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    name: Option<String>,
    country_code: Option<String>,
    currency_code: Option<String>,
    redemption_instructions: Option<String>,
    modified_date: Option<String>,
    #[serde(default)]
    products: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    id: i64,
    name: Option<String>,
    min_face_value: Num,
    max_face_value: Num,
    /// `null` = unlimited, 0 = out of stock.
    count: Option<u64>,
    price: Price,
    modified_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Price {
    min: Num,
    max: Num,
    currency_code: String,
}

/// One product with what its item says about it.
#[derive(Debug, Clone)]
pub(super) struct ProductRow {
    pub id: i64,
    pub name: String,
    pub brand: String,
    pub region: String,
    pub face_currency: String,
    pub min_face: Decimal,
    pub max_face: Decimal,
    pub count: Option<u64>,
    pub price_min: Decimal,
    pub price_max: Decimal,
    pub price_currency: String,
    pub instructions: Option<String>,
    pub modified: Option<DateTime<Utc>>,
}

impl ProductRow {
    pub fn is_open(&self) -> bool {
        self.min_face != self.max_face
    }

    /// Account-currency cost of one unit of face value: Bamboo prices an open-amount
    /// product at its bounds; between them the cost is taken as proportional.
    pub fn cost_per_face(&self) -> Decimal {
        if self.min_face.is_zero() {
            Decimal::ZERO
        } else {
            self.price_min / self.min_face
        }
    }

    /// The cost of a card of `face`, rounded up to the cent (never under-counted).
    pub fn cost_of(&self, face: Decimal) -> Decimal {
        (face * self.cost_per_face())
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity)
    }

    fn into_product(self) -> Result<SupplierProduct, String> {
        let face_currency = Currency::parse(&self.face_currency).map_err(|e| e.to_string())?;
        let cost_currency = Currency::parse(&self.price_currency).map_err(|e| e.to_string())?;
        if self.min_face <= Decimal::ZERO || self.max_face < self.min_face {
            return Err(format!(
                "face values {}..{} are not a range",
                self.min_face, self.max_face
            ));
        }
        if self.price_min.is_sign_negative() || self.price_max < self.price_min {
            return Err(format!(
                "prices {}..{} are not a range",
                self.price_min, self.price_max
            ));
        }
        let open_amount = self.is_open().then(|| OpenAmount {
            min: Money::new(self.min_face, face_currency),
            max: Money::new(self.max_face, face_currency),
            cost_per_face: self.cost_per_face(),
            fee: Money::zero(cost_currency),
        });
        Ok(SupplierProduct {
            sku: self.id.to_string(),
            name: self.name,
            brand: self.brand,
            category: Category::GiftCard,
            region: self.region,
            face_value: Money::new(self.min_face, face_currency),
            wholesale: Money::new(self.price_min, cost_currency),
            in_stock: self.count != Some(0),
            redeem_url: None,
            redeem_instructions: self.instructions,
            updated_at: self.modified.unwrap_or(DateTime::UNIX_EPOCH),
            open_amount,
        })
    }
}

fn required(field: &'static str, v: Option<String>) -> Result<String, String> {
    v.filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("missing field {field}"))
}

fn read_item(raw: &RawValue) -> Result<Vec<Result<ProductRow, BadRow>>, BadRow> {
    let item: Item = serde_json::from_str(raw.get()).map_err(|e| BadRow {
        sku: None,
        reason: format!("unreadable brand item: {}", json_error(&e)),
    })?;
    let bad_item = |reason: String| BadRow { sku: None, reason };
    let brand = required("name", item.name).map_err(bad_item)?;
    let face_currency = required("currencyCode", item.currency_code).map_err(bad_item)?;
    let region = item
        .country_code
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "GLOBAL".to_string());
    let item_modified = item.modified_date.as_deref().and_then(timestamp);
    let instructions = item.redemption_instructions.filter(|s| !s.is_empty());
    Ok(item
        .products
        .iter()
        .map(|raw| {
            let p: Product = serde_json::from_str(raw.get()).map_err(|e| BadRow {
                sku: serde_json::from_str::<serde_json::Value>(raw.get())
                    .ok()
                    .and_then(|v| v.get("id").map(|id| id.to_string())),
                reason: format!("unreadable product: {}", json_error(&e)),
            })?;
            Ok(ProductRow {
                id: p.id,
                name: p
                    .name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| brand.clone()),
                brand: brand.clone(),
                region: region.clone(),
                face_currency: face_currency.clone(),
                min_face: p.min_face_value.0,
                max_face: p.max_face_value.0,
                count: p.count,
                price_min: p.price.min.0,
                price_max: p.price.max.0,
                price_currency: p.price.currency_code,
                instructions: instructions.clone(),
                modified: p
                    .modified_date
                    .as_deref()
                    .and_then(timestamp)
                    .or(item_modified),
            })
        })
        .collect())
}

impl CatalogBody {
    pub fn rows(&self) -> Vec<Result<ProductRow, BadRow>> {
        self.items
            .iter()
            .flat_map(|raw| match read_item(raw) {
                Ok(rows) => rows,
                Err(bad) => vec![Err(bad)],
            })
            .collect()
    }

    pub fn products(&self) -> Vec<Result<SupplierProduct, BadRow>> {
        self.rows()
            .into_iter()
            .map(|r| {
                r.and_then(|row| {
                    let sku = Some(row.id.to_string());
                    row.into_product().map_err(|reason| BadRow { sku, reason })
                })
            })
            .collect()
    }

    /// Whether page `index` of `size` brand items is not the last.
    pub fn has_more(&self, index: u64, size: u32) -> bool {
        let size = self.page_size.filter(|s| *s > 0).unwrap_or(u64::from(size));
        let index = self.page_index.unwrap_or(index);
        match self.count {
            Some(total) => (index + 1) * size < total,
            // Without a count: a full page may have a successor.
            None => self.items.len() as u64 >= size,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct AccountsBody {
    pub accounts: Vec<Account>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Account {
    pub id: i64,
    pub currency: String,
    pub balance: Num,
    #[serde(default)]
    pub is_active: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderBody {
    order_id: Option<serde_json::Value>,
    request_id: String,
    status: String,
    total: Option<Num>,
    error_message: Option<String>,
    currency: Option<String>,
    #[serde(default)]
    items: Vec<OrderItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderItem {
    product_id: i64,
    quantity: u32,
    #[serde(default)]
    cards: Vec<Card>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Card {
    serial_number: Option<String>,
    card_code: Option<String>,
    pin: Option<String>,
    expiration_date: Option<String>,
    status: Option<String>,
}

impl Card {
    /// A card that was issued: it has a code and did not fail.
    fn issued(&self) -> bool {
        self.card_code.as_deref().is_some_and(|c| !c.is_empty())
            && !self
                .status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("failed"))
    }
}

impl OrderBody {
    pub fn into_order(
        self,
        client_order_id: &str,
        request_id: &str,
    ) -> Result<SupplierOrder, SupplierError> {
        if !self.request_id.eq_ignore_ascii_case(request_id) {
            return Err(SupplierError::Ambiguous {
                message: "Bamboo answered for another RequestId".into(),
            });
        }
        let currency = Currency::parse(self.currency.as_deref().unwrap_or_default())
            .map_err(|e| protocol_error("order currency", e))?;
        let ordered: u32 = self.items.iter().map(|i| i.quantity).sum();
        let sku = self
            .items
            .first()
            .map(|i| i.product_id.to_string())
            .unwrap_or_default();
        let total = self.total.map_or(Decimal::ZERO, |t| t.0);
        let order_id = match &self.order_id {
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
            _ => self.request_id.clone(),
        };
        let cards: Vec<Card> = self.items.into_iter().flat_map(|i| i.cards).collect();
        let issued: Vec<IssuedCode> = cards
            .iter()
            .filter(|c| c.issued())
            .map(|c| IssuedCode {
                code: Redacted::new(c.card_code.clone().unwrap_or_default()),
                pin: c.pin.clone().filter(|p| !p.is_empty()).map(Redacted::new),
                serial: c.serial_number.clone(),
                expires_at: c.expiration_date.clone(),
            })
            .collect();
        let failure = |code: &str, default: &str| {
            Some((
                code.to_string(),
                self.error_message
                    .clone()
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| default.to_string()),
            ))
        };
        let (status, codes, failure) = match self.status.as_str() {
            "Created" | "Processing" | "Pending" => {
                (SupplierOrderStatus::Pending, Vec::new(), None)
            }
            "Succeeded" => {
                if issued.len() != ordered as usize || issued.is_empty() {
                    return Err(protocol_error(
                        "succeeded order",
                        format!("{} of {ordered} cards carry a code", issued.len()),
                    ));
                }
                (SupplierOrderStatus::Completed, issued, None)
            }
            "Failed" => (
                SupplierOrderStatus::Failed,
                Vec::new(),
                failure("failed", "Bamboo failed the order; nothing was charged"),
            ),
            "PartialFailed" if issued.is_empty() => (
                SupplierOrderStatus::Failed,
                Vec::new(),
                failure("failed", "Bamboo failed every card; nothing was charged"),
            ),
            "PartialFailed" => {
                let missing = ordered as usize - issued.len().min(ordered as usize);
                let note = failure(
                    "partial_failed",
                    &format!("{missing} of {ordered} cards failed and were not charged"),
                );
                (SupplierOrderStatus::Completed, issued, note)
            }
            other => return Err(protocol_error("order status", other)),
        };
        // What was delivered, and at what price each: Bamboo's total covers the
        // cards issued (failed ones are not charged).
        let quantity = match status {
            SupplierOrderStatus::Completed => codes.len() as u32,
            _ => ordered,
        };
        let unit = if quantity == 0 {
            Decimal::ZERO
        } else {
            total / Decimal::from(quantity)
        };
        Ok(SupplierOrder {
            order_id,
            client_order_id: client_order_id.to_string(),
            status,
            sku,
            quantity,
            unit_price: Money::new(unit, currency).ceil_to_minor(),
            total: Money::new(total, currency),
            codes,
            failure,
            balance_after: None,
        })
    }
}
