//! One version for the workspace: the command line, the relay, the UI's package and
//! the changelog's latest entry all say the version Cargo builds them with (the app
//! reads it from its own package, as `about` and `app_info` do).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn every_part_of_the_workspace_carries_one_version() {
    let codetill = codetill_e2e::codetill_bin();
    let relay = codetill.with_file_name("codetill-relay");
    for (bin, name) in [(codetill, "codetill"), (relay, "codetill-relay")] {
        let out = std::process::Command::new(&bin)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (cargo build --workspace --bins first)",
                    bin.display()
                )
            });
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{name} {VERSION}")
        );
    }
    let ui: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("ui/package.json")).unwrap())
            .unwrap();
    assert_eq!(ui["version"], VERSION);
    let tauri: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("src-tauri/tauri.conf.json")).unwrap(),
    )
    .unwrap();
    // The bundle takes the Cargo package's version when the config names none.
    assert!(tauri.get("version").is_none_or(|v| v == VERSION), "{tauri}");
    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    let latest = changelog
        .lines()
        .find_map(|l| l.strip_prefix("## "))
        .unwrap();
    assert!(latest.starts_with(&format!("{VERSION} ")), "{latest}");
}
