//! Money: an exact decimal amount with its ISO-4217 currency. No `f64` anywhere.
//!
//! In SQLite money is stored as integer minor units (cents), which SUM keeps exact;
//! [`Money::to_minor`] and [`Money::from_minor`] convert at the database edge.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("unknown currency {0:?} (expected an ISO-4217 code such as USD, EUR, INR)")]
    UnknownCurrency(String),
    #[error("{0:?} is not a decimal amount")]
    NotDecimal(String),
    #[error("{amount} has more decimals than {currency} allows ({exponent})")]
    TooPrecise {
        amount: Decimal,
        currency: Currency,
        exponent: u32,
    },
    #[error("{0} is too large")]
    Overflow(Decimal),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// (code, minor-unit exponent) for the currencies codetill accepts.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BDT", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("LKR", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// An ISO-4217 currency that codetill knows the minor unit of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    exponent: u32,
}

impl Currency {
    pub const USD: Currency = Currency {
        code: *b"USD",
        exponent: 2,
    };

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, exponent)| {
                let b = c.as_bytes();
                Currency {
                    code: [b[0], b[1], b[2]],
                    exponent: *exponent,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        // The bytes come from the ASCII table above.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Digits after the decimal point in this currency's minor unit.
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    /// The smallest amount: 0.01 for USD, 1 for JPY.
    pub fn minor_unit(&self) -> Decimal {
        Decimal::new(1, self.exponent)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Parses a decimal string such as `"18.95"`; refuses floats in exponent form,
    /// blanks and anything that is not plain decimal.
    /// An amount as typed or as a supplier sends it. One too large to be kept in
    /// exact minor units is refused here, so that no sum, price rule or conversion
    /// on an amount from outside can overflow later.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        let money = Money::new(parse_decimal(amount)?, currency);
        money.minor_units()?;
        Ok(money)
    }

    /// The amount in minor units, possibly with a fraction; an error when its whole
    /// part does not fit the i64 the database keeps.
    fn minor_units(&self) -> Result<Decimal, MoneyError> {
        let scaled = Decimal::from(10i64.pow(self.currency.exponent))
            .checked_mul(self.amount)
            .ok_or(MoneyError::Overflow(self.amount))?;
        if scaled.trunc() > Decimal::from(i64::MAX) || scaled.trunc() < Decimal::from(i64::MIN) {
            return Err(MoneyError::Overflow(self.amount));
        }
        Ok(scaled)
    }

    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    /// Exact minor units; refuses an amount with more decimals than the currency has.
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        let scaled = self.minor_units()?;
        if scaled.fract() != Decimal::ZERO {
            return Err(MoneyError::TooPrecise {
                amount: self.amount,
                currency: self.currency,
                exponent: self.currency.exponent,
            });
        }
        i64::try_from(scaled).map_err(|_| MoneyError::Overflow(self.amount))
    }

    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money::new(Decimal::new(minor, currency.exponent), currency)
    }

    /// Rounds up to the currency's minor unit: a cost is never under-counted.
    pub fn ceil_to_minor(&self) -> Self {
        let dp = self.currency.exponent;
        Money::new(
            self.amount
                .round_dp_with_strategy(dp, RoundingStrategy::ToPositiveInfinity),
            self.currency,
        )
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow(self.amount))
    }

    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow(self.amount))
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The amount as a decimal string with exactly the currency's decimals ("18.40").
    pub fn amount_string(&self) -> String {
        let mut a = self.amount;
        a.rescale(self.currency.exponent);
        a.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

/// A plain decimal: optional sign, digits, optional fraction. No exponents, no spaces
/// inside, no thousands separators — an amount typed at a till must mean one thing.
pub fn parse_decimal(s: &str) -> Result<Decimal, MoneyError> {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let ok = match frac {
        None => digits_ok(int),
        Some(f) => (digits_ok(int) || int.is_empty()) && digits_ok(f),
    };
    if !ok || body.len() > 30 {
        return Err(MoneyError::NotDecimal(s.to_string()));
    }
    Decimal::from_str_exact(t).map_err(|_| MoneyError::NotDecimal(s.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    /// The largest Decimal, and one past what i64 minor units hold: an error naming
    /// the amount, never a panic.
    #[test]
    fn amounts_too_large_for_minor_units_are_refused_not_a_panic() {
        let usd = Currency::USD;
        for huge in [
            "7922816251426433759354395033",
            "79228162514264337593543950335",
        ] {
            assert!(matches!(
                Money::parse(huge, usd),
                Err(MoneyError::Overflow(_))
            ));
            let m = Money::new(parse_decimal(huge).unwrap(), usd);
            assert!(matches!(m.to_minor(), Err(MoneyError::Overflow(_))));
        }
        assert!(Money::parse("92233720368547758.07", usd).is_ok());
        assert!(matches!(
            Money::parse("92233720368547758.08", usd),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn minor_units_round_trip_exactly() {
        let usd = Currency::parse("usd").unwrap();
        let m = Money::parse("18.40", usd).unwrap();
        assert_eq!(m.to_minor().unwrap(), 1840);
        assert_eq!(Money::from_minor(1840, usd), m);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse("500", jpy).unwrap().to_minor().unwrap(), 500);
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(
            Money::parse("1.234", kwd).unwrap().to_minor().unwrap(),
            1234
        );
    }

    #[test]
    fn too_precise_amounts_are_refused_not_rounded() {
        let m = Money::parse("18.405", Currency::USD).unwrap();
        assert!(matches!(m.to_minor(), Err(MoneyError::TooPrecise { .. })));
        assert_eq!(m.ceil_to_minor().amount, dec!(18.41));
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for bad in [
            "", " ", "1e3", "1,000.00", "abc", "1.2.3", "--1", "0x10", ".", "1.", "NaN",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} should be refused");
        }
        for good in ["0", "18.40", ".5", "-3.25", " 25 "] {
            assert!(parse_decimal(good).is_ok(), "{good:?} should parse");
        }
    }

    #[test]
    fn unknown_currency_is_named() {
        let err = Currency::parse("XYZ").unwrap_err();
        assert!(err.to_string().contains("XYZ"));
    }

    #[test]
    fn amount_string_pads_to_currency_decimals() {
        assert_eq!(
            Money::parse("5", Currency::USD).unwrap().amount_string(),
            "5.00"
        );
        assert_eq!(
            Money::parse("5.1", Currency::USD).unwrap().to_string(),
            "5.10 USD"
        );
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let eur = Currency::parse("EUR").unwrap();
        let a = Money::parse("1", Currency::USD).unwrap();
        let b = Money::parse("1", eur).unwrap();
        assert!(a.checked_add(&b).is_err());
    }
}
