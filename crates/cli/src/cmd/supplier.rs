use std::io::Read;

use codetill_core::secrets::names;
use codetill_core::settings;
use serde_json::json;

use crate::args::SupplierCommand;
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: SupplierCommand) -> anyhow::Result<()> {
    match command {
        SupplierCommand::Set { url, key_stdin } => set(ctx, url, key_stdin).await,
        SupplierCommand::Show => show(ctx).await,
    }
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
