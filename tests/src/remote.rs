//! Remote sales harness: fake Stripe, BTCPay, NOWPayments ([`nowpayments`]) and
//! Razorpay ([`razorpay`]) APIs (one small axum server on loopback; the real
//! providers are out of reach, so codetill's real HTTP clients talk to it), a
//! `codetill-relay serve` process with a shop and its webhook endpoints, and webhook
//! signatures computed as the relay contract specifies.

pub mod nowpayments;
pub mod razorpay;

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use hmac::{Hmac, Mac};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use sha2::Sha256;

pub const STRIPE_KEY: &str = "sk_test_codetill";
pub const BTCPAY_KEY: &str = "btcpay-api-key";
pub const BTCPAY_STORE: &str = "store_1";
pub const STRIPE_WHSEC: &str = "whsec_test_secret";
pub const BTCPAY_SECRET: &str = "btcpay-webhook-secret";
/// What one bitcoin is worth in the invoice's currency, at the fake BTCPay.
pub const BTCPAY_RATE: &str = "64392.23";
const MASTER_KEY: &str = "abababababababababababababababababababababababababababababababab";

/// Checkout sessions, invoices, payments and payment links the fake providers have
/// made, by id.
#[derive(Default)]
pub struct Ledger {
    pub sessions: Mutex<HashMap<String, Value>>,
    pub invoices: Mutex<HashMap<String, Value>>,
    /// What each BTCPay invoice received, in bitcoin.
    pub btcpay_paid: Mutex<HashMap<String, Decimal>>,
    pub np_invoices: Mutex<HashMap<String, Value>>,
    pub np_payments: Mutex<HashMap<String, Value>>,
    pub rzp_links: Mutex<HashMap<String, Value>>,
    pub created: AtomicU32,
}

/// Fake Stripe (`/v1/checkout/sessions`), BTCPay Greenfield
/// (`/api/v1/stores/{store}/invoices`), NOWPayments (`/v1/invoice`, `/v1/payment`)
/// and Razorpay (`/v1/payment_links`) on one loopback server.
pub struct FakeProviders {
    pub url: String,
    pub ledger: Arc<Ledger>,
}

impl FakeProviders {
    /// Serves on the current tokio runtime until it stops.
    pub async fn start() -> anyhow::Result<FakeProviders> {
        let ledger = Arc::new(Ledger::default());
        let app = Router::new()
            .route("/v1/checkout/sessions", post(stripe_create))
            .route("/v1/checkout/sessions/{id}", get(stripe_get))
            .route("/api/v1/stores/{store}/invoices", post(btcpay_create))
            .route("/api/v1/stores/{store}/invoices/{id}", get(btcpay_get))
            .route(
                "/api/v1/stores/{store}/invoices/{id}/payment-methods",
                get(btcpay_methods),
            )
            .route("/v1/invoice", post(nowpayments::create_invoice))
            .route("/v1/payment/{id}", get(nowpayments::get_payment))
            .route("/v1/payment_links", post(razorpay::create_link))
            .route("/v1/payment_links/{id}", get(razorpay::get_link))
            .with_state(ledger.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeProviders { url, ledger })
    }

    pub fn session(&self, id: &str) -> Option<Value> {
        self.ledger.sessions.lock().ok()?.get(id).cloned()
    }

    /// The buyer paid (or not): what the session says from now on.
    pub fn set_stripe_status(&self, id: &str, payment_status: &str) {
        if let Ok(mut s) = self.ledger.sessions.lock()
            && let Some(v) = s.get_mut(id)
        {
            v["payment_status"] = json!(payment_status);
            v["status"] = json!(if payment_status == "paid" {
                "complete"
            } else {
                "open"
            });
        }
    }

    /// The session's charge as the shop's dashboard left it: `refunded` minor units
    /// given back, and whether the buyer disputed it.
    pub fn set_stripe_charge(&self, id: &str, refunded: i64, disputed: bool) {
        if let Ok(mut s) = self.ledger.sessions.lock()
            && let Some(v) = s.get_mut(id)
        {
            let total = v["amount_total"].as_i64().unwrap_or(0);
            v["payment_intent"] = json!({"id": format!("pi_{id}"), "latest_charge": {
                "id": format!("ch_{id}"), "amount": total, "amount_refunded": refunded,
                "refunded": refunded >= total && total > 0, "disputed": disputed}});
        }
    }

    /// The invoice's state; `Settled` with nothing paid yet pays it in full.
    pub fn set_btcpay_status(&self, id: &str, status: &str) {
        if let Ok(mut s) = self.ledger.invoices.lock()
            && let Some(v) = s.get_mut(id)
        {
            v["status"] = json!(status);
        }
        let unpaid = self
            .ledger
            .btcpay_paid
            .lock()
            .map(|p| !p.contains_key(id))
            .unwrap_or(false);
        if status == "Settled" && unpaid {
            self.pay_btcpay(id, 100, "Settled", "None");
        }
    }

    /// The buyer paid `percent` of the invoice's bitcoin amount, and BTCPay says
    /// `status` (`additional`): a store's payment tolerance settles a short one.
    pub fn pay_btcpay(&self, id: &str, percent: u32, status: &str, additional: &str) {
        let Some(invoice) = self.ledger.invoices.lock().ok().and_then(|mut s| {
            let v = s.get_mut(id)?;
            v["status"] = json!(status);
            v["additionalStatus"] = json!(additional);
            Some(v.clone())
        }) else {
            return;
        };
        let due = btcpay_due(&invoice);
        let paid = (due * Decimal::from(percent) / Decimal::from(100))
            .round_dp_with_strategy(8, RoundingStrategy::ToZero);
        if let Ok(mut p) = self.ledger.btcpay_paid.lock() {
            p.insert(id.to_string(), paid);
        }
    }

    pub fn created(&self) -> u32 {
        self.ledger.created.load(Ordering::SeqCst)
    }
}

fn bearer_ok(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected)
}

fn stripe_error(status: StatusCode, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({ "error": { "message": message, "type": "invalid_request_error" } })),
    )
}

async fn stripe_create(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, &format!("Bearer {STRIPE_KEY}")) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Ok(amount) = field("line_items[0][price_data][unit_amount]").parse::<i64>() else {
        return stripe_error(StatusCode::BAD_REQUEST, "Missing unit_amount");
    };
    if field("mode") != "payment" {
        return stripe_error(StatusCode::BAD_REQUEST, "mode must be payment");
    }
    let n = ledger.created.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("cs_test_{n:04}");
    let session = json!({
        "id": id, "object": "checkout.session", "mode": "payment",
        "url": format!("https://checkout.stripe.test/c/pay/{id}"),
        "status": "open", "payment_status": "unpaid",
        "amount_total": amount, "currency": field("line_items[0][price_data][currency]"),
        "client_reference_id": field("client_reference_id"),
        "customer_email": field("customer_email"),
        "metadata": { "order_id": field("metadata[order_id]") },
    });
    if let Ok(mut s) = ledger.sessions.lock() {
        s.insert(id, session.clone());
    }
    (StatusCode::OK, Json(session))
}

async fn stripe_get(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, &format!("Bearer {STRIPE_KEY}")) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    match ledger
        .sessions
        .lock()
        .ok()
        .and_then(|s| s.get(&id).cloned())
    {
        Some(s) => (StatusCode::OK, Json(s)),
        None => stripe_error(StatusCode::NOT_FOUND, "No such checkout.session"),
    }
}

async fn btcpay_create(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Path(store): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, &format!("token {BTCPAY_KEY}")) || store != BTCPAY_STORE {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "unauthenticated" })),
        );
    }
    let n = ledger.created.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("inv_{n:04}");
    let invoice = json!({
        "id": id, "storeId": store, "status": "New",
        "amount": body["amount"], "currency": body["currency"],
        "checkoutLink": format!("https://btcpay.test/i/{id}"),
        "metadata": body["metadata"],
    });
    if let Ok(mut s) = ledger.invoices.lock() {
        s.insert(id, invoice.clone());
    }
    (StatusCode::OK, Json(invoice))
}

async fn btcpay_get(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Path((_store, id)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, &format!("token {BTCPAY_KEY}")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "unauthenticated" })),
        );
    }
    match ledger
        .invoices
        .lock()
        .ok()
        .and_then(|s| s.get(&id).cloned())
    {
        Some(s) => (StatusCode::OK, Json(s)),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "invoice not found" })),
        ),
    }
}

/// The invoice's price in bitcoin at [`BTCPAY_RATE`], rounded up to the satoshi.
fn btcpay_due(invoice: &Value) -> Decimal {
    let price: Decimal = invoice["amount"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_default();
    let rate: Decimal = BTCPAY_RATE.parse().unwrap_or(Decimal::ONE);
    (price / rate).round_dp_with_strategy(8, RoundingStrategy::AwayFromZero)
}

/// `GET …/invoices/{id}/payment-methods`: on-chain, which took what was paid, and
/// Lightning, which took nothing (Greenfield 2.x field names).
async fn btcpay_methods(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Path((_store, id)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, &format!("token {BTCPAY_KEY}")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "unauthenticated" })),
        );
    }
    let Some(invoice) = ledger
        .invoices
        .lock()
        .ok()
        .and_then(|s| s.get(&id).cloned())
    else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "invoice not found" })),
        );
    };
    let due = btcpay_due(&invoice);
    let paid = ledger
        .btcpay_paid
        .lock()
        .ok()
        .and_then(|p| p.get(&id).copied())
        .unwrap_or_default();
    let method = |method: &str, own: Decimal| {
        json!({
            "paymentMethodId": method, "currency": "BTC", "destination": format!("bc1q{id}"),
            "paymentLink": format!("bitcoin:bc1q{id}"), "rate": BTCPAY_RATE,
            "paymentMethodPaid": own.to_string(), "totalPaid": paid.to_string(),
            "due": (due - paid).to_string(), "amount": due.to_string(),
            "paymentMethodFee": "0.0", "activated": true, "additionalData": {},
            "payments": if own.is_zero() { json!([]) } else { json!([{
                "id": format!("{id}-tx"), "receivedDate": now_s(), "value": own.to_string(),
                "fee": "0.0", "status": "Settled", "destination": format!("bc1q{id}") }]) },
        })
    };
    (
        StatusCode::OK,
        Json(json!([
            method("BTC-CHAIN", paid),
            method("BTC-LN", Decimal::ZERO)
        ])),
    )
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// `Stripe-Signature: t=…,v1=…`: HMAC-SHA256(secret, "{t}.{body}").
pub fn stripe_signature(secret: &str, t: i64, body: &str) -> String {
    let t = t.to_string();
    format!(
        "t={t},v1={}",
        hmac_hex(secret, &[t.as_bytes(), b".", body.as_bytes()])
    )
}

/// `BTCPay-Sig: sha256=…`: HMAC-SHA256(secret, body).
pub fn btcpay_signature(secret: &str, body: &str) -> String {
    format!("sha256={}", hmac_hex(secret, &[body.as_bytes()]))
}

/// A Stripe `checkout.session.completed` event for `session` (as Stripe sends it).
pub fn stripe_completed(event_id: &str, session: &Value) -> String {
    json!({
        "id": event_id, "object": "event", "type": "checkout.session.completed",
        "created": now_s(), "livemode": false,
        "data": { "object": session },
    })
    .to_string()
}

/// A BTCPay `InvoiceSettled` delivery.
pub fn btcpay_settled(delivery_id: &str, invoice_id: &str, order_id: &str) -> String {
    json!({
        "deliveryId": delivery_id, "webhookId": "wh_1", "originalDeliveryId": delivery_id,
        "isRedelivery": false, "type": "InvoiceSettled", "timestamp": now_s(),
        "storeId": BTCPAY_STORE, "invoiceId": invoice_id, "manuallyMarked": false,
        "metadata": { "orderId": order_id },
    })
    .to_string()
}

pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `codetill-relay` binary built beside the tests.
pub fn relay_bin() -> PathBuf {
    let mut p = crate::codetill_bin();
    p.set_file_name(format!("codetill-relay{}", std::env::consts::EXE_SUFFIX));
    p
}

/// `codetill-relay serve` as a child process, with one shop and a Stripe and a BTCPay
/// endpoint.
pub struct RelayServer {
    child: Option<Child>,
    _stdout: Option<std::io::BufReader<std::process::ChildStdout>>,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub token: String,
    pub stripe_endpoint: String,
    pub btcpay_endpoint: String,
    pub nowpayments_endpoint: String,
    pub razorpay_endpoint: String,
}

fn admin(db_url: &str, args: &[&str], stdin: &str) -> anyhow::Result<Value> {
    let mut child = Command::new(relay_bin())
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env("CODETILL_RELAY_MASTER_KEY", MASTER_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "codetill-relay {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

impl RelayServer {
    pub fn start() -> anyhow::Result<RelayServer> {
        anyhow::ensure!(
            relay_bin().exists(),
            "{} is missing: run `cargo build -p codetill-relay` first",
            relay_bin().display()
        );
        let dir = tempfile::tempdir()?;
        let db_url = format!("sqlite://{}", dir.path().join("relay.db").display());
        let shop = admin(
            &db_url,
            &["shop", "add", "--name", "Corner Digital", "--json"],
            "",
        )?;
        let shop_id = shop["shop_id"].as_str().unwrap_or_default().to_string();
        let token = shop["token"].as_str().unwrap_or_default().to_string();
        let endpoint = |provider: &str, secret: &str| -> anyhow::Result<String> {
            let v = admin(
                &db_url,
                &[
                    "endpoint",
                    "add",
                    "--shop",
                    &shop_id,
                    "--provider",
                    provider,
                    "--json",
                ],
                secret,
            )?;
            Ok(v["endpoint_id"].as_str().unwrap_or_default().to_string())
        };
        let stripe_endpoint = endpoint("stripe", STRIPE_WHSEC)?;
        let btcpay_endpoint = endpoint("btcpay", BTCPAY_SECRET)?;
        let nowpayments_endpoint = endpoint("nowpayments", nowpayments::IPN_SECRET)?;
        let razorpay_endpoint = endpoint("razorpay", razorpay::WEBHOOK_SECRET)?;
        let mut server = RelayServer {
            child: None,
            _stdout: None,
            addr: ([127, 0, 0, 1], 0).into(),
            dir,
            token,
            stripe_endpoint,
            btcpay_endpoint,
            nowpayments_endpoint,
            razorpay_endpoint,
        };
        server.serve("127.0.0.1:0")?;
        Ok(server)
    }

    fn db_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("relay.db").display())
    }

    /// Starts serving (again) on `listen`.
    pub fn serve(&mut self, listen: &str) -> anyhow::Result<()> {
        let mut child = Command::new(relay_bin())
            .args([
                "--db",
                &self.db_url(),
                "serve",
                "--listen",
                listen,
                "--rate",
                "0",
            ])
            .env("CODETILL_RELAY_MASTER_KEY", MASTER_KEY)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut stdout = std::io::BufReader::new(
            child
                .stdout
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
        );
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("codetill-relay listening on ")
            .ok_or_else(|| anyhow::anyhow!("relay did not start: {line:?}"))?
            .parse()?;
        self.addr = addr;
        self.child = Some(child);
        self._stdout = Some(stdout);
        Ok(())
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// POSTs a signed Stripe event; the relay's status code.
    pub async fn post_stripe(&self, http: &reqwest::Client, body: &str) -> anyhow::Result<u16> {
        let sig = stripe_signature(STRIPE_WHSEC, now_s(), body);
        let r = http
            .post(format!("{}/in/{}", self.url(), self.stripe_endpoint))
            .header("content-type", "application/json")
            .header("stripe-signature", sig)
            .body(body.to_string())
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    pub async fn post_btcpay(&self, http: &reqwest::Client, body: &str) -> anyhow::Result<u16> {
        let r = http
            .post(format!("{}/in/{}", self.url(), self.btcpay_endpoint))
            .header("content-type", "application/json")
            .header("btcpay-sig", btcpay_signature(BTCPAY_SECRET, body))
            .body(body.to_string())
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    /// POSTs a NOWPayments IPN (`body` as [`nowpayments::ipn_body`] writes it).
    pub async fn post_nowpayments(
        &self,
        http: &reqwest::Client,
        body: &str,
    ) -> anyhow::Result<u16> {
        let r = http
            .post(format!("{}/in/{}", self.url(), self.nowpayments_endpoint))
            .header("content-type", "application/json")
            .header("x-nowpayments-sig", nowpayments::signature(body)?)
            .body(body.to_string())
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    /// POSTs a Razorpay webhook with its event id header.
    pub async fn post_razorpay(
        &self,
        http: &reqwest::Client,
        event_id: &str,
        body: &str,
    ) -> anyhow::Result<u16> {
        let r = http
            .post(format!("{}/in/{}", self.url(), self.razorpay_endpoint))
            .header("content-type", "application/json")
            .header(
                "x-razorpay-signature",
                hmac_hex(razorpay::WEBHOOK_SECRET, &[body.as_bytes()]),
            )
            .header("x-razorpay-event-id", event_id)
            .body(body.to_string())
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    /// `GET /v1/status` with the shop's token.
    pub async fn status(&self, http: &reqwest::Client) -> anyhow::Result<Value> {
        Ok(http
            .get(format!("{}/v1/status", self.url()))
            .bearer_auth(&self.token)
            .send()
            .await?
            .json()
            .await?)
    }
}

impl Drop for RelayServer {
    fn drop(&mut self) {
        self.stop();
    }
}
