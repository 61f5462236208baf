//! Configuration: [`SandboxConfig`] for code, [`SandboxArgs`] for the command line
//! (shared by the `codetill-sandbox` binary and `codetill sandbox`).

use std::net::SocketAddr;

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// How many products to generate.
    pub products: usize,
    /// Seed for the catalog and for fault probabilities.
    pub seed: u64,
    /// The bearer token `/v1` requires.
    pub api_key: String,
    /// Account / wholesale currency (ISO 4217).
    pub currency: String,
    /// Starting account balance, in `currency`.
    pub initial_balance: Decimal,
    /// Which supplier API the sandbox speaks.
    pub flavor: Flavor,
}

/// The supplier API served over the same catalog, ledger and faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Flavor {
    /// Wholesale API v1 (`shared/contracts/supplier-api.md`).
    #[default]
    Wholesale,
    /// Reloadly Gift Cards: OAuth tokens, Spring pages, `customIdentifier`.
    Reloadly,
    /// Bamboo Card Portal: Basic auth, catalog v2, checkout then `GET orders/{RequestId}`.
    Bamboo,
    /// Ding Connect: `api_key`, `SendTransfer`, `ListTransferRecords`, UAT numbers.
    Ding,
    /// Reloadly Airtime: top-ups with PINs.
    #[value(name = "reloadly-airtime")]
    ReloadlyAirtime,
}

impl Flavor {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Wholesale => "wholesale",
            Flavor::Reloadly => "reloadly",
            Flavor::ReloadlyAirtime => "reloadly-airtime",
            Flavor::Bamboo => "bamboo",
            Flavor::Ding => "ding",
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            products: 2000,
            seed: 42,
            api_key: "sandbox-key".to_owned(),
            currency: "USD".to_owned(),
            initial_balance: Decimal::new(10_000_000, 2),
            flavor: Flavor::Wholesale,
        }
    }
}

/// Command-line arguments of the sandbox supplier.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700")]
    pub listen: SocketAddr,
    /// Number of products to generate.
    #[arg(long, default_value_t = 2000)]
    pub products: usize,
    /// Catalog seed (the same seed gives the same catalog).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The supplier API to serve.
    #[arg(long, value_enum, default_value_t = Flavor::Wholesale)]
    pub flavor: Flavor,
    /// API key clients must send as `Authorization: Bearer <key>` (Reloadly
    /// flavors: the client secret, with client id `sandbox-client`).
    #[arg(long, env = "CODETILL_SANDBOX_KEY", default_value = "sandbox-key")]
    pub api_key: String,
    /// Account currency of wholesale prices and balance.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Starting balance, a decimal string.
    #[arg(long, default_value = "100000.00")]
    pub balance: Decimal,
}

impl SandboxArgs {
    pub fn into_config(self) -> SandboxConfig {
        SandboxConfig {
            products: self.products,
            seed: self.seed,
            api_key: self.api_key,
            currency: self.currency.to_ascii_uppercase(),
            initial_balance: self.balance,
            flavor: self.flavor,
        }
    }
}
