//! The receipt as plain text: the preview the app shows before printing, and what a
//! person reads in a support case. Same grid as the thermal printer.

use super::printer::Paper;
use super::receipt::{Receipt, rows};

/// The receipt as lines of `paper`'s width, each ending in a newline.
pub fn render(receipt: &Receipt, paper: Paper) -> String {
    let cols = paper.columns();
    let mut out = String::new();
    for row in rows(&receipt.blocks(), cols) {
        out.push_str(row.plain(cols).trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::delivery::Language;
    use crate::delivery::receipt::tests::{sample, sample_claim, sample_invoice};

    /// Compares with the file in `golden/`; `UPDATE_GOLDEN=1` rewrites it instead.
    fn golden(name: &str, actual: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/delivery/golden")
            .join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, actual).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
        assert_eq!(
            actual, expected,
            "{name} changed; if that is intended, run with UPDATE_GOLDEN=1 and review the diff"
        );
    }

    #[test]
    fn golden_receipt_80mm_english() {
        golden(
            "receipt-80mm-en.txt",
            &render(&sample(Language::En, None), Paper::Mm80),
        );
    }

    #[test]
    fn golden_receipt_58mm_english_reprint() {
        golden(
            "receipt-58mm-en-reprint.txt",
            &render(&sample(Language::En, Some(2)), Paper::Mm58),
        );
    }

    #[test]
    fn golden_receipt_80mm_hindi() {
        golden(
            "receipt-80mm-hi.txt",
            &render(&sample(Language::Hi, None), Paper::Mm80),
        );
    }

    #[test]
    fn golden_tax_invoice_80mm_english_and_hindi() {
        golden(
            "invoice-80mm-en.txt",
            &render(&sample_invoice(Language::En), Paper::Mm80),
        );
        golden(
            "invoice-80mm-hi.txt",
            &render(&sample_invoice(Language::Hi), Paper::Mm80),
        );
        golden(
            "invoice-58mm-en.txt",
            &render(&sample_invoice(Language::En), Paper::Mm58),
        );
    }

    #[test]
    fn golden_claim_slip_80mm_english_and_hindi() {
        golden(
            "claim-80mm-en.txt",
            &render(&sample_claim(Language::En), Paper::Mm80),
        );
        golden(
            "claim-80mm-hi.txt",
            &render(&sample_claim(Language::Hi), Paper::Mm80),
        );
        golden(
            "claim-58mm-en.txt",
            &render(&sample_claim(Language::En), Paper::Mm58),
        );
    }
}
