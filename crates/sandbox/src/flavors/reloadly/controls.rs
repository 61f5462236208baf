//! `/_sandbox/reloadly`: the quirks of real Reloadly that tests switch on.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{SandboxState, lock};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuirksBody {
    token_ttl_s: Option<u64>,
    /// Every token issued so far expires now.
    #[serde(default)]
    expire_tokens: bool,
    cards_delay_ms: Option<u64>,
    cards_empty_while_processing: Option<bool>,
    cards_as_object: Option<bool>,
    /// 0 switches the race off.
    duplicate_race_ms: Option<u64>,
}

fn view(state: &SandboxState) -> Value {
    let quirks = *lock(&state.inner().reloadly.quirks);
    let issued = lock(&state.inner().reloadly.tokens).issued;
    json!({ "quirks": quirks, "tokens_issued": issued })
}

pub(crate) async fn get(State(state): State<SandboxState>) -> Json<Value> {
    Json(view(&state))
}

pub(crate) async fn set(
    State(state): State<SandboxState>,
    body: Result<Json<QuirksBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::invalid(e.body_text()))?;
    if body.token_ttl_s.is_some_and(|t| t == 0 || t > 10_000_000)
        || body.cards_delay_ms.is_some_and(|d| d > 600_000)
        || body.duplicate_race_ms.is_some_and(|d| d > 60_000)
    {
        return Err(ApiError::invalid(
            "token_ttl_s from 1 to 10000000, cards_delay_ms up to 600000, duplicate_race_ms up to 60000",
        ));
    }
    {
        let mut q = lock(&state.inner().reloadly.quirks);
        if let Some(t) = body.token_ttl_s {
            q.token_ttl_s = t;
        }
        if let Some(d) = body.cards_delay_ms {
            q.cards_delay_ms = d;
        }
        if let Some(e) = body.cards_empty_while_processing {
            q.cards_empty_while_processing = e;
        }
        if let Some(o) = body.cards_as_object {
            q.cards_as_object = o;
        }
        if let Some(r) = body.duplicate_race_ms {
            q.duplicate_race_ms = (r > 0).then_some(r);
        }
    }
    if body.expire_tokens {
        lock(&state.inner().reloadly.tokens).expire_all(Utc::now());
    }
    Ok(Json(view(&state)))
}
