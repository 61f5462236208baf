//! The gate in front of every `/v1` route: latency, bearer auth, counting, then
//! fault injection. Faults that replace the answer act here; the ones that need
//! the order to be processed first are handed to the handler as a [`FiredFault`].

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::faults::{Endpoint, FaultKind, FaultRule};
use crate::server::ConnectionHandle;
use crate::state::{CounterCells, SandboxState, lock};

/// A fault that fired for this request and must act inside the handler.
#[derive(Debug, Clone)]
pub(crate) struct FiredFault(pub FaultRule);

pub(crate) fn classify(method: &Method, path: &str) -> Option<Endpoint> {
    let path = path.trim_end_matches('/');
    match (method, path) {
        (&Method::GET, "/v1/catalog") => Some(Endpoint::Catalog),
        (&Method::GET, "/v1/balance") => Some(Endpoint::Balance),
        (&Method::POST, "/v1/orders") => Some(Endpoint::OrdersCreate),
        (&Method::GET, "/v1/orders") => Some(Endpoint::OrdersGet),
        (&Method::GET, p) if p.starts_with("/v1/stock/") => Some(Endpoint::Stock),
        (&Method::GET, p) if p.starts_with("/v1/orders/") => Some(Endpoint::OrdersGet),
        _ => None,
    }
}

fn authorized(state: &SandboxState, req: &Request) -> bool {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && token.trim() == state.inner().api_key
}

fn status(code: Option<u16>) -> Option<StatusCode> {
    code.and_then(|c| StatusCode::from_u16(c).ok())
}

pub(crate) async fn v1_gate(
    State(state): State<SandboxState>,
    req: Request,
    next: Next,
) -> Response {
    let latency = *lock(&state.inner().latency);
    if let Some(d) = latency.sample() {
        tokio::time::sleep(d).await;
    }
    if !authorized(&state, &req) {
        return ApiError::new(ErrorCode::Unauthorized, "missing or invalid API key")
            .into_response();
    }
    let Some(endpoint) = classify(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    with_faults(&state, endpoint, req, next, v1_fault).await
}

/// How a flavor words a fault that answers with an error (500, 503 or 429): each
/// supplier has its own error body.
pub(crate) type FaultAnswer = fn(&FaultRule) -> Response;

/// Wholesale API v1's error body for a fault (Bamboo and Ding answer the same way).
pub(crate) fn v1_fault(rule: &FaultRule) -> Response {
    match rule.kind {
        FaultKind::Error500 => ApiError::new(ErrorCode::Internal, "fault: internal server error")
            .with_status(status(rule.status))
            .into_response(),
        FaultKind::Error503 => ApiError::new(ErrorCode::Unavailable, "fault: service unavailable")
            .with_status(status(rule.status))
            .into_response(),
        _ => ApiError::rate_limited(rule.retry_after_s)
            .with_status(status(rule.status))
            .into_response(),
    }
}

/// Counts the request and fires the first fault rule that matches `endpoint`: the
/// part of the gate every flavor shares (each has its own auth and paths).
pub(crate) async fn with_faults(
    state: &SandboxState,
    endpoint: Endpoint,
    mut req: Request,
    next: Next,
    answer: FaultAnswer,
) -> Response {
    state.count_request(endpoint);
    let fired = lock(&state.inner().faults).fire(endpoint);
    let Some(rule) = fired else {
        return next.run(req).await;
    };
    CounterCells::bump(&state.inner().counters.faults_fired);
    tracing::info!(rule = rule.id, kind = ?rule.kind, ?endpoint, "fault fired");
    match rule.kind {
        FaultKind::Error500 | FaultKind::Error503 | FaultKind::RateLimit => answer(&rule),
        FaultKind::Drop => {
            let handle = req.extensions().get::<ConnectionHandle>().cloned();
            super::drop_connection(handle).await
        }
        FaultKind::Delay => {
            tokio::time::sleep(rule.hold()).await;
            next.run(req).await
        }
        FaultKind::CreateThen500 | FaultKind::CreateThenDrop | FaultKind::HoldThenCreate => {
            req.extensions_mut().insert(FiredFault(rule));
            next.run(req).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_contract_paths() {
        assert_eq!(
            classify(&Method::GET, "/v1/catalog"),
            Some(Endpoint::Catalog)
        );
        assert_eq!(
            classify(&Method::GET, "/v1/stock/STEAM-US-20"),
            Some(Endpoint::Stock)
        );
        assert_eq!(
            classify(&Method::GET, "/v1/balance"),
            Some(Endpoint::Balance)
        );
        assert_eq!(
            classify(&Method::POST, "/v1/orders"),
            Some(Endpoint::OrdersCreate)
        );
        assert_eq!(
            classify(&Method::GET, "/v1/orders/ct-1"),
            Some(Endpoint::OrdersGet)
        );
        assert_eq!(classify(&Method::DELETE, "/v1/orders/ct-1"), None);
    }
}
