//! The live catalog: products sorted by sku (lookups are binary searches, full
//! walks are slices) plus an index ordered by (updated_at, sku) for incremental
//! walks. Every change goes through [`Catalog::touch`] so the two never disagree.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog_data::Category;
use crate::cursor::Cursor;
use crate::prng::SplitMix64;
use crate::wire::{money, ser_money, ser_time};

#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub sku: Arc<str>,
    pub name: String,
    pub brand: &'static str,
    pub category: Category,
    pub region: &'static str,
    pub face_value: Decimal,
    pub face_currency: &'static str,
    pub wholesale_price: Decimal,
    pub currency: Arc<str>,
    /// The flag set by the supplier; [`Product::available`] also looks at quantity.
    pub in_stock: bool,
    /// `None` = unlimited.
    pub quantity: Option<u32>,
    pub redeem_url: Arc<str>,
    pub redeem_instructions: &'static str,
    pub updated_at: DateTime<Utc>,
}

/// A product as the contract's JSON object, borrowing from [`Product`] so a page
/// of 1000 serialises without copying strings.
#[derive(Serialize)]
pub(crate) struct ProductWire<'a> {
    sku: &'a str,
    name: &'a str,
    brand: &'a str,
    category: Category,
    region: &'a str,
    #[serde(serialize_with = "ser_money")]
    face_value: Decimal,
    face_currency: &'a str,
    #[serde(serialize_with = "ser_money")]
    wholesale_price: Decimal,
    currency: &'a str,
    in_stock: bool,
    redeem_url: &'a str,
    redeem_instructions: &'a str,
    #[serde(serialize_with = "ser_time")]
    updated_at: DateTime<Utc>,
}

impl Product {
    pub(crate) fn available(&self) -> bool {
        self.in_stock && self.quantity != Some(0)
    }

    pub(crate) fn wire(&self) -> ProductWire<'_> {
        ProductWire {
            sku: &self.sku,
            name: &self.name,
            brand: self.brand,
            category: self.category,
            region: self.region,
            face_value: self.face_value,
            face_currency: self.face_currency,
            wholesale_price: self.wholesale_price,
            currency: &self.currency,
            in_stock: self.available(),
            redeem_url: &self.redeem_url,
            redeem_instructions: self.redeem_instructions,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PageError {
    #[error("cursor is not valid")]
    BadCursor,
    #[error("cursor belongs to a walk with a different updated_since")]
    CursorMismatch,
}

pub(crate) struct PageRequest<'a> {
    pub cursor: Option<&'a str>,
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
}

pub(crate) struct Page<'a> {
    pub products: Vec<&'a Product>,
    pub next: Option<Cursor>,
    /// 0-based position of this page in its walk.
    pub page: usize,
    /// Products matching the walk (all of them, or those changed since).
    pub total: usize,
}

pub(crate) struct Catalog {
    products: Vec<Product>,
    by_updated: BTreeSet<(i64, Arc<str>)>,
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// `updated_since` rounded up to a microsecond so `>=` keeps its meaning.
fn since_micros(t: DateTime<Utc>) -> i64 {
    let us = t.timestamp_micros();
    if t.timestamp_subsec_nanos().is_multiple_of(1000) {
        us
    } else {
        us + 1
    }
}

impl Catalog {
    /// `products` must be sorted by sku with no duplicates (as generated).
    pub(crate) fn new(products: Vec<Product>) -> Self {
        let by_updated = products
            .iter()
            .map(|p| (micros(p.updated_at), Arc::clone(&p.sku)))
            .collect();
        Self {
            products,
            by_updated,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.products.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Product> {
        self.products.iter()
    }

    fn index(&self, sku: &str) -> Option<usize> {
        self.products.binary_search_by(|p| (*p.sku).cmp(sku)).ok()
    }

    pub(crate) fn get(&self, sku: &str) -> Option<&Product> {
        self.index(sku).map(|i| &self.products[i])
    }

    /// Change a product and stamp it `updated_at = now`.
    pub(crate) fn touch(
        &mut self,
        sku: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Product),
    ) -> Option<&Product> {
        let i = self.index(sku)?;
        let p = &mut self.products[i];
        self.by_updated
            .remove(&(micros(p.updated_at), Arc::clone(&p.sku)));
        change(p);
        p.updated_at = now;
        self.by_updated.insert((micros(now), Arc::clone(&p.sku)));
        Some(&self.products[i])
    }

    /// Take `qty` units off a finite stock; a product that runs out changes in
    /// the catalog (`in_stock` flips), so only then is it stamped.
    pub(crate) fn take_stock(&mut self, sku: &str, qty: u32, now: DateTime<Utc>) {
        let Some(i) = self.index(sku) else { return };
        if let Some(q) = self.products[i].quantity {
            let left = q.saturating_sub(qty);
            if left == 0 {
                self.touch(sku, now, |p| p.quantity = Some(0));
            } else {
                self.products[i].quantity = Some(left);
            }
        }
    }

    /// Give back units of a failed order.
    pub(crate) fn return_stock(&mut self, sku: &str, qty: u32, now: DateTime<Utc>) {
        let Some(i) = self.index(sku) else { return };
        if let Some(q) = self.products[i].quantity {
            if q == 0 {
                self.touch(sku, now, |p| p.quantity = Some(qty));
            } else {
                self.products[i].quantity = Some(q.saturating_add(qty));
            }
        }
    }

    pub(crate) fn remove(&mut self, sku: &str) -> bool {
        let Some(i) = self.index(sku) else {
            return false;
        };
        let p = self.products.remove(i);
        self.by_updated.remove(&(micros(p.updated_at), p.sku));
        true
    }

    /// Change `fraction` of all products by `percent` (seeded choice); returns the
    /// skus changed, sorted.
    pub(crate) fn reprice(
        &mut self,
        fraction: f64,
        percent: Decimal,
        seed: u64,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let len = self.products.len();
        let mut count = (fraction * len as f64).round() as usize;
        if fraction > 0.0 && count == 0 && len > 0 {
            count = 1;
        }
        let count = count.min(len);
        let mut idx: Vec<usize> = (0..len).collect();
        SplitMix64::new(seed).select_front(&mut idx, count);
        let factor = Decimal::ONE + percent / Decimal::ONE_HUNDRED;
        let mut skus: Vec<String> = idx[..count]
            .iter()
            .map(|&i| self.products[i].sku.to_string())
            .collect();
        skus.sort_unstable();
        for sku in &skus {
            self.touch(sku, now, |p| {
                p.wholesale_price = money(p.wholesale_price * factor).max(Decimal::new(1, 2));
            });
        }
        skus
    }

    pub(crate) fn page(&self, req: &PageRequest<'_>) -> Result<Page<'_>, PageError> {
        let cursor = match req.cursor {
            Some(c) => Some(Cursor::decode(c).ok_or(PageError::BadCursor)?),
            None => None,
        };
        let limit = req.limit.max(1);
        match (cursor, req.since) {
            (None, None) => Ok(self.page_by_sku(0, None, limit)),
            (Some(Cursor::BySku { page, after_sku }), None) => {
                Ok(self.page_by_sku(page, Some(&after_sku), limit))
            }
            (Some(Cursor::BySku { .. }), Some(_)) => Err(PageError::CursorMismatch),
            (None, Some(since)) => Ok(self.page_by_updated(0, since_micros(since), None, limit)),
            (
                Some(Cursor::ByUpdated {
                    page,
                    since_us,
                    after_us,
                    after_sku,
                }),
                since,
            ) => {
                if since.is_some_and(|s| since_micros(s) != since_us) {
                    return Err(PageError::CursorMismatch);
                }
                Ok(self.page_by_updated(page, since_us, Some((after_us, &after_sku)), limit))
            }
        }
    }

    fn page_by_sku(&self, page: usize, after: Option<&str>, limit: usize) -> Page<'_> {
        let start = after.map_or(0, |a| self.products.partition_point(|p| &*p.sku <= a));
        let end = (start + limit).min(self.products.len());
        let slice = &self.products[start..end];
        let next = match slice.last() {
            Some(last) if end < self.products.len() => Some(Cursor::BySku {
                page: page + 1,
                after_sku: last.sku.to_string(),
            }),
            _ => None,
        };
        Page {
            products: slice.iter().collect(),
            next,
            page,
            total: self.products.len(),
        }
    }

    fn page_by_updated(
        &self,
        page: usize,
        since_us: i64,
        after: Option<(i64, &str)>,
        limit: usize,
    ) -> Page<'_> {
        let lower = match after {
            Some((t, sku)) => Bound::Excluded((t, Arc::<str>::from(sku))),
            None => Bound::Included((since_us, Arc::<str>::from(""))),
        };
        let mut keys = self
            .by_updated
            .range((lower, Bound::Unbounded))
            .take(limit + 1);
        let products: Vec<&Product> = keys
            .by_ref()
            .take(limit)
            .filter_map(|(_, sku)| self.get(sku))
            .collect();
        let more = keys.next().is_some();
        let next = match products.last() {
            Some(last) if more => Some(Cursor::ByUpdated {
                page: page + 1,
                since_us,
                after_us: micros(last.updated_at),
                after_sku: last.sku.to_string(),
            }),
            _ => None,
        };
        // Counting is O(matches); skip it when everything matches (the usual
        // first sync, where `since` predates the generated catalog).
        let total = match self.by_updated.first() {
            Some((first, _)) if *first >= since_us => self.by_updated.len(),
            _ => self
                .by_updated
                .range((
                    Bound::Included((since_us, Arc::<str>::from(""))),
                    Bound::Unbounded,
                ))
                .count(),
        };
        Page {
            products,
            next,
            page,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashSet;

    use super::*;
    use crate::catalog_gen::{base_updated_at, generate};
    use crate::config::SandboxConfig;

    fn catalog(n: usize) -> Catalog {
        Catalog::new(generate(&SandboxConfig {
            products: n,
            ..SandboxConfig::default()
        }))
    }

    fn walk(c: &Catalog, since: Option<DateTime<Utc>>, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = c
                .page(&PageRequest {
                    cursor: cursor.as_deref(),
                    since,
                    limit,
                })
                .unwrap();
            out.extend(page.products.iter().map(|p| p.sku.to_string()));
            match page.next {
                Some(n) => cursor = Some(n.encode()),
                None => return out,
            }
        }
    }

    #[test]
    fn full_walk_sees_everything_once() {
        let c = catalog(1000);
        for limit in [1, 7, 100, 1000, 5000] {
            let skus = walk(&c, None, limit);
            assert_eq!(skus.len(), 1000);
            assert_eq!(skus.iter().collect::<HashSet<_>>().len(), 1000);
        }
    }

    #[test]
    fn incremental_walk_sees_changes_only() {
        let mut c = catalog(500);
        let before = base_updated_at() + chrono::Duration::days(1);
        let now = before + chrono::Duration::seconds(5);
        let changed = c.reprice(0.05, Decimal::from(5), 1, now);
        assert_eq!(changed.len(), 25);
        let mut seen = walk(&c, Some(before), 4);
        seen.sort();
        assert_eq!(seen, changed);
        let month_before = base_updated_at() - chrono::Duration::days(31);
        assert_eq!(walk(&c, Some(month_before), 33).len(), 500);
        let page = c
            .page(&PageRequest {
                cursor: None,
                since: Some(before),
                limit: 10,
            })
            .unwrap();
        assert_eq!(page.total, 25);
    }

    #[test]
    fn walk_survives_removal_mid_walk() {
        let mut c = catalog(300);
        let first = c
            .page(&PageRequest {
                cursor: None,
                since: None,
                limit: 100,
            })
            .unwrap();
        let cursor = first.next.unwrap().encode();
        let mut seen: Vec<String> = Vec::new();
        let all: Vec<String> = c.iter().map(|p| p.sku.to_string()).collect();
        seen.extend(all[..100].iter().cloned());
        // Remove a product already seen and one not yet seen.
        assert!(c.remove(&all[10]));
        assert!(c.remove(&all[200]));
        let mut cursor = Some(cursor);
        while let Some(cur) = cursor.take() {
            let page = c
                .page(&PageRequest {
                    cursor: Some(&cur),
                    since: None,
                    limit: 100,
                })
                .unwrap();
            seen.extend(page.products.iter().map(|p| p.sku.to_string()));
            cursor = page.next.map(|n| n.encode());
        }
        assert_eq!(seen.len(), 299);
        assert!(!seen.contains(&all[200]));
    }

    #[test]
    fn cursor_errors() {
        let c = catalog(50);
        let req = |cursor, since| PageRequest {
            cursor,
            since,
            limit: 10,
        };
        assert_eq!(
            c.page(&req(Some("nope"), None)).err(),
            Some(PageError::BadCursor)
        );
        let next = c.page(&req(None, None)).unwrap().next.unwrap().encode();
        assert_eq!(
            c.page(&req(Some(&next), Some(base_updated_at()))).err(),
            Some(PageError::CursorMismatch)
        );
    }

    #[test]
    fn stock_changes_flip_availability() {
        let mut c = catalog(100);
        let now = base_updated_at() + chrono::Duration::days(2);
        c.touch("STEAM-US-20", base_updated_at(), |p| p.quantity = Some(2));
        c.take_stock("STEAM-US-20", 1, now);
        assert_eq!(c.get("STEAM-US-20").unwrap().updated_at, base_updated_at());
        c.take_stock("STEAM-US-20", 1, now);
        let p = c.get("STEAM-US-20").unwrap();
        assert!(!p.available());
        assert_eq!(p.updated_at, now);
        c.return_stock("STEAM-US-20", 1, now);
        assert!(c.get("STEAM-US-20").unwrap().available());
    }
}
