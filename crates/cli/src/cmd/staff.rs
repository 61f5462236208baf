//! staff add | list | disable | enable.

use std::io::BufRead;

use codetill_core::staff::{Member, NewMember, Role};

use crate::args::{StaffAddArgs, StaffCommand};
use crate::context::Context;
use crate::failure::Failure;
use crate::output::emit;

pub async fn run(ctx: &Context, command: StaffCommand) -> anyhow::Result<()> {
    match command {
        StaffCommand::Add(a) => add(ctx, a).await,
        StaffCommand::List => list(ctx).await,
        StaffCommand::Disable { name } => {
            let till = ctx.till().await?;
            let member = till.disable_staff(&ctx.clerk(None), &name).await?;
            emit(ctx.json, &member, || format!("disabled {}", line(&member)))
        }
        StaffCommand::Enable { name } => {
            let till = ctx.till().await?;
            let member = till.enable_staff(&ctx.clerk(None), &name).await?;
            emit(ctx.json, &member, || format!("enabled {}", line(&member)))
        }
    }
}

async fn add(ctx: &Context, a: StaffAddArgs) -> anyhow::Result<()> {
    let role: Role = a.role.parse()?;
    if !a.pin_stdin {
        return Err(Failure::bad_input(
            "pin: pass --pin-stdin and type the PIN on stdin (never on the command line)",
        ));
    }
    let mut pin = String::new();
    std::io::stdin().lock().read_line(&mut pin)?;
    let new = NewMember {
        name: &a.name,
        role,
        pin: pin.trim(),
    };
    let till = ctx.till().await?;
    // The first member of staff is the shop's owner (the first run).
    let member = if till.needs_owner().await? && role == Role::Owner {
        till.first_owner(new.name, new.pin).await?
    } else {
        till.add_staff(&ctx.clerk(None), &new).await?
    };
    emit(ctx.json, &member, || format!("added {}", line(&member)))
}

async fn list(ctx: &Context) -> anyhow::Result<()> {
    let staff = ctx.till().await?.staff().await?;
    emit(ctx.json, &staff, || {
        if staff.is_empty() {
            return "no staff yet: `codetill staff add NAME --role owner --pin-stdin` makes the owner".into();
        }
        staff.iter().map(line).collect::<Vec<_>>().join("\n")
    })
}

fn line(m: &Member) -> String {
    format!(
        "{:<24} {:<8} {}{}",
        m.name,
        m.role.as_str(),
        if m.enabled { "enabled" } else { "disabled" },
        m.locked_until
            .as_deref()
            .filter(|until| *until > codetill_core::db::now_text().as_str())
            .map(|until| format!(", locked until {until}"))
            .unwrap_or_default()
    )
}
