//! Reloadly's error envelope `{timeStamp, message, path, errorCode, infoLink,
//! details}`, and Spring's own `{timestamp, status, error, path}` for unknown routes.
//! Handlers return an [`RlError`]; [`finish`] writes it with the request's path.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

#[derive(Debug, Clone)]
pub(crate) struct RlError {
    pub status: StatusCode,
    /// Reloadly leaves it `null` for many refusals ("Invalid price", a missing product).
    pub error_code: Option<&'static str>,
    pub message: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl RlError {
    pub(crate) fn new(
        status: StatusCode,
        error_code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        RlError {
            status,
            error_code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn bad_request(
        error_code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error_code, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, message)
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<HeaderValue>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }
}

impl IntoResponse for RlError {
    /// The body is written by [`finish`], which knows the path.
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Writes an [`RlError`] as the envelope, with the path it was asked on.
pub(crate) async fn finish(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    let Some(error) = response.extensions_mut().remove::<RlError>() else {
        return response;
    };
    let body = json!({
        "timeStamp": Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        "message": error.message,
        "path": path,
        "errorCode": error.error_code,
        "infoLink": error.error_code.map(|_| "https://developers.reloadly.com"),
        "details": [],
    });
    let mut out = (error.status, Json(body)).into_response();
    for (name, value) in error.headers {
        out.headers_mut().insert(name, value);
    }
    out
}

fn spring(status: StatusCode, path: &str) -> Response {
    let body = json!({
        "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or(""),
        "path": path,
    });
    (status, Json(body)).into_response()
}

pub(crate) async fn spring_not_found(uri: axum::http::Uri) -> Response {
    spring(StatusCode::NOT_FOUND, uri.path())
}

pub(crate) async fn spring_method_not_allowed(uri: axum::http::Uri) -> Response {
    spring(StatusCode::METHOD_NOT_ALLOWED, uri.path())
}
