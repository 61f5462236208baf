//! The receipt as a PDF, for ordinary printers, email attachments and archiving: the
//! thermal receipt's grid in Courier on an A4 page, the QR code drawn as vectors, and
//! lines the PDF's standard fonts cannot carry (Hindi) placed as 300 dpi images
//! shaped by [`super::raster`]. The code itself is always real text, so it can be
//! searched and copied.

use printpdf::{
    BuiltinFont, Color, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, RawImage, RawImageData, RawImageFormat, Rect, TextItem,
    WindingOrder, XObjectTransform,
};

use super::Language;
use super::printer::{Paper, PrintError};
use super::raster::{self, Font};
use super::receipt::{Align, Block, Emphasis, Receipt, Row, rows};

const PAGE_W: f32 = 595.28; // A4, points
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const SIZE: f32 = 9.0;
const LARGE: f32 = 13.0;
/// Courier's advance is 0.6 em for every character.
const ADVANCE: f32 = 0.6;
const DPI: f32 = 300.0;

struct Page {
    ops: Vec<Op>,
    y: f32,
}

/// Renders `receipt` as a PDF document.
pub fn render(receipt: &Receipt, font: Option<&Font>) -> Result<Vec<u8>, PrintError> {
    let fallback;
    let receipt = if receipt.language != Language::En && font.is_none() {
        tracing::warn!("no font with Devanagari for the PDF receipt: writing it in English");
        fallback = Receipt {
            language: Language::En,
            ..receipt.clone()
        };
        &fallback
    } else {
        receipt
    };
    render_blocks(
        &format!("Receipt {}", receipt.order_id),
        &receipt.blocks(),
        font,
    )
}

/// Renders any layout of [`Block`]s (a receipt, a shift report) as a PDF titled
/// `title`; lines the standard fonts cannot carry are drawn with `font`, and left
/// out without one (callers choose English when there is no font).
pub fn render_blocks(
    title: &str,
    blocks: &[Block],
    font: Option<&Font>,
) -> Result<Vec<u8>, PrintError> {
    let cols = Paper::Mm80.columns();
    let col_w = cols as f32 * ADVANCE * SIZE;
    let x0 = (PAGE_W - col_w) / 2.0;
    let mut doc = PdfDocument::new(title);
    let mut pages: Vec<Page> = Vec::new();
    let mut page = Page {
        ops: Vec::new(),
        y: PAGE_H - MARGIN,
    };
    for row in rows(blocks, cols) {
        let row = if font.is_none() { lossy_row(row) } else { row };
        let height = row_height(&row, font, col_w);
        if page.y - height < MARGIN {
            pages.push(std::mem::replace(
                &mut page,
                Page {
                    ops: Vec::new(),
                    y: PAGE_H - MARGIN,
                },
            ));
        }
        match &row {
            Row::Rule => {
                let y = page.y - SIZE * 0.6;
                page.ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
                page.ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![point(x0, y), point(x0 + col_w, y)],
                        is_closed: false,
                    },
                });
            }
            Row::Qr(data) => qr(
                &mut page.ops,
                data,
                x0 + col_w / 2.0,
                page.y - 4.0,
                height - 8.0,
            ),
            Row::Text {
                text,
                align,
                emphasis,
            } => {
                if win_ansi(text) {
                    let (face, size) = match emphasis {
                        Emphasis::Normal => (BuiltinFont::Courier, SIZE),
                        Emphasis::Bold => (BuiltinFont::CourierBold, SIZE),
                        Emphasis::Large => {
                            let fit = col_w / (ADVANCE * text.chars().count().max(1) as f32);
                            (BuiltinFont::CourierBold, LARGE.min(fit))
                        }
                    };
                    let w = text.chars().count() as f32 * ADVANCE * size;
                    let x = match align {
                        Align::Left => x0,
                        Align::Center => x0 + (col_w - w).max(0.0) / 2.0,
                    };
                    show(&mut page.ops, face, size, x, page.y - size, text);
                } else if let Some(font) = font {
                    let a = match align {
                        Align::Left => raster::Align::Left,
                        Align::Center => raster::Align::Center,
                    };
                    let px = px(match emphasis {
                        Emphasis::Normal => SIZE,
                        _ => SIZE * 1.2,
                    });
                    let mut y = page.y;
                    for line in font.wrap(text, dots(col_w), px) {
                        let b = font.line(&line, dots(col_w), px, a);
                        y = image(&mut doc, &mut page.ops, &b, x0, y);
                    }
                }
            }
            Row::Pair { label, value } => {
                if win_ansi(label) && win_ansi(value) {
                    let line = row.plain(cols);
                    show(
                        &mut page.ops,
                        BuiltinFont::Courier,
                        SIZE,
                        x0,
                        page.y - SIZE,
                        &line,
                    );
                } else if let Some(font) = font {
                    let b = font.pair(label, value, dots(col_w), px(SIZE));
                    image(&mut doc, &mut page.ops, &b, x0, page.y);
                }
            }
        }
        page.y -= height;
    }
    pages.push(page);
    let pages = pages
        .into_iter()
        .map(|p| PdfPage::new(Mm(210.0), Mm(297.0), p.ops))
        .collect();
    let mut warnings = Vec::new();
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings);
    if bytes.is_empty() {
        return Err(PrintError::Permanent("the PDF came out empty".into()));
    }
    Ok(bytes)
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

fn px(points: f32) -> f32 {
    points / 72.0 * DPI
}

fn dots(points: f32) -> u32 {
    px(points).round() as u32
}

fn row_height(row: &Row, font: Option<&Font>, col_w: f32) -> f32 {
    let line = SIZE * 1.35;
    match row {
        Row::Rule => line,
        Row::Qr(_) => 110.0,
        Row::Text { text, emphasis, .. } => {
            let base = if *emphasis == Emphasis::Large {
                LARGE * 1.5
            } else {
                line
            };
            match font {
                Some(f) if !win_ansi(text) => {
                    let lines = f.wrap(text, dots(col_w), px(SIZE * 1.2)).len().max(1);
                    base.max(line * 1.4) * lines as f32
                }
                _ => base,
            }
        }
        Row::Pair { label, value } => {
            if win_ansi(label) && win_ansi(value) {
                line
            } else {
                line * 1.4
            }
        }
    }
}

fn show(ops: &mut Vec<Op>, face: BuiltinFont, size: f32, x: f32, y: f32, text: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::Builtin(face),
        size: Pt(size),
    });
    // A fresh text section starts at the origin, so this move is absolute.
    ops.push(Op::SetTextCursor {
        pos: Point { x: Pt(x), y: Pt(y) },
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(text.to_string())],
    });
    ops.push(Op::EndTextSection);
}

/// Places a raster line with its top at `top`; returns where the next one goes.
fn image(doc: &mut PdfDocument, ops: &mut Vec<Op>, b: &raster::Bitmap, x: f32, top: f32) -> f32 {
    let h = b.height as f32 / DPI * 72.0;
    let id = doc.add_image(&RawImage {
        pixels: RawImageData::U8(b.grey()),
        width: b.width as usize,
        height: b.height as usize,
        data_format: RawImageFormat::R8,
        tag: Vec::new(),
    });
    ops.push(Op::UseXobject {
        id,
        transform: XObjectTransform {
            translate_x: Some(Pt(x)),
            translate_y: Some(Pt(top - h)),
            dpi: Some(DPI),
            ..Default::default()
        },
    });
    top - h
}

/// The QR code of `data`, `size` points square, centred on `cx` below `top`.
fn qr(ops: &mut Vec<Op>, data: &str, cx: f32, top: f32, size: f32) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
    else {
        return;
    };
    let n = code.width();
    let quiet = 2;
    let module = size / (n + 2 * quiet) as f32;
    let left = cx - size / 2.0 + quiet as f32 * module;
    let top = top - quiet as f32 * module;
    let colors = code.to_colors();
    ops.push(Op::SetFillColor {
        col: Color::Greyscale(Greyscale::new(0.0, None)),
    });
    for y in 0..n {
        // One rectangle per run of dark modules keeps the page small.
        let mut x = 0;
        while x < n {
            if colors[y * n + x] == qrcode::Color::Dark {
                let start = x;
                while x < n && colors[y * n + x] == qrcode::Color::Dark {
                    x += 1;
                }
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(left + start as f32 * module),
                        y: Pt(top - (y + 1) as f32 * module),
                        width: Pt((x - start) as f32 * module),
                        height: Pt(module),
                        mode: Some(PaintMode::Fill),
                        winding_order: Some(WindingOrder::NonZero),
                    },
                });
            } else {
                x += 1;
            }
        }
    }
}

/// Without a font for it, what WinAnsi cannot carry is marked once per run (`~`)
/// rather than the row left out: no line, a code least of all, vanishes.
fn lossy_row(row: Row) -> Row {
    let lossy = |text: &str| {
        let mut out = String::new();
        let mut gap = false;
        for c in text.chars() {
            if win_ansi(c.encode_utf8(&mut [0; 4])) {
                out.push(c);
                gap = false;
            } else if !gap {
                out.push('~');
                gap = true;
            }
        }
        out
    };
    match row {
        Row::Text {
            text,
            align,
            emphasis,
        } => Row::Text {
            text: lossy(&text),
            align,
            emphasis,
        },
        Row::Pair { label, value } => Row::Pair {
            label: lossy(&label),
            value: lossy(&value),
        },
        other => other,
    }
}

/// Can the standard fonts' WinAnsi encoding carry every character?
fn win_ansi(text: &str) -> bool {
    const EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
    text.chars().all(|c| {
        (' '..='~').contains(&c) || ('\u{a0}'..='\u{ff}').contains(&c) || EXTRA.contains(c)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::delivery::receipt::tests::sample;

    fn text_of(pdf: &[u8]) -> String {
        let mut warnings = Vec::new();
        let doc =
            PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut warnings).unwrap();
        doc.extract_text()
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn pdf_receipt_parses_back_with_the_code() {
        let pdf = render(&sample(Language::En, Some(1)), None).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = text_of(&pdf);
        assert!(text.contains("ABCDE-FGHJK-LMNPQ"), "the code: {text}");
        assert!(text.contains("REPRINT #1"));
        assert!(text.contains("ORD-000123"));
        assert!(text.contains("Digital codes are non-refundable once issued."));
    }

    #[test]
    fn without_a_font_text_it_cannot_carry_is_marked_not_dropped() {
        let mut receipt = sample(Language::En, None);
        receipt.codes[0].code = "КОД-12345".into();
        receipt.product = "Подарочная карта 500".into();
        let text = text_of(&render(&receipt, None).unwrap());
        assert!(text.contains("~-12345"), "the code's line: {text}");
        assert!(text.contains("~ 500"), "the product's line: {text}");
    }

    #[test]
    fn hindi_pdf_keeps_the_code_as_text() {
        let font = Font::find(None);
        let pdf = render(&sample(Language::Hi, None), font.as_ref()).unwrap();
        let text = text_of(&pdf);
        assert!(text.contains("ABCDE-FGHJK-LMNPQ"), "{text}");
    }
}
