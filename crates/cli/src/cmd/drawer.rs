//! drawer open, drawer set on|off: the cash drawer on the receipt printer.

use codetill_core::till::drawer::Opening;
use serde_json::json;

use crate::args::DrawerCommand;
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: DrawerCommand) -> anyhow::Result<()> {
    match command {
        DrawerCommand::Set { state } => {
            let on = super::on_off(&state)?;
            let till = ctx.till().await?;
            // Through the till: the owner's, audited, and kept as this till's own
            // on a server several tills share.
            let on = till.set_drawer(&ctx.clerk(None), on).await?;
            emit(ctx.json, &json!({ "drawer": on }), || {
                if on {
                    "the receipt printer has a cash drawer: cash sales open it".into()
                } else {
                    "no cash drawer".into()
                }
            })
        }
        DrawerCommand::Open => {
            let till = ctx.till().await?;
            let opened = till.open_drawer(&ctx.clerk(None), Opening::NoSale).await?;
            if !opened {
                return Err(Failure::bad_input(
                    "no cash drawer set up (`codetill drawer set on`, and a tcp:// or file: printer)",
                ));
            }
            emit(ctx.json, &json!({ "opened": true }), || {
                "drawer opened".into()
            })
        }
    }
}
