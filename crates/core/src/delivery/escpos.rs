//! The receipt as ESC/POS bytes for 80 mm and 58 mm thermal printers: initialise
//! (ESC @) and select code page 858 (Latin-1 and €), text on the printer's grid, the
//! redeem URL as the printer's own QR code (GS ( k), and a cut (GS V).
//!
//! Text the code page cannot carry (Hindi, ₹ …) is shaped and sent as a raster image
//! (GS v 0) instead of coming out as `?`. The bytes are built in memory with the
//! `escpos` crate; [`super::printer`] sends them, so a slow or absent printer never
//! holds a half-built receipt. Text is encoded here, not by the crate: its PC858 table
//! maps `-` to 0xF0 (a soft hyphen), which would misprint every code's dashes.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use super::Language;
use super::printer::{Paper, PrintError};
use super::raster::{self, Font};
use super::receipt::{Align, Block, Emphasis, Receipt, Row, rows};

/// Bytes collected in memory instead of going to a device.
#[derive(Clone, Default)]
struct Collect(Rc<RefCell<Vec<u8>>>);

impl Driver for Collect {
    fn name(&self) -> String {
        "memory".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// Pixels per em for raster text: Font A is 12 × 24 dots.
const RASTER_PX: f32 = 24.0;
const RASTER_PX_LARGE: f32 = 30.0;

/// ESC p 0 25 250: a pulse on the drawer kick-out (pin 2), 50 ms on and 500 ms
/// off, which printers with a cash drawer answer by opening it.
pub const DRAWER_PULSE: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];

/// Renders `receipt` for `paper`. `font` draws what the code page cannot carry;
/// without one a Hindi receipt is printed in English (and logged).
pub fn render(receipt: &Receipt, paper: Paper, font: Option<&Font>) -> Result<Vec<u8>, PrintError> {
    let fallback;
    let receipt = if receipt.language != Language::En && font.is_none() {
        tracing::warn!(
            "no font with Devanagari for the thermal printer (install fonts-noto-core or set CODETILL_RECEIPT_FONT): printing this receipt in English"
        );
        fallback = Receipt {
            language: Language::En,
            ..receipt.clone()
        };
        &fallback
    } else {
        receipt
    };
    render_blocks(&receipt.blocks(), paper, font)
}

/// Renders any layout of [`Block`]s (a receipt, a shift report) for `paper`; text
/// the code page cannot carry is drawn with `font`, or printed lossily without one
/// (callers choose English when there is no font).
pub fn render_blocks(
    blocks: &[Block],
    paper: Paper,
    font: Option<&Font>,
) -> Result<Vec<u8>, PrintError> {
    build(blocks, paper, font).map_err(|e| PrintError::Permanent(format!("ESC/POS: {e}")))
}

fn build(
    blocks: &[Block],
    paper: Paper,
    font: Option<&Font>,
) -> Result<Vec<u8>, escpos::errors::PrinterError> {
    let cols = paper.columns();
    let sink = Collect::default();
    let options = PrinterOptions::new(Some(PageCode::PC858), None, cols as u8);
    let mut p = Printer::new(sink.clone(), Protocol::default(), Some(options));
    p.init()?;
    for row in rows(blocks, cols) {
        match &row {
            Row::Rule => {
                line(&mut p, &"-".repeat(cols))?;
            }
            Row::Qr(data) => {
                let module = if paper == Paper::Mm58 { 5 } else { 6 };
                p.justify(JustifyMode::CENTER)?
                    .qrcode_option(
                        data,
                        QRCodeOption::new(QRCodeModel::Model2, module, QRCodeCorrectionLevel::M),
                    )?
                    .justify(JustifyMode::LEFT)?;
            }
            Row::Text {
                text,
                align,
                emphasis,
            } => {
                let t = printable(text);
                if let Some(bytes) = cp858(&t) {
                    styled(&mut p, *emphasis, *align, |p| {
                        p.custom(&bytes)?.feed().map(|_| ())
                    })?;
                } else if let Some(font) = font {
                    let px = px_for(*emphasis);
                    let a = match align {
                        Align::Left => raster::Align::Left,
                        Align::Center => raster::Align::Center,
                    };
                    for line in font.wrap(&t, paper.dots(), px) {
                        p.custom(&font.line(&line, paper.dots(), px, a).escpos_raster())?;
                    }
                } else {
                    line(&mut p, &lossy(&t))?;
                }
            }
            Row::Pair { label, value } => {
                let (l, v) = (printable(label), printable(value));
                if carried(&l) && carried(&v) {
                    line(&mut p, &Row::Pair { label: l, value: v }.plain(cols))?;
                } else if let Some(font) = font {
                    let dots = paper.dots();
                    let room = font.measure(&l, RASTER_PX) + font.measure(&v, RASTER_PX) + 12.0;
                    if room <= dots as f32 {
                        p.custom(&font.pair(&l, &v, dots, RASTER_PX).escpos_raster())?;
                    } else {
                        p.custom(
                            &font
                                .line(&l, dots, RASTER_PX, raster::Align::Left)
                                .escpos_raster(),
                        )?;
                        p.custom(
                            &font
                                .line(&v, dots, RASTER_PX, raster::Align::Right)
                                .escpos_raster(),
                        )?;
                    }
                } else {
                    line(
                        &mut p,
                        &lossy(&Row::Pair { label: l, value: v }.plain(cols)),
                    )?;
                }
            }
        }
    }
    p.feeds(3)?.print_cut()?;
    let bytes = sink.0.borrow().clone();
    Ok(bytes)
}

/// One line of text the code page carries (callers check), then a line feed.
fn line<D: Driver>(p: &mut Printer<D>, text: &str) -> escpos::errors::Result<()> {
    p.custom(&cp858(text).unwrap_or_default())?.feed()?;
    Ok(())
}

/// Code page 858 from 0x80 to 0xFF (850 with € at 0xD5). 0xF0 is the soft hyphen and
/// 0xFF the no-break space.
const CP858_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{ad}±‗¾¶§÷¸°¨·¹³²■\u{a0}";

/// `text` in code page 858, or `None` if a character is not in it.
pub fn cp858(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| {
            if (' '..='~').contains(&c) {
                Some(c as u8)
            } else {
                CP858_HIGH
                    .chars()
                    .position(|h| h == c)
                    .and_then(|i| u8::try_from(0x80 + i).ok())
            }
        })
        .collect()
}

fn px_for(emphasis: Emphasis) -> f32 {
    match emphasis {
        Emphasis::Normal => RASTER_PX,
        Emphasis::Bold | Emphasis::Large => RASTER_PX_LARGE,
    }
}

fn styled<D: Driver>(
    p: &mut Printer<D>,
    emphasis: Emphasis,
    align: Align,
    body: impl FnOnce(&mut Printer<D>) -> escpos::errors::Result<()>,
) -> escpos::errors::Result<()> {
    if align == Align::Center {
        p.justify(JustifyMode::CENTER)?;
    }
    match emphasis {
        Emphasis::Normal => {}
        Emphasis::Bold => {
            p.bold(true)?;
        }
        Emphasis::Large => {
            p.bold(true)?.size(1, 2)?;
        }
    }
    body(p)?;
    match emphasis {
        Emphasis::Normal => {}
        Emphasis::Bold => {
            p.bold(false)?;
        }
        Emphasis::Large => {
            p.bold(false)?.reset_size()?;
        }
    }
    if align == Align::Center {
        p.justify(JustifyMode::LEFT)?;
    }
    Ok(())
}

/// Typographic punctuation the code page lacks, as its plain equivalent.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '—' | '–' | '‒' | '−' => out.push('-'),
            '‘' | '’' | '‚' | '′' => out.push('\''),
            '“' | '”' | '„' | '″' => out.push('"'),
            '…' => out.push_str("..."),
            '•' | '·' => out.push('*'),
            '\u{00a0}' | '\u{2009}' | '\u{202f}' => out.push(' '),
            '₹' => out.push_str("Rs."),
            _ => out.push(c),
        }
    }
    out
}

/// Can code page 858 carry every character? (ASCII, Latin-1 and €.)
pub fn carried(text: &str) -> bool {
    cp858(text).is_some()
}

/// Last resort without a font: what cannot be printed is left out, marked once.
fn lossy(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if carried(&c.to_string()) {
            out.push(c);
            gap = false;
        } else if !gap {
            out.push('~');
            gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::delivery::receipt::tests::sample;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// The bytes with every GS v 0 image taken out (image data is not text).
    fn without_rasters(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\x1dv0") && i + 8 <= bytes.len() {
                let w = usize::from(u16::from_le_bytes([bytes[i + 4], bytes[i + 5]]));
                let h = usize::from(u16::from_le_bytes([bytes[i + 6], bytes[i + 7]]));
                i += 8 + w * h;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn receipt_bytes_have_init_code_qr_and_cut() {
        for paper in [Paper::Mm80, Paper::Mm58] {
            let bytes = render(&sample(Language::En, None), paper, None).unwrap();
            assert_eq!(&bytes[..2], b"\x1b@", "starts with ESC @");
            assert!(contains(&bytes, b"\x1bt\x13"), "code page 858 selected");
            assert!(contains(&bytes, b"ABCDE-FGHJK-LMNPQ"), "the code");
            assert!(contains(&bytes, b"\x1d(k"), "QR command");
            assert!(contains(&bytes, b"https://store.example.com/redeem"));
            assert!(contains(&bytes, b"\x1dVA\x00"), "cut");
            assert!(contains(&bytes, b"Digital codes are non-refundable"));
            assert!(contains(&bytes, b"it matches your account."));
            assert!(!bytes.contains(&0xf0), "dashes are ASCII, not soft hyphens");
            assert!(!contains(&bytes, "—".as_bytes()), "no UTF-8 on the wire");
        }
    }

    #[test]
    fn reprints_say_so() {
        let bytes = render(&sample(Language::En, Some(3)), Paper::Mm80, None).unwrap();
        assert!(contains(&bytes, b"REPRINT #3"));
    }

    #[test]
    fn hindi_is_printed_as_raster_not_question_marks() {
        let font = Font::find(None).expect(
            "no Devanagari and Latin fonts: install fonts-noto-core (scripts/setup.sh does)",
        );
        let receipt = sample(Language::Hi, None);
        let bytes = render(&receipt, Paper::Mm80, Some(&font)).unwrap();
        assert!(
            contains(&bytes, b"\x1dv0\x00"),
            "raster image for Hindi lines"
        );
        assert!(
            !without_rasters(&bytes).contains(&b'?'),
            "nothing printed as '?'"
        );
        assert!(
            !contains(&bytes, &[0xe0, 0xa4]),
            "no raw UTF-8 Devanagari sent to the printer"
        );
        // The code itself stays text, so it prints crisp in the printer's own font.
        assert!(contains(&bytes, b"ABCDE-FGHJK-LMNPQ"));
        // Without a font it falls back to English rather than to garbage.
        let english = render(&receipt, Paper::Mm58, None).unwrap();
        assert!(!contains(&english, b"\x1dv0\x00"));
        assert!(contains(&english, b"Operator:"));
    }

    #[test]
    fn only_the_code_page_is_sent_as_text() {
        assert!(carried("Crème brûlée 5,00 €"));
        assert_eq!(CP858_HIGH.chars().count(), 128);
        assert_eq!(
            cp858("A-é€ÒÔ").unwrap(),
            vec![b'A', b'-', 0x82, 0xd5, 0xe3, 0xe2]
        );
        // Every Latin-1 character is in the code page.
        assert!((0xa0u32..=0xff).all(|c| carried(&char::from_u32(c).unwrap().to_string())));
        assert!(!carried("कोड"));
        assert_eq!(printable("Steam — US ₹500"), "Steam - US Rs.500");
        assert_eq!(lossy("a कोड b"), "a ~ b");
    }
}
