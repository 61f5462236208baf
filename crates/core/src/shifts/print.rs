//! A shift report on paper: the receipt's layout model ([`Block`]s), so the same
//! renderers print it as text, ESC/POS for 80 and 58 mm printers, and PDF, in
//! English or Hindi. Hindi without a font with Devanagari prints in English (as a
//! receipt does).

use super::report::{ReportKind, ShiftReport};
use super::{CashMoveKind, ShiftError};
use crate::delivery::printer::{Paper, PrintError};
use crate::delivery::raster::Font;
use crate::delivery::receipt::{Align, Block, Emphasis, Shop, local_time, rows};
use crate::delivery::{Language, escpos, pdf};
use crate::money::Money;

/// The words of a shift report, per language.
pub struct Labels {
    pub x_report: &'static str,
    pub z_report: &'static str,
    pub till: &'static str,
    pub opened_by: &'static str,
    pub opened: &'static str,
    pub closed_by: &'static str,
    pub closed: &'static str,
    pub printed: &'static str,
    pub sales: &'static str,
    pub total_sales: &'static str,
    pub refunds: &'static str,
    pub total_refunds: &'static str,
    pub net: &'static str,
    pub codes_issued: &'static str,
    pub delivered_sales: &'static str,
    pub cost: &'static str,
    pub margin: &'static str,
    pub margin_pct: &'static str,
    pub by_category: &'static str,
    pub awaiting: &'static str,
    pub other_currency: &'static str,
    pub drawer: &'static str,
    pub float: &'static str,
    pub cash_sales: &'static str,
    pub cash_refunds: &'static str,
    pub cash_in: &'static str,
    pub cash_out: &'static str,
    pub expected: &'static str,
    pub counted: &'static str,
    pub over: &'static str,
    pub short: &'static str,
    pub even: &'static str,
    pub none: &'static str,
    pub cash: &'static str,
    pub card: &'static str,
    pub gift_card: &'static str,
    pub game_topup: &'static str,
    pub mobile_topup: &'static str,
    pub software_key: &'static str,
    pub other: &'static str,
}

const EN: Labels = Labels {
    x_report: "X-REPORT",
    z_report: "Z-REPORT",
    till: "Till",
    opened_by: "Opened by",
    opened: "Opened",
    closed_by: "Closed by",
    closed: "Closed",
    printed: "Printed",
    sales: "SALES",
    total_sales: "Total sales",
    refunds: "REFUNDS",
    total_refunds: "Total refunds",
    net: "Net",
    codes_issued: "Codes issued",
    delivered_sales: "Delivered sales",
    cost: "Cost",
    margin: "Margin",
    margin_pct: "Margin %",
    by_category: "BY CATEGORY",
    awaiting: "Awaiting supplier",
    other_currency: "Orders in other currencies",
    drawer: "CASH DRAWER",
    float: "Float",
    cash_sales: "Cash sales",
    cash_refunds: "Cash refunds",
    cash_in: "Cash in",
    cash_out: "Cash out",
    expected: "Expected",
    counted: "Counted",
    over: "Over",
    short: "Short",
    even: "Over/short",
    none: "none",
    cash: "Cash",
    card: "Card",
    gift_card: "Gift cards",
    game_topup: "Game top-ups",
    mobile_topup: "Mobile top-ups",
    software_key: "Software keys",
    other: "Other",
};

const HI: Labels = Labels {
    x_report: "X-रिपोर्ट",
    z_report: "Z-रिपोर्ट",
    till: "टिल",
    opened_by: "खोलने वाले",
    opened: "खुली",
    closed_by: "बंद करने वाले",
    closed: "बंद",
    printed: "मुद्रित",
    sales: "बिक्री",
    total_sales: "कुल बिक्री",
    refunds: "धनवापसी",
    total_refunds: "कुल धनवापसी",
    net: "शुद्ध",
    codes_issued: "जारी कोड",
    delivered_sales: "डिलीवर बिक्री",
    cost: "लागत",
    margin: "मार्जिन",
    margin_pct: "मार्जिन %",
    by_category: "श्रेणी अनुसार",
    awaiting: "सप्लायर की प्रतीक्षा",
    other_currency: "अन्य मुद्राओं में ऑर्डर",
    drawer: "कैश ड्रॉअर",
    float: "फ़्लोट",
    cash_sales: "नकद बिक्री",
    cash_refunds: "नकद धनवापसी",
    cash_in: "नकद जमा",
    cash_out: "नकद निकासी",
    expected: "अपेक्षित",
    counted: "गिना गया",
    over: "अधिक",
    short: "कम",
    even: "अधिक/कम",
    none: "कोई नहीं",
    cash: "नकद",
    card: "कार्ड",
    gift_card: "गिफ़्ट कार्ड",
    game_topup: "गेम टॉप-अप",
    mobile_topup: "मोबाइल टॉप-अप",
    software_key: "सॉफ़्टवेयर की",
    other: "अन्य",
};

pub fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &EN,
        Language::Hi => &HI,
    }
}

/// A shift report ready to lay out: the figures, the shop heading it, the language,
/// and the local times as printed.
#[derive(Debug, Clone)]
pub struct ReportSheet {
    pub report: ShiftReport,
    pub shop: Shop,
    pub language: Language,
    /// Times already in the shop's local time (`None`: the machine's).
    pub times: Option<SheetTimes>,
}

/// The report's times as printed, when the caller fixes them (golden tests).
#[derive(Debug, Clone)]
pub struct SheetTimes {
    pub opened: String,
    pub closed: Option<String>,
    pub printed: String,
}

impl ReportSheet {
    pub fn new(report: ShiftReport, shop: Shop, language: Language) -> ReportSheet {
        ReportSheet {
            report,
            shop,
            language,
            times: None,
        }
    }

    fn times(&self) -> SheetTimes {
        self.times.clone().unwrap_or_else(|| SheetTimes {
            opened: local_time(&self.report.opened_at),
            closed: self.report.closed_at.as_deref().map(local_time),
            printed: local_time(&crate::db::now_text()),
        })
    }

    /// The title as printed: `Z-REPORT #12` or `X-REPORT`.
    pub fn title(&self) -> String {
        let l = labels(self.language);
        match (self.report.kind, self.report.z_number) {
            (ReportKind::Z, Some(z)) => format!("{} #{z}", l.z_report),
            (ReportKind::Z, None) => l.z_report.to_string(),
            (ReportKind::X, _) => l.x_report.to_string(),
        }
    }

    /// The report as blocks, top to bottom.
    pub fn blocks(&self) -> Vec<Block> {
        let l = labels(self.language);
        let r = &self.report;
        let t = self.times();
        let mut b = vec![
            Block::text(&self.shop.name, Align::Center, Emphasis::Large),
            Block::text(self.title(), Align::Center, Emphasis::Large),
            Block::Rule,
        ];
        if let Some(till) = &r.till_id {
            b.push(Block::pair(l.till, till));
        }
        b.push(Block::pair(l.opened_by, &r.opened_by));
        b.push(Block::pair(l.opened, &t.opened));
        if let (Some(by), Some(at)) = (&r.closed_by, &t.closed) {
            b.push(Block::pair(l.closed_by, by));
            b.push(Block::pair(l.closed, at));
        } else {
            b.push(Block::pair(l.printed, &t.printed));
        }

        b.push(Block::Rule);
        b.push(Block::text(l.sales, Align::Left, Emphasis::Bold));
        if r.sales.is_empty() {
            b.push(Block::text(l.none, Align::Left, Emphasis::Normal));
        }
        for line in &r.sales {
            b.push(counted_pair(
                &method(l, &line.method),
                line.count,
                &line.amount,
            ));
        }
        b.push(counted_pair(l.total_sales, r.sales_count, &r.sales_total));
        b.push(Block::text(l.refunds, Align::Left, Emphasis::Bold));
        if r.refunds.is_empty() {
            b.push(Block::text(l.none, Align::Left, Emphasis::Normal));
        }
        for line in &r.refunds {
            b.push(counted_pair(
                &method(l, &line.method),
                line.count,
                &negative(&line.amount),
            ));
        }
        b.push(counted_pair(
            l.total_refunds,
            r.refunds_count,
            &negative(&r.refunds_total),
        ));
        b.push(Block::pair(l.net, r.net.to_string()));
        b.push(Block::pair(l.codes_issued, r.codes_issued.to_string()));

        b.push(Block::Rule);
        b.push(Block::pair(
            l.delivered_sales,
            r.delivered_sales.to_string(),
        ));
        b.push(Block::pair(l.cost, r.cost.to_string()));
        b.push(Block::pair(l.margin, r.margin.to_string()));
        b.push(Block::pair(l.margin_pct, pct(r.margin_pct)));
        if r.awaiting_supplier > 0 {
            b.push(Block::pair(l.awaiting, r.awaiting_supplier.to_string()));
        }
        if r.other_currency_orders > 0 {
            b.push(Block::pair(
                l.other_currency,
                r.other_currency_orders.to_string(),
            ));
        }
        if !r.by_category.is_empty() {
            b.push(Block::text(l.by_category, Align::Left, Emphasis::Bold));
            for c in &r.by_category {
                b.push(counted_pair(&category(l, &c.category), c.orders, &c.sales));
                b.push(Block::pair(
                    &format!("  {}", l.margin),
                    format!("{} ({})", c.margin, pct(c.margin_pct)),
                ));
            }
        }

        b.push(Block::Rule);
        b.push(Block::text(l.drawer, Align::Left, Emphasis::Bold));
        let d = &r.cash;
        b.push(Block::pair(l.float, d.float.to_string()));
        b.push(Block::pair(l.cash_sales, d.cash_sales.to_string()));
        b.push(Block::pair(
            l.cash_refunds,
            negative(&d.cash_refunds).to_string(),
        ));
        for m in &r.cash_moves {
            let (label, amount) = match m.kind {
                CashMoveKind::In => (l.cash_in, m.amount),
                CashMoveKind::Out => (l.cash_out, negative(&m.amount)),
            };
            b.push(Block::pair(
                &format!("{label} ({})", m.reason),
                amount.to_string(),
            ));
        }
        b.push(Block::pair(l.expected, d.expected.to_string()));
        if let (Some(counted), Some(diff)) = (&d.counted, &d.over_short) {
            b.push(Block::pair(l.counted, counted.to_string()));
            let label = if diff.amount.is_sign_positive() && !diff.amount.is_zero() {
                l.over
            } else if diff.amount.is_sign_negative() {
                l.short
            } else {
                l.even
            };
            b.push(Block::text(
                format!("{label}: {diff}"),
                Align::Center,
                Emphasis::Large,
            ));
        }
        b
    }

    /// The report as lines of `paper`'s width (the preview, and the golden files).
    pub fn text(&self, paper: Paper) -> String {
        let cols = paper.columns();
        let mut out = String::new();
        for row in rows(&self.blocks(), cols) {
            out.push_str(row.plain(cols).trim_end());
            out.push('\n');
        }
        out
    }

    /// In English when the language needs a font there is none of.
    fn printable(&self, font: Option<&Font>) -> ReportSheet {
        if self.language != Language::En && font.is_none() {
            tracing::warn!(
                "no font with Devanagari (install fonts-noto-core or set CODETILL_RECEIPT_FONT): printing the shift report in English"
            );
            return ReportSheet {
                language: Language::En,
                ..self.clone()
            };
        }
        self.clone()
    }

    /// ESC/POS bytes for a thermal printer.
    pub fn escpos(&self, paper: Paper, font: Option<&Font>) -> Result<Vec<u8>, ShiftError> {
        let sheet = self.printable(font);
        escpos::render_blocks(&sheet.blocks(), paper, font).map_err(print_error)
    }

    /// A PDF document.
    pub fn pdf(&self, font: Option<&Font>) -> Result<Vec<u8>, ShiftError> {
        let sheet = self.printable(font);
        pdf::render_blocks(&sheet.title(), &sheet.blocks(), font).map_err(print_error)
    }
}

fn print_error(e: PrintError) -> ShiftError {
    ShiftError::Print(e.to_string())
}

fn counted_pair(label: &str, count: i64, amount: &Money) -> Block {
    Block::pair(&format!("{label} ({count})"), amount.to_string())
}

fn negative(m: &Money) -> Money {
    if m.amount.is_zero() {
        return *m;
    }
    Money::new(-m.amount, m.currency)
}

fn pct(p: Option<rust_decimal::Decimal>) -> String {
    match p {
        Some(p) => format!("{p}%"),
        None => "-".into(),
    }
}

fn method(l: &Labels, method: &str) -> String {
    match method {
        "cash" => l.cash.to_string(),
        "card" => l.card.to_string(),
        // Providers' names (Stripe, BTCPay …) are the same in every language.
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

fn category(l: &Labels, category: &str) -> String {
    match category {
        "gift_card" => l.gift_card,
        "game_topup" => l.game_topup,
        "mobile_topup" => l.mobile_topup,
        "software_key" => l.software_key,
        _ => l.other,
    }
    .to_string()
}
