#![allow(clippy::unwrap_used)]
use super::*;
use crate::product::Category;

fn errors(json: &str) -> Vec<DingError> {
    serde_json::from_str(json).unwrap()
}

#[test]
fn every_documented_error_code_is_classified() {
    use SupplierError::*;
    let bad = StatusCode::BAD_REQUEST;
    let c = |json: &str| classify(bad, None, &errors(json));
    assert!(matches!(c(r#"[{"Code":"RateLimited"}]"#), Retryable { .. }));
    for timed_out in [
        r#"[{"Code":"TransientProviderError","Context":"ProviderTimedOut"}]"#,
        r#"[{"Code":"ProviderTimedOut"}]"#,
        r#"[{"Code":"TransientProviderError","Context":"ProviderRefusedRequest"}]"#,
    ] {
        let e = c(timed_out);
        assert!(
            matches!(&e, Rejected { reason: RejectReason::Other(r), .. } if r == "provider_unavailable"),
            "{e:?}"
        );
        assert!(documented_refusal(&e));
    }
    assert!(matches!(
        c(r#"[{"Code":"ProviderError","Context":"ProductUnavailable"}]"#),
        Rejected {
            reason: RejectReason::OutOfStock,
            ..
        }
    ));
    assert!(matches!(
        c(r#"[{"Code":"AccountNumberInvalid","Context":"AccountNumberFailedRegex"}]"#),
        Rejected {
            reason: RejectReason::InvalidRequest,
            ..
        }
    ));
    assert!(matches!(
        c(r#"[{"Code":"InsufficientBalance"}]"#),
        Rejected {
            reason: RejectReason::InsufficientBalance,
            ..
        }
    ));
    assert!(matches!(
        c(r#"[{"Code":"ProviderError","Context":"RechargeNotAllowed"}]"#),
        Rejected {
            reason: RejectReason::InvalidRequest,
            ..
        }
    ));
    // Unknown codes are refusals, but not ones believed without a look-up.
    let unknown = c(r#"[{"Code":"SomethingNew"}]"#);
    assert!(
        matches!(&unknown, Rejected { reason: RejectReason::Other(r), .. } if r == "SomethingNew")
    );
    assert!(!documented_refusal(&unknown));
    assert!(matches!(
        classify(StatusCode::UNAUTHORIZED, None, &[]),
        Configuration { .. }
    ));
    assert!(matches!(
        classify(StatusCode::BAD_GATEWAY, None, &[]),
        Ambiguous { .. }
    ));
    assert!(matches!(
        classify(StatusCode::NOT_FOUND, None, &[]),
        Configuration { .. }
    ));
    assert!(matches!(
        classify(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(4)), &[]),
        Retryable { retry_after: Some(d), .. } if d == Duration::from_secs(4)
    ));
}

fn price(send: &str, fee: &str, receive: &str) -> String {
    format!(
        r#"{{"CustomerFee":0,"DistributorFee":{fee},"ReceiveValue":{receive},"ReceiveCurrencyIso":"INR",
            "ReceiveValueExcludingTax":{receive},"TaxRate":0,"SendValue":{send},"SendCurrencyIso":"USD"}}"#
    )
}

fn product(sku: &str, redemption: &str, min: &str, max: &str) -> String {
    format!(
        r#"{{"ProviderCode":"AIIN","SkuCode":"{sku}","Minimum":{min},"Maximum":{max},
            "ProcessingMode":"Instant","RedemptionMechanism":"{redemption}","Benefits":["Mobile"],
            "UatNumber":"919000000000","DefaultDisplayText":"Airtel PIN","RegionCode":"IN"}}"#
    )
}

#[test]
fn pin_products_become_fixed_or_open_amount_skus() {
    let fixed = product(
        "AIIN-PIN-10",
        "ReadReceipt",
        &price("10", "0.5", "830"),
        &price("10", "0.5", "830"),
    );
    let open = product(
        "AIIN-PIN-R",
        "ReadReceipt",
        &price("5", "0.25", "415"),
        &price("50", "2.5", "4150"),
    );
    let direct = product(
        "AIIN-TOPUP",
        "Immediate",
        &price("10", "0", "830"),
        &price("10", "0", "830"),
    );
    let broken = r#"{"SkuCode":"BROKEN","Minimum":{"SendValue":"ten"}}"#;
    let body: ProductsBody = serde_json::from_str(&format!(
        r#"{{"ResultCode":1,"ErrorCodes":[],"Items":[{fixed},{open},{direct},{broken}]}}"#
    ))
    .unwrap();
    let products = body.products();
    assert_eq!(products.len(), 3, "the direct top-up is left out");
    let f = products[0].as_ref().unwrap();
    assert_eq!(f.sku, "AIIN-PIN-10");
    assert_eq!(f.face_value.to_string(), "830.00 INR");
    assert_eq!(f.wholesale.to_string(), "10.50 USD");
    assert_eq!(f.category, Category::MobileTopup);
    assert_eq!(f.region, "IN");
    assert!(f.open_amount.is_none());
    let o = products[1].as_ref().unwrap();
    let range = o.open_amount.as_ref().unwrap();
    assert_eq!(range.min.to_string(), "5.00 USD");
    assert_eq!(range.max.to_string(), "50.00 USD");
    assert_eq!(range.cost_per_face, Decimal::new(105, 2));
    assert_eq!(range.fee.amount, Decimal::ZERO);
    assert_eq!(o.wholesale.to_string(), "5.25 USD");
    let bad = products[2].as_ref().unwrap_err();
    assert_eq!(bad.sku.as_deref(), Some("BROKEN"));
    assert!(!bad.reason.contains("ten"));
}

fn record(state: &str, params: &str, receipt: &str) -> String {
    format!(
        r#"{{"TransferId":{{"TransferRef":"T-9","DistributorRef":"ct-1"}},"SkuCode":"AIIN-PIN-10",
            "Price":{},"CommissionApplied":0,"StartedUtc":"2026-12-01T10:00:00Z",
            "ProcessingState":"{state}","ReceiptText":{receipt},"ReceiptParams":{params},
            "AccountNumber":"447700900123"}}"#,
        price("10", "0.5", "830")
    )
}

fn order_of(json: &str) -> Result<SupplierOrder, SupplierError> {
    serde_json::from_str::<TransferBody>(&format!(
        r#"{{"TransferRecord":{json},"ResultCode":1,"ErrorCodes":[]}}"#
    ))
    .unwrap()
    .into_order("ct-1")
}

#[test]
fn the_pin_comes_from_the_receipt_params_or_the_receipt() {
    let o = order_of(&record(
        "Complete",
        r#"{"pin":"1234-5678","providerRef":"P-1"}"#,
        "null",
    ))
    .unwrap();
    assert_eq!(o.status, SupplierOrderStatus::Completed);
    assert_eq!(o.codes[0].code.expose(), "1234-5678");
    assert_eq!(o.codes[0].serial.as_deref(), Some("P-1"));
    assert_eq!(o.order_id, "T-9");
    assert_eq!(o.total.to_string(), "10.50 USD");
    let o = order_of(&record("Completed", r#"{"Pin_Code":"99887766"}"#, "null")).unwrap();
    assert_eq!(o.codes[0].code.expose(), "99887766");
    assert_eq!(o.codes[0].serial.as_deref(), Some("T-9"));
    let o = order_of(&record("Complete", "{}", r#""Dial *123*4455# to load""#)).unwrap();
    assert_eq!(o.codes[0].code.expose(), "Dial *123*4455# to load");
    assert!(matches!(
        order_of(&record("Complete", "{}", "null")),
        Err(SupplierError::Ambiguous { .. })
    ));
    for pending in ["Submitted", "Processing", "Cancelling"] {
        assert_eq!(
            order_of(&record(pending, "null", "null")).unwrap().status,
            SupplierOrderStatus::Pending
        );
    }
    for failed in ["Failed", "Cancelled"] {
        assert_eq!(
            order_of(&record(failed, "null", "null")).unwrap().status,
            SupplierOrderStatus::Failed
        );
    }
    // A transfer under another DistributorRef is never taken for ours.
    let other = record("Complete", r#"{"pin":"1"}"#, "null").replace(r#""ct-1""#, r#""ct-2""#);
    assert!(matches!(
        order_of(&other),
        Err(SupplierError::Ambiguous { .. })
    ));
}

#[test]
fn the_most_advanced_record_speaks_for_a_key() {
    let states = ["Failed", "Submitted", "Complete"];
    let ranked: Vec<u8> = states
        .iter()
        .map(|s| {
            serde_json::from_str::<TransferRecord>(&record(s, "null", "null"))
                .unwrap()
                .state()
                .rank()
        })
        .collect();
    assert!(ranked[0] < ranked[1] && ranked[1] < ranked[2]);
}

#[test]
fn send_values_are_json_numbers() {
    assert_eq!(wire::json_number(Decimal::new(1000, 2)).to_string(), "10");
    assert_eq!(wire::json_number(Decimal::new(317, 2)).to_string(), "3.17");
}
