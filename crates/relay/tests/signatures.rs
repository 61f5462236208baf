//! Each provider's scheme against vectors computed outside this crate from the
//! provider's published recipe (Python's hmac for Stripe, BTCPay and Razorpay;
//! Node's crypto with NOWPayments' own JS recipes, since their signature is over
//! a JS re-serialisation).
#![allow(clippy::unwrap_used)]

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use codetill_relay::verify::{Provider, Rejection, verify};

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const TOLERANCE: i64 = 300;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn check(
    provider: Provider,
    secret: &str,
    pairs: &[(&str, &str)],
    body: &str,
    now: i64,
) -> Result<String, Rejection> {
    verify(
        provider,
        &[secret.to_owned()],
        &headers(pairs),
        body.as_bytes(),
        now,
        TOLERANCE,
    )
    .map(|v| v.event_id)
}

// --- Stripe: HMAC-SHA256(secret, "{t}.{body}") -------------------------------

const STRIPE_BODY: &str = r#"{"id":"evt_1QvectorTest","object":"event","type":"checkout.session.completed","data":{"object":{"client_reference_id":"ord_42","amount_total":1999,"currency":"eur"}}}"#;
const STRIPE_SECRET: &str = "whsec_test_5ecret";
const STRIPE_V1: &str = "08b084fedbb0979f750a7aeb6bce6c40244aea6754c1068e1a5f076e74ad64d7";

#[test]
fn stripe_vector_verifies_and_names_the_event() {
    let header = format!("t={NOW},v1={STRIPE_V1}");
    let got = check(
        Provider::Stripe,
        STRIPE_SECRET,
        &[("Stripe-Signature", &header)],
        STRIPE_BODY,
        NOW,
    );
    assert_eq!(got, Ok("evt_1QvectorTest".to_owned()));
    // Our signer produces the same header.
    assert_eq!(
        codetill_relay::verify::stripe::sign(STRIPE_SECRET, NOW, STRIPE_BODY.as_bytes()),
        header
    );
}

#[test]
fn stripe_accepts_any_matching_v1_and_ignores_v0() {
    let header = format!("t={NOW},v0=abcd,v1={},v1={STRIPE_V1}", "00".repeat(32));
    let got = check(
        Provider::Stripe,
        STRIPE_SECRET,
        &[("stripe-signature", &header)],
        STRIPE_BODY,
        NOW,
    );
    assert!(got.is_ok());
}

#[test]
fn stripe_tolerance_is_300_seconds_either_way() {
    let header = format!("t={NOW},v1={STRIPE_V1}");
    let at = |now| {
        check(
            Provider::Stripe,
            STRIPE_SECRET,
            &[("stripe-signature", &header)],
            STRIPE_BODY,
            now,
        )
    };
    assert!(at(NOW + 300).is_ok());
    assert!(at(NOW - 300).is_ok());
    assert_eq!(at(NOW + 301), Err(Rejection::StaleTimestamp));
    assert_eq!(at(NOW - 301), Err(Rejection::StaleTimestamp));
}

#[test]
fn stripe_refuses_wrong_secret_tampering_and_bad_headers() {
    let header = format!("t={NOW},v1={STRIPE_V1}");
    let sig = [("stripe-signature", header.as_str())];
    assert_eq!(
        check(Provider::Stripe, "whsec_other", &sig, STRIPE_BODY, NOW),
        Err(Rejection::BadSignature)
    );
    let tampered = STRIPE_BODY.replace("1999", "1");
    assert_eq!(
        check(Provider::Stripe, STRIPE_SECRET, &sig, &tampered, NOW),
        Err(Rejection::BadSignature)
    );
    // The timestamp is signed: moving it breaks the signature.
    let moved = format!("t={},v1={STRIPE_V1}", NOW + 1);
    assert_eq!(
        check(
            Provider::Stripe,
            STRIPE_SECRET,
            &[("stripe-signature", &moved)],
            STRIPE_BODY,
            NOW
        ),
        Err(Rejection::BadSignature)
    );
    for bad in [
        format!("v1={STRIPE_V1}"),
        format!("t={NOW}"),
        "garbage".to_owned(),
        format!("t=x,v1={STRIPE_V1}"),
    ] {
        assert_eq!(
            check(
                Provider::Stripe,
                STRIPE_SECRET,
                &[("stripe-signature", &bad)],
                STRIPE_BODY,
                NOW
            ),
            Err(Rejection::BadSignature),
            "{bad}"
        );
    }
    assert_eq!(
        check(Provider::Stripe, STRIPE_SECRET, &[], STRIPE_BODY, NOW),
        Err(Rejection::MissingSignature)
    );
}

#[test]
fn a_rolled_secret_verifies_with_either_secret() {
    let header = format!("t={NOW},v1={STRIPE_V1}");
    let got = verify(
        Provider::Stripe,
        &["whsec_new".to_owned(), STRIPE_SECRET.to_owned()],
        &headers(&[("stripe-signature", &header)]),
        STRIPE_BODY.as_bytes(),
        NOW,
        TOLERANCE,
    );
    assert!(got.is_ok());
}

// --- BTCPay: BTCPay-Sig: sha256=<HMAC-SHA256(secret, body)> -------------------

const BTCPAY_BODY: &str = r#"{"deliveryId":"Kz3yv6o4Zy8dJvGmVvJqQ5","webhookId":"wh_1","originalDeliveryId":"Kz3yv6o4Zy8dJvGmVvJqQ5","isRedelivery":false,"type":"InvoiceSettled","timestamp":1767225600,"storeId":"store_1","invoiceId":"inv_9","metadata":{"orderId":"ord_42"}}"#;
const BTCPAY_SIG: &str = "sha256=78e3a0a1d36a2e6e98c88ba30da60a924f152e73f5d715c7a6a85eefab0bdf54";

#[test]
fn btcpay_vector_verifies_and_uses_the_original_delivery_id() {
    let got = check(
        Provider::Btcpay,
        "btcpay-secret",
        &[("BTCPay-Sig", BTCPAY_SIG)],
        BTCPAY_BODY,
        NOW,
    );
    assert_eq!(got, Ok("Kz3yv6o4Zy8dJvGmVvJqQ5".to_owned()));
    // A redelivery carries a new deliveryId but the same originalDeliveryId.
    let redelivery = r#"{"deliveryId":"new","originalDeliveryId":"first","type":"InvoiceSettled"}"#;
    let sig = codetill_relay::verify::btcpay::sign("k", redelivery.as_bytes());
    assert_eq!(
        check(
            Provider::Btcpay,
            "k",
            &[("btcpay-sig", &sig)],
            redelivery,
            NOW
        ),
        Ok("first".to_owned())
    );
    let plain = r#"{"deliveryId":"only","type":"InvoiceSettled"}"#;
    let sig = codetill_relay::verify::btcpay::sign("k", plain.as_bytes());
    assert_eq!(
        check(Provider::Btcpay, "k", &[("btcpay-sig", &sig)], plain, NOW),
        Ok("only".to_owned())
    );
}

#[test]
fn btcpay_refuses_a_signature_without_its_prefix_or_from_another_secret() {
    let bare = BTCPAY_SIG.trim_start_matches("sha256=");
    assert_eq!(
        check(
            Provider::Btcpay,
            "btcpay-secret",
            &[("btcpay-sig", bare)],
            BTCPAY_BODY,
            NOW
        ),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        check(
            Provider::Btcpay,
            "other",
            &[("btcpay-sig", BTCPAY_SIG)],
            BTCPAY_BODY,
            NOW
        ),
        Err(Rejection::BadSignature)
    );
}

// --- Razorpay: X-Razorpay-Signature: <HMAC-SHA256(secret, body)> -------------

const RAZORPAY_BODY: &str = r#"{"entity":"event","account_id":"acc_1","event":"payment.captured","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_29QQoUBi66xm2f","amount":50000,"currency":"INR","notes":{"order_id":"ord_42"}}}},"created_at":1767225600}"#;
const RAZORPAY_SIG: &str = "dfc9332be10c960ad37ee54dcef9167ce4b051839f0dc22a82ecfe1a986a6723";

#[test]
fn razorpay_vector_verifies_and_dedupes_on_the_event_id_header() {
    let pairs = [
        ("X-Razorpay-Signature", RAZORPAY_SIG),
        ("x-razorpay-event-id", "KXfS3hZlbHkDkH"),
    ];
    assert_eq!(
        check(
            Provider::Razorpay,
            "razorpay-secret",
            &pairs,
            RAZORPAY_BODY,
            NOW
        ),
        Ok("KXfS3hZlbHkDkH".to_owned())
    );
    let no_id = [("X-Razorpay-Signature", RAZORPAY_SIG)];
    assert_eq!(
        check(
            Provider::Razorpay,
            "razorpay-secret",
            &no_id,
            RAZORPAY_BODY,
            NOW
        ),
        Err(Rejection::MissingEventId)
    );
    let upper = RAZORPAY_SIG.to_uppercase();
    let pairs = [
        ("X-Razorpay-Signature", upper.as_str()),
        ("x-razorpay-event-id", "e"),
    ];
    assert!(
        check(
            Provider::Razorpay,
            "razorpay-secret",
            &pairs,
            RAZORPAY_BODY,
            NOW
        )
        .is_ok(),
        "hex case does not matter"
    );
    let tampered = RAZORPAY_BODY.replace("50000", "5");
    assert_eq!(
        check(
            Provider::Razorpay,
            "razorpay-secret",
            &pairs,
            &tampered,
            NOW
        ),
        Err(Rejection::BadSignature)
    );
}

// --- NOWPayments: HMAC-SHA512 over the key-sorted compact re-serialisation ----

/// The raw body as it arrives: keys unsorted, a nested object, small floats.
const NOW_BODY: &str = r#"{"payment_id":5077125051,"payment_status":"finished","pay_address":"bc1qexample","price_amount":19.99,"price_currency":"eur","pay_amount":0.00021,"actually_paid":0.00021,"pay_currency":"btc","order_id":"ord_42","order_description":"Gift card","purchase_id":"5837122679","outcome_amount":0.000198,"outcome_currency":"btc","fee":{"currency":"btc","depositFee":0.000001,"withdrawalFee":0,"serviceFee":0},"updated_at":1767225600000}"#;
/// Node: JSON.stringify(params, Object.keys(params).sort()) — their documented recipe.
const NOW_SIG_ALLOW_LIST: &str = "725a81f9dc51d125fbab3df6522dbe4f9832cb3f4cf8afd8f9a10b4073455d94527b50932391d67e4d9ad82f3543941ce0a0efa634173aa069617c247da0bb4f";
/// Node: JSON.stringify(sortObject(params)) — their recursive helper.
const NOW_SIG_SORTED: &str = "902e1f9b054b7f129e421a1aec49830e89c3b65a59435704f91d692866c8333b18b05cb7260487206ed7ddff72ad0055a3bd497ddc7245bb5dc10261bd360216";

#[test]
fn nowpayments_allow_list_vector_is_refused_since_it_leaves_nested_values_unsigned() {
    // Their documented recipe writes `"fee":{}`: the fee's contents are not signed.
    let got = check(
        Provider::Nowpayments,
        "ipn-secret",
        &[("x-nowpayments-sig", NOW_SIG_ALLOW_LIST)],
        NOW_BODY,
        NOW,
    );
    assert_eq!(got, Err(Rejection::BadSignature));
}

/// A flat body: the documented recipe writes what the recursive sort writes.
const NOW_FLAT_BODY: &str = r#"{"payment_id":5077125051,"payment_status":"finished","price_amount":19.99,"price_currency":"eur","pay_amount":0.00021,"actually_paid":0.00021,"pay_currency":"btc","order_id":"ord_42","updated_at":1767225600000}"#;
/// Node: JSON.stringify(params, Object.keys(params).sort()) over NOW_FLAT_BODY.
const NOW_FLAT_SIG_ALLOW_LIST: &str = "5855a5ba5367efc538d1e4bc6e91fb23643437626e8af676817c51c6ed9e40241c029596cd8274874b3eac989ff4698897c594906ad76b6b0951d7b48a040ffd";

#[test]
fn nowpayments_allow_list_vector_of_a_flat_body_verifies() {
    let got = check(
        Provider::Nowpayments,
        "ipn-secret",
        &[("x-nowpayments-sig", NOW_FLAT_SIG_ALLOW_LIST)],
        NOW_FLAT_BODY,
        NOW,
    );
    assert_eq!(got, Ok("5077125051:finished".to_owned()));
}

#[test]
fn nowpayments_signature_covers_nested_values() {
    let changed_fee = NOW_BODY.replace(r#""depositFee":0.000001"#, r#""depositFee":5"#);
    assert_ne!(changed_fee, NOW_BODY);
    for sig in [NOW_SIG_ALLOW_LIST, NOW_SIG_SORTED] {
        assert_eq!(
            check(
                Provider::Nowpayments,
                "ipn-secret",
                &[("x-nowpayments-sig", sig)],
                &changed_fee,
                NOW
            ),
            Err(Rejection::BadSignature),
            "{sig}"
        );
    }
    // Arrays too (their sortObject helper writes them as objects keyed "0", "1", …).
    let body = r#"{"payment_status":"partially_paid","payment_id":"6001","price_amount":20.0,"pay_amount":1.5e-7,"big":1e21,"items":[{"sku":"GC-10","qty":2},{"sku":"GC-25","qty":1}],"note":"café \"quoted\" / slash"}"#;
    let sig = "b8da084b450fcddcf62ed56f00322d55f12ba9c1946f88d1ad8e713ae93f2f154871fc8bdd38e7c4cc01af24a375377c6d14d69471053be7a93da48c34dcef65";
    let changed_item = body.replace(r#""qty":2"#, r#""qty":20"#);
    assert_eq!(
        check(
            Provider::Nowpayments,
            "ipn-secret",
            &[("x-nowpayments-sig", sig)],
            &changed_item,
            NOW
        ),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn nowpayments_recursive_sort_vector_verifies() {
    let got = check(
        Provider::Nowpayments,
        "ipn-secret",
        &[("x-nowpayments-sig", NOW_SIG_SORTED)],
        NOW_BODY,
        NOW,
    );
    assert_eq!(got, Ok("5077125051:finished".to_owned()));
}

#[test]
fn nowpayments_sort_object_turns_arrays_into_objects_like_js() {
    // Node: JSON.stringify(sortObject(params)) where params holds an array, 20.0, 1.5e-7, 1e21.
    let body = r#"{"payment_status":"partially_paid","payment_id":"6001","price_amount":20.0,"pay_amount":1.5e-7,"big":1e21,"items":[{"sku":"GC-10","qty":2},{"sku":"GC-25","qty":1}],"note":"café \"quoted\" / slash"}"#;
    let sig = "b8da084b450fcddcf62ed56f00322d55f12ba9c1946f88d1ad8e713ae93f2f154871fc8bdd38e7c4cc01af24a375377c6d14d69471053be7a93da48c34dcef65";
    let got = check(
        Provider::Nowpayments,
        "ipn-secret",
        &[("x-nowpayments-sig", sig)],
        body,
        NOW,
    );
    assert_eq!(got, Ok("6001:partially_paid".to_owned()));
}

#[test]
fn nowpayments_refuses_a_changed_amount_or_another_secret() {
    let changed = NOW_BODY.replace("19.99", "1.99");
    let sig = [("x-nowpayments-sig", NOW_SIG_ALLOW_LIST)];
    assert_eq!(
        check(Provider::Nowpayments, "ipn-secret", &sig, &changed, NOW),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        check(Provider::Nowpayments, "other", &sig, NOW_BODY, NOW),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        check(Provider::Nowpayments, "ipn-secret", &sig, "not json", NOW),
        Err(Rejection::NotJson)
    );
}
