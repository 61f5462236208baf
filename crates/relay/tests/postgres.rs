//! The relay over its default store, PostgreSQL (a fresh database per test on a throwaway cluster; see common/pg.rs).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Backend, scenarios};

macro_rules! on_postgres {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            scenarios::$name(Backend::Postgres).await;
        }
    )*};
}

on_postgres!(
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
