//! The desktop's reading of a relayed event (`remote::events::read`): the payload
//! the relay passed on verbatim, with the provider and type the relay read.
//!
//! What must hold, beyond never panicking: only Stripe's two checkout events,
//! BTCPay's `InvoiceSettled`, NOWPayments' finished or partially paid payments and
//! Razorpay's paid or partially paid links are ever a payment claim; a claim's ids and amount
//! are exactly the payload's, read at the documented paths (an amount only when
//! both it and the currency are there, and only if it is a whole number that
//! fits); anything else is ignored or unreadable, with a reason.

use codetill_core::payments::ProviderKind;
use codetill_core::remote::events::{Reading, read};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::driver::Target;
use crate::hostile::{self, Json, extra_fields, field, json, number_text, object, short_text};

pub struct Events;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventCase {
    pub provider: String,
    pub event_type: Option<String>,
    pub payload: String,
}

const TYPES: &[&str] = &[
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
    "InvoiceSettled",
    "InvoiceCreated",
    "payment.captured",
    "payment_link.paid",
    "payment_link.partially_paid",
    "finished",
    "partially_paid",
    "waiting",
    "",
];

fn stripe_payload() -> BoxedStrategy<Json> {
    let amount = prop_oneof![
        3 => number_text().prop_map(|n| Some(Json::Num(n))),
        1 => field(hostile::amount_text()),
    ];
    (
        field(short_text()),
        field(short_text()),
        amount,
        field(short_text()),
        field(short_text()),
        field(short_text()),
        extra_fields(&["id", "amount_total"]),
    )
        .prop_map(|(id, cref, amount, currency, status, order, extra)| {
            let metadata = order.map(|o| Json::Obj(vec![("order_id".into(), o)]));
            let obj = object(
                vec![
                    ("id", id),
                    ("client_reference_id", cref),
                    ("amount_total", amount),
                    ("currency", currency),
                    ("payment_status", status),
                    ("metadata", metadata),
                ],
                extra,
            );
            object(
                vec![("data", Some(Json::Obj(vec![("object".into(), obj)])))],
                vec![],
            )
        })
        .boxed()
}

fn btcpay_payload() -> BoxedStrategy<Json> {
    (
        field(short_text()),
        field(short_text()),
        extra_fields(&["invoiceId"]),
    )
        .prop_map(|(inv, order, extra)| {
            let metadata = order.map(|o| Json::Obj(vec![("orderId".into(), o)]));
            object(vec![("invoiceId", inv), ("metadata", metadata)], extra)
        })
        .boxed()
}

impl Target for Events {
    const NAME: &'static str = "relay-events";
    type Input = EventCase;

    fn inputs() -> BoxedStrategy<EventCase> {
        let provider = prop_oneof![
            4 => proptest::sample::select(vec!["stripe", "btcpay", "nowpayments", "razorpay"]).prop_map(str::to_owned),
            1 => short_text(),
        ];
        let event_type = prop_oneof![
            4 => proptest::sample::select(TYPES).prop_map(|t| Some(t.to_owned())),
            1 => proptest::option::of(short_text()),
        ];
        let payload = prop_oneof![
            3 => stripe_payload().prop_map(|j| j.to_text()),
            3 => btcpay_payload().prop_map(|j| j.to_text()),
            1 => json().prop_map(|j| j.to_text()),
            1 => hostile::wild_bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ];
        (provider, event_type, payload)
            .prop_map(|(provider, event_type, payload)| EventCase {
                provider,
                event_type,
                payload,
            })
            .boxed()
    }

    fn check(case: &EventCase) -> Result<(), String> {
        let reading = read(&case.provider, case.event_type.as_deref(), &case.payload);
        let t = case.event_type.as_deref().unwrap_or("");
        let pays = matches!(
            (case.provider.as_str(), t),
            (
                "stripe",
                "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            ) | ("btcpay", "InvoiceSettled")
                | ("nowpayments", "finished" | "partially_paid")
                | (
                    "razorpay",
                    "payment_link.paid" | "payment_link.partially_paid"
                )
        );
        let json: Option<Value> = serde_json::from_str(&case.payload).ok();
        let at = |path: &str| -> Option<String> {
            json.as_ref()?.pointer(path)?.as_str().map(str::to_owned)
        };
        match reading {
            Reading::Paid(claim) => {
                if !pays {
                    return Err(format!("{} {t:?} read as a payment", case.provider));
                }
                match claim.provider {
                    ProviderKind::Stripe => {
                        if Some(&claim.external_id) != at("/data/object/id").as_ref() {
                            return Err("stripe: external id is not data.object.id".into());
                        }
                        let order = at("/data/object/client_reference_id")
                            .or_else(|| at("/data/object/metadata/order_id"));
                        if claim.order_ref != order {
                            return Err(format!(
                                "stripe: order ref {:?}, payload {order:?}",
                                claim.order_ref
                            ));
                        }
                        let amount = json
                            .as_ref()
                            .and_then(|j| j.pointer("/data/object/amount_total"))
                            .and_then(Value::as_i64);
                        let expected = amount.zip(at("/data/object/currency"));
                        if claim.amount_minor != expected {
                            return Err(format!(
                                "stripe: amount {:?}, payload {expected:?}",
                                claim.amount_minor
                            ));
                        }
                        if claim.payment_status != at("/data/object/payment_status") {
                            return Err("stripe: payment status differs from the payload".into());
                        }
                    }
                    ProviderKind::Nowpayments => {
                        // Ids may be numbers or strings; the price must be read exactly.
                        if claim.payment_id.is_none() || claim.amount_minor.is_none() {
                            return Err("nowpayments: a payment without its id or price".into());
                        }
                        if claim.order_ref != at("/order_id") {
                            return Err("nowpayments: order ref not from the payload".into());
                        }
                    }
                    ProviderKind::Razorpay => {
                        let link = "/payload/payment_link/entity";
                        if Some(&claim.external_id) != at(&format!("{link}/id")).as_ref()
                            || claim.order_ref != at(&format!("{link}/reference_id"))
                        {
                            return Err(
                                "razorpay: link id or reference not from the payload".into()
                            );
                        }
                    }
                    ProviderKind::Btcpay => {
                        if Some(&claim.external_id) != at("/invoiceId").as_ref() {
                            return Err("btcpay: external id is not invoiceId".into());
                        }
                        if claim.order_ref != at("/metadata/orderId")
                            || claim.amount_minor.is_some()
                        {
                            return Err("btcpay: order ref or amount not from the payload".into());
                        }
                    }
                }
                Ok(())
            }
            Reading::Ignored(why) | Reading::Unreadable(why) if why.is_empty() => {
                Err("a reading without a reason".into())
            }
            Reading::Ignored(_) if pays && json.is_some() => {
                Err("a paying event type was ignored".into())
            }
            Reading::Unreadable(_) if !pays && json.is_some() => {
                Err("an event that cannot pay was called unreadable".into())
            }
            Reading::Ignored(_) | Reading::Unreadable(_) => Ok(()),
        }
    }
}
