//! fx set FROM TO RATE, fx source URL, fx show: the rates the shop prices with.

use chrono::Utc;
use codetill_core::fx::{self, Rate};
use serde_json::json;

use crate::args::FxCommand;
use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context, command: FxCommand) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let db = till.db();
    match command {
        FxCommand::Set { from, to, rate } => {
            let set = fx::set(db, &from, &to, &rate).await?;
            reprice(db).await?;
            emit(ctx.json, &shown(&set), || format!("set {}", line(&set)))
        }
        FxCommand::Source { url } => {
            let day = fx::set_source(db, &url).await?;
            reprice(db).await?;
            let doc = json!({
                "url": url.trim(),
                "date": day.date,
                "rates": day.rates.len(),
            });
            emit(ctx.json, &doc, || {
                format!(
                    "daily rates from {}: {} currencies for {}",
                    url.trim(),
                    day.rates.len(),
                    day.date
                )
            })
        }
        FxCommand::Show => {
            let rates = fx::all(db).await?;
            let url = codetill_core::settings::value(db, fx::SOURCE_URL).await?;
            let doc = json!({
                "source_url": url,
                "rates": rates.iter().map(shown).collect::<Vec<_>>(),
            });
            emit(ctx.json, &doc, || {
                let mut out = vec![match &url {
                    Some(u) => format!("daily source: {u}"),
                    None => "daily source: none (rates set by hand)".to_string(),
                }];
                if rates.is_empty() {
                    out.push("no rates: the shop sells in its supplier's currency".into());
                }
                out.extend(rates.iter().map(line));
                out.join("\n")
            })
        }
    }
}

/// Prices follow the rates at once (the catalog holds retail in the shop's currency).
async fn reprice(db: &codetill_core::db::Db) -> anyhow::Result<()> {
    let report = codetill_core::catalog::reprice_all(db).await?;
    if report.changed > 0 {
        tracing::info!(
            changed = report.changed,
            "catalog repriced at the new rates"
        );
    }
    Ok(())
}

fn shown(r: &Rate) -> serde_json::Value {
    let now = Utc::now();
    json!({
        "from": r.from,
        "to": r.to,
        "rate": r.rate.to_string(),
        "source": r.source,
        "as_of": r.as_of,
        "age_days": r.age_days(now),
        "stale": r.is_stale(now),
    })
}

fn line(r: &Rate) -> String {
    let now = Utc::now();
    let source = match r.source {
        fx::RateSource::Owner => "set by hand",
        fx::RateSource::Ecb => "daily file",
    };
    format!(
        "1 {} = {} {}  ({source}, {}, {} days old{})",
        r.from,
        r.rate,
        r.to,
        r.as_of,
        r.age_days(now),
        if r.is_stale(now) { ", STALE" } else { "" }
    )
}
