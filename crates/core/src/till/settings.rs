//! The owner's settings form: every field checked by the reader that will use it,
//! then all saved in one transaction — or none, with the field that was wrong named.

use serde::Deserialize;

use crate::db::{Db, DbError};
use crate::delivery::{Language, PrinterSpec, SmtpConfig};
use crate::payments::{self, ProviderKind};
use crate::relay;
use crate::supplier::parse_base_url;

use crate::settings::{
    self as store, LANGUAGE, PRINTER, SHOP_ADDRESS, SHOP_NAME, SMTP_URL, SUPPLIER_URL, TILL_ID,
};

/// Longest text a setting takes (an address, a URL).
pub const MAX_SETTING_CHARS: usize = 500;
const MAX_SHOP_NAME_CHARS: usize = 100;
const MAX_TILL_ID_CHARS: usize = 40;
const MAX_STORE_ID_CHARS: usize = 100;
const MAX_KEY_ID_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A field that cannot be saved; the message names it.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

fn invalid(field: &'static str, message: impl std::fmt::Display) -> SettingsError {
    SettingsError::Invalid {
        field,
        message: format!("{field}: {message}"),
    }
}

/// What the owner saves; an empty text clears the setting.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShopSettings {
    pub supplier_url: String,
    pub shop_name: String,
    pub shop_address: String,
    pub till_id: String,
    pub language: String,
    pub printer: String,
    pub smtp_url: String,
    pub relay_url: String,
    pub stripe_api_url: String,
    pub stripe_success_url: String,
    pub btcpay_url: String,
    pub btcpay_store_id: String,
    /// Absent from an older form: cleared like any empty field.
    #[serde(default)]
    pub nowpayments_ipn_url: String,
    #[serde(default)]
    pub razorpay_key_id: String,
}

/// The form as it is stored: each field trimmed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    values: Vec<(&'static str, String)>,
    /// This till's id as saved (empty: none).
    pub till_id: String,
}

/// `text` trimmed, if it is no longer than `max` characters.
pub fn field<'a>(text: &'a str, what: &'static str, max: usize) -> Result<&'a str, SettingsError> {
    if text.chars().count() > max {
        return Err(SettingsError::Invalid {
            field: what,
            message: format!("{what} is longer than {max} characters"),
        });
    }
    Ok(text.trim())
}

/// An address field: empty, or one that `parse` (core's reader of it) accepts.
fn url_field<'a, T, E: std::fmt::Display>(
    text: &'a str,
    what: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<&'a str, SettingsError> {
    let url = field(text, what, MAX_SETTING_CHARS)?;
    if !url.is_empty() {
        parse(url).map_err(|e| invalid(what, e))?;
    }
    Ok(url)
}

/// Checks every field of the form as the part that reads it will.
pub fn validate(input: &ShopSettings) -> Result<Checked, SettingsError> {
    let url = url_field(&input.supplier_url, "supplier_url", parse_base_url)?;
    let name = field(&input.shop_name, "shop_name", MAX_SHOP_NAME_CHARS)?;
    let address = field(&input.shop_address, "shop_address", MAX_SETTING_CHARS)?;
    let till_id = field(&input.till_id, "till_id", MAX_TILL_ID_CHARS)?;
    let language = input
        .language
        .parse::<Language>()
        .map_err(|e| invalid("language", e))?;
    let printer = url_field(&input.printer, "printer", |p| p.parse::<PrinterSpec>())?;
    let smtp = url_field(&input.smtp_url, "smtp_url", SmtpConfig::parse)?;
    // The password belongs in the keyring, not in a setting anyone can read.
    if !smtp.is_empty() && SmtpConfig::parse(smtp).is_ok_and(|c| c.password.is_some()) {
        return Err(invalid(
            "smtp_url",
            "leave the password out of the address; set it as the mail password",
        ));
    }
    let relay_url = url_field(&input.relay_url, "relay_url", relay::parse_url)?;
    let stripe = |u: &str| payments::base_url(ProviderKind::Stripe, u);
    let stripe_api_url = url_field(&input.stripe_api_url, "stripe_api_url", stripe)?;
    let stripe_success_url = url_field(&input.stripe_success_url, "stripe_success_url", stripe)?;
    let btcpay_url = url_field(&input.btcpay_url, "btcpay_url", |u| {
        payments::base_url(ProviderKind::Btcpay, u)
    })?;
    let store = field(
        &input.btcpay_store_id,
        "btcpay_store_id",
        MAX_STORE_ID_CHARS,
    )?;
    // The store id goes into the path of every BTCPay request.
    if !store
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(
            "btcpay_store_id",
            "letters, digits, '-' and '_' only",
        ));
    }
    let ipn_url = url_field(&input.nowpayments_ipn_url, "nowpayments_ipn_url", |u| {
        payments::base_url(ProviderKind::Nowpayments, u)
    })?;
    let key_id = field(&input.razorpay_key_id, "razorpay_key_id", MAX_KEY_ID_CHARS)?;
    // Razorpay key ids are `rzp_live_…` / `rzp_test_…`.
    if !key_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(invalid("razorpay_key_id", "letters, digits and '_' only"));
    }
    let values = [
        (SUPPLIER_URL, url),
        (SHOP_NAME, name),
        (SHOP_ADDRESS, address),
        (TILL_ID, till_id),
        (LANGUAGE, language.as_str()),
        (PRINTER, printer),
        (SMTP_URL, smtp),
        (relay::RELAY_URL, relay_url),
        (payments::STRIPE_API_URL, stripe_api_url),
        (payments::STRIPE_SUCCESS_URL, stripe_success_url),
        (payments::BTCPAY_URL, btcpay_url),
        (payments::BTCPAY_STORE, store),
        (payments::NOWPAYMENTS_IPN_URL, ipn_url),
        (payments::RAZORPAY_KEY_ID, key_id),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    Ok(Checked {
        values,
        till_id: till_id.to_string(),
    })
}

/// Checks the whole form, then saves every field that changed, with the audit row
/// naming them and `actor`, in one transaction ([`crate::till::Till::save_settings`]
/// checks first that `actor` may).
pub async fn save(db: &Db, input: &ShopSettings, actor: &str) -> Result<Checked, SettingsError> {
    let checked = validate(input)?;
    let mut tx = db.begin_write().await?;
    let mut changed = Vec::new();
    for (name, value) in &checked.values {
        let key = store::key(db, name);
        if store::get(&mut *tx, &key).await?.as_deref().unwrap_or("") != value.as_str() {
            changed.push(*name);
        }
        store::set(&mut *tx, &key, value).await?;
    }
    // The keys, not the values: an address may hold what the log should not.
    let detail = match changed.is_empty() {
        true => "saved, nothing changed".to_string(),
        false => format!("changed {}", changed.join(", ")),
    };
    crate::staff::audit::record(
        &mut tx,
        &crate::staff::audit::Entry {
            actor,
            action: "settings",
            detail: Some(&detail),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!("settings saved");
    Ok(checked)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn form() -> ShopSettings {
        ShopSettings {
            language: "en".into(),
            ..ShopSettings::default()
        }
    }

    /// A field's name and what spoils it.
    type Spoil = (&'static str, fn(&mut ShopSettings));

    #[test]
    fn each_bad_field_is_named() {
        let cases: [Spoil; 10] = [
            ("supplier_url", |f| f.supplier_url = "ftp://x".into()),
            ("shop_name", |f| f.shop_name = "x".repeat(101)),
            ("language", |f| f.language = "fr".into()),
            ("printer", |f| f.printer = "lpt1".into()),
            ("smtp_url", |f| {
                f.smtp_url = "smtp://u:pw@mail.example".into()
            }),
            ("relay_url", |f| f.relay_url = "not a url".into()),
            ("stripe_api_url", |f| f.stripe_api_url = "nope".into()),
            ("btcpay_store_id", |f| f.btcpay_store_id = "a/b".into()),
            ("nowpayments_ipn_url", |f| {
                f.nowpayments_ipn_url = "file:///etc/passwd".into()
            }),
            ("razorpay_key_id", |f| f.razorpay_key_id = "rzp key".into()),
        ];
        for (name, spoil) in cases {
            let mut f = form();
            spoil(&mut f);
            match validate(&f) {
                Err(SettingsError::Invalid { field, message }) => {
                    assert_eq!(field, name);
                    assert!(message.starts_with(name), "{message}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_bad_field_saves_nothing_and_a_good_form_saves_all() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.db")).await.unwrap();
        let mut f = form();
        f.shop_name = " Corner Shop ".into();
        f.btcpay_store_id = "a b".into();
        assert!(save(&db, &f, "owner").await.is_err());
        assert_eq!(store::get(db.pool(), SHOP_NAME).await.unwrap(), None);
        f.btcpay_store_id = "store_1".into();
        f.till_id = "till-2".into();
        let saved = save(&db, &f, "owner").await.unwrap();
        assert_eq!(saved.till_id, "till-2");
        assert_eq!(
            store::get(db.pool(), SHOP_NAME).await.unwrap().as_deref(),
            Some("Corner Shop")
        );
        let audit: Vec<(String, String)> =
            sqlx::query_as("SELECT actor, detail FROM audit_log WHERE action = 'settings'")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(audit.len(), 1, "the refused form wrote nothing");
        assert_eq!(audit[0].0, "owner");
        assert!(
            audit[0].1.contains(SHOP_NAME) && !audit[0].1.contains("Corner"),
            "{audit:?}"
        );
    }
}
