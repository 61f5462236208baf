//! report sales --from --to [--by …] [--till NAME] [--csv]: sales, cost and margin
//! over a period, for the shop or one till.

use codetill_core::reports::{self, SalesQuery, SalesRow};

use crate::args::{ReportCommand, ReportSalesArgs};
use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context, command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Sales(a) => sales(ctx, a).await,
    }
}

async fn sales(ctx: &Context, a: ReportSalesArgs) -> anyhow::Result<()> {
    // Checked before the database is opened.
    let query = SalesQuery::parse(&a.from, &a.to, &a.by)?.at_till(a.till.as_deref())?;
    let till = ctx.till().await?;
    let report = reports::sales(till.db(), &query).await?;
    if a.csv {
        print!("{}", reports::csv(&report));
        return Ok(());
    }
    emit(ctx.json, &report, || {
        let mut lines = vec![format!(
            "{:<24} {:>7} {:>16} {:>16} {:>16} {:>8}",
            match &report.till {
                Some(t) => format!("sales by {} at {t}", report.by.as_str()),
                None => format!("sales by {}", report.by.as_str()),
            },
            "orders",
            "sales",
            "cost",
            "margin",
            "margin%"
        )];
        for r in &report.rows {
            lines.push(line(&r.key, r));
        }
        for t in &report.totals {
            lines.push(line("total", t));
        }
        if report.rows.is_empty() {
            lines.push(format!("no sales from {} to {}", report.from, report.to));
        }
        lines.join("\n")
    })
}

fn line(key: &str, r: &SalesRow) -> String {
    let key = match &r.name {
        Some(name) => format!("{key} {name}"),
        None => key.to_string(),
    };
    format!(
        "{:<24} {:>7} {:>16} {:>16} {:>16} {:>8}",
        key.chars().take(24).collect::<String>(),
        r.orders,
        r.sales.to_string(),
        r.cost.to_string(),
        r.margin.to_string(),
        r.margin_pct.map(|p| format!("{p}%")).unwrap_or_default()
    )
}
