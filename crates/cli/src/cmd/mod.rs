//! One module per command; each is parse → core → print.

mod balance;
mod catalog;
mod init;
mod pricing;
mod supplier;

use crate::args::{Cli, Command};
use crate::context::Context;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Init => init::run(&ctx).await,
        Command::Supplier(c) => supplier::run(&ctx, c).await,
        Command::Sync(a) => catalog::sync(&ctx, a).await,
        Command::Search(a) => catalog::search(&ctx, a).await,
        Command::Pricing(c) => pricing::run(&ctx, c).await,
        Command::Balance => balance::run(&ctx).await,
        Command::Sandbox(a) => codetill_sandbox::run_foreground(a).await,
    }
}
