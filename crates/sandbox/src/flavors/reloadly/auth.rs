//! `POST /oauth/token`: client credentials for a token that expires after
//! `expires_in` seconds (settable, to test refreshing), audience checked against the
//! host the request came to.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CLIENT_ID;
use super::envelope::RlError;
use crate::state::{SandboxState, lock};

#[derive(Default)]
pub(crate) struct Tokens {
    live: HashMap<String, DateTime<Utc>>,
    /// Tokens handed out since start.
    pub issued: u64,
}

pub(crate) enum TokenCheck {
    Valid,
    Expired,
    Invalid,
}

impl Tokens {
    pub(crate) fn check(&self, token: &str, now: DateTime<Utc>) -> TokenCheck {
        match self.live.get(token) {
            Some(until) if *until > now => TokenCheck::Valid,
            Some(_) => TokenCheck::Expired,
            None => TokenCheck::Invalid,
        }
    }

    /// Every token expires now (a key rotation, or time passing in a test).
    pub(crate) fn expire_all(&mut self, now: DateTime<Utc>) {
        for until in self.live.values_mut() {
            *until = now;
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    audience: Option<String>,
}

pub(crate) async fn token(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Json<Value>, RlError> {
    let Json(body) = body.map_err(|e| RlError::bad_request(None, e.body_text()))?;
    if body.grant_type.as_deref() != Some("client_credentials") {
        return Err(RlError::bad_request(
            Some("UNSUPPORTED_GRANT_TYPE"),
            "grant_type must be client_credentials",
        ));
    }
    let known = body.client_id.as_deref() == Some(CLIENT_ID)
        && body.client_secret.as_deref() == Some(state.inner().api_key.as_str());
    if !known {
        return Err(RlError::new(
            StatusCode::UNAUTHORIZED,
            Some("INVALID_CREDENTIALS"),
            "Access Denied",
        ));
    }
    // The audience is the API's own URL; here that is this host.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let audience = body.audience.unwrap_or_default();
    let audience_host = audience
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or_default();
    if host.is_empty() || audience_host != host {
        return Err(RlError::bad_request(
            Some("INVALID_AUDIENCE"),
            "The audience is not valid for this API",
        ));
    }
    let ttl = lock(&state.inner().reloadly.quirks).token_ttl_s;
    let token = format!("eyJsandbox.{:032x}", rand::rng().random::<u128>());
    let mut tokens = lock(&state.inner().reloadly.tokens);
    let until =
        Utc::now() + chrono::Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX / 2_000));
    tokens.live.insert(token.clone(), until);
    tokens.issued += 1;
    Ok(Json(json!({
        "access_token": token,
        "scope": "developer",
        "expires_in": ttl,
        "token_type": "Bearer",
    })))
}
