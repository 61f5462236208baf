//! Lifecycle: spawn, serve with a caller's listener and shutdown, graceful stop,
//! and the binary's banner.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use codetill_sandbox::{SandboxConfig, SandboxState, serve};
use common::{Client, KEY, start};
use serde_json::json;

#[tokio::test]
async fn spawn_serves_and_shuts_down() {
    let sandbox = start(60).await;
    let base = sandbox.base_url();
    assert_eq!(base, format!("http://127.0.0.1:{}", sandbox.addr().port()));
    assert_eq!(sandbox.state().product_count(), 60);
    let client = Client::new(&sandbox);
    let (s, _) = client.get("/v1/balance").await;
    assert_eq!(s, 200);
    sandbox.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh
            .get(format!("{base}/v1/balance"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let sandbox = start(60).await;
    let client = Client::new(&sandbox);
    client
        .control(
            "faults",
            json!({"endpoint": "balance", "kind": "delay", "hold_ms": 300}),
        )
        .await;
    let req = client
        .http
        .get(format!("{}/v1/balance", client.base))
        .bearer_auth(KEY);
    let in_flight = tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    sandbox.shutdown().await;
    assert_eq!(in_flight.await.unwrap().unwrap(), 200);
}

#[tokio::test]
async fn serve_takes_a_listener_and_a_shutdown_future() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = SandboxState::new(SandboxConfig {
        products: 50,
        api_key: "k2".into(),
        ..SandboxConfig::default()
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/v1/catalog?limit=5"))
        .bearer_auth("k2")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(state.counters().catalog_requests, 1);
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[test]
fn binary_prints_its_banner_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codetill-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--products",
            "120",
            "--seed",
            "7",
        ])
        .env("CODETILL_SANDBOX_KEY", "from-env")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let line = line.trim();
    assert!(
        line.starts_with("sandbox supplier listening on http://127.0.0.1:")
            && line.ends_with("(api key: from-env, 120 products)"),
        "{line:?}"
    );
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/v1/balance"))
            .bearer_auth("from-env")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    #[cfg(unix)]
    {
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let exit = child.wait().unwrap();
        assert!(exit.success(), "{exit:?}");
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
}
