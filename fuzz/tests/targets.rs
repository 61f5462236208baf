//! The quick mode of every fuzz target (a few hundred cases each), and the
//! replay of every input the fuzzer has found so far (`corpus/<target>/`).

use codetill_fuzz::driver::{self, Target};
use codetill_fuzz::targets::{events, money, receipt, supplier, webhook};

fn quick<T: Target>() {
    let report = driver::quick::<T>();
    assert!(
        report.failures.is_empty(),
        "{}: {:?}",
        report.line(),
        report.failures
    );
}

fn replay<T: Target>() {
    let (count, failed) = driver::replay::<T>();
    assert!(
        failed.is_empty(),
        "{} of {count} saved inputs fail: {failed:#?}",
        failed.len()
    );
}

macro_rules! target {
    ($quick:ident, $replay:ident, $t:ty) => {
        #[test]
        fn $quick() {
            quick::<$t>();
        }

        #[test]
        fn $replay() {
            replay::<$t>();
        }
    };
}

target!(webhook_stripe, webhook_stripe_corpus, webhook::Stripe);
target!(webhook_btcpay, webhook_btcpay_corpus, webhook::Btcpay);
target!(
    webhook_nowpayments,
    webhook_nowpayments_corpus,
    webhook::Nowpayments
);
target!(webhook_razorpay, webhook_razorpay_corpus, webhook::Razorpay);
target!(relay_events, relay_events_corpus, events::Events);
target!(supplier_catalog, supplier_catalog_corpus, supplier::Catalog);
target!(supplier_answers, supplier_answers_corpus, supplier::Answers);
target!(receipt_escpos, receipt_escpos_corpus, receipt::Escpos);
target!(receipt_pdf, receipt_pdf_corpus, receipt::Pdf);
target!(money, money_corpus, money::MoneyTarget);

/// The stream checker itself: it must catch a command smuggled into text.
#[test]
fn stray_control_bytes_are_caught() {
    assert_eq!(
        receipt::stray_control(b"\x1b@\x1bt\x13Hello\n\x1dVA\x00"),
        None
    );
    assert!(
        receipt::stray_control(b"\x1b@Hi\x1bp\x00\x19\xfa").is_some(),
        "cash drawer"
    );
    assert!(
        receipt::stray_control(b"Hi\x10\x04\x04").is_some(),
        "DLE EOT"
    );
    assert!(
        receipt::stray_control(b"Hi\x1d(k\x05\x00ab").is_some(),
        "a command cut short"
    );
    assert_eq!(
        receipt::stray_control(b"\x1dv0\x00\x01\x00\x02\x00\x1b\x1d"),
        None
    );
}
