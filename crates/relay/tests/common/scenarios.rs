//! The relay's behaviour, written once and run against both stores
//! (`tests/sqlite.rs`, `tests/postgres.rs`).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use codetill_relay::verify::stripe;
use reqwest::StatusCode;
use serde_json::Value;

use super::{
    Backend, TestRelay, btcpay_delivery, nowpayments_delivery, razorpay_delivery, stripe_body,
};

const SECRET: &str = "whsec_scenario_secret";

/// A named delivery: its headers, its body and the answer it must get.
type Case = (
    &'static str,
    Vec<(&'static str, String)>,
    String,
    StatusCode,
);

fn cursors(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["cursor"].as_i64().unwrap())
        .collect()
}

pub async fn stored_event_is_served_with_its_payload(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Main St").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_1").await, StatusCode::OK);
    let (status, page) = t.events(&shop.token, "after=0").await;
    assert_eq!(status, StatusCode::OK);
    let event = &page["events"][0];
    assert_eq!(event["cursor"], 1);
    assert_eq!(event["provider"], "stripe");
    assert_eq!(event["event_id"], "evt_1");
    assert_eq!(event["type"], "checkout.session.completed");
    let sent: Value = serde_json::from_str(&stripe_body("evt_1")).unwrap();
    assert_eq!(event["payload"], sent);
    let received_at = event["received_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(received_at).is_ok() && received_at.ends_with('Z')
    );
    assert_eq!(page["next_cursor"], 1);
    t.stop().await;
}

pub async fn every_provider_is_accepted(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("All providers").await;
    let stripe_ep = t.endpoint(&shop, "stripe", "s1").await;
    let btcpay_ep = t.endpoint(&shop, "btcpay", "s2").await;
    let now_ep = t.endpoint(&shop, "nowpayments", "s3").await;
    let razor_ep = t.endpoint(&shop, "razorpay", "s4").await;
    assert_eq!(
        t.post_stripe(&stripe_ep, "s1", "evt_a").await,
        StatusCode::OK
    );
    let (body, sig) = btcpay_delivery("s2", "dlv_1");
    assert_eq!(
        t.post_raw(&btcpay_ep, &[("btcpay-sig", &sig)], body).await,
        StatusCode::OK
    );
    let (body, sig) = nowpayments_delivery("s3", 5077125051, "finished");
    assert_eq!(
        t.post_raw(&now_ep, &[("x-nowpayments-sig", &sig)], body)
            .await,
        StatusCode::OK
    );
    let (body, sig) = razorpay_delivery("s4");
    let headers = [
        ("x-razorpay-signature", sig.as_str()),
        ("x-razorpay-event-id", "rzp_evt_1"),
    ];
    assert_eq!(t.post_raw(&razor_ep, &headers, body).await, StatusCode::OK);
    let events = t.all_events(&shop.token, 0).await;
    let ids: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap(),
                e["event_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("stripe", "evt_a"),
            ("btcpay", "dlv_1"),
            ("nowpayments", "5077125051:finished"),
            ("razorpay", "rzp_evt_1"),
        ]
    );
    assert_eq!(cursors(&events), [1, 2, 3, 4]);
    t.stop().await;
}

pub async fn refused_deliveries_store_nothing(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Refusals").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let body = stripe_body("evt_bad");
    let now = t.now_s();
    let sign = |t_s: i64, b: &str| stripe::sign(SECRET, t_s, b.as_bytes());

    let wrong_secret = stripe::sign("whsec_other", now, body.as_bytes());
    let cases: Vec<Case> = vec![
        (
            "bad signature",
            vec![("stripe-signature", wrong_secret)],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "missing signature",
            vec![],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "garbled header",
            vec![("stripe-signature", "v1=zz,t=x".into())],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "stale",
            vec![("stripe-signature", sign(now - 301, &body))],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "from the future",
            vec![("stripe-signature", sign(now + 301, &body))],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "tampered body",
            vec![("stripe-signature", sign(now, &body))],
            body.replace("1999", "1"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "not JSON",
            vec![("stripe-signature", sign(now, "not json"))],
            "not json".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "JSON array",
            vec![("stripe-signature", sign(now, "[1,2]"))],
            "[1,2]".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no event id",
            vec![("stripe-signature", sign(now, r#"{"type":"x"}"#))],
            r#"{"type":"x"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (name, headers, body, expected) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(t.post_raw(&ep, &headers, body).await, expected, "{name}");
    }
    // Over 256 KiB, even when correctly signed.
    let big = format!(r#"{{"id":"evt_big","pad":"{}"}}"#, "x".repeat(300 * 1024));
    let sig = sign(now, &big);
    assert_eq!(
        t.post_raw(&ep, &[("stripe-signature", &sig)], big).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Within the tolerance is fine (and proves the endpoint works).
    let ok_body = stripe_body("evt_ok");
    let sig = sign(now - 299, &ok_body);
    assert_eq!(
        t.post_raw(&ep, &[("stripe-signature", &sig)], ok_body)
            .await,
        StatusCode::OK
    );
    let unknown = format!("ep_{}", "0".repeat(40));
    assert_eq!(
        t.post_stripe(&unknown, SECRET, "evt_x").await,
        StatusCode::NOT_FOUND
    );

    let status = t.status(&shop.token).await;
    assert_eq!(status["head_cursor"], 1, "only the good delivery is stored");
    let events = t.all_events(&shop.token, 0).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_id"], "evt_ok");
    let metrics = t
        .client
        .get(t.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "codetill_relay_events_rejected_total{reason=\"bad_signature\"} 3",
        "codetill_relay_events_rejected_total{reason=\"missing_signature\"} 1",
        "codetill_relay_events_rejected_total{reason=\"stale_timestamp\"} 2",
        "codetill_relay_events_rejected_total{reason=\"not_json\"} 2",
        "codetill_relay_events_rejected_total{reason=\"missing_event_id\"} 1",
        "codetill_relay_events_rejected_total{reason=\"too_large\"} 1",
        "codetill_relay_events_rejected_total{reason=\"unknown_endpoint\"} 1",
        "codetill_relay_events_received_total{provider=\"stripe\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    t.stop().await;
}

pub async fn duplicate_is_answered_200_and_stored_once(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Dupes").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    for _ in 0..3 {
        assert_eq!(t.post_stripe(&ep, SECRET, "evt_same").await, StatusCode::OK);
    }
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_next").await, StatusCode::OK);
    let events = t.all_events(&shop.token, 0).await;
    assert_eq!(cursors(&events), [1, 2], "a duplicate takes no cursor");
    assert_eq!(events[0]["event_id"], "evt_same");
    assert_eq!(events[1]["event_id"], "evt_next");
    t.stop().await;
}

pub async fn duplicate_storm_stores_exactly_one(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Storm").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let t = std::sync::Arc::new(t);
    let mut senders = tokio::task::JoinSet::new();
    for i in 0..64 {
        let t = t.clone();
        let ep = ep.clone();
        // Half the storm is one event id; the rest is four ids, sixteen times each.
        let id = if i % 2 == 0 {
            "evt_storm".to_owned()
        } else {
            format!("evt_{}", i % 8)
        };
        senders.spawn(async move { t.post_stripe(&ep, SECRET, &id).await });
    }
    while let Some(status) = senders.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let events = t.all_events(&shop.token, 0).await;
    assert_eq!(cursors(&events), [1, 2, 3, 4, 5]);
    let ids: BTreeSet<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["evt_storm", "evt_1", "evt_3", "evt_5", "evt_7"])
    );
    std::sync::Arc::into_inner(t).unwrap().stop().await;
}

pub async fn cursor_resume_pages_in_order(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Resume").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    for i in 1..=7 {
        assert_eq!(
            t.post_stripe(&ep, SECRET, &format!("evt_{i}")).await,
            StatusCode::OK
        );
    }
    let mut after = 0;
    let mut pages = Vec::new();
    loop {
        let (_, page) = t
            .events(&shop.token, &format!("after={after}&limit=3"))
            .await;
        let got = cursors(page["events"].as_array().unwrap());
        after = page["next_cursor"].as_i64().unwrap();
        if got.is_empty() {
            break;
        }
        pages.push(got);
    }
    assert_eq!(pages, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    assert_eq!(after, 7, "an empty page keeps the cursor");
    // Without `after`, a reader resumes after what the shop acknowledged.
    assert_eq!(t.ack(&shop.token, 4).await.0, StatusCode::OK);
    let (_, page) = t.events(&shop.token, "").await;
    assert_eq!(cursors(page["events"].as_array().unwrap()), [5, 6, 7]);
    for bad in ["limit=0", "limit=501", "wait=61", "after=-1", "after=x"] {
        assert_eq!(
            t.events(&shop.token, bad).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    t.stop().await;
}

pub async fn long_poll_wakes_on_commit(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Long poll").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let t = std::sync::Arc::new(t);
    let reader = {
        let t = t.clone();
        let token = shop.token.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let page = t.events(&token, "after=0&wait=30").await;
            (started.elapsed(), page)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_wake").await, StatusCode::OK);
    let (took, (status, page)) = reader.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["events"][0]["event_id"], "evt_wake");
    assert!(took >= Duration::from_millis(250), "it waited ({took:?})");
    assert!(
        took < Duration::from_secs(3),
        "woken by the commit, not the recheck ({took:?})"
    );
    // Nothing new: the wait runs out and the page is empty.
    let started = Instant::now();
    let (_, page) = t.events(&shop.token, "after=1&wait=1").await;
    assert!(page["events"].as_array().unwrap().is_empty());
    assert_eq!(page["next_cursor"], 1);
    assert!(started.elapsed() >= Duration::from_millis(900));
    std::sync::Arc::into_inner(t).unwrap().stop().await;
}

/// Read SSE frames until `want` ids are seen; returns the ids in order.
async fn read_sse_ids(response: &mut reqwest::Response, want: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut buffer = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ids.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk())
            .await
            .expect("SSE event in time")
            .expect("SSE chunk")
            .expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let id = frame
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(str::trim);
            let data = frame
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .map(str::trim);
            if let (Some(id), Some(data)) = (id, data) {
                let event: Value = serde_json::from_str(data).expect("data is JSON");
                assert_eq!(event["cursor"].to_string(), id);
                ids.push(id.parse().unwrap());
            }
        }
    }
    ids
}

pub async fn sse_resumes_after_last_event_id(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("SSE").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    for i in 1..=3 {
        assert_eq!(
            t.post_stripe(&ep, SECRET, &format!("evt_{i}")).await,
            StatusCode::OK
        );
    }
    let mut response = t
        .client
        .get(t.url("/v1/events/stream"))
        .bearer_auth(&shop.token)
        .header("last-event-id", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(read_sse_ids(&mut response, 2).await, [2, 3]);
    // Live: the next commit arrives on the open stream.
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_4").await, StatusCode::OK);
    assert_eq!(read_sse_ids(&mut response, 1).await, [4]);
    drop(response);
    // A stream with a bad Last-Event-ID or token is refused.
    let bad = t
        .client
        .get(t.url("/v1/events/stream"))
        .bearer_auth(&shop.token)
        .header("last-event-id", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let unauthorized = t
        .client
        .get(t.url("/v1/events/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

pub async fn ack_is_monotonic(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Ack").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    for i in 1..=3 {
        assert_eq!(
            t.post_stripe(&ep, SECRET, &format!("evt_{i}")).await,
            StatusCode::OK
        );
    }
    let acked = |v: Value| v["acked_cursor"].as_i64().unwrap();
    assert_eq!(acked(t.ack(&shop.token, 2).await.1), 2);
    assert_eq!(
        acked(t.ack(&shop.token, 1).await.1),
        2,
        "a lower cursor changes nothing"
    );
    assert_eq!(acked(t.ack(&shop.token, 3).await.1), 3);
    assert_eq!(
        t.ack(&shop.token, 4).await.0,
        StatusCode::BAD_REQUEST,
        "past the head"
    );
    assert_eq!(t.ack(&shop.token, -1).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(t.status(&shop.token).await["acked_cursor"], 3);
    t.stop().await;
}

pub async fn status_reports_head_ack_and_age(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Status").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let status = t.status(&shop.token).await;
    assert_eq!(
        status,
        serde_json::json!({ "head_cursor": 0, "acked_cursor": 0, "oldest_unacked_age_s": 0 })
    );
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_1").await, StatusCode::OK);
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_2").await, StatusCode::OK);
    t.clock.advance_ms(5_000);
    let status = t.status(&shop.token).await;
    assert_eq!(status["head_cursor"], 2);
    assert_eq!(status["oldest_unacked_age_s"], 5);
    t.ack(&shop.token, 2).await;
    assert_eq!(t.status(&shop.token).await["oldest_unacked_age_s"], 0);
    t.stop().await;
}

pub async fn tokens_rotate_and_shops_are_isolated(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let a = t.shop("A").await;
    let b = t.shop("B").await;
    let ep = t.endpoint(&a, "stripe", SECRET).await;
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_a").await, StatusCode::OK);
    let (status, page) = t.events(&b.token, "after=0").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page["events"].as_array().unwrap().is_empty(),
        "B sees none of A's events"
    );
    let (wrong, wrong_body) = t.events("crt_not_a_token", "after=0").await;
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    let missing = t.client.get(t.url("/v1/events")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        wrong_body,
        "401 says the same"
    );

    let rotated = codetill_relay::admin::rotate_token(t.relay.store(), &a.id)
        .await
        .unwrap();
    assert_eq!(
        t.events(&a.token, "after=0").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, page) = t.events(&rotated.token, "after=0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["events"][0]["event_id"], "evt_a");
    t.stop().await;
}

pub async fn retention_drops_only_acknowledged_old_bodies(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Retention").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    for i in 1..=3 {
        assert_eq!(
            t.post_stripe(&ep, SECRET, &format!("evt_{i}")).await,
            StatusCode::OK
        );
    }
    t.ack(&shop.token, 2).await;
    assert_eq!(
        t.relay.sweep_retention().await.unwrap(),
        0,
        "nothing is old yet"
    );
    t.clock.advance_ms(31 * 24 * 3600 * 1000);
    assert_eq!(t.relay.sweep_retention().await.unwrap(), 2);
    let events = t.all_events(&shop.token, 0).await;
    assert_eq!(cursors(&events), [3], "the unacknowledged event stays");
    // A late provider retry of a dropped event is still recognised.
    let body = stripe_body("evt_1");
    let sig = stripe::sign(SECRET, t.now_s(), body.as_bytes());
    assert_eq!(
        t.post_raw(&ep, &[("stripe-signature", &sig)], body).await,
        StatusCode::OK
    );
    assert_eq!(t.status(&shop.token).await["head_cursor"], 3);
    t.stop().await;
}

pub async fn rate_limit_answers_429(backend: Backend) {
    let Some(t) = TestRelay::start_with(backend, |c| {
        c.rate_per_second = 0.5;
        c.rate_burst = 2;
    })
    .await
    else {
        return;
    };
    let shop = t.shop("Rate").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let other = t.endpoint(&shop, "stripe", SECRET).await;
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_1").await, StatusCode::OK);
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_2").await, StatusCode::OK);
    let body = stripe_body("evt_3");
    let sig = stripe::sign(SECRET, t.now_s(), body.as_bytes());
    let response = t
        .client
        .post(t.url(&format!("/in/{ep}")))
        .header("stripe-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        t.post_stripe(&other, SECRET, "evt_3").await,
        StatusCode::OK,
        "per endpoint"
    );
    assert_eq!(t.status(&shop.token).await["head_cursor"], 3);
    t.stop().await;
}

pub async fn store_down_answers_503(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Down").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let health = t.client.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    t.relay.store().close().await;
    assert_eq!(
        t.post_stripe(&ep, SECRET, "evt_1").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let health = t.client.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let metrics = t
        .client
        .get(t.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("codetill_relay_store_up 0"), "{metrics}");
    t.stop().await;
}

pub async fn shutdown_answers_waiting_readers(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Shutdown").await;
    let reader = {
        let client = t.client.clone();
        let url = t.url("/v1/events?after=0&wait=60");
        let token = shop.token.clone();
        tokio::spawn(async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    t.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a 60 s long-poll does not hold up shutdown"
    );
    let (status, page) = reader.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(page["events"].as_array().unwrap().is_empty());
}

/// The `x-razorpay-event-id` header is not signed: a captured, correctly signed
/// body posted again under new event ids must still be stored only once.
pub async fn razorpay_replay_under_new_event_ids_is_stored_once(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Razorpay replay").await;
    let ep = t.endpoint(&shop, "razorpay", SECRET).await;
    let (body, sig) = razorpay_delivery(SECRET);
    for event_id in ["rzp_evt_1", "rzp_forged_2", "rzp_forged_3"] {
        let headers = [
            ("x-razorpay-signature", sig.as_str()),
            ("x-razorpay-event-id", event_id),
        ];
        assert_eq!(
            t.post_raw(&ep, &headers, body.clone()).await,
            StatusCode::OK,
            "{event_id}"
        );
    }
    // Another signed event is stored as usual.
    let other = body.replace("pay_1", "pay_2");
    let other_sig = codetill_relay::verify::razorpay::sign(SECRET, other.as_bytes());
    let headers = [
        ("x-razorpay-signature", other_sig.as_str()),
        ("x-razorpay-event-id", "rzp_evt_2"),
    ];
    assert_eq!(t.post_raw(&ep, &headers, other).await, StatusCode::OK);
    let events = t.all_events(&shop.token, 0).await;
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["rzp_evt_1", "rzp_evt_2"]);
    assert_eq!(cursors(&events), [1, 2]);
    t.stop().await;
}

/// A stream opened with a token that is then rotated ends, and sends nothing
/// committed after the rotation.
pub async fn sse_ends_when_its_token_is_rotated(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("SSE rotation").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_1").await, StatusCode::OK);
    let mut response = t
        .client
        .get(t.url("/v1/events/stream?after=0"))
        .bearer_auth(&shop.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(read_sse_ids(&mut response, 1).await, [1]);
    codetill_relay::admin::rotate_token(t.relay.store(), &shop.id)
        .await
        .unwrap();
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_2").await, StatusCode::OK);
    let mut rest = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            rest.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ends; it sent {rest:?}");
    assert!(
        !rest.contains("evt_2"),
        "nothing after the rotation: {rest:?}"
    );
    t.stop().await;
}

/// A long-poll that waits with a token that is then rotated is answered 401,
/// not with the event committed after the rotation.
pub async fn long_poll_refuses_a_token_rotated_while_it_waits(backend: Backend) {
    let Some(t) = TestRelay::start(backend).await else {
        return;
    };
    let shop = t.shop("Long-poll rotation").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    let t = std::sync::Arc::new(t);
    let reader = {
        let t = t.clone();
        let token = shop.token.clone();
        tokio::spawn(async move { t.events(&token, "after=0&wait=30").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    codetill_relay::admin::rotate_token(t.relay.store(), &shop.id)
        .await
        .unwrap();
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_1").await, StatusCode::OK);
    let (status, page) = reader.await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{page}");
    std::sync::Arc::into_inner(t).unwrap().stop().await;
}

/// Forged deliveries do not spend an endpoint's rate: only deliveries whose
/// signature verified take a token, so a flood of them cannot delay real ones.
pub async fn forged_deliveries_spend_no_rate(backend: Backend) {
    let Some(t) = TestRelay::start_with(backend, |c| {
        c.rate_per_second = 0.5;
        c.rate_burst = 2;
    })
    .await
    else {
        return;
    };
    let shop = t.shop("Forged flood").await;
    let ep = t.endpoint(&shop, "stripe", SECRET).await;
    for i in 0..10 {
        let body = stripe_body(&format!("evt_forged_{i}"));
        let sig = stripe::sign("whsec_forger", t.now_s(), body.as_bytes());
        assert_eq!(
            t.post_raw(&ep, &[("stripe-signature", &sig)], body).await,
            StatusCode::BAD_REQUEST,
            "forged {i}"
        );
    }
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_1").await, StatusCode::OK);
    assert_eq!(t.post_stripe(&ep, SECRET, "evt_2").await, StatusCode::OK);
    assert_eq!(
        t.post_stripe(&ep, SECRET, "evt_3").await,
        StatusCode::TOO_MANY_REQUESTS,
        "real deliveries still have their rate"
    );
    t.stop().await;
}
