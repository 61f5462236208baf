//! What a provider's event says, read from the payload the relay passed on verbatim.
//! Only the events that can pay a remote order are understood; the rest are ignored.

use serde_json::Value;

use crate::payments::ProviderKind;

/// A provider's claim that a payment link was paid. Nothing here is trusted until
/// the provider's API says the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidClaim {
    pub provider: ProviderKind,
    /// Checkout session id / invoice id.
    pub external_id: String,
    /// Our public order id, as the provider echoes it.
    pub order_ref: Option<String>,
    /// (minor units, currency) when the event carries an amount (Stripe).
    pub amount_minor: Option<(i64, String)>,
    /// Stripe's `payment_status` in the event, when present.
    pub payment_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    Paid(PaidClaim),
    /// Not about a payment codetill acts on.
    Ignored(String),
    /// Claims to be a payment, but cannot be read: a person must look.
    Unreadable(String),
}

pub fn read(provider: &str, event_type: Option<&str>, payload: &str) -> Reading {
    let event_type = event_type.unwrap_or("");
    let json: Value = match serde_json::from_str(payload) {
        Ok(v) => v,
        Err(e) => return Reading::Unreadable(format!("the payload is not JSON: {e}")),
    };
    let text = |v: &Value, path: &str| v.pointer(path).and_then(Value::as_str).map(str::to_string);
    match (provider, event_type) {
        ("stripe", "checkout.session.completed" | "checkout.session.async_payment_succeeded") => {
            let Some(id) = text(&json, "/data/object/id") else {
                return Reading::Unreadable("no data.object.id (checkout session)".into());
            };
            let amount = json
                .pointer("/data/object/amount_total")
                .and_then(Value::as_i64);
            let currency = text(&json, "/data/object/currency");
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Stripe,
                external_id: id,
                order_ref: text(&json, "/data/object/client_reference_id")
                    .or_else(|| text(&json, "/data/object/metadata/order_id")),
                amount_minor: amount.zip(currency),
                payment_status: text(&json, "/data/object/payment_status"),
            })
        }
        ("btcpay", "InvoiceSettled") => {
            let Some(id) = text(&json, "/invoiceId") else {
                return Reading::Unreadable("no invoiceId".into());
            };
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Btcpay,
                external_id: id,
                order_ref: text(&json, "/metadata/orderId"),
                amount_minor: None,
                payment_status: None,
            })
        }
        (p, t) => Reading::Ignored(format!("{p} event {t:?} does not pay a remote order")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stripe_checkout_completed_is_read() {
        let payload = json!({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {
            "id": "cs_test_1", "client_reference_id": "ORD-000001", "amount_total": 2199,
            "currency": "usd", "payment_status": "paid"}}});
        let r = read(
            "stripe",
            Some("checkout.session.completed"),
            &payload.to_string(),
        );
        assert_eq!(
            r,
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Stripe,
                external_id: "cs_test_1".into(),
                order_ref: Some("ORD-000001".into()),
                amount_minor: Some((2199, "usd".into())),
                payment_status: Some("paid".into()),
            })
        );
    }

    #[test]
    fn btcpay_settled_is_read_and_others_ignored() {
        let payload = json!({"type": "InvoiceSettled", "invoiceId": "inv_1", "metadata": {"orderId": "ORD-000002"}});
        match read("btcpay", Some("InvoiceSettled"), &payload.to_string()) {
            Reading::Paid(c) => {
                assert_eq!(c.external_id, "inv_1");
                assert_eq!(c.order_ref.as_deref(), Some("ORD-000002"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read("btcpay", Some("InvoiceCreated"), &payload.to_string()),
            Reading::Ignored(_)
        ));
        assert!(matches!(
            read("razorpay", Some("payment.captured"), "{}"),
            Reading::Ignored(_)
        ));
        assert!(matches!(
            read(
                "stripe",
                Some("checkout.session.completed"),
                "{\"data\":{}}"
            ),
            Reading::Unreadable(_)
        ));
    }
}
