//! The desktop's end of the relay (`shared/contracts/relay-api.md`): take payment
//! events by cursor, keep each in the local inbox ([`inbox`]) in the transaction that
//! advances the cursor, acknowledge only after that commit, and keep following with a
//! long-poll that reconnects with capped, jittered back-off when the relay is away.
//! What the events mean is [`crate::remote`]'s business.

pub mod inbox;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::db::{Db, DbError};
use crate::http_body::{self, BodyError};
use crate::secrets::{Redacted, SecretError, SecretStore, names};
use crate::settings;

/// The relay's address, when not in `CODETILL_RELAY_URL`.
pub const RELAY_URL: &str = "relay.url";
/// The most the relay hands out per page.
pub const PAGE_LIMIT: u32 = 500;
/// How long a follow request waits at the relay for an event (the relay's cap is 60).
pub const FOLLOW_WAIT_S: u64 = 25;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(
        "no relay configured: set CODETILL_RELAY_URL (and CODETILL_RELAY_TOKEN) or the relay.url setting"
    )]
    NotConfigured,
    #[error(
        "no relay client token: set CODETILL_RELAY_TOKEN or put it in the keyring (`codetill-relay shop add` prints it)"
    )]
    NoToken,
    #[error("relay URL {url:?}: {message}")]
    BadUrl { url: String, message: String },
    #[error("the relay at {url} cannot be reached: {message}")]
    Unreachable { url: String, message: String },
    #[error("the relay at {url} refused this till's token (401): check CODETILL_RELAY_TOKEN")]
    Unauthorized { url: String },
    #[error("the relay at {url} answered {status}: {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
    #[error("the relay at {url} answered something unreadable: {message}")]
    Unreadable { url: String, message: String },
    #[error(
        "this till has read the relay up to cursor {ours} but the relay's newest event is {head}: it is another relay or it lost its data; nothing was taken"
    )]
    CursorAhead { ours: i64, head: i64 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl RelayError {
    /// Worth trying again later (the relay is restarting, the network is down).
    pub fn is_transient(&self) -> bool {
        match self {
            RelayError::Unreachable { .. } => true,
            RelayError::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// One event as the relay serves it; the payload is the provider's JSON, verbatim.
#[derive(Debug, Deserialize)]
pub struct RelayEvent {
    pub cursor: i64,
    pub provider: String,
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub received_at: Option<String>,
    pub payload: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
pub struct EventsPage {
    pub events: Vec<RelayEvent>,
    pub next_cursor: i64,
}

#[derive(Debug, Deserialize)]
pub struct RelayStatus {
    pub head_cursor: i64,
    pub acked_cursor: i64,
}

/// A relay address as the client reads it: http(s) with a host, ending in `/`.
pub fn parse_url(url: &str) -> Result<reqwest::Url, RelayError> {
    crate::base_url::parse(url).map_err(|message| RelayError::BadUrl {
        url: url.to_string(),
        message,
    })
}

/// The relay's HTTP API with this shop's client token.
pub struct RelayClient {
    http: reqwest::Client,
    base: reqwest::Url,
    token: Redacted<String>,
}

impl RelayClient {
    pub fn new(url: &str, token: Redacted<String>) -> Result<RelayClient, RelayError> {
        let base = parse_url(url)?;
        if token.expose().trim().is_empty() {
            return Err(RelayError::NoToken);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("codetill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RelayError::BadUrl {
                url: url.to_string(),
                message: format!("HTTP client: {e}"),
            })?;
        Ok(RelayClient { http, base, token })
    }

    /// The relay's address, for messages (never the token).
    pub fn url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    fn endpoint(&self, path: &str) -> Result<reqwest::Url, RelayError> {
        self.base.join(path).map_err(|e| RelayError::BadUrl {
            url: self.url(),
            message: e.to_string(),
        })
    }

    fn unreachable(&self, e: &reqwest::Error) -> RelayError {
        RelayError::Unreachable {
            url: self.url(),
            message: e.to_string(),
        }
    }

    async fn read<T: for<'de> Deserialize<'de>>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, RelayError> {
        let status = response.status();
        if status.as_u16() == 401 {
            return Err(RelayError::Unauthorized { url: self.url() });
        }
        let bytes = match http_body::read_capped(response, http_body::RELAY_LIMIT).await {
            Ok(bytes) => bytes,
            Err(BodyError::Transport(e)) => return Err(self.unreachable(&e)),
            Err(too_large) => {
                return Err(RelayError::Unreadable {
                    url: self.url(),
                    message: too_large.to_string(),
                });
            }
        };
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            return Err(RelayError::Refused {
                url: self.url(),
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| RelayError::Unreadable {
            url: self.url(),
            message: e.to_string(),
        })
    }

    /// `GET /v1/events`; `wait` seconds of long-poll (0 answers at once).
    pub async fn events(
        &self,
        after: i64,
        limit: u32,
        wait: u64,
    ) -> Result<EventsPage, RelayError> {
        let response = self
            .http
            .get(self.endpoint("v1/events")?)
            .query(&[
                ("after", after.to_string()),
                ("limit", limit.clamp(1, PAGE_LIMIT).to_string()),
                ("wait", wait.min(60).to_string()),
            ])
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(wait + 15))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response).await
    }

    /// `POST /v1/events/ack`: everything up to `cursor` is in this till's inbox.
    pub async fn ack(&self, cursor: i64) -> Result<(), RelayError> {
        let response = self
            .http
            .post(self.endpoint("v1/events/ack")?)
            .bearer_auth(self.token.expose())
            .json(&serde_json::json!({ "cursor": cursor }))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let _: serde_json::Value = self.read(response).await?;
        Ok(())
    }

    pub async fn status(&self) -> Result<RelayStatus, RelayError> {
        let response = self
            .http
            .get(self.endpoint("v1/status")?)
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response).await
    }
}

/// The configured relay's address (environment first), if any.
pub async fn relay_url(db: &Db) -> Result<Option<String>, DbError> {
    settings::env_or_setting(db, "CODETILL_RELAY_URL", RELAY_URL).await
}

/// The relay settings as they stand: its address and this till's token. Two configs
/// are equal when they reach the same relay as the same client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    pub url: String,
    pub token: Redacted<String>,
}

impl RelayConfig {
    /// The URL from the environment or the settings, the token from the secret store;
    /// `None` when no relay is set (a URL without a token is [`RelayError::NoToken`]).
    pub async fn load(
        db: &Db,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Option<RelayConfig>, RelayError> {
        let Some(url) = relay_url(db).await? else {
            return Ok(None);
        };
        let token = tokio::task::spawn_blocking(move || secrets.get(names::RELAY_TOKEN))
            .await
            .map_err(|e| SecretError::Keyring(format!("a background task failed: {e}")))??
            .filter(|t| !t.expose().trim().is_empty())
            .ok_or(RelayError::NoToken)?;
        Ok(Some(RelayConfig { url, token }))
    }

    pub fn client(&self) -> Result<RelayClient, RelayError> {
        RelayClient::new(&self.url, self.token.clone())
    }
}

/// The relay of this till: its URL from the environment or the settings, its token
/// from the secret store.
pub async fn configured(db: &Db, secrets: Arc<dyn SecretStore>) -> Result<RelayClient, RelayError> {
    RelayConfig::load(db, secrets)
        .await?
        .ok_or(RelayError::NotConfigured)?
        .client()
}

/// What one page of events did to the inbox.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageReport {
    /// Events the relay handed over.
    pub received: u32,
    /// Of those, events the inbox already held (delivered again after a crash).
    pub duplicates: u32,
    pub cursor: i64,
    /// Why the relay was not told (the events are safe in the inbox regardless; the
    /// next pull tells it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_error: Option<String>,
}

/// The relay and the inbox it fills.
pub struct Feed {
    client: RelayClient,
    db: Db,
}

impl Feed {
    pub fn new(client: RelayClient, db: Db) -> Feed {
        Feed { client, db }
    }

    pub fn client(&self) -> &RelayClient {
        &self.client
    }

    /// One page after the stored cursor: into the inbox with the new cursor in one
    /// transaction, then acknowledged. A failed acknowledgement is reported, not an
    /// error: the events are ours already.
    pub async fn pull_page(&self, wait: u64) -> Result<PageReport, RelayError> {
        let position = inbox::position(&self.db).await?;
        let page = self
            .client
            .events(position.cursor, PAGE_LIMIT, wait)
            .await?;
        let mut report = PageReport {
            received: u32::try_from(page.events.len()).unwrap_or(u32::MAX),
            cursor: position.cursor,
            ..PageReport::default()
        };
        if page.events.is_empty() {
            // A pull whose acknowledgement was lost tells the relay now.
            if position.acked < position.cursor {
                report.ack_error = self.ack(position.cursor).await?;
            }
            return Ok(report);
        }
        let stored = inbox::store_page(&self.db, &page).await?;
        report.duplicates = stored.duplicates;
        report.cursor = stored.cursor;
        report.ack_error = self.ack(stored.cursor).await?;
        Ok(report)
    }

    async fn ack(&self, cursor: i64) -> Result<Option<String>, RelayError> {
        match self.client.ack(cursor).await {
            Ok(()) => {
                inbox::set_acked(&self.db, cursor).await?;
                Ok(None)
            }
            // An ack past the relay's head: this till is ahead of the relay it talks to.
            Err(RelayError::Refused { status: 400, .. }) => {
                let status = self.client.status().await?;
                if status.head_cursor < cursor {
                    return Err(RelayError::CursorAhead {
                        ours: cursor,
                        head: status.head_cursor,
                    });
                }
                Ok(Some("the relay refused the acknowledgement".into()))
            }
            Err(e) => {
                tracing::warn!(relay = %self.client.url(), error = %e, cursor, "acknowledgement not delivered; the next pull repeats it");
                Ok(Some(e.to_string()))
            }
        }
    }
}

/// Waits between reconnects: doubling from `start` up to `max`, each wait drawn
/// at random from its upper half so that many tills do not return in step.
pub struct Backoff {
    start: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(start: Duration, max: Duration) -> Backoff {
        Backoff {
            start,
            max,
            next: start,
        }
    }

    pub fn reset(&mut self) {
        self.next = self.start;
    }

    pub fn next_wait(&mut self) -> Duration {
        let ceiling = self.next.min(self.max);
        self.next = (self.next * 2).min(self.max);
        let half = ceiling / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::random_range(0..=spread))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(500), Duration::from_secs(30))
    }
}

/// What the follow loop does with the inbox after each page (and once at start).
#[async_trait::async_trait]
pub trait InboxWorker: Send + Sync {
    async fn work(&self) -> Result<(), String>;
}

/// Follows the relay until `stop` resolves: long-poll, store, acknowledge, hand the
/// inbox to `worker`; reconnects with [`Backoff`] while the relay is away. Errors that
/// waiting cannot cure (a refused token, a cursor ahead of the relay) end it.
pub async fn follow(
    feed: &Feed,
    worker: &dyn InboxWorker,
    mut backoff: Backoff,
    stop: impl Future<Output = ()>,
) -> Result<(), RelayError> {
    tokio::pin!(stop);
    let mut work_pending = true;
    let mut failures = 0u32;
    loop {
        if work_pending && let Err(e) = worker.work().await {
            tracing::warn!(error = %e, "acting on relay events did not finish; tried again on the next event");
        }
        let result = tokio::select! {
            () = &mut stop => return Ok(()),
            r = feed.pull_page(FOLLOW_WAIT_S) => r,
        };
        match result {
            Ok(page) => {
                if failures > 0 {
                    tracing::info!(relay = %feed.client.url(), "relay reachable again");
                }
                failures = 0;
                backoff.reset();
                work_pending = page.received > 0;
            }
            Err(e) if e.is_transient() || matches!(e, RelayError::Db(_)) => {
                failures += 1;
                let wait = backoff.next_wait();
                if failures == 1 || failures.is_multiple_of(10) {
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "relay not available");
                }
                tokio::select! {
                    () = &mut stop => return Ok(()),
                    () = tokio::time::sleep(wait) => {}
                }
                // Events stored before a failure may still wait in the inbox.
                work_pending = true;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000));
        let waits: Vec<Duration> = (0..8).map(|_| b.next_wait()).collect();
        assert!(waits[0] >= Duration::from_millis(50) && waits[0] <= Duration::from_millis(100));
        for w in &waits {
            assert!(*w <= Duration::from_millis(1000));
        }
        assert!(waits[7] >= Duration::from_millis(500));
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(100));
    }
}
