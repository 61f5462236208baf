//! The listener's limits, on raw TCP: a request head or body that never ends,
//! a kept-alive connection that sends nothing more, a client that stops
//! reading its answer, the connection cap, and `/metrics` kept off the public
//! address. They do not depend on the store: SQLite only.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use codetill_relay::RelayConfig;
use codetill_relay::verify::stripe;
use common::{Backend, TestRelay};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn relay_with(tweak: impl FnOnce(&mut RelayConfig)) -> TestRelay {
    TestRelay::start_with(Backend::Sqlite, tweak)
        .await
        .expect("SQLite is always there")
}

async fn connect(t: &TestRelay) -> TcpStream {
    TcpStream::connect(t.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection, or None if it
/// is still open after `within`.
async fn read_until_closed(tcp: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    tokio::time::timeout(within, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()
    .map(|()| got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_never_ends_is_cut_off() {
    let t = relay_with(|c| c.header_timeout = Duration::from_secs(1)).await;
    let mut tcp = connect(&t).await;
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let closed = read_until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert!(closed.is_some(), "closed after the header timeout");
    assert!(started.elapsed() >= Duration::from_millis(900));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_that_sends_nothing_more_is_closed() {
    let t = relay_with(|c| c.header_timeout = Duration::from_secs(1)).await;
    let mut tcp = connect(&t).await;
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut tcp, Duration::from_secs(5))
        .await
        .expect("closed after the header timeout");
    assert!(
        String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"),
        "the request itself was answered"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_body_that_never_ends_is_answered_408() {
    let t = relay_with(|c| c.body_timeout = Duration::from_secs(1)).await;
    let shop = t.shop("Slow body").await;
    let ep = t.endpoint(&shop, "stripe", "whsec_slow").await;
    let mut tcp = connect(&t).await;
    let head = format!(
        "POST /in/{ep} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"id\":"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let got = read_until_closed(&mut tcp, Duration::from_secs(5))
        .await
        .expect("answered and closed after the body timeout");
    let answer = String::from_utf8_lossy(&got);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let metrics = t
        .client
        .get(t.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("codetill_relay_events_rejected_total{reason=\"body_timeout\"} 1"),
        "{metrics}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_its_answer_is_dropped() {
    let t = relay_with(|c| c.idle_timeout = Duration::from_secs(1)).await;
    let shop = t.shop("Slow reader").await;
    let secret = "whsec_slow_reader";
    let ep = t.endpoint(&shop, "stripe", secret).await;
    // 128 events of 250 KiB: a page of about 32 MB, far more than socket buffers hold.
    let pad = "x".repeat(250 * 1024);
    for i in 0..128 {
        let body = format!(r#"{{"id":"evt_{i}","type":"t","pad":"{pad}"}}"#);
        let sig = stripe::sign(secret, t.now_s(), body.as_bytes());
        assert_eq!(
            t.post_raw(&ep, &[("stripe-signature", &sig)], body).await,
            StatusCode::OK
        );
    }
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut tcp = socket
        .connect(t.base.trim_start_matches("http://").parse().unwrap())
        .await
        .unwrap();
    let request = format!(
        "GET /v1/events?after=0&limit=500 HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {}\r\n\r\n",
        shop.token
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    // Read nothing for a while: the server's writes stall, and it gives up.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got = read_until_closed(&mut tcp, Duration::from_secs(20))
        .await
        .expect("the connection ends");
    assert!(
        got.len() < 16 * 1024 * 1024,
        "closed before the answer was sent whole ({} bytes came)",
        got.len()
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_for_one_to_close() {
    let t = relay_with(|c| {
        c.max_connections = 2;
        c.header_timeout = Duration::from_secs(30);
    })
    .await;
    let first = connect(&t).await;
    let _second = connect(&t).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let over = reqwest::Client::new()
        .get(t.url("/healthz"))
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    assert!(over.is_err(), "a third connection is not served: {over:?}");
    drop(first);
    let after = reqwest::Client::new()
        .get(t.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    drop(_second);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_only_on_their_own_address() {
    let t = relay_with(|_| {}).await;
    let public = t.client.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let private = t.client.get(t.metrics_url()).send().await.unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    let text = private.text().await.unwrap();
    assert!(text.contains("codetill_relay_store_up 1"), "{text}");
    // The private listener serves nothing of the public API.
    let events = t
        .client
        .get(t.metrics_url().replace("/metrics", "/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::NOT_FOUND);
    t.stop().await;
}
