//! The shop's tax invoicing at this till: its tax id, invoice prefix and financial
//! year (the owner's settings), and each category's rate (the owner's prices), each
//! change audited in the write that makes it.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::DbError;
use crate::product::Category;
use crate::settings;
use crate::staff::{Action, audit};
use crate::tax::{self, TaxError, TaxSettings};

use super::{Clerk, Till, TillError};

/// A change to the tax settings: each field `None` is left as it is.
#[derive(Debug, Clone, Default)]
pub struct TaxChange {
    /// `Some(None)` removes the tax id: receipts stop being tax invoices.
    pub tax_id: Option<Option<String>>,
    pub prefix: Option<String>,
    pub fy_start_month: Option<u32>,
}

/// The tax settings and the rate of each category that has one.
#[derive(Debug, Clone, Serialize)]
pub struct TaxView {
    #[serde(flatten)]
    pub settings: TaxSettings,
    pub rates: Vec<RateView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RateView {
    pub category: Category,
    /// Percent.
    pub rate: String,
}

impl Till {
    pub async fn tax(&self) -> Result<TaxView, TillError> {
        Ok(TaxView {
            settings: tax::settings(&self.db).await?,
            rates: tax::rates(&self.db)
                .await?
                .into_iter()
                .map(|(category, rate)| RateView {
                    category,
                    rate: rate.normalize().to_string(),
                })
                .collect(),
        })
    }

    /// Changes the tax settings (the owner's): every field checked first, then
    /// saved with its audit row in one transaction.
    pub async fn set_tax(&self, clerk: &Clerk, change: &TaxChange) -> Result<TaxView, TillError> {
        let tax_id = match &change.tax_id {
            Some(Some(id)) => Some(Some(tax::parse_tax_id("--tax-id", id)?)),
            other => other.clone(),
        };
        let prefix = match &change.prefix {
            Some(p) => Some(check_prefix(p)?),
            None => None,
        };
        if let Some(m) = change.fy_start_month
            && !(1..=12).contains(&m)
        {
            return Err(TaxError::BadInput {
                field: "--fy-start-month",
                message: format!("{m} is not a month (1 to 12)"),
            }
            .into());
        }
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let mut tx = self.db.begin_write().await?;
        let mut said = Vec::new();
        if let Some(id) = &tax_id {
            settings::set(&mut *tx, tax::TAX_ID, id.as_deref().unwrap_or("")).await?;
            said.push(format!("tax id {}", id.as_deref().unwrap_or("removed")));
        }
        if let Some(p) = &prefix {
            settings::set(&mut *tx, tax::INVOICE_PREFIX, p).await?;
            said.push(format!("invoice prefix {p}"));
        }
        if let Some(m) = change.fy_start_month {
            settings::set(&mut *tx, tax::FY_START_MONTH, &m.to_string()).await?;
            said.push(format!("financial year from month {m}"));
        }
        if !said.is_empty() {
            audited(&mut tx, clerk, "tax_settings", &said.join(", ")).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        self.tax().await
    }

    /// Sets or clears a category's tax rate (the owner's, as prices are); audited.
    pub async fn set_tax_rate(
        &self,
        clerk: &Clerk,
        category: Category,
        rate: Option<Decimal>,
    ) -> Result<TaxView, TillError> {
        self.authorize(clerk, Action::ChangePrices, None).await?;
        let mut tx = self.db.begin_write().await?;
        tax::set_rate_in(&mut tx, category, rate).await?;
        let detail = format!(
            "tax rate for {}: {}",
            category.as_str(),
            rate.map_or("none".to_string(), |r| format!("{}%", r.normalize()))
        );
        audited(&mut tx, clerk, "tax_rate", &detail).await?;
        tx.commit().await.map_err(DbError::from)?;
        self.tax().await
    }
}

/// The audit row of a tax change, in the change's own transaction.
async fn audited(
    tx: &mut sqlx::AnyConnection,
    clerk: &Clerk,
    action: &str,
    detail: &str,
) -> Result<(), TillError> {
    audit::record(
        tx,
        &audit::Entry {
            actor: &clerk.staff,
            action,
            order_id: None,
            detail: Some(detail),
            at: None,
        },
    )
    .await?;
    Ok(())
}

/// An invoice prefix: 1 to 16 letters, digits, `-` or `/`.
fn check_prefix(text: &str) -> Result<String, TaxError> {
    let p = text.trim();
    if p.is_empty()
        || p.len() > 16
        || !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
    {
        return Err(TaxError::BadInput {
            field: "--prefix",
            message: format!("{text:?} is not an invoice prefix (1 to 16 letters, digits, - or /)"),
        });
    }
    Ok(p.to_string())
}
