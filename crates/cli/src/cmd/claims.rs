//! claims list, claims set on|off [--limit-hours H]: sales taken while the supplier
//! was down.

use codetill_core::orders::OrderView;
use serde_json::json;

use crate::args::ClaimsCommand;
use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context, command: ClaimsCommand) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    match command {
        ClaimsCommand::List => {
            let terms = till.claim_terms().await?;
            let open: Vec<OrderView> = till
                .open_claims()
                .await?
                .iter()
                .map(OrderView::of)
                .collect();
            emit(ctx.json, &json!({ "terms": terms, "open": open }), || {
                let mut out = describe(terms.enabled, terms.limit.as_secs() / 3600);
                for o in &open {
                    let number = o.claim.as_ref().map(|c| c.number.as_str()).unwrap_or("-");
                    out.push_str(&format!(
                        "\n{number}  {}  {}  {} {}  since {}",
                        o.order_id,
                        o.status,
                        o.price,
                        o.currency,
                        o.claim.as_ref().map(|c| c.taken_at.as_str()).unwrap_or("-")
                    ));
                }
                if open.is_empty() {
                    out.push_str("\nno claim is waiting");
                }
                out
            })
        }
        ClaimsCommand::Set { state, limit_hours } => {
            let on = super::on_off(&state)?;
            let terms = till.set_claims(&ctx.clerk(None), on, limit_hours).await?;
            emit(ctx.json, &terms, || {
                describe(terms.enabled, terms.limit.as_secs() / 3600)
            })
        }
    }
}

fn describe(on: bool, hours: u64) -> String {
    if on {
        format!(
            "claims on: with the supplier down a paid sale waits as a claim, refunded after {hours} h"
        )
    } else {
        "claims off: with the supplier down a sale is refused before payment".into()
    }
}
