use codetill_core::catalog;
use codetill_core::money::Currency;
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
        PricingCommand::Proposals => proposals(ctx).await,
        PricingCommand::Apply { skus, staff } => apply(ctx, &skus, staff.as_deref()).await,
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
    let rule = match (&a.fee, &a.fx, &a.margin) {
        (Some(fee), Some(fx), Some(margin)) => Some(
            PriceRule::parse(fee, fx, margin, a.round_to.as_deref(), floor)
                .map_err(|e| Failure::bad_input(e.to_string()))?,
        ),
        _ => None,
    };
    let shop = match a.shop_currency.as_deref().map(str::trim) {
        None => None,
        Some(c) if c.eq_ignore_ascii_case("none") => Some(None),
        Some(c) => {
            Some(Some(Currency::parse(c).map_err(|e| {
                Failure::bad_input(format!("shop-currency: {e}"))
            })?))
        }
    };
    let till = ctx.till().await?;
    let clerk = ctx.clerk(None);
    let mut lines = Vec::new();
    let mut doc = serde_json::Map::new();
    if let Some(shop) = shop {
        // Refused, with nothing changed, when a product has no rate to it.
        let report = till.set_shop_currency(&clerk, shop).await?;
        let name = shop.map(|c| c.code().to_string());
        lines.push(format!(
            "the shop sells in {}\n{} of {} products repriced",
            name.as_deref().unwrap_or("each supplier's currency"),
            report.changed,
            report.products
        ));
        doc.insert("shop_currency".into(), json!(name));
        doc.insert("repriced".into(), json!(report));
    }
    if let Some(rule) = rule {
        let report = till.save_price_rule(&clerk, category, &rule).await?;
        let scope = category.map(|c| c.as_str()).unwrap_or("all categories");
        lines.push(format!(
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
        ));
        doc.insert("category".into(), json!(category));
        doc.insert("rule".into(), json!(rule));
        doc.insert("repriced".into(), json!(report));
    }
    emit(ctx.json, &doc, || lines.join("\n"))
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

/// `pricing proposals`: the products whose cost drifted, each on a line.
async fn proposals(ctx: &Context) -> anyhow::Result<()> {
    let found = catalog::proposals(ctx.till().await?.db()).await?;
    emit(ctx.json, &found, || {
        if found.is_empty() {
            return "no re-price proposals".into();
        }
        let mut lines: Vec<String> = found.iter().map(proposal_line).collect();
        lines.push("apply with: codetill pricing apply SKU…".into());
        lines.join("\n")
    })
}

fn proposal_line(p: &catalog::Proposal) -> String {
    format!(
        "{}  cost {} → {} ({}{}%)  retail {} → {}  margin {} ({}%; {} at the old price)",
        p.sku,
        p.old_cost,
        p.new_cost,
        if p.drift_pct.is_sign_positive() {
            "+"
        } else {
            ""
        },
        p.drift_pct,
        p.listed,
        p.proposed,
        p.margin,
        p.margin_pct
            .map(|m| m.to_string())
            .unwrap_or_else(|| "-".into()),
        p.margin_at_old_retail
    )
}

/// `pricing apply SKU…`: the ticked proposals, in one transaction.
async fn apply(ctx: &Context, skus: &[String], staff: Option<&str>) -> anyhow::Result<()> {
    let staff = ctx.clerk(staff).staff;
    let done = catalog::apply_proposals(ctx.till().await?.db(), skus, &staff).await?;
    emit(ctx.json, &done, || {
        let mut lines: Vec<String> = done
            .applied
            .iter()
            .map(|p| format!("{}: {} → {}", p.sku, p.listed, p.proposed))
            .collect();
        lines.push(format!(
            "{} applied, {} proposals left",
            done.applied.len(),
            done.left
        ));
        lines.join("\n")
    })
}
