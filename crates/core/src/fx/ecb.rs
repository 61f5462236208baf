//! The ECB's daily reference rates file (`eurofxref-daily.xml`): one `Cube` with a
//! `time`, holding a `Cube currency='USD' rate='1.0866'` per currency, each the price
//! of one euro. Any URL serving that format will do (a bank's mirror, a shop's own).

use chrono::NaiveDate;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;

use crate::money::{Currency, parse_decimal};

/// One day's rates, all against the euro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRates {
    pub date: NaiveDate,
    /// (currency, units of it per euro).
    pub rates: Vec<(Currency, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the rates file does not parse: {0}")]
pub struct BadRatesFile(pub String);

/// Reads the file; every rate must be a positive decimal and a date must be given.
pub fn parse(xml: &str) -> Result<DailyRates, BadRatesFile> {
    let bad = |m: String| BadRatesFile(m);
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut date = None;
    let mut rates = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().into_inner() == "Cube" => {
                if let Some(time) = attribute(&e, "time")? {
                    if date.is_some() {
                        // The daily file holds one day; a history file is not this format.
                        return Err(bad("more than one day (use the daily file)".into()));
                    }
                    date = Some(
                        NaiveDate::parse_from_str(&time, "%Y-%m-%d")
                            .map_err(|_| bad(format!("time {time:?} is not a date")))?,
                    );
                }
                if let Some(code) = attribute(&e, "currency")? {
                    let currency = Currency::parse(&code)
                        .map_err(|_| bad(format!("currency {code:?} is not an ISO code")))?;
                    let text =
                        attribute(&e, "rate")?.ok_or_else(|| bad(format!("{code} has no rate")))?;
                    let rate = parse_decimal(&text)
                        .ok()
                        .filter(|r| *r > Decimal::ZERO)
                        .ok_or_else(|| {
                            bad(format!("{code}: rate {text:?} is not a positive number"))
                        })?;
                    rates.push((currency, rate));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(bad(format!(
                    "not XML at byte {}: {e}",
                    reader.buffer_position()
                )));
            }
        }
    }
    let date = date.ok_or_else(|| bad("no Cube with a time (a date)".into()))?;
    if rates.is_empty() {
        return Err(bad("no rates".into()));
    }
    Ok(DailyRates { date, rates })
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, BadRatesFile> {
    for a in e.attributes() {
        let a = a.map_err(|err| BadRatesFile(format!("a broken attribute: {err}")))?;
        if a.key.local_name().into_inner() == name {
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| BadRatesFile(format!("a broken attribute value: {err}")))?;
            return Ok(Some(value.trim().to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    pub(crate) const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
		<Cube time='2026-12-03'>
			<Cube currency='USD' rate='1.0866'/>
			<Cube currency='JPY' rate='169.12'/>
			<Cube currency='GBP' rate='0.85540'/>
			<Cube currency='INR' rate='90.6100'/>
		</Cube>
	</Cube>
</gesmes:Envelope>"#;

    #[test]
    fn the_daily_file_is_read() {
        let day = parse(SAMPLE).unwrap();
        assert_eq!(day.date, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        assert_eq!(day.rates.len(), 4);
        assert_eq!(day.rates[0], (Currency::USD, dec!(1.0866)));
        assert_eq!(day.rates[3].0.code(), "INR");
        assert_eq!(day.rates[3].1, dec!(90.61));
    }

    #[test]
    fn broken_files_are_refused_with_the_reason() {
        for (xml, reason) in [
            ("", "no Cube with a time"),
            ("<html><body>Service unavailable</body></html>", "no Cube"),
            ("<Cube><Cube time='2026-12-03'></Cube></Cube>", "no rates"),
            (
                "<Cube><Cube time='yesterday'><Cube currency='USD' rate='1.1'/></Cube></Cube>",
                "not a date",
            ),
            (
                "<Cube><Cube time='2026-12-03'><Cube currency='USD' rate='0'/></Cube></Cube>",
                "not a positive number",
            ),
            (
                "<Cube><Cube time='2026-12-03'><Cube currency='USD' rate='-1.1'/></Cube></Cube>",
                "not a positive number",
            ),
            (
                "<Cube><Cube time='2026-12-03'><Cube currency='US' rate='1.1'/></Cube></Cube>",
                "not an ISO code",
            ),
            (
                "<Cube><Cube time='2026-12-03'><Cube currency='USD'/></Cube></Cube>",
                "has no rate",
            ),
            (
                "<Cube><Cube time='2026-12-03'><Cube currency='USD' rate='1'/></Cube><Cube time='2026-12-02'/></Cube>",
                "more than one day",
            ),
            (
                "<Cube time='2026-12-03'><Cube currency='USD' rate='1.1'",
                "not XML",
            ),
        ] {
            let err = parse(xml).unwrap_err();
            assert!(err.to_string().contains(reason), "{xml:?}: {err}");
        }
    }
}
