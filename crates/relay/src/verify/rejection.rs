//! Why a delivery is refused, as every provider's check says it.

/// Why a delivery was refused (all answered 400; nothing stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the signature header is missing")]
    MissingSignature,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the signature's timestamp is outside the tolerance")]
    StaleTimestamp,
    #[error("the body is not a JSON object")]
    NotJson,
    #[error("the event carries no event id")]
    MissingEventId,
}

impl Rejection {
    /// The label used in metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::BadSignature => "bad_signature",
            Rejection::StaleTimestamp => "stale_timestamp",
            Rejection::NotJson => "not_json",
            Rejection::MissingEventId => "missing_event_id",
        }
    }
}
