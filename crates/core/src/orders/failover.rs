//! Failing over: a paid order its supplier refused for good (out of stock, the price
//! above the quoted maximum, its balance…), with nothing charged there, is bought
//! from the next offer of the same card under a new key, as a second attempt on the
//! same order. Only a final refusal moves an order: an outcome in doubt is always
//! settled at the supplier it was sent to first. The next offer must not cost more
//! than the buyer paid, at today's rate; without one, the order is refunded as before.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::{Order, OrderError};
use crate::catalog;
use crate::db::{Db, DbError};
use crate::money::Money;
use crate::product::Product;
use crate::supplier::{OrderRequest, Supplier, Suppliers};

/// The most attempts one order may make (the `orders.attempt` check).
const MAX_ATTEMPTS: u32 = 10;

/// The offer an order fails over to, checked live at its supplier.
pub(super) struct NextOffer {
    pub supplier: Arc<dyn Supplier>,
    pub product: Product,
    /// The live cost, sent as the new attempt's maximum unit price.
    pub max_unit_price: Money,
    /// Sale currency per unit of the new cost's currency.
    pub fx_rate: Decimal,
}

impl NextOffer {
    /// The new attempt's request, under `key`.
    pub fn request(&self, order: &Order, key: &str) -> OrderRequest {
        OrderRequest {
            client_order_id: key.to_string(),
            sku: self.product.sku_at_supplier().to_string(),
            quantity: order.quantity,
            max_unit_price: self.max_unit_price,
            face_value: order.open_amount.then_some(order.face_value),
        }
    }
}

/// The key attempt `attempt` of `order` is sent under: derived from the order's own,
/// so a look-up at any supplier can tell whose it is.
pub(super) fn attempt_key(order: &Order, attempt: u32) -> String {
    format!("{}-{attempt}", order.client_order_id)
}

/// The cheapest other offer of `order`'s card that a supplier not yet tried for this
/// order has in stock now, at a cost the price paid covers; `None` when there is none.
pub(super) async fn next_offer(
    db: &Db,
    suppliers: &Suppliers,
    order: &Order,
) -> Result<Option<NextOffer>, OrderError> {
    if !suppliers.routes() || order.attempt >= MAX_ATTEMPTS {
        return Ok(None);
    }
    let Some(product) = catalog::product_by_sku(db.pool(), &order.sku).await? else {
        return Ok(None);
    };
    let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
    let mut tried: Vec<Option<String>> =
        sqlx::query_scalar("SELECT supplier FROM order_attempts WHERE order_id = $1")
            .bind(order.id)
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::from)?;
    tried.push(order.supplier.clone());
    let mut offers: Vec<Product> = catalog::offers(&mut conn, &product)
        .await?
        .into_iter()
        .filter(|o| !tried.contains(&o.supplier))
        .collect();
    let pricing = catalog::load_pricing(&mut conn).await?;
    drop(conn);
    offers.sort_by_key(|o| (!suppliers.is_up(o.supplier.as_deref()), !o.in_stock));
    for offer in offers {
        let name = offer.supplier.as_deref();
        let Some(supplier) = suppliers.routable(name) else {
            continue;
        };
        let stock = match supplier.stock(offer.sku_at_supplier()).await {
            Ok(s) => s,
            Err(e) => {
                if e.is_transient() {
                    suppliers.mark_down(name, &e.to_string());
                }
                continue;
            }
        };
        if !stock.available || stock.quantity == Some(0) {
            continue;
        }
        let cost = match (&offer.open_amount, order.open_amount) {
            (Some(open), true) => {
                if open.check(&order.face_value).is_err() {
                    continue;
                }
                match open.cost(&order.face_value) {
                    Ok(c) => c,
                    Err(_) => continue,
                }
            }
            (None, false) => stock.wholesale.ceil_to_minor(),
            _ => continue,
        };
        let Ok(priced) = pricing.retail(offer.category, cost) else {
            continue;
        };
        // Never sold at a loss: the new cost, in the currency the buyer paid, must be
        // covered by what was paid.
        let cost_here = cost.amount * priced.fx_rate;
        if priced.retail.currency != order.price.currency || cost_here > order.price.amount {
            tracing::info!(
                order = %order.public_id,
                supplier = ?name,
                "next offer costs more than was paid: not taken"
            );
            continue;
        }
        return Ok(Some(NextOffer {
            supplier,
            product: offer,
            max_unit_price: cost,
            fx_rate: priced.fx_rate,
        }));
    }
    Ok(None)
}
