//! audit verify.

use codetill_core::staff::audit;

use crate::args::AuditCommand;
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify => verify(ctx).await,
    }
}

async fn verify(ctx: &Context) -> anyhow::Result<()> {
    let report = audit::verify(ctx.till().await?.db()).await?;
    emit(ctx.json, &report, || {
        match (&report.broken, &report.head_hash) {
            (Some(b), _) => format!("audit chain BROKEN at row {}: {}", b.id, b.why),
            (None, Some(head)) => format!(
                "audit chain holds: {} rows, head row {} {head}",
                report.rows,
                report.head_id.unwrap_or(0)
            ),
            (None, None) => "audit chain holds: no rows yet".into(),
        }
    })?;
    match &report.broken {
        None => Ok(()),
        Some(b) => Err(Failure::failed(format!(
            "the audit chain breaks at row {}: {}",
            b.id, b.why
        ))),
    }
}
