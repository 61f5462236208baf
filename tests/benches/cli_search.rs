//! A search at the command line, as a whole process, beside its floor: the sqlite3
//! CLI running the same FTS5 query (and reading the same product rows) on the same
//! database file, in the same minutes, runs interleaved.
//!
//!     cargo build --release -p codetill-cli   # the binary beside the bench
//! (or `CODETILL_BENCH_BIN=path/to/codetill` to time that binary from a dev harness)
//!     cargo bench -p codetill-e2e --bench cli_search [-- --runs N] [-- --products N]
//!
//! Prints the median and p90 of each, and codetill's median over sqlite3's; beside them
//! each binary's bare start (`--version`), the floor under its search.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use codetill_e2e::Sandbox;
use codetill_e2e::bench::flag;
use codetill_e2e::cli;

const QUERY: &str = "steam 20";

fn main() -> anyhow::Result<()> {
    let runs = flag("--runs", 60)? as usize;
    let products = flag("--products", 5000)? as usize;

    let rt = tokio::runtime::Runtime::new()?;
    let sandbox = rt.block_on(Sandbox::start(products))?;
    let home = cli::till_home();
    let codetill = |args: &[&str]| cli::command(home.path(), &sandbox.url(), args);
    let synced = codetill(&["sync", "--json"]).output()?;
    if !synced.status.success() {
        bail!("sync failed: {}", String::from_utf8_lossy(&synced.stderr));
    }
    let db = home.path().join("data").join("codetill.db");

    // The same FTS query the search runs, and the same rows it reads.
    let fts = codetill_core::catalog::fts_query(QUERY).context("a query with words")?;
    let sql = format!(
        "SELECT p.sku, p.name, p.region, p.retail_minor, p.in_stock FROM products p
         WHERE p.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH '{}' LIMIT 200)
           AND p.discontinued_at IS NULL LIMIT 20;",
        fts.replace('\'', "''")
    );
    let ours = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let out = codetill(&["search", QUERY, "--json"]).output()?;
        let took = started.elapsed();
        if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains("STEAM") {
            bail!("search failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(took)
    };
    let floor = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let out = Command::new("sqlite3")
            .arg(&db)
            .arg(&sql)
            .stdin(Stdio::null())
            .output()
            .context("running sqlite3 (apt install sqlite3)")?;
        let took = started.elapsed();
        if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains("STEAM") {
            bail!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(took)
    };
    // Each binary starting and printing its version: what a process costs before it
    // opens anything (the floor under each search).
    let started = |program: &std::ffi::OsStr, arg: &str| -> anyhow::Result<Duration> {
        let started = Instant::now();
        let out = Command::new(program)
            .arg(arg)
            .stdin(Stdio::null())
            .output()?;
        let took = started.elapsed();
        if !out.status.success() {
            bail!("{program:?} {arg} failed");
        }
        Ok(took)
    };
    let bin = codetill_e2e::codetill_bin();
    let ours_start = || started(bin.as_os_str(), "--version");
    let floor_start = || started(std::ffi::OsStr::new("sqlite3"), "-version");
    // Warm the page cache and the binaries, then interleave.
    for _ in 0..5 {
        ours()?;
        floor()?;
        ours_start()?;
        floor_start()?;
    }
    let (mut a, mut b) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let (mut c, mut d) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        a.push(ours()?);
        b.push(floor()?);
        c.push(ours_start()?);
        d.push(floor_start()?);
    }
    for v in [&mut a, &mut b, &mut c, &mut d] {
        v.sort();
    }
    let at = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("search {QUERY:?} over {products} products, {runs} runs each, interleaved");
    println!("| measure | median | p90 |");
    println!("|---|---|---|");
    println!(
        "| codetill search --json (whole process) | {:.2} ms | {:.2} ms |",
        ms(at(&a, 0.5)),
        ms(at(&a, 0.9))
    );
    println!(
        "| sqlite3 CLI, same FTS query and rows (floor) | {:.2} ms | {:.2} ms |",
        ms(at(&b, 0.5)),
        ms(at(&b, 0.9))
    );
    println!(
        "| codetill / sqlite3 (target ≤ 1.5) | {:.2} | |",
        ms(at(&a, 0.5)) / ms(at(&b, 0.5))
    );
    println!(
        "| codetill --version (process start) | {:.2} ms | {:.2} ms |",
        ms(at(&c, 0.5)),
        ms(at(&c, 0.9))
    );
    println!(
        "| sqlite3 -version (process start) | {:.2} ms | {:.2} ms |",
        ms(at(&d, 0.5)),
        ms(at(&d, 0.9))
    );
    println!(
        "| search beyond process start: codetill / sqlite3 | {:.2} | |",
        (ms(at(&a, 0.5)) - ms(at(&c, 0.5))) / (ms(at(&b, 0.5)) - ms(at(&d, 0.5)))
    );
    drop(sandbox);
    Ok(())
}
