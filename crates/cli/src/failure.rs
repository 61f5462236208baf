//! Exit codes of the contract, carried through `anyhow` as a typed error.

use std::fmt;

use codetill_core::pricing::PricingError;
use codetill_core::supplier::SupplierError;

pub const FAILED: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const REFUSED: u8 = 3;
pub const OPEN: u8 = 4;

/// An error that knows its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: BAD_INPUT,
            message: message.into(),
        })
    }

    pub fn failed(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: FAILED,
            message: message.into(),
        })
    }

    /// The exit code and one line for whatever went wrong.
    pub fn from_anyhow(e: &anyhow::Error) -> Failure {
        if let Some(f) = e.downcast_ref::<Failure>() {
            return Failure {
                code: f.code,
                message: f.message.clone(),
            };
        }
        let code = if e.downcast_ref::<PricingError>().is_some() {
            BAD_INPUT
        } else if let Some(s) = e.downcast_ref::<SupplierError>() {
            match s {
                SupplierError::Rejected { .. } => REFUSED,
                _ => FAILED,
            }
        } else {
            FAILED
        };
        // The whole chain on one line, outermost first; a cause that its parent's
        // message already spells out is not repeated.
        let mut message = String::new();
        for cause in e.chain() {
            let text = cause.to_string();
            if !message.contains(&text) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&text);
            }
        }
        Failure { code, message }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[allow(dead_code)]
pub const ALL: [u8; 4] = [FAILED, BAD_INPUT, REFUSED, OPEN];
