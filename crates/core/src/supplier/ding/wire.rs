//! Ding Connect's JSON (PascalCase, every answer with `ResultCode` and `ErrorCodes`).

use std::collections::HashMap;

use chrono::DateTime;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::super::number::{Num, timestamp};
use super::super::wholesale::{json_error, protocol_error};
use super::super::{
    BadRow, IssuedCode, SupplierError, SupplierOrder, SupplierOrderStatus, SupplierTransaction,
};
use crate::money::{Currency, Money};
use crate::product::{Category, OpenAmount, SupplierProduct};
use crate::secrets::Redacted;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DingError {
    pub code: String,
    #[serde(default)]
    pub context: Option<String>,
}

/// An answer that may carry error codes.
pub(super) trait Envelope {
    fn errors(&self) -> &[DingError];
}

macro_rules! envelope {
    ($t:ty) => {
        impl Envelope for $t {
            fn errors(&self) -> &[DingError] {
                &self.error_codes
            }
        }
    };
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub error_codes: Vec<DingError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BalanceBody {
    pub balance: Num,
    pub currency_iso: String,
    #[serde(default)]
    error_codes: Vec<DingError>,
}
envelope!(BalanceBody);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProductsBody {
    #[serde(default)]
    items: Vec<Box<RawValue>>,
    #[serde(default)]
    error_codes: Vec<DingError>,
}
envelope!(ProductsBody);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawProduct {
    provider_code: Option<String>,
    sku_code: String,
    minimum: RawPrice,
    maximum: RawPrice,
    redemption_mechanism: Option<String>,
    #[serde(default)]
    benefits: Vec<String>,
    default_display_text: Option<String>,
    region_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawPrice {
    #[serde(default)]
    distributor_fee: Option<Num>,
    receive_value: Num,
    receive_currency_iso: String,
    send_value: Num,
    send_currency_iso: String,
}

#[derive(Debug, Clone)]
pub(super) struct Price {
    pub distributor_fee: Decimal,
    pub receive_value: Decimal,
    pub receive_currency: String,
    pub send_value: Decimal,
    pub send_currency: String,
}

impl From<RawPrice> for Price {
    fn from(p: RawPrice) -> Price {
        Price {
            distributor_fee: p.distributor_fee.map_or(Decimal::ZERO, |f| f.0),
            receive_value: p.receive_value.0,
            receive_currency: p.receive_currency_iso,
            send_value: p.send_value.0,
            send_currency: p.send_currency_iso,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct ProductRow {
    pub sku: String,
    pub provider: String,
    pub name: String,
    pub region: String,
    pub redemption: String,
    pub benefits: Vec<String>,
    pub min: Price,
    pub max: Price,
}

impl ProductRow {
    pub fn is_open(&self) -> bool {
        self.min.send_value != self.max.send_value
    }

    /// PIN products (`ReadReceipt`) are what a counter can sell; see the module doc.
    pub fn sold_here(&self) -> bool {
        self.redemption.eq_ignore_ascii_case("ReadReceipt")
    }

    /// Cost per unit of SendValue and the fixed part, from the two ends of the range
    /// (Ding's fee may grow with the value; between the ends it is taken as linear).
    fn cost_line(&self) -> (Decimal, Decimal) {
        let low = self.min.send_value + self.min.distributor_fee;
        if !self.is_open() {
            return (Decimal::ONE, self.min.distributor_fee);
        }
        let high = self.max.send_value + self.max.distributor_fee;
        let per = (high - low) / (self.max.send_value - self.min.send_value);
        // Never below the plain send value; a negative fixed part would under-count.
        let per = per.max(Decimal::ONE);
        let fixed = (low - per * self.min.send_value).max(Decimal::ZERO);
        (per, fixed)
    }

    /// What a transfer of `send` costs, rounded up to the cent.
    pub fn cost_of(&self, send: Decimal) -> Decimal {
        let (per, fixed) = self.cost_line();
        (send * per + fixed)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity)
    }

    fn into_product(self) -> Result<SupplierProduct, String> {
        let send = Currency::parse(&self.min.send_currency).map_err(|e| e.to_string())?;
        if self.max.send_currency != self.min.send_currency {
            return Err("minimum and maximum are in different currencies".into());
        }
        if self.min.send_value <= Decimal::ZERO || self.max.send_value < self.min.send_value {
            return Err(format!(
                "send values {}..{} are not a range",
                self.min.send_value, self.max.send_value
            ));
        }
        let mobile = self
            .benefits
            .iter()
            .any(|b| ["Mobile", "Minutes", "Data", "LongDistance"].contains(&b.as_str()));
        let (face_value, open_amount) = if self.is_open() {
            let (per, fixed) = self.cost_line();
            (
                Money::new(self.min.send_value, send),
                Some(OpenAmount {
                    min: Money::new(self.min.send_value, send),
                    max: Money::new(self.max.send_value, send),
                    cost_per_face: per,
                    fee: Money::new(fixed, send),
                }),
            )
        } else {
            let receive = Currency::parse(&self.min.receive_currency).map_err(|e| e.to_string())?;
            (Money::new(self.min.receive_value, receive), None)
        };
        Ok(SupplierProduct {
            wholesale: Money::new(self.cost_of(self.min.send_value), send),
            sku: self.sku,
            name: self.name,
            brand: self.provider,
            category: if mobile {
                Category::MobileTopup
            } else {
                Category::GiftCard
            },
            region: self.region,
            face_value,
            in_stock: true,
            redeem_url: None,
            redeem_instructions: None,
            // Ding gives no change date; a fixed one keeps syncs quiet.
            updated_at: DateTime::UNIX_EPOCH,
            open_amount,
        })
    }
}

fn read_product(raw: &RawValue) -> Result<ProductRow, BadRow> {
    let p: RawProduct = serde_json::from_str(raw.get()).map_err(|e| BadRow {
        sku: serde_json::from_str::<serde_json::Value>(raw.get())
            .ok()
            .and_then(|v| {
                v.get("SkuCode")
                    .and_then(|s| s.as_str())
                    .map(str::to_string)
            }),
        reason: format!("unreadable product: {}", json_error(&e)),
    })?;
    Ok(ProductRow {
        name: p
            .default_display_text
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| p.sku_code.clone()),
        provider: p
            .provider_code
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "Ding".into()),
        region: p
            .region_code
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "GLOBAL".into()),
        redemption: p.redemption_mechanism.unwrap_or_default(),
        benefits: p.benefits,
        min: p.minimum.into(),
        max: p.maximum.into(),
        sku: p.sku_code,
    })
}

impl ProductsBody {
    pub fn rows(&self) -> Vec<Result<ProductRow, BadRow>> {
        self.items.iter().map(|r| read_product(r)).collect()
    }

    /// The catalog codetill sells from: PIN products only (see the module doc).
    pub fn products(&self) -> Vec<Result<SupplierProduct, BadRow>> {
        self.rows()
            .into_iter()
            .filter(|r| !matches!(r, Ok(p) if !p.sold_here()))
            .map(|r| {
                r.and_then(|row| {
                    let sku = Some(row.sku.clone());
                    row.into_product().map_err(|reason| BadRow { sku, reason })
                })
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransferBody {
    transfer_record: Option<TransferRecord>,
    #[serde(default)]
    error_codes: Vec<DingError>,
}
envelope!(TransferBody);

impl TransferBody {
    pub fn into_order(self, client_order_id: &str) -> Result<SupplierOrder, SupplierError> {
        match self.transfer_record {
            Some(r) if r.distributor_ref() == Some(client_order_id) => {
                r.into_order(client_order_id)
            }
            Some(_) => Err(SupplierError::Ambiguous {
                message: "Ding answered a transfer with another DistributorRef".into(),
            }),
            None => Err(SupplierError::Ambiguous {
                message: "Ding answered SendTransfer without a transfer record".into(),
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListBody {
    #[serde(default)]
    items: Vec<ListItem>,
    #[serde(default)]
    pub there_are_more_items: Option<bool>,
    #[serde(default)]
    error_codes: Vec<DingError>,
}
envelope!(ListBody);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListItem {
    transfer_record: TransferRecord,
    #[serde(default)]
    error_codes: Vec<DingError>,
}

impl ListBody {
    pub fn into_records(self) -> Vec<TransferRecord> {
        self.items
            .into_iter()
            .map(|i| {
                let mut r = i.transfer_record;
                if r.errors.is_empty() {
                    r.errors = i.error_codes;
                }
                r
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransferId {
    transfer_ref: Option<String>,
    distributor_ref: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransferRecord {
    transfer_id: TransferId,
    sku_code: String,
    price: RawPrice,
    processing_state: String,
    #[serde(default)]
    started_utc: Option<String>,
    receipt_text: Option<String>,
    #[serde(default)]
    receipt_params: Option<HashMap<String, serde_json::Value>>,
    #[serde(skip)]
    errors: Vec<DingError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Pending,
    Complete,
    Failed,
}

impl State {
    /// Which of several records under one key speaks for the order.
    pub fn rank(self) -> u8 {
        match self {
            State::Failed => 0,
            State::Pending => 1,
            State::Complete => 2,
        }
    }
}

/// Keys a PIN may come under in `ReceiptParams` (compared without case, `_` or `-`).
const PIN_KEYS: [&str; 6] = [
    "pin",
    "pincode",
    "pinnumber",
    "voucherpin",
    "vouchercode",
    "code",
];
const SERIAL_KEYS: [&str; 3] = ["serial", "serialnumber", "providerref"];

fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl TransferRecord {
    pub fn distributor_ref(&self) -> Option<&str> {
        self.transfer_id.distributor_ref.as_deref()
    }

    pub fn state(&self) -> State {
        match self.processing_state.as_str() {
            "Complete" | "Completed" => State::Complete,
            "Failed" | "Cancelled" => State::Failed,
            // Submitted, Processing, Cancelling (not final yet) and anything new.
            _ => State::Pending,
        }
    }

    fn param(&self, keys: &[&str]) -> Option<String> {
        let params = self.receipt_params.as_ref()?;
        keys.iter().find_map(|want| {
            params.iter().find_map(|(k, v)| {
                (squash(k) == *want)
                    .then(|| match v {
                        serde_json::Value::String(s) => s.trim().to_string(),
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => String::new(),
                    })
                    .filter(|s| !s.is_empty())
            })
        })
    }

    /// The transfer as a charge on the account: SendValue plus the distributor's fee,
    /// nothing when it failed. A record still being made has no start time yet: it is
    /// dated `now`.
    pub fn transaction(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<SupplierTransaction, SupplierError> {
        let price: Price = self.price.clone().into();
        let currency = Currency::parse(&price.send_currency)
            .map_err(|e| protocol_error("transfer price", e))?;
        let status = match self.state() {
            State::Pending => SupplierOrderStatus::Pending,
            State::Complete => SupplierOrderStatus::Completed,
            State::Failed => SupplierOrderStatus::Failed,
        };
        let at = match self.started_utc.as_deref() {
            Some(t) => timestamp(t).ok_or_else(|| protocol_error("transfer StartedUtc", t))?,
            None => now,
        };
        Ok(SupplierTransaction {
            key: self.distributor_ref().unwrap_or_default().to_string(),
            order_id: self.transfer_id.transfer_ref.clone().unwrap_or_default(),
            status,
            charged: match status {
                SupplierOrderStatus::Failed => Money::zero(currency),
                _ => Money::new(price.send_value + price.distributor_fee, currency),
            },
            at,
        })
    }

    pub fn into_order(self, client_order_id: &str) -> Result<SupplierOrder, SupplierError> {
        let state = self.state();
        let price: Price = self.price.clone().into();
        let currency = Currency::parse(&price.send_currency)
            .map_err(|e| protocol_error("transfer price", e))?;
        let cost = Money::new(price.send_value + price.distributor_fee, currency);
        let order_id = self
            .transfer_id
            .transfer_ref
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| client_order_id.to_string());
        let (status, codes, failure) = match state {
            State::Pending => (SupplierOrderStatus::Pending, Vec::new(), None),
            State::Failed => {
                let (code, message) = match self.errors.first() {
                    Some(e) => (
                        e.code.clone(),
                        e.context.clone().unwrap_or_else(|| e.code.clone()),
                    ),
                    None => ("failed".into(), format!("Ding: {}", self.processing_state)),
                };
                (
                    SupplierOrderStatus::Failed,
                    Vec::new(),
                    Some((code, message)),
                )
            }
            State::Complete => {
                // The PIN; failing that, the receipt, which holds it with instructions.
                let code = self
                    .param(&PIN_KEYS)
                    .or_else(|| self.receipt_text.clone().filter(|t| !t.trim().is_empty()))
                    .ok_or_else(|| {
                        protocol_error("completed transfer", "it carries no PIN and no receipt")
                    })?;
                let serial = self
                    .param(&SERIAL_KEYS)
                    .or(self.transfer_id.transfer_ref.clone());
                (
                    SupplierOrderStatus::Completed,
                    vec![IssuedCode {
                        code: Redacted::new(code),
                        pin: None,
                        serial,
                        expires_at: None,
                    }],
                    None,
                )
            }
        };
        Ok(SupplierOrder {
            order_id,
            client_order_id: client_order_id.to_string(),
            status,
            sku: self.sku_code,
            quantity: 1,
            unit_price: cost,
            total: cost,
            codes,
            failure,
            balance_after: None,
        })
    }
}

/// Ding's SendValue is a JSON number with at most two decimals.
pub(super) fn json_number(value: Decimal) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    let value = value.round_dp(2).normalize();
    if value.fract().is_zero()
        && let Some(i) = value.to_i64()
    {
        return i.into();
    }
    value
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}
