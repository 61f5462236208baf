//! The Wholesale API v1 adapter against the sandbox: every error code of the
//! contract lands in the right class, and timeouts are ambiguous.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use codetill_core::money::{Currency, Money};
use codetill_core::supplier::{
    CatalogRequest, OrderRequest, RejectReason, Supplier, SupplierError, SupplierOrderStatus,
};
use codetill_e2e::Sandbox;
use serde_json::json;

fn order(key: &str, sku: &str, max: &str) -> OrderRequest {
    OrderRequest {
        client_order_id: key.to_string(),
        sku: sku.to_string(),
        quantity: 1,
        max_unit_price: Money::parse(max, Currency::USD).unwrap(),
        face_value: None,
    }
}

fn rejected(e: SupplierError) -> RejectReason {
    match e {
        SupplierError::Rejected { reason, .. } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn orders_replay_and_every_refusal_is_typed() {
    let sandbox = Sandbox::start(200).await.unwrap();
    let s = sandbox.client().unwrap();
    let stock = s.stock("STEAM-US-20").await.unwrap();
    let price = stock.wholesale.amount_string();

    let first = s
        .place_order(&order("ct-a1", "STEAM-US-20", &price))
        .await
        .unwrap();
    assert_eq!(first.status, SupplierOrderStatus::Completed);
    assert_eq!(first.codes.len(), 1);
    // Debug never shows the code.
    assert!(!format!("{first:?}").contains(first.codes[0].code.expose().as_str()));
    let replay = s
        .place_order(&order("ct-a1", "STEAM-US-20", &price))
        .await
        .unwrap();
    assert_eq!(replay, first, "a replay answers the original order");
    let found = s.get_order("ct-a1").await.unwrap().unwrap();
    assert_eq!(found.codes, first.codes);
    assert_eq!(s.get_order("ct-never").await.unwrap(), None);

    let conflict = s
        .place_order(&order("ct-a1", "STEAM-GB-20", "99.00"))
        .await
        .unwrap_err();
    assert_eq!(rejected(conflict), RejectReason::IdempotencyConflict);
    assert_eq!(
        rejected(s.stock("NOPE-XX-1").await.unwrap_err()),
        RejectReason::NotFound
    );
    assert_eq!(
        rejected(
            s.place_order(&order("ct-a2", "NOPE-XX-1", "1.00"))
                .await
                .unwrap_err()
        ),
        RejectReason::NotFound
    );
    assert_eq!(
        rejected(
            s.place_order(&order("ct-a3", "STEAM-US-20", "0.01"))
                .await
                .unwrap_err()
        ),
        RejectReason::PriceChanged
    );
    let mut too_many = order("ct-a4", "STEAM-US-20", &price);
    too_many.quantity = 500;
    assert_eq!(
        rejected(s.place_order(&too_many).await.unwrap_err()),
        RejectReason::InvalidRequest
    );

    sandbox
        .control(
            "stock",
            json!({ "sku": "STEAM-US-20", "available": false, "quantity": 0 }),
        )
        .await
        .unwrap();
    assert_eq!(
        rejected(
            s.place_order(&order("ct-a5", "STEAM-US-20", &price))
                .await
                .unwrap_err()
        ),
        RejectReason::OutOfStock
    );
    sandbox
        .control(
            "stock",
            json!({ "sku": "STEAM-US-20", "available": true, "quantity": null }),
        )
        .await
        .unwrap();
    sandbox
        .control("balance", json!({ "set": "1.00" }))
        .await
        .unwrap();
    assert_eq!(
        rejected(
            s.place_order(&order("ct-a6", "STEAM-US-20", &price))
                .await
                .unwrap_err()
        ),
        RejectReason::InsufficientBalance
    );
    assert_eq!(s.balance().await.unwrap().available.amount_string(), "1.00");
    let counters = sandbox.counters().await.unwrap();
    assert_eq!(counters["orders_created"], 1, "{counters}");
    sandbox.stop().await;
}

#[tokio::test]
async fn transport_and_server_failures_are_classified() {
    let sandbox = Sandbox::start(50).await.unwrap();
    let s = sandbox.client().unwrap();

    let wrong_key = sandbox
        .client_with("not-the-key", Duration::from_secs(5))
        .unwrap();
    assert!(matches!(
        wrong_key.balance().await,
        Err(SupplierError::Configuration { .. })
    ));

    for (kind, check) in [
        ("error_500", "ambiguous"),
        ("error_503", "ambiguous"),
        ("drop", "ambiguous"),
        ("rate_limit", "retryable"),
    ] {
        sandbox
            .control(
                "faults",
                json!({ "endpoint": "balance", "kind": kind, "times": 1, "retry_after_s": 2 }),
            )
            .await
            .unwrap();
        let err = s.balance().await.unwrap_err();
        match (check, &err) {
            ("ambiguous", SupplierError::Ambiguous { .. }) => {}
            ("retryable", SupplierError::Retryable { retry_after, .. }) => {
                assert_eq!(
                    *retry_after,
                    Some(Duration::from_secs(2)),
                    "Retry-After is honoured"
                );
            }
            _ => panic!("{kind}: expected {check}, got {err:?}"),
        }
        assert!(s.balance().await.is_ok(), "{kind} was a one-off");
    }

    // A request that outlives its timeout: the outcome is unknown.
    sandbox
        .control("latency", json!({ "fixed_ms": 1500 }))
        .await
        .unwrap();
    let impatient = sandbox
        .client_with(codetill_e2e::KEY, Duration::from_millis(300))
        .unwrap();
    let started = std::time::Instant::now();
    let err = impatient.balance().await.unwrap_err();
    assert!(matches!(err, SupplierError::Ambiguous { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "the timeout was not applied"
    );
    sandbox
        .control("latency", json!({ "fixed_ms": 0 }))
        .await
        .unwrap();

    // A base URL that points at the wrong place.
    let mut wrong_path = codetill_core::supplier::WholesaleConfig::new(
        format!("{}/not-the-api", sandbox.url()),
        codetill_core::secrets::Redacted::new(codetill_e2e::KEY.to_string()),
    );
    wrong_path.request_timeout = Duration::from_secs(2);
    let wrong = codetill_core::supplier::WholesaleClient::new(wrong_path).unwrap();
    assert!(matches!(
        wrong
            .catalog_page(&CatalogRequest {
                limit: 10,
                ..Default::default()
            })
            .await,
        Err(SupplierError::Configuration { .. })
    ));

    let url = sandbox.url();
    sandbox.stop().await;
    // Nobody listening: nothing was sent, so it is safe to retry.
    let mut gone = codetill_core::supplier::WholesaleConfig::new(
        url,
        codetill_core::secrets::Redacted::new(codetill_e2e::KEY.to_string()),
    );
    gone.connect_timeout = Duration::from_secs(1);
    let gone = codetill_core::supplier::WholesaleClient::new(gone).unwrap();
    assert!(matches!(
        gone.balance().await,
        Err(SupplierError::Retryable { .. })
    ));
    assert!(matches!(
        codetill_core::supplier::WholesaleClient::new(
            codetill_core::supplier::WholesaleConfig::new(
                "ftp://example",
                codetill_core::secrets::Redacted::new("k".to_string())
            )
        ),
        Err(SupplierError::Configuration { .. })
    ));
}

/// A supplier that answers without end: the adapter stops reading at its cap and
/// reports the answer as ambiguous (an order may exist), without filling memory.
#[tokio::test]
async fn an_endless_answer_is_refused_at_the_cap() {
    use codetill_core::secrets::Redacted;
    use codetill_core::supplier::{WholesaleClient, WholesaleConfig};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 65536, " ".repeat(65536));
                // 64 MiB of spaces: far past the cap, and valid JSON whitespace.
                for _ in 0..1024 {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let client = WholesaleClient::new(WholesaleConfig::new(
        format!("http://{addr}"),
        Redacted::new("k".to_string()),
    ))
    .unwrap();
    let err = client
        .place_order(&order("ct-endless", "STEAM-US-20", "20.00"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SupplierError::Ambiguous { message } if message.contains("larger than")),
        "{err:?}"
    );
    let err = client
        .catalog_page(&CatalogRequest {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}
