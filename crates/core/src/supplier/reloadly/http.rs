//! Requests to a Reloadly API: the bearer token and the versioned `Accept` header on
//! every call, one refresh of the token when the API calls it expired or invalid, and
//! Reloadly's errors (`{errorCode, message}`; 429 with `X-RateLimit-Reset`) typed.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::token::{Auth, TokenCache};
use crate::http_body;
use crate::supplier::wholesale::{config_error, json_error, read_body, transport_error};
use crate::supplier::{RejectReason, SupplierError};

pub(super) struct Api {
    pub http: reqwest::Client,
    pub base: reqwest::Url,
    pub accept: &'static str,
    pub auth: Auth,
    pub tokens: TokenCache,
}

/// An error answer, read without quoting anything but the supplier's own words.
#[derive(Debug)]
pub(super) struct ApiError {
    pub status: StatusCode,
    pub code: Option<String>,
    pub message: String,
    pub retry_after: Option<Duration>,
    /// Spring's own 404 (`{status, error, path}`): no such route, so a wrong URL.
    pub no_route: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    error_code: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

/// `X-RateLimit-Reset` in seconds (or as a Unix time), else `Retry-After`.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let reset = number("x-ratelimit-reset").map(|r| {
        if r > 1_000_000_000 {
            let now = chrono::Utc::now().timestamp().max(0) as u64;
            r.saturating_sub(now)
        } else {
            r
        }
    });
    reset
        .or_else(|| number("retry-after"))
        .map(Duration::from_secs)
}

pub(super) async fn read_error(response: Response) -> ApiError {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = http_body::read_capped(response, http_body::ERROR_LIMIT)
        .await
        .unwrap_or_default();
    let envelope: Option<Envelope> = serde_json::from_slice(&body).ok();
    let no_route = status == StatusCode::NOT_FOUND
        && envelope
            .as_ref()
            .is_none_or(|e| e.error_code.is_none() && e.message.is_none());
    let (code, message) = match envelope {
        Some(e) => (
            e.error_code.filter(|c| !c.is_empty()),
            e.message.or(e.error).unwrap_or_default(),
        ),
        None => (None, String::new()),
    };
    ApiError {
        status,
        code,
        message: if message.is_empty() {
            format!("HTTP {status}")
        } else {
            message
        },
        retry_after,
        no_route,
    }
}

/// What the caller may do after an error answer.
pub(super) fn classify(e: ApiError) -> SupplierError {
    let status = e.status.as_u16();
    match (status, e.code.as_deref()) {
        (401 | 403, _) => config_error(format!(
            "the supplier refused the credentials: {}",
            e.message
        )),
        (406, _) => config_error(format!(
            "the supplier refused the API version: {}",
            e.message
        )),
        (429, _) => SupplierError::Retryable {
            retry_after: e.retry_after,
            message: format!("rate limited: {}", e.message),
        },
        (404, _) if e.no_route => config_error(format!(
            "the supplier URL looks wrong: HTTP 404 without a Reloadly error ({})",
            e.message
        )),
        (500..=599, _) => SupplierError::Ambiguous {
            message: format!("supplier error {status}: {}", e.message),
        },
        (400..=499, Some("INSUFFICIENT_BALANCE")) => SupplierError::Rejected {
            reason: RejectReason::InsufficientBalance,
            message: e.message,
        },
        (400..=499, Some("CUSTOM_IDENTIFIER_ALREADY_USED")) => SupplierError::Rejected {
            reason: RejectReason::IdempotencyConflict,
            message: e.message,
        },
        (400..=499, Some(code)) => SupplierError::Rejected {
            reason: RejectReason::Other(code.to_ascii_lowercase()),
            message: e.message,
        },
        (400..=499, None) => SupplierError::Rejected {
            reason: RejectReason::InvalidRequest,
            message: e.message,
        },
        _ => SupplierError::Ambiguous {
            message: format!("unexpected HTTP {status} from the supplier: {}", e.message),
        },
    }
}

/// A body that did not parse: its kind and position, never its values.
pub(super) fn unreadable(what: &str, e: &serde_json::Error) -> SupplierError {
    SupplierError::Ambiguous {
        message: format!("the supplier sent an unreadable {what}: {}", json_error(e)),
    }
}

impl Api {
    /// Sends a request with the current token; a 401 that says the token expired or
    /// is invalid fetches a new one and sends once more (a 401 means the request was
    /// not processed, so this is safe for an order too).
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Response, SupplierError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| config_error(format!("supplier URL for {path}: {e}")))?;
        let mut refreshed = false;
        loop {
            let token = self.tokens.get(&self.auth).await?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose())
                .header(header::ACCEPT, self.accept);
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(b) = body {
                request = request.json(b);
            }
            let response = request.send().await.map_err(|e| transport_error(&e))?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let error = read_error(response).await;
            let stale = matches!(
                error.code.as_deref(),
                Some("TOKEN_EXPIRED" | "INVALID_TOKEN")
            );
            if stale && !refreshed {
                tracing::debug!(code = ?error.code, "token refused; fetching a new one");
                self.tokens.discard(&token).await;
                refreshed = true;
                continue;
            }
            return Err(classify(error));
        }
    }

    /// A GET answered with JSON of type `T`.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, SupplierError> {
        let response = self.call(Method::GET, path, query, None).await?;
        json(response, what).await
    }
}

/// The body of a successful answer as `T`, or the error the answer carries.
pub(super) async fn json<T: DeserializeOwned>(
    response: Response,
    what: &str,
) -> Result<T, SupplierError> {
    if !response.status().is_success() {
        return Err(classify(read_error(response).await));
    }
    let bytes = read_body(response).await?;
    serde_json::from_slice(&bytes).map_err(|e| unreadable(what, &e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn error(status: u16, code: Option<&str>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap(),
            code: code.map(str::to_string),
            message: "m".into(),
            retry_after: None,
            no_route: false,
        }
    }

    #[test]
    fn reloadly_errors_are_typed() {
        use SupplierError::*;
        assert!(matches!(
            classify(error(401, Some("INVALID_CREDENTIALS"))),
            Configuration { .. }
        ));
        assert!(matches!(classify(error(406, None)), Configuration { .. }));
        assert!(matches!(classify(error(500, None)), Ambiguous { .. }));
        assert!(matches!(
            classify(error(429, Some("TOO_MANY_REQUESTS"))),
            Retryable { .. }
        ));
        assert!(matches!(
            classify(error(400, Some("INSUFFICIENT_BALANCE"))),
            Rejected {
                reason: RejectReason::InsufficientBalance,
                ..
            }
        ));
        assert!(matches!(
            classify(error(400, None)),
            Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }
        ));
        assert!(matches!(
            classify(error(404, Some("COUNTRY_NOT_SUPPORTED"))),
            Rejected { reason: RejectReason::Other(c), .. } if c == "country_not_supported"
        ));
        let mut route = error(404, None);
        route.no_route = true;
        assert!(matches!(classify(route), Configuration { .. }));
    }

    #[test]
    fn rate_limit_reset_is_seconds_or_a_unix_time() {
        let mut h = header::HeaderMap::new();
        h.insert("x-ratelimit-reset", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let at = chrono::Utc::now().timestamp() + 5;
        h.insert("x-ratelimit-reset", at.to_string().parse().unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait <= Duration::from_secs(5) && wait >= Duration::from_secs(3),
            "{wait:?}"
        );
    }
}
