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
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            products: 2000,
            seed: 42,
            api_key: "sandbox-key".to_owned(),
            currency: "USD".to_owned(),
            initial_balance: Decimal::new(10_000_000, 2),
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
    /// API key clients must send as `Authorization: Bearer <key>`.
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
        }
    }
}
