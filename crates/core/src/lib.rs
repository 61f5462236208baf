//! codetill-core — the engine behind the counter, the owner's screens and the CLI.
//!
//! The shop holds no stock of codes. It keeps the wholesale supplier's catalog in a
//! local SQLite database ([`db`], [`catalog`]), prices it for retail ([`pricing`],
//! [`money`]) and buys codes from the supplier's API ([`supplier`]) only once a sale is
//! paid. Nothing here knows about windows or terminals: progress, secrets and time reach
//! the outside world through small traits ([`progress::ProgressSink`],
//! [`secrets::SecretStore`]) that each front end implements.

pub mod alerts;
pub mod balance;
mod base_url;
pub mod catalog;
pub mod db;
pub mod delivery;
mod language;
pub mod money;
pub mod orders;
pub mod payments;
pub mod pricing;
mod printer_spec;
pub mod product;
pub mod progress;
pub mod relay;
pub mod remote;
pub mod secrets;
pub mod settings;
pub mod setup;
pub mod stock;
pub mod supplier;
pub mod vault;
