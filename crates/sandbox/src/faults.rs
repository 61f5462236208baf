//! Scripted faults: rules added through `/_sandbox/faults` and matched against
//! each `/v1` request, plus the latency setting. Matching is seeded so a test that
//! uses `rate` sees the same sequence every run.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Which contract endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Endpoint {
    #[serde(rename = "catalog")]
    Catalog,
    #[serde(rename = "stock")]
    Stock,
    #[serde(rename = "balance")]
    Balance,
    #[serde(rename = "orders.create")]
    OrdersCreate,
    #[serde(rename = "orders.get")]
    OrdersGet,
    /// In a rule: every endpoint the kind applies to.
    #[serde(rename = "any")]
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    /// 500 `internal`, nothing created.
    #[serde(rename = "error_500")]
    Error500,
    /// 503 `unavailable`, nothing created.
    #[serde(rename = "error_503")]
    Error503,
    /// 429 `rate_limited` with `Retry-After`, nothing created.
    #[serde(rename = "rate_limit")]
    RateLimit,
    /// Close the connection without answering, nothing created.
    #[serde(rename = "drop")]
    Drop,
    /// Handle the order for real, then answer 500.
    #[serde(rename = "create_then_500")]
    CreateThen500,
    /// Handle the order for real, then close the connection without answering.
    #[serde(rename = "create_then_drop")]
    CreateThenDrop,
    /// Reserve the key, say nothing for `hold_ms`, then handle the order.
    #[serde(rename = "hold_then_create")]
    HoldThenCreate,
    /// Sleep `hold_ms`, then handle normally.
    #[serde(rename = "delay")]
    Delay,
}

impl FaultKind {
    fn orders_create_only(self) -> bool {
        matches!(
            self,
            FaultKind::CreateThen500 | FaultKind::CreateThenDrop | FaultKind::HoldThenCreate
        )
    }
}

/// The body of `POST /_sandbox/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    pub endpoint: Endpoint,
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub skip: u32,
    #[serde(default = "certain")]
    pub rate: f64,
    #[serde(default = "one_u64")]
    pub retry_after_s: u64,
    #[serde(default)]
    pub hold_ms: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
}

fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn certain() -> f64 {
    1.0
}

const DEFAULT_HOLD_MS: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FaultRule {
    pub id: u64,
    pub endpoint: Endpoint,
    pub kind: FaultKind,
    pub times: u32,
    pub skip: u32,
    pub rate: f64,
    pub retry_after_s: u64,
    pub hold_ms: u64,
    pub status: Option<u16>,
    /// Matching requests seen (including skipped ones and misses of `rate`).
    pub matched: u64,
    pub fired: u64,
}

impl FaultRule {
    fn applies_to(&self, ep: Endpoint) -> bool {
        let endpoint_ok = self.endpoint == Endpoint::Any || self.endpoint == ep;
        endpoint_ok && (!self.kind.orders_create_only() || ep == Endpoint::OrdersCreate)
    }

    fn exhausted(&self) -> bool {
        self.times != 0 && self.fired >= u64::from(self.times)
    }

    pub(crate) fn hold(&self) -> Duration {
        Duration::from_millis(self.hold_ms)
    }
}

pub(crate) struct FaultBook {
    rules: Vec<FaultRule>,
    next_id: u64,
    rng: StdRng,
}

impl FaultBook {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rules: Vec::new(),
            next_id: 1,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub(crate) fn add(&mut self, spec: FaultSpec) -> Result<FaultRule, String> {
        if spec.kind.orders_create_only()
            && !matches!(spec.endpoint, Endpoint::OrdersCreate | Endpoint::Any)
        {
            return Err("this kind only applies to endpoint orders.create".to_owned());
        }
        if !(0.0..=1.0).contains(&spec.rate) {
            return Err("rate must be between 0 and 1".to_owned());
        }
        if spec.status.is_some_and(|s| !(400..=599).contains(&s)) {
            return Err("status must be between 400 and 599".to_owned());
        }
        if spec.hold_ms.is_some_and(|h| h > 600_000) {
            return Err("hold_ms must be at most 600000".to_owned());
        }
        let rule = FaultRule {
            id: self.next_id,
            endpoint: spec.endpoint,
            kind: spec.kind,
            times: spec.times,
            skip: spec.skip,
            rate: spec.rate,
            retry_after_s: spec.retry_after_s,
            hold_ms: spec.hold_ms.unwrap_or(DEFAULT_HOLD_MS),
            status: spec.status,
            matched: 0,
            fired: 0,
        };
        self.next_id += 1;
        self.rules.push(rule.clone());
        Ok(rule)
    }

    pub(crate) fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// The rule that fires for this request, if any (first live rule in order).
    pub(crate) fn fire(&mut self, ep: Endpoint) -> Option<FaultRule> {
        for rule in &mut self.rules {
            if !rule.applies_to(ep) || rule.exhausted() {
                continue;
            }
            rule.matched += 1;
            if rule.matched <= u64::from(rule.skip) {
                continue;
            }
            if rule.rate < 1.0 && self.rng.random::<f64>() >= rule.rate {
                continue;
            }
            rule.fired += 1;
            return Some(rule.clone());
        }
        None
    }
}

/// `POST /_sandbox/latency`: added to every `/v1` request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Latency {
    #[serde(default)]
    pub fixed_ms: u64,
    #[serde(default)]
    pub jitter_ms: u64,
}

impl Latency {
    pub(crate) fn sample(&self) -> Option<Duration> {
        if self.fixed_ms == 0 && self.jitter_ms == 0 {
            return None;
        }
        let jitter = if self.jitter_ms > 0 {
            rand::rng().random_range(0..=self.jitter_ms)
        } else {
            0
        };
        Some(Duration::from_millis(self.fixed_ms + jitter))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn times_and_skip() {
        let mut b = FaultBook::new(1);
        b.add(spec(
            r#"{"endpoint":"catalog","kind":"error_500","times":2,"skip":1}"#,
        ))
        .unwrap();
        let fired: Vec<bool> = (0..5)
            .map(|_| b.fire(Endpoint::Catalog).is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(b.fire(Endpoint::Stock).is_none());
    }

    #[test]
    fn zero_times_means_until_cleared() {
        let mut b = FaultBook::new(1);
        b.add(spec(r#"{"endpoint":"any","kind":"error_503","times":0}"#))
            .unwrap();
        assert!((0..50).all(|_| b.fire(Endpoint::Balance).is_some()));
        b.clear();
        assert!(b.fire(Endpoint::Balance).is_none());
    }

    #[test]
    fn rate_is_a_probability() {
        let mut b = FaultBook::new(7);
        b.add(spec(
            r#"{"endpoint":"stock","kind":"error_500","times":0,"rate":0.3}"#,
        ))
        .unwrap();
        let n = (0..2000)
            .filter(|_| b.fire(Endpoint::Stock).is_some())
            .count();
        assert!((450..750).contains(&n), "{n}");
    }

    #[test]
    fn create_kinds_only_match_order_creation() {
        let mut b = FaultBook::new(1);
        assert!(
            b.add(spec(r#"{"endpoint":"catalog","kind":"create_then_500"}"#))
                .is_err()
        );
        b.add(spec(r#"{"endpoint":"any","kind":"create_then_drop"}"#))
            .unwrap();
        assert!(b.fire(Endpoint::OrdersGet).is_none());
        assert_eq!(
            b.fire(Endpoint::OrdersCreate).unwrap().kind,
            FaultKind::CreateThenDrop
        );
        assert!(serde_json::from_str::<FaultSpec>(r#"{"endpoint":"x","kind":"drop"}"#).is_err());
        assert!(
            serde_json::from_str::<FaultSpec>(r#"{"endpoint":"stock","kind":"drop","tims":1}"#)
                .is_err()
        );
    }
}
