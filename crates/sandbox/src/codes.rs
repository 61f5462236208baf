//! Minting the codes an order delivers: `XXXXX-XXXXX-XXXXX` codes (no 0/O/1/I, so
//! they can be read aloud at a counter), `SN-` serials and 4-digit PINs for mobile
//! top-ups. Codes are random and never repeat within a sandbox.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;

use crate::wire::ser_opt_time;

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DeliveredCode {
    pub code: String,
    pub pin: Option<String>,
    pub serial: String,
    #[serde(serialize_with = "ser_opt_time")]
    pub expires_at: Option<DateTime<Utc>>,
}

pub(crate) struct CodeMint {
    issued: HashSet<String>,
    next_serial: u64,
}

impl CodeMint {
    pub(crate) fn new() -> Self {
        Self {
            issued: HashSet::new(),
            next_serial: rand::rng().random_range(100_000_000..500_000_000),
        }
    }

    pub(crate) fn mint(&mut self, count: u32, with_pin: bool) -> Vec<DeliveredCode> {
        let mut rng = rand::rng();
        (0..count)
            .map(|_| {
                let code = loop {
                    let mut c = String::with_capacity(17);
                    for i in 0..15 {
                        if i > 0 && i % 5 == 0 {
                            c.push('-');
                        }
                        c.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
                    }
                    if self.issued.insert(c.clone()) {
                        break c;
                    }
                };
                // Serials are sequential from a random start, so they are unique.
                let serial = format!("SN-{}", self.next_serial);
                self.next_serial += 1;
                let pin = with_pin.then(|| format!("{:04}", rng.random_range(0..10_000)));
                DeliveredCode {
                    code,
                    pin,
                    serial,
                    expires_at: None,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_documented_shape_and_never_repeat() {
        let mut mint = CodeMint::new();
        let codes = mint.mint(2000, true);
        let unique: HashSet<&str> = codes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(unique.len(), 2000);
        for c in &codes {
            let groups: Vec<&str> = c.code.split('-').collect();
            assert_eq!(groups.len(), 3);
            assert!(
                groups
                    .iter()
                    .all(|g| g.len() == 5 && g.bytes().all(|b| ALPHABET.contains(&b)))
            );
            assert!(
                c.serial.starts_with("SN-") && c.serial[3..].bytes().all(|b| b.is_ascii_digit())
            );
            assert!(c.pin.as_ref().is_some_and(|p| p.len() == 4));
        }
        assert!(mint.mint(1, false)[0].pin.is_none());
    }
}
