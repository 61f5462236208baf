//! sell, orders, order, recover, refund.

use codetill_core::delivery::Language;
use codetill_core::money::parse_decimal;
use codetill_core::orders::{
    self, BasketLine, BasketView, MAX_QUANTITY, Order, OrderFilter, OrderStatus, OrderView,
    Outcome, RevealedCode, Sale, Tender,
};
use codetill_core::till::{Handover, Item, Print};
use serde_json::Value;

use crate::args::{OrderArgs, OrdersArgs, PayMethod, RefundArgs, SellArgs};
use crate::context::Context;
use crate::failure::{Failure, OPEN, REFUSED};
use crate::output::emit;

/// The contract's order object (core's [`OrderView`]); `codes` only when given and
/// the order is delivered.
fn order_json(order: &Order, codes: Option<&[RevealedCode]>) -> anyhow::Result<Value> {
    let view = match codes {
        Some(codes) => OrderView::with_codes(order, codes),
        None => OrderView::of(order),
    };
    Ok(serde_json::to_value(view)?)
}

pub async fn sell(ctx: &Context, args: SellArgs) -> anyhow::Result<()> {
    // Check what was typed before anything else happens.
    let language: Language = args.lang.parse()?;
    let handover = Handover {
        email: args.email.clone(),
        language,
        print: if args.print {
            Print::Required
        } else {
            Print::No
        },
        buyer_tax_id: args.buyer_tax_id.clone(),
        phone: args.phone.clone(),
        buyer_name: args.buyer_name.clone(),
    };
    let amount = match &args.amount {
        Some(a) => {
            Some(parse_decimal(a).map_err(|e| Failure::bad_input(format!("--amount: {e}")))?)
        }
        None => None,
    };
    let clerk = ctx.clerk(args.staff.as_deref());
    let till = ctx.till().await?;
    let lines = basket_lines(till.db(), &args.skus, amount).await?;
    let [line] = &lines[..] else {
        return sell_basket(ctx, till, &args, lines, &handover, &clerk).await;
    };
    if line.quantity != 1 {
        return sell_basket(ctx, till, &args, lines, &handover, &clerk).await;
    }
    let item = Item {
        sku: line.sku.clone(),
        amount: line.amount,
    };
    let sale = match (args.pay, &args.tendered, &args.terminal_ref) {
        (PayMethod::Cash, Some(t), _) => {
            let tendered =
                parse_decimal(t).map_err(|e| Failure::bad_input(format!("--tendered: {e}")))?;
            till.sell_cash(item, tendered, &handover, &clerk).await?
        }
        (PayMethod::Card, _, Some(r)) => till.sell_card(item, r, &handover, &clerk).await?,
        _ => {
            return Err(Failure::bad_input(
                "--pay cash needs --tendered; --pay card needs --terminal-ref",
            ));
        }
    };
    // One quick attempt at the email and the receipt; the sale stands whatever happens.
    let delivered = super::delivery::after_sale(till, &sale.order).await;
    report_sale(ctx, &sale, &delivered)
}

/// The lines typed as `SKU[:QTY]`. A sku that itself holds a colon (another
/// supplier's offer, `NAME:SKU`) is taken whole when the catalog has it; otherwise
/// digits after the last colon are the quantity. `--amount` is for one line only.
async fn basket_lines(
    db: &codetill_core::db::Db,
    typed: &[String],
    amount: Option<rust_decimal::Decimal>,
) -> anyhow::Result<Vec<BasketLine>> {
    if amount.is_some() && typed.len() > 1 {
        return Err(Failure::bad_input(
            "--amount: an open amount is sold one line at a time",
        ));
    }
    let mut lines = Vec::with_capacity(typed.len());
    for text in typed {
        let text = text.trim();
        let split = match text.rsplit_once(':') {
            Some((sku, qty))
                if !qty.is_empty()
                    && qty.chars().all(|c| c.is_ascii_digit())
                    && codetill_core::catalog::product_by_sku(db.pool(), text)
                        .await?
                        .is_none() =>
            {
                let quantity = qty
                    .parse::<u32>()
                    .ok()
                    .filter(|q| (1..=MAX_QUANTITY).contains(q));
                let Some(quantity) = quantity else {
                    return Err(Failure::bad_input(format!(
                        "{text}: the quantity is 1 to {MAX_QUANTITY}"
                    )));
                };
                (sku.to_string(), quantity)
            }
            _ => (text.to_string(), 1),
        };
        lines.push(BasketLine {
            sku: split.0,
            amount,
            quantity: split.1,
        });
    }
    Ok(lines)
}

/// `sell SKU:QTY …`: a basket, paid once. Exits as a sale does, by its worst unit:
/// 3 when one was refused after payment (refund due), 4 when one is still open.
async fn sell_basket(
    ctx: &Context,
    till: &codetill_core::till::Till,
    args: &SellArgs,
    lines: Vec<BasketLine>,
    handover: &Handover,
    clerk: &codetill_core::till::Clerk,
) -> anyhow::Result<()> {
    let tender = match (args.pay, &args.tendered, &args.terminal_ref) {
        (PayMethod::Cash, Some(t), _) => Tender::Cash {
            tendered: parse_decimal(t)
                .map_err(|e| Failure::bad_input(format!("--tendered: {e}")))?,
        },
        (PayMethod::Card, _, Some(r)) => Tender::Card {
            terminal_ref: r.trim().to_string(),
        },
        _ => {
            return Err(Failure::bad_input(
                "--pay cash needs --tendered; --pay card needs --terminal-ref",
            ));
        }
    };
    let basket = till.sell_basket(lines, tender, handover, clerk).await?;
    let mut delivered = Vec::new();
    for sale in basket.sales() {
        delivered.extend(super::delivery::after_sale(till, &sale.order).await);
    }
    let mut doc = serde_json::to_value(BasketView::of(&basket))?;
    if !delivered.is_empty() {
        doc["delivery"] = serde_json::to_value(&delivered)?;
    }
    emit(ctx.json, &doc, || {
        let mut out = format!("{}  total {}", basket.basket, basket.total);
        if let Some(change) = basket.change {
            out.push_str(&format!("\nchange: {change}"));
        }
        for line in &basket.lines {
            out.push_str(&format!(
                "\nline {}: {} × {}  {}",
                line.line, line.quantity, line.sku, line.total
            ));
            for sale in &line.sales {
                let o = &sale.order;
                out.push_str(&format!("\n  {}  {}", o.public_id, o.status));
                for c in &sale.codes {
                    out.push_str(&format!("\n  CODE: {}", c.code));
                    if let Some(pin) = &c.pin {
                        out.push_str(&format!("  PIN: {pin}"));
                    }
                }
            }
        }
        if !basket.refund_due.amount.is_zero() {
            out.push_str(&format!("\nREFUND DUE {}", basket.refund_due));
        }
        for d in &delivered {
            out.push_str(&format!("\n{}", super::delivery::describe(d)));
        }
        out
    })?;
    let sales: Vec<&Sale> = basket.sales().collect();
    if sales
        .iter()
        .any(|s| matches!(s.outcome, Outcome::Open { .. } | Outcome::Busy))
    {
        return Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!(
                "{}: payment taken, some codes are not issued yet; they finish on `codetill recover` or the next start",
                basket.basket
            ),
        }));
    }
    if !basket.refund_due.amount.is_zero() {
        return Err(anyhow::Error::new(Failure {
            code: REFUSED,
            message: format!(
                "{}: PAYMENT TAKEN — SOME CODES NOT ISSUED — REFUND DUE {}",
                basket.basket, basket.refund_due
            ),
        }));
    }
    Ok(())
}

fn report_sale(
    ctx: &Context,
    sale: &Sale,
    delivered: &[codetill_core::delivery::AttemptResult],
) -> anyhow::Result<()> {
    let o = &sale.order;
    let codes = (o.status == OrderStatus::Delivered).then_some(sale.codes.as_slice());
    let mut doc = order_json(o, codes)?;
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
    let till = ctx.till().await?;
    let filter = OrderFilter {
        status,
        since,
        sku: args.sku,
        buyer: args.buyer,
        limit: Some(args.limit),
    };
    let orders = orders::list(till.db(), &filter).await?;
    let docs: Vec<OrderView> = orders.iter().map(OrderView::of).collect();
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

/// The audit log's reason for a command-line reveal given none.
const NO_REASON: &str = "none given (command line)";

pub async fn show(ctx: &Context, args: OrderArgs) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let (order, codes) = if args.reveal {
        // The contract's `order ID --reveal` takes no reason; the audit log then
        // says that none was given, with who ran it.
        let reason = args
            .reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or(NO_REASON);
        let clerk = ctx.clerk(args.staff.as_deref());
        let (order, codes) = till.reveal(&args.id, reason, &clerk).await?;
        (order, Some(codes))
    } else {
        (orders::find(till.db(), &args.id).await?, None)
    };
    emit(ctx.json, &order_json(&order, codes.as_deref())?, || {
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
    let report = ctx.till().await?.recover(None).await?;
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
    let till = ctx.till().await?;
    let Some(report) = till
        .recover_open_orders(Some(std::time::Duration::from_secs(5)))
        .await
    else {
        return Ok(());
    };
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
    let till = ctx.till().await?;
    let method = match args.method {
        PayMethod::Cash => "cash",
        PayMethod::Card => "card",
    };
    let clerk = ctx.clerk(args.staff.as_deref());
    let order = till
        .refund(&clerk, &args.id, method, args.reference.as_deref())
        .await?;
    emit(ctx.json, &order_json(&order, None)?, || {
        format!("{} refunded {} by {method}", order.public_id, order.price)
    })
}
