//! `GET /v1/events/stream`: the same events as Server-Sent Events, `id:` = cursor,
//! resuming after `Last-Event-ID` (else `?after=`, else the acknowledged cursor).
//! The stream ends when the relay closes, the store fails, or the client token
//! stops naming the shop (a rotation); the client then reconnects with
//! `Last-Event-ID` and misses nothing.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{StreamExt, stream};
use serde::Deserialize;
use tokio::sync::watch;

use super::ApiError;
use super::auth::AuthShop;
use super::events::{EventOut, MAX_LIMIT, acked_cursor};
use crate::relay::Relay;

#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    after: Option<i64>,
}

struct Reader {
    relay: Relay,
    shop: AuthShop,
    cursor: i64,
    wake: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
}

pub(crate) async fn stream(
    State(relay): State<Relay>,
    shop: AuthShop,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|c| *c >= 0)
                .ok_or_else(|| ApiError::invalid("Last-Event-ID must be a cursor"))?,
        ),
        None => None,
    };
    let cursor = match last_event_id.or(query.after) {
        Some(cursor) if cursor < 0 => return Err(ApiError::invalid("after must be ≥ 0")),
        Some(cursor) => cursor,
        None => acked_cursor(&relay, &shop.id).await?,
    };
    let relay_idle = relay.config().idle_timeout;
    let reader = Reader {
        wake: relay.hub().subscribe(&shop.id),
        closing: relay.closing(),
        relay,
        shop,
        cursor,
    };
    // Comments often enough that a quiet stream is not closed as idle.
    let keep_alive = (relay_idle / 2).clamp(Duration::from_secs(1), Duration::from_secs(15));
    let events = stream::unfold(reader, next_batch).flatten();
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(keep_alive));
    // Reverse proxies must pass events through as they come.
    let no_buffering = (
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    Ok(([no_buffering], sse))
}

type Batch = stream::Iter<std::vec::IntoIter<Result<Event, Infallible>>>;

/// The next events after the reader's cursor, waiting for them if there are none.
async fn next_batch(mut reader: Reader) -> Option<(Batch, Reader)> {
    loop {
        if *reader.closing.borrow() {
            return None;
        }
        // Checked again before every batch (and every recheck while idle): a
        // rotated token must not keep a stream it opened.
        match reader.shop.still_valid(&reader.relay).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!("event stream: the client token was rotated; ending the stream");
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "event stream: store unavailable; ending the stream");
                return None;
            }
        }
        let events = match reader
            .relay
            .store()
            .events_after(&reader.shop.id, reader.cursor, MAX_LIMIT)
            .await
        {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(error = %e, "event stream: store unavailable; ending the stream");
                return None;
            }
        };
        if let Some(last) = events.last() {
            reader.cursor = last.cursor;
            reader.relay.metrics().delivered(events.len());
            let sse: Vec<Result<Event, Infallible>> = events
                .into_iter()
                .map(|e| Ok(sse_event(EventOut::from(e))))
                .collect();
            return Some((stream::iter(sse), reader));
        }
        let recheck = reader.relay.config().recheck_every;
        tokio::select! {
            changed = reader.wake.changed() => if changed.is_err() {
                tokio::time::sleep(recheck).await;
            },
            () = tokio::time::sleep(recheck) => {}
            () = crate::flag::until_true(&mut reader.closing) => return None,
        }
    }
}

fn sse_event(event: EventOut) -> Event {
    let id = event.cursor().to_string();
    let data = serde_json::to_string(&event).unwrap_or_default();
    Event::default().id(id).data(data)
}
