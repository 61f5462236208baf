use serde_json::json;

use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.till().await?.db().clone();
    let products: i64 = sqlx_count(&db).await?;
    let path = db.path().display().to_string();
    emit(
        ctx.json,
        &json!({ "data_dir": ctx.data_dir, "database": path, "products": products }),
        || format!("database ready: {path} ({products} products)"),
    )
}

async fn sqlx_count(db: &codetill_core::db::Db) -> anyhow::Result<i64> {
    Ok(codetill_core::catalog::product_count(db).await?)
}
