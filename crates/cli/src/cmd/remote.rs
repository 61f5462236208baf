//! relay pull [--follow], remote new.
//!
//! Exit codes for `relay pull`: 0 done (events held for review are reported, not
//! failures); 1 the relay could not be read or told (a clear reason; whatever was
//! already taken is safe in the inbox); 3 a paid order was refused by the supplier
//! (refund due); 4 a paid order is not finished yet (recovery finishes it).

use codetill_core::payments::{ProviderKind, Providers};
use codetill_core::relay::{self, Backoff, Feed, InboxWorker, PageReport, RelayError};
use codetill_core::remote::{self, ActReport, Desk};
use codetill_core::till::Till;
use serde_json::json;

use crate::args::{ProviderArg, RelayCommand, RemoteCommand, RemoteNewArgs};
use crate::context::Context;
use crate::failure::{Failure, OPEN, REFUSED};
use crate::output::emit;

fn relay_error(e: RelayError) -> anyhow::Error {
    Failure::failed(e.to_string())
}

async fn desk(till: &Till) -> anyhow::Result<Desk> {
    Ok(Desk::new(
        till.engine().await?,
        Providers::configured(till.db(), till.secrets()),
    ))
}

pub async fn remote(ctx: &Context, command: RemoteCommand) -> anyhow::Result<()> {
    match command {
        RemoteCommand::New(args) => new(ctx, args).await,
    }
}

async fn new(ctx: &Context, args: RemoteNewArgs) -> anyhow::Result<()> {
    // What was typed is checked before anything is asked or written.
    codetill_core::orders::check_email(&args.email)
        .map_err(|e| Failure::bad_input(format!("--email: {e}")))?;
    let provider = match args.provider {
        ProviderArg::Stripe => ProviderKind::Stripe,
        ProviderArg::Btcpay => ProviderKind::Btcpay,
        ProviderArg::Nowpayments => ProviderKind::Nowpayments,
        ProviderArg::Razorpay => ProviderKind::Razorpay,
    };
    let language: codetill_core::delivery::Language = args
        .lang
        .parse()
        .map_err(|e| Failure::bad_input(format!("--lang: {e}")))?;
    let amount = match &args.amount {
        Some(a) => Some(
            codetill_core::money::parse_decimal(a)
                .map_err(|e| Failure::bad_input(format!("--amount: {e}")))?,
        ),
        None => None,
    };
    let till = ctx.till().await?;
    let clerk = ctx.clerk(args.staff.as_deref());
    let item = codetill_core::till::Item {
        sku: args.sku.clone(),
        amount,
    };
    let order = till
        .sell_remotely(item, &args.email, language, provider, &clerk)
        .await?;
    emit(ctx.json, &order, || {
        let mut out = format!(
            "{}  {}  {} {}  awaiting payment by {}\nemail: {}\npay at: {}",
            order.order_id,
            args.sku.trim(),
            order.price,
            order.currency,
            order.provider,
            order.email,
            order.payment_url
        );
        if let Some(qr) = remote::terminal_qr(&order.payment_url) {
            out.push('\n');
            out.push_str(&qr);
        }
        out
    })
}

pub async fn relay(ctx: &Context, command: RelayCommand) -> anyhow::Result<()> {
    match command {
        RelayCommand::Pull { follow: false } => pull(ctx).await,
        RelayCommand::Pull { follow: true } => follow(ctx).await,
    }
}

/// Pages until the relay has nothing more, then acts on the inbox.
async fn pull(ctx: &Context) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let client = relay::configured(till.db(), till.secrets())
        .await
        .map_err(relay_error)?;
    let feed = Feed::new(client, till.db().clone());
    let mut pages: Vec<PageReport> = Vec::new();
    let mut failure: Option<RelayError> = None;
    // A bound, so a relay that keeps answering cannot keep one pull going forever.
    for _ in 0..1000 {
        match feed.pull_page(0).await {
            Ok(page) => {
                let more = page.received > 0;
                pages.push(page);
                if !more {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    // Whatever reached the inbox is acted on, even if the relay failed midway.
    let desk = desk(till).await?;
    let act = desk.work_inbox().await?;
    let mail = send_mail(till, &act).await;
    let received: u32 = pages.iter().map(|p| p.received).sum();
    let duplicates: u32 = pages.iter().map(|p| p.duplicates).sum();
    let cursor = pages.last().map(|p| p.cursor);
    let ack_error = pages.iter().rev().find_map(|p| p.ack_error.clone());
    let doc = json!({
        "received": received,
        "duplicates": duplicates,
        "cursor": cursor,
        "acked": ack_error.is_none() && failure.is_none(),
        "paid": act.paid, "delivered": act.delivered, "refund_due": act.refund_due,
        "open": act.open, "held": act.held, "ignored": act.ignored, "waiting": act.waiting,
        "delivery": mail,
    });
    emit(ctx.json, &doc, || summary(received, duplicates, &act))?;
    for h in &act.held {
        eprintln!(
            "codetill: HELD FOR REVIEW: {} event {} ({}): {}",
            h.provider,
            h.event_id,
            h.order_ref.as_deref().unwrap_or("no order"),
            h.reason
        );
    }
    if let Some(e) = failure {
        let message = if received > 0 {
            format!("{e} (the {received} event(s) taken before are safe in the inbox)")
        } else {
            format!("{e}; nothing was taken")
        };
        return Err(Failure::failed(message));
    }
    if let Some(e) = ack_error {
        return Err(Failure::failed(format!(
            "the events are stored and acted on, but the relay was not told ({e}); the next pull tells it"
        )));
    }
    outcome(&act)
}

fn summary(received: u32, duplicates: u32, act: &ActReport) -> String {
    format!(
        "{received} event(s) taken ({duplicates} seen before); {} paid, {} delivered, {} refund due, {} still open, {} held for review, {} ignored, {} waiting for the provider",
        act.paid.len(),
        act.delivered.len(),
        act.refund_due.len(),
        act.open.len(),
        act.held.len(),
        act.ignored,
        act.waiting.len()
    )
}

fn outcome(act: &ActReport) -> anyhow::Result<()> {
    if !act.refund_due.is_empty() {
        return Err(anyhow::Error::new(Failure {
            code: REFUSED,
            message: format!(
                "PAYMENT TAKEN — CODE NOT ISSUED — REFUND DUE: {}",
                act.refund_due.join(", ")
            ),
        }));
    }
    if !act.open.is_empty() {
        return Err(anyhow::Error::new(Failure {
            code: OPEN,
            message: format!(
                "paid, the code not issued yet: {}; they finish on `codetill recover` or the next start",
                act.open.join(", ")
            ),
        }));
    }
    Ok(())
}

/// One quick attempt at the emails of the orders just delivered (as `sell` does).
async fn send_mail(till: &Till, act: &ActReport) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for id in &act.delivered_ids {
        let Ok(order) = codetill_core::orders::find(till.db(), &id.to_string()).await else {
            continue;
        };
        for r in super::delivery::after_sale(till, &order).await {
            out.push(serde_json::to_value(&r).unwrap_or_default());
        }
    }
    out
}

/// The follow loop's work: the inbox, then the new deliveries' emails.
struct Worker<'a> {
    till: &'a Till,
    desk: Desk,
}

#[async_trait::async_trait]
impl InboxWorker for Worker<'_> {
    async fn work(&self) -> Result<(), String> {
        let act = self.desk.work_inbox().await.map_err(|e| e.to_string())?;
        act.log();
        for r in send_mail(self.till, &act).await {
            tracing::debug!(attempt = %r, "delivery attempt");
        }
        if !act.paid.is_empty() || !act.held.is_empty() {
            eprintln!(
                "codetill: {} paid, {} delivered, {} refund due, {} still open, {} held for review",
                act.paid.len(),
                act.delivered.len(),
                act.refund_due.len(),
                act.open.len(),
                act.held.len()
            );
        }
        for h in &act.held {
            eprintln!(
                "codetill: HELD FOR REVIEW: {} event {}: {}",
                h.provider, h.event_id, h.reason
            );
        }
        Ok(())
    }
}

async fn follow(ctx: &Context) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let client = relay::configured(till.db(), till.secrets())
        .await
        .map_err(relay_error)?;
    eprintln!(
        "codetill: following the relay at {}; Ctrl-C stops",
        client.url()
    );
    let feed = Feed::new(client, till.db().clone());
    let worker = Worker {
        till,
        desk: desk(till).await?,
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    relay::follow(&feed, &worker, Backoff::default(), stop)
        .await
        .map_err(relay_error)
}
