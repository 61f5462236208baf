//! resend, reprint, outbox send | list, and the delivery part of `sell`.
//!
//! Exit codes: 0 sent (or printed); 4 queued, to be retried (`codetill outbox send`);
//! 1 failed for good (an alert is raised); 2 bad input, nothing queued.

use std::time::Duration;

use codetill_core::delivery::{self, AttemptResult, Due, OutboxFilter, OutboxStatus};
use codetill_core::orders::Order;
use codetill_core::till::Till;

use crate::args::{OutboxCommand, OutboxListArgs, ReprintArgs, ResendArgs};
use crate::context::Context;
use crate::failure::{FAILED, Failure, OPEN};
use crate::output::emit;

/// How long `sell`, `resend` and `reprint` wait for the mail server or printer.
const RIGHT_AWAY: Duration = Duration::from_secs(5);
/// How long `outbox send` gives each row.
const PER_ROW: Duration = Duration::from_secs(30);

/// One attempt at a delivered order's email and receipt, right after the sale.
/// Never fails the sale: problems are warnings, and the rows stay queued.
pub async fn after_sale(till: &Till, order: &Order) -> Vec<AttemptResult> {
    match till.send_now(order, RIGHT_AWAY).await {
        Ok(a) => {
            for r in a.iter().filter(|r| r.status != OutboxStatus::Sent) {
                eprintln!("codetill: warning: {}", describe(r));
            }
            a
        }
        Err(e) => {
            eprintln!("codetill: warning: the email/receipt stays queued: {e}");
            Vec::new()
        }
    }
}

/// One line for a person.
pub fn describe(r: &AttemptResult) -> String {
    let what = if r.kind == "email" {
        format!("email to {}", r.destination)
    } else {
        "receipt".to_string()
    };
    match r.status {
        OutboxStatus::Sent if r.kind == "email" => format!("{what}: sent ({})", r.detail),
        OutboxStatus::Sent => format!("{what}: printed ({})", r.detail),
        OutboxStatus::Queued if r.kind == "email" => format!(
            "{what}: NOT SENT yet, queued ({}); `codetill outbox send` retries it",
            r.detail
        ),
        OutboxStatus::Queued => format!(
            "{what}: NOT PRINTED, queued ({}); `codetill outbox send` retries it, `codetill reprint {}` prints it again",
            r.detail, r.order_id
        ),
        OutboxStatus::Failed => format!("{what}: FAILED ({})", r.detail),
    }
}

/// The exit code for a set of attempts: failed beats queued beats sent.
fn outcome(results: &[AttemptResult]) -> anyhow::Result<()> {
    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.status == OutboxStatus::Failed)
        .collect();
    let queued: Vec<_> = results
        .iter()
        .filter(|r| r.status == OutboxStatus::Queued)
        .collect();
    if let Some(r) = failed.first() {
        return Err(anyhow::Error::new(Failure {
            code: FAILED,
            message: format!("{} failed: {}", failed.len(), describe(r)),
        }));
    }
    if let Some(r) = queued.first() {
        return Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!("{} still queued: {}", queued.len(), describe(r)),
        }));
    }
    Ok(())
}

fn report(ctx: &Context, results: &[AttemptResult]) -> anyhow::Result<()> {
    emit(ctx.json, &results, || {
        if results.is_empty() {
            return "nothing queued".into();
        }
        results
            .iter()
            .map(|r| format!("{}  {}", r.order_id, describe(r)))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    outcome(results)
}

pub async fn resend(ctx: &Context, args: ResendArgs) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let clerk = ctx.clerk(args.staff.as_deref());
    let id = till.resend(&clerk, &args.id, args.email.as_deref()).await?;
    let outbox = till.outbox().await?;
    let results = outbox.attempt(&[id], RIGHT_AWAY).await?;
    single(ctx, &results)
}

pub async fn reprint(ctx: &Context, args: ReprintArgs) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let clerk = ctx.clerk(args.staff.as_deref());
    let (id, n) = till.reprint(&clerk, &args.id).await?;
    let outbox = till.outbox().await?;
    let results = outbox.attempt(&[id], RIGHT_AWAY).await?;
    if !ctx.json {
        eprintln!(
            "codetill: REPRINT #{n} of {}",
            args.id.trim().to_uppercase()
        );
    }
    single(ctx, &results)
}

/// One attempt's result as the command's output (an object, not a list).
fn single(ctx: &Context, results: &[AttemptResult]) -> anyhow::Result<()> {
    match results.first() {
        Some(r) => emit(ctx.json, r, || format!("{}  {}", r.order_id, describe(r)))?,
        None => emit(ctx.json, &serde_json::Value::Null, || {
            "queued; another till is sending it".into()
        })?,
    }
    outcome(results)
}

pub async fn outbox(ctx: &Context, command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::Send => {
            let outbox = ctx.till().await?.outbox().await?;
            let sent = outbox.send_queued(Due::All, PER_ROW).await?;
            report(ctx, &sent.attempts)
        }
        OutboxCommand::List(args) => list(ctx, args).await,
    }
}

async fn list(ctx: &Context, args: OutboxListArgs) -> anyhow::Result<()> {
    let status = match &args.status {
        Some(s) => Some(s.parse::<OutboxStatus>()?),
        None => None,
    };
    let till = ctx.till().await?;
    let items = delivery::outbox::list(
        till.db(),
        &OutboxFilter {
            status,
            order: None,
            limit: Some(args.limit),
        },
    )
    .await?;
    emit(ctx.json, &items, || {
        if items.is_empty() {
            return "the outbox is empty".into();
        }
        items
            .iter()
            .map(|i| {
                let state = match (i.status, i.kind.as_str()) {
                    (OutboxStatus::Queued, "print") => "NOT PRINTED (queued)",
                    (OutboxStatus::Queued, _) => "queued",
                    (OutboxStatus::Sent, "print") => "printed",
                    (OutboxStatus::Sent, _) => "sent",
                    (OutboxStatus::Failed, _) => "FAILED",
                };
                let payload = match i.reprint_no {
                    Some(n) => format!("reprint #{n}"),
                    None => i.payload.clone(),
                };
                format!(
                    "{:>5}  {}  {:<5}  {:<10}  {:<22}  {}  attempts {}{}",
                    i.id,
                    i.order_id,
                    i.kind,
                    payload,
                    state,
                    i.destination,
                    i.attempts,
                    i.last_error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
