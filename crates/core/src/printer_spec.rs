//! Where a receipt is printed, as the printer setting (`CODETILL_PRINTER`, or the
//! setting `printer.url`) names it:
//!
//! - `tcp://host:9100` — a network thermal printer (raw ESC/POS on port 9100);
//! - `file:/dev/usb/lp0` — a thermal printer's device file;
//! - `pdf:/folder` — a PDF per receipt, for ordinary printers and archiving.
//!
//! `?paper=58` selects 58 mm paper (default 80 mm) for the thermal ones.
//!
//! A plain value that depends on nothing else in codetill: an order keeps the printer
//! its buyer asked for, and [`crate::delivery`] prints there (and reads a setting
//! with its own error, as the front ends expect).

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Why a printer setting cannot be read: the text, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadPrinterSpec(pub String);

/// Thermal paper widths, with Font A's characters and the printable dots per line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Paper {
    #[default]
    #[serde(rename = "80mm")]
    Mm80,
    #[serde(rename = "58mm")]
    Mm58,
}

impl Paper {
    pub fn columns(&self) -> usize {
        match self {
            Paper::Mm80 => 48,
            Paper::Mm58 => 32,
        }
    }

    pub fn dots(&self) -> u32 {
        match self {
            Paper::Mm80 => 576,
            Paper::Mm58 => 384,
        }
    }

    fn parse(s: &str) -> Option<Paper> {
        match s.trim().trim_end_matches("mm") {
            "80" => Some(Paper::Mm80),
            "58" => Some(Paper::Mm58),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterSpec {
    Tcp {
        host: String,
        port: u16,
        paper: Paper,
    },
    File {
        path: PathBuf,
        paper: Paper,
    },
    Pdf {
        folder: PathBuf,
    },
}

impl PrinterSpec {
    /// Reads a printer setting (the forms in the module documentation).
    pub fn parse(text: &str) -> Result<PrinterSpec, BadPrinterSpec> {
        let bad = |m: &str| BadPrinterSpec(format!("printer {text:?}: {m}"));
        let t = text.trim();
        let (base, query) = match t.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (t, None),
        };
        let mut paper = Paper::default();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("paper", v)) => {
                    paper = Paper::parse(v).ok_or_else(|| bad("paper is 80 or 58 (mm)"))?
                }
                _ => return Err(bad(&format!("unknown option {pair:?} (only paper=80|58)"))),
            }
        }
        if let Some(rest) = base.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let port_of = |p: &str| {
                p.parse::<u16>()
                    .map_err(|_| bad("the port must be a number"))
            };
            let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
                let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
                match after.strip_prefix(':') {
                    Some(p) => (h, port_of(p)?),
                    None if after.is_empty() => (h, 9100),
                    None => return Err(bad("text after the address")),
                }
            } else {
                match rest.split_once(':') {
                    Some((h, p)) => (h, port_of(p)?),
                    None => (rest, 9100),
                }
            };
            if host.is_empty() {
                return Err(bad("no host"));
            }
            return Ok(PrinterSpec::Tcp {
                host: host.to_string(),
                port,
                paper,
            });
        }
        let path_of = |rest: &str| {
            // file:///dev/usb/lp0 and file:/dev/usb/lp0 name the same file.
            let p = rest.strip_prefix("//").unwrap_or(rest);
            if p.is_empty() {
                Err(bad("no path"))
            } else if !std::path::Path::new(p).is_absolute() {
                // A relative path lands wherever the app was started from.
                Err(bad("the path must be absolute"))
            } else {
                Ok(PathBuf::from(p))
            }
        };
        if let Some(rest) = base.strip_prefix("file:") {
            return Ok(PrinterSpec::File {
                path: path_of(rest)?,
                paper,
            });
        }
        if let Some(rest) = base.strip_prefix("pdf:") {
            return Ok(PrinterSpec::Pdf {
                folder: path_of(rest)?,
            });
        }
        Err(bad("use tcp://host:9100, file:/dev/usb/lp0 or pdf:/folder"))
    }

    pub fn paper(&self) -> Paper {
        match self {
            PrinterSpec::Tcp { paper, .. } | PrinterSpec::File { paper, .. } => *paper,
            PrinterSpec::Pdf { .. } => Paper::Mm80,
        }
    }

    pub fn is_pdf(&self) -> bool {
        matches!(self, PrinterSpec::Pdf { .. })
    }
}

impl fmt::Display for PrinterSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paper = |p: &Paper| if *p == Paper::Mm58 { "?paper=58" } else { "" };
        match self {
            PrinterSpec::Tcp {
                host,
                port,
                paper: p,
            } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}{}", paper(p))
            }
            PrinterSpec::Tcp {
                host,
                port,
                paper: p,
            } => {
                write!(f, "tcp://{host}:{port}{}", paper(p))
            }
            PrinterSpec::File { path, paper: p } => {
                write!(f, "file:{}{}", path.display(), paper(p))
            }
            PrinterSpec::Pdf { folder } => write!(f, "pdf:{}", folder.display()),
        }
    }
}
