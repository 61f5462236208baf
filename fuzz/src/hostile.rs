//! Hostile inputs shared by the targets: text a supplier, a buyer or an attacker
//! could send (control bytes, ESC/POS commands, bidi overrides, very long runs),
//! numbers at every edge, and JSON text with such values in the expected shape.

use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Fragments that have broken parsers and printers elsewhere.
const NASTY: &[&str] = &[
    "",
    " ",
    "\0",
    "\t",
    "\r\n",
    "\u{7f}",
    "\u{85}",
    "\u{9b}",
    "\x1b@",
    "\x1bd\x7f",
    "\x1dVA\x00",
    "\x1d(k\x03\x001Q0",
    "\x1dv0\x00\u{ff}\x00\u{ff}\x00",
    "\x10\x04\x04",
    "\x1bp\x00\x19\u{fa}",
    "\x0c",
    "\x18",
    "\u{202e}evil\u{202c}",
    "\u{200f}",
    "\u{2066}",
    "\u{200b}",
    "\u{feff}",
    "\u{fffd}",
    "\u{10ffff}",
    "क्षेत्र",
    "कि",
    "e\u{301}\u{301}\u{301}",
    "עברית",
    "العربية",
    "🇮🇳👩‍👩‍👧",
    "€₹—…",
    "%PDF-1.7",
    "(",
    ")",
    "\\",
    "\\)",
    "endstream",
    "\"",
    "'",
    "<script>",
    "${x}",
    "%s%n",
    "{region}",
    "-",
    "--",
    ".",
    "..",
    "NaN",
    "Infinity",
    "-0",
    "1e400",
    "79228162514264337593543950335",
    "0.0000000000000000000000000001",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "https://x.example/",
    "ABCDE-FGHJK-LMNPQ",
];

/// A string made of nasty fragments, random characters and, now and then, a run
/// long enough to overflow any line, field or QR code.
pub fn text() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(NASTY).prop_map(str::to_owned),
        3 => any::<String>(),
        2 => "[ -~]{0,12}",
        1 => "[\\x00-\\x1f\\x7f-\\u{9f}]{1,4}",
        1 => "[\\u{900}-\\u{97f}]{1,8}",
        1 => "[\\u{590}-\\u{6ff}\\u{200e}\\u{200f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]{1,8}",
    ];
    prop_oneof![
        8 => vec(piece, 0..6).prop_map(|p| p.concat()),
        1 => (proptest::sample::select(NASTY), 1..2_000usize).prop_map(|(s, n)| s.repeat(n)),
        1 => ("[ -~\\u{80}-\\u{ff}\\u{900}-\\u{97f}]", 1_000..10_001usize).prop_map(|(c, n)| c.repeat(n)),
    ]
    .boxed()
}

/// Short text: names, ids, currencies.
pub fn short_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => vec(proptest::sample::select(NASTY).prop_map(str::to_owned), 0..3).prop_map(|p| p.concat()),
        3 => "[ -~]{0,16}",
        1 => any::<String>(),
    ]
    .boxed()
}

/// A decimal amount as a supplier or a till operator might type it, including
/// every way of not being one.
pub fn amount_text() -> BoxedStrategy<String> {
    let digits = |n: std::ops::Range<usize>| vec(proptest::char::range('0', '9'), n);
    prop_oneof![
        4 => (any::<bool>(), digits(0..32), proptest::option::of(digits(0..32)))
            .prop_map(|(neg, int, frac)| {
                let mut s = String::new();
                if neg { s.push('-'); }
                s.extend(int);
                if let Some(f) = frac { s.push('.'); s.extend(f); }
                s
            }),
        2 => (1i64..=i64::MAX, 0u32..=4).prop_map(|(n, dp)| rust_decimal::Decimal::new(n, dp).to_string()),
        1 => proptest::sample::select(vec![
            "", " ", "+1", "1e3", "1E3", "1,000.00", "1_000", "0x10", ".", "1.", "-.5", "--1",
            "NaN", "nan", "inf", "-inf", "Infinity", "١٢٣", "１２３", "1\u{0}", " 1 ", "\t2\n",
            "92233720368547758.07", "92233720368547758.08", "-92233720368547758.08",
            "92233720368547758.075", "9223372036854775807", "9223372036854775808",
            "79228162514264337593543950335", "79228162514264337593543950336",
            "7922816251426433759354395033.5", "0.0000000000000000000000000001",
            "0.00000000000000000000000000001", "-0", "-0.00", "00000000000000000000000000001",
        ]).prop_map(str::to_owned),
        1 => text(),
    ]
    .boxed()
}

/// A JSON number as text, from ordinary to beyond every native type.
pub fn number_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        2 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
        1 => "-?[1-9][0-9]{18,40}",
        1 => "-?[0-9]\\.[0-9]{20,40}",
        1 => "-?[1-9]e[+-]?[0-9]{1,4}",
        1 => proptest::sample::select(vec![
            "0", "-0", "0.0", "-0.0", "1.0", "1e21", "1e-7", "1e400", "-1e400", "5e-324",
            "1.7976931348623157e308", "9007199254740993", "18446744073709551616",
            "-9223372036854775809", "123456789012345678901234567890",
        ]).prop_map(str::to_owned),
    ]
    .boxed()
}

/// JSON built as text, so numbers keep the exact digits generated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => out.push_str(&quote(s)),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote(k));
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Any JSON value, a few levels deep, with hostile leaves.
pub fn json() -> BoxedStrategy<Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number_text().prop_map(Json::Num),
        short_text().prop_map(Json::Str),
        amount_text().prop_map(Json::Str),
    ];
    leaf.prop_recursive(4, 24, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Json::Arr),
            vec((short_text(), inner), 0..6).prop_map(Json::Obj),
        ]
    })
    .boxed()
}

/// A JSON value for a field the reader expects to be text: usually text, often
/// not (a number, null, an object …).
pub fn field(value: BoxedStrategy<String>) -> BoxedStrategy<Option<Json>> {
    prop_oneof![
        6 => value.prop_map(|s| Some(Json::Str(s))),
        1 => Just(None),
        2 => json().prop_map(Some),
    ]
    .boxed()
}

/// An object from named fields (absent ones left out) and some extra ones.
pub fn object(fields: Vec<(&'static str, Option<Json>)>, extra: Vec<(String, Json)>) -> Json {
    let mut out: Vec<(String, Json)> = fields
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
    out.extend(extra);
    Json::Obj(out)
}

/// Extra fields, sometimes repeating a known key (JSON allows it; who wins?).
pub fn extra_fields(known: &'static [&'static str]) -> BoxedStrategy<Vec<(String, Json)>> {
    let key = prop_oneof![
        3 => short_text(),
        1 => proptest::sample::select(known).prop_map(str::to_owned),
    ];
    vec((key, json()), 0..3).boxed()
}

/// Bytes that are not what anyone expects: random, truncated or nested too deep.
pub fn wild_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => vec(any::<u8>(), 0..512),
        1 => (1..20_000usize).prop_map(|n| {
            let mut b = vec![b'['; n];
            b.extend(std::iter::repeat_n(b']', n));
            b
        }),
        1 => (1..5_000usize).prop_map(|n| {
            let mut s = "{\"a\":".repeat(n);
            s.push('1');
            s.push_str(&"}".repeat(n));
            s.into_bytes()
        }),
        1 => json().prop_map(|j| j.to_text().into_bytes()),
    ]
    .boxed()
}

/// `bytes` with a mutation applied: a flipped bit, a byte cut off or one inserted.
pub fn mutate(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    let at = m.at % bytes.len();
    match m.kind {
        0 => bytes[at] ^= m.byte.max(1),
        1 => bytes.truncate(at),
        _ => bytes.insert(at, m.byte),
    }
    bytes
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mutation {
    pub kind: u8,
    pub at: usize,
    pub byte: u8,
}

pub fn mutation() -> BoxedStrategy<Mutation> {
    (0u8..3, any::<usize>(), any::<u8>())
        .prop_map(|(kind, at, byte)| Mutation { kind, at, byte })
        .boxed()
}

/// Bytes as a corpus file keeps them: text when they are UTF-8 (readable in a
/// diff), hex otherwise.
pub mod bytes_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Form {
        Text(String),
        Hex { hex: String },
    }

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Form::Text(text.to_owned()),
            Err(_) => Form::Hex {
                hex: hex::encode(bytes),
            },
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Form::deserialize(d)? {
            Form::Text(text) => Ok(text.into_bytes()),
            Form::Hex { hex } => hex::decode(hex).map_err(serde::de::Error::custom),
        }
    }
}
