//! `codetill-sandbox`: a wholesale digital-goods supplier that serves Wholesale
//! API v1 (`shared/contracts/supplier-api.md`) with scriptable faults — the
//! default supplier for development and every test.
//!
//! How it fits together. [`SandboxState`] holds everything in memory behind one
//! `Arc`: the catalog (generated deterministically from a seed by
//! `catalog_gen` out of the tables in `catalog_data`, stored sorted by sku in
//! `catalog` and walked with keyset cursors from `cursor`), the ledger (balance,
//! orders, idempotency, pending orders; `ledger`, `codes`), the fault book and
//! latency (`faults`) and counters. [`app`] is the axum router: the contract's
//! `/v1` routes (`routes::v1`) sit behind one gate (`routes::gate`: latency,
//! bearer auth, counting, fault injection); `/_sandbox` routes
//! (`routes::controls`) script the state. [`serve`] runs its own accept loop
//! rather than `axum::serve` so that a fault can close a connection without
//! answering ([`ConnectionHandle`]). Order creation takes a per-key async lock
//! and runs in a detached task, so a concurrent POST with the same key waits and
//! then replays, and a client hanging up cannot cancel an order half made.
#![forbid(unsafe_code)]

mod catalog;
mod catalog_data;
mod catalog_gen;
mod codes;
mod config;
mod cursor;
mod error;
mod faults;
mod flavors;
mod foreground;
mod ledger;
mod prng;
mod routes;
mod server;
mod state;
mod wire;

use axum::Router;

pub use catalog_gen::DEMO_SKU;
pub use config::{Flavor, SandboxArgs, SandboxConfig};
pub use foreground::run_foreground;
pub use server::{ConnectionHandle, SandboxHandle, serve, spawn};
pub use state::{Counters, SandboxState};

/// The sandbox's HTTP routes over `state`; testable with
/// `tower::ServiceExt::oneshot` (faults that drop a connection answer 500
/// there, having no connection to drop).
pub fn app(state: SandboxState) -> Router {
    use flavors::{bamboo, ding, reloadly, wholesale};
    use routes::controls;
    let app = match state.flavor() {
        Flavor::Wholesale => wholesale::router(&state)
            .merge(controls::router())
            .fallback(routes::not_found)
            .method_not_allowed_fallback(routes::method_not_allowed),
        Flavor::Reloadly | Flavor::ReloadlyAirtime => reloadly::router(&state)
            .merge(controls::router())
            .fallback(reloadly::spring_not_found)
            .method_not_allowed_fallback(reloadly::spring_method_not_allowed),
        Flavor::Bamboo | Flavor::Ding => {
            let api = if state.flavor() == Flavor::Bamboo {
                bamboo::router(&state)
            } else {
                ding::router(&state)
            };
            api.merge(controls::router())
                .fallback(routes::not_found)
                .method_not_allowed_fallback(routes::method_not_allowed)
        }
    };
    app.with_state(state)
}
