//! The receipt as prepaid-PIN terminals print it, as a layout model: a list of
//! blocks (centred titles, label/value pairs, rules, the code, a QR code) that each
//! output renders in its own way, and [`rows`], which breaks the blocks into lines
//! of a monospace grid for the outputs that print characters.

use serde::Serialize;

use super::Language;
use crate::money::Money;
use crate::orders::{Order, RevealedCode};

/// The shop's name and address as the receipt heads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shop {
    pub name: String,
    /// Lines separated by newlines or commas.
    pub address: Option<String>,
}

/// How the buyer paid, for the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidBy {
    pub method: String,
    pub reference: Option<String>,
    pub tendered: Option<Money>,
    pub change: Option<Money>,
}

/// Everything a receipt shows. Holds codes in clear: build it only to render it for
/// sending, and drop it after (its `Debug` never shows a code).
#[derive(Debug, Clone)]
pub struct Receipt {
    pub language: Language,
    pub shop: Shop,
    pub till_id: Option<String>,
    pub operator: String,
    /// When the sale was made, already in the shop's local time.
    pub sold_at: String,
    pub order_id: String,
    pub product: String,
    pub region: String,
    pub face_value: Money,
    pub price: Money,
    pub paid_by: Option<PaidBy>,
    pub codes: Vec<RevealedCode>,
    pub redeem_url: Option<String>,
    pub instructions: Option<String>,
    /// `Some((n, printed_at))` on the n-th reprint.
    pub reprint: Option<(u32, String)>,
    /// The tax inside the price, and the invoice when the sale was given one: the
    /// receipt is then a tax invoice.
    pub tax: Option<ReceiptTax>,
    /// A claim slip instead of codes: the sale was taken while the supplier was down.
    pub claim: Option<ClaimSlip>,
}

/// What a claim slip says besides the sale: its number (also its QR code) and the
/// time after which the buyer is refunded if the code could not be bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimSlip {
    pub number: String,
    /// In the shop's local time.
    pub refund_after: String,
}

/// What makes a receipt a tax invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptTax {
    /// Percent.
    pub rate: rust_decimal::Decimal,
    pub tax: Money,
    pub net: Money,
    pub invoice: Option<crate::orders::Invoice>,
}

impl Receipt {
    /// The receipt of a delivered order, times in the machine's local time zone.
    pub fn from_order(
        order: &Order,
        codes: Vec<RevealedCode>,
        shop: Shop,
        language: Language,
        reprint: Option<u32>,
    ) -> Receipt {
        let sold = order
            .delivered_at
            .as_deref()
            .or(order.paid_at.as_deref())
            .unwrap_or(&order.created_at);
        Receipt {
            language,
            shop,
            till_id: order.till_id.clone(),
            operator: order.staff.clone(),
            sold_at: local_time(sold),
            order_id: order.public_id.clone(),
            product: order.name.clone(),
            region: order.region.clone(),
            face_value: order.face_value,
            price: order
                .payment
                .as_ref()
                .map(|p| p.amount)
                .unwrap_or(order.price),
            paid_by: order.payment.as_ref().map(|p| PaidBy {
                method: p.method.clone(),
                reference: p.reference.clone(),
                tendered: p.tendered,
                change: p.change,
            }),
            codes,
            redeem_url: order.redeem_url.clone().filter(|u| !u.trim().is_empty()),
            instructions: order
                .redeem_instructions
                .clone()
                .filter(|i| !i.trim().is_empty()),
            reprint: reprint.map(|n| (n, local_time(&crate::db::now_text()))),
            tax: order.tax.map(|t| ReceiptTax {
                rate: t.rate,
                tax: t.tax,
                net: Money::new(order.price.amount - t.tax.amount, order.price.currency),
                invoice: order.invoice.clone(),
            }),
            claim: None,
        }
    }

    /// The slip of a sale taken as a claim (no codes yet): refunded if not bought
    /// within `limit` of the claim.
    pub fn claim_slip(
        order: &Order,
        shop: Shop,
        language: Language,
        limit: std::time::Duration,
    ) -> Option<Receipt> {
        let claim = order.claim.as_ref()?;
        let refund_after = chrono::DateTime::parse_from_rfc3339(&claim.taken_at)
            .ok()
            .and_then(|t| {
                chrono::Duration::from_std(limit)
                    .ok()
                    .map(|l| crate::db::time_text(t.with_timezone(&chrono::Utc) + l))
            })
            .map(|t| local_time(&t))
            .unwrap_or_default();
        let mut r = Receipt::from_order(order, Vec::new(), shop, language, None);
        r.sold_at = local_time(&claim.taken_at);
        r.claim = Some(ClaimSlip {
            number: claim.number.clone(),
            refund_after,
        });
        Some(r)
    }

    /// The notice every receipt and email carries, in English.
    pub fn notice(&self) -> String {
        format!(
            "Digital codes are non-refundable once issued. Region: {} — check it matches your account.",
            self.region
        )
    }

    pub fn labels(&self) -> &'static Labels {
        labels(self.language)
    }

    /// The receipt as blocks, top to bottom.
    pub fn blocks(&self) -> Vec<Block> {
        let l = self.labels();
        let mut b = Vec::new();
        if let Some((n, _)) = &self.reprint {
            b.push(Block::text(
                format!("REPRINT #{n}"),
                Align::Center,
                Emphasis::Large,
            ));
            if self.language == Language::Hi {
                b.push(Block::text(
                    format!("{} #{n}", l.reprint),
                    Align::Center,
                    Emphasis::Bold,
                ));
            }
        }
        b.push(Block::text(&self.shop.name, Align::Center, Emphasis::Large));
        if let Some(address) = &self.shop.address {
            for line in address
                .split(['\n', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                b.push(Block::text(line, Align::Center, Emphasis::Normal));
            }
        }
        let invoice = self.tax.as_ref().and_then(|t| t.invoice.as_ref());
        if let Some(i) = invoice {
            b.push(Block::pair(l.tax_id, &i.shop_tax_id));
            b.push(Block::Rule);
            b.push(Block::text(l.tax_invoice, Align::Center, Emphasis::Bold));
        }
        b.push(Block::Rule);
        if let Some(i) = invoice {
            b.push(Block::pair(l.invoice, &i.number));
            if let Some(buyer) = &i.buyer_tax_id {
                b.push(Block::pair(l.buyer_tax_id, buyer));
            }
        }
        if let Some(till) = &self.till_id {
            b.push(Block::pair(l.till, till));
        }
        b.push(Block::pair(l.operator, &self.operator));
        b.push(Block::pair(l.date, &self.sold_at));
        b.push(Block::pair(l.order, &self.order_id));
        b.push(Block::Rule);
        b.push(Block::text(&self.product, Align::Left, Emphasis::Bold));
        b.push(Block::pair(l.region, &self.region));
        b.push(Block::pair(l.face_value, self.face_value.to_string()));
        b.push(Block::Rule);
        b.push(Block::pair(l.price, self.price.to_string()));
        if let Some(t) = &self.tax {
            b.push(Block::pair(l.net, t.net.to_string()));
            b.push(Block::pair(
                &l.tax.replace("{rate}", &t.rate.normalize().to_string()),
                t.tax.to_string(),
            ));
        }
        if let Some(p) = &self.paid_by {
            let method = match p.method.as_str() {
                "cash" => l.cash.to_string(),
                "card" => l.card.to_string(),
                other => other.to_string(),
            };
            let value = match &p.reference {
                Some(r) => format!("{method} {r}"),
                None => method,
            };
            b.push(Block::pair(l.paid_by, value));
            if let Some(t) = p.tendered {
                b.push(Block::pair(l.tendered, t.to_string()));
            }
            if let Some(c) = p.change {
                b.push(Block::pair(l.change, c.to_string()));
            }
        }
        b.push(Block::Rule);
        if let Some(c) = &self.claim {
            b.push(Block::text(l.claim_slip, Align::Center, Emphasis::Large));
            b.push(Block::pair(l.claim, &c.number));
            b.push(Block::text(
                l.claim_wait.replace("{until}", &c.refund_after),
                Align::Left,
                Emphasis::Normal,
            ));
            if qr_fits(&c.number) {
                b.push(Block::Qr(c.number.clone()));
            }
            b.push(Block::text(l.claim_show, Align::Center, Emphasis::Bold));
        }
        let count = self.codes.len();
        for (i, c) in self.codes.iter().enumerate() {
            let title = if count > 1 {
                format!("{} {}/{count}", l.code, i + 1)
            } else {
                l.code.to_string()
            };
            b.push(Block::text(title, Align::Center, Emphasis::Normal));
            b.push(Block::Code(c.code.clone()));
            if let Some(pin) = &c.pin {
                b.push(Block::pair(l.pin, pin));
            }
            if let Some(serial) = &c.serial {
                b.push(Block::pair(l.serial, serial));
            }
            if let Some(expires) = &c.expires_at {
                b.push(Block::pair(l.valid_until, date_only(expires)));
            }
        }
        if self.redeem_url.is_some() || self.instructions.is_some() {
            b.push(Block::Rule);
        }
        if let Some(url) = &self.redeem_url {
            b.push(Block::text(l.redeem_at, Align::Left, Emphasis::Normal));
            b.push(Block::text(url, Align::Left, Emphasis::Normal));
        }
        if let Some(i) = &self.instructions {
            b.push(Block::text(i, Align::Left, Emphasis::Normal));
        }
        // A slip's one QR code is its claim number, for the counter's scanner.
        if let Some(url) = self
            .redeem_url
            .as_ref()
            .filter(|u| self.claim.is_none() && qr_fits(u))
        {
            b.push(Block::Qr(url.clone()));
            b.push(Block::text(l.scan, Align::Center, Emphasis::Normal));
        }
        b.push(Block::Rule);
        b.push(Block::text(self.notice(), Align::Left, Emphasis::Normal));
        if self.language == Language::Hi {
            b.push(Block::text(
                l.notice.replace("{region}", &self.region),
                Align::Left,
                Emphasis::Normal,
            ));
        }
        if let Some((n, at)) = &self.reprint {
            b.push(Block::Rule);
            b.push(Block::text(
                format!("REPRINT #{n} {at}"),
                Align::Center,
                Emphasis::Bold,
            ));
        }
        b
    }
}

/// Whether `data` fits a QR code at the level the renderers draw (M). A longer
/// redeem URL is printed as text only: refusing the QR code would refuse the
/// whole receipt, code and all.
pub fn qr_fits(data: &str) -> bool {
    qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).is_ok()
}

/// The words a receipt and an email use, per language.
pub struct Labels {
    pub till: &'static str,
    pub operator: &'static str,
    pub date: &'static str,
    pub order: &'static str,
    pub region: &'static str,
    pub face_value: &'static str,
    pub price: &'static str,
    pub paid_by: &'static str,
    pub cash: &'static str,
    pub card: &'static str,
    pub tendered: &'static str,
    pub change: &'static str,
    pub code: &'static str,
    pub pin: &'static str,
    pub serial: &'static str,
    pub valid_until: &'static str,
    pub redeem_at: &'static str,
    pub scan: &'static str,
    pub reprint: &'static str,
    /// The notice in this language, `{region}` to fill in (Hindi only; English is
    /// [`Receipt::notice`]).
    pub notice: &'static str,
    pub product: &'static str,
    pub how_to_redeem: &'static str,
    pub tax_invoice: &'static str,
    pub tax_id: &'static str,
    pub invoice: &'static str,
    pub buyer_tax_id: &'static str,
    pub net: &'static str,
    /// `{rate}` is the percent.
    pub tax: &'static str,
    pub claim_slip: &'static str,
    pub claim: &'static str,
    /// `{until}`: when the buyer is refunded if the code was not bought.
    pub claim_wait: &'static str,
    pub claim_show: &'static str,
}

const EN: Labels = Labels {
    till: "Till",
    operator: "Operator",
    date: "Date",
    order: "Order",
    region: "Region",
    face_value: "Face value",
    price: "Price",
    paid_by: "Paid by",
    cash: "Cash",
    card: "Card",
    tendered: "Tendered",
    change: "Change",
    code: "CODE",
    pin: "PIN",
    serial: "Serial",
    valid_until: "Valid until",
    redeem_at: "Redeem at:",
    scan: "Scan to redeem",
    reprint: "REPRINT",
    notice: "",
    product: "Product",
    how_to_redeem: "How to redeem",
    tax_invoice: "TAX INVOICE",
    tax_id: "Tax id",
    invoice: "Invoice",
    buyer_tax_id: "Buyer tax id",
    net: "Net",
    tax: "Tax {rate}% (incl.)",
    claim_slip: "CLAIM SLIP",
    claim: "Claim",
    claim_wait: "Paid. Our supplier is not answering right now: your code is bought the moment it does, and sent to you or kept for you at the counter. If it cannot be bought by {until}, your money is refunded.",
    claim_show: "Show this slip to collect your code",
};

const HI: Labels = Labels {
    till: "टिल",
    operator: "ऑपरेटर",
    date: "दिनांक",
    order: "ऑर्डर",
    region: "क्षेत्र",
    face_value: "अंकित मूल्य",
    price: "मूल्य",
    paid_by: "भुगतान",
    cash: "नकद",
    card: "कार्ड",
    tendered: "दी गई राशि",
    change: "वापसी",
    code: "कोड",
    pin: "पिन",
    serial: "सीरियल",
    valid_until: "मान्य तिथि",
    redeem_at: "यहाँ रिडीम करें:",
    scan: "रिडीम करने के लिए स्कैन करें",
    reprint: "पुनर्मुद्रण",
    notice: "डिजिटल कोड जारी होने के बाद वापस नहीं होते। क्षेत्र: {region} — जाँच लें कि यह आपके खाते से मेल खाता है।",
    product: "उत्पाद",
    how_to_redeem: "रिडीम कैसे करें",
    tax_invoice: "कर बीजक",
    tax_id: "कर पहचान सं.",
    invoice: "बीजक सं.",
    buyer_tax_id: "क्रेता कर पहचान सं.",
    net: "शुद्ध मूल्य",
    tax: "कर {rate}% (शामिल)",
    claim_slip: "दावा पर्ची",
    claim: "दावा सं.",
    claim_wait: "भुगतान हो गया। हमारा सप्लायर अभी जवाब नहीं दे रहा: जवाब मिलते ही आपका कोड ख़रीदा जाएगा और आपको भेजा जाएगा या काउंटर पर आपके लिए रखा जाएगा। यदि {until} तक कोड नहीं ख़रीदा जा सका, तो आपका पैसा लौटा दिया जाएगा।",
    claim_show: "अपना कोड लेने के लिए यह पर्ची दिखाएँ",
};

pub fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &EN,
        Language::Hi => &HI,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emphasis {
    Normal,
    Bold,
    /// Bold and double height (same width, so the grid still holds).
    Large,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Text {
        text: String,
        align: Align,
        emphasis: Emphasis,
    },
    /// A label at the left, its value at the right.
    Pair {
        label: String,
        value: String,
    },
    /// The code itself: large, centred, never broken inside a group if avoidable.
    Code(String),
    Qr(String),
    Rule,
}

impl Block {
    pub fn text(text: impl Into<String>, align: Align, emphasis: Emphasis) -> Block {
        Block::Text {
            text: text.into(),
            align,
            emphasis,
        }
    }

    pub fn pair(label: &str, value: impl Into<String>) -> Block {
        Block::Pair {
            label: label.to_string(),
            value: value.into(),
        }
    }
}

/// One line of the monospace grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Text {
        text: String,
        align: Align,
        emphasis: Emphasis,
    },
    Pair {
        label: String,
        value: String,
    },
    Qr(String),
    Rule,
}

impl Row {
    /// The row as `cols` characters of plain text (the QR code as a placeholder).
    pub fn plain(&self, cols: usize) -> String {
        match self {
            Row::Text { text, align, .. } => match align {
                Align::Left => text.clone(),
                Align::Center => centre(text, cols),
            },
            Row::Pair { label, value } => {
                let used = width(label) + width(value);
                format!(
                    "{label}{}{value}",
                    " ".repeat(cols.saturating_sub(used).max(1))
                )
            }
            Row::Qr(_) => centre("[QR code]", cols),
            Row::Rule => "-".repeat(cols),
        }
    }

    /// Every character of the row's text (for code page checks).
    pub fn text(&self) -> String {
        match self {
            Row::Text { text, .. } => text.clone(),
            Row::Pair { label, value } => format!("{label} {value}"),
            Row::Qr(_) | Row::Rule => String::new(),
        }
    }
}

/// The blocks as rows of at most `cols` characters, their text [`clean`]ed.
pub fn rows(blocks: &[Block], cols: usize) -> Vec<Row> {
    let cols = cols.max(8);
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Text {
                text,
                align,
                emphasis,
            } => {
                for line in wrap(&clean(text), cols) {
                    out.push(Row::Text {
                        text: line,
                        align: *align,
                        emphasis: *emphasis,
                    });
                }
            }
            Block::Code(code) => {
                for line in wrap_code(&clean(code), cols) {
                    out.push(Row::Text {
                        text: line,
                        align: Align::Center,
                        emphasis: Emphasis::Large,
                    });
                }
            }
            Block::Pair { label, value } => {
                let label_text = format!("{}:", clean(label));
                let value = &clean(value);
                if width(&label_text) + 1 + width(value) <= cols {
                    out.push(Row::Pair {
                        label: label_text,
                        value: value.to_owned(),
                    });
                } else {
                    // Too long for one line: the label, then the value under it.
                    out.push(Row::Text {
                        text: label_text,
                        align: Align::Left,
                        emphasis: Emphasis::Normal,
                    });
                    for line in wrap(value, cols) {
                        let pad = cols.saturating_sub(width(&line));
                        out.push(Row::Text {
                            text: format!("{}{line}", " ".repeat(pad)),
                            align: Align::Left,
                            emphasis: Emphasis::Normal,
                        });
                    }
                }
            }
            Block::Qr(data) => out.push(Row::Qr(data.clone())),
            Block::Rule => out.push(Row::Rule),
        }
    }
    out
}

/// Text from outside (a product name, a buyer's reference, a code) made safe to
/// lay out: control characters become spaces, so none reaches a printer (where
/// ESC, GS or DLE would start a command) or the preview; bidi overrides and
/// isolates are dropped, so no text can reorder what prints after it.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Characters, the unit of the grid (combining marks make Devanagari look
/// narrower than this; a little room on the right is harmless).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

fn centre(text: &str, cols: usize) -> String {
    let pad = cols.saturating_sub(width(text)) / 2;
    format!("{}{text}", " ".repeat(pad))
}

/// Words onto lines of at most `cols` characters; a word longer than a line (a URL)
/// is cut.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let room = if current.is_empty() {
                cols
            } else {
                cols.saturating_sub(width(&current) + 1)
            };
            if width(&word) <= room {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if current.is_empty() {
                let head: String = word.chars().take(cols).collect();
                word = word.chars().skip(cols).collect();
                lines.push(head);
            } else {
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// A long code is cut after its dashes where it can be, so groups stay whole.
fn wrap_code(code: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for piece in code.split_inclusive('-') {
        if !current.is_empty() && width(&current) + width(piece) > cols {
            lines.push(std::mem::take(&mut current));
        }
        current.push_str(piece);
        while width(&current) > cols {
            lines.push(current.chars().take(cols).collect());
            current = current.chars().skip(cols).collect();
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

pub(crate) fn local_time(stored: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => t
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => stored.to_string(),
    }
}

fn date_only(stored: &str) -> String {
    stored.get(..10).unwrap_or(stored).to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::money::Currency;

    /// The receipt the golden files and the renderers' tests use.
    pub(crate) fn sample(language: Language, reprint: Option<u32>) -> Receipt {
        let usd = |a: &str| Money::parse(a, Currency::USD).unwrap();
        Receipt {
            language,
            shop: Shop {
                name: "Corner Digital Store".into(),
                address: Some("12 MG Road, Bengaluru 560001".into()),
            },
            till_id: Some("till-1".into()),
            operator: "asha".into(),
            sold_at: "2025-03-04 14:05".into(),
            order_id: "ORD-000123".into(),
            product: "Steam Gift Card $20 — US".into(),
            region: "US".into(),
            face_value: usd("20.00"),
            price: usd("21.99"),
            paid_by: Some(PaidBy {
                method: "cash".into(),
                reference: None,
                tendered: Some(usd("25.00")),
                change: Some(usd("3.01")),
            }),
            codes: vec![RevealedCode {
                code: "ABCDE-FGHJK-LMNPQ".into(),
                pin: Some("4321".into()),
                serial: Some("SN-889123".into()),
                expires_at: None,
            }],
            redeem_url: Some("https://store.example.com/redeem".into()),
            instructions: Some(
                "Sign in to your account, open Redeem a code and type the code above.".into(),
            ),
            reprint: reprint.map(|n| (n, "2025-03-04 15:30".into())),
            tax: None,
            claim: None,
        }
    }

    /// The sample taken as a claim: no code yet, the slip's number instead.
    pub(crate) fn sample_claim(language: Language) -> Receipt {
        Receipt {
            codes: Vec::new(),
            claim: Some(ClaimSlip {
                number: "CLM-000123".into(),
                refund_after: "2025-03-06 14:05".into(),
            }),
            ..sample(language, None)
        }
    }

    /// The sample as a tax invoice: GST 18% inside the price, the shop's GSTIN and
    /// a business buyer's.
    pub(crate) fn sample_invoice(language: Language) -> Receipt {
        let usd = |a: &str| Money::parse(a, Currency::USD).unwrap();
        Receipt {
            tax: Some(ReceiptTax {
                rate: rust_decimal::Decimal::from(18),
                tax: usd("3.35"),
                net: usd("18.64"),
                invoice: Some(crate::orders::Invoice {
                    number: "INV/2024-25/000042".into(),
                    shop_tax_id: "29ABCDE1234F1Z5".into(),
                    buyer_tax_id: Some("27PQRSX9876K1Z2".into()),
                }),
            }),
            ..sample(language, None)
        }
    }

    #[test]
    fn rows_fit_the_paper() {
        for cols in [32, 48] {
            for r in rows(&sample(Language::En, Some(2)).blocks(), cols) {
                assert!(width(&r.plain(cols)) <= cols, "{r:?} wider than {cols}");
            }
        }
    }

    #[test]
    fn long_codes_break_between_groups() {
        assert_eq!(
            wrap_code("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGGG", 32),
            vec!["AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-", "FFFFF-GGGGG"]
        );
        assert_eq!(wrap("x".repeat(40).as_str(), 16).len(), 3);
    }

    #[test]
    fn outside_text_loses_control_characters_and_bidi_overrides() {
        let blocks = vec![
            Block::text("Steam\x1bp\x00\x19 card", Align::Left, Emphasis::Bold),
            Block::pair("Ref", "a\u{202e}fed\u{202c}\r\nb"),
            Block::Code("ABCD\x1dV\x00EF".into()),
        ];
        let rows = rows(&blocks, 32);
        for r in &rows {
            assert!(!r.text().chars().any(char::is_control), "{r:?}");
            assert!(!r.text().contains('\u{202e}'), "{r:?}");
        }
        assert_eq!(rows[0].text(), "Steam p card");
        assert_eq!(rows[1].text(), "Ref: afed  b");
        assert_eq!(rows[2].text(), "ABCD V EF");
    }

    #[test]
    fn a_redeem_url_too_long_for_a_qr_code_is_printed_as_text_only() {
        let mut r = sample(Language::En, None);
        let long = format!("https://store.example.com/{}", "x".repeat(3_000));
        r.redeem_url = Some(long.clone());
        let blocks = r.blocks();
        assert!(!blocks.iter().any(|b| matches!(b, Block::Qr(_))));
        assert!(blocks.contains(&Block::text(long, Align::Left, Emphasis::Normal)));
        assert!(
            sample(Language::En, None)
                .blocks()
                .iter()
                .any(|b| matches!(b, Block::Qr(_)))
        );
    }

    #[test]
    fn debug_never_shows_the_code() {
        let r = sample(Language::En, None);
        assert!(!format!("{r:?}").contains("ABCDE"));
    }
}
