//! Wire formats of the contract: money as decimal strings with two decimals,
//! timestamps as RFC 3339 UTC.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serializer;

/// Round to cents (half away from zero, as a till would) and keep scale 2 so
/// `Display` always prints two decimals.
pub(crate) fn money(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

pub(crate) fn ser_money<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&money(*d))
}

/// Parse a strict decimal string (`"18.40"`, `"-5"`, `"0.5"`): no exponents, no
/// separators, no JSON numbers, because the contract says money is a string.
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) || digits.len() > 30 {
        return None;
    }
    Decimal::from_str(s).ok()
}

/// Whole seconds print without a fraction (`2026-11-01T00:00:00Z`), others with
/// milliseconds; stored times are truncated to milliseconds so what a client reads
/// back is exactly what we compare against in `updated_since`.
pub(crate) fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&timestamp(t))
}

pub(crate) fn ser_opt_time<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

/// Now, truncated to milliseconds (see [`timestamp`]).
pub(crate) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Parse an RFC 3339 instant. A `+` in an offset often arrives as a space when a
/// client forgets to percent-encode the query, so accept that too.
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let fixed = s.trim().replace(' ', "+");
    DateTime::parse_from_rfc3339(&fixed)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn money_always_has_two_decimals() {
        assert_eq!(money(Decimal::new(20, 0)).to_string(), "20.00");
        assert_eq!(money(Decimal::new(18405, 3)).to_string(), "18.41");
        assert_eq!(money(Decimal::new(-5, 1)).to_string(), "-0.50");
    }

    #[test]
    fn decimal_strings_are_strict() {
        assert_eq!(parse_decimal("18.40"), Some(Decimal::new(1840, 2)));
        assert_eq!(parse_decimal("-5"), Some(Decimal::new(-5, 0)));
        for bad in ["", "1e3", "1.", ".5", "abc", "1_000", "+1", " 1", "1.2.3"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn timestamps_round_trip() {
        let t = parse_instant("2026-11-01T00:00:00Z").unwrap();
        assert_eq!(timestamp(&t), "2026-11-01T00:00:00Z");
        let t = parse_instant("2026-11-30T10:00:00.123 00:00").unwrap();
        assert_eq!(timestamp(&t), "2026-11-30T10:00:00.123Z");
        assert!(parse_instant("yesterday").is_none());
    }
}
