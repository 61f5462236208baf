//! HTTP routes: the contract (`v1`), the gate every `/v1` request passes
//! (`gate`), and the scripting controls (`controls`).

pub(crate) mod controls;
pub(crate) mod gate;
pub(crate) mod v1;

use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::server::ConnectionHandle;

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

pub(crate) async fn method_not_allowed() -> Response {
    let mut e = ApiError::invalid("method not allowed on this endpoint");
    e.status = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    e.into_response()
}

/// Close the request's connection without answering. Requests that did not come
/// through our accept loop (in-process `oneshot` tests) have no connection to
/// close; they get a 500 that says so instead.
pub(crate) async fn drop_connection(handle: Option<ConnectionHandle>) -> Response {
    match handle {
        Some(h) => {
            h.drop_connection();
            // The connection task drops this future along with the connection.
            std::future::pending::<Response>().await
        }
        None => ApiError::new(
            ErrorCode::Internal,
            "fault: connection dropped (no real connection to drop in-process)",
        )
        .into_response(),
    }
}
