//! What the real suppliers' flavors (`bamboo`, `ding`) share: JSON numbers for
//! money, the latency and order faults as `/v1` has them, and Basic auth.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::faults::{FaultKind, FaultRule};
use crate::server::ConnectionHandle;
use crate::state::{SandboxState, lock};

/// A money amount as the JSON number these suppliers send (`20`, `18.4`).
pub(crate) fn num(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return i.into();
    }
    d.to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A JSON number or numeric string read back into a decimal, from its shortest form.
pub(crate) fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The configured latency, as every `/v1` request gets it.
pub(crate) async fn latency(state: &SandboxState) {
    let latency = *lock(&state.inner().latency);
    if let Some(d) = latency.sample() {
        tokio::time::sleep(d).await;
    }
}

/// The order-creating faults act after the order was handled: answer 500 or close
/// the connection instead of `answer`.
pub(crate) async fn after_fault(
    fault: Option<&FaultRule>,
    connection: Option<ConnectionHandle>,
    answer: Response,
) -> Response {
    match fault.map(|f| (f.kind, f.status)) {
        Some((FaultKind::CreateThen500, status)) => ApiError::new(
            ErrorCode::Internal,
            "fault: internal server error after processing the order",
        )
        .with_status(status.and_then(|s| StatusCode::from_u16(s).ok()))
        .into_response(),
        Some((FaultKind::CreateThenDrop, _)) => crate::routes::drop_connection(connection).await,
        _ => answer,
    }
}

/// Base64 (standard alphabet, padded), for checking HTTP Basic credentials.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
            (
                "sandbox-client:sandbox-key",
                "c2FuZGJveC1jbGllbnQ6c2FuZGJveC1rZXk=",
            ),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn amounts_are_json_numbers() {
        assert_eq!(num(Decimal::new(2000, 2)).to_string(), "20");
        assert_eq!(num(Decimal::new(1840, 2)).to_string(), "18.4");
        assert_eq!(
            decimal(&num(Decimal::new(1840, 2))),
            Some(Decimal::new(184, 1))
        );
    }
}
