//! A real SMTP server on loopback for tests: `python3 -m aiosmtpd` delivering into a
//! Maildir, and Python's own email package to read what arrived. Needs aiosmtpd
//! (`pip install aiosmtpd`; `./test.sh` installs it).
#![allow(clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A loopback address no other test holds (each test its own 127.0.0.x).
pub fn free_addr() -> SocketAddr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = std::process::id().wrapping_mul(7) + NEXT.fetch_add(1, Ordering::Relaxed);
    let ip = Ipv4Addr::new(127, 0, 0, 2 + (n % 249) as u8);
    TcpListener::bind((ip, 0))
        .expect("smtp test server")
        .local_addr()
        .expect("smtp test server")
}

/// A handler that takes every message into a Maildir, except for `nobody@…`,
/// which it refuses as a real server refuses an unknown user.
const PICKY: &str = r#"
from aiosmtpd.handlers import Mailbox

class Picky(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

/// `python3 -m aiosmtpd` on loopback, delivering into a Maildir.
pub struct SmtpServer {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start(addr: SocketAddr) -> SmtpServer {
        let dir = tempfile::tempdir().expect("smtp test server");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.path().join("mail").join(sub)).expect("smtp test server");
        }
        std::fs::write(dir.path().join("picky.py"), PICKY).expect("smtp test server");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(addr.to_string())
            .args(["-c", "picky.Picky"])
            .arg(dir.path().join("mail"))
            .env("PYTHONPATH", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 is needed for the SMTP tests");
        let mut server = SmtpServer { child, dir };
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = server.child.try_wait().expect("smtp test server") {
                let mut err = String::new();
                if let Some(e) = server.child.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!(
                    "aiosmtpd exited ({status}); is it installed (pip install aiosmtpd)?\n{err}"
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "aiosmtpd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(addr: SocketAddr) -> String {
        format!("smtp://{addr}?from=shop@corner.example")
    }

    pub fn messages(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail").join("new"))
            .expect("smtp test server")
            .map(|e| e.expect("smtp test server").path())
            .collect();
        found.sort();
        found
    }

    /// Waits until `n` messages have arrived and returns them parsed.
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        while self.messages().len() < n {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{} message(s) arrived, expected {n}",
                self.messages().len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.messages().iter().map(|p| parse_mail(p)).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses a message with Python's own email package (an independent reader of what
/// lettre wrote): decoded and raw headers, the bodies, the attachments.
pub fn parse_mail(path: &Path) -> Value {
    const SCRIPT: &str = r#"
import email, json, sys
from email import policy
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=policy.default)
compat = email.message_from_bytes(raw)
out = {
  'subject': str(m['subject']),
  'raw_subject': compat['Subject'],
  'from': str(m['from']), 'to': str(m['to']),
  'message_id': str(m['message-id']), 'date': str(m['date']),
  'mime_version': str(m['mime-version']),
  'content_type': m.get_content_type(),
  'text': None, 'html': None, 'attachments': [],
}
for part in m.walk():
    if part.is_multipart():
        continue
    if part.get_filename():
        out['attachments'].append({'filename': part.get_filename(),
            'content_type': part.get_content_type(),
            'size': len(part.get_payload(decode=True) or b'')})
    elif part.get_content_type() == 'text/plain':
        out['text'] = part.get_content()
    elif part.get_content_type() == 'text/html':
        out['html'] = part.get_content()
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("smtp test server");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("smtp test server")
}
