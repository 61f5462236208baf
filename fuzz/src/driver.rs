//! Runs a target's generator against its checks: a fixed number of cases (the
//! quick mode every `cargo test` runs) or until a deadline (the long mode
//! `scripts/fuzz.sh` drives). A panic is caught and counted as a crash; a broken
//! invariant is counted as a failure. Each shrunk failing input is written to
//! `corpus/<target>/`, which a normal test replays from then on.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One fuzz target: what it generates and what must hold for every input.
pub trait Target {
    /// The name `scripts/fuzz.sh` and the corpus folder use.
    const NAME: &'static str;
    /// Cases in the quick mode (`cargo test`).
    const QUICK_CASES: u32 = 256;
    type Input: Debug + Clone + Serialize + DeserializeOwned + 'static;

    fn inputs() -> BoxedStrategy<Self::Input>;

    /// `Err` names the invariant the input broke. Panics are caught by the driver.
    fn check(input: &Self::Input) -> Result<(), String>;
}

/// What one run of a target did.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: &'static str,
    /// Inputs checked, shrinking steps included.
    pub cases: u64,
    pub elapsed: Duration,
    /// Panics among the failures.
    pub crashes: usize,
    /// Every shrunk failing input: its message and where it was saved.
    pub failures: Vec<(String, PathBuf)>,
}

impl Report {
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        format!(
            "{:<20} {:>10} cases in {:>7.1} s ({:>8.0}/s), {} crashes, {} failures",
            self.target,
            self.cases,
            secs,
            self.cases as f64 / secs.max(1e-9),
            self.crashes,
            self.failures.len()
        )
    }
}

/// The quick mode: `T::QUICK_CASES` cases (`FUZZ_CASES` overrides).
pub fn quick<T: Target>() -> Report {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(T::QUICK_CASES);
    run::<T>(Mode::Cases(cases))
}

/// The long mode: new cases until `budget` has passed (a failure is saved and
/// the run goes on, up to `MAX_FAILURES`).
pub fn for_duration<T: Target>(budget: Duration) -> Report {
    run::<T>(Mode::Until(Instant::now() + budget))
}

/// Replays every saved input of `T`; the messages of those that fail.
pub fn replay<T: Target>() -> (usize, Vec<String>) {
    install_quiet_hook();
    let dir = corpus_dir(T::NAME);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (0, Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut failed = Vec::new();
    for path in &paths {
        let outcome = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_str::<T::Input>(&text).map_err(|e| format!("unreadable: {e}"))
            })
            .and_then(|input| guarded::<T>(&input).map_err(|e| e.message));
        if let Err(message) = outcome {
            failed.push(format!("{}: {message}", path.display()));
        }
    }
    (paths.len(), failed)
}

enum Mode {
    Cases(u32),
    Until(Instant),
}

const MAX_FAILURES: usize = 10;
/// Cases per runner in the long mode (each starts from a fresh seed): about this
/// long's worth at the rate seen so far, so a slow target still stops on time.
const CHUNK_TIME: Duration = Duration::from_secs(2);

struct Failure {
    message: String,
    crash: bool,
}

fn run<T: Target>(mode: Mode) -> Report {
    install_quiet_hook();
    let started = Instant::now();
    let strategy = T::inputs();
    let mut report = Report {
        target: T::NAME,
        cases: 0,
        elapsed: Duration::ZERO,
        crashes: 0,
        failures: Vec::new(),
    };
    let mut last_progress = Instant::now();
    loop {
        let chunk = match mode {
            Mode::Cases(n) => n,
            Mode::Until(deadline) => {
                if Instant::now() >= deadline || report.failures.len() >= MAX_FAILURES {
                    break;
                }
                let rate = report.cases as f64 / started.elapsed().as_secs_f64().max(1e-3);
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .min(CHUNK_TIME);
                (rate * left.as_secs_f64()).clamp(1.0, 1_000.0) as u32
            }
        };
        let mut runner = TestRunner::new(Config {
            cases: chunk,
            failure_persistence: None,
            // Shrinking a slow case must not eat the whole budget.
            max_shrink_time: 60_000,
            max_shrink_iters: 4_096,
            ..Config::default()
        });
        let counted = std::cell::Cell::new(0u64);
        let last_crash = std::cell::Cell::new(false);
        let outcome = runner.run(&strategy, |input| {
            counted.set(counted.get() + 1);
            match guarded::<T>(&input) {
                Ok(()) => Ok(()),
                Err(f) => {
                    last_crash.set(f.crash);
                    Err(TestCaseError::fail(f.message))
                }
            }
        });
        report.cases += counted.get();
        match outcome {
            Ok(()) => {}
            Err(TestError::Fail(reason, input)) => {
                // The shrunk input is checked once more so that its own outcome
                // (crash or broken invariant) is the one reported.
                let crash = match guarded::<T>(&input) {
                    Err(f) => f.crash,
                    Ok(()) => last_crash.get(),
                };
                if crash {
                    report.crashes += 1;
                }
                let path = save::<T>(&input);
                eprintln!(
                    "{}: {} {reason}\n  input: {input:?}\n  saved: {}",
                    T::NAME,
                    if crash { "CRASH" } else { "FAILURE" },
                    path.display()
                );
                report.failures.push((reason.to_string(), path));
            }
            Err(TestError::Abort(why)) => {
                report
                    .failures
                    .push((format!("aborted: {why}"), PathBuf::new()));
                break;
            }
        }
        if matches!(mode, Mode::Cases(_)) {
            break;
        }
        if last_progress.elapsed() >= Duration::from_secs(30) {
            last_progress = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{}: {} cases, {:.0}/s, {} failures so far",
                T::NAME,
                report.cases,
                report.cases as f64 / secs.max(1e-9),
                report.failures.len()
            );
        }
    }
    report.elapsed = started.elapsed();
    report
}

/// Checks one input, a panic turned into a crash with its message and place.
fn guarded<T: Target>(input: &T::Input) -> Result<(), Failure> {
    QUIET.with(|q| *q.borrow_mut() = Some(String::new()));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| T::check(input)));
    let said = QUIET.with(|q| q.borrow_mut().take()).unwrap_or_default();
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(Failure {
            message,
            crash: false,
        }),
        Err(_) => Err(Failure {
            message: format!("panic: {said}"),
            crash: true,
        }),
    }
}

fn save<T: Target>(input: &T::Input) -> PathBuf {
    let text = serde_json::to_string_pretty(input).unwrap_or_else(|e| format!("\"{e}\""));
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    let dir = corpus_dir(T::NAME);
    let path = dir.join(format!("{:016x}.json", h.finish()));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &text)) {
        eprintln!("{}: cannot save {}: {e}", T::NAME, path.display());
    }
    path
}

pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

thread_local! {
    /// `Some` while a fuzz input is being checked on this thread: the panic
    /// message goes here instead of to stderr (shrinking panics thousands of times).
    static QUIET: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let kept = QUIET.with(|q| {
                let mut q = q.borrow_mut();
                match q.as_mut() {
                    Some(said) => {
                        *said = info.to_string();
                        true
                    }
                    None => false,
                }
            });
            if !kept {
                previous(info);
            }
        }));
    });
}

/// Draws one value of `strategy` (for tests of the generators themselves).
pub fn sample<S: Strategy>(strategy: &S) -> Option<S::Value> {
    let mut runner = TestRunner::default();
    strategy.new_tree(&mut runner).ok().map(|t| t.current())
}
