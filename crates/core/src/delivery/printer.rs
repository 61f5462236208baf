//! Printing a receipt where its [`PrinterSpec`] says: ESC/POS bytes to a thermal
//! printer, a PDF file into a folder. A printer that is off, unplugged or out of paper
//! gives a transient error: the job stays in the outbox and is tried again.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::DeliveryError;
pub use crate::printer_spec::{Paper, PrinterSpec};

/// A printer setting read with delivery's error (what the front ends report).
impl FromStr for PrinterSpec {
    type Err = DeliveryError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PrinterSpec::parse(text).map_err(|e| DeliveryError::BadPrinter(e.0))
    }
}

/// Why a print job did not print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    /// Off, unplugged, out of paper, busy: try again later.
    #[error("{0}")]
    Transient(String),
    /// Will not work however often it is tried.
    #[error("{0}")]
    Permanent(String),
}

/// What a printer did with a job (kept in the delivery log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    pub detail: String,
}

/// How long to wait for a thermal printer to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a printer has to answer the paper-status query; many network printers
/// answer within milliseconds, and one that does not answer still prints.
const STATUS_WAIT: Duration = Duration::from_millis(300);

/// DLE EOT 4: the roll paper sensor's status (a real-time command, not printed).
const PAPER_STATUS: &[u8] = &[0x10, 0x04, 0x04];

/// Sends ESC/POS bytes to a thermal printer.
pub async fn send_escpos(spec: &PrinterSpec, bytes: &[u8]) -> Result<Printed, PrintError> {
    let started = Instant::now();
    match spec {
        PrinterSpec::Tcp { host, port, .. } => {
            let addr = format!("{host}:{port}");
            let mut stream = match tokio::time::timeout(
                CONNECT_TIMEOUT,
                tokio::net::TcpStream::connect((host.as_str(), *port)),
            )
            .await
            {
                Err(_) => {
                    return Err(PrintError::Transient(format!(
                        "{addr}: no answer (printer off?)"
                    )));
                }
                Ok(Err(e)) => return Err(PrintError::Transient(format!("{addr}: {e}"))),
                Ok(Ok(s)) => s,
            };
            let io = |e: std::io::Error| PrintError::Transient(format!("{addr}: {e}"));
            stream.write_all(PAPER_STATUS).await.map_err(io)?;
            let mut status = [0u8; 1];
            if let Ok(Ok(1)) = tokio::time::timeout(STATUS_WAIT, stream.read(&mut status)).await
                && status[0] & 0x60 == 0x60
            {
                return Err(PrintError::Transient(format!("{addr}: out of paper")));
            }
            tokio::time::timeout(WRITE_TIMEOUT, async {
                stream.write_all(bytes).await?;
                stream.flush().await?;
                stream.shutdown().await
            })
            .await
            .map_err(|_| PrintError::Transient(format!("{addr}: the printer stopped taking data")))?
            .map_err(io)?;
            Ok(Printed {
                detail: format!(
                    "{spec}: {} bytes accepted in {} ms",
                    bytes.len(),
                    started.elapsed().as_millis()
                ),
            })
        }
        PrinterSpec::File { path, .. } => {
            let path = path.clone();
            let data = bytes.to_vec();
            let shown = spec.to_string();
            tokio::task::spawn_blocking(move || write_device(&path, &data))
                .await
                .map_err(|e| PrintError::Transient(e.to_string()))?
                .map_err(|e| PrintError::Transient(format!("{shown}: {e}")))?;
            Ok(Printed {
                detail: format!("{shown}: {} bytes written", bytes.len()),
            })
        }
        PrinterSpec::Pdf { .. } => Err(PrintError::Permanent(
            "a PDF printer takes a PDF, not ESC/POS".into(),
        )),
    }
}

/// The device must exist already: creating a plain file where a printer should be
/// would look printed and print nothing.
fn write_device(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.write_all(data)?;
    f.flush()
}

/// Saves a PDF receipt as `folder/name` (readable by the owner only: it holds a code).
pub async fn save_pdf(spec: &PrinterSpec, name: &str, pdf: Vec<u8>) -> Result<Printed, PrintError> {
    let PrinterSpec::Pdf { folder } = spec else {
        return Err(PrintError::Permanent("not a PDF printer".into()));
    };
    let folder = folder.clone();
    let name = name.to_string();
    let len = pdf.len();
    let path = tokio::task::spawn_blocking(move || write_private(&folder, &name, &pdf))
        .await
        .map_err(|e| PrintError::Transient(e.to_string()))?
        .map_err(|e| PrintError::Transient(format!("{spec}: {e}")))?;
    Ok(Printed {
        detail: format!("saved {} ({len} bytes)", path.display()),
    })
}

fn write_private(folder: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(folder)?;
    let path = folder.join(name);
    let tmp = folder.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    // Whole or not at all: an archive never holds half a receipt.
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn printer_settings_parse_and_print_back() {
        for (text, spec) in [
            (
                "tcp://10.0.0.5:9100",
                PrinterSpec::Tcp {
                    host: "10.0.0.5".into(),
                    port: 9100,
                    paper: Paper::Mm80,
                },
            ),
            (
                "tcp://printer.local?paper=58",
                PrinterSpec::Tcp {
                    host: "printer.local".into(),
                    port: 9100,
                    paper: Paper::Mm58,
                },
            ),
            (
                "file:/dev/usb/lp0",
                PrinterSpec::File {
                    path: "/dev/usb/lp0".into(),
                    paper: Paper::Mm80,
                },
            ),
            (
                "pdf:/srv/receipts",
                PrinterSpec::Pdf {
                    folder: "/srv/receipts".into(),
                },
            ),
        ] {
            let parsed: PrinterSpec = text.parse().unwrap();
            assert_eq!(parsed, spec, "{text}");
            let again: PrinterSpec = parsed.to_string().parse().unwrap();
            assert_eq!(again, spec);
        }
        assert_eq!(
            "file:///dev/usb/lp1".parse::<PrinterSpec>().unwrap(),
            PrinterSpec::File {
                path: "/dev/usb/lp1".into(),
                paper: Paper::Mm80
            }
        );
        assert_eq!(
            "tcp://[::1]:9101"
                .parse::<PrinterSpec>()
                .unwrap()
                .to_string(),
            "tcp://[::1]:9101"
        );
        for bad in [
            "lpt1",
            "tcp://",
            "tcp://h:port",
            "file:",
            "tcp://h?paper=72",
            "tcp://h?x=1",
        ] {
            assert!(bad.parse::<PrinterSpec>().is_err(), "{bad} accepted");
        }
    }

    #[tokio::test]
    async fn a_printer_refusing_connections_is_transient() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let spec: PrinterSpec = format!("tcp://127.0.0.1:{port}").parse().unwrap();
        let err = send_escpos(&spec, b"x").await.unwrap_err();
        assert!(matches!(err, PrintError::Transient(_)), "{err:?}");
        let missing = PrinterSpec::File {
            path: "/nonexistent/lp0".into(),
            paper: Paper::Mm80,
        };
        assert!(matches!(
            send_escpos(&missing, b"x").await,
            Err(PrintError::Transient(_))
        ));
    }
}
