//! tax show, tax set, tax rate: how the shop's receipts become tax invoices.

use codetill_core::product::Category;
use codetill_core::till::tax::{TaxChange, TaxView};

use crate::args::{TaxCommand, TaxSetArgs};
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: TaxCommand) -> anyhow::Result<()> {
    let clerk = ctx.clerk(None);
    let view = match command {
        TaxCommand::Show => ctx.till().await?.tax().await?,
        TaxCommand::Set(a) => ctx.till().await?.set_tax(&clerk, &change(a)).await?,
        TaxCommand::Rate { category, rate } => {
            // What was typed is checked before the database is opened.
            let category: Category = category
                .parse()
                .map_err(|e| Failure::bad_input(format!("CATEGORY: {e}")))?;
            let rate = match rate.trim() {
                "none" => None,
                r => Some(codetill_core::tax::parse_rate(r)?),
            };
            ctx.till()
                .await?
                .set_tax_rate(&clerk, category, rate)
                .await?
        }
    };
    show(ctx, &view)
}

fn change(a: TaxSetArgs) -> TaxChange {
    TaxChange {
        tax_id: a
            .tax_id
            .map(|t| (t.trim() != "none").then(|| t.trim().to_string())),
        prefix: a.prefix,
        fy_start_month: a.fy_start_month,
    }
}

fn show(ctx: &Context, view: &TaxView) -> anyhow::Result<()> {
    emit(ctx.json, view, || {
        let s = &view.settings;
        let mut out = match &s.tax_id {
            Some(id) => format!(
                "tax id {id}: receipts are tax invoices, numbered {}/<year>/000001 (year from month {})",
                s.prefix, s.fy_start_month
            ),
            None => {
                "no tax id: receipts are not tax invoices (`codetill tax set --tax-id ID`)".into()
            }
        };
        for r in &view.rates {
            out.push_str(&format!(
                "\n{:<14} {}% inside the price",
                r.category.as_str(),
                r.rate
            ));
        }
        out
    })
}
