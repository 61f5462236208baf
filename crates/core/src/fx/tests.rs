#![allow(clippy::unwrap_used)]
use super::*;
use rust_decimal_macros::dec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("fx.db")).await.unwrap();
    (dir, db)
}

fn c(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// Serves `body` with `status` to every request, as a rates source would.
async fn source(status: u16, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = socket.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
        }
    });
    format!("http://{addr}/eurofxref-daily.xml")
}

const DAILY: &str = "<Cube><Cube time='2026-12-03'><Cube currency='USD' rate='1.25'/>\
    <Cube currency='INR' rate='100'/><Cube currency='JPY' rate='160'/></Cube></Cube>";

#[tokio::test]
async fn an_owner_rate_is_kept_and_read_both_ways() {
    let (_dir, db) = db().await;
    let first = set(&db, "usd", "INR", "84.10").await.unwrap();
    assert_eq!(first.rate, dec!(84.1));
    let r = rate(&db, c("USD"), c("INR")).await.unwrap();
    assert_eq!((r.rate, r.source), (dec!(84.1), RateSource::Owner));
    let back = rate(&db, c("INR"), c("USD")).await.unwrap();
    assert_eq!(back.rate, Decimal::ONE / dec!(84.1));
    assert_eq!(
        rate(&db, c("INR"), c("INR")).await.unwrap().rate,
        Decimal::ONE
    );
    // Setting it again replaces it.
    set(&db, "USD", "INR", "85").await.unwrap();
    assert_eq!(rate(&db, c("USD"), c("INR")).await.unwrap().rate, dec!(85));
    assert!(matches!(
        rate(&db, c("USD"), c("GBP")).await,
        Err(FxError::NoRate { .. })
    ));
}

#[tokio::test]
async fn bad_rates_are_refused_with_the_field_and_change_nothing() {
    let (_dir, db) = db().await;
    for (from, to, r, field) in [
        ("USD", "INR", "0", "rate"),
        ("USD", "INR", "-84", "rate"),
        ("USD", "INR", "eighty", "rate"),
        ("USD", "INR", "", "rate"),
        ("US", "INR", "84", "from"),
        ("USD", "XXXX", "84", "to"),
        ("USD", "USD", "2", "to"),
    ] {
        let err = set(&db, from, to, r).await.unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{field}:")),
            "{from} {to} {r}: {err}"
        );
        assert_eq!(err.kind(), crate::error::ErrorKind::Input);
    }
    assert!(all(&db).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_daily_file_gives_cross_rates_and_never_overrides_the_owner() {
    let (_dir, db) = db().await;
    set(&db, "EUR", "INR", "90").await.unwrap();
    let url = source(200, DAILY).await;
    let day = set_source(&db, &url).await.unwrap();
    assert_eq!(day.rates.len(), 3);
    let usd_jpy = rate(&db, c("USD"), c("JPY")).await.unwrap();
    assert_eq!(usd_jpy.rate, Decimal::ONE / dec!(1.25) * dec!(160));
    assert_eq!(usd_jpy.source, RateSource::Ecb);
    assert_eq!(usd_jpy.as_of.to_string(), "2026-12-03");
    // The owner's EUR→INR stays; USD→INR crosses the file's USD with it.
    let eur_inr = rate(&db, c("EUR"), c("INR")).await.unwrap();
    assert_eq!(
        (eur_inr.rate, eur_inr.source),
        (dec!(90), RateSource::Owner)
    );
    let usd_inr = rate(&db, c("USD"), c("INR")).await.unwrap();
    assert_eq!(usd_inr.rate, Decimal::ONE / dec!(1.25) * dec!(90));
    assert_eq!(usd_inr.source, RateSource::Owner);
    assert_eq!(
        settings::value(&db, SOURCE_URL).await.unwrap().as_deref(),
        Some(url.as_str())
    );
    // The daily job reads the same source again.
    assert!(refresh(&db).await.unwrap().is_some());
}

#[tokio::test]
async fn a_source_that_fails_or_does_not_parse_changes_nothing() {
    let (_dir, db) = db().await;
    let html = source(200, "<html>maintenance</html>").await;
    let err = set_source(&db, &html).await.unwrap_err();
    assert!(err.to_string().contains("does not parse"), "{err}");
    assert_eq!(err.kind(), crate::error::ErrorKind::Input);
    let down = source(503, "").await;
    let err = set_source(&db, &down).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    for bad_url in ["not a url", "ftp://rates.example/x.xml"] {
        let err = set_source(&db, bad_url).await.unwrap_err();
        assert!(err.to_string().starts_with("url:"), "{err}");
    }
    assert!(all(&db).await.unwrap().is_empty());
    assert_eq!(settings::value(&db, SOURCE_URL).await.unwrap(), None);
    assert!(refresh(&db).await.unwrap().is_none());
}

#[test]
fn rates_go_stale_by_their_source() {
    let at = |day: &str| {
        DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    };
    let rate = |source, as_of: &str| Rate {
        from: "USD".into(),
        to: "INR".into(),
        rate: dec!(84),
        source,
        as_of: NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap(),
    };
    // Friday's file is still good on Monday, not on Tuesday.
    let file = rate(RateSource::Ecb, "2026-12-04");
    assert!(!file.is_stale(at("2026-12-07")));
    assert!(file.is_stale(at("2026-12-08")));
    assert_eq!(file.age_days(at("2026-12-08")), 4);
    let typed = rate(RateSource::Owner, "2026-12-01");
    assert!(!typed.is_stale(at("2026-12-08")));
    assert!(typed.is_stale(at("2026-12-09")));
}
