//! The relay over its default store, SQLite (a temp file, WAL, synchronous=FULL).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Backend, scenarios};

macro_rules! on_sqlite {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            scenarios::$name(Backend::Sqlite).await;
        }
    )*};
}

on_sqlite!(
    stored_event_is_served_with_its_payload,
    every_provider_is_accepted,
    refused_deliveries_store_nothing,
    duplicate_is_answered_200_and_stored_once,
    duplicate_storm_stores_exactly_one,
    cursor_resume_pages_in_order,
    long_poll_wakes_on_commit,
    sse_resumes_after_last_event_id,
    ack_is_monotonic,
    status_reports_head_ack_and_age,
    tokens_rotate_and_shops_are_isolated,
    retention_drops_only_acknowledged_old_bodies,
    rate_limit_answers_429,
    store_down_answers_503,
    shutdown_answers_waiting_readers,
    razorpay_replay_under_new_event_ids_is_stored_once,
    sse_ends_when_its_token_is_rotated,
    long_poll_refuses_a_token_rotated_while_it_waits,
    forged_deliveries_spend_no_rate,
);

/// The relay creates its database file 0600 (SQLite's -wal and -shm copy that
/// mode) and any folder it has to create for it 0700: the file holds the sealed
/// secrets and the payment events.
#[tokio::test]
async fn a_new_database_and_its_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().unwrap();
    for db in [
        dir.path().join("relay.db"),
        dir.path().join("data/relay/relay.db"),
    ] {
        let store = codetill_relay::Store::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        // A write, so the WAL and its index exist.
        store
            .insert_shop("shop_a", "A", b"hash_a", 1)
            .await
            .unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        store.close().await;
    }
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&dir.path().join("data/relay")), 0o700);
    // An in-memory store creates no file.
    let memory = codetill_relay::Store::open("sqlite::memory:")
        .await
        .unwrap();
    memory.close().await;
    let stray = std::fs::read_dir(".")
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("file:"));
    assert!(!stray, "no file named after an in-memory database");
}
