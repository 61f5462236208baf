//! `codetill` — the command-line front over codetill-core (`shared/contracts/cli.md`).
//! Commands are thin: parse, call core, print. Exit codes carry meaning for scripts.
#![forbid(unsafe_code)]

mod args;
mod cmd;
mod context;
mod failure;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::failure::Failure;

fn main() -> ExitCode {
    let args = match args::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // Help and version are not errors; usage errors exit 2 per the contract.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_tracing(args.global.verbose);
    // A search is a process that starts, reads and exits: answered before a runtime
    // is built when the database allows (else as every command is, below).
    if let args::Command::Search(search) = &args.command
        && let Some(done) = cmd::search_at_once(&args.global, search)
    {
        return exit(done);
    }
    // A command is one client of the database and the supplier at a time: one thread
    // runs it (starting worker threads costs a search more than it gains). The
    // sandbox serves many clients at once and gets the threads.
    let runtime = match &args.command {
        args::Command::Sandbox(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build();
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("codetill: error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    exit(runtime.block_on(cmd::run(args)))
}

fn exit(done: anyhow::Result<()>) -> ExitCode {
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let failure = Failure::from_anyhow(&e);
            eprintln!("codetill: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,codetill=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CODETILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Logs go to stderr: stdout belongs to the command's output (and --json).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
