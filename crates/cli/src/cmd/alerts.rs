//! alerts [--all], alerts ack ID: the owner's alert list for a headless shop.

use codetill_core::alerts::{self, Alert};

use crate::args::{AlertsArgs, AlertsCommand};
use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context, args: AlertsArgs) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    match args.command {
        None => {
            let list = alerts::list(till.db(), !args.all, args.limit).await?;
            emit(ctx.json, &list, || match list.is_empty() {
                true => "no open alerts".into(),
                false => list.iter().map(line).collect::<Vec<_>>().join("\n"),
            })
        }
        Some(AlertsCommand::Ack { id }) => {
            let alert = alerts::acknowledge(till.db(), id).await?;
            emit(ctx.json, &alert, || {
                format!("acknowledged: {}", line(&alert))
            })
        }
    }
}

fn line(a: &Alert) -> String {
    format!(
        "#{:<4} {}  {:<12}  {}: {}",
        a.id,
        a.created_at,
        a.state.as_str(),
        a.kind.title(),
        a.message
    )
}
