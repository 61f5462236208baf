#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn the_request_id_is_a_stable_uuid_v5_of_the_order_key() {
    let a = request_id("ct-01JDX6ZP0Q8Y1V2K3M4N5P6Q7R");
    assert_eq!(a, request_id("ct-01JDX6ZP0Q8Y1V2K3M4N5P6Q7R"));
    assert_ne!(a, request_id("ct-01JDX6ZP0Q8Y1V2K3M4N5P6Q7S"));
    let parsed = uuid::Uuid::parse_str(&a).unwrap();
    assert_eq!(parsed.get_version_num(), 5);
    // Pinned: a change of namespace or derivation would re-key every open order.
    assert_eq!(a, "dc004f1b-16c2-5524-ada3-7c17c5d8592b");
}

#[test]
fn reasons_are_found_in_either_body_shape() {
    use SupplierError::*;
    let bad = StatusCode::BAD_REQUEST;
    let c = |body: &str| classify(bad, None, body);
    assert!(matches!(
        c(r#"{"reason":"OrderAlreadyExists","message":"exists"}"#),
        Rejected {
            reason: RejectReason::IdempotencyConflict,
            ..
        }
    ));
    assert!(matches!(
        c(r#"{"message":"OrderAlreadyExists"}"#),
        Rejected {
            reason: RejectReason::IdempotencyConflict,
            ..
        }
    ));
    assert!(matches!(
        c(r#""OrderNotFound""#),
        Rejected {
            reason: RejectReason::NotFound,
            ..
        }
    ));
    // InvalidProduct is a prefix of InvalidProductIds: whole words only.
    assert!(matches!(
        c(r#"{"message":"InvalidProductIds: 12"}"#),
        Rejected {
            reason: RejectReason::NotFound,
            ..
        }
    ));
    assert!(matches!(
        c(r#"{"message":"InsufficientBalance"}"#),
        Rejected {
            reason: RejectReason::InsufficientBalance,
            ..
        }
    ));
    assert!(matches!(
        c(r#"{"message":"ProductIsOutOfStock"}"#),
        Rejected {
            reason: RejectReason::OutOfStock,
            ..
        }
    ));
    assert!(matches!(
        c(r#"{"message":"InvalidDenomination"}"#),
        Rejected {
            reason: RejectReason::InvalidRequest,
            ..
        }
    ));
    assert!(matches!(
        c(r#"{"message":"WrongAccount"}"#),
        Configuration { .. }
    ));
    assert!(matches!(
        classify(StatusCode::UNAUTHORIZED, None, ""),
        Configuration { .. }
    ));
    assert_eq!(
        classify(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(2)),
            ""
        ),
        Retryable {
            retry_after: Some(Duration::from_secs(2)),
            message: "Bamboo's rate limit: HTTP 429 Too Many Requests".into()
        }
    );
    assert!(matches!(
        classify(StatusCode::BAD_GATEWAY, None, "OrderNotFound"),
        Ambiguous { .. }
    ));
    assert!(matches!(
        classify(StatusCode::NOT_FOUND, None, "<html>"),
        Configuration { .. }
    ));
}

const PAGE: &str = r#"{
  "pageIndex": 0, "pageSize": 100, "count": 2,
  "items": [
    {"internalId": "x", "name": "Steam", "countryCode": "US", "currencyCode": "USD",
     "redemptionInstructions": "Redeem in Steam.", "modifiedDate": "2026-11-30T10:00:00",
     "products": [
       {"id": 101, "name": "Steam $20", "minFaceValue": 20, "maxFaceValue": 20, "count": null,
        "price": {"min": 18.4, "max": 18.4, "currencyCode": "EUR"}, "modifiedDate": "2026-11-30T11:00:00.000"},
       {"id": 102, "name": "Steam 5-100", "minFaceValue": 5, "maxFaceValue": 100, "count": 0,
        "price": {"min": 4.6, "max": 92, "currencyCode": "EUR"}},
       {"id": 103, "name": "broken", "minFaceValue": "lots", "maxFaceValue": 20,
        "price": {"min": 1, "max": 1, "currencyCode": "EUR"}}
     ]},
    {"name": null, "currencyCode": "USD", "products": []}
  ]}"#;

#[test]
fn catalog_items_become_fixed_and_open_amount_products() {
    let body: CatalogBody = serde_json::from_str(PAGE).unwrap();
    assert!(!body.has_more(0, 100));
    let products = body.products();
    assert_eq!(products.len(), 4);
    let fixed = products[0].as_ref().unwrap();
    assert_eq!(fixed.sku, "101");
    assert_eq!(fixed.brand, "Steam");
    assert_eq!(fixed.region, "US");
    assert_eq!(fixed.face_value.to_string(), "20.00 USD");
    assert_eq!(fixed.wholesale.to_string(), "18.40 EUR");
    assert!(fixed.in_stock, "count null is unlimited");
    assert!(fixed.open_amount.is_none());
    assert_eq!(fixed.updated_at.to_rfc3339(), "2026-11-30T11:00:00+00:00");

    let open = products[1].as_ref().unwrap();
    assert!(!open.in_stock, "count 0 is out of stock");
    let range = open.open_amount.as_ref().unwrap();
    assert_eq!(range.min.to_string(), "5.00 USD");
    assert_eq!(range.max.to_string(), "100.00 USD");
    assert_eq!(range.cost_per_face, Decimal::new(92, 2));
    assert_eq!(range.fee.to_string(), "0.00 EUR");
    // The item's date stands in for a product without one.
    assert_eq!(open.updated_at.to_rfc3339(), "2026-11-30T10:00:00+00:00");

    let broken = products[2].as_ref().unwrap_err();
    assert_eq!(broken.sku.as_deref(), Some("103"));
    assert!(!broken.reason.contains("lots"), "{}", broken.reason);
    assert!(products[3].as_ref().unwrap_err().reason.contains("name"));
}

#[test]
fn pages_continue_while_the_count_says_so() {
    let body: CatalogBody =
        serde_json::from_str(r#"{"pageIndex":0,"pageSize":1,"count":2,"items":[]}"#).unwrap();
    assert!(body.has_more(0, 1));
    let body: CatalogBody =
        serde_json::from_str(r#"{"pageIndex":1,"pageSize":1,"count":2,"items":[]}"#).unwrap();
    assert!(!body.has_more(1, 1));
}

fn order(status: &str, cards: &str, quantity: u32) -> String {
    format!(
        r#"{{"orderId": 77, "requestId": "{}", "status": "{status}", "total": 36.8,
            "currency": "EUR", "errorMessage": null,
            "items": [{{"productId": 101, "productFaceValue": 20, "quantity": {quantity},
                        "currencyCode": "USD", "cards": {cards}}}]}}"#,
        request_id("ct-1")
    )
}

fn read(body: &str) -> Result<SupplierOrder, SupplierError> {
    serde_json::from_str::<OrderBody>(body)
        .unwrap()
        .into_order("ct-1", &request_id("ct-1"))
}

const TWO_CARDS: &str = r#"[
  {"id": 1, "serialNumber": "S1", "cardCode": "AAAA-1111", "pin": "12", "expirationDate": null, "status": "Sold"},
  {"id": 2, "serialNumber": "S2", "cardCode": "BBBB-2222", "pin": null, "status": "Sold"}]"#;
const ONE_FAILED: &str = r#"[
  {"id": 1, "serialNumber": "S1", "cardCode": "AAAA-1111", "status": "Sold"},
  {"id": 2, "serialNumber": null, "cardCode": null, "status": "Failed"}]"#;

#[test]
fn order_statuses_map_to_ours() {
    let done = read(&order("Succeeded", TWO_CARDS, 2)).unwrap();
    assert_eq!(done.status, SupplierOrderStatus::Completed);
    assert_eq!(done.order_id, "77");
    assert_eq!(done.client_order_id, "ct-1");
    assert_eq!(done.codes.len(), 2);
    assert_eq!(done.codes[0].code.expose(), "AAAA-1111");
    assert_eq!(done.codes[0].pin.as_ref().unwrap().expose(), "12");
    assert_eq!(done.total.to_string(), "36.80 EUR");
    assert_eq!(done.unit_price.to_string(), "18.40 EUR");
    for pending in ["Created", "Processing", "Pending"] {
        let o = read(&order(pending, "[]", 1)).unwrap();
        assert_eq!(o.status, SupplierOrderStatus::Pending);
        assert!(o.codes.is_empty());
    }
    let failed = read(&order("Failed", "[]", 1)).unwrap();
    assert_eq!(failed.status, SupplierOrderStatus::Failed);
    assert!(failed.failure.is_some());
    // Succeeded without every card's code is not believed.
    assert!(matches!(
        read(&order("Succeeded", ONE_FAILED, 2)),
        Err(SupplierError::Ambiguous { .. })
    ));
    assert!(read(&order("Refunded", "[]", 1)).is_err());
    // An answer for another RequestId is never taken for ours.
    let other = order("Succeeded", TWO_CARDS, 2).replace(&request_id("ct-1"), &request_id("ct-2"));
    assert!(matches!(read(&other), Err(SupplierError::Ambiguous { .. })));
}

#[test]
fn partial_failed_delivers_the_issued_cards_and_says_what_is_missing() {
    let partial = read(&order("PartialFailed", ONE_FAILED, 2).replace("36.8", "18.4")).unwrap();
    assert_eq!(partial.status, SupplierOrderStatus::Completed);
    assert_eq!(partial.quantity, 1);
    assert_eq!(partial.codes.len(), 1);
    assert_eq!(partial.total.to_string(), "18.40 EUR");
    let (code, message) = partial.failure.unwrap();
    assert_eq!(code, "partial_failed");
    assert!(message.contains("1 of 2"), "{message}");
    // One card that failed: nothing was issued, so the order failed.
    let failed_card = r#"[{"id": 2, "cardCode": null, "status": "Failed"}]"#;
    let single = read(&order("PartialFailed", failed_card, 1)).unwrap();
    assert_eq!(single.status, SupplierOrderStatus::Failed);
    assert!(single.codes.is_empty());
}

#[test]
fn an_unreadable_order_never_quotes_its_card() {
    let body = order("Succeeded", r#"[{"cardCode": 734561239876}]"#, 1);
    let Err(e) = serde_json::from_str::<OrderBody>(&body) else {
        panic!("parsed");
    };
    assert!(!json_error(&e).contains("734561"));
}

#[test]
fn face_values_are_sent_as_json_numbers() {
    assert_eq!(
        json_number(Decimal::new(2000, 2)).unwrap().to_string(),
        "20"
    );
    assert_eq!(
        json_number(Decimal::new(1050, 2)).unwrap().to_string(),
        "10.5"
    );
}

#[test]
fn the_key_comes_apart_into_id_and_secret() {
    let key = Redacted::new("client-1:s3cr:et".to_string());
    let c = BambooConfig::from_key("http://x/", &key, "555").unwrap();
    assert_eq!(c.client_id.expose(), "client-1");
    assert_eq!(c.client_secret.expose(), "s3cr:et");
    assert_eq!(c.account_id, 555);
    assert!(BambooConfig::from_key("http://x/", &Redacted::new("nocolon".into()), "1").is_err());
    assert!(BambooConfig::from_key("http://x/", &key, "acct").is_err());
    // The secret never shows in Debug.
    assert!(!format!("{c:?}").contains("s3cr"));
}
