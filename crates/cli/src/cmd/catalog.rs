use std::io::IsTerminal;

use codetill_core::catalog::{self, SyncKind, SyncOptions, SyncReport};
use codetill_core::product::Product;
use codetill_core::progress::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::args::{SearchArgs, SyncArgs};
use crate::context::Context;
use crate::output::emit;

pub async fn sync(ctx: &Context, args: SyncArgs) -> anyhow::Result<()> {
    let till = ctx.till().await?;
    let options = SyncOptions {
        kind: if args.full {
            SyncKind::Full
        } else if args.incremental {
            SyncKind::Incremental
        } else {
            SyncKind::Auto
        },
        ..SyncOptions::default()
    };
    let bar = progress_bar();
    let on_progress = |p: &Progress| {
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.done);
        bar.set_message(p.stage);
    };
    let result = till.sync_catalog(&options, &on_progress).await;
    bar.finish_and_clear();
    let report = result?;
    emit(ctx.json, &report, || summary(&report))
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} products ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn summary(r: &SyncReport) -> String {
    let mut out = format!(
        "{} sync: {} products received in {} page(s), {:.1} s\n  {} new, {} updated, {} unchanged, {} discontinued, {} skipped, {} price changes",
        r.kind,
        r.received,
        r.pages,
        r.duration_ms as f64 / 1000.0,
        r.inserted,
        r.updated,
        r.unchanged,
        r.discontinued,
        r.skipped,
        r.price_changes
    );
    for bad in r.skipped_rows.iter().take(10) {
        out.push_str(&format!(
            "\n  skipped {}: {}",
            bad.sku.as_deref().unwrap_or("(no sku)"),
            bad.reason
        ));
    }
    if r.skipped_rows.len() > 10 {
        out.push_str(&format!(
            "\n  … and {} more skipped rows",
            r.skipped_rows.len() - 10
        ));
    }
    out
}

/// One search result as the contract prints it.
#[derive(Serialize)]
struct Hit<'a> {
    sku: &'a str,
    name: &'a str,
    brand: &'a str,
    category: &'a str,
    region: &'a str,
    face_value: String,
    face_currency: &'a str,
    price: String,
    currency: &'a str,
    in_stock: bool,
    /// The supplier of the best offer ("default": the shop's single supplier).
    supplier: &'a str,
    /// For an open-amount product: the face values it can be sold at.
    #[serde(skip_serializing_if = "Option::is_none")]
    min_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_amount: Option<String>,
}

impl<'a> From<&'a Product> for Hit<'a> {
    fn from(p: &'a Product) -> Self {
        Hit {
            sku: &p.sku,
            name: &p.name,
            brand: &p.brand,
            category: p.category.as_str(),
            region: &p.region,
            face_value: p.face_value.amount_string(),
            face_currency: p.face_value.currency.code(),
            price: p.retail.amount_string(),
            currency: p.retail.currency.code(),
            in_stock: p.in_stock,
            supplier: codetill_core::supplier::routing::display_name(p.supplier.as_deref()),
            min_amount: p.open_amount.as_ref().map(|o| o.min.amount_string()),
            max_amount: p.open_amount.as_ref().map(|o| o.max.amount_string()),
        }
    }
}

/// `search` before any runtime or till is made: one native connection when the
/// database is this build's (see [`catalog::search_read_only`]); `None` leaves it to
/// [`search`].
pub fn search_at_once(
    global: &crate::args::Global,
    args: &SearchArgs,
) -> Option<anyhow::Result<()>> {
    // A till on PostgreSQL searches its copy, after asking the server whether the
    // copy is behind: the full path.
    if codetill_core::settings::env_override(codetill_core::till::DATABASE_URL_ENV).is_some() {
        return None;
    }
    let data_dir = match &global.data_dir {
        Some(d) => d.clone(),
        None => codetill_core::till::data_dir()?,
    };
    // Moved there by Settings → Database (the URL is in the keyring, which this
    // path does not open): the file here is no longer the shop's.
    if codetill_core::till::database::moved_to_server(&data_dir) {
        return None;
    }
    let path = codetill_core::db::db_path(&data_dir);
    match catalog::search_read_only(&path, &args.query, args.limit) {
        Ok(Some(products)) => Some(print_hits(global.json, &args.query, &products)),
        Ok(None) => None,
        Err(e) => {
            tracing::debug!(error = %e, "read-only search failed: the full path answers");
            None
        }
    }
}

pub async fn search(ctx: &Context, args: SearchArgs) -> anyhow::Result<()> {
    let products = ctx.till().await?.search(&args.query, args.limit).await?;
    print_hits(ctx.json, &args.query, &products)
}

fn print_hits(
    json: bool,
    query: &str,
    products: &[codetill_core::product::Product],
) -> anyhow::Result<()> {
    let hits: Vec<Hit<'_>> = products.iter().map(Hit::from).collect();
    emit(json, &hits, || {
        if hits.is_empty() {
            return format!("no products match {:?}", query);
        }
        let sku_w = hits.iter().map(|h| h.sku.len()).max().unwrap_or(3).max(3);
        let name_w = hits
            .iter()
            .map(|h| h.name.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 48);
        let mut out = format!(
            "{:<sku_w$}  {:<name_w$}  {:<6}  {:>12}  {}",
            "SKU", "NAME", "REGION", "PRICE", "STOCK"
        );
        for h in &hits {
            let name: String = h.name.chars().take(name_w).collect();
            out.push_str(&format!(
                "\n{:<sku_w$}  {:<name_w$}  {:<6}  {:>8} {}  {}",
                h.sku,
                name,
                h.region,
                h.price,
                h.currency,
                if h.in_stock {
                    "in stock"
                } else {
                    "out of stock"
                }
            ));
        }
        out
    })
}
