//! The relay loop is core's ([`codetill_core::till::ticks::follow_relay`]); this
//! checks that the app's settings screen moves it: a new address or token moves the
//! loop to that relay, a cleared one stops it.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;
use std::time::Instant;

use axum::http::HeaderMap;
use serde_json::json;

use std::sync::Arc;
use std::time::Duration;

use crate::testing::{TestApp, block_on};
use codetill_core::till::ticks::follow_relay as follow;

/// The bearer tokens a fake relay was asked with, in order.
type Seen = Arc<Mutex<Vec<String>>>;

/// A relay on loopback that answers every follow with no events (after a short
/// wait, as a long-poll would) and notes the token it was asked with.
fn fake_relay() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let router = axum::Router::new().route(
        "/v1/events",
        axum::routing::get(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let token = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                log.lock().unwrap().push(token);
                tokio::time::sleep(Duration::from_millis(50)).await;
                axum::Json(json!({ "events": [], "next_cursor": 0 }))
            }
        }),
    );
    let listener = block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tauri::async_runtime::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

fn count(seen: &Seen) -> usize {
    seen.lock().unwrap().len()
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// No new request reaches the relay once one in flight has landed.
fn assert_left_alone(seen: &Seen) {
    std::thread::sleep(Duration::from_millis(300));
    let before = count(seen);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(count(seen), before, "the relay is still followed");
}

fn save(app: &TestApp, supplier_url: &str, relay_url: &str) {
    let input = json!({
        "supplier_url": supplier_url, "shop_name": "", "shop_address": "",
        "till_id": "", "language": "en", "printer": "", "smtp_url": "",
        "relay_url": relay_url, "stripe_api_url": "", "stripe_success_url": "",
        "btcpay_url": "", "btcpay_store_id": "",
    });
    app.invoke("save_settings", json!({ "input": input }))
        .unwrap();
}

#[test]
fn the_loop_follows_the_relay_the_settings_name_now() {
    let app = TestApp::demo();
    let sandbox = app.state().till().demo().unwrap().supplier_url();
    let (relay_a, seen_a) = fake_relay();
    let (relay_b, seen_b) = fake_relay();
    let state = app.state();
    let task = tauri::async_runtime::spawn(follow(state.shop().core(), state.settings_watch()));

    // Nothing set yet: the loop waits, then starts once the settings name a relay.
    let secret = |name: &str, value: &str| {
        app.invoke("set_secret", json!({ "name": name, "value": value }))
            .unwrap();
    };
    secret("supplier_key", crate::demo::SANDBOX_KEY);
    secret("relay_token", "token-a");
    save(&app, &sandbox, &relay_a);
    wait_for("relay A followed", || count(&seen_a) >= 2);
    assert!(seen_a.lock().unwrap().iter().all(|t| t == "Bearer token-a"));

    // A new address: relay B is followed, relay A no longer asked.
    save(&app, &sandbox, &relay_b);
    wait_for("relay B followed", || count(&seen_b) >= 1);
    let a_then = count(&seen_a);
    let b_then = count(&seen_b);
    wait_for("relay B followed on", || count(&seen_b) >= b_then + 5);
    assert_eq!(count(&seen_a), a_then, "relay A is still followed");

    // A new token: the same relay, asked with the new token.
    secret("relay_token", "token-b");
    wait_for("the new token used", || {
        seen_b.lock().unwrap().last().map(String::as_str) == Some("Bearer token-b")
    });

    // The token removed: nobody is followed.
    secret("relay_token", "");
    assert_left_alone(&seen_b);

    // A token again, then the address cleared: nobody is followed.
    secret("relay_token", "token-c");
    wait_for("relay B followed again", || {
        seen_b.lock().unwrap().last().map(String::as_str) == Some("Bearer token-c")
    });
    save(&app, &sandbox, "");
    assert_left_alone(&seen_b);
    assert_eq!(count(&seen_a), a_then);
    task.abort();
}
