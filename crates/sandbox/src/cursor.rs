//! Opaque catalog cursors. A cursor names the last product a page ended on
//! (keyset pagination), not an offset, so a walk stays exact while products are
//! repriced or discontinued under it. It also carries the page number (to place
//! injected bad rows) and, for incremental walks, the `updated_since` instant the
//! walk started with. Encoded as hex so it is URL-safe and clearly not for parsing.

use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Full walk ordered by sku; resume after `after_sku`.
    BySku { page: usize, after_sku: String },
    /// Incremental walk ordered by (updated_at, sku); resume after that key.
    ByUpdated {
        page: usize,
        since_us: i64,
        after_us: i64,
        after_sku: String,
    },
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        let plain = match self {
            Cursor::BySku { page, after_sku } => format!("s1|{page}|{after_sku}"),
            Cursor::ByUpdated {
                page,
                since_us,
                after_us,
                after_sku,
            } => format!("u1|{page}|{since_us}|{after_us}|{after_sku}"),
        };
        let mut out = String::with_capacity(plain.len() * 2);
        for b in plain.bytes() {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    pub(crate) fn decode(s: &str) -> Option<Self> {
        if !s.len().is_multiple_of(2) || s.len() > 2048 {
            return None;
        }
        let bytes = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        let plain = String::from_utf8(bytes).ok()?;
        let mut parts = plain.splitn(5, '|');
        match parts.next()? {
            "s1" => {
                let page = parts.next()?.parse().ok()?;
                let after_sku = parts.next()?.to_owned();
                Some(Cursor::BySku { page, after_sku })
            }
            "u1" => {
                let page = parts.next()?.parse().ok()?;
                let since_us = parts.next()?.parse().ok()?;
                let after_us = parts.next()?.parse().ok()?;
                let after_sku = parts.next()?.to_owned();
                Some(Cursor::ByUpdated {
                    page,
                    since_us,
                    after_us,
                    after_sku,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for c in [
            Cursor::BySku {
                page: 3,
                after_sku: "STEAM-US-20".into(),
            },
            Cursor::ByUpdated {
                page: 1,
                since_us: -5,
                after_us: 1_793_491_200_000_000,
                after_sku: "A|B".into(),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "zz", "abc", "eyJvIjoxMDAwfQ", &"00".repeat(3)] {
            assert_eq!(Cursor::decode(bad), None, "{bad:?}");
        }
    }
}
