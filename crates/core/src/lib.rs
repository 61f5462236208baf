//! codetill-core — the engine behind the counter, the owner's screens and the CLI.
//!
//! The shop holds no stock of codes. It keeps the wholesale supplier's catalog in a
//! local SQLite database, prices it for retail and buys codes from the supplier's API
//! only once a sale is paid. Nothing here knows about windows or terminals: progress,
//! secrets, alerts and time reach the outside world through small traits
//! ([`progress::ProgressSink`], [`secrets::SecretStore`], [`alerts::AlertSink`]) that
//! each front end implements.
//!
//! What each module owns:
//!
//! - [`till`] — the application layer both fronts stand on: one till's database,
//!   supplier, vault, engine and outbox; the counter's rules (one sale at a time,
//!   the audited reveal); the alerts its work raises; its background work
//!   ([`till::ticks`]: recovery, the outbox, the supplier check, the relay).
//! - [`orders`] — the sale state machine and the fulfilment engine (quote → paid →
//!   ordering → delivered, with look-up by `client_order_id` after any doubt), and
//!   the order document both fronts give out.
//! - [`catalog`] — the supplier's catalog: sync, FTS5 search, price rules and
//!   their review; [`product`] — one product as the shop keeps it; [`stock`] —
//!   availability with a short cache.
//! - [`pricing`] — retail from wholesale (fees, FX buffer, margin, rounding);
//!   [`money`] — `Decimal` with a currency, never a float; [`balance`] — the
//!   supplier's prepaid balance and its runway.
//! - [`supplier`] — the `Supplier` trait and its adapters; [`setup`] — how a till
//!   finds its supplier and vault from the settings and the secret store.
//! - [`delivery`] — receipts (ESC/POS, PDF), email, and the outbox that retries them.
//! - [`payments`] — payment providers for remote sales; [`remote`] — remote orders
//!   and what a payment event does to them; [`relay`] — the desktop's end of the
//!   relay (cursor, inbox, follow loop).
//! - [`alerts`] — rules over figures and events, kept in the database, told to an
//!   [`alerts::AlertSink`]; [`reconcile`] — each supplier's own history matched with
//!   our orders and its balance with the owner's top-ups.
//!   [`alerts::AlertSink`].
//! - [`shifts`] — a till's shifts and cash drawer, and their X- and Z-reports;
//!   [`reports`] — sales, cost and margin over a period, by time or by what sold.
//! - [`vault`] — codes encrypted at rest, with the key bound to its database;
//!   [`secrets`] — the OS keyring (environment first).
//! - [`staff`] — staff, roles and PIN sign-in, the one table of who may do what,
//!   and the tamper-evident audit log; [`backup`] — online backups of the
//!   database, their checked restore, and the daily copies.
//! - [`db`] — the pool, migrations and the sale path's write batches; [`settings`]
//!   — the shop's settings and the owner's settings form; [`error`] — the kind of
//!   each core error (input, refused, not set up, fault) for the fronts.
//!
//! How a counter sale flows: the front calls [`till::Till::sell_cash`]; the till
//! takes its one-sale guard and its engine ([`orders::Engine`], built once from
//! [`setup`]'s supplier and the bound vault); the engine quotes live
//! ([`orders::quote`]: price, stock, balance, margin floor), checks the tender
//! against the quote, commits the paid order with its `client_order_id` and the
//! move to `ordering` in one write batch, calls the supplier, and on an answer
//! writes the sealed codes, the status and the queued receipt and email in one
//! more batch. The till then raises any alert the outcome calls for (refund due,
//! failed) and the front chooses how the receipt and email go out
//! ([`till::Till::send_soon`] in the background, [`till::Till::send_now`] waited for).
#![forbid(unsafe_code)]

pub mod alerts;
pub mod backup;
pub mod balance;
mod base_url;
pub mod buyers;
pub mod catalog;
pub mod db;
pub mod delivery;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod fx;
pub mod http_body;
mod language;
pub mod money;
pub mod orders;
pub mod payments;
pub mod pricing;
mod printer_spec;
pub mod product;
pub mod progress;
pub mod reconcile;
pub mod relay;
pub mod remote;
pub mod reports;
pub mod secrets;
pub mod settings;
pub mod setup;
pub mod shifts;
pub mod staff;
pub mod stock;
pub mod supplier;
pub mod support;
pub mod tax;
pub mod till;
pub mod vault;
