//! Permissions at the core level, on a till selling from the sandbox supplier: each
//! role (cashier, manager, owner) tries each privileged action; what the role may do
//! is done, and what it may not is refused with nothing in the database changed but
//! one `refused` row in the audit log, whose chain still holds.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use codetill_core::db::Db;
use codetill_core::orders::Order;
use codetill_core::pricing::PriceRule;
use codetill_core::secrets::MemoryStore;
use codetill_core::staff::{NewMember, Role, StaffError, audit};
use codetill_core::supplier::accounts::NewAccount;
use codetill_core::till::settings::ShopSettings;
use codetill_core::till::{Clerk, Handover, Print, Source, Till, TillError, db_path};
use codetill_core::vault::Vault;
use codetill_e2e::{Sandbox, VAULT_KEY};
use rust_decimal_macros::dec;
use sqlx::Row;

const SKU: &str = "STEAM-US-20";

struct Shop {
    sandbox: Sandbox,
    _dir: tempfile::TempDir,
    till: Till,
}

/// A till over the sandbox with a synced catalog, receipts to a PDF folder, and
/// three members of staff.
async fn shop() -> Shop {
    let sandbox = Sandbox::start(50).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(dir.path())).await.unwrap();
    let supplier = sandbox.supplier().unwrap();
    codetill_core::catalog::sync(
        &db,
        supplier.as_ref(),
        &codetill_core::catalog::SyncOptions::default(),
        &codetill_core::progress::NoProgress,
    )
    .await
    .unwrap();
    let source = Source::Fixed {
        supplier,
        vault: Arc::new(Vault::from_key(&VAULT_KEY)),
        receipts: Some(dir.path().join("receipts")),
    };
    let till = Till::new(db, dir.path(), source, Arc::new(MemoryStore::default()));
    assert!(till.needs_owner().await.unwrap());
    till.first_owner("Meera", "1111").await.unwrap();
    let owner = till.sign_in(Some("Meera"), "1111", None).await.unwrap();
    for (name, role, pin) in [
        ("Ravi", Role::Manager, "2222"),
        ("Asha", Role::Cashier, "3333"),
    ] {
        till.add_staff(&owner, &NewMember { name, role, pin })
            .await
            .unwrap();
    }
    Shop {
        sandbox,
        _dir: dir,
        till,
    }
}

impl Shop {
    async fn clerk(&self, role: Role) -> Clerk {
        let pin = match role {
            Role::Owner => "1111",
            Role::Manager => "2222",
            Role::Cashier => "3333",
        };
        // PIN alone, as at the PIN pad.
        let clerk = self.till.sign_in(None, pin, None).await.unwrap();
        assert_eq!(clerk.role, role);
        clerk
    }

    async fn sell(&self, clerk: &Clerk) -> Order {
        let handover = Handover {
            print: Print::No,
            ..Handover::default()
        };
        let sale = self
            .till
            .sell_cash(self.sandbox.sku(SKU).as_str(), dec!(50), &handover, clerk)
            .await
            .unwrap();
        sale.order
    }

    async fn exec(&self, sql: &str) {
        sqlx::query(sql)
            .execute(self.till.db().pool())
            .await
            .unwrap();
    }

    /// Every table but the audit log, every row as text.
    async fn dump(&self) -> BTreeMap<String, Vec<Vec<String>>> {
        let pool = self.till.db().pool();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT IN ('audit_log', 'audit_chain', '_sqlx_migrations') ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let mut out = BTreeMap::new();
        for table in tables {
            let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
                .fetch_all(pool)
                .await
                .unwrap();
            let text = rows
                .iter()
                .map(|r| {
                    (0..r.columns().len())
                        .map(|i| {
                            r.try_get::<Option<i64>, _>(i)
                                .map(|v| format!("{v:?}"))
                                .or_else(|_| {
                                    r.try_get::<Option<String>, _>(i).map(|v| format!("{v:?}"))
                                })
                                .or_else(|_| {
                                    r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}"))
                                })
                                .or_else(|_| {
                                    r.try_get::<Option<Vec<u8>>, _>(i).map(|v| format!("{v:?}"))
                                })
                                .unwrap_or_else(|e| format!("<{e}>"))
                        })
                        .collect()
                })
                .collect();
            out.insert(table, text);
        }
        out
    }

    async fn audit_rows(&self) -> Vec<(String, String, Option<String>)> {
        sqlx::query_as("SELECT actor, action, detail FROM audit_log ORDER BY id")
            .fetch_all(self.till.db().pool())
            .await
            .unwrap()
    }
}

/// The privileged actions, each with the orders it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Sell,
    /// Their own sale, just made.
    ReprintRecent,
    /// Another's sale, just made (the receipt carries the code).
    ReprintOthers,
    ReprintOld,
    Reveal,
    Refund,
    Resend,
    ChangePrices,
    ChangeSuppliers,
    ChangeSettings,
    ManageStaff,
}

const CASES: [Case; 11] = [
    Case::Sell,
    Case::ReprintRecent,
    Case::ReprintOthers,
    Case::ReprintOld,
    Case::Reveal,
    Case::Refund,
    Case::Resend,
    Case::ChangePrices,
    Case::ChangeSuppliers,
    Case::ChangeSettings,
    Case::ManageStaff,
];

fn allowed(role: Role, case: Case) -> bool {
    match case {
        Case::Sell | Case::ReprintRecent => true,
        Case::ReprintOthers | Case::ReprintOld | Case::Reveal | Case::Refund | Case::Resend => {
            role != Role::Cashier
        }
        Case::ChangePrices | Case::ChangeSuppliers | Case::ChangeSettings | Case::ManageStaff => {
            role == Role::Owner
        }
    }
}

/// Orders the cases act on: a sale just made, one made an hour ago, and a refund
/// due for each role.
struct Orders {
    recent: Order,
    old: Order,
    refund_due: BTreeMap<&'static str, Order>,
}

async fn attempt(shop: &Shop, orders: &Orders, clerk: &Clerk, case: Case) -> Result<(), TillError> {
    let till = &shop.till;
    let tag = clerk.role.as_str();
    match case {
        Case::Sell => {
            let handover = Handover {
                print: Print::No,
                ..Handover::default()
            };
            till.sell_cash(shop.sandbox.sku(SKU).as_str(), dec!(50), &handover, clerk)
                .await
                .map(drop)
        }
        Case::ReprintRecent => {
            let own = shop.sell(clerk).await;
            till.reprint(clerk, &own.public_id).await.map(drop)
        }
        Case::ReprintOthers => till
            .reprint(clerk, &orders.recent.public_id)
            .await
            .map(drop),
        Case::ReprintOld => till.reprint(clerk, &orders.old.public_id).await.map(drop),
        Case::Reveal => till
            .reveal(&orders.recent.public_id, "buyer lost it", clerk)
            .await
            .map(|(_, codes)| assert!(!codes.is_empty())),
        Case::Refund => till
            .refund(clerk, &orders.refund_due[tag].public_id, "cash", None)
            .await
            .map(drop),
        Case::Resend => till
            .resend(clerk, &orders.recent.public_id, Some("buyer@example.com"))
            .await
            .map(drop),
        Case::ChangePrices => {
            let rule = PriceRule::parse("3", "2", "9", Some(".99"), None).unwrap();
            till.save_price_rule(clerk, None, &rule).await.map(drop)
        }
        Case::ChangeSuppliers => {
            let new = NewAccount {
                name: format!("second-{tag}"),
                kind: "wholesale".into(),
                url: shop.sandbox.url(),
                auth_url: None,
                account: None,
                account_currency: None,
            };
            till.add_supplier(clerk, &new, None).await.map(drop)
        }
        Case::ChangeSettings => {
            let form = ShopSettings {
                language: "en".into(),
                shop_name: format!("Shop of the {tag}"),
                ..ShopSettings::default()
            };
            till.save_settings(clerk, &form).await.map(drop)
        }
        Case::ManageStaff => {
            let pin = match clerk.role {
                Role::Owner => "7001",
                Role::Manager => "7002",
                Role::Cashier => "7003",
            };
            let name = format!("New {tag}");
            let new = NewMember {
                name: &name,
                role: Role::Cashier,
                pin,
            };
            till.add_staff(clerk, &new).await.map(drop)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_does_what_it_may_and_a_refusal_changes_nothing_but_the_audit_log() {
    let shop = shop().await;
    let owner = shop.clerk(Role::Owner).await;
    let recent = shop.sell(&owner).await;
    let old = shop.sell(&owner).await;
    shop.exec(&format!(
        "UPDATE orders SET delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour') WHERE id = {}",
        old.id
    ))
    .await;
    let mut refund_due = BTreeMap::new();
    for role in Role::ALL {
        let order = shop.sell(&owner).await;
        // A sale the supplier failed after payment, as far as the till's books go.
        shop.exec(&format!(
            "UPDATE orders SET status = 'refund_due' WHERE id = {}",
            order.id
        ))
        .await;
        refund_due.insert(role.as_str(), order);
    }
    let orders = Orders {
        recent,
        old,
        refund_due,
    };

    for role in Role::ALL {
        let clerk = shop.clerk(role).await;
        for case in CASES {
            let before = shop.dump().await;
            let audit_before = shop.audit_rows().await;
            let done = attempt(&shop, &orders, &clerk, case).await;
            if allowed(role, case) {
                assert!(done.is_ok(), "{role} {case:?}: {done:?}");
                continue;
            }
            match &done {
                Err(TillError::Staff(StaffError::Refused(r))) => {
                    assert_eq!(r.role, role, "{case:?}")
                }
                other => panic!("{role} {case:?} should be refused: {other:?}"),
            }
            assert_eq!(
                shop.dump().await,
                before,
                "{role} {case:?}: a refusal changes nothing"
            );
            let audit_after = shop.audit_rows().await;
            assert_eq!(audit_after.len(), audit_before.len() + 1, "{role} {case:?}");
            let (actor, action, detail) = audit_after.last().unwrap();
            assert_eq!(
                (actor.as_str(), action.as_str()),
                (clerk.staff.as_str(), "refused")
            );
            assert!(
                detail
                    .as_deref()
                    .unwrap_or("")
                    .contains(&format!("a {role} may not")),
                "{detail:?}"
            );
        }
    }
    let chain = audit::verify(shop.till.db()).await.unwrap();
    assert!(chain.holds(), "{chain:?}");
    // Every privileged action that was done is in the log, by who did it.
    let rows = shop.audit_rows().await;
    for (who, action) in [
        ("Ravi", "reveal"),
        ("Ravi", "refund"),
        ("Ravi", "resend"),
        ("Asha", "reprint"),
        ("Meera", "prices"),
        ("Meera", "suppliers"),
        ("Meera", "settings"),
        ("Meera", "staff"),
    ] {
        assert!(
            rows.iter().any(|(a, act, _)| a == who && act == action),
            "{who} {action}: {rows:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_disabled_after_signing_in_can_do_nothing_more() {
    let shop = shop().await;
    let owner = shop.clerk(Role::Owner).await;
    let manager = shop.clerk(Role::Manager).await;
    let order = shop.sell(&manager).await;
    shop.till.disable_staff(&owner, "Ravi").await.unwrap();
    match shop.till.reveal(&order.public_id, "check", &manager).await {
        Err(TillError::Staff(StaffError::Disabled(name))) => assert_eq!(name, "Ravi"),
        other => panic!("{other:?}"),
    }
    let last = shop.audit_rows().await.pop().unwrap();
    assert_eq!((last.0.as_str(), last.1.as_str()), ("Ravi", "refused"));
    // A cashier's sale records who made it.
    let cashier = shop.clerk(Role::Cashier).await;
    let sold = shop.sell(&cashier).await;
    assert_eq!(sold.staff, "Asha");
}
