//! Delivery end to end, with the `codetill` binary as a separate process: email to a
//! real SMTP server on loopback (aiosmtpd, started by the test), receipts to a TCP
//! "printer" that captures the bytes and to a PDF folder, and what happens when the
//! server or the printer is not there: the sale stands, the message waits in the
//! outbox, and goes out once they are back.
//!
//! Needs the binary (`cargo build -p codetill-cli`) and Python's aiosmtpd
//! (`pip install aiosmtpd`).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codetill_e2e::Sandbox;
use codetill_e2e::cli::{self, Run};
use codetill_e2e::smtp::{SmtpServer, free_addr};
use serde_json::Value;

const SKU: &str = "STEAM-US-20";

/// A till: a sandbox supplier, a data folder with a vault key, a synced catalog and
/// the shop's name and address in the settings.
struct Till {
    sandbox: Sandbox,
    home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Till {
    fn new() -> Till {
        let home = cli::till_home();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start(50)).unwrap();
        let till = Till { sandbox, home, rt };
        let sync = till.run(&[], &["sync", "--json"]);
        assert_eq!(sync.code, 0, "{sync:?}");
        till.sql(
            "INSERT INTO settings (key, value, updated_at) VALUES
                 ('shop.name', 'Corner Digital Store', '2025-01-01T00:00:00.000Z'),
                 ('shop.address', '12 MG Road, Bengaluru 560001', '2025-01-01T00:00:00.000Z')",
        );
        till
    }

    fn cmd(&self, env: &[(&str, &str)], args: &[&str]) -> Command {
        let mut cmd = cli::command(self.home.path(), &self.sandbox.url(), args);
        cmd.env("CODETILL_TILL_ID", "till-1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let started = Instant::now();
        let out = self.cmd(env, args).output().unwrap();
        Run::from(out, started.elapsed())
    }

    fn sell(&self, env: &[(&str, &str)], extra: &[&str]) -> Run {
        let mut args = vec!["sell", SKU, "--pay", "cash", "--tendered", "100", "--json"];
        args.extend_from_slice(extra);
        self.run(env, &args)
    }

    /// Runs SQL on the till's database file (setup and checks).
    fn sql(&self, statement: &str) {
        self.rt.block_on(cli::sql(self.home.path(), statement));
    }

    fn rows(&self, query: &str) -> Vec<Vec<String>> {
        self.rt.block_on(cli::rows(self.home.path(), query))
    }

    fn outbox(&self) -> Vec<Value> {
        let run = self.run(&[], &["outbox", "list", "--json"]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json().as_array().cloned().unwrap()
    }
}

/// A free port on a loopback address of this test's own (127.0.0.2 to .250), so a
/// port given up here to be taken later is not grabbed in between as the source port
/// of some other connection to 127.0.0.1.
/// A receipt printer on loopback: each connection's bytes, captured.
struct Printer {
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Printer {
    fn start(addr: SocketAddr) -> Printer {
        let listener = TcpListener::bind(addr).unwrap();
        let jobs = Arc::new(Mutex::new(Vec::new()));
        let sink = jobs.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut bytes = Vec::new();
                let _ = stream.read_to_end(&mut bytes);
                sink.lock().unwrap().push(bytes);
            }
        });
        Printer { jobs }
    }

    fn url(addr: SocketAddr) -> String {
        format!("tcp://{addr}")
    }

    fn jobs(&self) -> Vec<Vec<u8>> {
        self.jobs.lock().unwrap().clone()
    }

    /// The jobs once `n` have been read to their end (the till may exit first).
    fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let started = Instant::now();
        while self.jobs().len() < n {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{} print job(s), expected {n}",
                self.jobs().len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.jobs()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn code_of(sale: &Value) -> String {
    sale["codes"][0]["code"].as_str().unwrap().to_string()
}

#[test]
fn sale_with_email_arrives_at_the_smtp_server_with_the_code_and_headers() {
    let port = free_addr();
    let smtp = SmtpServer::start(port);
    let till = Till::new();
    let url = SmtpServer::url(port);
    let run = till.sell(
        &[("CODETILL_SMTP_URL", &url)],
        &["--email", "buyer@example.com"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let sale = run.json();
    assert_eq!(sale["status"], "delivered");
    let order = sale["order_id"].as_str().unwrap();
    let code = code_of(&sale);
    assert_eq!(sale["delivery"][0]["kind"], "email", "{sale}");
    assert_eq!(sale["delivery"][0]["status"], "sent", "{sale}");

    let mails = smtp.wait_for(1);
    let m = &mails[0];
    assert_eq!(m["to"], "buyer@example.com");
    assert_eq!(m["from"], "Corner Digital Store <shop@corner.example>");
    assert!(m["subject"].as_str().unwrap().contains(order), "{m}");
    assert_eq!(m["mime_version"], "1.0");
    assert!(!m["date"].as_str().unwrap().is_empty());
    assert_eq!(m["content_type"], "multipart/mixed");
    assert!(
        m["text"].as_str().unwrap().contains(&code),
        "code in the text body"
    );
    assert!(
        m["html"].as_str().unwrap().contains(&code),
        "code in the HTML body"
    );
    assert!(
        m["text"]
            .as_str()
            .unwrap()
            .contains("Digital codes are non-refundable once issued. Region: US")
    );
    assert_eq!(
        m["attachments"][0]["content_type"], "application/pdf",
        "{m}"
    );
    assert_eq!(
        m["attachments"][0]["filename"],
        format!("receipt-{order}.pdf")
    );

    // The delivery log keeps the server's answer and the Message-ID: proof of sending.
    let log = till.rows("SELECT outcome, reply, message_id FROM delivery_log");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0][0], "sent");
    assert!(log[0][1].starts_with("250"), "{log:?}");
    assert_eq!(log[0][2], m["message_id"].as_str().unwrap());
    // The code is in no log, no outbox row.
    let stored = till.rows("SELECT destination, payload, coalesce(last_error, '') FROM outbox UNION ALL SELECT reply, message_id, destination FROM delivery_log");
    assert!(!format!("{stored:?}").contains(&code));
    assert!(!run.stderr.contains(&code));
}

#[test]
fn hindi_email_has_a_correctly_encoded_subject() {
    let port = free_addr();
    let smtp = SmtpServer::start(port);
    let till = Till::new();
    let url = SmtpServer::url(port);
    let run = till.sell(
        &[("CODETILL_SMTP_URL", &url)],
        &["--email", "kiran@example.in", "--lang", "hi"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let sale = run.json();
    let order = sale["order_id"].as_str().unwrap();
    let name = sale["name"].as_str().unwrap();
    let m = &smtp.wait_for(1)[0];
    assert_eq!(
        m["subject"].as_str().unwrap(),
        format!("आपका कोड: {name} ({order})"),
        "{m}"
    );
    // On the wire the subject is an RFC 2047 encoded word: 7-bit, UTF-8 inside.
    let raw = m["raw_subject"].as_str().unwrap();
    assert!(raw.is_ascii(), "{raw}");
    assert!(raw.to_ascii_lowercase().contains("=?utf-8?b?"), "{raw}");
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("नमस्ते"), "{text}");
    assert!(text.contains(&code_of(&sale)));
    assert!(m["html"].as_str().unwrap().contains("lang=\"hi\""));
}

#[test]
fn mail_server_down_at_sale_time_is_queued_and_sent_once_it_is_back() {
    let port = free_addr();
    let till = Till::new();
    let url = SmtpServer::url(port);
    let env = [("CODETILL_SMTP_URL", url.as_str())];
    let run = till.sell(&env, &["--email", "buyer@example.com"]);
    assert_eq!(run.code, 0, "the sale stands: {run:?}");
    assert!(run.took < Duration::from_secs(15), "{run:?}");
    let sale = run.json();
    assert_eq!(sale["status"], "delivered");
    assert_eq!(sale["delivery"][0]["status"], "queued", "{sale}");
    assert!(run.stderr.contains("NOT SENT"), "{run:?}");
    let queued = till.outbox();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["status"], "queued");
    assert_eq!(queued[0]["attempts"], 1);
    assert!(queued[0]["last_error"].as_str().is_some());

    // Still down: `outbox send` says so with exit 4 and keeps it.
    let again = till.run(&env, &["outbox", "send", "--json"]);
    assert_eq!(again.code, 4, "{again:?}");
    assert_eq!(till.outbox()[0]["attempts"], 2);

    let smtp = SmtpServer::start(port);
    let sent = till.run(&env, &["outbox", "send", "--json"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(sent.json()[0]["status"], "sent");
    let mails = smtp.wait_for(1);
    assert!(mails[0]["text"].as_str().unwrap().contains(&code_of(&sale)));
    assert_eq!(till.outbox()[0]["status"], "sent");
    // Nothing left: a second run sends nothing twice.
    let idle = till.run(&env, &["outbox", "send", "--json"]);
    assert_eq!(idle.code, 0, "{idle:?}");
    assert_eq!(idle.json(), serde_json::json!([]));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.messages().len(), 1);
    let log = till.rows("SELECT outcome FROM delivery_log ORDER BY id");
    assert_eq!(log, vec![vec!["retry"], vec!["retry"], vec!["sent"]]);
}

#[test]
fn a_silent_mail_server_does_not_hold_up_the_sale() {
    // Accepts the connection and never says a word.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            keep.lock().unwrap().push(s);
        }
    });
    let till = Till::new();
    let url = SmtpServer::url(port);
    let run = till.sell(
        &[("CODETILL_SMTP_URL", &url)],
        &["--email", "buyer@example.com"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.took < Duration::from_secs(12),
        "one attempt of a few seconds at most: {run:?}"
    );
    assert_eq!(run.json()["delivery"][0]["status"], "queued");
}

#[test]
fn a_refused_address_fails_for_good_and_raises_an_alert() {
    let port = free_addr();
    let _smtp = SmtpServer::start(port);
    let till = Till::new();
    let url = SmtpServer::url(port);
    let run = till.sell(
        &[("CODETILL_SMTP_URL", &url)],
        &["--email", "nobody@example.com"],
    );
    assert_eq!(run.code, 0, "the sale stands: {run:?}");
    let sale = run.json();
    assert_eq!(sale["delivery"][0]["status"], "failed", "{sale}");
    assert!(
        sale["delivery"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("550")
    );
    let alerts = till.rows("SELECT kind, message, facts FROM alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0][0], "email_failed");
    assert!(alerts[0][1].contains("nobody@example.com"));
    // Read here, not in SQL: the JSON functions differ between the two databases.
    let facts: serde_json::Value = serde_json::from_str(&alerts[0][2]).unwrap();
    assert_eq!(
        facts["destination"], "nobody@example.com",
        "the facts the app translates"
    );
    assert_eq!(facts["order"], "ORD-000001");
    let log = till.rows("SELECT outcome, reply FROM delivery_log");
    assert_eq!(log[0][0], "failed");
    assert!(log[0][1].contains("550"), "{log:?}");
}

#[test]
fn receipt_over_tcp_has_init_code_qr_and_cut() {
    let port = free_addr();
    let printer = Printer::start(port);
    let till = Till::new();
    let url = Printer::url(port);
    let run = till.sell(&[("CODETILL_PRINTER", &url)], &["--print"]);
    assert_eq!(run.code, 0, "{run:?}");
    let sale = run.json();
    assert_eq!(sale["delivery"][0]["kind"], "print", "{sale}");
    assert_eq!(sale["delivery"][0]["status"], "sent", "{sale}");
    let jobs = printer.wait_for(1);
    assert_eq!(jobs.len(), 1);
    let bytes = &jobs[0];
    assert!(contains(bytes, b"\x1b@"), "ESC @ initialises the printer");
    assert!(contains(bytes, code_of(&sale).as_bytes()), "the code");
    assert!(contains(bytes, b"\x1d(k"), "the QR command");
    assert!(contains(
        bytes,
        sale["redeem_url"].as_str().unwrap().as_bytes()
    ));
    assert!(contains(bytes, b"\x1dV"), "the cut");
    assert!(contains(bytes, b"Corner Digital Store"));
    assert!(contains(bytes, b"Operator:"));
    assert!(contains(bytes, b"till-1"));
    assert!(contains(
        bytes,
        b"Digital codes are non-refundable once issued."
    ));
    let init = bytes.windows(2).position(|w| w == b"\x1b@").unwrap();
    let cut = bytes.windows(2).rposition(|w| w == b"\x1dV").unwrap();
    assert!(init < cut);

    // In Hindi, what code page 858 cannot carry goes as raster images (GS v 0),
    // while the code stays printer text.
    let run = till.sell(&[("CODETILL_PRINTER", &url)], &["--print", "--lang", "hi"]);
    assert_eq!(run.code, 0, "{run:?}");
    let sale = run.json();
    let jobs = printer.wait_for(2);
    assert_eq!(jobs.len(), 2);
    assert!(contains(&jobs[1], b"\x1dv0\x00"), "raster lines");
    assert!(contains(&jobs[1], code_of(&sale).as_bytes()));
    assert!(
        !contains(&jobs[1], "क".as_bytes()),
        "no UTF-8 sent to the printer"
    );
}

#[test]
fn a_printer_refusing_connections_leaves_the_receipt_queued_and_shown_not_printed() {
    let port = free_addr();
    let till = Till::new();
    let url = Printer::url(port);
    let env = [("CODETILL_PRINTER", url.as_str())];
    let run = till.sell(&env, &["--print"]);
    assert_eq!(run.code, 0, "the sale stands: {run:?}");
    let sale = run.json();
    assert_eq!(sale["status"], "delivered");
    assert_eq!(sale["delivery"][0]["status"], "queued", "{sale}");
    assert!(run.stderr.contains("NOT PRINTED"), "{run:?}");
    let list = till.run(&env, &["outbox", "list"]);
    assert!(list.stdout.contains("NOT PRINTED (queued)"), "{list:?}");

    let printer = Printer::start(port);
    let sent = till.run(&env, &["outbox", "send", "--json"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    let jobs = printer.wait_for(1);
    assert_eq!(jobs.len(), 1);
    assert!(contains(&jobs[0], code_of(&sale).as_bytes()));
    assert_eq!(till.outbox()[0]["status"], "sent");
}

#[test]
fn reprints_are_numbered_audited_and_limited_to_recent_sales() {
    let port = free_addr();
    let printer = Printer::start(port);
    let till = Till::new();
    let url = Printer::url(port);
    let env = [
        ("CODETILL_PRINTER", url.as_str()),
        ("CODETILL_STAFF", "ravi"),
    ];
    let sale = till.sell(&env, &["--print"]).json();
    let order = sale["order_id"].as_str().unwrap();
    for n in 1..=2 {
        let run = till.run(&env, &["reprint", order, "--json"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.json()["status"], "sent");
        let jobs = printer.wait_for(1 + n);
        assert_eq!(jobs.len(), 1 + n);
        let last = jobs.last().unwrap();
        assert!(
            contains(last, format!("REPRINT #{n}").as_bytes()),
            "reprint {n}"
        );
        assert!(contains(last, code_of(&sale).as_bytes()));
    }
    assert!(
        !contains(&printer.jobs()[0], b"REPRINT"),
        "the first print is no reprint"
    );
    let audit = till
        .rows("SELECT actor, action, detail FROM audit_log WHERE action = 'reprint' ORDER BY id");
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0][0], "ravi");
    assert!(audit[0][2].starts_with("REPRINT #1"));
    assert!(audit[1][2].starts_with("REPRINT #2"));

    // A sale from three days ago is not reprinted.
    till.sql(&format!(
        "UPDATE orders SET delivered_at = '2020-01-01T00:00:00.000Z' WHERE public_id = '{order}'"
    ));
    let old = till.run(&env, &["reprint", order]);
    assert_eq!(old.code, 2, "{old:?}");
    assert!(old.stderr.contains("recent"), "{old:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(printer.jobs().len(), 3);
}

#[test]
fn pdf_receipt_is_written_and_parses_back_with_the_code() {
    let till = Till::new();
    let folder = till.home.path().join("receipts");
    let spec = format!("pdf:{}", folder.display());
    let run = till.sell(&[("CODETILL_PRINTER", &spec)], &["--print"]);
    assert_eq!(run.code, 0, "{run:?}");
    let sale = run.json();
    assert_eq!(sale["delivery"][0]["status"], "sent", "{sale}");
    let files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "a receipt holds a code: owner only");
    let bytes = std::fs::read(&files[0]).unwrap();
    let mut warnings = Vec::new();
    let doc =
        printpdf::PdfDocument::parse(&bytes, &printpdf::PdfParseOptions::default(), &mut warnings)
            .unwrap();
    let text: String = doc
        .extract_text()
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains(&code_of(&sale)), "{text}");
    assert!(text.contains(sale["order_id"].as_str().unwrap()));
}

#[test]
fn resend_to_another_address_is_audited() {
    let port = free_addr();
    let smtp = SmtpServer::start(port);
    let till = Till::new();
    let url = SmtpServer::url(port);
    let env = [("CODETILL_SMTP_URL", url.as_str())];
    let sale = till.sell(&env, &["--email", "buyer@example.com"]).json();
    let order = sale["order_id"].as_str().unwrap();
    let run = till.run(
        &env,
        &["resend", order, "--email", "other@example.com", "--json"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["status"], "sent");
    let mails = smtp.wait_for(2);
    assert!(mails.iter().any(|m| m["to"] == "other@example.com"));
    let audit = till.rows("SELECT actor, detail FROM audit_log WHERE action = 'resend'");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0][0], "asha");
    assert!(audit[0][1].contains("other@example.com"));
    // Without an address anywhere, nothing is queued: bad input.
    let bare = till.sell(&env, &[]).json();
    let none = till.run(&env, &["resend", bare["order_id"].as_str().unwrap()]);
    assert_eq!(none.code, 2, "{none:?}");
}

#[test]
fn sell_print_without_a_printer_is_refused_before_payment() {
    let till = Till::new();
    let run = till.sell(&[], &["--print"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("CODETILL_PRINTER"), "{run:?}");
    let orders = till.run(&[], &["orders", "--json"]).json();
    assert_eq!(orders, serde_json::json!([]), "nothing sold");
}

/// In-process, against the engine: the outbox rows come with the delivery itself,
/// also when the order is finished later by recovery; a sale that is not delivered
/// queues nothing.
#[tokio::test]
async fn the_delivering_transaction_queues_the_email_and_the_receipt() {
    use codetill_core::delivery::outbox::{OutboxFilter, list};
    use codetill_core::delivery::{Language, PrinterSpec};
    use codetill_core::money::{Currency, Money};
    use codetill_core::orders::{CounterSale, DeliveryRequest, OrderStatus, Outcome, Tender};
    use codetill_e2e::Shop;

    let shop = Shop::open(50).await.unwrap();
    let sale = CounterSale {
        sku: SKU.into(),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse("50", Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: Some("buyer@example.com".into()),
    };
    let wanted = DeliveryRequest {
        print_to: Some("tcp://127.0.0.1:9".parse::<PrinterSpec>().unwrap()),
        language: Language::Hi,
        ..DeliveryRequest::default()
    };
    let done = shop.engine.sell_with(&sale, &wanted).await.unwrap();
    assert_eq!(done.outcome, Outcome::Delivered);
    let rows = list(&shop.db, &OutboxFilter::default()).await.unwrap();
    let mut kinds: Vec<_> = rows
        .iter()
        .map(|r| (r.kind.as_str(), r.destination.as_str(), r.language.as_str()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("email", "buyer@example.com", "hi"),
            ("print", "tcp://127.0.0.1:9", "hi")
        ]
    );
    assert!(rows.iter().all(|r| r.status.as_str() == "queued"));

    // Left open at the supplier: nothing queued until recovery delivers it.
    shop.sandbox
        .control("pending", serde_json::json!({ "seconds": 2, "times": 1 }))
        .await
        .unwrap();
    let mut engine = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    engine.options.budget = Duration::from_millis(500);
    let open = engine
        .sell_with(&sale, &DeliveryRequest::default())
        .await
        .unwrap();
    assert!(
        matches!(open.outcome, Outcome::Open { .. }),
        "{:?}",
        open.outcome
    );
    let of_open = OutboxFilter {
        order: Some(open.order.id),
        ..OutboxFilter::default()
    };
    assert!(list(&shop.db, &of_open).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_secs(2)).await;
    shop.engine.recover().await.unwrap();
    let order = codetill_core::orders::find(&shop.db, &open.order.public_id)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Delivered);
    let queued = list(&shop.db, &of_open).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].kind, "email");
}

#[test]
fn two_tills_working_the_outbox_at_once_send_each_message_once() {
    let port = free_addr();
    let till = Till::new();
    let url = SmtpServer::url(port);
    let env = [("CODETILL_SMTP_URL", url.as_str())];
    for i in 0..4 {
        let to = format!("buyer{i}@example.com");
        let run = till.sell(&env, &["--email", &to]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let smtp = SmtpServer::start(port);
    let children: Vec<Child> = (0..3)
        .map(|_| {
            till.cmd(&env, &["outbox", "send", "--json"])
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mails = smtp.wait_for(4);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.messages().len(), 4, "each message once: {mails:?}");
    let sent = till.rows("SELECT count(*) FROM delivery_log WHERE outcome = 'sent'");
    assert_eq!(sent, vec![vec!["4".to_string()]]);
}
