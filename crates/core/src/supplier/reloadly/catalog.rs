//! Reloadly products (gift cards) and operators (airtime) mapped onto
//! [`SupplierProduct`]: each fixed denomination one sku (`RLD-<productId>-<face>`,
//! airtime `RLA-…`), a RANGE product one open-amount sku (`RLD-<productId>`), a
//! FIXED_AND_RANGE product both. Costs are in the sender (account) currency, face
//! values in the recipient currency.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::http::unreadable;
use crate::money::{Currency, Money};
use crate::product::{Category, OpenAmount, SupplierProduct};
use crate::supplier::wholesale::json_error;
use crate::supplier::{BadRow, RejectReason, SupplierError};

/// An amount as Reloadly sends it: a JSON number (a Java double), or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "AmountText")]
pub(super) struct Amount(pub Decimal);

#[derive(Deserialize)]
#[serde(untagged)]
enum AmountText {
    Number(serde_json::Number),
    Text(String),
}

impl TryFrom<AmountText> for Amount {
    type Error = &'static str;
    fn try_from(a: AmountText) -> Result<Self, Self::Error> {
        let text = match a {
            AmountText::Number(n) => n.to_string(),
            AmountText::Text(s) => s,
        };
        decimal(&text).map(Amount).ok_or("not a decimal amount")
    }
}

/// `"20.0"`, `20`, `1.5E2`: what a double may print as.
pub(super) fn decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .ok()
}

/// Which sku of a product: one fixed face value, or the open amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Denomination {
    Fixed(Decimal),
    Open,
}

/// `RLD-<id>-<face>` / `RLD-<id>` (airtime: `RLA`), the face without trailing zeros.
pub(super) fn sku(prefix: &str, id: u64, denomination: Denomination) -> String {
    match denomination {
        Denomination::Fixed(face) => format!("{prefix}-{id}-{}", face.normalize()),
        Denomination::Open => format!("{prefix}-{id}"),
    }
}

pub(super) fn parse_sku(prefix: &str, sku: &str) -> Result<(u64, Denomination), SupplierError> {
    let bad = || SupplierError::Rejected {
        reason: RejectReason::NotFound,
        message: format!("{sku:?} is not a {prefix} sku"),
    };
    let rest = sku
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .ok_or_else(bad)?;
    let (id, face) = match rest.split_once('-') {
        Some((id, face)) => (id, Some(face)),
        None => (rest, None),
    };
    let id: u64 = id.parse().map_err(|_| bad())?;
    let denomination = match face {
        None => Denomination::Open,
        Some(f) => Denomination::Fixed(
            crate::money::parse_decimal(f)
                .ok()
                .filter(|d| *d > Decimal::ZERO)
                .ok_or_else(bad)?,
        ),
    };
    Ok((id, denomination))
}

/// A Spring page as Reloadly sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page<'a> {
    #[serde(borrow)]
    pub content: Vec<&'a RawValue>,
    #[serde(default)]
    pub last: Option<bool>,
    #[serde(default)]
    pub pageable: Option<Pageable>,
    #[serde(default)]
    pub number: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Pageable {
    pub page_number: Option<u64>,
}

impl Page<'_> {
    /// The 0-based number of this page, as the page says.
    pub(super) fn number(&self) -> Option<u64> {
        self.pageable
            .as_ref()
            .and_then(|p| p.page_number)
            .or(self.number)
    }
}

#[derive(Deserialize)]
struct Named {
    #[serde(alias = "brandName")]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Country {
    iso_name: Option<String>,
}

#[derive(Deserialize)]
struct Instructions {
    concise: Option<String>,
}

/// A gift card product as sent; every field optional so one bad product is reported
/// on its own.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawProduct {
    product_id: u64,
    product_name: Option<String>,
    status: Option<String>,
    sender_fee: Option<Amount>,
    sender_fee_percentage: Option<Amount>,
    discount_percentage: Option<Amount>,
    denomination_type: Option<String>,
    recipient_currency_code: Option<String>,
    sender_currency_code: Option<String>,
    min_recipient_denomination: Option<Amount>,
    max_recipient_denomination: Option<Amount>,
    min_sender_denomination: Option<Amount>,
    max_sender_denomination: Option<Amount>,
    fixed_recipient_denominations: Option<Vec<Amount>>,
    fixed_recipient_to_sender_denominations_map: Option<HashMap<String, Amount>>,
    brand: Option<Named>,
    category: Option<Named>,
    country: Option<Country>,
    redeem_instruction: Option<Instructions>,
}

/// An airtime operator as sent (fixed local amounts paired with sender amounts).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawOperator {
    operator_id: u64,
    name: Option<String>,
    status: Option<String>,
    denomination_type: Option<String>,
    sender_currency_code: Option<String>,
    destination_currency_code: Option<String>,
    international_discount: Option<Amount>,
    min_amount: Option<Amount>,
    max_amount: Option<Amount>,
    local_min_amount: Option<Amount>,
    local_max_amount: Option<Amount>,
    fixed_amounts: Option<Vec<Amount>>,
    local_fixed_amounts: Option<Vec<Amount>>,
    local_fixed_amounts_to_sender_map: Option<HashMap<String, Amount>>,
    country: Option<Country>,
}

/// An open amount: (min, max) face value, (min, max) sender amount.
type Range = ((Decimal, Decimal), (Decimal, Decimal));

/// The common form both map from.
struct Offer {
    prefix: &'static str,
    id: u64,
    name: String,
    brand: String,
    category: Category,
    region: String,
    active: bool,
    face_currency: Currency,
    cost_currency: Currency,
    /// Cost = sender amount × `keep` + `fee` (after discount, with percentage fees).
    keep: Decimal,
    fee: Decimal,
    fixed: Vec<(Decimal, Decimal)>,
    range: Option<Range>,
    instructions: Option<String>,
}

/// Reloadly gives no change times; one constant keeps the sync's watermark still.
fn epoch() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

fn category(name: Option<&str>, prefix: &str) -> Category {
    if prefix == super::AIRTIME_PREFIX {
        return Category::MobileTopup;
    }
    let n = name.unwrap_or_default().to_ascii_lowercase();
    if n.contains("gam") {
        Category::GameTopup
    } else if n.contains("software") {
        Category::SoftwareKey
    } else if n.contains("mobile") || n.contains("top-up") || n.contains("topup") {
        Category::MobileTopup
    } else {
        Category::GiftCard
    }
}

fn currency(field: &str, code: Option<&str>) -> Result<Currency, String> {
    let code = code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| format!("missing field {field}"))?;
    Currency::parse(code).map_err(|e| format!("{field}: {e}"))
}

fn hundredths(a: Option<Amount>) -> Decimal {
    a.map_or(Decimal::ZERO, |a| a.0) / Decimal::ONE_HUNDRED
}

/// Pairs each face value with its sender amount. Map keys are strings ("20.0"):
/// matched by value, not by text.
fn pair(
    faces: Option<Vec<Amount>>,
    map: Option<HashMap<String, Amount>>,
    senders: Option<Vec<Amount>>,
) -> Result<Vec<(Decimal, Decimal)>, String> {
    let map: Vec<(Decimal, Decimal)> = map
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            decimal(&k)
                .map(|k| (k, v.0))
                .ok_or_else(|| "a denomination key is not a number".to_string())
        })
        .collect::<Result<_, _>>()?;
    let faces: Vec<Decimal> = match faces {
        Some(f) => f.into_iter().map(|a| a.0).collect(),
        None => map.iter().map(|(k, _)| *k).collect(),
    };
    let senders: Vec<Decimal> = senders
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.0)
        .collect();
    faces
        .iter()
        .enumerate()
        .map(|(i, face)| {
            map.iter()
                .find(|(k, _)| k == face)
                .map(|(_, v)| *v)
                .or_else(|| (senders.len() == faces.len()).then(|| senders[i]))
                .map(|cost| (*face, cost))
                .ok_or_else(|| format!("denomination {face} has no sender amount"))
        })
        .collect()
}

#[allow(clippy::type_complexity)]
fn range(
    kind: &str,
    min: Option<Amount>,
    max: Option<Amount>,
    min_sender: Option<Amount>,
    max_sender: Option<Amount>,
) -> Result<Option<Range>, String> {
    if !kind.contains("RANGE") {
        return Ok(None);
    }
    match (min, max, min_sender, max_sender) {
        (Some(a), Some(b), Some(c), Some(d)) if a.0 > Decimal::ZERO && a.0 <= b.0 => {
            Ok(Some(((a.0, b.0), (c.0, d.0))))
        }
        _ => Err("a RANGE product without usable min/max denominations".into()),
    }
}

impl RawProduct {
    fn offer(self) -> Result<Offer, String> {
        let kind = self.denomination_type.unwrap_or_else(|| "FIXED".into());
        let fixed = if kind.contains("FIXED") {
            pair(
                self.fixed_recipient_denominations,
                self.fixed_recipient_to_sender_denominations_map,
                None,
            )?
        } else {
            Vec::new()
        };
        let range = range(
            &kind,
            self.min_recipient_denomination,
            self.max_recipient_denomination,
            self.min_sender_denomination,
            self.max_sender_denomination,
        )?;
        let name = self
            .product_name
            .filter(|n| !n.trim().is_empty())
            .ok_or("missing field productName")?;
        Ok(Offer {
            prefix: super::GIFTCARD_PREFIX,
            id: self.product_id,
            brand: self
                .brand
                .and_then(|b| b.name)
                .unwrap_or_else(|| name.clone()),
            category: category(
                self.category.as_ref().and_then(|c| c.name.as_deref()),
                super::GIFTCARD_PREFIX,
            ),
            region: self
                .country
                .and_then(|c| c.iso_name)
                .unwrap_or_else(|| "GLOBAL".into()),
            active: self
                .status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE")),
            face_currency: currency(
                "recipientCurrencyCode",
                self.recipient_currency_code.as_deref(),
            )?,
            cost_currency: currency("senderCurrencyCode", self.sender_currency_code.as_deref())?,
            keep: Decimal::ONE - hundredths(self.discount_percentage)
                + hundredths(self.sender_fee_percentage),
            fee: self.sender_fee.map_or(Decimal::ZERO, |f| f.0),
            fixed,
            range,
            instructions: self.redeem_instruction.and_then(|r| r.concise),
            name,
        })
    }
}

impl RawOperator {
    fn offer(self) -> Result<Offer, String> {
        let kind = self.denomination_type.unwrap_or_else(|| "FIXED".into());
        let fixed = if kind.contains("FIXED") {
            pair(
                self.local_fixed_amounts,
                self.local_fixed_amounts_to_sender_map,
                self.fixed_amounts,
            )?
        } else {
            Vec::new()
        };
        let range = range(
            &kind,
            self.local_min_amount,
            self.local_max_amount,
            self.min_amount,
            self.max_amount,
        )?;
        let name = self
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or("missing field name")?;
        Ok(Offer {
            prefix: super::AIRTIME_PREFIX,
            id: self.operator_id,
            brand: name.clone(),
            category: Category::MobileTopup,
            region: self
                .country
                .and_then(|c| c.iso_name)
                .unwrap_or_else(|| "GLOBAL".into()),
            active: self
                .status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE")),
            face_currency: currency(
                "destinationCurrencyCode",
                self.destination_currency_code.as_deref(),
            )?,
            cost_currency: currency("senderCurrencyCode", self.sender_currency_code.as_deref())?,
            keep: Decimal::ONE - hundredths(self.international_discount),
            fee: Decimal::ZERO,
            fixed,
            range,
            instructions: None,
            name,
        })
    }
}

fn money(amount: Decimal, currency: Currency, what: &str) -> Result<Money, String> {
    if amount.is_sign_negative() {
        return Err(format!("{what} is negative"));
    }
    Money::parse(&amount.to_string(), currency).map_err(|e| format!("{what}: {e}"))
}

impl Offer {
    fn products(self) -> Result<Vec<SupplierProduct>, String> {
        let mut out = Vec::with_capacity(self.fixed.len() + 1);
        let base =
            |sku: String, name: String, face: Money, cost: Money, open: Option<OpenAmount>| {
                SupplierProduct {
                    sku,
                    name,
                    brand: self.brand.clone(),
                    category: self.category,
                    region: self.region.clone(),
                    face_value: face,
                    wholesale: cost,
                    in_stock: self.active,
                    redeem_url: None,
                    redeem_instructions: self.instructions.clone(),
                    updated_at: epoch(),
                    open_amount: open,
                }
            };
        for (face, sender) in &self.fixed {
            let face = money(*face, self.face_currency, "face value")?;
            let cost =
                money(*sender * self.keep + self.fee, self.cost_currency, "cost")?.ceil_to_minor();
            out.push(base(
                sku(self.prefix, self.id, Denomination::Fixed(face.amount)),
                format!("{} {}", self.name, face),
                face,
                cost,
                None,
            ));
        }
        if let Some(((min, max), (min_sender, _))) = self.range {
            let cost_per_face = min_sender / min * self.keep;
            let fee = money(self.fee, self.cost_currency, "sender fee")?;
            let min_face = money(min, self.face_currency, "minimum")?;
            let cost =
                money(min * cost_per_face + self.fee, self.cost_currency, "cost")?.ceil_to_minor();
            out.push(base(
                sku(self.prefix, self.id, Denomination::Open),
                format!(
                    "{} ({}–{})",
                    self.name,
                    min_face,
                    money(max, self.face_currency, "maximum")?
                ),
                min_face,
                cost,
                Some(OpenAmount {
                    min: min_face,
                    max: money(max, self.face_currency, "maximum")?,
                    cost_per_face,
                    fee,
                }),
            ));
        }
        Ok(out)
    }
}

/// Every sku of one product (or operator) row, or why the row is unusable.
pub(super) fn map_row(prefix: &str, raw: &RawValue) -> Vec<Result<SupplierProduct, BadRow>> {
    let id_of = || {
        serde_json::from_str::<serde_json::Value>(raw.get())
            .ok()
            .and_then(|v| {
                v.get(if prefix == super::AIRTIME_PREFIX {
                    "operatorId"
                } else {
                    "productId"
                })
                .and_then(|i| i.as_u64())
            })
            .map(|id| format!("{prefix}-{id}"))
    };
    let offer = if prefix == super::AIRTIME_PREFIX {
        serde_json::from_str::<RawOperator>(raw.get()).map(RawOperator::offer)
    } else {
        serde_json::from_str::<RawProduct>(raw.get()).map(RawProduct::offer)
    };
    let result = match offer {
        Err(e) => Err(format!("unreadable row: {}", json_error(&e))),
        Ok(Err(why)) => Err(why),
        Ok(Ok(offer)) => offer.products(),
    };
    match result {
        Ok(products) => products.into_iter().map(Ok).collect(),
        Err(reason) => vec![Err(BadRow {
            sku: id_of(),
            reason,
        })],
    }
}

/// The skus of a single product answer (`GET /products/{id}`).
pub(super) fn map_one(prefix: &str, bytes: &[u8]) -> Result<Vec<SupplierProduct>, SupplierError> {
    let raw: &RawValue = serde_json::from_slice(bytes).map_err(|e| unreadable("product", &e))?;
    map_row(prefix, raw)
        .into_iter()
        .map(|r| {
            r.map_err(|bad| SupplierError::Ambiguous {
                message: format!("the supplier sent an unusable product: {}", bad.reason),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FIXED: &str = r#"{"productId":14552,"productName":"ArcheAge ZA","global":false,"status":"ACTIVE",
        "senderFee":18.14,"senderFeePercentage":0.00,"discountPercentage":8.0,"denominationType":"FIXED",
        "recipientCurrencyCode":"USD","minRecipientDenomination":null,"maxRecipientDenomination":null,
        "senderCurrencyCode":"ZAR","fixedRecipientDenominations":[20.0, 50],
        "fixedSenderDenominations":[362.80, 907.0],
        "fixedRecipientToSenderDenominationsMap":{"20.0":362.80,"50.0":907.0},
        "brand":{"brandId":160,"brandName":"ArcheAge"},"category":{"id":3,"name":"Gaming"},
        "country":{"isoName":"ZA","name":"South Africa"},"redeemInstruction":{"concise":"Go redeem"}}"#;

    fn rows(prefix: &str, json: &str) -> Vec<Result<SupplierProduct, BadRow>> {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        map_row(prefix, &raw)
    }

    #[test]
    fn each_fixed_denomination_is_a_sku_with_its_string_keyed_cost() {
        let products: Vec<SupplierProduct> =
            rows("RLD", FIXED).into_iter().map(Result::unwrap).collect();
        assert_eq!(products.len(), 2);
        let p = &products[0];
        assert_eq!(p.sku, "RLD-14552-20");
        assert_eq!(p.face_value.to_string(), "20.00 USD");
        // 362.80 less 8 % plus the 18.14 fee, in the sender's currency, rounded up.
        assert_eq!(p.wholesale.to_string(), "351.92 ZAR");
        assert_eq!(p.category, Category::GameTopup);
        assert_eq!(p.region, "ZA");
        assert!(p.in_stock && p.open_amount.is_none());
        assert_eq!(products[1].sku, "RLD-14552-50");
    }

    #[test]
    fn a_range_product_is_one_open_sku_and_fixed_and_range_gives_both() {
        let range = r#"{"productId":7,"productName":"Visa US","status":"ACTIVE","senderFee":1.5,
            "discountPercentage":2.0,"denominationType":"RANGE","recipientCurrencyCode":"EUR",
            "senderCurrencyCode":"USD","minRecipientDenomination":5.0,"maxRecipientDenomination":500.0,
            "minSenderDenomination":5.5,"maxSenderDenomination":550.0}"#;
        let products: Vec<SupplierProduct> =
            rows("RLD", range).into_iter().map(Result::unwrap).collect();
        assert_eq!(products.len(), 1);
        let open = products[0].open_amount.clone().unwrap();
        assert_eq!(products[0].sku, "RLD-7");
        assert_eq!(
            (open.min.to_string(), open.max.to_string()),
            ("5.00 EUR".into(), "500.00 EUR".into())
        );
        assert_eq!(open.cost_per_face, Decimal::new(1078, 3)); // 1.1 × 0.98
        assert_eq!(open.fee.to_string(), "1.50 USD");
        assert_eq!(products[0].wholesale.to_string(), "6.89 USD"); // 5 × 1.078 + 1.5
        let both = range.replace(r#""RANGE""#, r#""FIXED_AND_RANGE""#).replace(
            r#""minSenderDenomination""#,
            r#""fixedRecipientToSenderDenominationsMap":{"25.0":27.5},"minSenderDenomination""#,
        );
        let skus: Vec<String> = rows("RLD", &both)
            .into_iter()
            .map(|r| r.unwrap().sku)
            .collect();
        assert_eq!(skus, ["RLD-7-25", "RLD-7"]);
    }

    #[test]
    fn a_bad_product_is_reported_alone_without_its_values() {
        for (json, want) in [
            (FIXED.replace(r#""ZAR""#, r#""ZZZ""#), "senderCurrencyCode"),
            (FIXED.replace(r#""20.0":362.80,"#, ""), "no sender amount"),
            (
                FIXED.replace(r#""20.0":362.80"#, r#""20.0":"SECRET-99""#),
                "unreadable row",
            ),
            (
                FIXED
                    .replace(r#""RANGE""#, "")
                    .replace(r#""FIXED""#, r#""RANGE""#),
                "RANGE",
            ),
        ] {
            let out = rows("RLD", &json);
            let bad = out[0].as_ref().unwrap_err();
            assert!(bad.reason.contains(want), "{} lacks {want}", bad.reason);
            assert_eq!(bad.sku.as_deref(), Some("RLD-14552"));
            assert!(!bad.reason.contains("SECRET"), "{}", bad.reason);
        }
    }

    #[test]
    fn skus_round_trip() {
        assert_eq!(
            parse_sku("RLD", "RLD-12-37.5").unwrap(),
            (12, Denomination::Fixed(Decimal::new(375, 1)))
        );
        assert_eq!(
            parse_sku("RLD", "RLD-12").unwrap(),
            (12, Denomination::Open)
        );
        assert_eq!(
            sku("RLD", 12, Denomination::Fixed(Decimal::new(2000, 2))),
            "RLD-12-20"
        );
        for bad in [
            "STEAM-US-20",
            "RLD-x-20",
            "RLD-12-abc",
            "RLA-12-20",
            "RLD-12--1",
        ] {
            assert!(parse_sku("RLD", bad).is_err(), "{bad}");
        }
    }
}
