//! Reloadly Gift Cards (and its Airtime sibling) as a faithful fake, over the
//! sandbox's catalog, ledger and faults. What real Reloadly does, it does here:
//! OAuth client-credentials tokens that expire, a versioned `Accept` header, Spring
//! pages whose `page` parameter starts at 1 while `pageable.pageNumber` starts at 0,
//! denomination maps keyed by strings such as `"20.0"`, amounts as JSON numbers, codes
//! fetched apart from the order (and late, when asked), a repeated `customIdentifier`
//! refused with `CUSTOM_IDENTIFIER_ALREADY_USED`, report filters read in UTC-4, and the
//! error envelope `{timeStamp, message, path, errorCode, infoLink, details}`.
//!
//! Each Reloadly product groups the sandbox products of one brand, region and face
//! currency; each of its fixed denominations is one sandbox sku, so the `/_sandbox`
//! controls (stock, price, pending, faults) take the sandbox skus as before.
//! `/_sandbox/reloadly` sets the quirks that have no Wholesale equivalent.

mod airtime;
mod auth;
mod controls;
mod envelope;
mod gate;
mod orders;
mod products;
mod spring;

use std::sync::Mutex;

use axum::Router;
use axum::routing::{get, post};

pub(crate) use auth::Tokens;
pub(crate) use envelope::{spring_method_not_allowed, spring_not_found};
pub(crate) use products::Index;

use crate::catalog::Product;
use crate::config::Flavor;
use crate::state::SandboxState;

/// The client id the fake accepts; the secret is the sandbox's API key.
pub const CLIENT_ID: &str = "sandbox-client";

/// The media types of each API's version 1.
pub(crate) const GIFTCARDS_ACCEPT: &str = "application/com.reloadly.giftcards-v1+json";
pub(crate) const TOPUPS_ACCEPT: &str = "application/com.reloadly.topups-v1+json";

/// Behaviours of real Reloadly that tests switch on (`POST /_sandbox/reloadly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Quirks {
    /// `expires_in` of new tokens.
    pub token_ttl_s: u64,
    /// Codes appear this long after an order succeeds (`/cards` is not ready before).
    pub cards_delay_ms: u64,
    /// `/cards` of an order not ready: 404 (false) or `[]` (true).
    pub cards_empty_while_processing: bool,
    /// `/cards` as one object instead of an array (single-card orders).
    pub cards_as_object: bool,
    /// When set, the duplicate check runs this long before the order is made and
    /// without a lock: two POSTs with one `customIdentifier` both execute.
    pub duplicate_race_ms: Option<u64>,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            token_ttl_s: 86_400,
            cards_delay_ms: 0,
            cards_empty_while_processing: false,
            cards_as_object: false,
            duplicate_race_ms: None,
        }
    }
}

/// The Reloadly flavors' part of the sandbox state.
pub(crate) struct Extra {
    pub index: Index,
    pub tokens: Mutex<Tokens>,
    pub quirks: Mutex<Quirks>,
}

impl Extra {
    pub(crate) fn new(flavor: Flavor, products: &[Product]) -> Self {
        let index = match flavor {
            Flavor::Wholesale | Flavor::Bamboo | Flavor::Ding => Index::default(),
            Flavor::Reloadly | Flavor::ReloadlyAirtime => Index::build(products),
        };
        Extra {
            index,
            tokens: Mutex::new(Tokens::default()),
            quirks: Mutex::new(Quirks::default()),
        }
    }

    /// `RLD-<productId>-<face>` (airtime: `RLA-<operatorId>-<face>`).
    pub(crate) fn client_sku(&self, flavor: Flavor, product: &Product) -> Option<String> {
        let id = self.index.id_of(&product.sku)?;
        let prefix = if flavor == Flavor::ReloadlyAirtime {
            "RLA"
        } else {
            "RLD"
        };
        Some(format!("{prefix}-{id}-{}", product.face_value.normalize()))
    }
}

/// The routes of a Reloadly flavor: its API behind the gate, the token endpoint
/// (the fake is its own auth host) and its quirk control.
pub(crate) fn router(state: &SandboxState) -> Router<SandboxState> {
    let api = match state.flavor() {
        Flavor::ReloadlyAirtime => airtime::routes(),
        _ => Router::new()
            .route("/products", get(products::list))
            .route("/products/{id}", get(products::one))
            .route("/orders", post(orders::create))
            .route("/orders/transactions/{id}/cards", get(orders::cards))
            .route("/reports/transactions", get(orders::report))
            .route("/reports/transactions/{id}", get(orders::transaction)),
    }
    .route("/accounts/balance", get(products::balance))
    .route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        gate::gate,
    ));
    api.route("/oauth/token", post(auth::token))
        .route("/_sandbox/reloadly", post(controls::set).get(controls::get))
        .layer(axum::middleware::from_fn(envelope::finish))
}
