//! The suppliers a till buys from, by account name, and which of them are in
//! routing now. A supplier that stops answering is taken out of routing (its offers
//! are tried last) until it answers a health check again; a disabled account still
//! finishes the orders it holds but is offered no new sale.

use std::sync::Arc;

use super::breaker::{Breaker, Guarded};
use super::{Supplier, SupplierError};

/// The name the shop's single supplier (from the environment or the settings) goes
/// by where a name is shown: its offers and orders carry no account name.
pub const SHOP_SUPPLIER: &str = "default";

/// How a supplier's name is shown.
pub fn display_name(name: Option<&str>) -> &str {
    name.unwrap_or(SHOP_SUPPLIER)
}

struct Entry {
    name: Option<String>,
    /// The supplier behind its breaker: what every caller is given.
    supplier: Arc<Guarded>,
    breaker: Arc<Breaker>,
    enabled: bool,
}

/// A supplier out of routing is one whose [breaker](super::breaker) is open.
#[derive(Default)]
pub struct Suppliers {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Suppliers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .entries
            .iter()
            .map(|e| display_name(e.name.as_deref()))
            .collect();
        f.debug_struct("Suppliers").field("names", &names).finish()
    }
}

impl Suppliers {
    /// The shop's single supplier, under no account name.
    pub fn single(supplier: Arc<dyn Supplier>) -> Suppliers {
        let mut all = Suppliers::default();
        all.add(None, supplier, true);
        all
    }

    /// Adds a supplier; `name` `None` is the shop's single supplier.
    pub fn add(&mut self, name: Option<String>, supplier: Arc<dyn Supplier>, enabled: bool) {
        self.entries.retain(|e| e.name != name);
        let breaker = Arc::new(Breaker::default());
        self.entries.push(Entry {
            supplier: Arc::new(Guarded::new(supplier, breaker.clone(), name.clone())),
            name,
            breaker,
            enabled,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// More than one supplier: offers are routed and orders may fail over.
    pub fn routes(&self) -> bool {
        self.entries.iter().filter(|e| e.enabled).count() > 1
    }

    /// The supplier that holds orders under `name`, enabled or not (an open order is
    /// always finished where it was sent).
    pub fn get(&self, name: Option<&str>) -> Option<Arc<dyn Supplier>> {
        self.entries
            .iter()
            .find(|e| e.name.as_deref() == name)
            .map(|e| e.supplier.clone() as Arc<dyn Supplier>)
    }

    /// The supplier `name`, if it may be offered new sales (enabled).
    pub fn routable(&self, name: Option<&str>) -> Option<Arc<dyn Supplier>> {
        self.entries
            .iter()
            .find(|e| e.enabled && e.name.as_deref() == name)
            .map(|e| e.supplier.clone() as Arc<dyn Supplier>)
    }

    /// The first enabled supplier: the shop's single one when configured.
    pub fn primary(&self) -> Option<(Option<&str>, Arc<dyn Supplier>)> {
        self.entries
            .iter()
            .find(|e| e.enabled)
            .map(|e| (e.name.as_deref(), e.supplier.clone() as Arc<dyn Supplier>))
    }

    /// Every supplier, enabled or not, in the order added.
    pub fn all(&self) -> impl Iterator<Item = (Option<&str>, Arc<dyn Supplier>, bool)> {
        self.entries.iter().map(|e| {
            (
                e.name.as_deref(),
                e.supplier.clone() as Arc<dyn Supplier>,
                e.enabled,
            )
        })
    }

    fn breaker(&self, name: Option<&str>) -> Option<&Breaker> {
        self.entries
            .iter()
            .find(|e| e.name.as_deref() == name)
            .map(|e| e.breaker.as_ref())
    }

    /// In routing: its breaker is closed (an unknown name counts as up).
    pub fn is_up(&self, name: Option<&str>) -> bool {
        self.breaker(name).is_none_or(|b| !b.is_open())
    }

    /// Takes `name` out of routing (opens its breaker); true when it was in.
    pub fn mark_down(&self, name: Option<&str>, why: &str) -> bool {
        let fresh = self.breaker(name).is_some_and(|b| b.open(why));
        if fresh {
            tracing::warn!(
                supplier = display_name(name),
                reason = why,
                "supplier out of routing"
            );
        }
        fresh
    }

    /// Puts `name` back in routing (closes its breaker); true when it was out.
    pub fn mark_up(&self, name: Option<&str>) -> bool {
        let back = self.breaker(name).is_some_and(Breaker::close);
        if back {
            tracing::info!(supplier = display_name(name), "supplier back in routing");
        }
        back
    }

    /// The suppliers out of routing, with why.
    pub fn down(&self) -> Vec<(Option<String>, String)> {
        self.entries
            .iter()
            .filter_map(|e| e.breaker.why().map(|why| (e.name.clone(), why)))
            .collect()
    }

    /// Asks `name` whether it is there even while its breaker is open (the health
    /// check); an answer puts it back in routing.
    pub async fn probe(&self, name: Option<&str>) -> Option<Result<(), SupplierError>> {
        let entry = self.entries.iter().find(|e| e.name.as_deref() == name)?;
        Some(entry.supplier.probe().await)
    }

    /// Probes every supplier that is down; true when one of them came back.
    pub async fn probe_down(&self) -> bool {
        let mut back = false;
        for (name, why) in self.down() {
            match self.probe(name.as_deref()).await {
                Some(Ok(_)) => back = true,
                Some(Err(e)) => tracing::info!(
                    supplier = display_name(name.as_deref()),
                    error = %e,
                    was = %why,
                    "supplier still down"
                ),
                None => {}
            }
        }
        back
    }
}
