//! Test harness: a relay on a loopback port over a temp SQLite file or a fresh
//! Postgres database, shops and endpoints, signed deliveries, and readers.
#![allow(dead_code)]

pub mod pg;
pub mod scenarios;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codetill_relay::verify::{btcpay, nowpayments, razorpay, stripe};
use codetill_relay::{ManualClock, MasterKey, Relay, RelayConfig, Store, admin};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store URL for `backend`, with the temp dir that holds a SQLite file.
/// None when Postgres tests are skipped.
pub async fn store_url(backend: Backend) -> Option<(String, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("relay.db").display());
            Some((url, Some(dir)))
        }
        Backend::Postgres => {
            let cluster = pg::cluster()?;
            Some((cluster.fresh_db().await, None))
        }
    }
}

pub struct Shop {
    pub id: String,
    pub token: String,
}

/// A relay served on 127.0.0.1:<free port>, with a clock the test moves.
pub struct TestRelay {
    pub base: String,
    /// The private listener that serves `/metrics`.
    pub metrics_base: String,
    pub relay: Relay,
    pub clock: Arc<ManualClock>,
    pub key: MasterKey,
    pub client: reqwest::Client,
    pub db_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    metrics: Option<JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestRelay {
    pub async fn start(backend: Backend) -> Option<TestRelay> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(
        backend: Backend,
        tweak: impl FnOnce(&mut RelayConfig),
    ) -> Option<TestRelay> {
        let (db_url, dir) = store_url(backend).await?;
        let store = Store::open(&db_url).await.expect("open store");
        let key = MasterKey::generate();
        let clock = Arc::new(ManualClock::new(chrono::Utc::now().timestamp_millis()));
        let mut config = RelayConfig::new(key.clone());
        config.clock = clock.clone();
        config.rate_per_second = 0.0;
        tweak(&mut config);
        let relay = Relay::start(store, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let metrics_base = format!("http://{}", metrics_listener.local_addr().expect("addr"));
        let metrics = tokio::spawn(codetill_relay::run_metrics(metrics_listener, relay.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(codetill_relay::run(listener, relay.clone(), async {
            let _ = stopped.await;
        }));
        Some(TestRelay {
            base,
            metrics_base,
            relay,
            clock,
            key,
            client: reqwest::Client::new(),
            db_url,
            stop: Some(stop),
            server: Some(server),
            metrics: Some(metrics),
            _dir: dir,
        })
    }

    /// Stop gracefully and wait for the server to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let result = tokio::time::timeout(Duration::from_secs(20), server)
                .await
                .expect("the relay stops within 20 s");
            result.expect("server task").expect("server result");
        }
        if let Some(metrics) = self.metrics.take() {
            let result = tokio::time::timeout(Duration::from_secs(20), metrics)
                .await
                .expect("the metrics listener stops within 20 s");
            result.expect("metrics task").expect("metrics result");
        }
    }

    pub fn now_s(&self) -> i64 {
        use codetill_relay::Clock;
        self.clock.now_ms() / 1000
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `/metrics` on the private listener.
    pub fn metrics_url(&self) -> String {
        format!("{}/metrics", self.metrics_base)
    }

    pub async fn shop(&self, name: &str) -> Shop {
        let created = admin::add_shop(self.relay.store(), name)
            .await
            .expect("add shop");
        Shop {
            id: created.shop_id,
            token: created.token,
        }
    }

    pub async fn endpoint(&self, shop: &Shop, provider: &str, secret: &str) -> String {
        admin::add_endpoint(
            self.relay.store(),
            &self.key,
            &shop.id,
            provider,
            &[secret.to_owned()],
        )
        .await
        .expect("add endpoint")
        .endpoint_id
    }

    /// Post a Stripe event signed now.
    pub async fn post_stripe(&self, endpoint: &str, secret: &str, event_id: &str) -> StatusCode {
        let body = stripe_body(event_id);
        let sig = stripe::sign(secret, self.now_s(), body.as_bytes());
        self.post_raw(endpoint, &[("stripe-signature", sig.as_str())], body)
            .await
    }

    pub async fn post_raw(
        &self,
        endpoint: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> StatusCode {
        let mut request = self
            .client
            .post(self.url(&format!("/in/{endpoint}")))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("post").status()
    }

    /// GET /v1/events with `query` (e.g. "after=0&limit=10").
    pub async fn events(&self, token: &str, query: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(self.url(&format!("/v1/events?{query}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("get events");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Every event after `after`, paging through.
    pub async fn all_events(&self, token: &str, mut after: i64) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let (status, page) = self
                .events(token, &format!("after={after}&limit=500"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let events = page["events"].as_array().cloned().unwrap_or_default();
            if events.is_empty() {
                return all;
            }
            after = page["next_cursor"].as_i64().expect("next_cursor");
            all.extend(events);
        }
    }

    pub async fn status(&self, token: &str) -> Value {
        self.client
            .get(self.url("/v1/status"))
            .bearer_auth(token)
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("status json")
    }

    pub async fn ack(&self, token: &str, cursor: i64) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/v1/events/ack"))
            .bearer_auth(token)
            .json(&json!({ "cursor": cursor }))
            .send()
            .await
            .expect("ack");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

pub fn stripe_body(event_id: &str) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": { "object": { "client_reference_id": "ord_42", "amount_total": 1999, "currency": "eur" } }
    })
    .to_string()
}

pub fn btcpay_delivery(secret: &str, delivery_id: &str) -> (String, String) {
    let body = json!({
        "deliveryId": delivery_id, "webhookId": "wh_1", "originalDeliveryId": delivery_id,
        "isRedelivery": false, "type": "InvoiceSettled", "timestamp": 1767225600,
        "storeId": "store_1", "invoiceId": "inv_9", "metadata": { "orderId": "ord_42" }
    })
    .to_string();
    let sig = btcpay::sign(secret, body.as_bytes());
    (body, sig)
}

pub fn razorpay_delivery(secret: &str) -> (String, String) {
    let body = json!({
        "entity": "event", "account_id": "acc_1", "event": "payment.captured",
        "contains": ["payment"], "created_at": 1767225600,
        "payload": { "payment": { "entity": { "id": "pay_1", "amount": 50000, "currency": "INR" } } }
    })
    .to_string();
    let sig = razorpay::sign(secret, body.as_bytes());
    (body, sig)
}

pub fn nowpayments_delivery(secret: &str, payment_id: u64, status: &str) -> (String, String) {
    let body = json!({
        "payment_id": payment_id, "payment_status": status, "price_amount": 19.99,
        "price_currency": "eur", "pay_amount": 0.00021, "pay_currency": "btc",
        "order_id": "ord_42", "fee": { "currency": "btc", "depositFee": 0.000001 }
    });
    let map = body.as_object().cloned().unwrap_or_default();
    let sig = nowpayments::sign(secret, &map);
    (body.to_string(), sig)
}

/// The relay binary, for tests that run it as a process.
pub fn relay_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_codetill-relay"))
}

/// Run an admin command of the binary with `--json`; its one JSON object.
pub fn admin_json(db_url: &str, key_hex: Option<&str>, args: &[&str], stdin: &str) -> Value {
    let output = admin_command(db_url, key_hex, args, stdin);
    assert!(
        output.status.success(),
        "codetill-relay {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

pub fn admin_command(
    db_url: &str,
    key_hex: Option<&str>,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut command = Command::new(relay_bin());
    command
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env_remove("CODETILL_RELAY_MASTER_KEY")
        .env_remove("CODETILL_RELAY_MASTER_KEY_FILE")
        .env_remove("CODETILL_RELAY_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key_hex {
        command.env("CODETILL_RELAY_MASTER_KEY", key);
    }
    let mut child = command.spawn().expect("run codetill-relay");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("codetill-relay output")
}

/// `codetill-relay serve` as a child process.
pub struct RelayProcess {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl RelayProcess {
    /// Start on `listen` (e.g. "127.0.0.1:0"); returns once it is listening.
    pub fn spawn(db_url: &str, key_hex: &str, listen: &str) -> std::io::Result<RelayProcess> {
        Self::spawn_with(db_url, key_hex, listen, &[])
    }

    /// `spawn`, with more options for `serve`.
    pub fn spawn_with(
        db_url: &str,
        key_hex: &str,
        listen: &str,
        serve_args: &[&str],
    ) -> std::io::Result<RelayProcess> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(relay_bin())
            .args(["--db", db_url, "serve", "--listen", listen, "--rate", "0"])
            .args(serve_args)
            .env("CODETILL_RELAY_MASTER_KEY", key_hex)
            .env("RUST_LOG", "codetill_relay=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let Some(addr) = line.trim().strip_prefix("codetill-relay listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other(format!(
                "relay did not start: {line:?}"
            )));
        };
        let addr = addr.parse().map_err(std::io::Error::other)?;
        Ok(RelayProcess {
            child,
            addr,
            _stdout: stdout,
        })
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "relay did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Post a freshly signed Stripe event until some relay answers 2xx, the way a
/// provider retries; `port` may change under it (a restart). Returns how many
/// attempts failed first.
pub async fn deliver_until_2xx(
    client: &reqwest::Client,
    port: &std::sync::atomic::AtomicU16,
    endpoint: &str,
    secret: &str,
    event_id: &str,
) -> u32 {
    let mut failed = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let url = format!(
            "http://127.0.0.1:{}/in/{endpoint}",
            port.load(std::sync::atomic::Ordering::SeqCst)
        );
        let body = stripe_body(event_id);
        let sig = stripe::sign(secret, chrono::Utc::now().timestamp(), body.as_bytes());
        let sent = client
            .post(url)
            .header("stripe-signature", sig)
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if sent.is_ok_and(|response| response.status().is_success()) {
            return failed;
        }
        failed += 1;
        assert!(
            std::time::Instant::now() < deadline,
            "{event_id} never got a 2xx"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
