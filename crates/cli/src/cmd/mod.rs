//! One module per command; each is parse → core → print.

mod alerts;
mod audit;
mod backup;
mod balance;
mod buyers;
mod catalog;
mod claims;
mod delivery;
mod drawer;
mod fx;
mod init;
mod orders;
mod pricing;
mod reconcile;
mod remote;
mod reports;
mod shifts;
mod staff;
mod supplier;
mod tax;

use crate::args::{
    BackupCommand, Cli, Command, OutboxCommand, PricingCommand, SupplierCommand, SupportCommand,
};
use crate::context::Context;

pub use catalog::search_at_once;

/// A STATE argument: `on` or `off`.
fn on_off(state: &str) -> anyhow::Result<bool> {
    match state.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(crate::failure::Failure::bad_input(format!(
            "STATE: {other:?} is not on or off"
        ))),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context::new(&cli.global)?;
    // Orders left open by an earlier run are finished first (briefly; `recover`
    // does it at length), except by commands that only look at the catalog, the
    // settings, the alerts or the outbox: a search at the counter must not wait on
    // a supplier.
    let looks_only = matches!(
        cli.command,
        Command::Search(_)
            | Command::Alerts(_)
            | Command::Fx(_)
            | Command::Outbox(OutboxCommand::List(_))
            | Command::Supplier(
                SupplierCommand::Show { .. }
                    | SupplierCommand::List
                    | SupplierCommand::Topup(_)
                    | SupplierCommand::Topups { .. }
            )
            | Command::Staff(_)
            | Command::Audit(_)
            | Command::Backup(BackupCommand::Create { .. })
            | Command::Report(_)
            | Command::Pricing(PricingCommand::Proposals)
            | Command::Tax(_)
            | Command::Drawer(_)
            | Command::Buyers(_)
            | Command::Claims(_)
            | Command::Support(_)
    );
    let runs_its_own = matches!(
        cli.command,
        Command::Sandbox(_)
            | Command::Recover
            | Command::Init
            // A restore must not open the database it replaces.
            | Command::Backup(BackupCommand::Restore { .. })
    );
    if !looks_only
        && !runs_its_own
        && let Err(e) = orders::at_start(&ctx).await
    {
        tracing::warn!(error = %e, "recovery at start did not finish");
    }
    match cli.command {
        Command::Init => init::run(&ctx).await,
        Command::Tax(c) => tax::run(&ctx, c).await,
        Command::Drawer(c) => drawer::run(&ctx, c).await,
        Command::Claims(c) => claims::run(&ctx, c).await,
        Command::Support(SupportCommand::Bundle { path }) => {
            let till = ctx.till().await?;
            let app = format!("codetill {}", env!("CARGO_PKG_VERSION"));
            let bundle =
                codetill_core::support::write_bundle(till.db(), till.data_dir(), &path, &app)
                    .await?;
            crate::output::emit(ctx.json, &bundle, || {
                format!(
                    "{} ({} bytes): {}",
                    bundle.path.display(),
                    bundle.bytes,
                    bundle.files.join(", ")
                )
            })
        }
        Command::Buyers(c) => buyers::run(&ctx, c).await,
        Command::Supplier(c) => supplier::run(&ctx, c).await,
        Command::Sync(a) => catalog::sync(&ctx, a).await,
        Command::Search(a) => catalog::search(&ctx, a).await,
        Command::Pricing(c) => pricing::run(&ctx, c).await,
        Command::Fx(c) => fx::run(&ctx, c).await,
        Command::Balance => balance::run(&ctx).await,
        Command::Sell(a) => orders::sell(&ctx, a).await,
        Command::Orders(a) => orders::list(&ctx, a).await,
        Command::Order(a) => orders::show(&ctx, a).await,
        Command::Recover => orders::recover(&ctx).await,
        Command::Refund(a) => orders::refund(&ctx, a).await,
        Command::Resend(a) => delivery::resend(&ctx, a).await,
        Command::Reprint(a) => delivery::reprint(&ctx, a).await,
        Command::Outbox(c) => delivery::outbox(&ctx, c).await,
        Command::Relay(c) => remote::relay(&ctx, c).await,
        Command::Remote(c) => remote::remote(&ctx, c).await,
        Command::Alerts(a) => alerts::run(&ctx, a).await,
        Command::Reconcile(a) => reconcile::run(&ctx, a).await,
        Command::Shift(c) => shifts::run(&ctx, c).await,
        Command::Report(c) => reports::run(&ctx, c).await,
        Command::Sandbox(a) => codetill_sandbox::run_foreground(a).await,
        Command::Staff(c) => staff::run(&ctx, c).await,
        Command::Audit(c) => audit::run(&ctx, c).await,
        Command::Backup(c) => backup::run(&ctx, c).await,
    }
}
