use std::io::Read;

use codetill_core::secrets::{Redacted, names};
use codetill_core::settings;
use codetill_core::supplier::accounts::{self, Account, NewAccount};
use serde_json::json;

use crate::args::{SupplierAddArgs, SupplierCommand};
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: SupplierCommand) -> anyhow::Result<()> {
    match command {
        SupplierCommand::Set { url, key_stdin } => set(ctx, url, key_stdin).await,
        SupplierCommand::Show { name: None } => show(ctx).await,
        SupplierCommand::Show { name: Some(name) } => {
            let till = ctx.till().await?;
            let account = accounts::get(till.db(), &name).await?;
            emit(ctx.json, &account, || line(&account))
        }
        SupplierCommand::Add(args) => add(ctx, args).await,
        SupplierCommand::List => {
            let till = ctx.till().await?;
            let list = accounts::list(till.db()).await?;
            emit(ctx.json, &list, || match list.is_empty() {
                true => "no supplier accounts (`codetill supplier add`)".into(),
                false => list.iter().map(line).collect::<Vec<_>>().join("\n"),
            })
        }
        SupplierCommand::Offers { sku } => offers(ctx, &sku).await,
        SupplierCommand::Link { sku, to } => {
            let till = ctx.till().await?;
            codetill_core::catalog::link(till.db(), &sku, &to).await?;
            emit(
                ctx.json,
                &json!({"sku": sku.trim(), "linked_to": to.trim()}),
                || format!("{} is now an offer of {}", sku.trim(), to.trim()),
            )
        }
        SupplierCommand::Unlink { sku } => {
            let till = ctx.till().await?;
            codetill_core::catalog::unlink(till.db(), &sku).await?;
            emit(
                ctx.json,
                &json!({"sku": sku.trim(), "linked_to": null}),
                || format!("{} is a product of its own", sku.trim()),
            )
        }
        SupplierCommand::Enable { name } => switch(ctx, &name, true).await,
        SupplierCommand::Disable { name } => switch(ctx, &name, false).await,
        SupplierCommand::Test { name } => {
            let till = ctx.till().await?;
            let account = accounts::get(till.db(), &name).await?;
            let supplier = codetill_core::setup::account_supplier(till.secrets(), &account).await?;
            let balance = supplier.balance().await?;
            emit(
                ctx.json,
                &json!({
                    "name": account.name,
                    "answers": true,
                    "balance": balance.available.amount_string(),
                    "currency": balance.available.currency.code(),
                }),
                || format!("{} answers: balance {}", account.name, balance.available),
            )
        }
        SupplierCommand::Topup(args) => super::reconcile::topup(ctx, args).await,
        SupplierCommand::Topups { supplier } => super::reconcile::topups(ctx, supplier).await,
        SupplierCommand::Remove { name } => {
            let till = ctx.till().await?;
            let gone = till.remove_supplier(&ctx.clerk(None), &name).await?;
            emit(ctx.json, &gone, || {
                format!("removed {} and its key", gone.name)
            })
        }
    }
}

async fn add(ctx: &Context, a: SupplierAddArgs) -> anyhow::Result<()> {
    let key = if a.key_stdin {
        let mut key = String::new();
        std::io::stdin().read_to_string(&mut key)?;
        Some(Redacted::new(key))
    } else {
        None
    };
    let new = NewAccount {
        name: a.name,
        kind: a.kind,
        url: a.url,
        auth_url: a.auth_url,
        account: a.account,
        account_currency: a.account_currency,
    };
    let till = ctx.till().await?;
    let account = till.add_supplier(&ctx.clerk(None), &new, key).await?;
    emit(ctx.json, &account, || {
        format!(
            "added {}{}",
            line(&account),
            if a.key_stdin {
                " (key in the OS keyring)"
            } else {
                ""
            }
        )
    })
}

async fn switch(ctx: &Context, name: &str, enabled: bool) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let account = till
        .enable_supplier(&ctx.clerk(None), name, enabled)
        .await?;
    emit(ctx.json, &account, || line(&account))
}

fn line(a: &Account) -> String {
    format!(
        "{:<16} {:<16} {:<8} {}{}{}",
        a.name,
        a.kind.as_str(),
        if a.enabled { "enabled" } else { "disabled" },
        a.url,
        a.account_currency
            .as_deref()
            .map(|c| format!("  ({c})"))
            .unwrap_or_default(),
        a.account
            .as_deref()
            .map(|c| format!("  account {c}"))
            .unwrap_or_default()
    )
}

async fn set(ctx: &Context, url: String, key_stdin: bool) -> anyhow::Result<()> {
    codetill_core::supplier::parse_base_url(&url)
        .map_err(|e| Failure::bad_input(format!("--url: {e}")))?;
    // Read and check the key before changing anything.
    let key = if key_stdin {
        let mut key = String::new();
        std::io::stdin().read_to_string(&mut key)?;
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(Failure::bad_input("--key-stdin: no key on stdin"));
        }
        Some(key)
    } else {
        None
    };
    let till = ctx.till().await?;
    let db = till.db();
    if let Some(key) = key {
        let secrets = till.secrets();
        tokio::task::spawn_blocking(move || secrets.set(names::SUPPLIER_KEY, &key)).await??;
    }
    settings::set(db.pool(), settings::SUPPLIER_URL, url.trim()).await?;
    emit(
        ctx.json,
        &json!({ "url": url.trim(), "key_stored": key_stdin }),
        || {
            format!(
                "supplier set: {}{}",
                url.trim(),
                if key_stdin {
                    " (key stored in the OS keyring)"
                } else {
                    ""
                }
            )
        },
    )
}

async fn show(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.till().await?.db().clone();
    let url = codetill_core::setup::supplier_url(&db).await?;
    emit(ctx.json, &json!({ "url": url }), || match &url {
        Some(u) => format!("supplier: {u}"),
        None => "no supplier configured".into(),
    })
}

/// The offers of one product from the enabled suppliers, cheapest first: who sells
/// it, at what price and cost, in stock or not.
async fn offers(ctx: &Context, sku: &str) -> anyhow::Result<()> {
    use codetill_core::supplier::routing::display_name;
    let till = ctx.till().await?;
    let product = codetill_core::catalog::product_by_sku(till.db().pool(), sku)
        .await?
        .ok_or_else(|| Failure::bad_input(format!("no product with sku {:?}", sku.trim())))?;
    let mut conn = till.db().pool().acquire().await?;
    let offers = codetill_core::catalog::offers(&mut conn, &product).await?;
    drop(conn);
    let rows: Vec<_> = offers
        .iter()
        .map(|o| {
            json!({
                "sku": o.sku,
                "supplier": display_name(o.supplier.as_deref()),
                "price": o.retail.amount_string(),
                "currency": o.retail.currency.code(),
                "cost": o.wholesale.amount_string(),
                "cost_currency": o.wholesale.currency.code(),
                "in_stock": o.in_stock,
            })
        })
        .collect();
    emit(ctx.json, &rows, || {
        offers
            .iter()
            .map(|o| {
                format!(
                    "{:<24} {:<12} {:>10} {}  {}",
                    o.sku,
                    display_name(o.supplier.as_deref()),
                    o.retail.amount_string(),
                    o.retail.currency,
                    if o.in_stock {
                        "in stock"
                    } else {
                        "out of stock"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
