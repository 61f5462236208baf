//! Email with lettre: the buyer's code in a text and an HTML body, in English or
//! Hindi, with the PDF receipt attached if the shop wants it.
//!
//! The server comes from `CODETILL_SMTP_URL` (or the setting `smtp.url`):
//!
//! - `smtps://user@mail.example.com:465?from=shop@example.com` — implicit TLS;
//! - `smtp://user@mail.example.com:587?from=…` — STARTTLS, required;
//! - `smtp://127.0.0.1:2525?from=…` — plain, allowed only on loopback (a local relay);
//! - `&attach=none` leaves the PDF receipt out.
//!
//! The password is read from the keyring (`smtp-password`, or
//! `CODETILL_SMTP_PASSWORD` headless); a password in the URL is accepted for
//! headless use and never shown.

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use super::receipt::{Receipt, labels};
use super::{DeliveryError, Language};
use crate::secrets::Redacted;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    ImplicitTls,
    StartTls,
    /// No TLS: only to a server on this machine.
    Plain,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<Redacted<String>>,
    /// The sender, `shop@example.com` or `Shop <shop@example.com>`.
    pub from: String,
    pub attach_pdf: bool,
    /// For each step of the SMTP conversation.
    pub timeout: Duration,
}

impl SmtpConfig {
    pub fn parse(text: &str) -> Result<SmtpConfig, DeliveryError> {
        let bad = |m: &str| DeliveryError::BadSmtp(format!("{m} (in {})", redact_url(text)));
        let url = url::Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| bad("no server"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let loopback = host == "localhost"
            || host
                .parse::<IpAddr>()
                .map(|a| a.is_loopback())
                .unwrap_or(false);
        let (security, default_port) = match url.scheme() {
            "smtps" => (SmtpSecurity::ImplicitTls, 465),
            "smtp" if loopback => (SmtpSecurity::Plain, 25),
            "smtp" => (SmtpSecurity::StartTls, 587),
            other => return Err(bad(&format!("scheme {other:?}: use smtps:// or smtp://"))),
        };
        let user = Some(url.username())
            .filter(|u| !u.is_empty())
            .map(percent_decode);
        let password = url.password().map(|p| Redacted::new(percent_decode(p)));
        let mut from = None;
        let mut attach_pdf = true;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "from" => from = Some(v.into_owned()),
                "attach" => {
                    attach_pdf = match v.as_ref() {
                        "pdf" => true,
                        "none" => false,
                        _ => return Err(bad("attach is pdf or none")),
                    }
                }
                other => return Err(bad(&format!("unknown option {other:?} (from, attach)"))),
            }
        }
        let from = from
            .or_else(|| user.clone().filter(|u| u.contains('@')))
            .ok_or_else(|| bad("the sender is missing: add ?from=shop@example.com"))?;
        from.parse::<Mailbox>()
            .map_err(|e| bad(&format!("from {from:?}: {e}")))?;
        Ok(SmtpConfig {
            security,
            host,
            port: url.port().unwrap_or(default_port),
            user,
            password,
            from,
            attach_pdf,
            timeout: Duration::from_secs(10),
        })
    }

    /// The server as logs and screens may show it (no password).
    pub fn describe(&self) -> String {
        let scheme = match self.security {
            SmtpSecurity::ImplicitTls => "smtps",
            _ => "smtp",
        };
        match &self.user {
            Some(u) => format!("{scheme}://{u}@{}:{}", self.host, self.port),
            None => format!("{scheme}://{}:{}", self.host, self.port),
        }
    }

    fn transport(
        &self,
        timeout: Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let builder = match self.security {
            SmtpSecurity::ImplicitTls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host),
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
            }
            SmtpSecurity::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &self.host,
            )),
        }
        .map_err(|e| SendError::Permanent(format!("mail server {}: {e}", self.describe())))?;
        let mut builder = builder.port(self.port).timeout(Some(timeout));
        if let Some(user) = &self.user {
            let password = self
                .password
                .as_ref()
                .map(|p| p.expose().clone())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }
}

/// `%40` → `@` in a URL's user or password (`+` stays a plus there).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Hides the credentials of a URL before it goes into an error message: everything
/// between `://` and the last `@`, whatever the rest looks like — the URL in an error
/// is one that did not parse, so its parts cannot be trusted to be where a parser
/// would look.
pub(crate) fn redact_url(text: &str) -> String {
    let text = text.trim();
    let Some(start) = text.find("://").map(|i| i + 3) else {
        // No scheme: whatever stands before the last '@' may be a password.
        return match text.rfind('@') {
            Some(at) => format!("***{}", &text[at..]),
            None => text.to_string(),
        };
    };
    match text[start..].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]),
        None => text.to_string(),
    }
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later: the server is down, busy (4xx), or refused our login.
    #[error("{0}")]
    Transient(String),
    /// Will never be accepted as it is: a bad address, a 5xx answer.
    #[error("{0}")]
    Permanent(String),
}

/// The server's answer to an accepted message, kept as proof of delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub reply: String,
}

/// Subject and bodies of the email for `receipt`.
#[derive(Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Composed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composed")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

struct Words {
    subject: &'static str,
    claim_subject: &'static str,
    claim_thanks: &'static str,
    hello: &'static str,
    thanks: &'static str,
    your_code: &'static str,
    keep_safe: &'static str,
}

const EN: Words = Words {
    subject: "Your code",
    claim_subject: "Your claim",
    claim_thanks: "thank you for your purchase at {shop}. Keep this email: it is your claim slip.",
    hello: "Hello,",
    thanks: "thank you for your purchase at {shop}. Here is your code.",
    your_code: "Your code",
    keep_safe: "Keep this code private: anyone who has it can redeem it.",
};

const HI: Words = Words {
    subject: "आपका कोड",
    claim_subject: "आपका दावा",
    claim_thanks: "{shop} से ख़रीदारी के लिए धन्यवाद। यह ईमेल संभाल कर रखें: यही आपकी दावा पर्ची है।",
    hello: "नमस्ते,",
    thanks: "{shop} से ख़रीदारी के लिए धन्यवाद। आपका कोड यह है।",
    your_code: "आपका कोड",
    keep_safe: "यह कोड किसी को न बताएँ: जिसके पास यह कोड है, वही इसे रिडीम कर सकता है।",
};

/// The tax invoice's lines, when the receipt is one (label, value), in the
/// receipt's language; the price's tax part when it only has a rate.
fn tax_lines(r: &Receipt) -> Vec<(String, String)> {
    let Some(t) = &r.tax else {
        return Vec::new();
    };
    let l = labels(r.language);
    let mut lines = Vec::new();
    if let Some(i) = &t.invoice {
        lines.push((l.invoice.to_string(), i.number.clone()));
        lines.push((l.tax_id.to_string(), i.shop_tax_id.clone()));
        if let Some(b) = &i.buyer_tax_id {
            lines.push((l.buyer_tax_id.to_string(), b.clone()));
        }
    }
    lines.push((l.price.to_string(), r.price.to_string()));
    lines.push((l.net.to_string(), t.net.to_string()));
    lines.push((
        l.tax.replace("{rate}", &t.rate.normalize().to_string()),
        t.tax.to_string(),
    ));
    lines
}

pub fn compose(r: &Receipt) -> Composed {
    let w = match r.language {
        Language::En => &EN,
        Language::Hi => &HI,
    };
    let l = labels(r.language);
    let (subject, thanks) = match &r.claim {
        Some(c) => (
            format!("{}: {} ({})", w.claim_subject, r.product, c.number),
            w.claim_thanks.replace("{shop}", &r.shop.name),
        ),
        None => (
            format!("{}: {} ({})", w.subject, r.product, r.order_id),
            w.thanks.replace("{shop}", &r.shop.name),
        ),
    };
    let claim = r.claim.as_ref().map(|c| {
        (
            format!("{}: {}", l.claim, c.number),
            l.claim_wait.replace("{until}", &c.refund_after),
        )
    });
    let notice_hi = (r.language == Language::Hi).then(|| l.notice.replace("{region}", &r.region));

    let mut text = format!("{}\n\n{thanks}\n\n{}\n", w.hello, r.product);
    text.push_str(&format!(
        "{}: {}\n{}: {}\n{}: {}\n\n",
        l.order, r.order_id, l.region, r.region, l.face_value, r.face_value
    ));
    let invoice = tax_lines(r);
    if !invoice.is_empty() {
        text.push_str(&format!("{}\n", l.tax_invoice));
        for (label, value) in &invoice {
            text.push_str(&format!("{label}: {value}\n"));
        }
        text.push('\n');
    }
    if let Some((number, wait)) = &claim {
        text.push_str(&format!("{number}\n{wait}\n"));
    }
    for c in &r.codes {
        text.push_str(&format!("{}: {}\n", w.your_code, c.code));
        if let Some(pin) = &c.pin {
            text.push_str(&format!("{}: {pin}\n", l.pin));
        }
        if let Some(serial) = &c.serial {
            text.push_str(&format!("{}: {serial}\n", l.serial));
        }
    }
    text.push('\n');
    if let Some(i) = &r.instructions {
        text.push_str(&format!("{}: {i}\n", l.how_to_redeem));
    }
    if let Some(u) = &r.redeem_url {
        text.push_str(&format!("{} {u}\n", l.redeem_at));
    }
    text.push_str(&format!("\n{}\n", w.keep_safe));
    text.push_str(&format!("{}\n", r.notice()));
    if let Some(n) = &notice_hi {
        text.push_str(&format!("{n}\n"));
    }
    text.push_str(&format!("\n{}\n", r.shop.name));
    if let Some(a) = &r.shop.address {
        text.push_str(&format!("{a}\n"));
    }

    let e = escape;
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body style=\"font-family:sans-serif;color:#222;max-width:36em\">\n<p>{hello}</p>\n<p>{thanks}</p>\n<h2 style=\"margin-bottom:0.2em\">{product}</h2>\n<p style=\"color:#555;margin-top:0\">{order_l}: {order} &middot; {region_l}: {region} &middot; {face_l}: {face}</p>\n",
        lang = r.language.as_str(),
        title = e(&subject),
        hello = e(w.hello),
        thanks = e(&thanks),
        product = e(&r.product),
        order_l = e(l.order),
        order = e(&r.order_id),
        region_l = e(l.region),
        region = e(&r.region),
        face_l = e(l.face_value),
        face = e(&r.face_value.to_string()),
    );
    if !invoice.is_empty() {
        html.push_str(&format!("<h3>{}</h3>\n<table>\n", e(l.tax_invoice)));
        for (label, value) in &invoice {
            html.push_str(&format!(
                "<tr><td>{}</td><td style=\"text-align:right\">{}</td></tr>\n",
                e(label),
                e(value)
            ));
        }
        html.push_str("</table>\n");
    }
    if let Some((number, wait)) = &claim {
        html.push_str(&format!(
            "<p><b style=\"font-size:1.5em\">{}</b></p>\n<p>{}</p>\n",
            e(number),
            e(wait)
        ));
    }
    for c in &r.codes {
        html.push_str(&format!(
            "<p>{}:<br><code style=\"font-size:1.5em;font-weight:bold;letter-spacing:0.05em\">{}</code></p>\n",
            e(w.your_code),
            e(&c.code)
        ));
        if let Some(pin) = &c.pin {
            html.push_str(&format!("<p>{}: <code>{}</code></p>\n", e(l.pin), e(pin)));
        }
        if let Some(serial) = &c.serial {
            html.push_str(&format!("<p>{}: {}</p>\n", e(l.serial), e(serial)));
        }
    }
    if let Some(i) = &r.instructions {
        html.push_str(&format!("<p><b>{}:</b> {}</p>\n", e(l.how_to_redeem), e(i)));
    }
    if let Some(u) = &r.redeem_url {
        // A link only to the web: the URL comes from the supplier's catalog.
        let link = if u.starts_with("https://") || u.starts_with("http://") {
            format!("<a href=\"{0}\">{0}</a>", e(u))
        } else {
            e(u)
        };
        html.push_str(&format!("<p>{} {link}</p>\n", e(l.redeem_at)));
    }
    html.push_str(&format!("<p><b>{}</b></p>\n", e(w.keep_safe)));
    html.push_str(&format!("<p style=\"color:#555\">{}", e(&r.notice())));
    if let Some(n) = &notice_hi {
        html.push_str(&format!("<br>{}", e(n)));
    }
    html.push_str("</p>\n");
    html.push_str(&format!("<p>{}", e(&r.shop.name)));
    if let Some(a) = &r.shop.address {
        html.push_str(&format!("<br>{}", e(a)));
    }
    html.push_str("</p>\n</body></html>\n");
    Composed {
        subject,
        text,
        html,
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The message, ready to send. A recipient that is not an email address is a
/// permanent failure.
pub fn message(
    config: &SmtpConfig,
    shop_name: &str,
    to: &str,
    content: &Composed,
    pdf: Option<(String, Vec<u8>)>,
    message_id: &str,
) -> Result<Message, SendError> {
    let to: Mailbox = to
        .trim()
        .parse()
        .map_err(|e| SendError::Permanent(format!("bad address {to:?}: {e}")))?;
    let mut from: Mailbox = config
        .from
        .parse()
        .map_err(|e| SendError::Permanent(format!("bad sender {:?}: {e}", config.from)))?;
    if from.name.is_none() {
        from.name = Some(shop_name.to_string());
    }
    let body = MultiPart::alternative_plain_html(content.text.clone(), content.html.clone());
    let body = match pdf {
        Some((name, bytes)) => MultiPart::mixed().multipart(body).singlepart(
            Attachment::new(name).body(
                bytes,
                ContentType::parse("application/pdf")
                    .map_err(|e| SendError::Permanent(e.to_string()))?,
            ),
        ),
        None => body,
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(content.subject.clone())
        .message_id(Some(message_id.to_string()))
        .date_now()
        .multipart(body)
        .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
}

/// Hands the message to the server; what it answered, or why not.
pub async fn send(
    config: &SmtpConfig,
    message: Message,
    timeout: Duration,
) -> Result<Accepted, SendError> {
    let transport = config.transport(timeout)?;
    match transport.send(message).await {
        Ok(response) => Ok(Accepted {
            reply: format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )
            .trim()
            .to_string(),
        }),
        Err(e) => Err(classify(&e, config)),
    }
}

fn classify(e: &lettre::transport::smtp::Error, config: &SmtpConfig) -> SendError {
    let text = format!("{}: {e}", config.describe());
    let code = e.status().map(|c| c.to_string());
    match code.as_deref() {
        // A refused login is the shop's settings, not the buyer's address: the
        // message waits until someone fixes them.
        Some("530" | "534" | "535" | "538") => SendError::Transient(text),
        Some(c) if c.starts_with('5') => SendError::Permanent(text),
        _ if e.is_permanent() => SendError::Permanent(text),
        _ => SendError::Transient(text),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::delivery::receipt::tests::sample;

    /// A mail server address that does not parse still never shows its password:
    /// not in the error, so not in the outbox, a command's output or the log.
    #[test]
    fn a_password_in_a_broken_mail_address_never_reaches_the_error() {
        for broken in [
            "smtps://shop:hunter2@mail example.com:465",
            "smtps://shop:hunter2@mail.example.com:notaport",
            "smtps://shop:hun@ter2@mail.example.com:99999",
            "shop:hunter2@mail.example.com",
            "smtps://shop:hunter2@",
        ] {
            let err = SmtpConfig::parse(broken).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{broken}: {err}");
            assert!(!err.contains("ter2"), "{broken}: {err}");
        }
        assert_eq!(
            redact_url("smtps://u:p@mail.example.com:465?from=a@b.c"),
            "smtps://***@b.c"
        );
        assert_eq!(
            redact_url("smtp://mail.example.com"),
            "smtp://mail.example.com"
        );
    }

    #[test]
    fn smtp_urls_choose_the_security() {
        let c = SmtpConfig::parse(
            "smtps://shop%40x.com:p%40ss@mail.x.com?from=Shop%20%3Cshop%40x.com%3E",
        )
        .unwrap();
        assert_eq!(c.security, SmtpSecurity::ImplicitTls);
        assert_eq!(c.port, 465);
        assert_eq!(c.user.as_deref(), Some("shop@x.com"));
        assert_eq!(c.password.as_ref().unwrap().expose(), "p@ss");
        assert_eq!(c.from, "Shop <shop@x.com>");
        assert!(!format!("{c:?}").contains("p@ss"), "password never printed");
        let c = SmtpConfig::parse("smtp://u@mail.x.com?from=a@x.com&attach=none").unwrap();
        assert_eq!(
            (c.security, c.port, c.attach_pdf),
            (SmtpSecurity::StartTls, 587, false)
        );
        let c = SmtpConfig::parse("smtp://127.0.0.1:2525?from=a@x.com").unwrap();
        assert_eq!((c.security, c.port), (SmtpSecurity::Plain, 2525));
        let c = SmtpConfig::parse("smtp://u%40x.com@localhost").unwrap();
        assert_eq!(
            (c.security, c.from.as_str()),
            (SmtpSecurity::Plain, "u@x.com")
        );
        for bad in [
            "http://x?from=a@x.com",
            "smtp://mail.x.com",
            "smtp://h?from=nope",
            "smtp://h?from=a@x.com&tls=0",
        ] {
            assert!(SmtpConfig::parse(bad).is_err(), "{bad}");
        }
        let e = SmtpConfig::parse("smtp://u:secret@h?from=x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn an_emailed_receipt_becomes_a_tax_invoice() {
        let m = compose(&crate::delivery::receipt::tests::sample_invoice(
            Language::En,
        ));
        for line in [
            "TAX INVOICE",
            "Invoice: INV/2024-25/000042",
            "Tax id: 29ABCDE1234F1Z5",
            "Buyer tax id: 27PQRSX9876K1Z2",
            "Net: 18.64 USD",
            "Tax 18% (incl.): 3.35 USD",
        ] {
            assert!(m.text.contains(line), "{line}: {}", m.text);
        }
        assert!(m.html.contains("INV/2024-25/000042"));
        let hi = compose(&crate::delivery::receipt::tests::sample_invoice(
            Language::Hi,
        ));
        assert!(hi.text.contains("कर बीजक"), "{}", hi.text);
        assert!(
            !compose(&sample(Language::En, None))
                .text
                .contains("TAX INVOICE")
        );
    }

    #[test]
    fn email_bodies_carry_the_code_and_escape_html() {
        let mut r = sample(Language::En, None);
        r.product = "Gift <Card> & more".into();
        let m = compose(&r);
        assert!(m.subject.contains("ORD-000123"));
        assert!(m.text.contains("Your code: ABCDE-FGHJK-LMNPQ"));
        assert!(m.html.contains("ABCDE-FGHJK-LMNPQ"));
        assert!(m.html.contains("Gift &lt;Card&gt; &amp; more"));
        assert!(
            m.text
                .contains("Digital codes are non-refundable once issued. Region: US")
        );
        assert!(!format!("{m:?}").contains("ABCDE"));
        let hi = compose(&sample(Language::Hi, None));
        assert!(hi.subject.starts_with("आपका कोड"));
        assert!(hi.html.contains("lang=\"hi\""));
        assert!(hi.text.contains("ABCDE-FGHJK-LMNPQ"));
    }
}
