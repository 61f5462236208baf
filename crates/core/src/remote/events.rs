//! What a provider's event says, read from the payload the relay passed on verbatim.
//! Only the events that can pay a remote order are understood; the rest are ignored.

use serde_json::Value;

use crate::money::{Currency, Money, parse_decimal};
use crate::payments::ProviderKind;

/// A provider's claim that a payment link was paid. Nothing here is trusted until
/// the provider's API says the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidClaim {
    pub provider: ProviderKind,
    /// The payment link's id: checkout session / invoice / payment link id.
    pub external_id: String,
    /// The payment's own id where the provider's API reads it by that and not by
    /// the link's (NOWPayments' `payment_id`).
    pub payment_id: Option<String>,
    /// Our public order id, as the provider echoes it.
    pub order_ref: Option<String>,
    /// (minor units, currency) when the event carries an amount (Stripe, Razorpay,
    /// NOWPayments' price).
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
    let id = |v: &Value, path: &str| match v.pointer(path) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
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
                payment_id: None,
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
                payment_id: None,
                order_ref: text(&json, "/metadata/orderId"),
                amount_minor: None,
                payment_status: None,
            })
        }
        // An IPN per status change; the relay names the event by its status.
        ("nowpayments", "finished" | "partially_paid") => {
            let Some(payment_id) = id(&json, "/payment_id") else {
                return Reading::Unreadable("no payment_id".into());
            };
            let Some(invoice) = id(&json, "/invoice_id") else {
                return Reading::Unreadable(format!(
                    "payment {payment_id} names no invoice: it is not one of our payment links"
                ));
            };
            // The price as the event states it, exact in the currency's minor units.
            let currency = text(&json, "/price_currency").unwrap_or_default();
            let price = match json.pointer("/price_amount") {
                Some(Value::String(s)) => parse_decimal(s).ok(),
                Some(Value::Number(n)) => parse_decimal(&n.to_string()).ok(),
                _ => None,
            };
            let minor = price
                .zip(Currency::parse(&currency).ok())
                .and_then(|(p, c)| Money::new(p, c).to_minor().ok());
            let Some(minor) = minor else {
                return Reading::Unreadable(format!(
                    "payment {payment_id}: price {:?} {currency:?} is no amount of a known currency",
                    json.pointer("/price_amount")
                ));
            };
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Nowpayments,
                external_id: invoice,
                payment_id: Some(payment_id),
                order_ref: text(&json, "/order_id"),
                amount_minor: Some((minor, currency)),
                payment_status: text(&json, "/payment_status"),
            })
        }
        ("nowpayments", status) => Reading::Ignored(format!(
            "NOWPayments payment {status:?}: not final, or nothing paid"
        )),
        // Our links take no partial payments; one that says so is held after the
        // re-read, like any other doubtful payment.
        ("razorpay", "payment_link.paid" | "payment_link.partially_paid") => {
            let link = "/payload/payment_link/entity";
            let Some(id) = text(&json, &format!("{link}/id")) else {
                return Reading::Unreadable("no payload.payment_link.entity.id".into());
            };
            let amount = json
                .pointer(&format!("{link}/amount"))
                .and_then(Value::as_i64);
            let currency = text(&json, &format!("{link}/currency"));
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Razorpay,
                external_id: id,
                payment_id: None,
                order_ref: text(&json, &format!("{link}/reference_id")),
                amount_minor: amount.zip(currency),
                payment_status: text(&json, &format!("{link}/status")),
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
                payment_id: None,
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
            read("paypal", Some("PAYMENT.CAPTURE.COMPLETED"), "{}"),
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

    #[test]
    fn nowpayments_finished_and_partial_are_claims_the_rest_ignored() {
        let mut ipn = json!({"payment_id": 5077125051u64, "invoice_id": 4522625843u64,
            "payment_status": "finished", "pay_address": "bc1q", "price_amount": 21.99,
            "price_currency": "usd", "pay_amount": 0.00034151, "actually_paid": 0.00034151,
            "pay_currency": "btc", "order_id": "ORD-000003", "order_description": "Steam",
            "outcome_amount": 0.000339, "outcome_currency": "btc"});
        assert_eq!(
            read("nowpayments", Some("finished"), &ipn.to_string()),
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Nowpayments,
                external_id: "4522625843".into(),
                payment_id: Some("5077125051".into()),
                order_ref: Some("ORD-000003".into()),
                amount_minor: Some((2199, "usd".into())),
                payment_status: Some("finished".into()),
            })
        );
        assert!(matches!(
            read("nowpayments", Some("partially_paid"), &ipn.to_string()),
            Reading::Paid(_)
        ));
        for status in [
            "waiting",
            "confirming",
            "confirmed",
            "sending",
            "failed",
            "expired",
            "refunded",
        ] {
            assert!(
                matches!(
                    read("nowpayments", Some(status), &ipn.to_string()),
                    Reading::Ignored(_)
                ),
                "{status}"
            );
        }
        // A price with more decimals than the currency has is no price of ours.
        ipn["price_amount"] = json!(21.999);
        assert!(matches!(
            read("nowpayments", Some("finished"), &ipn.to_string()),
            Reading::Unreadable(_)
        ));
        ipn["price_amount"] = json!("21.99");
        ipn["invoice_id"] = Value::Null;
        assert!(matches!(
            read("nowpayments", Some("finished"), &ipn.to_string()),
            Reading::Unreadable(_)
        ));
    }

    #[test]
    fn razorpay_link_paid_is_read_and_payment_events_ignored() {
        let event = json!({"entity": "event", "account_id": "acc_1", "event": "payment_link.paid",
            "contains": ["payment_link", "order", "payment"], "created_at": 1_700_000_000,
            "payload": {
                "payment_link": {"entity": {"id": "plink_Ab12", "reference_id": "ORD-000004",
                    "amount": 189950, "amount_paid": 189950, "currency": "INR", "status": "paid"}},
                "payment": {"entity": {"id": "pay_1", "amount": 189950, "currency": "INR", "status": "captured"}},
                "order": {"entity": {"id": "order_1", "amount": 189950, "amount_paid": 189950}}}});
        assert_eq!(
            read("razorpay", Some("payment_link.paid"), &event.to_string()),
            Reading::Paid(PaidClaim {
                provider: ProviderKind::Razorpay,
                external_id: "plink_Ab12".into(),
                payment_id: None,
                order_ref: Some("ORD-000004".into()),
                amount_minor: Some((189950, "INR".into())),
                payment_status: Some("paid".into()),
            })
        );
        for ignored in ["payment.captured", "order.paid", "payment_link.expired"] {
            assert!(
                matches!(
                    read("razorpay", Some(ignored), &event.to_string()),
                    Reading::Ignored(_)
                ),
                "{ignored}"
            );
        }
        assert!(matches!(
            read("razorpay", Some("payment_link.paid"), r#"{"payload":{}}"#),
            Reading::Unreadable(_)
        ));
    }
}
