//! The OAuth client-credentials token: fetched once, shared by every request,
//! refreshed shortly before `expires_in` runs out and again when the API calls it
//! expired or invalid. It is never logged (it sits in a [`Redacted`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::http::{read_error, unreadable};
use crate::secrets::Redacted;
use crate::supplier::SupplierError;
use crate::supplier::wholesale::{config_error, read_body, transport_error};

/// Where and as whom to ask for tokens.
pub(super) struct Auth {
    pub http: reqwest::Client,
    pub token_url: reqwest::Url,
    pub client_id: String,
    pub client_secret: Redacted<String>,
    /// The API the token is for: its base URL, without the trailing slash.
    pub audience: String,
}

struct Token {
    value: Redacted<String>,
    refresh_at: Instant,
}

#[derive(Default)]
pub(super) struct TokenCache {
    /// An async lock: while one request fetches a token, the others wait for it
    /// instead of each fetching their own.
    slot: tokio::sync::Mutex<Option<Token>>,
    fetched: AtomicU64,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    expires_in: u64,
}

/// Refresh this long before the token's end: a tenth of its life, at most a minute.
fn margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(60))
}

impl TokenCache {
    /// How many tokens were fetched since start.
    pub(super) fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// A token valid for a while yet.
    pub(super) async fn get(&self, auth: &Auth) -> Result<Redacted<String>, SupplierError> {
        let mut slot = self.slot.lock().await;
        if let Some(t) = slot.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let fresh = fetch(auth).await?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let value = fresh.value.clone();
        *slot = Some(fresh);
        Ok(value)
    }

    /// The API refused `stale`: forget it, unless another request already replaced it.
    pub(super) async fn discard(&self, stale: &Redacted<String>) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|t| t.value == *stale) {
            *slot = None;
        }
    }
}

/// A token failure happens before any order is sent: it is never ambiguous.
fn not_sent(e: SupplierError) -> SupplierError {
    match e {
        SupplierError::Ambiguous { message } => SupplierError::Retryable {
            retry_after: None,
            message: format!("no token: {message}"),
        },
        other => other,
    }
}

async fn fetch(auth: &Auth) -> Result<Token, SupplierError> {
    let asked = Instant::now();
    let response = auth
        .http
        .post(auth.token_url.clone())
        .json(&json!({
            "client_id": auth.client_id,
            "client_secret": auth.client_secret.expose(),
            "grant_type": "client_credentials",
            "audience": auth.audience,
        }))
        .send()
        .await
        .map_err(|e| not_sent(transport_error(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let error = read_error(response).await;
        let code = error.code.as_deref().unwrap_or("none");
        return Err(match status {
            StatusCode::TOO_MANY_REQUESTS => SupplierError::Retryable {
                retry_after: error.retry_after,
                message: "token requests are rate limited".into(),
            },
            s if s.is_server_error() => SupplierError::Retryable {
                retry_after: None,
                message: format!("the token service failed with HTTP {}", s.as_u16()),
            },
            _ => config_error(format!(
                "the token service refused the client id and secret (HTTP {}, {code}): {}",
                status.as_u16(),
                error.message
            )),
        });
    }
    let bytes = read_body(response).await.map_err(not_sent)?;
    let body: TokenBody =
        serde_json::from_slice(&bytes).map_err(|e| not_sent(unreadable("token answer", &e)))?;
    if body.access_token.trim().is_empty() {
        return Err(config_error("the token service sent an empty token"));
    }
    let lifetime = Duration::from_secs(body.expires_in);
    Ok(Token {
        value: Redacted::new(body.access_token),
        refresh_at: asked + lifetime - margin(lifetime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_before_the_end() {
        assert_eq!(margin(Duration::from_secs(1)), Duration::from_millis(100));
        assert_eq!(margin(Duration::from_secs(86_400)), Duration::from_secs(60));
    }
}
