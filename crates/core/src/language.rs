//! The buyer's language for receipts and emails: a plain value that an order keeps
//! and that delivery writes in. It depends on nothing else in codetill, so orders and
//! delivery can both name it without one needing the other. Reading it from what
//! staff typed (`--lang`, a setting) is [`crate::delivery`]'s: a bad name is reported
//! with delivery's error, as the front ends expect.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Hi,
}

impl Language {
    pub fn as_str(&self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Hi => "hi",
        }
    }

    /// The language `name` stands for: `en` or `english`, `hi` or `hindi`, in any
    /// case, with spaces around.
    pub fn from_name(name: &str) -> Option<Language> {
        match name.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Language::En),
            "hi" | "hindi" => Some(Language::Hi),
            _ => None,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
