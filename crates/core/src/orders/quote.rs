//! The quote: the retail price from the catalog, re-checked live at the supplier,
//! and the guards that refuse a sale before any money is taken.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;

use super::OrderError;
use crate::catalog;
use crate::db::{Db, DbError, now_text};
use crate::money::{Currency, Money};
use crate::pricing::ShopPricing;
use crate::product::{Product, ProductRow};
use crate::settings;
use crate::stock::StockCache;
use crate::supplier::{Stock, Supplier, SupplierError, Suppliers};
use sqlx::Row;

/// Why a sale is refused before payment. Nothing has been charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    #[error("{sku} is discontinued by the supplier")]
    Discontinued { sku: String },
    #[error("{sku} is out of stock at the supplier")]
    OutOfStock { sku: String },
    #[error("the supplier balance {available} does not cover the wholesale price {needed}")]
    BalanceTooLow { available: String, needed: String },
    #[error("the margin {margin} is below the owner's floor {floor}")]
    BelowFloor { margin: String, floor: String },
    #[error("the supplier cannot be asked about {sku} right now: {message}")]
    SupplierUnavailable { sku: String, message: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub product: Product,
    /// What the buyer pays.
    pub price: Money,
    /// What the supplier charges now (live), sent as the order's max_unit_price.
    pub wholesale: Money,
    pub available_quantity: Option<u64>,
    pub margin: Money,
    /// Units of the sale currency per unit of the wholesale currency (1 when the same).
    #[serde(with = "rust_decimal::serde::str")]
    pub fx_rate: Decimal,
    /// The face value the buyer chose, for an open-amount product (then also
    /// `product.face_value`).
    pub chosen_amount: Option<Money>,
    /// The category's tax rate and the shop's invoice terms, as read for this
    /// quote: the sale made from it takes them from here rather than asking again.
    #[serde(skip)]
    pub(crate) tax: (Option<Decimal>, Option<crate::tax::InvoiceTerms>),
}

/// How long a fetched supplier balance is trusted, and when it counts as low enough
/// to re-check before every sale.
const BALANCE_FRESH: Duration = Duration::from_secs(60);
const BALANCE_LOW_MULTIPLE: i64 = 5;

/// Quotes `sku` for one unit, live. Refusals are [`OrderError::Refused`]. An
/// open-amount product needs `amount` (its face value, in the face currency, within
/// its bounds); a fixed one refuses it.
///
/// With several suppliers the card's offers are tried cheapest first, suppliers in
/// routing before those out of it: a refusal (out of stock, balance, the floor, a
/// supplier that does not answer) moves to the next offer, and the sale is refused
/// only when every offer is. A supplier that does not answer leaves routing.
pub async fn quote(
    db: &Db,
    suppliers: &Suppliers,
    stock: &StockCache,
    sku: &str,
    amount: Option<Decimal>,
) -> Result<Quote, OrderError> {
    let (product, pricing, cached) = read_inputs(db, sku).await?;
    if !suppliers.routes() {
        let Some(supplier) = suppliers.routable(product.supplier.as_deref()) else {
            return Err(OrderError::Refused(unavailable(&product)));
        };
        let source = StockSource::Live(stock);
        return quote_offer(
            db,
            supplier.as_ref(),
            product,
            &pricing,
            cached,
            amount,
            source,
        )
        .await;
    }
    let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
    let mut offers = catalog::offers(&mut conn, &product).await?;
    drop(conn);
    if offers.is_empty() {
        offers.push(product);
    }
    // Stable: cheapest first within each tier.
    offers.sort_by_key(|o| {
        let name = o.supplier.as_deref();
        (
            suppliers.routable(name).is_none(),
            !suppliers.is_up(name),
            !o.in_stock,
        )
    });
    let mut first_refusal = None;
    for offer in offers {
        let name = offer.supplier.clone();
        let Some(supplier) = suppliers.routable(name.as_deref()) else {
            first_refusal.get_or_insert(unavailable(&offer));
            continue;
        };
        let cached = match &name {
            None => cached,
            Some(n) => cached_balance(db, Some(n)).await?,
        };
        let source = StockSource::Live(stock);
        match quote_offer(
            db,
            supplier.as_ref(),
            offer,
            &pricing,
            cached,
            amount,
            source,
        )
        .await
        {
            Ok(quote) => {
                suppliers.mark_up(name.as_deref());
                return Ok(quote);
            }
            Err(OrderError::Refused(refusal)) => {
                if let Refusal::SupplierUnavailable { message, .. } = &refusal {
                    suppliers.mark_down(name.as_deref(), message);
                }
                tracing::info!(supplier = ?name, %refusal, "offer refused, trying the next");
                first_refusal.get_or_insert(refusal);
            }
            Err(e) => return Err(e),
        }
    }
    Err(OrderError::Refused(first_refusal.unwrap_or(
        Refusal::SupplierUnavailable {
            sku: sku.trim().to_string(),
            message: "no supplier offers it".into(),
        },
    )))
}

/// The offer's supplier is not one this till may sell from (disabled, removed).
fn unavailable(product: &Product) -> Refusal {
    Refusal::SupplierUnavailable {
        sku: product.sku.clone(),
        message: format!(
            "its supplier {} is not enabled",
            crate::supplier::routing::display_name(product.supplier.as_deref())
        ),
    }
}

/// Where a quote's stock and wholesale price come from.
#[derive(Clone, Copy)]
enum StockSource<'a> {
    /// Asked live at the supplier (every sale), the answer kept in the cache.
    Live(&'a StockCache),
    /// The supplier is down: its last answer, else the catalog (a claim).
    Known(&'a StockCache),
}

/// One offer, quoted at its supplier.
async fn quote_offer(
    db: &Db,
    supplier: &dyn Supplier,
    mut product: Product,
    pricing: &ShopPricing,
    cached: Option<(Money, Duration)>,
    amount: Option<Decimal>,
    source: StockSource<'_>,
) -> Result<Quote, OrderError> {
    let account = product.supplier.clone();
    let chosen = match (&product.open_amount, amount) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(OrderError::BadInput(format!(
                "amount: {} has a fixed face value of {}",
                product.sku, product.face_value
            )));
        }
        (Some(open), None) => {
            return Err(OrderError::BadInput(format!(
                "amount: {} is an open-amount product: give a face value from {} to {} {}",
                product.sku,
                open.min.amount_string(),
                open.max.amount_string(),
                open.min.currency
            )));
        }
        (Some(open), Some(a)) => {
            let face = Money::new(a, open.min.currency);
            open.check(&face).map_err(OrderError::BadInput)?;
            face.to_minor()
                .map_err(|e| OrderError::BadInput(format!("amount: {e}")))?;
            Some(face)
        }
    };
    if product.discontinued {
        return Err(OrderError::Refused(Refusal::Discontinued {
            sku: product.sku,
        }));
    }
    let stock = match source {
        StockSource::Live(stock_cache) => {
            match stock_cache.live(supplier, product.sku_at_supplier()).await {
                Ok(s) => s,
                Err(SupplierError::Rejected { .. }) => {
                    return Err(OrderError::Refused(Refusal::Discontinued {
                        sku: product.sku,
                    }));
                }
                Err(e) => {
                    return Err(OrderError::Refused(Refusal::SupplierUnavailable {
                        sku: product.sku,
                        message: e.to_string(),
                    }));
                }
            }
        }
        // The supplier's last answer about it, else the catalog's.
        StockSource::Known(stock_cache) => stock_cache
            .last_known(product.sku_at_supplier())
            .unwrap_or_else(|| Stock {
                sku: product.sku_at_supplier().to_string(),
                available: product.in_stock,
                quantity: None,
                wholesale: product.wholesale,
            }),
    };
    if !stock.available || stock.quantity == Some(0) {
        return Err(OrderError::Refused(Refusal::OutOfStock {
            sku: product.sku,
        }));
    }
    let wholesale = match (&product.open_amount, &chosen) {
        // The supplier's live answer is for the smallest amount; the chosen one costs
        // what the product's terms say.
        (Some(open), Some(face)) => {
            product.face_value = *face;
            open.cost(face)
                .map_err(|e| OrderError::BadInput(format!("amount: {e}")))?
        }
        _ => stock.wholesale.ceil_to_minor(),
    };
    let rule = pricing.rules.rule_for(product.category).clone();
    // The live cost and today's rate decide the price; the catalog's price is only
    // what listings show.
    let priced = pricing.retail(product.category, wholesale)?;
    let price = priced.retail;
    let cost_here = Money::new(wholesale.amount * priced.fx_rate, price.currency);
    // Prices include the category's tax: the floor guards what the shop keeps
    // after it, rounded down (a margin is never over-stated).
    let (tax_rate, invoice) = crate::tax::for_sale(db, product.category).await?;
    let kept = tax_rate.map_or(price, |r| crate::tax::split_inclusive(price, r).net);
    let margin = Money::new(
        rule.margin(kept, cost_here).round_dp_with_strategy(
            price.currency.exponent(),
            rust_decimal::RoundingStrategy::ToNegativeInfinity,
        ),
        price.currency,
    );
    if let Some(floor) = rule.floor
        && floor.currency == margin.currency
        && margin.amount < floor.amount
    {
        return Err(OrderError::Refused(Refusal::BelowFloor {
            margin: margin.to_string(),
            floor: floor.to_string(),
        }));
    }
    match source {
        StockSource::Live(_) => {
            check_balance(db, supplier, account.as_deref(), cached, &wholesale).await?
        }
        // The supplier cannot be asked: the last balance it gave must cover it.
        StockSource::Known(_) => {
            if let Some((balance, _)) = cached
                && balance.currency == wholesale.currency
                && balance.amount < wholesale.amount
            {
                return Err(OrderError::Refused(Refusal::BalanceTooLow {
                    available: balance.to_string(),
                    needed: wholesale.to_string(),
                }));
            }
        }
    }
    Ok(Quote {
        product,
        price,
        wholesale,
        available_quantity: stock.quantity,
        margin,
        fx_rate: priced.fx_rate,
        chosen_amount: chosen,
        tax: (tax_rate, invoice),
    })
}

/// A quote for a claim: the supplier cannot be asked, so the price comes from its
/// last answers (the stock cache, else the catalog) under today's rules, and every
/// guard that can be checked without it still refuses (discontinued, out of stock
/// when it last said so, the margin floor, a balance it last gave too low). The
/// product's own supplier; a claim is bought there when it answers.
pub async fn quote_known(
    db: &Db,
    suppliers: &Suppliers,
    stock: &StockCache,
    sku: &str,
    amount: Option<Decimal>,
) -> Result<Quote, OrderError> {
    let (product, pricing, cached) = read_inputs(db, sku).await?;
    let Some(supplier) = suppliers.routable(product.supplier.as_deref()) else {
        return Err(OrderError::Refused(unavailable(&product)));
    };
    let cached = match &product.supplier {
        None => cached,
        Some(n) => cached_balance(db, Some(n)).await?,
    };
    let source = StockSource::Known(stock);
    quote_offer(
        db,
        supplier.as_ref(),
        product,
        &pricing,
        cached,
        amount,
        source,
    )
    .await
}

/// The supplier balance must cover the cost. A cached figure serves while it is fresh
/// and comfortably above the cost; otherwise it is fetched again.
async fn check_balance(
    db: &Db,
    supplier: &dyn Supplier,
    account: Option<&str>,
    cached: Option<(Money, Duration)>,
    cost: &Money,
) -> Result<(), OrderError> {
    let plenty = |b: &Money| {
        b.currency == cost.currency && b.amount >= cost.amount * Decimal::from(BALANCE_LOW_MULTIPLE)
    };
    let balance = match cached {
        Some((b, age)) if age < BALANCE_FRESH && plenty(&b) => b,
        _ => match supplier.balance().await {
            Ok(b) => {
                store_balance(db, account, &b.available).await?;
                b.available
            }
            Err(e) => {
                return Err(OrderError::Refused(Refusal::SupplierUnavailable {
                    sku: String::new(),
                    message: e.to_string(),
                }));
            }
        },
    };
    if balance.currency == cost.currency && balance.amount < cost.amount {
        return Err(OrderError::Refused(Refusal::BalanceTooLow {
            available: balance.to_string(),
            needed: cost.to_string(),
        }));
    }
    Ok(())
}

/// A basket's whole cost at the supplier account `account` against its balance, as
/// a single sale's cost is checked.
pub(super) async fn check_total_balance(
    db: &Db,
    suppliers: &Suppliers,
    account: Option<&str>,
    cost: &Money,
) -> Result<(), OrderError> {
    let Some(supplier) = suppliers.get(account) else {
        return Err(OrderError::Refused(Refusal::SupplierUnavailable {
            sku: String::new(),
            message: format!("no supplier account {:?}", account.unwrap_or_default()),
        }));
    };
    let cached = cached_balance(db, account).await?;
    check_balance(db, supplier.as_ref(), account, cached, cost).await
}

const BALANCE_KEY: &str = "supplier.balance";

/// Where the balance of supplier account `account` is cached.
fn balance_key(account: Option<&str>) -> String {
    match account {
        None => BALANCE_KEY.to_string(),
        Some(name) => format!("{BALANCE_KEY}/{name}"),
    }
}

async fn cached_balance(
    db: &Db,
    account: Option<&str>,
) -> Result<Option<(Money, Duration)>, OrderError> {
    Ok(settings::get(db.pool(), &balance_key(account))
        .await?
        .and_then(|v| parse_balance(&v)))
}

/// What a quote reads from the shop's database, in one round trip (it is on every
/// sale's path): the product (an unknown sku is refused), the price rules and the
/// cached supplier balance; the shop's currency and its rates only when the shop
/// sells in a currency of its own.
async fn read_inputs(
    db: &Db,
    sku: &str,
) -> Result<(Product, ShopPricing, Option<(Money, Duration)>), OrderError> {
    // The two settings ride on the product's row: a round trip fewer on
    // PostgreSQL, which sends the statements one at a time.
    let sql = format!(
        "SELECT 'product' AS part, {},
                (SELECT value FROM settings WHERE key = $2) AS balance_value,
                (SELECT value FROM settings WHERE key = $3) AS shop_value
           FROM products p WHERE p.sku = $1;
         SELECT 'rule' AS part, {} FROM price_rules",
        ProductRow::COLUMNS,
        catalog::RULE_COLUMNS
    );
    let query = |sql| {
        sqlx::query(sql)
            .bind(sku.trim())
            .bind(BALANCE_KEY)
            .bind(settings::SHOP_CURRENCY)
    };
    let rows = if db.is_postgres() {
        // PostgreSQL prepares one statement at a time: both in turn, each with
        // all three values (it lets a statement leave typed ones unused).
        let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
        let mut rows = Vec::new();
        for statement in sql.split(';') {
            rows.extend(
                query(statement)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(DbError::from)?,
            );
        }
        rows
    } else {
        query(&sql)
            .fetch_all(db.pool())
            .await
            .map_err(DbError::from)?
    };
    let (mut product, mut rules, mut balance, mut shop) = (None, Vec::new(), None, None);
    for row in rows {
        if row.try_get::<&str, _>("part").map_err(DbError::from)? == "rule" {
            rules.push(row);
            continue;
        }
        let setting = |name| {
            row.try_get::<Option<String>, _>(name)
                .map_err(DbError::from)
        };
        balance = setting("balance_value")?.as_deref().and_then(parse_balance);
        if let Some(code) = setting("shop_value")?.filter(|c| !c.trim().is_empty()) {
            shop = Some(Currency::parse(&code).map_err(|e| DbError::Corrupt {
                what: "settings",
                detail: format!("shop currency: {e}"),
            })?);
        }
        product = Some(catalog::product_from(&row)?);
    }
    let rates = match shop {
        Some(_) => crate::fx::all(db).await.map_err(|e| match e {
            crate::fx::FxError::Db(d) => d,
            other => DbError::Corrupt {
                what: "fx_rates",
                detail: other.to_string(),
            },
        })?,
        None => Vec::new(),
    };
    let pricing = ShopPricing {
        rules: catalog::rules_from(&rules)?,
        shop,
        rates,
    };
    let product = product.ok_or_else(|| OrderError::UnknownSku(sku.trim().to_string()))?;
    Ok((product, pricing, balance))
}

/// The cached balance as stored: "USD 1523.10 2026-11-30T10:00:00.000Z", and its age.
fn parse_balance(text: &str) -> Option<(Money, Duration)> {
    let mut parts = text.split(' ');
    let currency = Currency::parse(parts.next()?).ok()?;
    let money = Money::parse(parts.next()?, currency).ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(parts.next()?).ok()?;
    let age = chrono::Utc::now()
        .signed_duration_since(at)
        .to_std()
        .unwrap_or_default();
    Some((money, age))
}

async fn store_balance(db: &Db, account: Option<&str>, balance: &Money) -> Result<(), DbError> {
    settings::set(
        db.pool(),
        &balance_key(account),
        &format!(
            "{} {} {}",
            balance.currency,
            balance.amount_string(),
            now_text()
        ),
    )
    .await
}

/// Forget the cached balances (after a top-up, or when an order was refused for it).
pub async fn forget_balance(db: &Db) -> Result<(), DbError> {
    sqlx::query("DELETE FROM settings WHERE key = $1 OR key LIKE $1 || '/%'")
        .bind(BALANCE_KEY)
        .execute(db.pool())
        .await?;
    Ok(())
}
