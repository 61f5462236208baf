//! shift open | cash-in | cash-out | close | report: this till's shift and drawer.

use codetill_core::delivery::Language;
use codetill_core::delivery::Paper;
use codetill_core::shifts::{CashMoveKind, ShiftReport};
use codetill_core::till::Till;

use crate::args::{CashMoveArgs, ShiftCommand};
use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context, command: ShiftCommand) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    match command {
        ShiftCommand::Open { float, staff } => {
            let shift = till
                .open_shift(&float, &ctx.clerk(staff.as_deref()))
                .await?;
            emit(ctx.json, &shift, || {
                format!(
                    "shift opened at {} by {} with a float of {}",
                    shift.till_id.as_deref().unwrap_or("this till"),
                    shift.opened_by,
                    shift.float
                )
            })
        }
        ShiftCommand::CashIn(a) => cash(ctx, till, CashMoveKind::In, a).await,
        ShiftCommand::CashOut(a) => cash(ctx, till, CashMoveKind::Out, a).await,
        ShiftCommand::Close {
            counted,
            print,
            lang,
            staff,
        } => {
            // The language is checked before the shift is closed.
            let language = language(till, lang.as_deref()).await?;
            let report = till
                .close_shift(&counted, &ctx.clerk(staff.as_deref()))
                .await?;
            show(ctx, till, report, language, print).await
        }
        ShiftCommand::Report { x, print, lang } => {
            let language = language(till, lang.as_deref()).await?;
            let report = till.shift_report(x, &ctx.clerk(None)).await?;
            show(ctx, till, report, language, print).await
        }
    }
}

async fn cash(
    ctx: &Context,
    till: &Till,
    kind: CashMoveKind,
    a: CashMoveArgs,
) -> anyhow::Result<()> {
    let moved = till
        .move_cash(kind, &a.amount, &a.reason, &ctx.clerk(a.staff.as_deref()))
        .await?;
    emit(ctx.json, &moved, || {
        let way = match kind {
            CashMoveKind::In => "into",
            CashMoveKind::Out => "out of",
        };
        format!("{} {way} the drawer: {}", moved.amount, moved.reason)
    })
}

/// `--lang`, else the shop's language, else English.
async fn language(till: &Till, given: Option<&str>) -> anyhow::Result<Language> {
    let name = match given {
        Some(l) => Some(l.to_string()),
        None => {
            codetill_core::settings::value(till.db(), codetill_core::settings::LANGUAGE).await?
        }
    };
    Ok(match name {
        Some(n) => n.parse::<Language>()?,
        None => Language::En,
    })
}

/// The report on stdout (text of an 80 mm receipt, or JSON), and on the printer
/// when asked for. The shift's close stands whatever the printer does.
async fn show(
    ctx: &Context,
    till: &Till,
    report: ShiftReport,
    language: Language,
    print: bool,
) -> anyhow::Result<()> {
    let sheet = till.report_sheet(report, language).await?;
    emit(ctx.json, &sheet.report, || {
        sheet.text(Paper::Mm80).trim_end().to_string()
    })?;
    if print {
        let printed = till.print_shift_report(&sheet).await?;
        eprintln!("codetill: {}: {}", sheet.title(), printed.detail);
    }
    Ok(())
}
