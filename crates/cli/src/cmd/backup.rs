//! backup create | restore.

use codetill_core::backup;
use codetill_core::till::{Till, db_path};

use crate::args::BackupCommand;
use crate::context::Context;
use crate::output::emit;

pub async fn run(ctx: &Context, command: BackupCommand) -> anyhow::Result<()> {
    // A file in the data folder would be some other database than the shop's.
    // (Asked before any database is opened: a restore must not need the current one.)
    if codetill_core::till::database::shop_url(Till::os_secrets(), &ctx.data_dir)
        .await?
        .is_some()
    {
        anyhow::bail!(
            "the shop's data is on PostgreSQL (CODETILL_DATABASE_URL, or Settings → Database): \
             back it up and restore it on the server (pg_dump, pg_restore), not from a till"
        );
    }
    match command {
        BackupCommand::Create { path } => {
            // Opened (and migrated) first, so a backup is of a current database.
            ctx.till().await?;
            let made = backup::create(&db_path(&ctx.data_dir), &path).await?;
            emit(ctx.json, &made, || {
                format!(
                    "backup {}: {} orders, {} codes (encrypted), {} bytes",
                    made.path.display(),
                    made.orders,
                    made.codes,
                    made.bytes
                )
            })
        }
        BackupCommand::Restore { path } => {
            let clerk = ctx.clerk(None);
            let restored =
                backup::restore(&ctx.data_dir, &path, Till::os_secrets(), &clerk.staff).await?;
            emit(ctx.json, &restored, || {
                let mut out = format!(
                    "restored {}: {} orders, {} codes",
                    restored.from.display(),
                    restored.database.orders,
                    restored.database.codes
                );
                if let Some(kept) = &restored.kept {
                    out.push_str(&format!(
                        "\nthe database it replaced is kept as {}",
                        kept.display()
                    ));
                }
                out
            })
        }
    }
}
