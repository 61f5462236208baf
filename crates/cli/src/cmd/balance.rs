use serde_json::json;

use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let balance = till.supplier().await?.balance().await?;
    let runway = codetill_core::balance::runway(till.db(), &balance.available).await?;
    emit(
        ctx.json,
        &json!({
            "available": balance.available.amount_string(),
            "currency": balance.available.currency.code(),
            "updated_at": balance.updated_at,
            "avg_daily_spend": runway.avg_daily_spend.map(|m| m.amount_string()),
            "runway_days": runway.days,
        }),
        || {
            let days = match (runway.days, runway.avg_daily_spend) {
                (Some(d), Some(spend)) => {
                    format!("{d} days of runway at {spend}/day (7-day average)")
                }
                _ => "runway unknown: no supplier spend in the last 7 days".to_string(),
            };
            format!("supplier balance: {}\n{days}", balance.available)
        },
    )
}
