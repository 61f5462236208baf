//! The command line, as `shared/contracts/cli.md` lays it out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "codetill", version, about = "Point of sale for digital codes", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct Global {
    /// Data folder (database, receipts, logs).
    #[arg(long, global = true, env = "CODETILL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print exactly one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// More logging on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create or migrate the database; safe to repeat.
    Init,
    /// The wholesale supplier: where it is and the API key.
    #[command(subcommand)]
    Supplier(SupplierCommand),
    /// Import the supplier's catalog (incremental when a recent full walk exists).
    Sync(SyncArgs),
    /// Find products: sku, name, region, retail price, stock.
    Search(SearchArgs),
    /// Retail pricing rules.
    #[command(subcommand)]
    Pricing(PricingCommand),
    /// The supplier's prepaid balance.
    Balance,
    /// Run the sandbox supplier in the foreground.
    Sandbox(codetill_sandbox::SandboxArgs),
}

#[derive(Subcommand, Debug)]
pub enum SupplierCommand {
    /// Set the supplier's base URL and, with --key-stdin, its API key (kept in the OS keyring).
    Set {
        #[arg(long)]
        url: String,
        /// Read the API key from stdin.
        #[arg(long)]
        key_stdin: bool,
    },
    /// Show the supplier in use (never the key).
    Show,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Walk the whole catalog (finds discontinued products).
    #[arg(long, conflicts_with = "incremental")]
    pub full: bool,
    /// Only what changed since the last sync.
    #[arg(long)]
    pub incremental: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find (prefixes of sku, name, brand, region).
    pub query: String,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
}

#[derive(Subcommand, Debug)]
pub enum PricingCommand {
    /// Set the global rule, or a category's with --category.
    Set(PricingSetArgs),
    /// Show the rules in force.
    Show,
}

#[derive(Args, Debug)]
pub struct PricingSetArgs {
    /// gift_card, game_topup, mobile_topup or software_key; omit for the global rule.
    #[arg(long)]
    pub category: Option<String>,
    /// Payment fee, percent of retail.
    #[arg(long)]
    pub fee: String,
    /// FX buffer, percent of retail.
    #[arg(long)]
    pub fx: String,
    /// Margin, percent of retail.
    #[arg(long)]
    pub margin: String,
    /// Rounding: none, .99, .05, .50 or 1.
    #[arg(long)]
    pub round_to: Option<String>,
    /// Least margin per sale (an amount); sales below it are refused.
    #[arg(long, requires = "currency")]
    pub floor: Option<String>,
    /// Currency of --floor.
    #[arg(long, requires = "floor")]
    pub currency: Option<String>,
}
