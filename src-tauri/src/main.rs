// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The one unsafe call of the app's start, explained where it is defined.
#[allow(unsafe_code)]
fn main() -> std::process::ExitCode {
    // SAFETY: main's first statement; no thread exists yet.
    unsafe { codetill_app::lean::before_threads() };
    codetill_app::run()
}
