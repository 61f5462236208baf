//! buyers find TEXT, buyers retention MONTHS|none, buyers purge.

use codetill_core::buyers::{self, RETENTION_MONTHS};
use codetill_core::settings;
use serde_json::json;

use crate::args::BuyersCommand;
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: BuyersCommand) -> anyhow::Result<()> {
    match command {
        BuyersCommand::Find { text } => {
            let till = ctx.till().await?;
            let found = buyers::find(till.db(), &text).await?;
            emit(ctx.json, &found, || {
                if found.is_empty() {
                    return format!("no buyer with {:?}", text.trim());
                }
                found
                    .iter()
                    .map(|b| {
                        format!(
                            "{:<20} {:<16} {:<28} {} order(s), last {}",
                            b.name.as_deref().unwrap_or("-"),
                            b.phone.as_deref().unwrap_or("-"),
                            b.email.as_deref().unwrap_or("-"),
                            b.orders,
                            b.last_seen_at
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        BuyersCommand::Retention { months } => {
            let value = match months.trim() {
                "none" => String::new(),
                m => match m.parse::<u32>() {
                    Ok(n) if (1..=120).contains(&n) => n.to_string(),
                    _ => {
                        return Err(Failure::bad_input(format!(
                            "MONTHS: {m:?} is not 1 to 120 (or none)"
                        )));
                    }
                },
            };
            let till = ctx.till().await?;
            settings::set(till.db().pool(), RETENTION_MONTHS, &value).await?;
            emit(ctx.json, &json!({ "retention_months": value }), || {
                if value.is_empty() {
                    "buyers' contact data is kept".into()
                } else {
                    format!("buyers' contact data goes {value} months after their last purchase")
                }
            })
        }
        BuyersCommand::Purge => {
            let till = ctx.till().await?;
            let purged = buyers::purge_due(till.db()).await?;
            emit(ctx.json, &json!({ "purged": purged }), || {
                format!("{purged} buyer(s) purged")
            })
        }
    }
}
