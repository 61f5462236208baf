//! `codetill-relay`: the small internet-facing server between payment providers
//! and a shop's desktop behind NAT (`shared/contracts/relay-api.md`). Its one
//! promise: every payment event it answered 2xx reaches the desktop, once.
//!
//! How it fits together. A provider posts to `POST /in/{endpoint_id}`
//! (`routes::inbound`): the endpoint names the shop, the provider and its
//! secrets (sealed at rest with the master key, `crypto`); the body is checked
//! by the provider's scheme on the raw bytes (`verify`), only then counted
//! against the endpoint's rate (`limit`), and handed to the single writer task
//! (`ingest`), which commits whatever has queued up in one transaction (group
//! commit: one fsync for many events) and only then lets the handlers answer
//! 200. Inside that transaction each stored event takes its shop's next cursor
//! (`head`), so cursors are allocated per shop in commit order, and unique keys
//! on (shop, provider, event id) and on (shop, provider, body digest) turn a
//! duplicate, or a signed body replayed under a new unsigned event id, into
//! "already stored". After commit the writer wakes the shop's
//! waiting readers (`hub`; across instances through Postgres LISTEN/NOTIFY).
//! The desktop pulls with its bearer token (`routes::auth`) by long-poll or SSE
//! (`routes::events`, `routes::stream`) and acknowledges; the retention job
//! (`retention`) drops acknowledged bodies after the retention period.
//!
//! The store (`store`) is SQLite by default and PostgreSQL for several
//! instances. Both run one body (`store::sql`: the same statements in the same
//! order) over a small dialect (`store::dialect`) that holds only what the two
//! say differently: how a write transaction begins, `MAX` or `GREATEST`, and
//! what names an event's row. Inserting a batch of events is each database's
//! own (`store::sqlite_writer` on a native connection; `store::postgres` in a
//! few statements per batch), as that is where the time goes.
//!
//! The modules form layers without import loops (`scripts/module-loops.py`
//! checks): [`run`] (`server`) serves the router [`app`] on a listener until a
//! shutdown future resolves, and [`run_metrics`] serves [`metrics_app`] on a
//! private one, both through `listener` (connection cap, header, body and idle
//! timeouts); the handlers (`routes`) share a [`Relay`]
//! (`relay`: the state, which starts and stops the background tasks and opens
//! endpoints through the cache in `endpoints`); below them the writer, the hub,
//! retention, limits and metrics; then the store, verification, crypto and
//! settings. Every background task ends on one of the relay's flags (`flag`).
//! `admin` holds what the CLI's `shop`, `endpoint` and `token` commands do.
#![forbid(unsafe_code)]

pub mod admin;
mod app;
mod clock;
mod config;
mod crypto;
mod endpoints;
mod error;
mod flag;
mod hub;
mod ingest;
mod limit;
mod listener;
mod metrics;
mod relay;
mod retention;
mod routes;
mod server;
pub mod store;
pub mod verify;

pub use app::{app, metrics_app};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::RelayConfig;
pub use crypto::{MasterKey, hash_token};
pub use error::{CryptoError, RelayError, StoreError};
pub use relay::Relay;
pub use routes::BODY_LIMIT;
pub use server::{run, run_metrics, shutdown_signal};
pub use store::Store;
pub use verify::Provider;
