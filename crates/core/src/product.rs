//! What the shop sells: a supplier product as codetill keeps it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    GiftCard,
    GameTopup,
    MobileTopup,
    SoftwareKey,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::GiftCard,
        Category::GameTopup,
        Category::MobileTopup,
        Category::SoftwareKey,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Category::GiftCard => "gift_card",
            Category::GameTopup => "game_topup",
            Category::MobileTopup => "mobile_topup",
            Category::SoftwareKey => "software_key",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown category {0:?} (expected gift_card, game_topup, mobile_topup or software_key)")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| UnknownCategory(s.to_string()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An open-amount product (a supplier's RANGE product): the buyer picks the face value
/// within `min..=max` (both in the face currency) and the supplier charges
/// `face × cost_per_face + fee` in the account's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenAmount {
    pub min: Money,
    pub max: Money,
    /// Account-currency cost of one unit of face value (after the supplier's discount).
    #[serde(with = "rust_decimal::serde::str")]
    pub cost_per_face: rust_decimal::Decimal,
    /// A fixed fee per order, in the account's currency (zero when there is none).
    pub fee: Money,
}

/// A catalog product as the supplier describes it (before retail pricing).
///
/// For a fixed product `face_value` and `wholesale` are what one unit is and costs. For
/// an open-amount one (`open_amount` set) they describe the smallest amount: `face_value`
/// is the minimum and `wholesale` its cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierProduct {
    pub sku: String,
    pub name: String,
    pub brand: String,
    pub category: Category,
    pub region: String,
    pub face_value: Money,
    pub wholesale: Money,
    pub in_stock: bool,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub open_amount: Option<OpenAmount>,
}

/// A product as the shop keeps it, with its retail price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub brand: String,
    pub category: Category,
    pub region: String,
    pub face_value: Money,
    pub wholesale: Money,
    pub retail: Money,
    pub in_stock: bool,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    pub supplier_updated_at: String,
    pub discontinued: bool,
    /// Set on an open-amount product; `face_value`, `wholesale` and `retail` then
    /// describe its smallest amount.
    pub open_amount: Option<OpenAmount>,
    /// The supplier account this offer is bought from (`None`: the shop's single
    /// supplier from the environment or the settings).
    pub supplier: Option<String>,
    /// The sku at that supplier, when the counter's differs (`NAME:SKU`).
    #[serde(skip)]
    pub supplier_sku: Option<String>,
    /// Offers of the same card from other suppliers share this group (`None`: the
    /// product is its own group, keyed by its sku).
    #[serde(skip)]
    pub offer_group: Option<String>,
}

impl Product {
    /// The sku the supplier sells this product under.
    pub fn sku_at_supplier(&self) -> &str {
        self.supplier_sku.as_deref().unwrap_or(&self.sku)
    }

    /// The key its offers share: the group's, or its own sku.
    pub fn group_key(&self) -> &str {
        self.offer_group.as_deref().unwrap_or(&self.sku)
    }
}

impl OpenAmount {
    /// What the supplier charges for `face` (a face value within the bounds), rounded
    /// up to the account currency's minor unit.
    pub fn cost(&self, face: &Money) -> Result<Money, crate::money::MoneyError> {
        let amount = face
            .amount
            .checked_mul(self.cost_per_face)
            .and_then(|c| c.checked_add(self.fee.amount))
            .ok_or(crate::money::MoneyError::Overflow(face.amount))?;
        Ok(Money::new(amount, self.fee.currency).ceil_to_minor())
    }

    /// `face` if it is within the bounds, in the face currency.
    pub fn check(&self, face: &Money) -> Result<(), String> {
        if face.currency != self.min.currency {
            return Err(format!(
                "amount: this product takes {}, not {}",
                self.min.currency, face.currency
            ));
        }
        if face.amount < self.min.amount || face.amount > self.max.amount {
            return Err(format!(
                "amount: {} is outside {}–{} {}",
                face.amount_string(),
                self.min.amount_string(),
                self.max.amount_string(),
                self.min.currency
            ));
        }
        Ok(())
    }
}

/// The `products` row as stored; [`Product`] is its checked form.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProductRow {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub brand: String,
    pub category: String,
    pub region: String,
    pub face_minor: i64,
    pub face_currency: String,
    pub wholesale_minor: i64,
    pub retail_minor: i64,
    pub currency: String,
    pub retail_currency: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub in_stock: bool,
    pub redeem_url: Option<String>,
    pub redeem_instructions: Option<String>,
    pub supplier_updated_at: String,
    pub discontinued_at: Option<String>,
    pub open_min_minor: Option<i64>,
    pub open_max_minor: Option<i64>,
    pub open_cost_per_face: Option<String>,
    pub open_fee_minor: Option<i64>,
    pub supplier: Option<String>,
    pub supplier_sku: Option<String>,
    pub offer_group: Option<String>,
}

impl ProductRow {
    pub(crate) const COLUMNS: &'static str = "p.id, p.sku, p.name, p.brand, p.category, p.region, \
        p.face_minor, p.face_currency, p.wholesale_minor, p.retail_minor, p.currency, \
        coalesce(p.retail_currency, p.currency) AS retail_currency, p.in_stock, \
        p.redeem_url, p.redeem_instructions, p.supplier_updated_at, p.discontinued_at, \
        p.open_min_minor, p.open_max_minor, p.open_cost_per_face, p.open_fee_minor, \
        p.supplier, p.supplier_sku, p.offer_group";
}

impl ProductRow {
    /// A row selected with [`ProductRow::COLUMNS`] on a native connection (the
    /// command line's read-only search), column by column in that order.
    pub(crate) fn from_native(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProductRow> {
        Ok(ProductRow {
            id: r.get(0)?,
            sku: r.get(1)?,
            name: r.get(2)?,
            brand: r.get(3)?,
            category: r.get(4)?,
            region: r.get(5)?,
            face_minor: r.get(6)?,
            face_currency: r.get(7)?,
            wholesale_minor: r.get(8)?,
            retail_minor: r.get(9)?,
            currency: r.get(10)?,
            retail_currency: r.get(11)?,
            in_stock: r.get(12)?,
            redeem_url: r.get(13)?,
            redeem_instructions: r.get(14)?,
            supplier_updated_at: r.get(15)?,
            discontinued_at: r.get(16)?,
            open_min_minor: r.get(17)?,
            open_max_minor: r.get(18)?,
            open_cost_per_face: r.get(19)?,
            open_fee_minor: r.get(20)?,
            supplier: r.get(21)?,
            supplier_sku: r.get(22)?,
            offer_group: r.get(23)?,
        })
    }
}

impl TryFrom<ProductRow> for Product {
    type Error = crate::db::DbError;
    fn try_from(r: ProductRow) -> Result<Self, Self::Error> {
        let corrupt = |detail: String| crate::db::DbError::Corrupt {
            what: "products",
            detail,
        };
        let currency =
            crate::money::Currency::parse(&r.currency).map_err(|e| corrupt(e.to_string()))?;
        let face_currency =
            crate::money::Currency::parse(&r.face_currency).map_err(|e| corrupt(e.to_string()))?;
        let retail_currency = crate::money::Currency::parse(&r.retail_currency)
            .map_err(|e| corrupt(e.to_string()))?;
        let open_amount = match (
            r.open_min_minor,
            r.open_max_minor,
            r.open_cost_per_face,
            r.open_fee_minor,
        ) {
            (Some(min), Some(max), Some(rate), Some(fee)) => Some(OpenAmount {
                min: Money::from_minor(min, face_currency),
                max: Money::from_minor(max, face_currency),
                cost_per_face: crate::money::parse_decimal(&rate)
                    .map_err(|e| corrupt(format!("open_cost_per_face: {e}")))?,
                fee: Money::from_minor(fee, currency),
            }),
            _ => None,
        };
        Ok(Product {
            open_amount,
            id: r.id,
            category: r
                .category
                .parse()
                .map_err(|e: UnknownCategory| corrupt(e.to_string()))?,
            face_value: Money::from_minor(r.face_minor, face_currency),
            wholesale: Money::from_minor(r.wholesale_minor, currency),
            retail: Money::from_minor(r.retail_minor, retail_currency),
            sku: r.sku,
            name: r.name,
            brand: r.brand,
            region: r.region,
            in_stock: r.in_stock,
            redeem_url: r.redeem_url,
            redeem_instructions: r.redeem_instructions,
            supplier_updated_at: r.supplier_updated_at,
            discontinued: r.discontinued_at.is_some(),
            supplier: r.supplier,
            supplier_sku: r.supplier_sku,
            offer_group: r.offer_group,
        })
    }
}
