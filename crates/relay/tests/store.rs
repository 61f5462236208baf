//! The store's own promises, called directly, on both backends: both run one
//! body over a dialect, and these pin what each statement answers.
#![allow(clippy::unwrap_used)]

mod common;

use codetill_relay::store::{AckOutcome, Backlog, Inserted, NewEvent, ShopStatus};
use codetill_relay::{Store, StoreError};
use common::Backend;

fn event(shop_id: &str, event_id: &str, received_at_ms: i64) -> NewEvent {
    NewEvent {
        shop_id: shop_id.to_owned(),
        endpoint_id: "ep_1".to_owned(),
        provider: "stripe",
        event_id: event_id.to_owned(),
        event_type: (event_id != "evt_untyped").then(|| "payment.succeeded".to_owned()),
        received_at_ms,
        payload: format!("{{\"id\":\"{event_id}\"}}"),
    }
}

async fn store_promises(backend: Backend) {
    let Some((url, _dir)) = common::store_url(backend).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    store
        .insert_shop("shop_a", "A", b"hash_a", 1)
        .await
        .unwrap();
    store
        .insert_shop("shop_b", "B", b"hash_b", 1)
        .await
        .unwrap();

    // Endpoints belong to a shop that exists.
    assert!(matches!(
        store
            .insert_endpoint("ep_0", "shop_x", "stripe", b"sealed", 2)
            .await,
        Err(StoreError::UnknownShop(shop)) if shop == "shop_x"
    ));
    store
        .insert_endpoint("ep_1", "shop_a", "stripe", b"sealed", 2)
        .await
        .unwrap();
    let endpoint = store.endpoint("ep_1").await.unwrap().unwrap();
    assert_eq!(
        (endpoint.shop_id.as_str(), endpoint.provider.as_str()),
        ("shop_a", "stripe")
    );
    assert_eq!(endpoint.sealed_secrets, b"sealed");
    assert!(store.endpoint("ep_0").await.unwrap().is_none());

    // Tokens.
    assert_eq!(
        store.shop_for_token(b"hash_a").await.unwrap().as_deref(),
        Some("shop_a")
    );
    assert!(store.set_token_hash("shop_a", b"hash_a2").await.unwrap());
    assert!(!store.set_token_hash("shop_x", b"hash_x").await.unwrap());
    assert!(store.shop_for_token(b"hash_a").await.unwrap().is_none());

    // Cursors: per shop, one after the other; a duplicate takes none.
    let answers = store
        .insert_events(&[
            event("shop_a", "evt_1", 1_000),
            event("shop_a", "evt_1", 1_001),
            event("shop_b", "evt_1", 1_002),
            event("shop_a", "evt_untyped", 2_000),
        ])
        .await
        .unwrap();
    assert_eq!(
        answers,
        [
            Inserted::Stored { cursor: 1 },
            Inserted::Duplicate,
            Inserted::Stored { cursor: 1 },
            Inserted::Stored { cursor: 2 },
        ]
    );
    let again = store
        .insert_events(&[event("shop_a", "evt_1", 3_000)])
        .await
        .unwrap();
    assert_eq!(again, [Inserted::Duplicate]);
    // An unknown shop fails the whole transaction: nothing of it is stored.
    assert!(matches!(
        store
            .insert_events(&[
                event("shop_a", "evt_3", 3_000),
                event("shop_x", "evt_1", 3_000)
            ])
            .await,
        Err(StoreError::UnknownShop(shop)) if shop == "shop_x"
    ));
    let events = store.events_after("shop_a", 0, 10).await.unwrap();
    let ids: Vec<(i64, &str)> = events
        .iter()
        .map(|e| (e.cursor, e.event_id.as_str()))
        .collect();
    assert_eq!(ids, [(1, "evt_1"), (2, "evt_untyped")]);
    assert_eq!(events[0].event_type.as_deref(), Some("payment.succeeded"));
    assert_eq!(events[1].event_type, None);
    assert_eq!(events[0].payload, "{\"id\":\"evt_1\"}");
    assert_eq!(events[0].received_at_ms, 1_000);
    assert_eq!(store.events_after("shop_a", 1, 10).await.unwrap().len(), 1);
    assert_eq!(store.events_after("shop_a", 0, 1).await.unwrap().len(), 1);

    // Acknowledging only moves forward and never past the head.
    assert_eq!(store.ack("shop_a", 1).await.unwrap(), AckOutcome::Acked(1));
    assert_eq!(store.ack("shop_a", 0).await.unwrap(), AckOutcome::Acked(1));
    assert_eq!(
        store.ack("shop_a", 3).await.unwrap(),
        AckOutcome::BeyondHead { head: 2 }
    );
    assert!(matches!(
        store.ack("shop_x", 1).await,
        Err(StoreError::UnknownShop(_))
    ));
    assert_eq!(
        store.status("shop_a").await.unwrap(),
        Some(ShopStatus {
            head: 2,
            acked: 1,
            oldest_unacked_ms: Some(2_000)
        })
    );
    assert_eq!(store.status("shop_x").await.unwrap(), None);
    assert_eq!(
        store.backlog().await.unwrap(),
        Backlog {
            unacked: 2,
            oldest_unacked_ms: Some(1_002)
        }
    );

    // Retention drops acknowledged, old bodies only, a batch at a time.
    assert_eq!(store.drop_acked_bodies(1_000, 10).await.unwrap(), 0);
    assert_eq!(store.drop_acked_bodies(10_000, 10).await.unwrap(), 1);
    assert_eq!(store.drop_acked_bodies(10_000, 10).await.unwrap(), 0);
    let ids: Vec<i64> = store
        .events_after("shop_a", 0, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.cursor)
        .collect();
    assert_eq!(ids, [2]);

    store.ping().await.unwrap();
    store.checkpoint().await.unwrap();
    store.close().await;
    assert!(store.ping().await.is_err());
}

#[tokio::test]
async fn store_promises_on_sqlite() {
    store_promises(Backend::Sqlite).await;
}

#[tokio::test]
async fn store_promises_on_postgres() {
    store_promises(Backend::Postgres).await;
}

/// Inside one batch, an event is a duplicate only of what is stored: before
/// the batch, or earlier in it. An event refused as a duplicate stores nothing,
/// so a later event with its body but a new id is stored (and takes the next
/// cursor), as if the events had come one by one.
async fn batch_duplicates(backend: Backend) {
    let Some((url, _dir)) = common::store_url(backend).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    store
        .insert_shop("shop_a", "A", b"hash_a", 1)
        .await
        .unwrap();
    let with_body = |event_id: &str, body: &str| NewEvent {
        payload: format!("{{\"body\":\"{body}\"}}"),
        ..event("shop_a", event_id, 1_000)
    };
    let before = store
        .insert_events(&[with_body("evt_1", "one")])
        .await
        .unwrap();
    assert_eq!(before, [Inserted::Stored { cursor: 1 }]);
    let answers = store
        .insert_events(&[
            with_body("evt_1", "two"),   // its id is stored: nothing stored
            with_body("evt_2", "two"),   // "two" was not stored above: stored
            with_body("evt_3", "two"),   // now "two" is: a duplicate
            with_body("evt_2", "three"), // evt_2 is, earlier in the batch
            with_body("evt_4", "four"),
        ])
        .await
        .unwrap();
    assert_eq!(
        answers,
        [
            Inserted::Duplicate,
            Inserted::Stored { cursor: 2 },
            Inserted::Duplicate,
            Inserted::Duplicate,
            Inserted::Stored { cursor: 3 },
        ]
    );
    let stored: Vec<(i64, String, String)> = store
        .events_after("shop_a", 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.cursor, e.event_id, e.payload))
        .collect();
    assert_eq!(
        stored,
        [
            (1, "evt_1".into(), "{\"body\":\"one\"}".into()),
            (2, "evt_2".into(), "{\"body\":\"two\"}".into()),
            (3, "evt_4".into(), "{\"body\":\"four\"}".into()),
        ]
    );
    assert_eq!(store.status("shop_a").await.unwrap().unwrap().head, 3);
    store.close().await;
}

#[tokio::test]
async fn batch_duplicates_on_sqlite() {
    batch_duplicates(Backend::Sqlite).await;
}

#[tokio::test]
async fn batch_duplicates_on_postgres() {
    batch_duplicates(Backend::Postgres).await;
}
