//! `codetill-fuzz SECONDS [TARGET…]`: runs each target (all by default) for
//! SECONDS in turn and prints one summary line per target. Exits 1 if any input
//! crashed a target or broke an invariant (each is saved under `corpus/`).
//! `codetill-fuzz list` names the targets.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("list") {
        for t in codetill_fuzz::TARGETS {
            println!("{t}");
        }
        return ExitCode::SUCCESS;
    }
    let Some(seconds) = args.first().and_then(|s| s.parse::<u64>().ok()) else {
        eprintln!("usage: codetill-fuzz SECONDS [TARGET…] | codetill-fuzz list");
        return ExitCode::from(2);
    };
    let names: Vec<&str> = if args.len() > 1 {
        args[1..].iter().map(String::as_str).collect()
    } else {
        codetill_fuzz::TARGETS.to_vec()
    };
    let mut reports = Vec::new();
    for name in names {
        eprintln!("{name}: fuzzing for {seconds} s");
        let Some(report) = codetill_fuzz::run_for(name, Duration::from_secs(seconds)) else {
            eprintln!("no target {name:?}; `codetill-fuzz list` names them");
            return ExitCode::from(2);
        };
        println!("{}", report.line());
        reports.push(report);
    }
    println!("summary:");
    for r in &reports {
        println!("  {}", r.line());
    }
    if reports.iter().any(|r| !r.failures.is_empty()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
