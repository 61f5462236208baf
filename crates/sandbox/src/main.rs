//! `codetill-sandbox`: the sandbox supplier as a standalone process.

use clap::Parser;
use codetill_sandbox::{SandboxArgs, run_foreground};

#[derive(Parser)]
#[command(
    name = "codetill-sandbox",
    version,
    about = "A wholesale supplier serving Wholesale API v1 with scriptable faults"
)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr: stdout carries only the one-line banner.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("codetill_sandbox=info")),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run_foreground(cli.args).await {
        eprintln!("codetill-sandbox: {e:#}");
        std::process::exit(1);
    }
    Ok(())
}
