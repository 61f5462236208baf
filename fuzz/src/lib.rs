//! Fuzz targets for codetill on stable Rust: proptest generators (arbitrary bytes
//! and structure-aware, hostile values) driven for a number of cases in `cargo
//! test` or for a time by `scripts/fuzz.sh`. See `driver` for the modes and the
//! corpus of found inputs.

pub mod driver;
pub mod hostile;
pub mod targets;

use std::time::Duration;

use driver::{Report, Target};
use targets::{events, money, receipt, supplier, webhook};

/// Every target's name, in the order `scripts/fuzz.sh` runs them.
pub const TARGETS: &[&str] = &[
    webhook::Stripe::NAME,
    webhook::Btcpay::NAME,
    webhook::Nowpayments::NAME,
    webhook::Razorpay::NAME,
    events::Events::NAME,
    supplier::Catalog::NAME,
    supplier::Answers::NAME,
    receipt::Escpos::NAME,
    receipt::Pdf::NAME,
    money::MoneyTarget::NAME,
];

/// Runs the target called `name` for `budget`; `None` if there is no such target.
pub fn run_for(name: &str, budget: Duration) -> Option<Report> {
    fn go<T: Target>(budget: Duration) -> Option<Report> {
        Some(driver::for_duration::<T>(budget))
    }
    match name {
        n if n == webhook::Stripe::NAME => go::<webhook::Stripe>(budget),
        n if n == webhook::Btcpay::NAME => go::<webhook::Btcpay>(budget),
        n if n == webhook::Nowpayments::NAME => go::<webhook::Nowpayments>(budget),
        n if n == webhook::Razorpay::NAME => go::<webhook::Razorpay>(budget),
        n if n == events::Events::NAME => go::<events::Events>(budget),
        n if n == supplier::Catalog::NAME => go::<supplier::Catalog>(budget),
        n if n == supplier::Answers::NAME => go::<supplier::Answers>(budget),
        n if n == receipt::Escpos::NAME => go::<receipt::Escpos>(budget),
        n if n == receipt::Pdf::NAME => go::<receipt::Pdf>(budget),
        n if n == money::MoneyTarget::NAME => go::<money::MoneyTarget>(budget),
        _ => None,
    }
}
