//! Text as pixels, for what a thermal printer's code page cannot carry (Hindi) and
//! for the same lines in a PDF. Devanagari needs shaping (conjuncts, vowel signs
//! that sit before their consonant), so text is shaped with rustybuzz and the
//! shaped glyphs are rasterised with ab_glyph. Fonts with Devanagari often have no
//! Latin letters (Noto Sans Devanagari has none), so a line is split into runs: the
//! Devanagari font for Devanagari, a Latin font for the rest.

use std::path::{Path, PathBuf};

use ab_glyph::{Font as _, FontVec, GlyphId, PxScale, point};

/// Devanagari fonts looked for when none is configured (`CODETILL_RECEIPT_FONT`,
/// setting `receipt.font`): Debian's fonts-noto-core and fonts-lohit-deva, then the
/// fonts that come with macOS and Windows.
const DEVANAGARI: &[&str] = &[
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansDevanagari-Regular.otf",
    "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf",
    "/usr/share/fonts/truetype/Gargi/Gargi.ttf",
    "/System/Library/Fonts/Supplemental/DevanagariMT.ttc",
    "/Library/Fonts/NotoSansDevanagari-Regular.ttf",
    "C:\\Windows\\Fonts\\Nirmala.ttf",
    "C:\\Windows\\Fonts\\mangal.ttf",
];

/// Latin fonts for the rest of a mixed line.
const LATIN: &[&str] = &[
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// One font file, parsed for both the shaper and the rasteriser.
struct Face {
    bytes: Vec<u8>,
    glyphs: FontVec,
    path: PathBuf,
}

impl Face {
    fn open(path: &Path) -> Option<Face> {
        let bytes = std::fs::read(path).ok()?;
        rustybuzz::Face::from_slice(&bytes, 0)?;
        let glyphs = FontVec::try_from_vec_and_index(bytes.clone(), 0).ok()?;
        Some(Face {
            bytes,
            glyphs,
            path: path.to_path_buf(),
        })
    }

    fn has(&self, c: char) -> bool {
        self.glyphs.glyph_id(c) != GlyphId(0)
    }

    /// Font units to pixels at `px` per em.
    fn units(&self, px: f32) -> f32 {
        px / self.glyphs.units_per_em().unwrap_or(1000.0)
    }
}

/// The fonts that draw receipt text as pixels: one with Devanagari, and a Latin one
/// when the first has no Latin letters.
pub struct Font {
    faces: Vec<Face>,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.faces.iter().map(|x| &x.path))
            .finish()
    }
}

fn is_devanagari(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}' | '\u{1CD0}'..='\u{1CFF}' | '\u{200C}' | '\u{200D}')
}

impl Font {
    /// The configured Devanagari font if it is usable, else the first usable
    /// candidate; with a Latin font beside it when it lacks Latin letters.
    pub fn find(configured: Option<&str>) -> Option<Font> {
        let deva = |f: &Face| f.has('क') && f.has('ि');
        let configured = configured.and_then(|p| {
            let face = Face::open(Path::new(p)).filter(deva);
            if face.is_none() {
                tracing::warn!(
                    path = p,
                    "the receipt font has no Devanagari or cannot be read; looking for another"
                );
            }
            face
        });
        let first = configured.or_else(|| {
            DEVANAGARI
                .iter()
                .map(Path::new)
                .filter(|p| p.exists())
                .filter_map(Face::open)
                .find(deva)
        })?;
        let mut faces = vec![first];
        if !(faces[0].has('A') && faces[0].has('a')) {
            let latin = LATIN
                .iter()
                .map(Path::new)
                .filter(|p| p.exists())
                .filter_map(Face::open)
                .find(|f| f.has('A') && f.has('a') && f.has('0'))?;
            faces.push(latin);
        }
        Some(Font { faces })
    }

    pub fn paths(&self) -> Vec<&Path> {
        self.faces.iter().map(|f| f.path.as_path()).collect()
    }

    /// Which face draws `c`, given the face of the run it would join.
    fn face_for(&self, c: char, current: Option<usize>) -> usize {
        if is_devanagari(c) {
            return 0;
        }
        // Spaces, digits and punctuation stay in the run they are in.
        if !c.is_alphabetic()
            && let Some(cur) = current
            && self.faces[cur].has(c)
        {
            return cur;
        }
        match self.faces.get(1) {
            Some(latin) if latin.has(c) || !self.faces[0].has(c) => 1,
            _ => 0,
        }
    }

    /// `text` split into runs of one face each.
    fn runs(&self, text: &str) -> Vec<(usize, String)> {
        let mut runs: Vec<(usize, String)> = Vec::new();
        for c in text.chars() {
            let current = runs.last().map(|r| r.0);
            let face = self.face_for(c, current);
            match runs.last_mut() {
                Some((f, s)) if *f == face => s.push(c),
                _ => runs.push((face, c.to_string())),
            }
        }
        runs
    }

    /// Lays `text` out on one line at `px` pixels per em: glyphs and total width.
    fn shape(&self, text: &str, px: f32) -> Shaped {
        let mut x = 0.0f32;
        let mut glyphs = Vec::new();
        for (face_index, run) in self.runs(text) {
            let face = &self.faces[face_index];
            let Some(rb) = rustybuzz::Face::from_slice(&face.bytes, 0) else {
                continue;
            };
            let mut buffer = rustybuzz::UnicodeBuffer::new();
            buffer.push_str(&run);
            let out = rustybuzz::shape(&rb, &[], buffer);
            let k = px / rb.units_per_em() as f32;
            for (info, pos) in out.glyph_infos().iter().zip(out.glyph_positions()) {
                glyphs.push(Placed {
                    face: face_index,
                    id: u16::try_from(info.glyph_id).unwrap_or(0),
                    x: x + pos.x_offset as f32 * k,
                    y: -(pos.y_offset as f32) * k,
                });
                x += pos.x_advance as f32 * k;
            }
        }
        Shaped { glyphs, width: x }
    }

    /// Width of `text` in pixels at `px` per em.
    pub fn measure(&self, text: &str, px: f32) -> f32 {
        self.shape(text, px).width
    }

    /// Baseline and height of one line at `px` per em, room for every face.
    fn line_metrics(&self, px: f32) -> (f32, u32) {
        let ascent = self
            .faces
            .iter()
            .map(|f| f.glyphs.ascent_unscaled() * f.units(px))
            .fold(0.0, f32::max);
        let descent = self
            .faces
            .iter()
            .map(|f| f.glyphs.descent_unscaled() * f.units(px))
            .fold(0.0, f32::min);
        // A little air so stacked marks of two lines never touch.
        (ascent + 1.0, (ascent - descent).ceil() as u32 + 3)
    }

    /// One line of `width` pixels with `text` placed by `align` (clipped, never wrapped).
    pub fn line(&self, text: &str, width: u32, px: f32, align: Align) -> Bitmap {
        self.draw(&[(text, align)], width, px)
    }

    /// One line with `left` at the left edge and `right` at the right edge.
    pub fn pair(&self, left: &str, right: &str, width: u32, px: f32) -> Bitmap {
        self.draw(&[(left, Align::Left), (right, Align::Right)], width, px)
    }

    /// `text` broken at spaces into lines no wider than `width`.
    pub fn wrap(&self, text: &str, width: u32, px: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || self.measure(&candidate, px) <= width as f32 {
                current = candidate;
            } else {
                lines.push(std::mem::take(&mut current));
                current = word.to_string();
            }
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        lines
    }

    fn draw(&self, parts: &[(&str, Align)], width: u32, px: f32) -> Bitmap {
        let (baseline, height) = self.line_metrics(px);
        let mut bitmap = Bitmap::blank(width, height);
        for (text, align) in parts {
            let shaped = self.shape(text, px);
            let x0 = match align {
                Align::Left => 0.0,
                Align::Center => ((width as f32 - shaped.width) / 2.0).max(0.0),
                Align::Right => (width as f32 - shaped.width).max(0.0),
            };
            for g in &shaped.glyphs {
                let face = &self.faces[g.face];
                // ab_glyph scales by the font's height (ascent - descent), not the em.
                let scale = PxScale::from(face.glyphs.height_unscaled() * face.units(px));
                let glyph =
                    GlyphId(g.id).with_scale_and_position(scale, point(x0 + g.x, baseline + g.y));
                if let Some(outlined) = face.glyphs.outline_glyph(glyph) {
                    let bounds = outlined.px_bounds();
                    outlined.draw(|x, y, coverage| {
                        let px = bounds.min.x as i64 + i64::from(x);
                        let py = bounds.min.y as i64 + i64::from(y);
                        bitmap.cover(px, py, (coverage.clamp(0.0, 1.0) * 255.0) as u8);
                    });
                }
            }
        }
        bitmap
    }
}

struct Placed {
    face: usize,
    id: u16,
    x: f32,
    y: f32,
}

struct Shaped {
    glyphs: Vec<Placed>,
    width: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// Grey levels, 0 (paper) to 255 (ink), row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Bitmap {
    pub fn blank(width: u32, height: u32) -> Bitmap {
        Bitmap {
            width,
            height,
            pixels: vec![0; width as usize * height as usize],
        }
    }

    fn cover(&mut self, x: i64, y: i64, value: u8) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let i = y as usize * self.width as usize + x as usize;
        if let Some(p) = self.pixels.get_mut(i) {
            *p = (*p).max(value);
        }
    }

    pub fn ink(&self) -> usize {
        self.pixels.iter().filter(|p| **p >= 128).count()
    }

    /// ESC/POS `GS v 0`: one bit a dot, most significant bit first, 1 = print.
    pub fn escpos_raster(&self) -> Vec<u8> {
        let bytes_wide = self.width.div_ceil(8);
        let mut out = Vec::with_capacity(8 + (bytes_wide * self.height) as usize);
        out.extend_from_slice(&[0x1d, b'v', b'0', 0]);
        out.extend_from_slice(&(bytes_wide as u16).to_le_bytes());
        out.extend_from_slice(&(self.height as u16).to_le_bytes());
        for y in 0..self.height {
            for bx in 0..bytes_wide {
                let mut byte = 0u8;
                for bit in 0..8 {
                    let x = bx * 8 + bit;
                    let ink = x < self.width && self.pixels[(y * self.width + x) as usize] >= 128;
                    if ink {
                        byte |= 0x80 >> bit;
                    }
                }
                out.push(byte);
            }
        }
        out
    }

    /// Paper white and ink black, one byte a pixel (for a PDF image).
    pub fn grey(&self) -> Vec<u8> {
        self.pixels.iter().map(|p| 255 - p).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hindi_is_shaped_and_drawn() {
        let font = Font::find(None).expect(
            "no Devanagari and Latin fonts: install fonts-noto-core (scripts/setup.sh does)",
        );
        // The vowel sign ि is drawn before क though it follows it in the text.
        let b = font.line("कि", 200, 24.0, Align::Left);
        // Latin in a Hindi line comes from the Latin face, not as empty boxes.
        let mixed = font.line("ऑपरेटर: asha", 400, 24.0, Align::Left);
        let latin = font.line("asha", 400, 24.0, Align::Left);
        assert!(latin.ink() > 30, "Latin letters are drawn");
        assert!(mixed.ink() > latin.ink());
        assert!(b.ink() > 20, "something was drawn");
        let wide = font.measure("कोड डिजिटल", 24.0);
        assert!(wide > 40.0);
        let lines = font.wrap("डिजिटल कोड जारी होने के बाद वापस नहीं होते", 120, 24.0);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| font.measure(l, 24.0) <= 120.0 || !l.contains(' '))
        );
        let raster = b.escpos_raster();
        assert_eq!(&raster[..4], &[0x1d, b'v', b'0', 0]);
        assert_eq!(raster.len(), 8 + 25 * b.height as usize);
    }
}
