//! Buyers: an optional record of who bought (name, phone, email), attached at the
//! counter by typing a phone number or an email address, so the shop can find a
//! buyer's past orders and resend or reprint from them. Contact data is purged after
//! the owner's retention period (setting `buyers.retention_months`); the orders stay.
//!
//! The buyer is attached in the same write as the sale it belongs to: a sale refused
//! before payment leaves no buyer behind.

use chrono::{Months, Utc};
use serde::Serialize;

use crate::db::{Batch, Db, DbError, time_text};

/// Months after a buyer's last purchase when their contact data goes (none set:
/// kept).
pub const RETENTION_MONTHS: &str = "buyers.retention_months";

#[derive(Debug, thiserror::Error)]
pub enum BuyerError {
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for BuyerError {
    fn from(e: sqlx::Error) -> Self {
        BuyerError::Db(DbError::from(e))
    }
}

/// A buyer as typed at the counter: a phone or an email at least.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Contact {
    /// Checks and normalises what was typed; `None` when neither a phone nor an
    /// email was given (then there is no buyer to attach).
    pub fn parse(
        name: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<Option<Contact>, BuyerError> {
        let phone = given(phone).map(parse_phone).transpose()?;
        let email = given(email).map(parse_email).transpose()?;
        let name = given(name)
            .map(|n| {
                if n.chars().count() > 80 || n.chars().any(char::is_control) {
                    Err(BuyerError::BadInput {
                        field: "buyer name",
                        message: "at most 80 characters, no control characters".into(),
                    })
                } else {
                    Ok(n.to_string())
                }
            })
            .transpose()?;
        if phone.is_none() && email.is_none() {
            if name.is_some() {
                return Err(BuyerError::BadInput {
                    field: "buyer",
                    message: "a name needs a phone or an email to find the buyer again".into(),
                });
            }
            return Ok(None);
        }
        Ok(Some(Contact { name, phone, email }))
    }
}

/// What was typed in a field, trimmed; `None` when nothing was.
fn given(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// A phone number: an optional `+` and 7 to 15 digits; spaces, dashes, dots and
/// brackets are dropped.
pub fn parse_phone(text: &str) -> Result<String, BuyerError> {
    let kept: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(BuyerError::BadInput {
            field: "phone",
            message: format!("{text:?} is not a phone number (7 to 15 digits, + allowed)"),
        });
    }
    Ok(kept)
}

/// One email address, as the mail server will be given it.
pub fn parse_email(text: &str) -> Result<String, BuyerError> {
    let t = text.trim();
    if t.len() > 254 || t.parse::<lettre::Address>().is_err() || !t.contains('.') {
        return Err(BuyerError::BadInput {
            field: "email",
            message: format!("{text:?} is not an email address"),
        });
    }
    Ok(t.to_string())
}

/// Which sale a buyer is attached to.
#[derive(Debug, Clone, Copy)]
pub enum SaleKey<'a> {
    /// An order, by its client_order_id.
    Order(&'a str),
    /// Every order of a basket, by the basket's key.
    Basket(&'a str),
}

/// Attaches `contact` to a sale, as a write batch chained after the sale's own: the
/// buyer found by phone or email (a phone or email not on record yet is added to
/// them), or a new one.
pub fn attach_batch(contact: &Contact, sale: SaleKey<'_>) -> Batch {
    let (order, basket) = match sale {
        SaleKey::Order(k) => (Some(k.to_string()), None),
        SaleKey::Basket(k) => (None, Some(k.to_string())),
    };
    // $1 name, $2 phone, $3 email, $4 now, $5 order key, $6 basket key.
    Batch::new(
        "INSERT INTO buyers (name, phone, email, created_at, last_seen_at)
         SELECT $1, $2, $3, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM buyers
             WHERE ($2 IS NOT NULL AND phone = $2) OR ($3 IS NOT NULL AND email = $3));
         UPDATE buyers SET last_seen_at = $4, name = coalesce($1, name),
             phone = CASE WHEN phone IS NULL AND NOT EXISTS (SELECT 1 FROM buyers b WHERE b.phone = $2)
                          THEN $2 ELSE phone END,
             email = CASE WHEN email IS NULL AND NOT EXISTS (SELECT 1 FROM buyers b WHERE b.email = $3)
                          THEN $3 ELSE email END
          WHERE id = (SELECT id FROM buyers
             WHERE ($2 IS NOT NULL AND phone = $2) OR ($3 IS NOT NULL AND email = $3)
             ORDER BY id LIMIT 1);
         UPDATE orders SET buyer_id = (SELECT id FROM buyers
             WHERE ($2 IS NOT NULL AND phone = $2) OR ($3 IS NOT NULL AND email = $3)
             ORDER BY id LIMIT 1)
          WHERE client_order_id = $5
             OR ($6 IS NOT NULL AND basket_id = (SELECT id FROM baskets WHERE basket_key = $6))",
    )
    .bind(contact.name.clone())
    .bind(contact.phone.clone())
    .bind(contact.email.clone())
    .bind(crate::db::now_text())
    .bind(order)
    .bind(basket)
}

/// A buyer on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Buyer {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    pub orders: i64,
}

/// Buyers whose phone or email holds `text` (a phone typed with spaces or dashes
/// still finds it), most recent first.
pub async fn find(db: &Db, text: &str) -> Result<Vec<Buyer>, BuyerError> {
    let t = text.trim();
    if t.chars().count() < 3 {
        return Err(BuyerError::BadInput {
            field: "buyer",
            message: "type at least 3 characters of a phone or an email".into(),
        });
    }
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    Ok(sqlx::query_as(
        "SELECT b.id, b.name, b.phone, b.email, b.created_at, b.last_seen_at,
                (SELECT count(*) FROM orders o WHERE o.buyer_id = b.id) AS orders
           FROM buyers b
          WHERE b.purged_at IS NULL
            AND ((length($2) >= 3 AND instr(b.phone, $2) > 0)
                 OR instr(lower(b.email), lower($1)) > 0)
          ORDER BY b.last_seen_at DESC LIMIT 50",
    )
    .bind(t)
    .bind(digits)
    .fetch_all(db.pool())
    .await?)
}

/// Purges the contact data of buyers not seen for the retention period (and the
/// email on their orders, and on any order as old): the orders stay. Answers how
/// many buyers were purged. Nothing happens without a retention setting.
pub async fn purge_due(db: &Db) -> Result<u64, BuyerError> {
    let Some(months) = crate::settings::value(db, RETENTION_MONTHS)
        .await?
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| *m > 0)
    else {
        return Ok(0);
    };
    let cutoff = Utc::now()
        .checked_sub_months(Months::new(months))
        .unwrap_or_else(Utc::now);
    purge_before(db, &time_text(cutoff)).await
}

/// [`purge_due`] with the cutoff given (RFC 3339).
pub async fn purge_before(db: &Db, cutoff: &str) -> Result<u64, BuyerError> {
    let mut tx = db.begin_write().await?;
    let now = crate::db::now_text();
    let purged = sqlx::query(
        "UPDATE buyers SET name = NULL, phone = NULL, email = NULL, purged_at = $2
          WHERE purged_at IS NULL AND last_seen_at < $1",
    )
    .bind(cutoff)
    .bind(&now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // The address on orders of that age goes too, once nothing is still to be sent
    // to it; the order itself (its money, its codes) stays.
    sqlx::query(
        "UPDATE orders SET email = NULL
          WHERE email IS NOT NULL AND created_at < $1
            AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.order_id = orders.id AND x.status = 'queued')",
    )
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE outbox SET destination = '(purged)'
          WHERE kind = 'email' AND status <> 'queued' AND created_at < $1",
    )
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    if purged > 0 {
        tracing::info!(
            buyers = purged,
            "buyer contact data purged after the retention period"
        );
    }
    Ok(purged)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn what_is_typed_is_checked_and_normalised() {
        let c = Contact::parse(Some(" Priya "), Some("+91 98765-43210"), None)
            .unwrap()
            .unwrap();
        assert_eq!(c.phone.as_deref(), Some("+919876543210"));
        assert_eq!(c.name.as_deref(), Some("Priya"));
        assert!(Contact::parse(None, Some(""), Some(" ")).unwrap().is_none());
        for (phone, email) in [
            (Some("12345"), None),
            (Some("98765abc12"), None),
            (None, Some("a@b.com,x@y.z")),
            (None, Some("not-an-address")),
        ] {
            assert!(
                Contact::parse(None, phone, email).is_err(),
                "{phone:?} {email:?}"
            );
        }
        assert!(Contact::parse(Some("Priya"), None, None).is_err());
    }
}
