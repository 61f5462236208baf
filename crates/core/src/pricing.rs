//! Retail pricing: retail = wholesale ÷ (1 − fee% − fx% − margin%), then rounded *up*
//! by the shop's rounding rule, so that after the card fee and the FX buffer the shop
//! keeps at least its margin share and never sells below cost.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError, parse_decimal};
use crate::product::Category;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PricingError {
    #[error("{field}: {message}")]
    InvalidRule {
        field: &'static str,
        message: String,
    },
    #[error(
        "no exchange rate from {from} to {to}, the shop's currency: set one with `codetill fx set {from} {to} RATE` or a daily source with `codetill fx source URL`"
    )]
    NoRate { from: String, to: String },
}

fn invalid(field: &'static str, message: impl Into<String>) -> PricingError {
    PricingError::InvalidRule {
        field,
        message: message.into(),
    }
}

/// How a computed retail price is rounded (always upwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Rounding {
    /// Up to the currency's minor unit.
    None,
    /// Up to the next price ending in .99.
    NinetyNine,
    /// Up to the next multiple of the step (0.05, 0.50 or 1).
    Step(Decimal),
}

impl Rounding {
    pub fn apply(&self, raw: Decimal, currency: Currency) -> Decimal {
        let up = RoundingStrategy::ToPositiveInfinity;
        let rounded = match self {
            Rounding::None => raw,
            Rounding::NinetyNine => {
                let ninety_nine = Decimal::new(99, 2);
                let whole = (raw - ninety_nine).round_dp_with_strategy(0, up);
                whole.max(Decimal::ZERO) + ninety_nine
            }
            Rounding::Step(step) => (raw / step).round_dp_with_strategy(0, up) * step,
        };
        rounded.round_dp_with_strategy(currency.exponent(), up)
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rounding::None => f.write_str("none"),
            Rounding::NinetyNine => f.write_str(".99"),
            Rounding::Step(s) if *s == Decimal::ONE => f.write_str("1"),
            Rounding::Step(s) => {
                let mut s = *s;
                s.rescale(2);
                write!(f, "{}", s.to_string().trim_start_matches('0'))
            }
        }
    }
}

impl From<Rounding> for String {
    fn from(r: Rounding) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for Rounding {
    type Error = PricingError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Rounding {
    type Err = PricingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") || t.is_empty() {
            return Ok(Rounding::None);
        }
        let bad = || {
            invalid(
                "round-to",
                format!("{s:?} is not a rounding rule (use none, .99, .05, .50 or 1)"),
            )
        };
        let d = parse_decimal(t).map_err(|_| bad())?;
        if d == Decimal::new(99, 2) {
            Ok(Rounding::NinetyNine)
        } else if d == Decimal::new(5, 2) || d == Decimal::new(5, 1) || d == Decimal::ONE {
            Ok(Rounding::Step(d.normalize()))
        } else {
            Err(bad())
        }
    }
}

/// One pricing rule: the global one or a category's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRule {
    /// Card/payment provider fee, percent of the retail price.
    pub fee_pct: Decimal,
    /// Buffer for currency conversion, percent of the retail price.
    pub fx_pct: Decimal,
    /// The shop's margin, percent of the retail price.
    pub margin_pct: Decimal,
    pub rounding: Rounding,
    /// The least margin per sale the owner accepts; sales below it are refused.
    pub floor: Option<Money>,
}

impl PriceRule {
    /// A validated rule; each refusal names the field that is wrong.
    pub fn new(
        fee_pct: Decimal,
        fx_pct: Decimal,
        margin_pct: Decimal,
        rounding: Rounding,
        floor: Option<Money>,
    ) -> Result<Self, PricingError> {
        for (field, v) in [("fee", fee_pct), ("fx", fx_pct), ("margin", margin_pct)] {
            if v.is_sign_negative() && !v.is_zero() {
                return Err(invalid(field, format!("{v}% is negative")));
            }
            if v.normalize().scale() > 2 {
                return Err(invalid(field, format!("{v}% has more than two decimals")));
            }
        }
        let total = fee_pct + fx_pct + margin_pct;
        if total >= Decimal::ONE_HUNDRED {
            return Err(invalid(
                "margin",
                format!("fee + fx + margin = {total}%, which must stay below 100%"),
            ));
        }
        if let Some(f) = floor {
            if f.amount.is_sign_negative() && !f.amount.is_zero() {
                return Err(invalid("floor", format!("{f} is negative")));
            }
            f.to_minor().map_err(|e| invalid("floor", e.to_string()))?;
        }
        Ok(PriceRule {
            fee_pct: fee_pct.normalize(),
            fx_pct: fx_pct.normalize(),
            margin_pct: margin_pct.normalize(),
            rounding,
            floor,
        })
    }

    /// Parses percentages as typed by a person ("2.9", "3%").
    pub fn parse(
        fee: &str,
        fx: &str,
        margin: &str,
        round_to: Option<&str>,
        floor: Option<(&str, &str)>,
    ) -> Result<Self, PricingError> {
        let pct = |field: &'static str, s: &str| {
            parse_decimal(s.trim().trim_end_matches('%'))
                .map_err(|_| invalid(field, format!("{s:?} is not a percentage")))
        };
        let rounding = match round_to {
            Some(r) => r.parse()?,
            None => Rounding::None,
        };
        let floor = match floor {
            Some((amount, currency)) => {
                let c =
                    Currency::parse(currency).map_err(|e| invalid("currency", e.to_string()))?;
                Some(
                    Money::parse(amount, c)
                        .map_err(|e: MoneyError| invalid("floor", e.to_string()))?,
                )
            }
            None => None,
        };
        PriceRule::new(
            pct("fee", fee)?,
            pct("fx", fx)?,
            pct("margin", margin)?,
            rounding,
            floor,
        )
    }

    /// The rule a fresh shop starts with: 3% card fee, 2% FX buffer, 8% margin, .99.
    pub fn starter() -> Self {
        PriceRule {
            fee_pct: Decimal::new(3, 0),
            fx_pct: Decimal::new(2, 0),
            margin_pct: Decimal::new(8, 0),
            rounding: Rounding::NinetyNine,
            floor: None,
        }
    }

    fn share(pct: Decimal) -> Decimal {
        pct / Decimal::ONE_HUNDRED
    }

    /// The retail price for a wholesale cost, in the cost's currency.
    pub fn retail(&self, wholesale: Money) -> Money {
        let keep = Decimal::ONE - Self::share(self.fee_pct + self.fx_pct + self.margin_pct);
        let raw = wholesale.amount / keep;
        Money::new(
            self.rounding.apply(raw, wholesale.currency),
            wholesale.currency,
        )
    }

    /// The retail price in the shop's currency for a cost in the supplier account's:
    /// cost × rate (units of `shop` per unit of the cost's currency) ÷ (1 − fee − fx −
    /// margin), rounded up in the shop's currency. Never below the converted cost.
    pub fn retail_converted(
        &self,
        cost: Money,
        rate: Decimal,
        shop: Currency,
    ) -> Result<Money, PricingError> {
        if rate <= Decimal::ZERO {
            return Err(invalid("rate", format!("{rate} must be above zero")));
        }
        let keep = Decimal::ONE - Self::share(self.fee_pct + self.fx_pct + self.margin_pct);
        let raw = cost
            .amount
            .checked_mul(rate)
            .and_then(|c| c.checked_div(keep))
            .ok_or_else(|| invalid("rate", format!("{cost} at {rate} is too large to price")))?;
        Ok(Money::new(self.rounding.apply(raw, shop), shop))
    }

    /// What the shop keeps from `retail` after the fee and the FX buffer, minus the cost.
    pub fn margin(&self, retail: Money, wholesale: Money) -> Decimal {
        retail.amount * (Decimal::ONE - Self::share(self.fee_pct + self.fx_pct)) - wholesale.amount
    }
}

/// The global rule plus per-category overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRules {
    pub global: PriceRule,
    pub by_category: BTreeMap<Category, PriceRule>,
}

impl PriceRules {
    pub fn rule_for(&self, category: Category) -> &PriceRule {
        self.by_category.get(&category).unwrap_or(&self.global)
    }

    pub fn retail(&self, category: Category, wholesale: Money) -> Money {
        self.rule_for(category).retail(wholesale)
    }
}

impl Default for PriceRules {
    fn default() -> Self {
        PriceRules {
            global: PriceRule::starter(),
            by_category: BTreeMap::new(),
        }
    }
}

/// How the shop prices: the rules, the currency it sells in (none: each product in
/// its supplier's currency) and the exchange rates that reach it.
#[derive(Debug, Clone, Default)]
pub struct ShopPricing {
    pub rules: PriceRules,
    pub shop: Option<Currency>,
    pub rates: Vec<crate::fx::Rate>,
}

/// A retail price with the rate that made it (cost currency → sale currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub retail: Money,
    pub fx_rate: Decimal,
}

impl ShopPricing {
    /// The rate from a cost in `cost` to the currency the shop sells in.
    pub fn rate(&self, cost: Currency) -> Result<Decimal, PricingError> {
        match self.shop {
            None => Ok(Decimal::ONE),
            Some(shop) if shop == cost => Ok(Decimal::ONE),
            Some(shop) => crate::fx::find(&self.rates, cost.code(), shop.code())
                .map(|r| r.rate)
                .ok_or_else(|| PricingError::NoRate {
                    from: cost.code().to_string(),
                    to: shop.code().to_string(),
                }),
        }
    }

    /// The retail price of a product of `category` costing `cost`.
    pub fn retail(&self, category: Category, cost: Money) -> Result<Priced, PricingError> {
        let rule = self.rules.rule_for(category);
        let shop = self.shop.unwrap_or(cost.currency);
        let fx_rate = self.rate(cost.currency)?;
        let retail = if shop == cost.currency {
            rule.retail(cost)
        } else {
            rule.retail_converted(cost, fx_rate, shop)?
        };
        Ok(Priced { retail, fx_rate })
    }
}

/// Relative change from `old` to `new`, in percent (for price-drift alerts).
pub fn drift_pct(old: Decimal, new: Decimal) -> Option<Decimal> {
    if old.is_zero() {
        return None;
    }
    Some((new - old) / old * Decimal::ONE_HUNDRED)
}

/// Margin as a percentage of `sales`, one decimal.
pub fn margin_pct(
    margin: rust_decimal::Decimal,
    sales: rust_decimal::Decimal,
) -> Option<rust_decimal::Decimal> {
    (!sales.is_zero()).then(|| (margin / sales * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    #[test]
    fn formula_matches_worked_example() {
        // 18.40 / (1 - 0.03 - 0.02 - 0.08) = 21.149.. → .99 rounding → 21.99
        let rule = PriceRule::starter();
        assert_eq!(rule.retail(usd("18.40")).amount, dec!(21.99));
        let plain = PriceRule::new(dec!(3), dec!(2), dec!(8), Rounding::None, None).unwrap();
        assert_eq!(plain.retail(usd("18.40")).amount, dec!(21.15));
    }

    #[test]
    fn rounding_rules_round_up() {
        let c = Currency::USD;
        assert_eq!(Rounding::NinetyNine.apply(dec!(21.00), c), dec!(21.99));
        assert_eq!(Rounding::NinetyNine.apply(dec!(20.99), c), dec!(20.99));
        assert_eq!(Rounding::NinetyNine.apply(dec!(0.10), c), dec!(0.99));
        assert_eq!(
            Rounding::Step(dec!(0.05)).apply(dec!(21.01), c),
            dec!(21.05)
        );
        assert_eq!(Rounding::Step(dec!(0.5)).apply(dec!(21.01), c), dec!(21.50));
        assert_eq!(Rounding::Step(dec!(1)).apply(dec!(21.01), c), dec!(22));
        assert_eq!(Rounding::None.apply(dec!(21.001), c), dec!(21.01));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Rounding::NinetyNine.apply(dec!(1500.2), jpy), dec!(1501));
    }

    #[test]
    fn rounding_rules_parse_and_print() {
        for (s, r) in [
            (".99", Rounding::NinetyNine),
            ("0.99", Rounding::NinetyNine),
            ("none", Rounding::None),
            (".05", Rounding::Step(dec!(0.05))),
            ("0.50", Rounding::Step(dec!(0.5))),
            ("1", Rounding::Step(dec!(1))),
        ] {
            assert_eq!(s.parse::<Rounding>().unwrap(), r, "{s}");
            assert_eq!(r.to_string().parse::<Rounding>().unwrap(), r);
        }
        let err = ".10".parse::<Rounding>().unwrap_err();
        assert!(err.to_string().starts_with("round-to:"), "{err}");
    }

    #[test]
    fn invalid_rules_name_the_field() {
        let e = PriceRule::parse("50", "30", "20", None, None).unwrap_err();
        assert!(e.to_string().starts_with("margin:"), "{e}");
        let e = PriceRule::parse("-1", "0", "5", None, None).unwrap_err();
        assert!(e.to_string().starts_with("fee:"), "{e}");
        let e = PriceRule::parse("1", "abc", "5", None, None).unwrap_err();
        assert!(e.to_string().starts_with("fx:"), "{e}");
        let e = PriceRule::parse("1", "1", "5.001", None, None).unwrap_err();
        assert!(e.to_string().starts_with("margin:"), "{e}");
        let e = PriceRule::parse("1", "1", "5", None, Some(("0.50", "XXX"))).unwrap_err();
        assert!(e.to_string().starts_with("currency:"), "{e}");
        let e = PriceRule::parse("1", "1", "5", None, Some(("-1", "USD"))).unwrap_err();
        assert!(e.to_string().starts_with("floor:"), "{e}");
        assert!(PriceRule::parse("2.9", "1.5%", "10", Some(".99"), Some(("0.50", "usd"))).is_ok());
    }

    #[test]
    fn category_rule_overrides_global() {
        let mut rules = PriceRules::default();
        let topup = PriceRule::new(dec!(2), dec!(0), dec!(3), Rounding::None, None).unwrap();
        rules
            .by_category
            .insert(Category::MobileTopup, topup.clone());
        assert_eq!(rules.rule_for(Category::MobileTopup), &topup);
        assert_eq!(rules.rule_for(Category::GiftCard), &PriceRule::starter());
    }

    fn any_rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![
            Just(Rounding::None),
            Just(Rounding::NinetyNine),
            Just(Rounding::Step(dec!(0.05))),
            Just(Rounding::Step(dec!(0.5))),
            Just(Rounding::Step(dec!(1))),
        ]
    }

    fn any_rule() -> impl Strategy<Value = PriceRule> {
        (0u32..1500, 0u32..1500, 0u32..6000, any_rounding()).prop_filter_map(
            "percentages must sum below 100",
            |(fee, fx, margin, rounding)| {
                PriceRule::new(
                    Decimal::new(fee.into(), 2),
                    Decimal::new(fx.into(), 2),
                    Decimal::new(margin.into(), 2),
                    rounding,
                    None,
                )
                .ok()
            },
        )
    }

    proptest! {
        #[test]
        fn never_below_cost_and_keeps_margin_share(rule in any_rule(), cents in 1i64..50_000_000) {
            let wholesale = Money::from_minor(cents, Currency::USD);
            let retail = rule.retail(wholesale);
            prop_assert!(retail.to_minor().is_ok(), "retail {retail} not in whole cents");
            let margin = rule.margin(retail, wholesale);
            let share = retail.amount * rule.margin_pct / Decimal::ONE_HUNDRED;
            prop_assert!(margin >= share, "margin {margin} < share {share} for {retail}");
            prop_assert!(margin >= Decimal::ZERO);
        }

        #[test]
        fn retail_is_monotonic_in_wholesale(rule in any_rule(), a in 1i64..50_000_000, b in 1i64..50_000_000) {
            let (lo, hi) = (a.min(b), a.max(b));
            let r_lo = rule.retail(Money::from_minor(lo, Currency::USD));
            let r_hi = rule.retail(Money::from_minor(hi, Currency::USD));
            prop_assert!(r_lo.amount <= r_hi.amount);
        }

        #[test]
        fn works_for_zero_and_three_decimal_currencies(rule in any_rule(), minor in 1i64..10_000_000, code in prop_oneof![Just("JPY"), Just("KWD"), Just("INR")]) {
            let c = Currency::parse(code).unwrap();
            let wholesale = Money::from_minor(minor, c);
            let retail = rule.retail(wholesale);
            prop_assert!(retail.to_minor().is_ok());
            prop_assert!(rule.margin(retail, wholesale) >= retail.amount * rule.margin_pct / Decimal::ONE_HUNDRED);
        }

        /// A card bought in USD (or JPY, KWD) and sold in INR (or JPY, KWD): after the
        /// conversion and the rounding, never below the converted cost, and the fee and
        /// FX buffer still leave the margin share.
        #[test]
        fn converted_retail_never_below_converted_cost(
            rule in any_rule(),
            minor in 1i64..50_000_000,
            rate_milli in 1i64..5_000_000,
            (cost_code, shop_code) in (
                prop_oneof![Just("USD"), Just("JPY"), Just("KWD"), Just("EUR")],
                prop_oneof![Just("INR"), Just("JPY"), Just("KWD"), Just("USD")],
            ),
        ) {
            let cost = Money::from_minor(minor, Currency::parse(cost_code).unwrap());
            let shop = Currency::parse(shop_code).unwrap();
            let rate = Decimal::new(rate_milli, 3);
            let retail = rule.retail_converted(cost, rate, shop).unwrap();
            prop_assert_eq!(retail.currency, shop);
            prop_assert!(retail.to_minor().is_ok(), "retail {} not in whole minor units", retail);
            let converted = cost.amount * rate;
            prop_assert!(retail.amount >= converted, "{} below cost {}", retail, converted);
            let kept = retail.amount * (Decimal::ONE - (rule.fee_pct + rule.fx_pct) / Decimal::ONE_HUNDRED) - converted;
            prop_assert!(kept >= retail.amount * rule.margin_pct / Decimal::ONE_HUNDRED);
        }
    }

    #[test]
    fn a_rate_at_or_below_zero_is_refused() {
        let rule = PriceRule::starter();
        let cost = Money::from_minor(1000, Currency::USD);
        for rate in [Decimal::ZERO, Decimal::NEGATIVE_ONE] {
            let err = rule
                .retail_converted(cost, rate, Currency::USD)
                .unwrap_err();
            assert!(err.to_string().starts_with("rate:"), "{err}");
        }
    }
}
