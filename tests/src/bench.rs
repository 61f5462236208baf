//! What the benches share: the numbers they take on the command line, and quantiles
//! of their timings.

use std::time::Duration;

use anyhow::Context;

/// The number after `name` on the bench's command line (`-- --runs 50`), else
/// `default`.
pub fn flag(name: &str, default: u64) -> anyhow::Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .with_context(|| format!("{name} N"))?
            .parse()?),
        None => Ok(default),
    }
}

/// Quantile `q` (0 to 1) of sorted durations; zero for none.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}
