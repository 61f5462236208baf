//! Reading what real suppliers send as JSON numbers (Bamboo's face values, Ding's
//! prices) into exact decimals, and their timestamps, which often lack a zone.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

/// A JSON number or decimal string as sent. A number is read from its shortest
/// decimal form (what the supplier wrote, `18.4`), never through arithmetic on f64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Num(pub Decimal);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(serde_json::Number),
            S(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::N(n) => n.to_string(),
            Raw::S(s) => s,
        };
        parse(&text)
            .map(Num)
            .ok_or_else(|| serde::de::Error::custom("not a decimal amount"))
    }
}

/// Plain decimals and the exponent forms a serializer may print (`1e-7`).
fn parse(text: &str) -> Option<Decimal> {
    let t = text.trim();
    t.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

/// RFC 3339, or the zone-less ISO form (`2026-11-30T10:00:00.123`) read as UTC.
pub(super) fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_keep_what_was_written() {
        let n: Vec<Num> = serde_json::from_str(r#"[18.4, 0.1, 20, "9.95", 1e-2]"#).unwrap();
        let s: Vec<String> = n.iter().map(|n| n.0.to_string()).collect();
        assert_eq!(s, ["18.4", "0.1", "20", "9.95", "0.01"]);
        assert!(serde_json::from_str::<Num>(r#""ten""#).is_err());
        assert!(serde_json::from_str::<Num>("true").is_err());
    }

    #[test]
    fn timestamps_with_and_without_a_zone() {
        let a = timestamp("2026-11-30T10:00:00Z").unwrap();
        assert_eq!(timestamp("2026-11-30T10:00:00.000").unwrap(), a);
        assert_eq!(timestamp("2026-11-30T12:00:00+02:00").unwrap(), a);
        assert!(timestamp("yesterday").is_none());
    }
}
