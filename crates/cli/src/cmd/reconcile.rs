//! reconcile [--since DATE] [--supplier NAME], reconcile deliver ORDER, and the
//! owner's supplier top-ups (supplier topup / topups).

use codetill_core::orders::Outcome;
use codetill_core::reconcile::{self, Finding, NewTopup, Report, Topup};
use codetill_core::supplier::Window;
use codetill_core::supplier::accounts;
use serde_json::json;

use crate::args::{ReconcileArgs, ReconcileCommand, TopupArgs};
use crate::context::Context;
use crate::failure::{Failure, OPEN};
use crate::output::emit;

pub async fn run(ctx: &Context, args: ReconcileArgs) -> anyhow::Result<()> {
    if let Some(ReconcileCommand::Deliver { order }) = args.command {
        return deliver(ctx, &order).await;
    }
    let now = chrono::Utc::now();
    let from = match args.since.as_deref() {
        Some(s) => reconcile::parse_since(s)?,
        None => now - chrono::Duration::hours(24),
    };
    let till = ctx.till().await?;
    let report = till
        .reconcile(Window { from, to: now }, args.supplier.as_deref())
        .await?;
    emit(ctx.json, &report, || text(&report))?;
    if report.clean {
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "{} discrepanc{} between the supplier's history and the orders",
            report.findings.len(),
            if report.findings.len() == 1 {
                "y"
            } else {
                "ies"
            }
        )))
    }
}

fn text(r: &Report) -> String {
    let mut out = vec![format!(
        "{} {} to {}: {} transaction(s){}",
        r.supplier.as_deref().unwrap_or("supplier"),
        r.window.from.format("%Y-%m-%d %H:%M"),
        r.window.to.format("%Y-%m-%d %H:%M UTC"),
        r.transactions,
        r.charged
            .map(|c| format!(", {c} charged"))
            .unwrap_or_default()
    )];
    if let Some(b) = &r.balance_check {
        out.push(format!(
            "balance {} -> {} since {}: charges {}, top-ups {}, unexplained {}",
            b.opening,
            b.closing,
            b.since.format("%Y-%m-%d %H:%M UTC"),
            b.charged,
            b.topped_up,
            b.unexplained
        ));
    } else if let Some(b) = &r.balance {
        out.push(format!(
            "balance {b} (first reading: the next run compares with it)"
        ));
    }
    out.extend(r.notes.iter().map(|n| format!("note: {n}")));
    if r.clean {
        out.push("clean: the supplier's history and the orders agree".into());
    }
    out.extend(r.findings.iter().map(line));
    out.join("\n")
}

fn line(f: &Finding) -> String {
    format!(
        "{:<22} {}{}",
        f.kind.as_str(),
        f.message,
        match (&f.action, &f.order) {
            (Some(_), Some(order)) => format!(" (deliver: `codetill reconcile deliver {order}`)"),
            _ => String::new(),
        }
    )
}

async fn deliver(ctx: &Context, order: &str) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let outcome = till.reconcile_deliver(order).await?;
    emit(
        ctx.json,
        &json!({ "order": order, "result": outcome }),
        || match &outcome {
            Outcome::Delivered => {
                format!(
                    "{order} delivered: its codes are in the order (`codetill order {order} --reveal`) and its email and receipt are queued"
                )
            }
            Outcome::Open { reason } => format!("{order} not delivered: {reason}"),
            Outcome::Busy => {
                format!("{order} not delivered: another till holds it, or it is no longer due")
            }
            Outcome::RefundDue { message, .. } => {
                format!("{order} refused by the supplier: {message}")
            }
        },
    )?;
    match outcome {
        Outcome::Delivered => Ok(()),
        Outcome::Open { reason } => Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!("{order} not delivered: {reason}"),
        })),
        Outcome::Busy => Err(Failure::failed(format!(
            "{order} not delivered: another till holds it, or it is no longer due"
        ))),
        Outcome::RefundDue { message, .. } => Err(anyhow::Error::new(Failure {
            code: crate::failure::REFUSED,
            message: format!("{order}: {message}"),
        })),
    }
}

pub async fn topup(ctx: &Context, a: TopupArgs) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let currency = match (&a.currency, &a.supplier) {
        (Some(c), _) => c.clone(),
        (None, Some(name)) => accounts::get(till.db(), name)
            .await
            .ok()
            .and_then(|acc| acc.account_currency)
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    if currency.trim().is_empty() {
        return Err(Failure::bad_input(
            "--currency: the currency of the amount is needed (the account has none set)",
        ));
    }
    // A top-up with no --supplier is the primary's, the account `reconcile` with no
    // --supplier checks.
    let supplier = till.supplier_name(a.supplier.as_deref()).await?;
    let new = NewTopup {
        supplier,
        amount: a.amount,
        currency,
        date: a.date.unwrap_or_default(),
        reference: a.reference,
        staff: ctx.clerk(a.staff.as_deref()).staff,
    };
    let topup = reconcile::topups::record(till.db(), &new).await?;
    emit(ctx.json, &topup, || {
        format!("recorded: {}", topup_line(&topup))
    })
}

pub async fn topups(ctx: &Context, supplier: Option<String>) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let list = reconcile::topups::list(till.db(), supplier.as_deref()).await?;
    emit(ctx.json, &list, || match list.is_empty() {
        true => "no top-ups recorded (`codetill supplier topup AMOUNT --currency CUR`)".into(),
        false => list.iter().map(topup_line).collect::<Vec<_>>().join("\n"),
    })
}

fn topup_line(t: &Topup) -> String {
    format!(
        "#{:<4} {}  {:<16} {}{}",
        t.id,
        t.at,
        t.supplier.as_deref().unwrap_or("(supplier)"),
        t.amount,
        t.reference
            .as_deref()
            .map(|r| format!("  ref {r}"))
            .unwrap_or_default()
    )
}
