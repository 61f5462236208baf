//! Who is at the till and what they may do: signing in, the staff list, and the
//! check every privileged action at this till goes through ([`Till::authorize`]),
//! with the actions it guards that are not a sale (refund, resend, reprint, prices,
//! suppliers, settings, staff).

use std::time::Duration;

use crate::catalog::{self, RepriceReport};
use crate::db::DbError;
use crate::money::Currency;
use crate::orders::{self, Order};
use crate::pricing::PriceRule;
use crate::product::Category;
use crate::secrets::Redacted;
use crate::staff::{self, Action, Member, NewMember, StaffError, audit};
use crate::supplier::accounts::{self, Account, NewAccount};

use super::settings::{self as form, Checked, ShopSettings};
use super::{Clerk, Till, TillError};

impl Till {
    /// May `clerk` do `action` (on `order`, when it is about one)? A signed-in
    /// member's role and enabled flag are read again first (a member disabled or
    /// demoted since signing in has only what they have now). A refusal changes
    /// nothing but the audit log, which records it.
    pub async fn authorize(
        &self,
        clerk: &Clerk,
        action: Action,
        order: Option<&Order>,
    ) -> Result<(), TillError> {
        let role = match clerk.staff_id {
            None => Ok(clerk.role),
            Some(id) => match staff::get(&self.db, id).await? {
                Some(m) if m.enabled => Ok(m.role),
                Some(m) => Err(StaffError::Disabled(m.name)),
                None => Err(StaffError::NotFound(clerk.staff.clone())),
            },
        };
        let refusal = match role {
            Ok(role) => match staff::authorize(role, action) {
                Ok(()) => return Ok(()),
                Err(refused) => {
                    let detail = format!("{}: {refused}", action.as_str());
                    (detail, TillError::Staff(refused.into()))
                }
            },
            Err(e) => (format!("{}: {e}", action.as_str()), TillError::Staff(e)),
        };
        let (detail, error) = refusal;
        let detail = match order {
            Some(o) => format!("{detail} ({})", o.public_id),
            None => detail,
        };
        let mut tx = self.db.begin_write().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "refused",
                order_id: order.map(|o| o.id),
                detail: Some(&detail),
                at: None,
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        tracing::warn!(staff = %clerk.staff, %detail, "action refused");
        Err(error)
    }

    /// Signs in at the PIN pad: `name` when the pad asked for one, else whoever the
    /// PIN belongs to.
    pub async fn sign_in(
        &self,
        name: Option<&str>,
        pin: &str,
        till_id: Option<String>,
    ) -> Result<Clerk, TillError> {
        let member = staff::login(&self.db, name, pin).await?;
        Ok(Clerk::signed_in(&member, till_id))
    }

    /// Does the shop still need its first owner? (The app's first screen.)
    pub async fn needs_owner(&self) -> Result<bool, TillError> {
        Ok(staff::needs_owner(&self.db).await?)
    }

    /// The first run's owner; refused once anyone is on the staff.
    pub async fn first_owner(&self, name: &str, pin: &str) -> Result<Member, TillError> {
        Ok(staff::add_first_owner(&self.db, name, pin).await?)
    }

    pub async fn staff(&self) -> Result<Vec<Member>, TillError> {
        Ok(staff::list(&self.db).await?)
    }

    /// Adds a member of staff (the owner's).
    pub async fn add_staff(&self, clerk: &Clerk, new: &NewMember<'_>) -> Result<Member, TillError> {
        // What was typed is checked before the permission: a typo is named, and a
        // refusal is only ever of a well-formed request.
        staff::check_name(new.name)?;
        staff::pin::check(new.pin)?;
        self.authorize(clerk, Action::ManageStaff, None).await?;
        Ok(staff::add(&self.db, new, &clerk.staff).await?)
    }

    /// Disables a member of staff (the owner's).
    pub async fn disable_staff(&self, clerk: &Clerk, name: &str) -> Result<Member, TillError> {
        self.authorize(clerk, Action::ManageStaff, None).await?;
        Ok(staff::disable(&self.db, name, &clerk.staff).await?)
    }

    /// Enables a disabled member of staff again (the owner's).
    pub async fn enable_staff(&self, clerk: &Clerk, name: &str) -> Result<Member, TillError> {
        self.authorize(clerk, Action::ManageStaff, None).await?;
        Ok(staff::enable(&self.db, name, &clerk.staff).await?)
    }

    /// Records that a refund due was given back (a manager's); audited.
    pub async fn refund(
        &self,
        clerk: &Clerk,
        order: &str,
        method: &str,
        reference: Option<&str>,
    ) -> Result<Order, TillError> {
        let found = orders::find(&self.db, order).await?;
        self.authorize(clerk, Action::Refund, Some(&found)).await?;
        Ok(orders::record_refund(
            &self.db,
            order,
            method,
            reference,
            &clerk.staff,
            clerk.till_id.as_deref(),
        )
        .await?)
    }

    /// Queues a delivered order's code for email again (a manager's); audited.
    pub async fn resend(
        &self,
        clerk: &Clerk,
        order: &str,
        to: Option<&str>,
    ) -> Result<i64, TillError> {
        let found = orders::find(&self.db, order).await?;
        self.authorize(clerk, Action::Resend, Some(&found)).await?;
        Ok(self.outbox().await?.resend(order, to, &clerk.staff).await?)
    }

    /// Queues the receipt again, marked REPRINT #n (a cashier's own counter sale
    /// within 10 minutes, a manager's otherwise); audited. Answers the outbox row
    /// and n.
    pub async fn reprint(&self, clerk: &Clerk, order: &str) -> Result<(i64, i64), TillError> {
        let found = orders::find(&self.db, order).await?;
        self.authorize(clerk, reprint_of(&found, clerk), Some(&found))
            .await?;
        Ok(self.outbox().await?.reprint(order, &clerk.staff).await?)
    }

    /// The print button after a sale: the first print, or a reprint; allowed as a
    /// reprint is (the receipt carries the code).
    pub async fn print_receipt(
        &self,
        clerk: &Clerk,
        order: &str,
    ) -> Result<(i64, Option<i64>), TillError> {
        let found = orders::find(&self.db, order).await?;
        self.authorize(clerk, reprint_of(&found, clerk), Some(&found))
            .await?;
        Ok(self
            .outbox()
            .await?
            .print_receipt(order, &clerk.staff)
            .await?)
    }

    /// Saves the owner's settings form (the owner's): every field checked, then
    /// saved with its audit row in one transaction.
    pub async fn save_settings(
        &self,
        clerk: &Clerk,
        input: &ShopSettings,
    ) -> Result<Checked, TillError> {
        form::validate(input)?;
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let checked = form::save(&self.db, input, &clerk.staff).await?;
        self.forget_outbox().await;
        Ok(checked)
    }

    /// Saves a price rule (the owner's) and reprices the catalog; audited.
    pub async fn save_price_rule(
        &self,
        clerk: &Clerk,
        category: Option<Category>,
        rule: &PriceRule,
    ) -> Result<RepriceReport, TillError> {
        self.authorize(clerk, Action::ChangePrices, None).await?;
        let report = catalog::save_rule(&self.db, category, rule).await?;
        let scope = category.map(|c| c.as_str()).unwrap_or("all categories");
        let detail = format!(
            "rule for {scope}: fee {}%, fx {}%, margin {}%, rounding {}{}; {} of {} products repriced",
            rule.fee_pct,
            rule.fx_pct,
            rule.margin_pct,
            rule.rounding,
            rule.floor
                .map(|f| format!(", floor {f}"))
                .unwrap_or_default(),
            report.changed,
            report.products
        );
        self.audit_after(clerk, "prices", &detail).await?;
        Ok(report)
    }

    /// Removes a category's price rule (the owner's); audited.
    pub async fn remove_price_rule(
        &self,
        clerk: &Clerk,
        category: Category,
    ) -> Result<RepriceReport, TillError> {
        self.authorize(clerk, Action::ChangePrices, None).await?;
        let report = catalog::remove_rule(&self.db, category).await?;
        let detail = format!(
            "rule for {} removed; {} of {} products repriced",
            category.as_str(),
            report.changed,
            report.products
        );
        self.audit_after(clerk, "prices", &detail).await?;
        Ok(report)
    }

    /// Sets the currency the shop sells in (the owner's); audited.
    pub async fn set_shop_currency(
        &self,
        clerk: &Clerk,
        shop: Option<Currency>,
    ) -> Result<RepriceReport, TillError> {
        self.authorize(clerk, Action::ChangePrices, None).await?;
        let report = catalog::set_shop_currency(&self.db, shop).await?;
        let detail = format!(
            "the shop sells in {}; {} of {} products repriced",
            shop.map(|c| c.code().to_string())
                .unwrap_or_else(|| "each supplier's currency".into()),
            report.changed,
            report.products
        );
        self.audit_after(clerk, "prices", &detail).await?;
        Ok(report)
    }

    /// Adds a supplier account (the owner's); audited.
    pub async fn add_supplier(
        &self,
        clerk: &Clerk,
        new: &NewAccount,
        key: Option<Redacted<String>>,
    ) -> Result<Account, TillError> {
        self.authorize(clerk, Action::ChangeSuppliers, None).await?;
        let account = accounts::add(&self.db, self.secrets(), new, key).await?;
        let detail = format!("added {} ({})", account.name, account.kind.as_str());
        self.audit_after(clerk, "suppliers", &detail).await?;
        Ok(account)
    }

    /// Enables or disables a supplier account (the owner's); audited.
    pub async fn enable_supplier(
        &self,
        clerk: &Clerk,
        name: &str,
        enabled: bool,
    ) -> Result<Account, TillError> {
        self.authorize(clerk, Action::ChangeSuppliers, None).await?;
        let account = accounts::set_enabled(&self.db, name, enabled).await?;
        let detail = format!(
            "{} {}",
            if enabled { "enabled" } else { "disabled" },
            account.name
        );
        self.audit_after(clerk, "suppliers", &detail).await?;
        Ok(account)
    }

    /// Removes a supplier account and its key (the owner's); audited.
    pub async fn remove_supplier(&self, clerk: &Clerk, name: &str) -> Result<Account, TillError> {
        self.authorize(clerk, Action::ChangeSuppliers, None).await?;
        let gone = accounts::remove(&self.db, self.secrets(), name).await?;
        let detail = format!("removed {}", gone.name);
        self.audit_after(clerk, "suppliers", &detail).await?;
        Ok(gone)
    }

    /// The audit row of a change another module committed on its own: written
    /// right after it (those modules keep their own transactions).
    async fn audit_after(&self, clerk: &Clerk, action: &str, detail: &str) -> Result<(), DbError> {
        let mut tx = self.db.begin_write().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action,
                detail: Some(detail),
                ..audit::Entry::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A reprint of `order` by `clerk`, as old as the sale is. The receipt carries the
/// code: another's sale, or a remote buyer's, counts as old (a manager's, as a
/// reveal is), however recent.
fn reprint_of(order: &Order, clerk: &Clerk) -> Action {
    if order.channel != "counter" || order.staff != clerk.staff {
        return Action::Reprint { age: Duration::MAX };
    }
    let sold = order.delivered_at.as_deref().unwrap_or(&order.created_at);
    let age = chrono::DateTime::parse_from_rfc3339(sold)
        .ok()
        .and_then(|t| {
            (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                .to_std()
                .ok()
        })
        // A time that cannot be read is treated as old: a manager's.
        .unwrap_or(Duration::MAX);
    Action::Reprint { age }
}
