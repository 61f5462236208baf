use codetill_core::catalog;
use codetill_core::pricing::PriceRule;
use codetill_core::product::Category;
use serde_json::json;

use crate::args::{PricingCommand, PricingSetArgs};
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: PricingCommand) -> anyhow::Result<()> {
    match command {
        PricingCommand::Set(args) => set(ctx, args).await,
        PricingCommand::Show => show(ctx).await,
    }
}

async fn set(ctx: &Context, a: PricingSetArgs) -> anyhow::Result<()> {
    // Validate everything before the database is touched.
    let category = match &a.category {
        Some(c) => Some(
            c.parse::<Category>()
                .map_err(|e| Failure::bad_input(format!("category: {e}")))?,
        ),
        None => None,
    };
    let floor = a.floor.as_deref().zip(a.currency.as_deref());
    let rule = PriceRule::parse(&a.fee, &a.fx, &a.margin, a.round_to.as_deref(), floor)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    let db = ctx.till().await?.db().clone();
    let report = catalog::save_rule(&db, category, &rule).await?;
    let scope = category.map(|c| c.as_str()).unwrap_or("all categories");
    emit(
        ctx.json,
        &json!({ "category": category, "rule": rule, "repriced": report }),
        || {
            format!(
                "pricing for {scope}: fee {}%, fx {}%, margin {}%, rounding {}{}\n{} of {} products repriced",
                rule.fee_pct,
                rule.fx_pct,
                rule.margin_pct,
                rule.rounding,
                rule.floor
                    .map(|f| format!(", floor {f}"))
                    .unwrap_or_default(),
                report.changed,
                report.products
            )
        },
    )
}

async fn show(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.till().await?.db().clone();
    let mut conn = db.pool().acquire().await?;
    let rules = catalog::load_rules(&mut conn).await?;
    emit(ctx.json, &rules, || {
        let line = |name: &str, r: &PriceRule| {
            format!(
                "{name:<13} fee {}%  fx {}%  margin {}%  rounding {}{}",
                r.fee_pct,
                r.fx_pct,
                r.margin_pct,
                r.rounding,
                r.floor.map(|f| format!("  floor {f}")).unwrap_or_default()
            )
        };
        let mut out = line("global", &rules.global);
        for (c, r) in &rules.by_category {
            out.push('\n');
            out.push_str(&line(c.as_str(), r));
        }
        out
    })
}
