//! Receipt rendering with hostile text in every field a supplier, a buyer or the
//! shop can fill: the plain-text preview, ESC/POS for both papers (with and without
//! a Devanagari font) and the PDF.
//!
//! What must hold, beyond never panicking: every receipt renders; the preview's
//! lines fit the paper and hold no control characters; the ESC/POS stream is only
//! commands the renderer means to send and printable text, so no text can issue a
//! command (cut, cash drawer, a new code page …); a plain code (letters, digits,
//! dashes, one line long) is printed as text, in the ESC/POS stream and in the PDF.

use std::sync::OnceLock;

use codetill_core::delivery::raster::Font;
use codetill_core::delivery::receipt::{PaidBy, ReceiptTax};
use codetill_core::delivery::{Language, Paper, Receipt, Shop, escpos, pdf, text};
use codetill_core::money::{Currency, Money};
use codetill_core::orders::RevealedCode;
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use crate::driver::Target;
use crate::hostile::{short_text, text as hostile_text};

/// (method, reference, tendered, change), amounts in minor units.
pub type PaidByCase = (String, Option<String>, Option<i64>, Option<i64>);
/// (code, pin, serial, expires)
pub type CodeCase = (String, Option<String>, Option<String>, Option<String>);
/// A tax invoice: (rate in basis points, invoice number, shop's tax id, buyer's).
pub type InvoiceCase = (u16, String, String, Option<String>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceiptCase {
    pub hindi: bool,
    pub narrow: bool,
    pub font: bool,
    pub shop: String,
    pub address: Option<String>,
    pub till: Option<String>,
    pub operator: String,
    pub sold_at: String,
    pub order_id: String,
    pub product: String,
    pub region: String,
    /// (minor units, currency code)
    pub face: (i64, String),
    pub price: (i64, String),
    pub paid_by: Option<PaidByCase>,
    pub codes: Vec<CodeCase>,
    pub redeem_url: Option<String>,
    pub instructions: Option<String>,
    pub reprint: Option<(u32, String)>,
    /// Cases kept from before tax invoices have none.
    #[serde(default)]
    pub invoice: Option<InvoiceCase>,
    /// A claim slip: (claim number, refund-after time). Older cases have none.
    #[serde(default)]
    pub claim: Option<(String, String)>,
}

fn money((minor, code): &(i64, String)) -> Money {
    Money::from_minor(*minor, Currency::parse(code).unwrap_or(Currency::USD))
}

impl ReceiptCase {
    pub fn receipt(&self) -> Receipt {
        let currency = Currency::parse(&self.price.1).unwrap_or(Currency::USD);
        Receipt {
            language: if self.hindi {
                Language::Hi
            } else {
                Language::En
            },
            shop: Shop {
                name: self.shop.clone(),
                address: self.address.clone(),
            },
            till_id: self.till.clone(),
            operator: self.operator.clone(),
            sold_at: self.sold_at.clone(),
            order_id: self.order_id.clone(),
            product: self.product.clone(),
            region: self.region.clone(),
            face_value: money(&self.face),
            price: money(&self.price),
            paid_by: self
                .paid_by
                .as_ref()
                .map(|(method, reference, tendered, change)| PaidBy {
                    method: method.clone(),
                    reference: reference.clone(),
                    tendered: tendered.map(|m| Money::from_minor(m, currency)),
                    change: change.map(|m| Money::from_minor(m, currency)),
                }),
            codes: self
                .codes
                .iter()
                .map(|(code, pin, serial, expires_at)| RevealedCode {
                    code: code.clone(),
                    pin: pin.clone(),
                    serial: serial.clone(),
                    expires_at: expires_at.clone(),
                })
                .collect(),
            redeem_url: self.redeem_url.clone(),
            instructions: self.instructions.clone(),
            reprint: self.reprint.clone(),
            tax: self.invoice.as_ref().map(|(bp, number, shop, buyer)| {
                let rate = rust_decimal::Decimal::new(i64::from(*bp % 10_001), 2);
                let split = codetill_core::tax::split_inclusive(money(&self.price), rate);
                ReceiptTax {
                    rate,
                    tax: split.tax,
                    net: split.net,
                    invoice: Some(codetill_core::orders::Invoice {
                        number: number.clone(),
                        shop_tax_id: shop.clone(),
                        buyer_tax_id: buyer.clone(),
                    }),
                }
            }),
            claim: self.claim.as_ref().map(|(number, refund_after)| {
                codetill_core::delivery::receipt::ClaimSlip {
                    number: number.clone(),
                    refund_after: refund_after.clone(),
                }
            }),
        }
    }

    fn paper(&self) -> Paper {
        if self.narrow {
            Paper::Mm58
        } else {
            Paper::Mm80
        }
    }

    /// Codes printed as one plain line of text, which must come out as such.
    fn plain_codes(&self) -> Vec<&str> {
        let cols = self.paper().columns();
        self.codes
            .iter()
            .map(|c| c.0.as_str())
            .filter(|c| {
                !c.is_empty()
                    && c.len() <= cols
                    && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            .collect()
    }
}

fn font() -> Option<&'static Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| Font::find(None)).as_ref()
}

pub fn inputs() -> BoxedStrategy<ReceiptCase> {
    let currency = prop_oneof![
        4 => proptest::sample::select(vec!["USD", "INR", "JPY", "KWD", "EUR"]).prop_map(str::to_owned),
        1 => short_text(),
    ];
    let amount = prop_oneof![3 => -100_000i64..10_000_000, 1 => any::<i64>()];
    let code = prop_oneof![
        3 => "[A-Z0-9]{4,6}(-[A-Z0-9]{4,6}){0,4}",
        1 => "[A-Z0-9-]{1,80}",
        2 => hostile_text(),
    ];
    let opt = || proptest::option::of(hostile_text());
    let codes = vec(
        (
            code,
            proptest::option::of(short_text()),
            proptest::option::of(short_text()),
            proptest::option::of(short_text()),
        ),
        0..3,
    );
    (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (
            hostile_text(),
            opt(),
            proptest::option::of(short_text()),
            hostile_text(),
            short_text(),
            short_text(),
        ),
        (
            hostile_text(),
            short_text(),
            (amount.clone(), currency.clone()),
            (amount.clone(), currency),
        ),
        proptest::option::of((
            short_text(),
            proptest::option::of(short_text()),
            proptest::option::of(amount.clone()),
            proptest::option::of(amount),
        )),
        codes,
        (
            opt(),
            opt(),
            proptest::option::of((any::<u32>(), short_text())),
            proptest::option::of((
                any::<u16>(),
                hostile_text(),
                short_text(),
                proptest::option::of(hostile_text()),
            )),
            proptest::option::of((hostile_text(), short_text())),
        ),
    )
        .prop_map(
            |(
                (hindi, narrow, font),
                (shop, address, till, operator, sold_at, order_id),
                (product, region, face, price),
                paid_by,
                codes,
                (redeem_url, instructions, reprint, invoice, claim),
            )| {
                ReceiptCase {
                    hindi,
                    narrow,
                    font,
                    shop,
                    address,
                    till,
                    operator,
                    sold_at,
                    order_id,
                    product,
                    region,
                    face,
                    price,
                    paid_by,
                    codes,
                    redeem_url,
                    instructions,
                    reprint,
                    invoice,
                    claim,
                }
            },
        )
        .boxed()
}

/// Where the ESC/POS stream is not what the renderer sends: a control byte that
/// does not start one of its commands, or a command cut short.
pub fn stray_control(bytes: &[u8]) -> Option<String> {
    let len16 = |i: usize| -> Option<usize> {
        Some(usize::from(*bytes.get(i)?) | usize::from(*bytes.get(i + 1)?) << 8)
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let step = match b {
            0x0a => Some(1),
            0x1b => match bytes.get(i + 1) {
                Some(b'@') => Some(2),
                Some(b't' | b'a' | b'E' | b'd') => Some(3),
                _ => None,
            },
            0x1d => match bytes.get(i + 1) {
                Some(b'!') => Some(3),
                Some(b'V') if matches!(bytes.get(i + 2), Some(b'A' | b'B')) => Some(4),
                Some(b'(') if bytes.get(i + 2) == Some(&b'k') => len16(i + 3).map(|n| 5 + n),
                Some(b'v') if bytes.get(i + 2) == Some(&b'0') => {
                    len16(i + 4).zip(len16(i + 6)).map(|(w, h)| 8 + w * h)
                }
                _ => None,
            },
            0x00..=0x1f | 0x7f => None,
            _ => Some(1),
        };
        match step {
            Some(n) if i + n <= bytes.len() => i += n,
            _ => {
                let end = (i + 8).min(bytes.len());
                return Some(format!("byte {i}: {:02x?}", &bytes[i..end]));
            }
        }
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub struct Escpos;

impl Target for Escpos {
    const NAME: &'static str = "receipt-escpos";
    const QUICK_CASES: u32 = 64;
    type Input = ReceiptCase;

    fn inputs() -> BoxedStrategy<ReceiptCase> {
        inputs()
    }

    fn check(case: &ReceiptCase) -> Result<(), String> {
        let receipt = case.receipt();
        let paper = case.paper();
        let cols = paper.columns();
        let preview = text::render(&receipt, paper);
        for line in preview.lines() {
            if line.chars().count() > cols {
                return Err(format!("a preview line wider than {cols}: {line:?}"));
            }
            if line.chars().any(char::is_control) {
                return Err(format!("a control character in the preview: {line:?}"));
            }
        }
        let font = if case.font { font() } else { None };
        let bytes = escpos::render(&receipt, paper, font).map_err(|e| format!("ESC/POS: {e}"))?;
        if let Some(at) = stray_control(&bytes) {
            return Err(format!("ESC/POS stream has a stray control byte at {at}"));
        }
        for code in case.plain_codes() {
            if !contains(&bytes, code.as_bytes()) {
                return Err(format!("the code {code:?} is not printed as text"));
            }
        }
        Ok(())
    }
}

pub struct Pdf;

impl Target for Pdf {
    const NAME: &'static str = "receipt-pdf";
    const QUICK_CASES: u32 = 24;
    type Input = ReceiptCase;

    fn inputs() -> BoxedStrategy<ReceiptCase> {
        inputs()
    }

    fn check(case: &ReceiptCase) -> Result<(), String> {
        let receipt = case.receipt();
        let font = if case.font { font() } else { None };
        let bytes = pdf::render(&receipt, font).map_err(|e| format!("PDF: {e}"))?;
        let mut warnings = Vec::new();
        let doc = printpdf::PdfDocument::parse(
            &bytes,
            &printpdf::PdfParseOptions::default(),
            &mut warnings,
        )
        .map_err(|e| format!("the PDF does not parse back: {e}"))?;
        let text: String = doc
            .extract_text()
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        for code in case.plain_codes() {
            if !text.contains(code) {
                return Err(format!("the code {code:?} is not in the PDF's text"));
            }
        }
        Ok(())
    }
}
