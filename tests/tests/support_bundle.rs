//! The support bundle after a demo session: sales with codes and PINs, a mail server
//! URL holding a password, a relay token in the settings, the supplier key and the
//! vault key in use, the app's log file written all along. The bundle holds the log
//! and the shop's state, and not one of those secrets or codes.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use codetill_core::delivery::email::SmtpConfig;
use codetill_core::delivery::outbox::{Due, Outbox};
use codetill_core::delivery::{DeliveryConfig, SmtpSetting};
use codetill_core::money::{Currency, Money};
use codetill_core::orders::{CounterSale, DeliveryRequest, Outcome, Tender};
use codetill_core::support;
use codetill_e2e::{KEY, Shop, VAULT_KEY};

const SMTP_PASSWORD: &str = "hunter2-smtp-pass";
const RELAY_TOKEN: &str = "relay-token-3f9a1c";

#[tokio::test]
async fn the_bundle_holds_the_log_and_state_but_no_secret_and_no_code() {
    let shop = Shop::open(200).await.unwrap();
    // The app's logging, as `codetill-app` sets it up: everything at debug to the
    // data folder's daily file.
    let log = support::daily_log(shop.dir.path()).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(log)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let smtp_url = format!("smtp://shop:{SMTP_PASSWORD}@127.0.0.1:9/?from=shop@corner.example");
    for (key, value) in [
        ("smtp.url", smtp_url.as_str()),
        ("relay.token", RELAY_TOKEN),
        ("shop.name", "Corner Digital Store"),
    ] {
        codetill_core::settings::set(shop.db.pool(), key, value)
            .await
            .unwrap();
    }
    let mut secrets: Vec<String> = vec![
        SMTP_PASSWORD.into(),
        RELAY_TOKEN.into(),
        KEY.into(),
        hex::encode(VAULT_KEY),
    ];
    for sku in ["STEAM-US-20", "STEAM-US-20", "STEAM-US-50"] {
        let sale = shop
            .engine
            .sell_with(
                &CounterSale {
                    sku: shop.sku(sku),
                    amount: None,
                    tender: Tender::Cash {
                        tendered: Money::parse("100", Currency::USD).unwrap().amount,
                    },
                    staff: "asha".into(),
                    till_id: Some("till-1".into()),
                    email: Some("buyer@example.com".into()),
                },
                &DeliveryRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(sale.outcome, Outcome::Delivered);
        for code in &sale.codes {
            secrets.push(code.code.clone());
            secrets.extend(code.pin.clone());
        }
    }
    // The mail server is not there: its errors are logged and kept in the outbox.
    let outbox = Outbox::new(
        shop.db.clone(),
        Arc::new(codetill_core::vault::Vault::from_key(&VAULT_KEY)),
        DeliveryConfig {
            smtp: SmtpSetting::Ready(SmtpConfig::parse(&smtp_url).unwrap()),
            ..DeliveryConfig::none()
        },
    );
    outbox
        .send_queued(Due::All, Duration::from_secs(2))
        .await
        .unwrap();

    let out = tempfile::tempdir().unwrap();
    let bundle = support::write_bundle(&shop.db, shop.dir.path(), out.path(), "test 1.0")
        .await
        .unwrap();
    assert!(bundle.path.starts_with(out.path()));
    assert!(
        bundle
            .files
            .iter()
            .any(|f| f.starts_with("codetill-support/logs/codetill."))
    );
    for part in ["versions.json", "settings.json", "state.json"] {
        assert!(
            bundle.files.contains(&format!("codetill-support/{part}")),
            "{:?}",
            bundle.files
        );
    }
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&bundle.path).unwrap()).unwrap();
    let mut all = String::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        all.push_str(&text);
    }
    // What a support person needs is there: the session's log and the shop's state.
    assert!(all.contains("Corner Digital Store"));
    assert!(all.contains("\"delivered\": 3"), "orders by status");
    assert!(
        all.contains("DEBUG") || all.contains("INFO"),
        "the log came along"
    );
    let engine = match shop.db.is_postgres() {
        true => "\"database\": \"postgresql\"",
        false => "\"database\": \"sqlite\"",
    };
    assert!(all.contains(engine), "which database the shop runs on");
    assert!(all.len() > 2_000, "{} bytes", all.len());
    for secret in &secrets {
        assert!(!secret.is_empty());
        assert!(
            !all.contains(secret.as_str()),
            "the bundle holds a secret or a code"
        );
    }
    // A second bundle with the same name is refused, never written over.
    assert!(
        support::write_bundle(&shop.db, shop.dir.path(), &bundle.path, "test 1.0")
            .await
            .is_err()
    );
}
