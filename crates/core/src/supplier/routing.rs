//! The suppliers a till buys from, by account name, and which of them are in
//! routing now. A supplier that stops answering is taken out of routing (its offers
//! are tried last) until it answers a health check again; a disabled account still
//! finishes the orders it holds but is offered no new sale.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::Supplier;

/// The name the shop's single supplier (from the environment or the settings) goes
/// by where a name is shown: its offers and orders carry no account name.
pub const SHOP_SUPPLIER: &str = "default";

/// How a supplier's name is shown.
pub fn display_name(name: Option<&str>) -> &str {
    name.unwrap_or(SHOP_SUPPLIER)
}

struct Entry {
    name: Option<String>,
    supplier: Arc<dyn Supplier>,
    enabled: bool,
}

#[derive(Default)]
pub struct Suppliers {
    entries: Vec<Entry>,
    /// Suppliers out of routing, with why.
    down: RwLock<HashMap<Option<String>, String>>,
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
        self.entries.push(Entry {
            name,
            supplier,
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
            .map(|e| e.supplier.clone())
    }

    /// The supplier `name`, if it may be offered new sales (enabled).
    pub fn routable(&self, name: Option<&str>) -> Option<Arc<dyn Supplier>> {
        self.entries
            .iter()
            .find(|e| e.enabled && e.name.as_deref() == name)
            .map(|e| e.supplier.clone())
    }

    /// The first enabled supplier: the shop's single one when configured.
    pub fn primary(&self) -> Option<(Option<&str>, Arc<dyn Supplier>)> {
        self.entries
            .iter()
            .find(|e| e.enabled)
            .map(|e| (e.name.as_deref(), e.supplier.clone()))
    }

    /// Every supplier, enabled or not, in the order added.
    pub fn all(&self) -> impl Iterator<Item = (Option<&str>, &Arc<dyn Supplier>, bool)> {
        self.entries
            .iter()
            .map(|e| (e.name.as_deref(), &e.supplier, e.enabled))
    }

    pub fn is_up(&self, name: Option<&str>) -> bool {
        self.down
            .read()
            .map(|d| !d.contains_key(&name.map(str::to_string)))
            .unwrap_or(true)
    }

    /// Takes `name` out of routing; true when it was in.
    pub fn mark_down(&self, name: Option<&str>, why: &str) -> bool {
        let Ok(mut down) = self.down.write() else {
            return false;
        };
        let fresh = down
            .insert(name.map(str::to_string), why.to_string())
            .is_none();
        if fresh {
            tracing::warn!(
                supplier = display_name(name),
                reason = why,
                "supplier out of routing"
            );
        }
        fresh
    }

    /// Puts `name` back in routing; true when it was out.
    pub fn mark_up(&self, name: Option<&str>) -> bool {
        let back = self
            .down
            .write()
            .map(|mut d| d.remove(&name.map(str::to_string)).is_some())
            .unwrap_or(false);
        if back {
            tracing::info!(supplier = display_name(name), "supplier back in routing");
        }
        back
    }

    /// The suppliers out of routing, with why.
    pub fn down(&self) -> Vec<(Option<String>, String)> {
        self.down
            .read()
            .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
}
