//! The desktop's pull: `GET /v1/events` (long-poll), `POST /v1/events/ack`,
//! `GET /v1/status`.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::ApiError;
use super::auth::AuthShop;
use crate::relay::Relay;
use crate::store::{AckOutcome, StoredEvent};

pub(crate) const MAX_LIMIT: i64 = 500;
const DEFAULT_LIMIT: i64 = 100;
const MAX_WAIT_S: u64 = 60;

#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    after: Option<i64>,
    limit: Option<i64>,
    wait: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct EventsPage {
    events: Vec<EventOut>,
    next_cursor: i64,
}

/// One event as the contract writes it; the payload is the raw body, verbatim.
#[derive(Debug, Serialize)]
pub(crate) struct EventOut {
    cursor: i64,
    provider: String,
    event_id: String,
    #[serde(rename = "type")]
    event_type: Option<String>,
    received_at: String,
    payload: Box<RawValue>,
}

impl From<StoredEvent> for EventOut {
    fn from(e: StoredEvent) -> Self {
        let received_at = chrono::DateTime::from_timestamp_millis(e.received_at_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // Stored bodies were checked to be JSON; should one not be, send it as a string.
        let payload = RawValue::from_string(e.payload.clone())
            .or_else(|_| serde_json::value::to_raw_value(&e.payload))
            .unwrap_or_else(|_| Box::<RawValue>::default());
        EventOut {
            cursor: e.cursor,
            provider: e.provider,
            event_id: e.event_id,
            event_type: e.event_type,
            received_at,
            payload,
        }
    }
}

impl EventOut {
    pub(crate) fn cursor(&self) -> i64 {
        self.cursor
    }
}

/// Where a reader starts when it names no cursor: after what the shop acknowledged.
pub(crate) async fn acked_cursor(relay: &Relay, shop_id: &str) -> Result<i64, ApiError> {
    let status = relay.store().status(shop_id).await?;
    Ok(status.map_or(0, |s| s.acked))
}

pub(crate) async fn list(
    State(relay): State<Relay>,
    shop: AuthShop,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<EventsPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit must be 1..500"));
    }
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT_S {
        return Err(ApiError::invalid("wait must be 0..60"));
    }
    let after = match query.after {
        Some(after) if after < 0 => return Err(ApiError::invalid("after must be ≥ 0")),
        Some(after) => after,
        None => acked_cursor(&relay, &shop.id).await?,
    };
    let deadline = Instant::now() + Duration::from_secs(wait);
    // Subscribe before the first query: a commit in between still wakes us.
    let mut wake = relay.hub().subscribe(&shop.id);
    let mut closing = relay.closing();
    let mut waited = false;
    loop {
        // A token rotated while the request waited no longer reads.
        if waited && !shop.still_valid(&relay).await? {
            return Err(ApiError::unauthorized());
        }
        let events = relay.store().events_after(&shop.id, after, limit).await?;
        let now = Instant::now();
        if !events.is_empty() || now >= deadline || *closing.borrow() {
            relay.metrics().delivered(events.len());
            let next_cursor = events.last().map_or(after, |e| e.cursor);
            return Ok(Json(EventsPage {
                events: events.into_iter().map(EventOut::from).collect(),
                next_cursor,
            }));
        }
        let nap = deadline.min(now + relay.config().recheck_every);
        tokio::select! {
            changed = wake.changed() => if changed.is_err() {
                tokio::time::sleep_until(nap).await;
            },
            () = tokio::time::sleep_until(nap) => {}
            () = crate::flag::until_true(&mut closing) => {}
        }
        waited = true;
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AckBody {
    cursor: i64,
}

pub(crate) async fn ack(
    State(relay): State<Relay>,
    shop: AuthShop,
    body: Result<Json<AckBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::invalid(e.body_text()))?;
    if body.cursor < 0 {
        return Err(ApiError::invalid("cursor must be ≥ 0"));
    }
    match relay.store().ack(&shop.id, body.cursor).await? {
        AckOutcome::Acked(acked) => Ok(Json(json!({ "acked_cursor": acked }))),
        AckOutcome::BeyondHead { head } => Err(ApiError::invalid(format!(
            "cursor {} is past the head cursor {head}",
            body.cursor
        ))),
    }
}

pub(crate) async fn status(
    State(relay): State<Relay>,
    shop: AuthShop,
) -> Result<Json<Value>, ApiError> {
    let status = relay
        .store()
        .status(&shop.id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let age_s = status
        .oldest_unacked_ms
        .map_or(0, |at| (relay.now_ms() - at).max(0) / 1000);
    Ok(Json(json!({
        "head_cursor": status.head,
        "acked_cursor": status.acked,
        "oldest_unacked_age_s": age_s,
    })))
}
