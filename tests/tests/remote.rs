//! Remote sales end to end, every part a real process or a real HTTP client:
//! `codetill remote new` makes a payment link at a fake Stripe/BTCPay API, a signed
//! webhook is POSTed to a real `codetill-relay serve`, `codetill relay pull` takes it,
//! re-reads the payment from the provider, buys from the sandbox supplier and queues
//! the buyer's email. And the ways it must not go: an event delivered again, events
//! for unknown orders, wrong amounts, unpaid sessions and second payments (held,
//! nothing bought), a relay that is down, bad input.
//!
//! Needs the binaries: `cargo build -p codetill-cli -p codetill-relay` first.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use codetill_e2e::cli::{self, Run};
use codetill_e2e::remote::{self, FakeProviders, RelayServer};
use codetill_e2e::{Flavor, Sandbox};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";
const BUYER: &str = "buyer@example.com";

/// A till with a synced catalog, the fake providers and a relay.
struct Shop {
    sandbox: Sandbox,
    fakes: FakeProviders,
    relay: RelayServer,
    /// Where the till reaches the relay (the relay itself, or a proxy in front).
    relay_url: String,
    home: tempfile::TempDir,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Shop {
    fn new() -> Shop {
        Shop::with_flavor(Flavor::Wholesale)
    }

    /// A shop whose supplier speaks `flavor`'s contract (the sandbox serving it).
    fn with_flavor(flavor: Flavor) -> Shop {
        let home = cli::till_home();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start_flavor(50, flavor)).unwrap();
        let fakes = rt.block_on(FakeProviders::start()).unwrap();
        let relay = RelayServer::start().unwrap();
        let shop = Shop {
            relay_url: relay.url(),
            sandbox,
            fakes,
            relay,
            home,
            http: reqwest::Client::new(),
            rt,
        };
        let sync = shop.run(&["sync", "--json"]);
        assert_eq!(sync.code, 0, "{sync:?}");
        shop
    }

    fn run(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let mut cmd = cli::command(self.home.path(), &self.sandbox.url(), args);
        if self.sandbox.flavor() != Flavor::Wholesale {
            cmd.env("CODETILL_SUPPLIER_KIND", self.sandbox.flavor().as_str())
                .env("CODETILL_SUPPLIER_AUTH_URL", self.sandbox.url())
                .env(
                    "CODETILL_SUPPLIER_KEY",
                    format!("{}:{}", codetill_e2e::RELOADLY_CLIENT_ID, codetill_e2e::KEY),
                );
        }
        let out = cmd
            .env("CODETILL_RELAY_URL", &self.relay_url)
            .env("CODETILL_RELAY_TOKEN", &self.relay.token)
            .env("CODETILL_STRIPE_API_URL", &self.fakes.url)
            .env("CODETILL_STRIPE_KEY", remote::STRIPE_KEY)
            .env("CODETILL_BTCPAY_URL", &self.fakes.url)
            .env("CODETILL_BTCPAY_KEY", remote::BTCPAY_KEY)
            .env("CODETILL_BTCPAY_STORE", remote::BTCPAY_STORE)
            .env("CODETILL_NOWPAYMENTS_API_URL", &self.fakes.url)
            .env("CODETILL_NOWPAYMENTS_KEY", remote::nowpayments::API_KEY)
            .env("CODETILL_RAZORPAY_API_URL", &self.fakes.url)
            .env("CODETILL_RAZORPAY_KEY_ID", remote::razorpay::KEY_ID)
            .env("CODETILL_RAZORPAY_KEY_SECRET", remote::razorpay::KEY_SECRET)
            .output()
            .unwrap();
        Run::from(out, started.elapsed())
    }

    fn remote_new(&self, provider: &str) -> Value {
        let run = self.remote_new_with(provider, &["--json"]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()
    }

    /// `remote new SKU --email BUYER --provider P`, then `more`.
    fn remote_new_with(&self, provider: &str, more: &[&str]) -> Run {
        let mut args = vec![
            "remote",
            "new",
            SKU,
            "--email",
            BUYER,
            "--provider",
            provider,
        ];
        args.extend_from_slice(more);
        self.run(&args)
    }

    fn pull(&self) -> Run {
        self.run(&["relay", "pull", "--json"])
    }

    fn post_stripe(&self, body: &str) {
        let status = self
            .rt
            .block_on(self.relay.post_stripe(&self.http, body))
            .unwrap();
        assert_eq!(status, 200, "the relay refused the webhook");
    }

    fn post_btcpay(&self, body: &str) {
        let status = self
            .rt
            .block_on(self.relay.post_btcpay(&self.http, body))
            .unwrap();
        assert_eq!(status, 200, "the relay refused the webhook");
    }

    fn post_nowpayments(&self, body: &str) {
        let status = self
            .rt
            .block_on(self.relay.post_nowpayments(&self.http, body))
            .unwrap();
        assert_eq!(status, 200, "the relay refused the IPN");
    }

    fn post_razorpay(&self, event_id: &str, body: &str) {
        let status = self
            .rt
            .block_on(self.relay.post_razorpay(&self.http, event_id, body))
            .unwrap();
        assert_eq!(status, 200, "the relay refused the webhook");
    }

    /// The IPN for NOWPayments payment `id` as it stands now.
    fn post_np_status(&self, id: &str) {
        let payment = self.fakes.np_payment(id).unwrap();
        self.post_nowpayments(&remote::nowpayments::ipn_body(&payment));
    }

    /// The fake session of an order, as the buyer paid it (or not).
    fn pay_stripe(&self, order: &Value, payment_status: &str) -> Value {
        let id = session_id(order);
        self.fakes.set_stripe_status(&id, payment_status);
        self.fakes.session(&id).unwrap()
    }

    fn order(&self, id: &str) -> Value {
        let run = self.run(&["order", id, "--json"]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()
    }

    fn orders_created(&self) -> u64 {
        self.rt.block_on(self.sandbox.counters()).unwrap()["orders_created"]
            .as_u64()
            .unwrap()
    }

    fn rows(&self, query: &str) -> Vec<Vec<String>> {
        self.rt.block_on(cli::rows(self.home.path(), query))
    }

    fn sql(&self, statement: &str) {
        self.rt.block_on(cli::sql(self.home.path(), statement));
    }

    fn relay_status(&self) -> Value {
        self.rt.block_on(self.relay.status(&self.http)).unwrap()
    }
}

/// The held events of a pull's report: (event id, reason).
fn held(report: &Value) -> Vec<(String, String)> {
    report["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["event_id"].as_str().unwrap().to_string(),
                h["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The order's price in minor units, as the CLI printed it.
fn price_minor(order: &Value) -> i64 {
    let price: rust_decimal::Decimal = order["price"].as_str().unwrap().parse().unwrap();
    i64::try_from((price * rust_decimal::Decimal::from(100)).trunc()).unwrap()
}

fn session_id(order: &Value) -> String {
    order["payment_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn a_stripe_payment_delivers_the_code_to_the_buyer() {
    let shop = Shop::new();
    let new = |lang: &str| shop.remote_new_with("stripe", &["--lang", lang]);
    let french = new("fr");
    assert_eq!(french.code, 2, "{french:?}");
    assert!(french.stderr.contains("--lang"), "{french:?}");
    assert!(shop.rows("SELECT id FROM orders").is_empty());
    let run = new("hi");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("https://checkout.stripe.test/c/pay/cs_test_0001"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains('▀') || run.stdout.contains('▄'),
        "no QR code drawn: {run:?}"
    );
    let order = shop.order("ORD-000001");
    assert_eq!(order["status"], "quoted");
    let session = shop.fakes.session("cs_test_0001").unwrap();
    assert_eq!(session["client_reference_id"], "ORD-000001");
    assert_eq!(session["metadata"]["order_id"], "ORD-000001");
    let price_minor =
        (order["price"].as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(session["amount_total"], price_minor);
    assert_eq!(
        session["currency"],
        order["currency"].as_str().unwrap().to_lowercase()
    );

    // Nothing is bought for an unpaid link, however often the till pulls.
    let idle = shop.pull();
    assert_eq!(idle.code, 0, "{idle:?}");
    assert_eq!(shop.orders_created(), 0);

    let session = shop.pay_stripe(&json!({"payment_url": "x/cs_test_0001"}), "paid");
    shop.post_stripe(&remote::stripe_completed("evt_paid_1", &session));
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["received"], 1, "{report}");
    assert_eq!(report["paid"], json!(["ORD-000001"]));
    assert_eq!(report["delivered"], json!(["ORD-000001"]));
    assert_eq!(report["held"], json!([]));

    let order = shop.order("ORD-000001");
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["paid"]["method"], "stripe");
    assert_eq!(order["paid"]["reference"], "cs_test_0001");
    assert_eq!(order["paid"]["staff"], "remote");
    assert_eq!(order["email"], BUYER);
    let revealed = shop.run(&[
        "order",
        "ORD-000001",
        "--reveal",
        "--reason",
        "test",
        "--json",
    ]);
    assert_eq!(revealed.code, 0, "{revealed:?}");
    assert!(
        !revealed.json()["codes"][0]["code"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(shop.orders_created(), 1);
    // The code's email waits in the outbox (no mail server here).
    let mail = shop.rows("SELECT kind, destination, status, language FROM outbox");
    assert_eq!(
        mail,
        vec![vec!["email", BUYER, "queued", "hi"]],
        "the buyer's email, in the language asked for"
    );
    // The relay was told.
    let status = shop.relay_status();
    assert_eq!(status["acked_cursor"], status["head_cursor"]);
    assert_eq!(
        shop.rows("SELECT status FROM relay_inbox"),
        vec![vec!["processed".to_string()]]
    );
}

#[test]
fn a_settled_btcpay_invoice_delivers_the_code() {
    let shop = Shop::new();
    let order = shop.remote_new("btcpay");
    assert_eq!(order["provider"], "btcpay");
    assert_eq!(order["status"], "quoted");
    assert_eq!(order["order_id"], "ORD-000001");
    let invoice = order["payment_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    shop.fakes.set_btcpay_status(&invoice, "Settled");
    let body = remote::btcpay_settled("dlv_1", &invoice, "ORD-000001");
    let status = shop
        .rt
        .block_on(shop.relay.post_btcpay(&shop.http, &body))
        .unwrap();
    assert_eq!(status, 200);
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(pull.json()["delivered"], json!(["ORD-000001"]));
    let order = shop.order("ORD-000001");
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["paid"]["method"], "btcpay");
    assert_eq!(order["paid"]["reference"], invoice);
    assert_eq!(shop.orders_created(), 1);
}

/// A proxy in front of the relay that cuts the connection when the till sends its
/// acknowledgement, as a crash between the inbox commit and the ack would leave it.
fn ack_cutting_proxy(
    rt: &tokio::runtime::Runtime,
    upstream: std::net::SocketAddr,
    cut: Arc<AtomicBool>,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let cut = cut.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let chunk = &buf[..n];
                        if cut.load(Ordering::SeqCst)
                            && chunk.windows(19).any(|w| w == b"POST /v1/events/ack")
                        {
                            return; // dropped: both directions close
                        }
                        if sw.write_all(chunk).await.is_err() {
                            return;
                        }
                    }
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::select! { () = up => {}, () = down => {} }
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn an_event_delivered_again_is_acted_on_once() {
    let mut shop = Shop::new();
    let order = shop.remote_new("stripe");
    let session = shop.pay_stripe(&order, "paid");
    shop.post_stripe(&remote::stripe_completed("evt_once", &session));

    let cut = Arc::new(AtomicBool::new(true));
    shop.relay_url = ack_cutting_proxy(&shop.rt, shop.relay.addr, cut.clone());
    let first = shop.pull();
    // The event is ours and acted on; the relay just was not told.
    assert_eq!(first.code, 1, "{first:?}");
    assert!(first.stderr.contains("the relay was not told"), "{first:?}");
    assert_eq!(first.json()["delivered"], json!(["ORD-000001"]));
    assert_eq!(shop.relay_status()["acked_cursor"], 0);

    // The next pull tells the relay, and takes nothing twice.
    cut.store(false, Ordering::SeqCst);
    let second = shop.pull();
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(second.json()["received"], 0);
    let status = shop.relay_status();
    assert_eq!(status["acked_cursor"], status["head_cursor"]);

    // A till whose cursor went back (restored from a backup) is handed the event
    // again: recognised by (provider, event id) and skipped.
    shop.sql("UPDATE relay_cursor SET cursor = 0, acked = 0");
    let again = shop.pull();
    assert_eq!(again.code, 0, "{again:?}");
    let report = again.json();
    assert_eq!(report["received"], 1, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    assert_eq!(report["paid"], json!([]));
    assert_eq!(shop.orders_created(), 1);
    assert_eq!(
        shop.rows("SELECT count(*) FROM payments"),
        vec![vec!["1".to_string()]]
    );
    assert_eq!(
        shop.rows("SELECT count(*) FROM relay_inbox"),
        vec![vec!["1".to_string()]]
    );
    // A relay restarted on the same store serves the till as before.
    shop.relay.stop();
    shop.relay.serve("127.0.0.1:0").unwrap();
    shop.relay_url = shop.relay.url();
    assert_eq!(shop.pull().code, 0);
}

#[test]
fn doubtful_payments_are_held_for_review_and_nothing_is_bought() {
    let shop = Shop::new();
    let a = shop.remote_new("stripe"); // ORD-000001: paid twice
    let b = shop.remote_new("stripe"); // ORD-000002: wrong amount
    let c = shop.remote_new("stripe"); // ORD-000003: the provider says unpaid

    // Unknown order: a well-signed event naming an order this till never made.
    let mut stranger = shop.pay_stripe(&a, "paid");
    stranger["id"] = json!("cs_test_9999");
    stranger["client_reference_id"] = json!("ORD-999999");
    shop.post_stripe(&remote::stripe_completed("evt_unknown", &stranger));
    // Amount mismatch: the event pays one cent less than the price.
    let mut short = shop.pay_stripe(&b, "paid");
    short["amount_total"] = json!(short["amount_total"].as_i64().unwrap() - 1);
    shop.post_stripe(&remote::stripe_completed("evt_short", &short));
    // The event says paid, the provider's API does not.
    let mut claimed = shop.pay_stripe(&c, "unpaid");
    claimed["payment_status"] = json!("paid");
    shop.post_stripe(&remote::stripe_completed("evt_claimed", &claimed));
    // An event of no interest.
    shop.post_stripe(
        &json!({"id": "evt_other", "object": "event", "type": "customer.created", "data": {"object": {"id": "cus_1"}}})
            .to_string(),
    );

    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["paid"], json!([]), "{report}");
    assert_eq!(report["ignored"], 1, "{report}");
    let held: Vec<(String, String)> = report["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["event_id"].as_str().unwrap().to_string(),
                h["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(held.len(), 3, "{report}");
    assert!(
        held[0].0 == "evt_unknown" && held[0].1.contains("no order of this till"),
        "{held:?}"
    );
    assert!(
        held[1].0 == "evt_short" && held[1].1.contains("priced"),
        "{held:?}"
    );
    assert!(
        held[2].0 == "evt_claimed" && held[2].1.contains("not paid"),
        "{held:?}"
    );
    assert!(pull.stderr.contains("HELD FOR REVIEW"), "{pull:?}");
    assert_eq!(shop.orders_created(), 0);
    for id in ["ORD-000001", "ORD-000002", "ORD-000003"] {
        assert_eq!(shop.order(id)["status"], "quoted");
    }
    // The provider and event from each alert's facts (read here, not in SQL: the
    // JSON functions differ between the two databases).
    let alerts: Vec<Vec<String>> = shop
        .rows("SELECT kind, order_ref, facts FROM alerts ORDER BY id")
        .into_iter()
        .map(|row| {
            let facts: Value = serde_json::from_str(&row[2]).unwrap();
            let said = format!(
                "{} {}",
                facts["provider"].as_str().unwrap_or_default(),
                facts["event"].as_str().unwrap_or_default()
            );
            vec![row[0].clone(), row[1].clone(), said]
        })
        .collect();
    assert_eq!(
        alerts,
        vec![
            vec!["payment_held", "ORD-999999", "stripe evt_unknown"],
            vec!["payment_held", "ORD-000002", "stripe evt_short"],
            vec!["payment_held", "ORD-000003", "stripe evt_claimed"],
        ]
    );

    // Another event for the session that paid an order (a session is paid once)
    // tells of the same payment: noted, never bought again, nothing to refund.
    let paid = shop.pay_stripe(&a, "paid");
    shop.post_stripe(&remote::stripe_completed("evt_first", &paid));
    assert_eq!(shop.pull().json()["delivered"], json!(["ORD-000001"]));
    shop.post_stripe(&remote::stripe_completed("evt_second", &paid));
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["paid"], json!([]));
    assert_eq!(report["held"], json!([]), "{report}");
    assert_eq!(report["ignored"], 1, "{report}");
    assert_eq!(shop.orders_created(), 1);
    assert_eq!(
        shop.rows("SELECT status, count(*) FROM relay_inbox GROUP BY status ORDER BY status"),
        vec![
            vec!["held".to_string(), "3".to_string()],
            vec!["ignored".to_string(), "2".to_string()],
            vec!["processed".to_string(), "1".to_string()],
        ]
    );
}

#[test]
fn a_stripe_payment_refunded_or_disputed_before_the_till_reads_it_is_held() {
    let shop = Shop::new();
    let a = shop.remote_new("stripe");
    let b = shop.remote_new("stripe");
    // Paid, then refunded from Stripe's dashboard while the till was off; the
    // session still says paid.
    let refunded = shop.pay_stripe(&a, "paid");
    shop.fakes
        .set_stripe_charge(&session_id(&a), price_minor(&a), false);
    shop.post_stripe(&remote::stripe_completed("evt_refunded", &refunded));
    let disputed = shop.pay_stripe(&b, "paid");
    shop.fakes.set_stripe_charge(&session_id(&b), 0, true);
    shop.post_stripe(&remote::stripe_completed("evt_disputed", &disputed));

    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["paid"], json!([]), "{report}");
    let held = held(&report);
    assert_eq!(held.len(), 2, "{report}");
    assert!(held[0].1.contains("then refunded"), "{held:?}");
    assert!(held[1].1.contains("then disputed"), "{held:?}");
    assert_eq!(shop.orders_created(), 0);
}

#[test]
fn a_relay_that_is_down_fails_the_pull_and_changes_nothing() {
    let mut shop = Shop::new();
    let order = shop.remote_new("stripe");
    let session = shop.pay_stripe(&order, "paid");
    shop.post_stripe(&remote::stripe_completed("evt_down", &session));
    shop.relay.stop();
    let before = shop.rows("SELECT id, status, updated_at FROM orders");
    let pull = shop.pull();
    assert_eq!(pull.code, 1, "{pull:?}");
    assert!(pull.stderr.contains("cannot be reached"), "{pull:?}");
    assert!(pull.stderr.contains("nothing was taken"), "{pull:?}");
    assert_eq!(
        shop.rows("SELECT id, status, updated_at FROM orders"),
        before
    );
    assert_eq!(
        shop.rows("SELECT count(*) FROM relay_inbox"),
        vec![vec!["0".to_string()]]
    );
    assert_eq!(
        shop.rows("SELECT count(*) FROM relay_cursor"),
        vec![vec!["0".to_string()]]
    );
    assert_eq!(shop.orders_created(), 0);
    // Back up (on another port: the till follows its setting): the event goes through.
    shop.relay.serve("127.0.0.1:0").unwrap();
    shop.relay_url = shop.relay.url();
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(pull.json()["delivered"], json!(["ORD-000001"]));
}

/// An open-amount card sold remotely is quoted, linked and bought at the face value
/// the buyer chose; one outside its bounds is refused before any link is made.
#[test]
fn an_open_amount_card_is_sold_remotely_at_the_amount_chosen() {
    let shop = Shop::with_flavor(Flavor::Reloadly);
    let open = shop.rows(
        "SELECT sku, open_min_minor, open_max_minor, face_currency FROM products
          WHERE open_min_minor IS NOT NULL ORDER BY sku LIMIT 1",
    );
    let [sku, min, max, _currency] = &open[0][..] else {
        panic!("no open-amount product in the reloadly catalog: {open:?}");
    };
    let (min, max): (i64, i64) = (min.parse().unwrap(), max.parse().unwrap());
    let over = format!("{}", max / 100 + 1);
    let refused = shop.run(&[
        "remote",
        "new",
        sku,
        "--amount",
        &over,
        "--email",
        BUYER,
        "--provider",
        "stripe",
    ]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert_eq!(
        shop.fakes.created(),
        0,
        "no link for an amount out of bounds"
    );

    let chosen = (min / 100).max(1) + 1;
    let run = shop.run(&[
        "remote",
        "new",
        sku,
        "--amount",
        &chosen.to_string(),
        "--email",
        BUYER,
        "--provider",
        "stripe",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let order = run.json();
    let face = shop.rows(&format!(
        "SELECT face_minor, open_amount FROM orders WHERE public_id = '{}'",
        order["order_id"].as_str().unwrap()
    ));
    assert_eq!(
        face,
        vec![vec![(chosen * 100).to_string(), "1".to_string()]]
    );

    let session = shop.pay_stripe(&order, "paid");
    shop.post_stripe(&remote::stripe_completed("evt_open_1", &session));
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let done = shop.order(order["order_id"].as_str().unwrap());
    assert_eq!(done["status"], "delivered", "{done}");
}

#[test]
fn bad_input_to_remote_new_exits_2_and_changes_nothing() {
    let shop = Shop::new();
    for (args, needle) in [
        (
            vec![
                "remote",
                "new",
                "NO-SUCH-SKU",
                "--email",
                BUYER,
                "--provider",
                "stripe",
            ],
            "unknown sku",
        ),
        (
            vec![
                "remote",
                "new",
                SKU,
                "--email",
                "not-an-address",
                "--provider",
                "stripe",
            ],
            "not an email",
        ),
        (
            vec![
                "remote",
                "new",
                SKU,
                "--email",
                BUYER,
                "--provider",
                "paypal",
            ],
            "paypal",
        ),
        (
            vec!["remote", "new", SKU, "--provider", "stripe"],
            "--email",
        ),
        (
            vec![
                "remote",
                "new",
                SKU,
                "--amount",
                "twenty",
                "--email",
                BUYER,
                "--provider",
                "stripe",
            ],
            "--amount",
        ),
    ] {
        let run = shop.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {run:?}");
    }
    assert_eq!(
        shop.rows("SELECT count(*) FROM orders"),
        vec![vec!["0".to_string()]]
    );
    assert_eq!(shop.fakes.created(), 0);
    assert_eq!(shop.orders_created(), 0);
}

#[test]
fn recovery_keeps_remote_quotes_that_counter_quotes_would_lose() {
    let shop = Shop::new();
    shop.remote_new("stripe");
    shop.remote_new("stripe");
    // Two hours old: a counter quote would be stale; a buyer may still pay the link.
    let ago = |d: chrono::Duration| codetill_core::db::time_text(chrono::Utc::now() - d);
    shop.sql(&format!(
        "UPDATE orders SET created_at = '{}' WHERE id = 1",
        ago(chrono::Duration::hours(2))
    ));
    // Two days old: the link has expired.
    shop.sql(&format!(
        "UPDATE orders SET created_at = '{}' WHERE id = 2",
        ago(chrono::Duration::days(2))
    ));
    let run = shop.run(&["recover", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["cancelled_quotes"], 1);
    assert_eq!(shop.order("ORD-000001")["status"], "quoted");
    assert_eq!(shop.order("ORD-000002")["status"], "cancelled");
}

/// The invoice id at the end of a NOWPayments invoice_url (`…/payment/?iid=ID`).
fn np_invoice_id(order: &Value) -> String {
    order["payment_url"]
        .as_str()
        .unwrap()
        .rsplit("iid=")
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn a_finished_nowpayments_payment_delivers_the_code_once() {
    let shop = Shop::new();
    let order = shop.remote_new("nowpayments");
    assert_eq!(order["provider"], "nowpayments");
    assert_eq!(order["status"], "quoted");
    let invoice_id = np_invoice_id(&order);
    let invoice = shop.fakes.np_invoice(&invoice_id).unwrap();
    assert_eq!(invoice["order_id"], "ORD-000001");
    assert_eq!(invoice["price_amount"], order["price"]);
    assert_eq!(
        invoice["price_currency"],
        order["currency"].as_str().unwrap().to_lowercase()
    );

    // Waiting, then confirming: not final, nothing bought.
    let payment = shop.fakes.np_pay(&invoice_id, "waiting").unwrap();
    shop.post_np_status(&payment);
    shop.fakes
        .np_set(&payment, |p| p["payment_status"] = json!("confirming"));
    shop.post_np_status(&payment);
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["received"], 2, "{report}");
    assert_eq!(report["ignored"], 2, "{report}");
    assert_eq!(report["paid"], json!([]));
    assert_eq!(shop.orders_created(), 0);

    shop.fakes
        .np_set(&payment, |p| p["payment_status"] = json!("finished"));
    shop.post_np_status(&payment);
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["paid"], json!(["ORD-000001"]), "{report}");
    assert_eq!(report["delivered"], json!(["ORD-000001"]));
    let order = shop.order("ORD-000001");
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["paid"]["method"], "nowpayments");
    assert_eq!(order["paid"]["reference"], invoice_id);
    assert_eq!(shop.orders_created(), 1);

    // The same IPN again (NOWPayments retries): the relay keeps it once.
    shop.post_np_status(&payment);
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(pull.json()["received"], 0, "{pull:?}");
    // The same payment told again in another state: no second payment.
    shop.fakes
        .np_set(&payment, |p| p["payment_status"] = json!("partially_paid"));
    shop.post_np_status(&payment);
    shop.fakes
        .np_set(&payment, |p| p["payment_status"] = json!("finished"));
    let report = shop.pull().json();
    assert_eq!(report["held"], json!([]), "{report}");
    assert_eq!(report["paid"], json!([]), "{report}");
    // A second payment finished on the same invoice is held, never bought again.
    let second = shop.fakes.np_pay(&invoice_id, "finished").unwrap();
    shop.post_np_status(&second);
    let report = shop.pull().json();
    assert_eq!(report["paid"], json!([]), "{report}");
    let held = held(&report);
    assert!(
        held.len() == 1 && held[0].1.contains("already delivered"),
        "{held:?}"
    );
    assert_eq!(shop.orders_created(), 1);
    assert_eq!(
        shop.rows("SELECT count(*) FROM payments"),
        vec![vec!["1".to_string()]]
    );
}

#[test]
fn doubtful_nowpayments_payments_are_held_and_nothing_is_bought() {
    let shop = Shop::new();
    let partial = np_invoice_id(&shop.remote_new("nowpayments")); // ORD-000001
    let repriced = np_invoice_id(&shop.remote_new("nowpayments")); // ORD-000002
    let stranger = np_invoice_id(&shop.remote_new("nowpayments")); // ORD-000003
    let claimed = np_invoice_id(&shop.remote_new("nowpayments")); // ORD-000004

    // The buyer sent too little: NOWPayments says partially_paid.
    let p1 = shop.fakes.np_pay(&partial, "partially_paid").unwrap();
    shop.post_np_status(&p1);
    // Finished, but NOWPayments' own record prices it a cent under the order.
    let p2 = shop.fakes.np_pay(&repriced, "finished").unwrap();
    let ipn = remote::nowpayments::ipn_body(&shop.fakes.np_payment(&p2).unwrap());
    shop.fakes.np_set(&p2, |p| {
        let price = p["price_amount"].as_f64().unwrap();
        p["price_amount"] = json!(((price * 100.0).round() - 1.0) / 100.0);
    });
    shop.post_nowpayments(&ipn);
    // An IPN naming ORD-000003's invoice for a payment NOWPayments files under
    // another invoice.
    let p3 = shop.fakes.np_pay(&stranger, "finished").unwrap();
    let ipn = remote::nowpayments::ipn_body(&shop.fakes.np_payment(&p3).unwrap());
    shop.fakes
        .np_set(&p3, |p| p["invoice_id"] = json!(4_000_000_001u64));
    shop.post_nowpayments(&ipn);
    // The IPN says finished; NOWPayments' API says still confirming.
    let p4 = shop.fakes.np_pay(&claimed, "confirming").unwrap();
    let mut ipn: Value = serde_json::from_str(&remote::nowpayments::ipn_body(
        &shop.fakes.np_payment(&p4).unwrap(),
    ))
    .unwrap();
    ipn["payment_status"] = json!("finished");
    shop.post_nowpayments(&remote::nowpayments::ipn_body(&ipn));

    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["paid"], json!([]), "{report}");
    let held = held(&report);
    assert_eq!(held.len(), 4, "{report}");
    assert_eq!(held[0].0, format!("{p1}:partially_paid"));
    assert!(
        held[0].1.contains("\"partially_paid\", not paid"),
        "{held:?}"
    );
    assert!(held[1].1.contains("priced"), "{held:?}");
    assert!(held[2].1.contains("belongs to \"4000000001\""), "{held:?}");
    assert!(held[3].1.contains("\"confirming\", not paid"), "{held:?}");
    assert_eq!(shop.orders_created(), 0);
    for id in ["ORD-000001", "ORD-000002", "ORD-000003", "ORD-000004"] {
        assert_eq!(shop.order(id)["status"], "quoted");
    }
    assert_eq!(
        shop.rows("SELECT kind, order_ref FROM alerts ORDER BY id"),
        ["ORD-000001", "ORD-000002", "ORD-000003", "ORD-000004"]
            .iter()
            .map(|o| vec!["payment_held".to_string(), o.to_string()])
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_paid_razorpay_link_delivers_the_code_once() {
    let shop = Shop::new();
    let order = shop.remote_new("razorpay");
    assert_eq!(order["provider"], "razorpay");
    let link_id = session_id(&order);
    assert!(link_id.starts_with("plink_"), "{order}");
    let link = shop.fakes.rzp_link(&link_id).unwrap();
    assert_eq!(link["reference_id"], "ORD-000001");
    assert_eq!(link["amount"], price_minor(&order));
    assert_eq!(link["currency"], order["currency"]);
    assert_eq!(link["accept_partial"], false);

    // The payment's own event is not acted on; the link's is.
    let amount = price_minor(&order);
    let paid = shop.fakes.rzp_pay(&link_id, amount, "paid").unwrap();
    shop.post_razorpay(
        "evt_rzp_captured",
        &remote::razorpay::link_event("payment.captured", &paid),
    );
    let body = remote::razorpay::link_event("payment_link.paid", &paid);
    shop.post_razorpay("evt_rzp_paid", &body);
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["ignored"], 1, "{report}");
    assert_eq!(report["paid"], json!(["ORD-000001"]), "{report}");
    assert_eq!(report["delivered"], json!(["ORD-000001"]));
    let order = shop.order("ORD-000001");
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["paid"]["method"], "razorpay");
    assert_eq!(order["paid"]["reference"], link_id);
    assert_eq!(shop.orders_created(), 1);

    // Delivered again, under its id or another: taken once.
    shop.post_razorpay("evt_rzp_paid", &body);
    shop.post_razorpay("evt_rzp_paid_again", &body);
    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(pull.json()["received"], 0, "{pull:?}");
    assert_eq!(shop.orders_created(), 1);
    assert_eq!(
        shop.rows("SELECT count(*) FROM payments"),
        vec![vec!["1".to_string()]]
    );
}

#[test]
fn doubtful_razorpay_payments_are_held_and_nothing_is_bought() {
    let shop = Shop::new();
    let a = shop.remote_new("razorpay"); // ORD-000001: the event's amount is short
    let b = shop.remote_new("razorpay"); // ORD-000002: partially paid
    let c = shop.remote_new("razorpay"); // ORD-000003: the event says paid, the API not
    let d = shop.remote_new("razorpay"); // ORD-000004: paid short, the API says paid

    let mut short = shop
        .fakes
        .rzp_pay(&session_id(&a), price_minor(&a), "paid")
        .unwrap();
    short["amount"] = json!(price_minor(&a) - 1);
    short["amount_paid"] = json!(price_minor(&a) - 1);
    shop.post_razorpay(
        "evt_short",
        &remote::razorpay::link_event("payment_link.paid", &short),
    );
    let partial = shop
        .fakes
        .rzp_pay(&session_id(&b), price_minor(&b) / 2, "partially_paid")
        .unwrap();
    shop.post_razorpay(
        "evt_partial",
        &remote::razorpay::link_event("payment_link.partially_paid", &partial),
    );
    let mut claimed = shop.fakes.rzp_link(&session_id(&c)).unwrap();
    claimed["status"] = json!("paid");
    claimed["amount_paid"] = claimed["amount"].clone();
    shop.post_razorpay(
        "evt_claimed",
        &remote::razorpay::link_event("payment_link.paid", &claimed),
    );
    let full = shop
        .fakes
        .rzp_pay(&session_id(&d), price_minor(&d), "paid")
        .unwrap();
    shop.fakes
        .rzp_pay(&session_id(&d), price_minor(&d) - 100, "paid");
    shop.post_razorpay(
        "evt_underpaid",
        &remote::razorpay::link_event("payment_link.paid", &full),
    );

    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["paid"], json!([]), "{report}");
    let held = held(&report);
    assert_eq!(held.len(), 4, "{report}");
    assert!(
        held[0].0 == "evt_short" && held[0].1.contains("minor units"),
        "{held:?}"
    );
    assert!(
        held[1].0 == "evt_partial" && held[1].1.contains("\"partially_paid\", not paid"),
        "{held:?}"
    );
    assert!(
        held[2].0 == "evt_claimed" && held[2].1.contains("\"created\", not paid"),
        "{held:?}"
    );
    assert!(
        held[3].0 == "evt_underpaid" && held[3].1.contains("not paid"),
        "{held:?}"
    );
    assert_eq!(shop.orders_created(), 0);
    for id in ["ORD-000001", "ORD-000002", "ORD-000003", "ORD-000004"] {
        assert_eq!(shop.order(id)["status"], "quoted");
    }
}

#[test]
fn a_btcpay_invoice_settled_short_is_held_and_nothing_is_bought() {
    let shop = Shop::new();
    let flagged = session_id(&shop.remote_new("btcpay")); // ORD-000001
    let unflagged = session_id(&shop.remote_new("btcpay")); // ORD-000002
    let over = session_id(&shop.remote_new("btcpay")); // ORD-000003
    // A store with a 2% payment tolerance settles an invoice paid 98%.
    shop.fakes
        .pay_btcpay(&flagged, 98, "Settled", "PaidPartial");
    shop.post_btcpay(&remote::btcpay_settled(
        "dlv_flagged",
        &flagged,
        "ORD-000001",
    ));
    // Settled without the flag, but its payments fall short at their rate.
    shop.fakes.pay_btcpay(&unflagged, 98, "Settled", "None");
    shop.post_btcpay(&remote::btcpay_settled(
        "dlv_short",
        &unflagged,
        "ORD-000002",
    ));
    // Paid over: the price was received, the code is bought.
    shop.fakes.pay_btcpay(&over, 101, "Settled", "PaidOver");
    shop.post_btcpay(&remote::btcpay_settled("dlv_over", &over, "ORD-000003"));

    let pull = shop.pull();
    assert_eq!(pull.code, 0, "{pull:?}");
    let report = pull.json();
    assert_eq!(report["delivered"], json!(["ORD-000003"]), "{report}");
    let held = held(&report);
    assert_eq!(held.len(), 2, "{report}");
    assert!(
        held[0].0 == "dlv_flagged" && held[0].1.contains("Settled (PaidPartial)"),
        "{held:?}"
    );
    assert!(
        held[1].0 == "dlv_short" && held[1].1.contains("underpaid"),
        "{held:?}"
    );
    assert_eq!(shop.orders_created(), 1);
    assert_eq!(shop.order("ORD-000001")["status"], "quoted");
    assert_eq!(shop.order("ORD-000002")["status"], "quoted");
}
