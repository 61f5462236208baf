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
/// would look printed and print nothing. A receipt carries a code, so only a
/// character device is written, and a symbolic link is not followed: the setting
/// cannot be turned into "append codes to this file".
fn write_device(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let mut f = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return std::io::Error::other("is a symbolic link; name the device itself");
        }
        e
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if !f.metadata()?.file_type().is_char_device() {
            return Err(std::io::Error::other(
                "is not a printer device (a character device such as /dev/usb/lp0)",
            ));
        }
    }
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

/// The receipts folder: made 0700 when missing; an existing one must be a real
/// folder (not a link) that only its owner can enter, since others could read the
/// codes or plant files in it.
fn private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)?;
    let meta = std::fs::symlink_metadata(folder)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(
            "is not a folder (a symbolic link is not followed)",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(std::io::Error::other(format!(
                "is open to other users (mode {mode:o}); receipts hold codes: chmod 700 it"
            )));
        }
    }
    Ok(())
}

fn write_private(folder: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    private_folder(folder)?;
    let path = folder.join(name);
    if let Ok(existing) = std::fs::symlink_metadata(&path) {
        // Names are one per receipt job: this job saved it before a crash kept the
        // outbox from hearing so. Never overwrite it.
        return if existing.is_file() {
            Ok(path)
        } else {
            Err(std::io::Error::other(format!(
                "{name}: something other than a receipt is in the way"
            )))
        };
    }
    // A fresh, unguessable temporary name, created exclusively: nothing planted
    // beforehand (a link to elsewhere, say) can be written through.
    let tmp = folder.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    let written = f.write_all(data).and_then(|()| f.sync_all());
    // Whole or not at all: an archive never holds half a receipt. A hard link fails
    // when the name exists, where a rename would replace it.
    let linked = written.and_then(|()| match std::fs::hard_link(&tmp, &path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // Folders on file systems without hard links (FAT on a USB stick): the name
        // was checked free above, in a folder only this user can write.
        Err(_) => std::fs::rename(&tmp, &path),
        Ok(()) => Ok(()),
    });
    let _ = std::fs::remove_file(&tmp);
    linked.map(|()| path)
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

    fn file_printer(path: &Path) -> PrinterSpec {
        PrinterSpec::File {
            path: path.to_path_buf(),
            paper: Paper::Mm80,
        }
    }

    #[test]
    fn relative_printer_paths_are_refused() {
        for bad in [
            "file:receipts.bin",
            "file:./lp0",
            "pdf:receipts",
            "pdf:../r",
        ] {
            let err = bad.parse::<PrinterSpec>().unwrap_err();
            assert!(err.to_string().contains("absolute"), "{bad}: {err}");
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_file_printer_writes_only_to_a_character_device() {
        let dir = tempfile::tempdir().unwrap();
        // A plain file is refused and left as it was.
        let plain = dir.path().join("codes.txt");
        std::fs::write(&plain, b"before").unwrap();
        let err = send_escpos(&file_printer(&plain), b"CODE-1")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not a printer device"), "{err}");
        assert_eq!(std::fs::read(&plain).unwrap(), b"before");
        // A link to a device is not followed, even to a real one.
        let link = dir.path().join("lp0");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let err = send_escpos(&file_printer(&link), b"CODE-2")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        // A link to the plain file is not written through either.
        let to_plain = dir.path().join("lp1");
        std::os::unix::fs::symlink(&plain, &to_plain).unwrap();
        assert!(
            send_escpos(&file_printer(&to_plain), b"CODE-3")
                .await
                .is_err()
        );
        assert_eq!(std::fs::read(&plain).unwrap(), b"before");
        // A character device takes the bytes.
        let printed = send_escpos(&file_printer(Path::new("/dev/null")), b"CODE-4")
            .await
            .unwrap();
        assert!(printed.detail.contains("6 bytes"), "{}", printed.detail);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn pdf_receipts_go_to_an_owner_only_folder_and_never_overwrite() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("receipts");
        let spec = PrinterSpec::Pdf {
            folder: folder.clone(),
        };
        save_pdf(&spec, "ORD-1.pdf", b"%PDF one".to_vec())
            .await
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join("ORD-1.pdf")), 0o600);
        // The same job saved again (after a crash) keeps the first file.
        save_pdf(&spec, "ORD-1.pdf", b"%PDF two".to_vec())
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(folder.join("ORD-1.pdf")).unwrap(),
            b"%PDF one"
        );
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["ORD-1.pdf"]);
        // A planted link at the receipt's name is not written through.
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, b"keep").unwrap();
        std::os::unix::fs::symlink(&outside, folder.join("ORD-2.pdf")).unwrap();
        let err = save_pdf(&spec, "ORD-2.pdf", b"%PDF code".to_vec())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("in the way"), "{err}");
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        // A folder others can enter is refused, and nothing is written in it.
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = save_pdf(&spec, "ORD-3.pdf", b"%PDF".to_vec())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("chmod 700"), "{err}");
        assert!(!folder.join("ORD-3.pdf").exists());
        // A link in place of the folder is refused.
        let linked = PrinterSpec::Pdf {
            folder: dir.path().join("via-link"),
        };
        std::os::unix::fs::symlink(&folder, dir.path().join("via-link")).unwrap();
        let err = save_pdf(&linked, "ORD-4.pdf", b"%PDF".to_vec())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not a folder"), "{err}");
    }
}
