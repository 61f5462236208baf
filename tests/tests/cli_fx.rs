//! `codetill fx`: rates set by hand or read from a daily file, shown with their source
//! and age; bad input exits 2 naming the field and changes nothing.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use codetill_e2e::cli::{Run, command, rows, till_home};

fn run(home: &std::path::Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let out = command(home, "http://127.0.0.1:9", args).output().unwrap();
    Run::from(out, started.elapsed())
}

#[tokio::test]
async fn rates_by_hand_and_from_a_daily_file() {
    let home = till_home();
    let h = home.path();
    assert_eq!(run(h, &["init"]).code, 0);
    let set = run(h, &["--json", "fx", "set", "USD", "INR", "84.10"]);
    assert_eq!(set.code, 0, "{set:?}");
    assert_eq!(set.json()["rate"], "84.1");
    assert_eq!(set.json()["source"], "owner");

    for (args, field) in [
        (vec!["fx", "set", "USD", "INR", "0"], "rate"),
        (vec!["fx", "set", "USD", "INR", "-2"], "rate"),
        (vec!["fx", "set", "USDX", "INR", "2"], "from"),
        (vec!["fx", "source", "not a url"], "url"),
    ] {
        let bad = run(h, &args);
        assert_eq!(bad.code, 2, "{args:?}: {bad:?}");
        assert!(bad.stderr.contains(&format!("{field}:")), "{bad:?}");
    }

    // A daily file served over HTTP: rates across the euro, the owner's kept.
    let server = tiny_http_file(
        "<Cube><Cube time='2026-12-03'><Cube currency='USD' rate='1.25'/>\
         <Cube currency='INR' rate='100'/></Cube></Cube>",
    );
    let url = format!("http://{server}/daily.xml");
    let source = run(h, &["fx", "source", &url]);
    assert_eq!(source.code, 0, "{source:?}");
    assert!(
        source.stdout.contains("2 currencies for 2026-12-03"),
        "{source:?}"
    );
    let broken = tiny_http_file("<html>down for maintenance</html>");
    let bad = run(h, &["fx", "source", &format!("http://{broken}/daily.xml")]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("does not parse"), "{bad:?}");

    let show = run(h, &["--json", "fx", "show"]);
    assert_eq!(show.code, 0, "{show:?}");
    let doc = show.json();
    assert_eq!(
        doc["source_url"],
        url.as_str(),
        "the broken source was not kept"
    );
    let rates = doc["rates"].as_array().unwrap();
    let pair = |from: &str, to: &str| {
        rates
            .iter()
            .find(|r| r["from"] == from && r["to"] == to)
            .cloned()
    };
    assert_eq!(pair("USD", "INR").unwrap()["rate"], "84.1");
    assert_eq!(pair("EUR", "USD").unwrap()["source"], "ecb");
    assert_eq!(pair("EUR", "USD").unwrap()["as_of"], "2026-12-03");
    assert!(pair("EUR", "INR").is_some());
    let stored = rows(h, "SELECT count(*) FROM fx_rates").await;
    assert_eq!(stored, vec![vec!["3".to_string()]]);
}

/// An HTTP server on loopback answering every request with `body`.
fn tiny_http_file(body: &'static str) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = socket.read(&mut buf);
            let _ = write!(
                socket,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// The running till's check: a stale rate in use raises one alert while it stays
/// stale, a source that does not answer is not asked again at once, and a fresh
/// rate clears it.
#[tokio::test]
async fn a_stale_rate_in_use_raises_one_alert_and_a_failing_source_is_not_hammered() {
    use codetill_core::alerts::{self, AlertKind};
    use codetill_core::db::now_text;
    use codetill_core::fx::{SOURCE_URL, set};
    use codetill_core::settings;
    let dir = tempfile::tempdir().unwrap();
    let till = codetill_core::till::Till::open_shop(
        dir.path(),
        std::sync::Arc::new(codetill_core::secrets::MemoryStore::default()),
    )
    .await
    .unwrap();
    let db = till.db().clone();
    let now = now_text();
    sqlx::query(
        "INSERT INTO products (sku, name, brand, category, region, face_minor, face_currency,
             wholesale_minor, retail_minor, currency, retail_currency, in_stock,
             supplier_updated_at, updated_at)
         VALUES ('S-1', 'Steam 20', 'Steam', 'gift_card', 'US', 2000, 'USD', 2010, 180000,
             'USD', 'INR', 1, ?1, ?1)",
    )
    .bind(&now)
    .execute(db.pool())
    .await
    .unwrap();
    // No shop currency: nothing to check.
    assert!(till.check_rates().await.is_empty());

    settings::set(db.pool(), settings::SHOP_CURRENCY, "INR")
        .await
        .unwrap();
    // A daily file from last week, whose source no longer answers.
    sqlx::query(
        "INSERT INTO fx_rates (base, quote, rate, source, as_of, updated_at) VALUES
             ('EUR', 'USD', '1.25', 'ecb', '2026-01-05', ?1),
             ('EUR', 'INR', '100', 'ecb', '2026-01-05', ?1)",
    )
    .bind(&now)
    .execute(db.pool())
    .await
    .unwrap();
    let down = format!("http://{}/daily.xml", tiny_http_status(503));
    settings::set(db.pool(), SOURCE_URL, &down).await.unwrap();
    let stale = till.check_rates().await;
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(
        (stale[0].from.as_str(), stale[0].to.as_str()),
        ("USD", "INR")
    );
    let open = |list: Vec<alerts::Alert>| {
        list.into_iter()
            .filter(|a| a.kind == AlertKind::FxStale)
            .collect::<Vec<_>>()
    };
    let raised = open(alerts::list(&db, true, 50).await.unwrap());
    assert_eq!(raised.len(), 1);
    assert!(
        raised[0].message.contains("USD→INR"),
        "{}",
        raised[0].message
    );
    // The next tick: still stale, still one alert.
    assert_eq!(till.check_rates().await.len(), 1);
    assert_eq!(open(alerts::list(&db, true, 50).await.unwrap()).len(), 1);

    // A rate set today is not stale.
    set(&db, "USD", "INR", "84").await.unwrap();
    assert!(till.check_rates().await.is_empty());
}

/// An HTTP server on loopback answering every request with `status` and no body.
fn tiny_http_status(status: u16) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = socket.read(&mut buf);
            let _ = write!(
                socket,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    addr
}
