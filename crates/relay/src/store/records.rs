//! What the store takes and gives back: the records of shops, endpoints and
//! events as the rest of the relay sees them, whichever database holds them.

/// An event that passed verification, to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub shop_id: String,
    pub endpoint_id: String,
    pub provider: &'static str,
    pub event_id: String,
    pub event_type: Option<String>,
    pub received_at_ms: i64,
    pub payload: String,
}

/// What storing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Stored {
        cursor: i64,
    },
    /// The shop already has this provider event id, or this very body from
    /// the provider: nothing was stored.
    Duplicate,
}

/// An event as the desktop reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub cursor: i64,
    pub provider: String,
    pub event_id: String,
    pub event_type: Option<String>,
    pub received_at_ms: i64,
    pub payload: String,
}

/// An inbound endpoint, its secrets still sealed.
#[derive(Debug, Clone)]
pub struct EndpointRecord {
    pub id: String,
    pub shop_id: String,
    pub provider: String,
    pub sealed_secrets: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopStatus {
    pub head: i64,
    pub acked: i64,
    /// When the oldest unacknowledged event was received (unix ms).
    pub oldest_unacked_ms: Option<i64>,
}

/// All shops together, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub unacked: i64,
    pub oldest_unacked_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// The shop's acknowledged cursor now (never lower than before).
    Acked(i64),
    /// The cursor is past the shop's head: refused, since retention would then
    /// drop events nobody has read.
    BeyondHead { head: i64 },
}
