//! The gate in front of every Reloadly API route: latency, token and `Accept`
//! checks, counting, then the sandbox's fault book, with Reloadly's answers (the
//! envelope; 429 with `X-RateLimit-*`).

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::auth::TokenCheck;
use super::envelope::RlError;
use super::{GIFTCARDS_ACCEPT, TOPUPS_ACCEPT};
use crate::config::Flavor;
use crate::faults::{Endpoint, FaultKind, FaultRule};
use crate::routes::gate::with_faults;
use crate::state::{SandboxState, lock};

/// Which sandbox endpoint (for counters and fault rules) a Reloadly route is.
pub(crate) fn classify(method: &Method, path: &str) -> Option<Endpoint> {
    let path = path.trim_end_matches('/');
    match (method, path) {
        (&Method::GET, "/products" | "/operators") => Some(Endpoint::Catalog),
        (&Method::GET, p) if p.starts_with("/products/") || p.starts_with("/operators/") => {
            Some(Endpoint::Stock)
        }
        (&Method::GET, "/accounts/balance") => Some(Endpoint::Balance),
        (&Method::POST, "/orders" | "/topups" | "/topups-async") => Some(Endpoint::OrdersCreate),
        (&Method::GET, p)
            if p.starts_with("/reports/transactions")
                || p.starts_with("/orders/transactions/")
                || p.starts_with("/topups/") =>
        {
            Some(Endpoint::OrdersGet)
        }
        _ => None,
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn status(code: Option<u16>, default: StatusCode) -> StatusCode {
    code.and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(default)
}

pub(crate) async fn gate(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    let latency = *lock(&state.inner().latency);
    if let Some(d) = latency.sample() {
        tokio::time::sleep(d).await;
    }
    let check = match bearer(&req) {
        None => TokenCheck::Invalid,
        Some(t) => lock(&state.inner().reloadly.tokens).check(t, Utc::now()),
    };
    match check {
        TokenCheck::Valid => {}
        TokenCheck::Expired => {
            return RlError::new(
                StatusCode::UNAUTHORIZED,
                Some("TOKEN_EXPIRED"),
                "Token expired",
            )
            .into_response();
        }
        TokenCheck::Invalid => {
            return RlError::new(
                StatusCode::UNAUTHORIZED,
                Some("INVALID_TOKEN"),
                "Full authentication is required to access this resource",
            )
            .into_response();
        }
    }
    let wanted = if state.flavor() == Flavor::ReloadlyAirtime {
        TOPUPS_ACCEPT
    } else {
        GIFTCARDS_ACCEPT
    };
    let accepted = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == wanted));
    if !accepted {
        return RlError::new(
            StatusCode::NOT_ACCEPTABLE,
            None,
            format!("Accept must be {wanted}"),
        )
        .into_response();
    }
    let Some(endpoint) = classify(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    with_faults(&state, endpoint, req, next, fault).await
}

/// Reloadly's error envelope for a fault, with its rate-limit headers on a 429.
fn fault(rule: &FaultRule) -> Response {
    match rule.kind {
        FaultKind::Error500 => RlError::new(
            status(rule.status, StatusCode::INTERNAL_SERVER_ERROR),
            None,
            "fault: internal server error",
        )
        .into_response(),
        FaultKind::Error503 => RlError::new(
            status(rule.status, StatusCode::SERVICE_UNAVAILABLE),
            None,
            "fault: service unavailable",
        )
        .into_response(),
        _ => RlError::new(
            status(rule.status, StatusCode::TOO_MANY_REQUESTS),
            Some("TOO_MANY_REQUESTS"),
            "Too many requests",
        )
        .with_header("x-ratelimit-limit", 100u32)
        .with_header("x-ratelimit-remaining", 0u32)
        .with_header("x-ratelimit-reset", rule.retry_after_s)
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_reloadly_paths() {
        assert_eq!(classify(&Method::GET, "/products"), Some(Endpoint::Catalog));
        assert_eq!(classify(&Method::GET, "/products/7"), Some(Endpoint::Stock));
        assert_eq!(
            classify(&Method::POST, "/orders"),
            Some(Endpoint::OrdersCreate)
        );
        assert_eq!(
            classify(&Method::GET, "/reports/transactions"),
            Some(Endpoint::OrdersGet)
        );
        assert_eq!(
            classify(&Method::GET, "/orders/transactions/3/cards"),
            Some(Endpoint::OrdersGet)
        );
        assert_eq!(
            classify(&Method::POST, "/topups-async"),
            Some(Endpoint::OrdersCreate)
        );
        assert_eq!(
            classify(&Method::GET, "/topups/3/status"),
            Some(Endpoint::OrdersGet)
        );
        assert_eq!(classify(&Method::DELETE, "/orders"), None);
    }
}
