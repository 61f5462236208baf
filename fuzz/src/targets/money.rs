//! The money parser: `parse_decimal`, `Money::parse`, `to_minor` and the way an
//! amount is written back.
//!
//! What must hold, beyond never panicking: an accepted amount is a plain decimal
//! (optional `-`, digits, optional fraction, spaces around) and fits minor units
//! (`to_minor` is never an overflow); an amount with no more decimals than its
//! currency goes to minor units and back unchanged, and is read back unchanged from
//! its own text (`amount_string`); every i64 of minor units survives
//! `from_minor` → text → `parse` → `to_minor`; errors quote the input, not
//! something else.

use codetill_core::money::{Currency, Money, MoneyError, parse_decimal};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use crate::driver::Target;
use crate::hostile::{amount_text, short_text};

pub struct MoneyTarget;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoneyCase {
    pub amount: String,
    pub currency: String,
    pub minor: i64,
}

const CODES: &[&str] = &[
    "USD", "JPY", "KWD", "INR", "EUR", "usd", " jpy ", "XYZ", "", "US",
];

/// The grammar `parse_decimal` promises, checked by hand.
fn plain_decimal(s: &str) -> bool {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => digits(int),
        Some(f) => (int.is_empty() || digits(int)) && digits(f),
    }
}

impl Target for MoneyTarget {
    const NAME: &'static str = "money";
    const QUICK_CASES: u32 = 512;
    type Input = MoneyCase;

    fn inputs() -> BoxedStrategy<MoneyCase> {
        let currency = prop_oneof![
            4 => proptest::sample::select(CODES).prop_map(str::to_owned),
            1 => short_text(),
        ];
        let minor = prop_oneof![
            3 => any::<i64>(),
            1 => proptest::sample::select(vec![0, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1]),
        ];
        (amount_text(), currency, minor)
            .prop_map(|(amount, currency, minor)| MoneyCase {
                amount,
                currency,
                minor,
            })
            .boxed()
    }

    fn check(case: &MoneyCase) -> Result<(), String> {
        let currency = match Currency::parse(&case.currency) {
            Ok(c) => c,
            Err(MoneyError::UnknownCurrency(named)) if named == case.currency => Currency::USD,
            Err(e) => return Err(format!("an unknown currency reported as {e:?}")),
        };
        match parse_decimal(&case.amount) {
            Ok(d) => {
                if !plain_decimal(&case.amount) {
                    return Err(format!("{:?} accepted as {d}", case.amount));
                }
            }
            Err(MoneyError::NotDecimal(quoted)) if quoted == case.amount => {}
            Err(e) => return Err(format!("{:?} refused as {e:?}", case.amount)),
        }
        match Money::parse(&case.amount, currency) {
            Ok(m) => {
                let _ = m.to_string();
                let _ = m.ceil_to_minor().to_minor();
                match m.to_minor() {
                    Ok(minor) => {
                        let back = Money::from_minor(minor, currency);
                        if back != m {
                            return Err(format!("{m} → {minor} → {back}"));
                        }
                        let text = m.amount_string();
                        let again = Money::parse(&text, currency)
                            .map_err(|e| format!("{m} written as {text:?} does not parse: {e}"))?;
                        if again != m {
                            return Err(format!("{m} written as {text:?} reads as {again}"));
                        }
                    }
                    Err(MoneyError::TooPrecise { .. }) => {
                        if m.amount.scale() <= currency.exponent()
                            && !m.amount.normalize().is_zero()
                        {
                            return Err(format!("{m} refused as too precise"));
                        }
                    }
                    Err(e) => {
                        return Err(format!("{:?} parsed but to_minor says {e:?}", case.amount));
                    }
                }
            }
            Err(MoneyError::NotDecimal(_)) => {
                if parse_decimal(&case.amount).is_ok() {
                    return Err("parse_decimal accepts what Money::parse calls no decimal".into());
                }
            }
            Err(MoneyError::Overflow(_)) => {}
            Err(e) => return Err(format!("{:?}: Money::parse gave {e:?}", case.amount)),
        }
        // Every stored value survives being written out and read back.
        let m = Money::from_minor(case.minor, currency);
        let text = m.amount_string();
        let back = Money::parse(&text, currency)
            .map_err(|e| format!("{} minor as {text:?}: {e}", case.minor))?;
        match back.to_minor() {
            Ok(n) if n == case.minor => Ok(()),
            other => Err(format!("{} minor → {text:?} → {other:?}", case.minor)),
        }
    }
}
