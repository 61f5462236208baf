//! Reloadly products over the sandbox catalog: the products of one brand, region and
//! face currency form one Reloadly product (numbered from 1 in sku order, the same
//! for a seed), each in-stock sandbox product one of its fixed denominations.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::envelope::RlError;
use super::spring;
use crate::catalog::{Catalog, Product};
use crate::catalog_data::Category;
use crate::state::{SandboxState, lock, read};

struct Group {
    brand_id: u64,
    skus: Vec<Arc<str>>,
}

/// Every fourth product with several denominations also takes any amount between
/// its smallest and largest (FIXED_AND_RANGE), priced like its smallest.
fn has_range(id: u64, group: &Group) -> bool {
    id.is_multiple_of(4) && group.skus.len() >= 2
}

/// An open amount: (min face, max face, the sku it is bought as).
pub(crate) struct Range<'a> {
    pub min: Decimal,
    pub max: Decimal,
    pub base: &'a Product,
}

/// The most fixed denominations one product lists.
const MAX_DENOMINATIONS: usize = 12;

/// Reloadly product ids over the sandbox skus, fixed at start.
#[derive(Default)]
pub(crate) struct Index {
    groups: Vec<Group>,
    by_sku: HashMap<Arc<str>, u64>,
}

impl Index {
    pub(crate) fn build(products: &[Product]) -> Self {
        let mut index = Index::default();
        let mut by_line: HashMap<(&str, &str, &str, Category), usize> = HashMap::new();
        let mut brands: HashMap<&str, u64> = HashMap::new();
        for p in products {
            let next_brand = brands.len() as u64 + 1;
            let brand_id = *brands.entry(p.brand).or_insert(next_brand);
            let key = (p.brand, p.region, p.face_currency, p.category);
            let next = index.groups.len();
            let at = by_line.entry(key).or_insert(next);
            // A large catalog has hundreds of amounts per line; a Reloadly product
            // lists a handful, so a full one makes way for the next.
            if *at != next && index.groups[*at].skus.len() >= MAX_DENOMINATIONS {
                *at = next;
            }
            let at = *at;
            if at == next {
                index.groups.push(Group {
                    brand_id,
                    skus: Vec::new(),
                });
            }
            index.groups[at].skus.push(Arc::clone(&p.sku));
            index.by_sku.insert(Arc::clone(&p.sku), at as u64 + 1);
        }
        index
    }

    pub(crate) fn len(&self) -> usize {
        self.groups.len()
    }

    pub(crate) fn id_of(&self, sku: &str) -> Option<u64> {
        self.by_sku.get(sku).copied()
    }

    fn group(&self, id: u64) -> Option<&Group> {
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.groups.get(i))
    }

    /// The sandbox sku of product `id` whose face is `face`, if it is still listed.
    pub(crate) fn sku_for(&self, catalog: &Catalog, id: u64, face: Decimal) -> Option<Arc<str>> {
        self.group(id)?
            .skus
            .iter()
            .find(|s| catalog.get(s).is_some_and(|p| p.face_value == face))
            .cloned()
    }

    /// Product `id`'s open amount, if it has one.
    pub(crate) fn range<'c>(&self, catalog: &'c Catalog, id: u64) -> Option<Range<'c>> {
        let group = self.group(id).filter(|g| has_range(id, g))?;
        let members: Vec<&Product> = group.skus.iter().filter_map(|s| catalog.get(s)).collect();
        let base = *members
            .iter()
            .min_by(|a, b| a.face_value.cmp(&b.face_value))?;
        let max = members.iter().map(|p| p.face_value).max()?;
        (max > base.face_value).then_some(Range {
            min: base.face_value,
            max,
            base,
        })
    }

    /// The product as Reloadly describes it; `None` once all its skus are gone.
    pub(crate) fn product_json(&self, catalog: &Catalog, id: u64) -> Option<Value> {
        let group = self.group(id)?;
        let members: Vec<&Product> = group.skus.iter().filter_map(|s| catalog.get(s)).collect();
        let first = *members.first()?;
        let mut listed: Vec<&Product> = members.iter().copied().filter(|p| p.available()).collect();
        listed.sort_by_key(|a| a.face_value);
        let mut map = Map::new();
        for p in &listed {
            map.insert(key(p.face_value), number(p.wholesale_price));
        }
        let status = if listed.is_empty() {
            "INACTIVE"
        } else {
            "ACTIVE"
        };
        let range = self.range(catalog, id);
        let (kind, min, max, min_sender, max_sender) = match &range {
            None => ("FIXED", Value::Null, Value::Null, Value::Null, Value::Null),
            Some(r) => {
                let ratio = r.base.wholesale_price / r.base.face_value;
                (
                    "FIXED_AND_RANGE",
                    number(r.min),
                    number(r.max),
                    number(crate::wire::money(r.min * ratio)),
                    number(crate::wire::money(r.max * ratio)),
                )
            }
        };
        let (category_id, category) = category(first.category);
        Some(json!({
            "productId": id,
            "productName": format!("{} {}", first.brand, first.region),
            "global": first.region == "GLOBAL",
            "status": status,
            "supportsPreOrder": false,
            "senderFee": 0.0,
            "senderFeePercentage": 0.0,
            "discountPercentage": 0.0,
            "denominationType": kind,
            "recipientCurrencyCode": first.face_currency,
            "minRecipientDenomination": min,
            "maxRecipientDenomination": max,
            "senderCurrencyCode": &*first.currency,
            "minSenderDenomination": min_sender,
            "maxSenderDenomination": max_sender,
            "fixedRecipientDenominations": listed.iter().map(|p| number(p.face_value)).collect::<Vec<_>>(),
            "fixedSenderDenominations": listed.iter().map(|p| number(p.wholesale_price)).collect::<Vec<_>>(),
            "fixedRecipientToSenderDenominationsMap": map,
            "metadata": {},
            "logoUrls": [],
            "brand": { "brandId": group.brand_id, "brandName": first.brand },
            "category": { "id": category_id, "name": category },
            "country": { "isoName": iso(first.region), "name": first.region, "flagUrl": null },
            "redeemInstruction": {
                "concise": first.redeem_instructions,
                "verbose": format!("{} {}", first.redeem_instructions, &*first.redeem_url),
            },
            "additionalRequirements": { "userIdRequired": false },
        }))
    }
}

/// Reloadly's category for ours (its names, roughly).
fn category(c: Category) -> (u32, &'static str) {
    match c {
        Category::GiftCard => (2, "Shopping"),
        Category::GameTopup => (3, "Gaming"),
        Category::MobileTopup => (7, "Mobile Top-up"),
        Category::SoftwareKey => (9, "Software"),
    }
}

fn iso(region: &str) -> &str {
    if region.len() == 2 { region } else { "US" }
}

/// An amount as the JSON number Reloadly sends (a Java double).
pub(crate) fn number(d: Decimal) -> Value {
    d.to_f64().map_or(Value::Null, Value::from)
}

/// A denomination map key as Java prints a double: `"20.0"`, `"37.5"`.
fn key(d: Decimal) -> String {
    format!("{:?}", d.to_f64().unwrap_or_default())
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    page: Option<String>,
    size: Option<String>,
    #[serde(rename = "countryCode")]
    country_code: Option<String>,
}

pub(crate) async fn list(
    State(state): State<SandboxState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, RlError> {
    let Query(q) = query.map_err(|e| RlError::bad_request(None, e.body_text()))?;
    let (page, size) = spring::paging(q.page.as_deref(), q.size.as_deref())?;
    let index = &state.inner().reloadly.index;
    let catalog = read(&state.inner().catalog);
    let country = q.country_code.as_deref().map(str::to_ascii_uppercase);
    let content: Vec<Value> = if country.is_some() {
        // A filtered walk: count what matches (rare; the sync walks everything).
        let all: Vec<Value> = (1..=index.len() as u64)
            .filter_map(|id| index.product_json(&catalog, id))
            .filter(|p| p["country"]["isoName"].as_str() == country.as_deref())
            .collect();
        let total = all.len();
        let rows = all.into_iter().skip((page - 1) * size).take(size).collect();
        return Ok(Json(spring::page(rows, page, size, total)));
    } else {
        let start = (page - 1).saturating_mul(size);
        (start..(start + size).min(index.len()))
            .filter_map(|i| index.product_json(&catalog, i as u64 + 1))
            .collect()
    };
    Ok(Json(spring::page(content, page, size, index.len())))
}

pub(crate) async fn one(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, RlError> {
    let gone = || {
        RlError::bad_request(
            None,
            "The product was either not found or is no longer available, Please contact support",
        )
    };
    let Path(id) = id.map_err(|_| gone())?;
    let id: u64 = id.trim().parse().map_err(|_| gone())?;
    let catalog = read(&state.inner().catalog);
    state
        .inner()
        .reloadly
        .index
        .product_json(&catalog, id)
        .map(Json)
        .ok_or_else(gone)
}

pub(crate) async fn balance(State(state): State<SandboxState>) -> Json<Value> {
    let ledger = lock(&state.inner().ledger);
    let (available, updated_at) = ledger.balance();
    Json(json!({
        "balance": number(available),
        "currencyCode": ledger.currency(),
        "currencyName": ledger.currency(),
        "updatedAt": super::orders::local_time(&updated_at),
    }))
}
