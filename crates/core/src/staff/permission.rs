//! Who may do what: the one table every privileged action at a till is checked
//! against, in core (a front that forgets to hide a button still cannot do it).
//!
//! | action                              | cashier | manager | owner |
//! |-------------------------------------|---------|---------|-------|
//! | sell                                | yes     | yes     | yes   |
//! | reprint within 10 min of the sale   | yes     | yes     | yes   |
//! | reprint an older receipt            |         | yes     | yes   |
//! | reveal a code, refund, resend       |         | yes     | yes   |
//! | see reports and the audit log       |         | yes     | yes   |
//! | prices, suppliers, settings, staff  |         |         | yes   |

use std::time::Duration;

use super::Role;

/// How long after a sale a cashier may still print its receipt again.
pub const CASHIER_REPRINT_WINDOW: Duration = Duration::from_secs(10 * 60);

/// A privileged action at the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Sell,
    /// Printing a sold order's receipt again (or for the first time after the
    /// sale): it carries the code. `age` is the time since the sale.
    Reprint {
        age: Duration,
    },
    Reveal,
    Refund,
    Resend,
    /// Reading the shop's figures: sales reports, margins, the audit log.
    ViewReports,
    ChangePrices,
    ChangeSuppliers,
    ChangeSettings,
    ManageStaff,
}

impl Action {
    /// Every kind of action, for tests and the app's permission screen (a reprint
    /// of a sale just made, and of one made an hour ago).
    pub const ALL: [Action; 11] = [
        Action::Sell,
        Action::Reprint {
            age: Duration::from_secs(60),
        },
        Action::Reprint {
            age: Duration::from_secs(3600),
        },
        Action::Reveal,
        Action::Refund,
        Action::Resend,
        Action::ViewReports,
        Action::ChangePrices,
        Action::ChangeSuppliers,
        Action::ChangeSettings,
        Action::ManageStaff,
    ];

    /// The action as the audit log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Sell => "sell",
            Action::Reprint { .. } => "reprint",
            Action::Reveal => "reveal",
            Action::Refund => "refund",
            Action::Resend => "resend",
            Action::ViewReports => "reports",
            Action::ChangePrices => "prices",
            Action::ChangeSuppliers => "suppliers",
            Action::ChangeSettings => "settings",
            Action::ManageStaff => "staff",
        }
    }

    /// What a person reads: "may not {this}".
    fn what(self) -> &'static str {
        match self {
            Action::Sell => "sell",
            Action::Reprint { .. } => {
                "reprint a receipt but their own counter sale's, within 10 minutes"
            }
            Action::Reveal => "show a code again",
            Action::Refund => "record a refund",
            Action::Resend => "email a code again",
            Action::ViewReports => "see reports or the audit log",
            Action::ChangePrices => "change prices",
            Action::ChangeSuppliers => "change suppliers",
            Action::ChangeSettings => "change settings",
            Action::ManageStaff => "change staff",
        }
    }

    /// The least role that may do it.
    pub fn least_role(self) -> Role {
        match self {
            Action::Sell => Role::Cashier,
            Action::Reprint { age } if age <= CASHIER_REPRINT_WINDOW => Role::Cashier,
            Action::Reprint { .. }
            | Action::Reveal
            | Action::Refund
            | Action::Resend
            | Action::ViewReports => Role::Manager,
            Action::ChangePrices
            | Action::ChangeSuppliers
            | Action::ChangeSettings
            | Action::ManageStaff => Role::Owner,
        }
    }
}

/// An action the role may not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {role} may not {what}: ask a {needs}")]
pub struct Refused {
    pub role: Role,
    pub action: Action,
    pub needs: Role,
    what: &'static str,
}

/// May `role` do `action`?
pub fn authorize(role: Role, action: Action) -> Result<(), Refused> {
    let needs = action.least_role();
    if role.rank() >= needs.rank() {
        return Ok(());
    }
    Err(Refused {
        role,
        action,
        needs,
        what: action.what(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_table_of_roles_and_actions() {
        use Action::*;
        let young = Reprint {
            age: Duration::from_secs(9 * 60),
        };
        let old = Reprint {
            age: Duration::from_secs(11 * 60),
        };
        let cashier = [Sell, young];
        let manager = [Sell, young, old, Reveal, Refund, Resend, ViewReports];
        for action in [
            Sell,
            young,
            old,
            Reveal,
            Refund,
            Resend,
            ViewReports,
            ChangePrices,
            ChangeSuppliers,
            ChangeSettings,
            ManageStaff,
        ] {
            assert_eq!(
                authorize(Role::Cashier, action).is_ok(),
                cashier.contains(&action),
                "cashier {action:?}"
            );
            assert_eq!(
                authorize(Role::Manager, action).is_ok(),
                manager.contains(&action),
                "manager {action:?}"
            );
            assert!(authorize(Role::Owner, action).is_ok(), "owner {action:?}");
        }
    }

    #[test]
    fn a_refusal_says_who_may() {
        let e = authorize(Role::Cashier, Action::Reveal).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a cashier may not show a code again: ask a manager"
        );
        let e = authorize(Role::Manager, Action::ChangePrices).unwrap_err();
        assert_eq!(e.needs, Role::Owner);
    }
}
