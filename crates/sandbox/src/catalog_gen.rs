//! Deterministic catalog generation.
//!
//! Products come from "lines" (a brand in a region) and tiers of variants per
//! line: tier 0 is what a real supplier lists (common denominations, packs, plans,
//! editions); tier 1 the long tail (rarer denominations, packs, seat counts and
//! terms); tiers 2–4 are open amounts (whole steps, then half and quarter steps)
//! for gift cards and mobile top-ups, which is how catalogs of 100,000+ products
//! still read like real ones. Tiers are used in order; a tier that is only partly
//! needed is sampled with the seed. Per-product attributes (discount, stock) come
//! from a generator keyed by seed and sku, so a product looks the same whatever
//! `N` it was generated under.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalog::Product;
use crate::catalog_data::{
    BRANDS, Brand, Currency, Lineup, amazon_domain, currency, region_currency,
};
use crate::config::SandboxConfig;
use crate::prng::SplitMix64;
use crate::wire::money;

/// The demo product the README searches for ("steam 20"); always generated.
pub const DEMO_SKU: &str = "STEAM-US-20";

/// The newest `updated_at` of a generated product: 2026-11-01T00:00:00Z. Products are
/// spread over the 30 days before it, as a real catalog's edits are, so that an
/// incremental walk from the newest one seen returns only what changed since.
pub fn base_updated_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default()
}

struct Line {
    brand: &'static Brand,
    region: &'static str,
    currency: &'static Currency,
    /// `" (DE)"` when another region of the brand uses the same currency.
    suffix: String,
    redeem_url: Arc<str>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    /// Face value in quarters of a currency unit (so open amounts stay exact).
    Amount(u64),
    Pack {
        index: u16,
        extra: bool,
    },
    Edition {
        edition: u8,
        devices: u32,
        years: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Candidate {
    line: u32,
    variant: Variant,
}

const TIERS: usize = 5;

/// Generate `config.products` products (fewer only if the tables are exhausted,
/// which takes millions), sorted by sku.
pub(crate) fn generate(config: &SandboxConfig) -> Vec<Product> {
    let lines = lines();
    let mut rng = SplitMix64::new(config.seed);
    let wanted = config.products;
    let mut chosen: Vec<Candidate> = Vec::with_capacity(wanted);
    for tier in 0..TIERS {
        let need = wanted - chosen.len();
        if need == 0 {
            break;
        }
        let mut cands = candidates(&lines, tier);
        if cands.len() > need {
            rng.select_front(&mut cands, need);
            if tier == 0 {
                keep_demo(&lines, &mut cands, need);
            }
            cands.truncate(need);
        }
        chosen.extend(cands);
    }
    if chosen.len() < wanted {
        tracing::warn!(
            wanted,
            generated = chosen.len(),
            "catalog tables exhausted; generating fewer products"
        );
    }

    let pricing = Pricing::new(&config.currency);
    let base = base_updated_at();
    let account: Arc<str> = Arc::from(config.currency.as_str());
    let mut products: Vec<Product> = chosen
        .iter()
        .map(|c| build(&lines, *c, config.seed, &pricing, &account, base))
        .collect();
    products.sort_unstable_by(|a, b| a.sku.cmp(&b.sku));
    let before = products.len();
    products.dedup_by(|a, b| a.sku == b.sku);
    if products.len() != before {
        tracing::error!(
            duplicates = before - products.len(),
            "generated duplicate skus"
        );
    }
    products
}

/// Make sure the demo sku survives sampling of tier 0.
fn keep_demo(lines: &[Line], cands: &mut [Candidate], need: usize) {
    let is_demo = |c: &Candidate| {
        let line = &lines[c.line as usize];
        line.brand.code == "STEAM" && line.region == "US" && c.variant == Variant::Amount(20 * 4)
    };
    if need == 0 || cands[..need].iter().any(is_demo) {
        return;
    }
    if let Some(pos) = cands.iter().position(is_demo) {
        cands.swap(need - 1, pos);
    }
}

fn lines() -> Vec<Line> {
    let mut out = Vec::new();
    for brand in BRANDS {
        let regions: Vec<&'static str> = match &brand.lineup {
            Lineup::GiftCard { regions, .. }
            | Lineup::GameTopup { regions, .. }
            | Lineup::SoftwareKey { regions, .. } => regions.to_vec(),
            Lineup::MobileTopup { plans, .. } => plans.iter().map(|(r, _)| *r).collect(),
        };
        let mut per_currency: HashMap<&str, usize> = HashMap::new();
        for r in &regions {
            *per_currency
                .entry(region_currency(r).unwrap_or("USD"))
                .or_default() += 1;
        }
        for region in regions {
            let code = region_currency(region).unwrap_or("USD");
            let Some(cur) = currency(code) else { continue };
            let suffix = match (per_currency.get(code).copied().unwrap_or(0) > 1, region) {
                (false, _) => String::new(),
                (true, "GLOBAL") => " (Global)".to_owned(),
                (true, r) => format!(" ({r})"),
            };
            out.push(Line {
                brand,
                region,
                currency: cur,
                suffix,
                redeem_url: Arc::from(brand.redeem_url.replace("{domain}", amazon_domain(region))),
            });
        }
    }
    out
}

fn candidates(lines: &[Line], tier: usize) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line_no = i as u32;
        let mut push = |variant| {
            out.push(Candidate {
                line: line_no,
                variant,
            })
        };
        match &line.brand.lineup {
            Lineup::GiftCard { .. } => {
                let cur = line.currency;
                let listed: Vec<u32> = cur
                    .denominations
                    .iter()
                    .chain(cur.extra_denominations)
                    .copied()
                    .collect();
                match tier {
                    0 => cur
                        .denominations
                        .iter()
                        .for_each(|&a| push(Variant::Amount(u64::from(a) * 4))),
                    1 => cur
                        .extra_denominations
                        .iter()
                        .for_each(|&a| push(Variant::Amount(u64::from(a) * 4))),
                    _ => open_amounts(cur.open, &listed, tier, &mut push),
                }
            }
            Lineup::MobileTopup { plans, .. } => {
                let plan = plans
                    .iter()
                    .find(|(r, _)| *r == line.region)
                    .map(|(_, p)| *p)
                    .unwrap_or(&[]);
                let (min, max) = (
                    plan.iter().copied().min().unwrap_or(1),
                    plan.iter().copied().max().unwrap_or(1),
                );
                let step = line.currency.open.2;
                // Start the open range on a multiple of the step.
                let open = (min.div_ceil(step) * step, max, step);
                match tier {
                    0 => plan
                        .iter()
                        .for_each(|&a| push(Variant::Amount(u64::from(a) * 4))),
                    1 => {}
                    _ => open_amounts(open, plan, tier, &mut push),
                }
            }
            Lineup::GameTopup {
                packs, extra_packs, ..
            } => {
                let (list, extra) = match tier {
                    0 => (*packs, false),
                    1 => (*extra_packs, true),
                    _ => (&[][..], false),
                };
                for index in 0..list.len() {
                    push(Variant::Pack {
                        index: index as u16,
                        extra,
                    });
                }
            }
            Lineup::SoftwareKey {
                editions,
                devices,
                years,
                ..
            } => {
                let year_opts: Vec<u32> = if years.is_empty() {
                    vec![0]
                } else {
                    years.to_vec()
                };
                for (e, ed) in editions.iter().enumerate() {
                    let device_opts: Vec<u32> = if devices.is_empty() {
                        vec![0]
                    } else {
                        devices.to_vec()
                    };
                    let common = (ed.devices, year_opts[0]);
                    for &d in &device_opts {
                        for &y in &year_opts {
                            let is_common = (d, y) == common;
                            if (tier == 0 && is_common) || (tier == 1 && !is_common) {
                                push(Variant::Edition {
                                    edition: e as u8,
                                    devices: d,
                                    years: y,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Tier 2: whole steps; tier 3: half steps; tier 4: quarter steps. Amounts in
/// quarters; listed denominations are skipped (they are tiers 0–1).
fn open_amounts(
    open: (u32, u32, u32),
    listed: &[u32],
    tier: usize,
    push: &mut impl FnMut(Variant),
) {
    let (min, max, step) = (
        u64::from(open.0),
        u64::from(open.1),
        u64::from(open.2.max(1)),
    );
    let offsets: &[u64] = match tier {
        2 => &[0],
        3 => &[2],
        4 => &[1, 3],
        _ => &[],
    };
    let mut a = min;
    while a <= max {
        for off in offsets {
            let q = a * 4 + off * step;
            if q > max * 4 {
                continue;
            }
            if q % 4 == 0 && listed.iter().any(|&l| u64::from(l) * 4 == q) {
                continue;
            }
            push(Variant::Amount(q));
        }
        a += step;
    }
}

/// Converts face values to the account currency with the fixed rate table.
struct Pricing {
    account_to_usd: Decimal,
}

impl Pricing {
    fn new(account: &str) -> Self {
        // An account currency the table does not know is priced as if it were USD.
        let account_to_usd = currency(account).map_or(Decimal::ONE, to_usd);
        Self { account_to_usd }
    }

    fn wholesale(&self, face: Decimal, face_cur: &Currency, discount: Decimal) -> Decimal {
        let price = face * to_usd(face_cur) / self.account_to_usd * discount;
        money(price).max(Decimal::new(1, 2))
    }
}

fn to_usd(c: &Currency) -> Decimal {
    Decimal::new(c.to_usd.0, c.to_usd.1)
}

/// A shelf price in `cur` for a USD list price: `9.99`-style endings, round
/// hundreds or thousands where the currency has no minor unit in practice.
fn local_price(usd_cents: u64, cur: &Currency) -> Decimal {
    let usd = Decimal::new(usd_cents as i64, 2);
    let local = usd / to_usd(cur);
    let round_to = |unit: i64| (local / Decimal::from(unit)).round() * Decimal::from(unit);
    let p = if cur.decimals == 0 {
        if local < Decimal::from(1000) {
            round_to(10)
        } else if local < Decimal::from(10_000) {
            round_to(100)
        } else {
            round_to(1000)
        }
    } else if local < Decimal::from(100) {
        local.ceil() - Decimal::new(1, 2)
    } else if local < Decimal::from(1000) {
        round_to(10) - Decimal::new(1, 2)
    } else {
        round_to(100) - Decimal::ONE
    };
    money(p.max(Decimal::ONE))
}

fn build(
    lines: &[Line],
    c: Candidate,
    seed: u64,
    pricing: &Pricing,
    account: &Arc<str>,
    base: DateTime<Utc>,
) -> Product {
    let line = &lines[c.line as usize];
    let brand = line.brand;
    let cur = line.currency;
    let (sku, name, face) = match (c.variant, &brand.lineup) {
        (Variant::Amount(q), Lineup::GiftCard { stem, .. } | Lineup::MobileTopup { stem, .. }) => (
            format!("{}-{}-{}", brand.code, line.region, amount_code(q)),
            format!("{stem} {}{}", face_label(cur, q), line.suffix),
            money(Decimal::from(q) / Decimal::from(4)),
        ),
        (
            Variant::Pack { index, extra },
            Lineup::GameTopup {
                unit,
                packs,
                extra_packs,
                ..
            },
        ) => {
            let list = if extra { extra_packs } else { packs };
            let (units, cents) = list
                .get(usize::from(index))
                .map_or((0, 0), |p| (p.units, p.usd_cents));
            (
                format!("{}-{}-{units}", brand.code, line.region),
                format!(
                    "{} {} {unit}{}",
                    brand.name,
                    group(u64::from(units)),
                    line.suffix
                ),
                local_price(u64::from(cents), cur),
            )
        }
        (
            Variant::Edition {
                edition,
                devices,
                years,
            },
            Lineup::SoftwareKey { editions, .. },
        ) => {
            let ed = &editions[usize::from(edition)];
            let mut code = ed.code.to_owned();
            let mut label = format!("{} {}", brand.name, ed.label);
            let mut cents = u64::from(ed.usd_cents);
            if devices > 0 {
                code.push_str(&format!("{devices}D"));
                label.push_str(&format!(
                    " {devices} {}",
                    if devices == 1 { "Device" } else { "Devices" }
                ));
                // Each seat above or below the usual count moves the price by 20%.
                let pct = (100 + 20 * (i64::from(devices) - i64::from(ed.devices))).max(60);
                cents = cents * pct as u64 / 100;
            }
            if years > 0 {
                code.push_str(&format!("{years}Y"));
                label.push_str(&format!(
                    " {years} {}",
                    if years == 1 { "Year" } else { "Years" }
                ));
                cents = cents * (100 + 80 * (u64::from(years) - 1)) / 100;
            }
            label.push_str(&line.suffix);
            (
                format!("{}-{}-{code}", brand.code, line.region),
                label,
                local_price(cents, cur),
            )
        }
        // Variants are only created for their own line-up; keep a sane fallback.
        _ => (
            format!("{}-{}-X{}", brand.code, line.region, c.line),
            brand.name.to_owned(),
            Decimal::ONE,
        ),
    };

    let mut rng = SplitMix64::for_key(seed, &sku);
    let mut discount = Decimal::new(8500 + rng.below(1201) as i64, 4);
    let (mut in_stock, mut quantity) = match rng.below(100) {
        0..4 => (false, Some(0)),
        4..40 => (true, Some(1 + rng.below(500) as u32)),
        _ => (true, None),
    };
    if sku == DEMO_SKU {
        // The demo product is always sellable, at the contract's example price.
        discount = Decimal::new(92, 2);
        (in_stock, quantity) = (true, None);
    }
    Product {
        wholesale_price: pricing.wholesale(face, cur, discount),
        sku: Arc::from(sku),
        name,
        brand: brand.name,
        category: brand.category,
        region: line.region,
        face_value: face,
        face_currency: cur.code,
        currency: Arc::clone(account),
        in_stock,
        quantity,
        redeem_url: Arc::clone(&line.redeem_url),
        redeem_instructions: brand.instructions,
        updated_at: base - chrono::Duration::seconds(i64::from(rng.below(30 * 86_400) as u32)),
    }
}

/// `20`, `37.50`: the face part of a sku.
fn amount_code(q: u64) -> String {
    match q % 4 {
        0 => format!("{}", q / 4),
        r => format!("{}.{}", q / 4, r * 25),
    }
}

/// `$20`, `₹1,000`, `€37.50`, `50 zł`.
fn face_label(cur: &Currency, q: u64) -> String {
    let frac = match q % 4 {
        0 => "",
        1 => ".25",
        2 => ".50",
        _ => ".75",
    };
    format!("{}{}{frac}{}", cur.prefix, group(q / 4), cur.suffix)
}

/// Thousands separators: `13500` → `13,500`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashSet;
    use std::time::Instant;

    use super::*;
    use crate::catalog_data::Category;

    fn config(products: usize, seed: u64) -> SandboxConfig {
        SandboxConfig {
            products,
            seed,
            ..SandboxConfig::default()
        }
    }

    fn find<'a>(ps: &'a [Product], sku: &str) -> &'a Product {
        ps.iter().find(|p| &*p.sku == sku).unwrap()
    }

    #[test]
    fn exact_count_unique_skus_sorted() {
        for n in [1, 10, 49, 50, 500, 2000, 5000, 30_000] {
            let ps = generate(&config(n, 7));
            assert_eq!(ps.len(), n, "n={n}");
            let skus: HashSet<&str> = ps.iter().map(|p| &*p.sku).collect();
            assert_eq!(skus.len(), n, "unique skus for n={n}");
            assert!(ps.windows(2).all(|w| w[0].sku < w[1].sku));
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = generate(&config(3000, 42));
        let b = generate(&config(3000, 42));
        let c = generate(&config(3000, 43));
        let rows = |ps: &[Product]| -> Vec<String> {
            ps.iter()
                .map(|p| serde_json::to_string(&p.wire()).unwrap())
                .collect()
        };
        assert_eq!(rows(&a), rows(&b));
        assert_ne!(rows(&a), rows(&c));
    }

    #[test]
    fn demo_product_is_always_there() {
        for n in [1, 50, 51, 2000] {
            for seed in 0..5 {
                let ps = generate(&config(n, seed));
                let p = find(&ps, DEMO_SKU);
                assert_eq!(p.name, "Steam Gift Card $20");
                assert_eq!(p.face_value.to_string(), "20.00");
                assert_eq!(p.wholesale_price.to_string(), "18.40");
                assert!(p.available());
            }
        }
    }

    #[test]
    fn names_read_naturally() {
        let ps = generate(&config(2000, 42));
        let names: HashSet<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        for expected in [
            "Google Play Gift Card ₹500",
            "PUBG Mobile 660 UC",
            "Jio Prepaid Recharge ₹239",
            "Steam Gift Card €20 (DE)",
            "Fortnite 2,800 V-Bucks (US)",
            "Norton 360 Deluxe 5 Devices 1 Year (Global)",
            "Windows 11 Pro Retail Key (Global)",
            "Amazon Gift Card ¥5,000",
        ] {
            assert!(names.contains(expected), "missing {expected:?}");
        }
        let amazon_de = find(&ps, "AMAZON-DE-50");
        assert_eq!(
            amazon_de.redeem_url.as_ref(),
            "https://www.amazon.de/gc/redeem"
        );
        let pubg = find(&ps, "PUBGM-GLOBAL-660");
        assert_eq!(pubg.face_value.to_string(), "9.99");
        assert_eq!(pubg.category, Category::GameTopup);
    }

    #[test]
    fn prices_are_discounted_conversions() {
        let ps = generate(&config(5000, 42));
        for p in &ps {
            let cur = currency(p.face_currency).unwrap();
            let usd = p.face_value * to_usd(cur);
            assert!(
                p.wholesale_price >= money(usd * Decimal::new(85, 2)) - Decimal::new(1, 2)
                    && p.wholesale_price <= money(usd * Decimal::new(97, 2)) + Decimal::new(1, 2),
                "{} {} {}",
                p.sku,
                p.face_value,
                p.wholesale_price
            );
            assert_eq!(p.wholesale_price.scale(), 2);
            assert!(p.sku.is_ascii() && p.sku.to_ascii_uppercase() == *p.sku);
        }
        let out = ps.iter().filter(|p| !p.available()).count();
        assert!(out > 0 && out < ps.len() / 10, "a few out of stock: {out}");
        assert!(ps.iter().any(|p| p.quantity.is_none()));
        assert!(ps.iter().any(|p| matches!(p.quantity, Some(q) if q > 0)));
    }

    #[test]
    fn same_sku_same_attributes_whatever_n() {
        let small = generate(&config(2000, 9));
        let large = generate(&config(20_000, 9));
        let p = find(&small, "STEAM-GB-20");
        let q = find(&large, "STEAM-GB-20");
        assert_eq!(p.wholesale_price, q.wholesale_price);
        assert_eq!(p.quantity, q.quantity);
    }

    #[test]
    fn hundred_thousand_products_generate_quickly() {
        let started = Instant::now();
        let ps = generate(&config(100_000, 42));
        let took = started.elapsed();
        assert_eq!(ps.len(), 100_000);
        // Debug builds are slow; release takes a fraction of this.
        eprintln!("100k products in {took:?}");
        assert!(took.as_secs_f64() < 5.0, "took {took:?}");
        let open = find(&ps, DEMO_SKU);
        assert_eq!(open.name, "Steam Gift Card $20");
    }

    #[test]
    fn two_hundred_thousand_is_possible() {
        let ps = generate(&config(200_000, 1));
        assert_eq!(ps.len(), 200_000);
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(group(5), "5");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(2_000_000), "2,000,000");
        assert_eq!(amount_code(150), "37.50");
        assert_eq!(amount_code(80), "20");
        let jpy = currency("JPY").unwrap();
        assert_eq!(local_price(999, jpy).to_string(), "1500.00");
        let usd = currency("USD").unwrap();
        assert_eq!(local_price(43999, usd).to_string(), "439.99");
    }
}
