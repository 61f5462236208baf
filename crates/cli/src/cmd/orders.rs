//! sell, orders, order, recover, refund.

use codetill_core::money::{Money, parse_decimal};
use codetill_core::orders::{
    self, CounterSale, Engine, Order, OrderError, OrderFilter, OrderStatus, Outcome, RevealedCode,
    Sale, Tender,
};
use serde_json::{Value, json};

use crate::args::{OrderArgs, OrdersArgs, PayMethod, RefundArgs, SellArgs};
use crate::context::Context;
use crate::failure::{BAD_INPUT, FAILED, Failure, OPEN, REFUSED};
use crate::output::emit;

/// The contract's order object; `codes` only when given.
fn order_json(order: &Order, codes: Option<&[RevealedCode]>) -> Value {
    let mut v = json!({
        "order_id": order.public_id,
        "client_order_id": order.client_order_id,
        "status": order.status,
        "sku": order.sku,
        "name": order.name,
        "region": order.region,
        "price": order.price.amount_string(),
        "currency": order.price.currency.code(),
        "paid": order.payment.as_ref().map(|p| json!({
            "method": p.method,
            "tendered": p.tendered.map(|t| t.amount_string()),
            "change": p.change.map(|c| c.amount_string()),
            "reference": p.reference,
            "staff": p.staff,
            "taken_at": p.taken_at,
        })),
        "redeem_url": order.redeem_url,
        "redeem_instructions": order.redeem_instructions,
        "email": order.email,
        "staff": order.staff,
        "created_at": order.created_at,
        "delivered_at": order.delivered_at,
        "failure": order.failure,
        "refund": order.refund.as_ref().map(|r| json!({
            "amount": r.amount.amount_string(), "method": r.method, "reference": r.reference,
            "staff": r.staff, "at": r.at,
        })),
    });
    if let Some(codes) = codes {
        v["codes"] = codes
            .iter()
            .map(|c| json!({ "code": c.code, "pin": c.pin, "serial": c.serial, "expires_at": c.expires_at }))
            .collect();
    }
    v
}

pub(super) fn order_error(e: OrderError) -> anyhow::Error {
    let code = match &e {
        OrderError::UnknownSku(_)
        | OrderError::ShortTender { .. }
        | OrderError::BadInput(_)
        | OrderError::NotFound(_)
        | OrderError::WrongState { .. } => BAD_INPUT,
        OrderError::Refused(_) => REFUSED,
        _ => FAILED,
    };
    anyhow::Error::new(Failure {
        code,
        message: e.to_string(),
    })
}

pub async fn sell(ctx: &Context, args: SellArgs) -> anyhow::Result<()> {
    // Check what was typed before anything else happens.
    let tendered = match (&args.pay, &args.tendered) {
        (PayMethod::Cash, Some(t)) => {
            Some(parse_decimal(t).map_err(|e| Failure::bad_input(format!("--tendered: {e}")))?)
        }
        _ => None,
    };
    let db = ctx.db().await?;
    let product = codetill_core::catalog::product_by_sku(db.pool(), &args.sku)
        .await?
        .ok_or_else(|| Failure::bad_input(format!("unknown sku {:?}", args.sku)))?;
    let tender = match (args.pay, tendered, args.terminal_ref) {
        (PayMethod::Cash, Some(t), _) => Tender::Cash {
            tendered: Money::new(t, product.retail.currency),
        },
        (PayMethod::Card, _, Some(r)) => Tender::Card { terminal_ref: r },
        _ => {
            return Err(Failure::bad_input(
                "--pay cash needs --tendered; --pay card needs --terminal-ref",
            ));
        }
    };
    // Printer and language are checked before anything is charged.
    let delivery = super::delivery::request(ctx, &db, args.print, &args.lang).await?;
    let engine = ctx.engine(&db).await?;
    let sale = CounterSale {
        sku: product.sku.clone(),
        tender,
        staff: ctx.staff(args.staff),
        till_id: ctx.till_id(),
        email: args.email,
    };
    let sale = engine
        .sell_with(&sale, &delivery)
        .await
        .map_err(order_error)?;
    // One quick attempt at the email and the receipt; the sale stands whatever happens.
    let delivered = super::delivery::after_sale(ctx, &db, &sale.order).await;
    report_sale(ctx, &sale, &delivered)
}

fn report_sale(
    ctx: &Context,
    sale: &Sale,
    delivered: &[codetill_core::delivery::AttemptResult],
) -> anyhow::Result<()> {
    let o = &sale.order;
    let codes = (o.status == OrderStatus::Delivered).then_some(sale.codes.as_slice());
    let mut doc = order_json(o, codes);
    if !delivered.is_empty() {
        doc["delivery"] = serde_json::to_value(delivered)?;
    }
    emit(ctx.json, &doc, || {
        let mut out = format!("{}  {}  {}  {}", o.public_id, o.sku, o.name, o.price);
        if let Some(p) = &o.payment
            && let Some(change) = p.change
        {
            out.push_str(&format!("\nchange: {change}"));
        }
        for c in &sale.codes {
            out.push_str(&format!("\nCODE: {}", c.code));
            if let Some(pin) = &c.pin {
                out.push_str(&format!("  PIN: {pin}"));
            }
            if let Some(serial) = &c.serial {
                out.push_str(&format!("  serial: {serial}"));
            }
        }
        if let Some(url) = &o.redeem_url {
            out.push_str(&format!("\nredeem at {url}"));
        }
        for d in delivered {
            out.push_str(&format!("\n{}", super::delivery::describe(d)));
        }
        out
    })?;
    match &sale.outcome {
        Outcome::Delivered => Ok(()),
        Outcome::RefundDue { code, message } => Err(anyhow::Error::new(Failure {
            code: REFUSED,
            message: format!(
                "{}: PAYMENT TAKEN — CODE NOT ISSUED — REFUND DUE {} ({code}: {message})",
                o.public_id, o.price
            ),
        })),
        Outcome::Open { reason } => Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!(
                "{}: payment taken, the code is not issued yet ({reason}); it will finish on `codetill recover` or the next start",
                o.public_id
            ),
        })),
        Outcome::Busy => Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!("{}: another till is finishing this order", o.public_id),
        })),
    }
}

pub async fn list(ctx: &Context, args: OrdersArgs) -> anyhow::Result<()> {
    let status = match &args.status {
        Some(s) => Some(
            s.parse::<OrderStatus>()
                .map_err(|e| Failure::bad_input(format!("--status: {e}")))?,
        ),
        None => None,
    };
    let since = match &args.since {
        Some(s) => Some(parse_since(s)?),
        None => None,
    };
    let db = ctx.db().await?;
    let filter = OrderFilter {
        status,
        since,
        sku: args.sku,
        limit: Some(args.limit),
    };
    let orders = orders::list(&db, &filter).await.map_err(order_error)?;
    let docs: Vec<Value> = orders.iter().map(|o| order_json(o, None)).collect();
    emit(ctx.json, &docs, || {
        if orders.is_empty() {
            return "no orders".into();
        }
        orders
            .iter()
            .map(|o| {
                format!(
                    "{}  {:<10}  {:<14}  {:>10}  {}  {}",
                    o.public_id,
                    o.status.as_str(),
                    o.sku,
                    o.price.to_string(),
                    o.created_at,
                    o.failure.as_ref().map(|f| f.code.as_str()).unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn parse_since(s: &str) -> anyhow::Result<String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(codetill_core::db::time_text(t.with_timezone(&chrono::Utc)));
    }
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Failure::bad_input(format!(
            "--since {s:?}: use YYYY-MM-DD or an RFC 3339 instant"
        ))
    })?;
    Ok(format!("{d}T00:00:00.000Z"))
}

pub async fn show(ctx: &Context, args: OrderArgs) -> anyhow::Result<()> {
    let db = ctx.db().await?;
    let (order, codes) = if args.reveal {
        let order = orders::find(&db, &args.id).await.map_err(order_error)?;
        if order.status != OrderStatus::Delivered {
            return Err(Failure::bad_input(format!(
                "{} is {}: there is no code to reveal",
                order.public_id, order.status
            )));
        }
        let engine_vault = ctx.vault().await?;
        let staff = ctx.staff(args.staff);
        let (order, codes) = orders::reveal(
            &db,
            &engine_vault,
            &order.public_id,
            &staff,
            args.reason.as_deref(),
        )
        .await
        .map_err(order_error)?;
        (order, Some(codes))
    } else {
        (
            orders::find(&db, &args.id).await.map_err(order_error)?,
            None,
        )
    };
    emit(ctx.json, &order_json(&order, codes.as_deref()), || {
        let mut out = format!(
            "{}  {}\n{}  {}  {}\nprice {}  staff {}  created {}",
            order.public_id,
            order.status,
            order.sku,
            order.name,
            order.region,
            order.price,
            order.staff,
            order.created_at
        );
        if let Some(p) = &order.payment {
            out.push_str(&format!(
                "\npaid {} by {} at {}",
                p.amount, p.method, p.taken_at
            ));
        }
        if let Some(f) = &order.failure {
            out.push_str(&format!("\nsupplier refused: {} ({})", f.message, f.code));
        }
        if order.status == OrderStatus::RefundDue {
            out.push_str("\nPAYMENT TAKEN — CODE NOT ISSUED — REFUND DUE");
        }
        match &codes {
            Some(codes) => {
                for c in codes {
                    out.push_str(&format!("\nCODE: {}", c.code));
                    if let Some(pin) = &c.pin {
                        out.push_str(&format!("  PIN: {pin}"));
                    }
                }
            }
            None if order.status == OrderStatus::Delivered => {
                out.push_str("\ncode hidden (use --reveal; it is audited)")
            }
            None => {}
        }
        out
    })
}

pub async fn recover(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.db().await?;
    let engine = ctx.engine(&db).await?;
    let report = engine.recover().await.map_err(order_error)?;
    emit(ctx.json, &report, || {
        format!(
            "recovered: {} delivered, {} refund due, {} still open, {} with another till; {} stale quotes cancelled",
            report.delivered.len(),
            report.refund_due.len(),
            report.open.len(),
            report.busy.len(),
            report.cancelled_quotes
        )
    })?;
    if report.open.is_empty() && report.busy.is_empty() {
        Ok(())
    } else {
        Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!(
                "still open: {}",
                [report.open, report.busy].concat().join(", ")
            ),
        }))
    }
}

/// Finishes what an earlier run left open, briefly, before a command. A till
/// without a supplier has nothing it could finish.
pub async fn at_start(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.db().await?;
    if orders::open_order_ids(&db)
        .await
        .map_err(order_error)?
        .is_empty()
    {
        return Ok(());
    }
    let Ok(mut engine) = ctx.engine(&db).await else {
        return Ok(());
    };
    engine.options.budget = std::time::Duration::from_secs(5);
    let report: orders::RecoveryReport = Engine::recover(&engine).await.map_err(order_error)?;
    if !report.delivered.is_empty() || !report.refund_due.is_empty() {
        eprintln!(
            "codetill: finished orders left open earlier: {} delivered, {} refund due",
            report.delivered.len(),
            report.refund_due.len()
        );
    }
    Ok(())
}

pub async fn refund(ctx: &Context, args: RefundArgs) -> anyhow::Result<()> {
    let db = ctx.db().await?;
    let method = match args.method {
        PayMethod::Cash => "cash",
        PayMethod::Card => "card",
    };
    let staff = ctx.staff(args.staff);
    let order = orders::record_refund(&db, &args.id, method, args.reference.as_deref(), &staff)
        .await
        .map_err(order_error)?;
    emit(ctx.json, &order_json(&order, None), || {
        format!("{} refunded {} by {method}", order.public_id, order.price)
    })
}
